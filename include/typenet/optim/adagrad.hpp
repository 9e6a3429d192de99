#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/optim/optimizer_state.hpp"
#include "typenet/optim/penalty.hpp"

namespace typenet {

/// AdaGrad (Duchi et al.) with PyTorch's rule and defaults (torch.optim.Adagrad):
/// g ← ∇ + weight_decay·θ;  s ← s + g²;  θ ← θ − lr/(1 + (t−1)·lr_decay) · g / (√s + eps),
/// with s starting at initial_accumulator. State (in double) is created by the first step.
struct AdaGrad {
    double lr = 0.01;
    double lr_decay = 0.0;
    double weight_decay = 0.0;
    double initial_accumulator = 0.0;
    double eps = 1e-10;
    /// L1 penalty: adds l1·sign(θ) to the gradient (typenet's extension).
    double l1 = 0.0;
    std::uint64_t steps = 0;
    std::vector<double> sum_of_squares{};

    template <class Net>
    void step(Net& net) {
        using T = typename Net::scalar;
        optim_detail::require_non_negative(lr, "AdaGrad", "lr");
        optim_detail::require_non_negative(lr_decay, "AdaGrad", "lr_decay");
        optim_detail::require_non_negative(weight_decay, "AdaGrad", "weight_decay");
        optim_detail::require_non_negative(initial_accumulator, "AdaGrad", "initial_accumulator");
        optim_detail::require_non_negative(eps, "AdaGrad", "eps");
        optim_detail::require_non_negative(l1, "AdaGrad", "l1");
        auto params = net.parameters();
        auto grads = net.gradients();
        if (optim_detail::prepare_state(sum_of_squares, params.size(), initial_accumulator)) steps = 0;
        ++steps;
        const double clr = lr / (1.0 + static_cast<double>(steps - 1) * lr_decay);
        for (std::size_t i = 0; i < params.size(); ++i) {
            const double theta = static_cast<double>(params[i]);
            const double g = optim_detail::penalized(static_cast<double>(grads[i]), theta, weight_decay, l1);
            sum_of_squares[i] += g * g;
            params[i] = static_cast<T>(theta - clr * (g / (std::sqrt(sum_of_squares[i]) + eps)));
        }
    }

    /// Names the state in checkpoints (see optim/optimizer_state.hpp).
    static constexpr std::string_view state_kind = "AdaGrad";
    static constexpr std::array<std::string_view, 1> state_vectors{"sum_of_squares"};
    /// A copy of the state, for save_checkpoint.
    OptimizerState export_state() const { return {std::string(state_kind), steps, {sum_of_squares}}; }
    /// Replaces the state with export_state()'s result; throws typenet::error, changing nothing, for
    /// another optimizer's state.
    void import_state(OptimizerState s) {
        steps = optim_detail::import_state(std::move(s), state_kind, state_vectors, {&sum_of_squares});
    }

    /// Forgets the accumulated squares and the step count.
    void reset() {
        sum_of_squares.clear();
        steps = 0;
    }
};

}  // namespace typenet
