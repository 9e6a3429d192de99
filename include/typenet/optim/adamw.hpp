#pragma once
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "typenet/optim/adam_rule.hpp"
#include "typenet/optim/optimizer_state.hpp"

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

    /// Names the state in checkpoints (see optim/optimizer_state.hpp).
    static constexpr std::string_view state_kind = "AdamW";
    static constexpr std::array<std::string_view, 3> state_vectors = optim_detail::AdamState::vectors;
    /// A copy of the state, for save_checkpoint.
    OptimizerState export_state() const { return state.exported(state_kind); }
    /// Replaces the state with export_state()'s result; throws typenet::error, changing nothing, for
    /// another optimizer's state.
    void import_state(OptimizerState s) { state.import(std::move(s), state_kind); }

    /// Forgets the moments and the step count.
    void reset() { state = {}; }
};

}  // namespace typenet
