#pragma once
#include <string>

#include "typenet/core/real.hpp"
#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// x for x > 0, alpha·x otherwise (PyTorch nn.LeakyReLU(negative_slope = alpha)).
/// The derivative at 0 is alpha, as in PyTorch.
template <Real Alpha = 0.01>
struct LeakyReLU : Elementwise<LeakyReLU<Alpha>> {
    /// The slope for negative inputs.
    static constexpr double alpha = Alpha.value();

    static std::string name() { return "LeakyReLU(" + to_string(Alpha) + ")"; }
    template <class V>
    static V apply(V x) {
        return math::select_positive(x, x, math::constant<V>(alpha) * x);
    }
    template <class V>
    static V derivative(V x, V) {
        return math::select_positive(x, V(1), math::constant<V>(alpha));
    }
};

}  // namespace typenet
