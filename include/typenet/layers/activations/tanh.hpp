#pragma once
#include <string>

#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// The hyperbolic tangent (PyTorch nn.Tanh).
struct Tanh : Elementwise<Tanh> {
    static std::string name() { return "Tanh"; }
    template <class V>
    static V apply(V x) {
        return math::tanh(x);
    }
    /// tanh' = 1 − tanh², from the output: no exponential in backward.
    template <class V>
    static V derivative(V, V y) {
        return V(1) - y * y;
    }
};

}  // namespace typenet
