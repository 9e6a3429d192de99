#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/optim/optimizer_state.hpp"
#include "typenet/optim/penalty.hpp"
#include "typenet/simd/parallel.hpp"

namespace typenet::optim_detail {

/// Moment estimates shared by Adam and AdamW.
struct AdamState {
    std::uint64_t steps = 0;
    std::vector<double> m{}, v{}, v_max{};

    static constexpr std::array<std::string_view, 3> vectors{"m", "v", "v_max"};
    /// A copy for checkpoints, under the optimizer's name (Adam and AdamW do not take each other's).
    OptimizerState exported(std::string_view kind) const { return {std::string(kind), steps, {m, v, v_max}}; }
    /// Replaces the state with exported()'s result; throws typenet::error, changing nothing, otherwise.
    void import(OptimizerState s, std::string_view kind) {
        steps = optim_detail::import_state(std::move(s), kind, vectors, {&m, &v, &v_max});
    }
};

/// One Adam step in PyTorch's arithmetic (torch.optim.Adam/AdamW, single-tensor path):
/// m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  v̂ = max(v̂, v) with amsgrad;
/// θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps).
/// `decoupled`: weight decay shrinks θ by (1 − lr·weight_decay) first (AdamW) instead of being
/// added to the gradient (Adam).
template <class T>
void adam_update(std::span<T> params, std::span<const T> grads, AdamState& s, double lr, double beta1,
                 double beta2, double eps, double weight_decay, double l1, bool amsgrad, bool decoupled) {
    const std::size_t n = params.size();
    const bool fresh = prepare_state(s.m, n);
    prepare_state(s.v, n);
    if (fresh) s.steps = 0;
    if (amsgrad) prepare_state(s.v_max, n);
    ++s.steps;
    const double t = static_cast<double>(s.steps);
    const double step_size = lr / (1.0 - std::pow(beta1, t));
    const double correction2_sqrt = std::sqrt(1.0 - std::pow(beta2, t));
    const double shrink = decoupled ? 1.0 - lr * weight_decay : 1.0;
    const double coupled_decay = decoupled ? 0.0 : weight_decay;
    // Element by element, so splitting the range over threads changes no result.
    simd::run_parts(n, [&](std::size_t part, std::size_t parts) {
    for (std::size_t i = n * part / parts, end = n * (part + 1) / parts; i < end; ++i) {
        double theta = static_cast<double>(params[i]);
        const double g = penalized(static_cast<double>(grads[i]), theta, coupled_decay, l1);
        theta *= shrink;
        s.m[i] = beta1 * s.m[i] + (1.0 - beta1) * g;
        s.v[i] = beta2 * s.v[i] + (1.0 - beta2) * g * g;
        double second = s.v[i];
        if (amsgrad) second = s.v_max[i] = std::max(s.v_max[i], s.v[i]);
        const double denom = std::sqrt(second) / correction2_sqrt + eps;
        params[i] = static_cast<T>(theta - step_size * (s.m[i] / denom));
    }
    });
}

/// Hyperparameter checks shared by Adam and AdamW.
inline void validate_adam(const char* name, double lr, double beta1, double beta2, double eps, double weight_decay,
                          double l1) {
    require_non_negative(lr, name, "lr");
    require_unit_interval(beta1, name, "betas[0]");
    require_unit_interval(beta2, name, "betas[1]");
    require_non_negative(eps, name, "eps");
    require_non_negative(weight_decay, name, "weight_decay");
    require_non_negative(l1, name, "l1");
}

}  // namespace typenet::optim_detail
