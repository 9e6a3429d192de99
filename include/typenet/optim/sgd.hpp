#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/optim/optimizer_state.hpp"
#include "typenet/optim/penalty.hpp"
#include "typenet/simd/parallel.hpp"

namespace typenet {

/// Stochastic gradient descent with PyTorch's update rule and defaults (torch.optim.SGD):
/// g ← ∇ + weight_decay·θ (+ l1·sign θ); v ← momentum·v + (1 − dampening)·g (v = g on the first step);
/// g ← g + momentum·v if nesterov, else v; θ ← θ − lr·g.
/// State (the momentum buffer, in double for float and double networks alike) is created by the
/// first step; later steps do not allocate.
struct SGD {
    double lr = 0.01;
    double momentum = 0.0;
    bool nesterov = false;
    double weight_decay = 0.0;
    double dampening = 0.0;
    /// L1 penalty: adds l1·sign(θ) to the gradient (typenet's extension; 0 in PyTorch terms).
    double l1 = 0.0;
    std::vector<double> velocity{};

    template <class Net>
    void step(Net& net) {
        using T = typename Net::scalar;
        validate();
        auto params = net.parameters();
        auto grads = net.gradients();
        const bool first = momentum != 0.0 && optim_detail::prepare_state(velocity, params.size());
        if (momentum != 0.0 && !first && !nesterov && weight_decay == 0.0 && l1 == 0.0) {
            // The common case without a branch in the loop, so that it vectorizes: the general loop
            // below runs scalar and took a quarter of a W1 training step.
            const double keep = momentum, take = 1.0 - dampening;
            T* p = params.data();
            const T* gr = grads.data();
            double* vel = velocity.data();
            const std::size_t n = params.size();
            // Element by element, so splitting the range over threads changes no result.
            simd::run_parts(n, [&](std::size_t part, std::size_t parts) {
                for (std::size_t i = n * part / parts, end = n * (part + 1) / parts; i < end; ++i) {
                    const double v = keep * vel[i] + take * static_cast<double>(gr[i]);
                    vel[i] = v;
                    p[i] = static_cast<T>(static_cast<double>(p[i]) - lr * v);
                }
            });
            return;
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            const double theta = static_cast<double>(params[i]);
            double g = optim_detail::penalized(static_cast<double>(grads[i]), theta, weight_decay, l1);
            if (momentum != 0.0) {
                const double v = first ? g : momentum * velocity[i] + (1.0 - dampening) * g;
                velocity[i] = v;
                g = nesterov ? g + momentum * v : v;
            }
            params[i] = static_cast<T>(theta - lr * g);
        }
    }

    /// Names the state in checkpoints (see optim/optimizer_state.hpp).
    static constexpr std::string_view state_kind = "SGD";
    static constexpr std::array<std::string_view, 1> state_vectors{"velocity"};
    /// A copy of the state, for save_checkpoint.
    OptimizerState export_state() const { return {std::string(state_kind), 0, {velocity}}; }
    /// Replaces the state with export_state()'s result; throws typenet::error, changing nothing, for
    /// another optimizer's state.
    void import_state(OptimizerState s) {
        optim_detail::import_state(std::move(s), state_kind, state_vectors, {&velocity});
    }

    /// Forgets the momentum buffers (the next step starts afresh).
    void reset() { velocity.clear(); }

private:
    void validate() const {
        optim_detail::require_non_negative(lr, "SGD", "lr");
        optim_detail::require_non_negative(momentum, "SGD", "momentum");
        optim_detail::require_non_negative(weight_decay, "SGD", "weight_decay");
        optim_detail::require_non_negative(l1, "SGD", "l1");
        if (nesterov && (momentum <= 0.0 || dampening != 0.0))
            throw error("SGD: nesterov needs a momentum > 0 and zero dampening (as in PyTorch)");
    }
};

}  // namespace typenet
