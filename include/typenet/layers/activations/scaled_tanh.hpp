#pragma once
#include <string>

#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// LeCun's 1.7159·tanh(2x/3) ("Efficient BackProp", 1998): the constants make f(±1) = ±1 and keep the
/// variance of unit-variance inputs near 1, with the steepest gain at the origin.
struct ScaledTanh : Elementwise<ScaledTanh> {
    /// Output scale A in A·tanh(B·x).
    static constexpr double amplitude = 1.7159;
    /// Input scale B in A·tanh(B·x).
    static constexpr double slope = 2.0 / 3.0;

    static std::string name() { return "ScaledTanh"; }
    template <class V>
    static V apply(V x) {
        return math::constant<V>(amplitude) * math::tanh(math::constant<V>(slope) * x);
    }
    /// A·B·(1 − tanh²(Bx)) with tanh(Bx) = y / A: from the output, no exponential in backward.
    template <class V>
    static V derivative(V, V y) {
        const V t = y * math::constant<V>(1.0 / amplitude);
        return math::constant<V>(amplitude * slope) * (V(1) - t * t);
    }
};

}  // namespace typenet
