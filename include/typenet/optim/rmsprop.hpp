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

/// RMSProp (Hinton) with PyTorch's rule and defaults (torch.optim.RMSprop): alpha = 0.99 is PyTorch's
/// default; the classic 0.9 is `RMSProp{.alpha = 0.9}`.
/// s ← α·s + (1−α)·g²;  centered: ḡ ← α·ḡ + (1−α)·g, d = √(s − ḡ²) + eps, else d = √s + eps;
/// momentum > 0: b ← momentum·b + g/d, θ ← θ − lr·b; else θ ← θ − lr·g/d.
/// State (in double) is created by the first step; later steps do not allocate.
struct RMSProp {
    double lr = 0.01;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
    /// L1 penalty: adds l1·sign(θ) to the gradient (typenet's extension).
    double l1 = 0.0;
    std::vector<double> square_average{}, gradient_average{}, buffer{};

    template <class Net>
    void step(Net& net) {
        using T = typename Net::scalar;
        optim_detail::require_non_negative(lr, "RMSProp", "lr");
        optim_detail::require_non_negative(alpha, "RMSProp", "alpha");
        optim_detail::require_non_negative(eps, "RMSProp", "eps");
        optim_detail::require_non_negative(weight_decay, "RMSProp", "weight_decay");
        optim_detail::require_non_negative(momentum, "RMSProp", "momentum");
        optim_detail::require_non_negative(l1, "RMSProp", "l1");
        auto params = net.parameters();
        auto grads = net.gradients();
        const std::size_t n = params.size();
        optim_detail::prepare_state(square_average, n);
        if (centered) optim_detail::prepare_state(gradient_average, n);
        if (momentum > 0.0) optim_detail::prepare_state(buffer, n);
        for (std::size_t i = 0; i < n; ++i) {
            const double theta = static_cast<double>(params[i]);
            const double g = optim_detail::penalized(static_cast<double>(grads[i]), theta, weight_decay, l1);
            square_average[i] = alpha * square_average[i] + (1.0 - alpha) * g * g;
            double variance = square_average[i];
            if (centered) {
                gradient_average[i] = alpha * gradient_average[i] + (1.0 - alpha) * g;
                variance -= gradient_average[i] * gradient_average[i];
            }
            const double denom = std::sqrt(variance) + eps;
            if (momentum > 0.0) {
                buffer[i] = momentum * buffer[i] + g / denom;
                params[i] = static_cast<T>(theta - lr * buffer[i]);
            } else {
                params[i] = static_cast<T>(theta - lr * (g / denom));
            }
        }
    }

    /// Names the state in checkpoints (see optim/optimizer_state.hpp).
    static constexpr std::string_view state_kind = "RMSProp";
    static constexpr std::array<std::string_view, 3> state_vectors{"square_average", "gradient_average", "buffer"};
    /// A copy of the state, for save_checkpoint.
    OptimizerState export_state() const {
        return {std::string(state_kind), 0, {square_average, gradient_average, buffer}};
    }
    /// Replaces the state with export_state()'s result; throws typenet::error, changing nothing, for
    /// another optimizer's state.
    void import_state(OptimizerState s) {
        optim_detail::import_state(std::move(s), state_kind, state_vectors,
                                   {&square_average, &gradient_average, &buffer});
    }

    /// Forgets the running averages and the momentum buffer.
    void reset() {
        square_average.clear();
        gradient_average.clear();
        buffer.clear();
    }
};

}  // namespace typenet
