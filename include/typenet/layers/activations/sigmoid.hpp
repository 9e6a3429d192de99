#pragma once
#include <string>

#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// The logistic function 1 / (1 + e⁻ˣ) (PyTorch nn.Sigmoid); 0 and 1 in the limits (and at ∓inf),
/// NaN only for NaN.
struct Sigmoid : Elementwise<Sigmoid> {
    static std::string name() { return "Sigmoid"; }
    template <class V>
    static V apply(V x) {
        return math::sigmoid(x);
    }
    /// σ' = σ·(1 − σ), from the output: no exponential in backward.
    template <class V>
    static V derivative(V, V y) {
        return y * (V(1) - y);
    }
};

}  // namespace typenet
