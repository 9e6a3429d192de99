#pragma once
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// What an optimizer carries from one step to the next, in double, as a checkpoint stores it:
/// its kind ("Adam"), its step counter and its per-parameter vectors in a fixed order. A vector is
/// empty when the step that creates it has not run (or these hyperparameters do not use it, e.g.
/// SGD without momentum), otherwise it holds one value per parameter. Hyperparameters (lr, betas,
/// ...) are not state: the caller sets them, as a schedule does, so they are not saved.
struct OptimizerState {
    std::string kind;
    std::uint64_t steps = 0;
    std::vector<std::vector<double>> vectors;
};

/// An optimizer whose state can be saved and restored exactly (every typenet optimizer):
/// `state_kind` and `state_vectors` (the names of its vectors) describe the state, `export_state()`
/// copies it and `import_state(s)` replaces it, throwing typenet::error without a change when `s`
/// belongs to another optimizer.
template <class O>
concept ResumableOptimizer = requires(O& o, const O& c, OptimizerState s) {
    { O::state_kind } -> std::convertible_to<std::string_view>;
    { O::state_vectors.size() } -> std::convertible_to<std::size_t>;
    { O::state_vectors[0] } -> std::convertible_to<std::string_view>;
    { c.export_state() } -> std::same_as<OptimizerState>;
    o.import_state(std::move(s));
};

namespace optim_detail {

/// Throws unless `s` is state of an optimizer of kind `kind` with vectors named `names`, every
/// vector empty or of one common length, and that length `parameters` when given. The message
/// starts with `where` and names both sides of a mismatch.
template <std::size_t K>
void check_state(const OptimizerState& s, std::string_view kind, const std::array<std::string_view, K>& names,
                 const std::string& where, std::optional<std::size_t> parameters = std::nullopt) {
    if (s.kind != kind)
        throw error(where + "the optimizer state is " + s.kind + "'s, the optimizer is " + std::string(kind));
    if (s.vectors.size() != K)
        throw error(where + "the " + s.kind + " state has " + std::to_string(s.vectors.size()) + " vectors, " +
                    std::string(kind) + " has " + std::to_string(K));
    std::optional<std::size_t> common = parameters;
    for (std::size_t i = 0; i < K; ++i) {
        const std::size_t n = s.vectors[i].size();
        if (n == 0) continue;
        if (common && n != *common)
            throw error(where + "the " + s.kind + " state vector " + std::string(names[i]) + " holds " +
                        std::to_string(n) + " values, " +
                        (parameters ? "the network has " + std::to_string(*parameters) + " parameters"
                                    : "another vector holds " + std::to_string(*common)));
        common = n;
    }
}

/// The import_state of an optimizer: checks `s`, then moves its vectors into `targets` (no
/// allocation, nothing can throw after the check) and returns its step count.
template <std::size_t K>
std::uint64_t import_state(OptimizerState&& s, std::string_view kind, const std::array<std::string_view, K>& names,
                           const std::array<std::vector<double>*, K>& targets) {
    check_state(s, kind, names, std::string(kind) + "::import_state: ");
    for (std::size_t i = 0; i < K; ++i) *targets[i] = std::move(s.vectors[i]);
    return s.steps;
}

}  // namespace optim_detail
}  // namespace typenet
