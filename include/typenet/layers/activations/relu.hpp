#pragma once
#include <string>

#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// max(0, x); NaN stays NaN (PyTorch's relu). The derivative is 0 for x ≤ 0 and 1 otherwise, NaN
/// included, as PyTorch's threshold_backward (x <= 0 ? 0 : dy).
struct ReLU : Elementwise<ReLU> {
    static std::string name() { return "ReLU"; }
    template <class V>
    static V apply(V x) { return math::max(V(0), x); }
    template <class V>
    static V derivative(V x, V) { return math::select_not_positive(x, V(0), V(1)); }
};

}  // namespace typenet
