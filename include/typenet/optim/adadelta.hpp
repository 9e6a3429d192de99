#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/optim/optimizer_state.hpp"
#include "typenet/optim/penalty.hpp"

namespace typenet {

/// AdaDelta (Zeiler) with PyTorch's rule and defaults (torch.optim.Adadelta; lr = 1 is Zeiler's
/// original method, the lr scales the step): s ← ρ·s + (1−ρ)·g²;
/// Δ = √(u + eps) / √(s + eps) · g;  u ← ρ·u + (1−ρ)·Δ²;  θ ← θ − lr·Δ.
/// State (in double) is created by the first step; later steps do not allocate.
struct AdaDelta {
    double lr = 1.0;
    double rho = 0.9;
    double eps = 1e-6;
    double weight_decay = 0.0;
    /// L1 penalty: adds l1·sign(θ) to the gradient (typenet's extension).
    double l1 = 0.0;
    std::vector<double> square_average{}, delta_average{};

    template <class Net>
    void step(Net& net) {
        using T = typename Net::scalar;
        optim_detail::require_non_negative(lr, "AdaDelta", "lr");
        optim_detail::require_unit_interval(rho, "AdaDelta", "rho");
        optim_detail::require_non_negative(eps, "AdaDelta", "eps");
        optim_detail::require_non_negative(weight_decay, "AdaDelta", "weight_decay");
        optim_detail::require_non_negative(l1, "AdaDelta", "l1");
        auto params = net.parameters();
        auto grads = net.gradients();
        optim_detail::prepare_state(square_average, params.size());
        optim_detail::prepare_state(delta_average, params.size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            const double theta = static_cast<double>(params[i]);
            const double g = optim_detail::penalized(static_cast<double>(grads[i]), theta, weight_decay, l1);
            square_average[i] = rho * square_average[i] + (1.0 - rho) * g * g;
            const double delta = std::sqrt(delta_average[i] + eps) / std::sqrt(square_average[i] + eps) * g;
            delta_average[i] = rho * delta_average[i] + (1.0 - rho) * delta * delta;
            params[i] = static_cast<T>(theta - lr * delta);
        }
    }

    /// Names the state in checkpoints (see optim/optimizer_state.hpp).
    static constexpr std::string_view state_kind = "AdaDelta";
    static constexpr std::array<std::string_view, 2> state_vectors{"square_average", "delta_average"};
    /// A copy of the state, for save_checkpoint.
    OptimizerState export_state() const { return {std::string(state_kind), 0, {square_average, delta_average}}; }
    /// Replaces the state with export_state()'s result; throws typenet::error, changing nothing, for
    /// another optimizer's state.
    void import_state(OptimizerState s) {
        optim_detail::import_state(std::move(s), state_kind, state_vectors, {&square_average, &delta_average});
    }

    /// Forgets the running averages.
    void reset() {
        square_average.clear();
        delta_average.clear();
    }
};

}  // namespace typenet
