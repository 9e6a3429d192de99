#pragma once
#include <string>

#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// max(0, x). The derivative at 0 is taken as 0, as in PyTorch.
struct ReLU : Elementwise<ReLU> {
    static std::string name() { return "ReLU"; }
    template <class V>
    static V apply(V x) { return math::max(x, V(0)); }
    template <class V>
    static V derivative(V x, V) { return math::select_positive(x, V(1), V(0)); }
};

}  // namespace typenet
