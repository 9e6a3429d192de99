#pragma once
#include <string>

#include "typenet/core/real.hpp"
#include "typenet/layers/elementwise.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// x for x > 0, alpha·(eˣ − 1) otherwise (Clevert et al. 2015; PyTorch nn.ELU(alpha)).
template <Real Alpha = 1.0>
struct ELU : Elementwise<ELU<Alpha>> {
    /// The value the output approaches for x → −∞ is −alpha.
    static constexpr double alpha = Alpha.value();

    static std::string name() { return "ELU(" + to_string(Alpha) + ")"; }
    template <class V>
    static V apply(V x) {
        // expm1 keeps the relative accuracy of alpha·(eˣ − 1) for x near 0, where eˣ − 1 cancels.
        return math::select_positive(x, x, math::constant<V>(alpha) * math::expm1(x));
    }
    /// For x ≤ 0, d/dx alpha·(eˣ − 1) = alpha·eˣ = y + alpha: no second exponential (PyTorch does the same).
    /// A NaN x takes the slope 1, as PyTorch's elu_backward (x <= 0 ? ... : 1).
    template <class V>
    static V derivative(V x, V y) {
        return math::select_not_positive(x, y + math::constant<V>(alpha), V(1));
    }
};

}  // namespace typenet
