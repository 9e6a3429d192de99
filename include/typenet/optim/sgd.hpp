#pragma once
#include <cstddef>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// Stochastic gradient descent with PyTorch's update rule: g ← ∇ + weight_decay·θ;
/// v ← momentum·v + g (v = g on the first step); g ← g + momentum·v if nesterov, else v; θ ← θ − lr·g.
struct SGD {
    float lr = 0.01f;
    float momentum = 0.0f;
    bool nesterov = false;
    float weight_decay = 0.0f;
    /// Momentum buffers, one per parameter, created by the first step (double holds either scalar).
    std::vector<double> velocity{};

    template <class Net>
    void step(Net& net) {
        auto params = net.parameters();
        auto grads = net.gradients();
        using T = typename Net::scalar;
        if (nesterov && momentum <= 0.0f) throw error("SGD: nesterov needs a momentum > 0");
        const bool first = velocity.size() != params.size();
        if (momentum != 0.0f && first) velocity.assign(params.size(), 0.0);
        const T lr_t = static_cast<T>(lr), mu = static_cast<T>(momentum), wd = static_cast<T>(weight_decay);
        for (std::size_t i = 0; i < params.size(); ++i) {
            T g = grads[i] + wd * params[i];
            if (momentum != 0.0f) {
                const T v = first ? g : mu * static_cast<T>(velocity[i]) + g;
                velocity[i] = v;
                g = nesterov ? g + mu * v : v;
            }
            params[i] -= lr_t * g;
        }
    }
};

}  // namespace typenet
