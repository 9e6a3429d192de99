#pragma once
#include <array>
#include <span>

#include "typenet/optim/adam_rule.hpp"

namespace typenet {

/// AdamW (Loshchilov & Hutter) with PyTorch's rule and defaults (torch.optim.AdamW): Adam whose weight
/// decay is decoupled from the gradient — θ ← θ·(1 − lr·weight_decay) before the Adam step — so the
/// decay is not rescaled by the adaptive denominator. Default weight_decay 1e-2.
struct AdamW {
    double lr = 1e-3;
    std::array<double, 2> betas{0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 1e-2;
    bool amsgrad = false;
    /// L1 penalty: adds l1·sign(θ) to the gradient (coupled, like a term of the loss; typenet's extension).
    double l1 = 0.0;
    optim_detail::AdamState state{};

    template <class Net>
    void step(Net& net) {
        optim_detail::validate_adam("AdamW", lr, betas[0], betas[1], eps, weight_decay, l1);
        using T = typename Net::scalar;
        optim_detail::adam_update<T>(net.parameters(), std::span<const T>(net.gradients()), state, lr, betas[0],
                                     betas[1], eps, weight_decay, l1, amsgrad, true);
    }

    /// Forgets the moments and the step count.
    void reset() { state = {}; }
};

}  // namespace typenet
