#pragma once
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet::optim_detail {

/// g + weight_decay·θ + l1·sign(θ): the gradient of loss + (weight_decay/2)·‖θ‖² + l1·‖θ‖₁, as autograd
/// computes it (sign(0) = 0), so an L1 penalty here equals adding it to the loss in PyTorch.
inline double penalized(double g, double theta, double weight_decay, double l1) {
    if (weight_decay != 0.0) g += weight_decay * theta;
    if (l1 != 0.0) g += l1 * static_cast<double>((theta > 0) - (theta < 0));
    return g;
}

/// Throws unless `value` is finite and ≥ 0 (PyTorch rejects the same values).
inline void require_non_negative(double value, const char* optimizer, const char* name) {
    if (!(value >= 0.0) || !std::isfinite(value))
        throw error(std::string(optimizer) + ": " + name + " is " + std::to_string(value) + ", it must be >= 0");
}

/// Throws unless 0 ≤ value < 1 (moment decay rates).
inline void require_unit_interval(double value, const char* optimizer, const char* name) {
    if (!(value >= 0.0 && value < 1.0))
        throw error(std::string(optimizer) + ": " + name + " is " + std::to_string(value) + ", it must be in [0, 1)");
}

/// Sizes a state vector for n parameters on the first step (or for a network of another size);
/// returns true when it did, so the caller knows the state is fresh.
inline bool prepare_state(std::vector<double>& state, std::size_t n, double initial = 0.0) {
    if (state.size() == n) return false;
    state.assign(n, initial);
    return true;
}

}  // namespace typenet::optim_detail
