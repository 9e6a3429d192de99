#pragma once
/// \file The fusion plan (docs/design.md, "Fusion"): a network's layers split into stages, each a head
/// (a contraction such as Dense or Conv2D, or any layer that cannot be fused) and the pointwise layers
/// after it, which run inside the head's GEMM epilogue and backward prologue, or in one pass over a
/// non-contraction head's output. Computed at compile time; testable with static_assert.
#include <array>
#include <cstddef>

namespace typenet::detail {

/// stage_end[i]: one past the last layer of the stage headed by layer i (for heads); stage_head[i]: the
/// head of the stage that contains layer i; normalized[i]: the stage of head i is a contraction, then
/// BatchNorm (whose batch moments the contraction merges), then pointwise layers.
template <std::size_t N>
struct StagePlan {
    std::array<std::size_t, N> stage_end{};
    std::array<std::size_t, N> stage_head{};
    std::array<bool, N> normalized{};
};

/// The stages of N layers: a head, the layer after it when `normalized[head]`, then every following
/// layer that is `fusable`.
template <std::size_t N>
constexpr StagePlan<N> make_stage_plan(const std::array<bool, N>& fusable, const std::array<bool, N>& normalized = {}) {
    StagePlan<N> plan;
    for (std::size_t head = 0; head < N;) {
        plan.normalized[head] = normalized[head];
        std::size_t end = head + (normalized[head] ? 2 : 1);
        while (end < N && fusable[end]) ++end;
        for (std::size_t i = head; i < end; ++i) plan.stage_head[i] = head;
        plan.stage_end[head] = end;
        head = end;
    }
    return plan;
}

}  // namespace typenet::detail
