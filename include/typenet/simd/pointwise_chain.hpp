#pragma once
/// \file The elementwise layers after a stage's head, run together on one register at a time: in the
/// epilogue of a Dense's GEMM (forward), in the prologue of its backward products, or in one pass over a
/// barrier layer's output (docs/design.md, "Fusion").
#include <cstddef>
#include <tuple>
#include <utility>

#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet::simd {

/// Operations applied in order to one register; `backward` recomputes the intermediate values from the
/// chain's input instead of reading them from memory (fused forwards never store them).
template <class T, class... Ops>
struct PointwiseChain {
    using register_type = batch<T>;
    static constexpr std::size_t size = sizeof...(Ops);
    std::tuple<Ops...> ops;

    register_type forward(register_type v, const RegisterSpan<T>& at) const {
        std::apply([&](const auto&... op) { ((v = op.forward(v, at)), ...); }, ops);
        return v;
    }

    /// dL/d(chain input) from dL/d(chain output) `dy` and the chain input `x`.
    register_type backward(register_type dy, const register_type& x, const RegisterSpan<T>& at) const {
        if constexpr (size == 0) {
            return dy;
        } else {
            register_type values[size + 1];
            values[0] = x;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                // Only as far as the last operation that reads its input or output (a trailing Dropout
                // does not: recomputing its mask would be wasted).
                ((I < recomputed ? (values[I + 1] = std::get<I>(ops).forward(values[I], at), 0) : 0), ...);
                ((dy = std::get<size - 1 - I>(ops).backward(dy, values[size - 1 - I], values[size - I], at)), ...);
            }(std::index_sequence_for<Ops...>{});
            return dy;
        }
    }

private:
    template <class Op>
    static constexpr bool uses_values = [] {
        if constexpr (requires { Op::backward_uses_values; }) return Op::backward_uses_values;
        else return true;
    }();
    /// How many operations a backward must run forward again: up to the last that uses its values.
    static constexpr std::size_t recomputed = [] {
        constexpr bool uses[] = {uses_values<Ops>..., false};
        std::size_t n = 0;
        for (std::size_t i = 0; i < size; ++i)
            if (uses[i]) n = i + 1;
        return n;
    }();
};

/// GEMM epilogue running a chain on each output register.
template <class Chain>
struct ChainEpilogue {
    const Chain* chain;
    template <class V, class Span>
    V operator()(const V& v, const Span& at) const { return chain->forward(v, at); }
};

/// GEMM epilogue that also stores the chain's input (row-major, `ld` columns): what a fused backward
/// recomputes the chain from.
template <class T, class Chain>
struct StoringChainEpilogue {
    T* input;
    std::size_t ld;
    const Chain* chain;
    template <class V, class Span>
    V operator()(const V& v, const Span& at) const {
        at.store(input, ld, v);
        return chain->forward(v, at);
    }
};

/// Epilogue adapter for a product run in chunks of rows: the epilogue of the chunk starting at row
/// `offset` sees the rows of the whole product (a saved input, a dropout mask index).
template <class T, class Epilogue>
struct RowOffsetEpilogue {
    const Epilogue* epilogue;
    std::size_t offset;
    batch<T> operator()(const batch<T>& v, const RegisterSpan<T>& at) const {
        return (*epilogue)(v, RegisterSpan<T>{at.row + offset, at.col, at.count});
    }
};

template <class T, class... Ops>
PointwiseChain<T, Ops...> make_pointwise_chain(Ops... ops) {
    return {std::tuple<Ops...>{ops...}};
}

}  // namespace typenet::simd
