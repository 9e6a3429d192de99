#pragma once
/// \file Register-blocked GEMM for the three products of a dense layer, with K (inputs) and N (outputs)
/// fixed at compile time and M (the batch) at run time.
///
/// X is (M, K), Y and dY are (M, N), all row-major. The weight matrix W of y = x·Wᵀ + b is passed either
/// as InOut, Wᵀ stored (K, N) row-major (typenet's DenseLayer), or as OutIn, W stored (N, K) row-major
/// (PyTorch's nn.Linear); each product accepts both:
///
///   gemm_forward          Y   = epilogue(X·Wᵀ), optional per-column Σ and Σ² of what is stored
///   gemm_input_gradient   dX  = dY·W        (or +=)
///   gemm_weight_gradient  dW += dYᵀ·X       (or =), written in the layout W is given in
///   apply_prologue        dY' = prologue(dY), optional per-column Σ (the bias gradient) and Σ²
///
/// Kernels. Every product is an outer-product micro-kernel: a tile of R rows × V registers of
/// accumulators, one broadcast element of the left operand times V loaded registers of the right one,
/// so there are no horizontal sums. "NN" products read the right operand along its contiguous axis with
/// no copy: forward with InOut (rows of Wᵀ), input gradient with OutIn (rows of W), both weight
/// gradients (rows of X or of dY). The two "NT" products, whose operands are both contiguous along the
/// reduction (forward with OutIn, input gradient with InOut), transpose the *activation* side instead,
/// `lanes` rows at a time into caller scratch, compute the output tile transposed and transpose it back
/// in registers before the epilogue; that costs O(M·(K+N)) moves against the O(M·K·N) FMAs, where
/// packing W would cost O(K·N) per call. Layers with fewer outputs than lanes (a classifier's logits)
/// take the transposed tiles for their forward and Wᵀ gradient too, so that all lanes carry outputs.
/// A batch of fewer than 4 rows runs as one-row tiles 16 registers wide: each row of Wᵀ is streamed
/// once (a GEMV). K and N being template parameters turns every stride into an immediate displacement
/// and every tile shape into straight-line code. Nothing allocates (small stack buffers only).
///
/// How DenseLayer<T, In, Out> (Wᵀ in memory) maps onto it, K = In, N = Out, per step:
///   forward:   gemm_forward<T, In, Out>(rows, x, InOut<const T>{wt}, y,
///                                       BiasEpilogue<T, Act>{b}, {bn_sum, bn_sum_squares});
///   backward:  apply_prologue<T, Out>(rows, dy, dy2, act_derivative, {db, nullptr});  // db += Σ dY'
///              gemm_weight_gradient<T, In, Out>(rows, dy2, x, InOut<T>{dwt});          // dWᵀ += Xᵀ·dY'
///              gemm_input_gradient<T, In, Out>(rows, dy2, InOut<const T>{wt}, dx, scratch);  // dX = dY'·W
/// with `scratch` holding transposed_slab_size<T, Out> elements (the first layer, without dX, needs none).
/// The prologue is a separate pass rather than applied on every load of dY because both backward
/// products load each dY element once per tile along K: applying it once is cheaper.
#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "typenet/simd/arch.hpp"
#include "typenet/simd/pack.hpp"
#include "typenet/simd/parallel.hpp"
#include "typenet/simd/reduce.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet::simd {

/// Wᵀ stored (K, N) row-major: "in × out", as typenet's DenseLayer keeps it.
template <class T>
struct InOut {
    T* data;
};

/// W stored (N, K) row-major: "out × in", as PyTorch's nn.Linear keeps it.
template <class T>
struct OutIn {
    T* data;
};

/// Whether a product overwrites its output or adds to it.
enum class Update { overwrite, accumulate };

/// Epilogue that stores the accumulators unchanged.
struct NoEpilogue {
    template <class V, class Span>
    V operator()(const V& acc, const Span&) const {
        return acc;
    }
};

/// Epilogue adding a per-column bias and then applying `then` (itself an epilogue) on the register.
template <class T, class Then = NoEpilogue>
struct BiasEpilogue {
    const T* bias;
    Then then{};

    batch<T> operator()(const batch<T>& acc, const RegisterSpan<T>& at) const { return then(acc + at.load(bias), at); }
};

namespace detail {

/// Independent partial sums over the reduction index: a small tile (batch 1, a thin remainder) has too
/// few accumulators to hide the FMA latency, so it keeps S sets and adds them at the end.
template <std::size_t R, std::size_t V>
inline constexpr std::size_t splits = R * V >= 8 ? 1 : ((8 + R * V - 1) / (R * V) > 4 ? 4 : (8 + R * V - 1) / (R * V));

/// R rows × V registers of accumulators.
template <class T, std::size_t R, std::size_t V>
struct Tile {
    batch<T> v[R][V];
};

/// out = Σ_{l < L} A(l, i)·B(l, ·) for i < R, with A(l, i) = a[l·AL + i·AI] broadcast and B's row l the
/// V registers at b + l·BL, the last of which holds BLast valid lanes (the others read as 0).
/// Plain loops with unroll pragmas rather than template recursion: the compiler unrolls them all the
/// same (every bound is a constant) at a fraction of the compile time and memory.
template <class T, std::size_t R, std::size_t V, std::size_t AI, std::size_t AL, std::size_t BL, std::size_t BLast>
[[gnu::always_inline]] inline void multiply(Tile<T, R, V>& out, std::size_t L, const T* a, const T* b) {
    using B = batch<T>;
    constexpr std::size_t lanes = B::size;
    constexpr std::size_t S = splits<R, V>;
    B acc[S][R][V];
#pragma GCC unroll 64
    for (std::size_t s = 0; s < S; ++s)
#pragma GCC unroll 64
        for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 32
            for (std::size_t j = 0; j < V; ++j) acc[s][i][j] = B(T{0});
    std::size_t l = 0;
    for (; l + S <= L; l += S, a += S * AL, b += S * BL) {
#pragma GCC unroll 8
        for (std::size_t s = 0; s < S; ++s) {
            B bv[V];
#pragma GCC unroll 32
            for (std::size_t j = 0; j < V; ++j)
                bv[j] = (BLast < lanes && j == V - 1) ? load_first(b + s * BL + j * lanes, BLast)
                                                      : B::load_unaligned(b + s * BL + j * lanes);
#pragma GCC unroll 64
            for (std::size_t i = 0; i < R; ++i) {
                const B ai(a[s * AL + i * AI]);
#pragma GCC unroll 32
                for (std::size_t j = 0; j < V; ++j) acc[s][i][j] = xsimd::fma(ai, bv[j], acc[s][i][j]);
            }
        }
    }
    if constexpr (S > 1) {
        for (; l < L; ++l, a += AL, b += BL) {
            B bv[V];
#pragma GCC unroll 32
            for (std::size_t j = 0; j < V; ++j)
                bv[j] = (BLast < lanes && j == V - 1) ? load_first(b + j * lanes, BLast)
                                                      : B::load_unaligned(b + j * lanes);
#pragma GCC unroll 64
            for (std::size_t i = 0; i < R; ++i) {
                const B ai(a[i * AI]);
#pragma GCC unroll 32
                for (std::size_t j = 0; j < V; ++j) acc[0][i][j] = xsimd::fma(ai, bv[j], acc[0][i][j]);
            }
        }
    }
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 32
        for (std::size_t j = 0; j < V; ++j) {
            B t = acc[0][i][j];
#pragma GCC unroll 8
            for (std::size_t s = 1; s < S; ++s) t += acc[s][i][j];
            out.v[i][j] = t;
        }
}

/// multiply() compiled on its own, for the kernels with an epilogue: inlined next to a long epilogue
/// (BatchNorm, dropout masks), GCC hoisted the epilogue's constants above the K loop and spilled two
/// accumulators to the stack inside it, depending on the translation unit (W3 in bench_workloads went
/// from 366k to 635k samples/s once the loop was compiled apart). Tiles of fewer than 8 accumulators
/// leave room for the constants and stay inline: they are the batch-1 tiles of small layers, whose
/// whole product is a few dozen FMAs.
template <class T, std::size_t R, std::size_t V, std::size_t AI, std::size_t AL, std::size_t BL, std::size_t BLast>
[[gnu::noinline]] void multiply_out_of_line(Tile<T, R, V>& out, std::size_t L, const T* a, const T* b) {
    multiply<T, R, V, AI, AL, BL, BLast>(out, L, a, b);
}
template <class T, std::size_t R, std::size_t V, std::size_t AI, std::size_t AL, std::size_t BL, std::size_t BLast>
[[gnu::always_inline]] inline void multiply_apart(Tile<T, R, V>& out, std::size_t L, const T* a, const T* b) {
    if constexpr (R * V >= 8) multiply_out_of_line<T, R, V, AI, AL, BL, BLast>(out, L, a, b);
    else multiply<T, R, V, AI, AL, BL, BLast>(out, L, a, b);
}

template <std::size_t N>
using index = std::integral_constant<std::size_t, N>;

/// Calls f(index<R>{}, index<V>{}, index<Last>{}, row0, col0) for tiles covering the m × Width output of
/// an NN product with reduction length `depth`: standard tiles (tile_rows × panel_width), the row
/// remainder in tiles of 8 and 4 rows, and the last (< 4) rows one at a time with wide tiles. A call site
/// thus instantiates a handful of tile kernels, not one per row count, and a batch of 1 streams each
/// weight row once, contiguously. With a current pool, each thread takes a contiguous run of column
/// blocks (a tile is computed the same way whichever thread runs it, and the column sums of a column
/// are flushed by one thread in row order), so the result does not depend on the thread count.
template <class T, std::size_t Width, class F>
inline void for_each_nn_tile(std::size_t m, std::size_t depth, F&& f) {
    using G = GemmGeometry<T>;
    constexpr std::size_t lanes = G::lanes;
    constexpr std::size_t MR = G::tile_rows;
    // Columns outer, rows inner, so a column block of the weights is reused from cache by every row tile.
    const auto standard_rows = [&](auto v, auto last, std::size_t col0) {
        std::size_t row = 0;
        for (; row + MR <= m; row += MR) f(index<MR>{}, v, last, row, col0);
        if constexpr (MR > 8)
            if (row + 8 <= m) {
                f(index<8>{}, v, last, row, col0);
                row += 8;
            }
        for (; row + 4 <= m; row += 4) f(index<4>{}, v, last, row, col0);
        return row;
    };
    // The same row schedule, to know where the one-row tiles start.
    std::size_t blocked = m / MR * MR;
    if (MR > 8 && m - blocked >= 8) blocked += 8;
    blocked += (m - blocked) / 4 * 4;
    // Two rounds (blocked rows, then the one-row tiles), so a column's rows are reduced in row order
    // even when the two rounds split the columns differently between threads.
    run_parts(product_work(blocked * Width * depth), [&](std::size_t part, std::size_t parts) {
        if (blocked != 0) {
            constexpr std::size_t width = G::panel_width;
            constexpr std::size_t full = Width / width;
            constexpr std::size_t tail = Width % width;
            constexpr std::size_t blocks = full + (tail != 0);
            for (std::size_t c = 0; c < full; ++c)
                if (owns(c, blocks, part, parts)) standard_rows(index<G::panel_registers>{}, index<lanes>{}, c * width);
            if constexpr (tail != 0) {
                constexpr std::size_t tv = (tail + lanes - 1) / lanes;
                if (owns(full, blocks, part, parts))
                    standard_rows(index<tv>{}, index<tail - (tv - 1) * lanes>{}, full * width);
            }
        }
    });
    if (blocked == m) return;
    run_parts(product_work((m - blocked) * Width * depth), [&](std::size_t part, std::size_t parts) {
        constexpr std::size_t regs = (Width + lanes - 1) / lanes;
        constexpr std::size_t wide = regs < G::wide_registers ? regs : G::wide_registers;
        constexpr std::size_t width = wide * lanes;
        constexpr std::size_t full = Width / width;
        constexpr std::size_t tail = Width % width;
        constexpr std::size_t blocks = full + (tail != 0);
        for (std::size_t row = blocked; row < m; ++row) {
            for (std::size_t c = 0; c < full; ++c)
                if (owns(c, blocks, part, parts)) f(index<1>{}, index<wide>{}, index<lanes>{}, row, c * width);
            if constexpr (tail != 0) {
                constexpr std::size_t tv = (tail + lanes - 1) / lanes;
                if (owns(full, blocks, part, parts))
                    f(index<1>{}, index<tv>{}, index<tail - (tv - 1) * lanes>{}, row, full * width);
            }
        }
    });
}

/// One NN tile of the forward product: multiply, epilogue, store, column sums. Not inlined into the
/// drivers: each tile is thousands of FMAs, so the call costs nothing, and it keeps the functions the
/// compiler optimizes small (inlining every tile kernel into one driver made compile time and memory
/// explode).
template <class T, std::size_t N, std::size_t R, std::size_t V, std::size_t Last, std::size_t AI, std::size_t BL,
          class Ep>
[[gnu::noinline]] void forward_tile(std::size_t L, std::size_t row0, std::size_t col0, const T* a, const T* b, T* y,
                                    Ep& ep, const ColumnStats<T>& stats) {
    constexpr std::size_t lanes = batch<T>::size;
    Tile<T, R, V> acc;
    multiply_apart<T, R, V, AI, 1, BL, Last>(acc, L, a, b);
    ColumnAccumulator<T> sums[V];
    const bool with_stats = stats.active();
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 32
        for (std::size_t j = 0; j < V; ++j) {
            const std::size_t count = j == V - 1 ? Last : lanes;
            const std::size_t col = col0 + j * lanes;
            const batch<T> out = ep(acc.v[i][j], RegisterSpan<T>{row0 + i, col, count});
            store_first(y + (row0 + i) * N + col, out, count);
            if (with_stats) sums[j].add(out);
        }
    if (with_stats)
#pragma GCC unroll 32
        for (std::size_t j = 0; j < V; ++j) sums[j].flush(stats, col0 + j * lanes, j == V - 1 ? Last : lanes);
    if (stats.moments()) merge_tile_moments(y + row0 * N + col0, N, R, row0, col0, (V - 1) * lanes + Last, stats);
}

/// One tile of C (=|+=) Σ_l A(l, ·)ᵀ B(l, ·) for the NN backward products (see multiply for A and B).
template <class T, std::size_t R, std::size_t V, std::size_t Last, std::size_t AI, std::size_t AL, std::size_t BL,
          std::size_t LDC>
[[gnu::noinline]] void product_tile(std::size_t L, const T* a, const T* b, T* c, Update update) {
    constexpr std::size_t lanes = batch<T>::size;
    Tile<T, R, V> acc;
    multiply<T, R, V, AI, AL, BL, Last>(acc, L, a, b);
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 32
        for (std::size_t j = 0; j < V; ++j) {
            T* p = c + i * LDC + j * lanes;
            const std::size_t count = j == V - 1 ? Last : lanes;
            batch<T> v = acc.v[i][j];
            if (update == Update::accumulate) v += load_first(p, count);
            store_first(p, v, count);
        }
}

/// A tile computed transposed: acc[i] = Σ_l A(l, i)·B(l, ·) for i < R (see multiply), B's lanes being the
/// tile's output rows and i its output columns; transposed in registers so that emit(register, j)
/// receives output row j (< rows, the valid lanes of B) with columns i < R in its lanes, as the NN
/// kernels hand rows to their epilogues.
template <class T, std::size_t R, std::size_t AI, std::size_t AL, std::size_t BL, std::size_t BLast, class Emit>
[[gnu::always_inline]] inline void transposed_tile(std::size_t L, const T* a, const T* b, std::size_t rows,
                                                   Emit& emit) {
    using B = batch<T>;
    constexpr std::size_t lanes = B::size;
    Tile<T, R, 1> acc;
    multiply_apart<T, R, 1, AI, AL, BL, BLast>(acc, L, a, b);
    B r[lanes];
#pragma GCC unroll 64
    for (std::size_t i = 0; i < lanes; ++i) r[i] = i < R ? acc.v[i < R ? i : 0][0] : B(T{0});
    transpose<T>(r);
    for (std::size_t j = 0; j < rows; ++j) emit(r[j], j);
}

/// Forward tile of an NT product: `rows` rows of Y from row0 and R columns from col0, against the packed
/// slab of Xᵀ; W[col0 + i][k] is read at w[i·AI + k·AL] (OutIn: AI = K, AL = 1; InOut: AI = 1, AL = N).
template <class T, std::size_t K, std::size_t N, std::size_t R, std::size_t AI, std::size_t AL, class Ep>
[[gnu::noinline]] void forward_nt_tile(std::size_t rows, std::size_t row0, std::size_t col0, const T* slab,
                                       const T* w, T* y, Ep& ep, const ColumnStats<T>& stats) {
    constexpr std::size_t lanes = batch<T>::size;
    ColumnAccumulator<T> sums;
    const bool with_stats = stats.active();
    auto emit = [&](const batch<T>& v, std::size_t j) {
        const batch<T> out = ep(v, RegisterSpan<T>{row0 + j, col0, R});
        store_first(y + (row0 + j) * N + col0, out, R);
        if (with_stats) sums.add(out);
    };
    transposed_tile<T, R, AI, AL, lanes, lanes>(K, w + col0 * AI, slab, rows, emit);
    if (with_stats) sums.flush(stats, col0, R);
    if (stats.moments()) merge_tile_moments(y + row0 * N + col0, N, rows, row0, col0, R, stats);
}

/// Input-gradient tile of the NT product (W given as InOut): store or add.
template <class T, std::size_t K, std::size_t N, std::size_t R>
[[gnu::noinline]] void input_gradient_nt_tile(std::size_t rows, std::size_t row0, std::size_t col0, const T* slab,
                                              const T* wt, T* dx, Update update) {
    constexpr std::size_t lanes = batch<T>::size;
    auto emit = [&](const batch<T>& v, std::size_t j) {
        T* p = dx + (row0 + j) * K + col0;
        store_first(p, update == Update::accumulate ? v + load_first(p, R) : v, R);
    };
    transposed_tile<T, R, N, 1, lanes, lanes>(N, wt + col0 * N, slab, rows, emit);
}

/// Weight-gradient tile for Wᵀ (K, N) when N is below one register: dWᵀ rows k0.. (BLast of them valid in
/// the last block) computed as rows of dW, so all lanes carry outputs, then transposed to rows of dWᵀ.
template <class T, std::size_t K, std::size_t N, std::size_t BLast>
[[gnu::noinline]] void narrow_weight_gradient_tile(std::size_t m, std::size_t k0, const T* dy, const T* x, T* dwt,
                                                   Update update) {
    auto emit = [&](const batch<T>& v, std::size_t j) {
        T* p = dwt + (k0 + j) * N;
        store_first(p, update == Update::accumulate ? v + load_first(p, N) : v, N);
    };
    transposed_tile<T, N, 1, N, K, BLast>(m, dy, x + k0, BLast, emit);
}

/// Row `row` of a one-column product: y = epilogue(x·w) for contiguous x and w of length K.
template <class T, std::size_t K, class Ep>
[[gnu::noinline]] void dot_row(std::size_t row, const T* x, const T* w, T* y, Ep& ep, const ColumnStats<T>& stats) {
    using B = batch<T>;
    constexpr std::size_t lanes = B::size;
    constexpr std::size_t full = K / lanes;
    // Two independent accumulators halve the dependent FMA chain.
    B acc[2] = {B(T{0}), B(T{0})};
#pragma GCC unroll 16
    for (std::size_t i = 0; i < full; ++i)
        acc[i % 2] = xsimd::fma(B::load_unaligned(x + i * lanes), B::load_unaligned(w + i * lanes), acc[i % 2]);
    if constexpr (K % lanes != 0)
        acc[full % 2] = xsimd::fma(load_first(x + full * lanes, K % lanes), load_first(w + full * lanes, K % lanes),
                                   acc[full % 2]);
    const B out = ep(B(xsimd::hadd(acc[0] + acc[1])), RegisterSpan<T>{row, 0, 1});
    store_first(y, out, 1);
    if (stats.active()) {
        ColumnAccumulator<T> sums;
        sums.add(out);
        sums.flush(stats, 0, 1);
    }
    if (stats.moments()) merge_tile_moments(y, 1, 1, row, 0, 1, stats);
}

/// Drives an NT product with reduction length L and P output columns: packs lanes rows of the left
/// operand at a time into `slab`, then calls tile(index<R>{}, rows, row0, col0) over the column tiles.
template <class T, std::size_t L, std::size_t P, class F>
inline void for_each_nt_tile(std::size_t m, const T* a, T* slab, F&& tile) {
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    constexpr std::size_t full = P / lanes;
    constexpr std::size_t tail = P % lanes;
    for (std::size_t row0 = 0; row0 < m; row0 += lanes) {
        const std::size_t rows = m - row0 < lanes ? m - row0 : lanes;
        pack_transposed_slab<T, L>(a + row0 * L, rows, slab);
        for (std::size_t c = 0; c < full; ++c) tile(index<lanes>{}, rows, row0, c * lanes);
        if constexpr (tail != 0) tile(index<tail>{}, rows, row0, full * lanes);
    }
}

}  // namespace detail

/// Y[m×N] = epilogue(X[m×K]·Wᵀ) with Wᵀ stored (K, N), optionally adding each column's Σ and Σ² of the
/// stored values into `stats`. The epilogue is called once per output register as
/// epilogue(batch<T> acc, RegisterSpan<T> at) and returns the register to store; lanes at and above
/// at.count are not stored. Y must not overlap X or W.
template <class T, std::size_t K, std::size_t N, class Epilogue = NoEpilogue>
void gemm_forward(std::size_t m, const T* x, InOut<const T> w, T* y, Epilogue&& epilogue = {},
                  const ColumnStats<T>& stats = {}) {
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    if constexpr (N == 1) {
        // One output (a regression head) and a few rows: each row is a dot product with the contiguous
        // weight column, which the tiles below would do one masked lane at a time.
        if (m < lanes) {
            for (std::size_t r = 0; r < m; ++r) detail::dot_row<T, K>(r, x + r * K, w.data, y + r, epilogue, stats);
            return;
        }
    }
    if constexpr (N < lanes && K * lanes * sizeof(T) <= 32 * 1024) {
        // Fewer outputs than lanes (a classifier's logits): row tiles would leave lanes - N lanes idle,
        // so a full batch goes through the NT kernel, whose lanes are rows. Its Xᵀ slab lives on the
        // stack, hence the size limit; the NN path below handles the rest.
        if (m >= lanes) {
            alignas(64) T slab[K * lanes];
            detail::for_each_nt_tile<T, K, N>(m, x, slab, [&](auto r, std::size_t rows, std::size_t row0, std::size_t col0) {
                detail::forward_nt_tile<T, K, N, decltype(r)::value, 1, N>(rows, row0, col0, slab, w.data, y, epilogue,
                                                                           stats);
            });
            return;
        }
    }
    detail::for_each_nn_tile<T, N>(m, K, [&](auto r, auto v, auto last, std::size_t row0, std::size_t col0) {
        detail::forward_tile<T, N, decltype(r)::value, decltype(v)::value, decltype(last)::value, K, N>(
            K, row0, col0, x + row0 * K, w.data + col0, y, epilogue, stats);
    });
}

/// As above with W stored (N, K); `scratch` holds transposed_slab_size<T, K> elements.
template <class T, std::size_t K, std::size_t N, class Epilogue = NoEpilogue>
void gemm_forward(std::size_t m, const T* x, OutIn<const T> w, T* y, T* scratch, Epilogue&& epilogue = {},
                  const ColumnStats<T>& stats = {}) {
    detail::for_each_nt_tile<T, K, N>(m, x, scratch, [&](auto r, std::size_t rows, std::size_t row0, std::size_t col0) {
        detail::forward_nt_tile<T, K, N, decltype(r)::value, K, 1>(rows, row0, col0, scratch, w.data, y, epilogue,
                                                                     stats);
    });
}

/// dX[m×K] = dY[m×N]·W with W stored (N, K); adds to dX instead when update is accumulate.
template <class T, std::size_t K, std::size_t N>
void gemm_input_gradient(std::size_t m, const T* dy, OutIn<const T> w, T* dx, Update update = Update::overwrite) {
    // Tile rows = rows of dX, columns = k; the reduction runs over n along dY's rows and W's rows.
    detail::for_each_nn_tile<T, K>(m, N, [&](auto r, auto v, auto last, std::size_t row0, std::size_t col0) {
        detail::product_tile<T, decltype(r)::value, decltype(v)::value, decltype(last)::value, N, 1, K, K>(
            N, dy + row0 * N, w.data + col0, dx + row0 * K + col0, update);
    });
}

/// As above with Wᵀ stored (K, N); `scratch` holds transposed_slab_size<T, N> elements.
template <class T, std::size_t K, std::size_t N>
void gemm_input_gradient(std::size_t m, const T* dy, InOut<const T> w, T* dx, T* scratch,
                         Update update = Update::overwrite) {
    if constexpr (N < GemmGeometry<T>::lanes && K * N * sizeof(T) <= 32 * 1024) {
        // A reduction shorter than a register (dX of a classifier's last layer) leaves the NT kernel
        // transposing more than it multiplies; W is small, so transpose it once instead and run NN.
        alignas(64) T wn[N * K];
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t n = 0; n < N; ++n) wn[n * K + k] = w.data[k * N + n];
        gemm_input_gradient<T, K, N>(m, dy, OutIn<const T>{wn}, dx, update);
        return;
    }
    detail::for_each_nt_tile<T, N, K>(m, dy, scratch, [&](auto r, std::size_t rows, std::size_t row0, std::size_t col0) {
        detail::input_gradient_nt_tile<T, K, N, decltype(r)::value>(rows, row0, col0, scratch, w.data, dx, update);
    });
}

/// dWᵀ[K×N] += X[m×K]ᵀ·dY[m×N] for Wᵀ stored (K, N); overwrites instead when update is overwrite (with
/// m = 0 that writes zeros).
template <class T, std::size_t K, std::size_t N>
void gemm_weight_gradient(std::size_t m, const T* dy, const T* x, InOut<T> dw, Update update = Update::accumulate) {
    if (m == 0) {  // an empty batch may come with null dy and x
        if (update == Update::overwrite) std::fill_n(dw.data, K * N, T{0});
        return;
    }
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    if constexpr (N < lanes) {
        // Fewer outputs than lanes: compute dW's rows (lanes = inputs k) and transpose them.
        constexpr std::size_t full = K / lanes;
        for (std::size_t b = 0; b < full; ++b)
            detail::narrow_weight_gradient_tile<T, K, N, lanes>(m, b * lanes, dy, x, dw.data, update);
        if constexpr (K % lanes != 0)
            detail::narrow_weight_gradient_tile<T, K, N, K % lanes>(m, full * lanes, dy, x, dw.data, update);
        return;
    }
    // Tile rows = inputs k (broadcast from the rows of X), columns = outputs n (rows of dY); the
    // reduction runs over the batch.
    detail::for_each_nn_tile<T, N>(K, m, [&](auto r, auto v, auto last, std::size_t k0, std::size_t col0) {
        detail::product_tile<T, decltype(r)::value, decltype(v)::value, decltype(last)::value, 1, K, N, N>(
            m, x + k0, dy + col0, dw.data + k0 * N + col0, update);
    });
}

/// dW[N×K] += dY[m×N]ᵀ·X[m×K] for W stored (N, K); overwrites instead when update is overwrite.
template <class T, std::size_t K, std::size_t N>
void gemm_weight_gradient(std::size_t m, const T* dy, const T* x, OutIn<T> dw, Update update = Update::accumulate) {
    if (m == 0) {
        if (update == Update::overwrite) std::fill_n(dw.data, K * N, T{0});
        return;
    }
    detail::for_each_nn_tile<T, K>(N, m, [&](auto r, auto v, auto last, std::size_t n0, std::size_t col0) {
        detail::product_tile<T, decltype(r)::value, decltype(v)::value, decltype(last)::value, 1, N, K, K>(
            m, dy + n0, x + col0, dw.data + n0 * K + col0, update);
    });
}

namespace detail {

/// Calls f(col, count) once per column register of an m × N pass (first column, valid lanes), the
/// registers split over the current pool; each register's rows stay on one thread, in order.
template <class T, std::size_t N, class F>
void for_each_column_register(std::size_t m, F&& f) {
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    constexpr std::size_t regs = (N + lanes - 1) / lanes;
    constexpr std::size_t last = N - (regs - 1) * lanes;
    run_parts(m * N, [&](std::size_t part, std::size_t parts) {
        for (std::size_t j = 0; j < regs; ++j)
            if (owns(j, regs, part, parts)) f(j * lanes, j == regs - 1 ? last : lanes);
    });
}

}  // namespace detail

/// sums[c] += Σ_r in[r][c] over m rows of N columns (a bias gradient), register by register, the
/// column registers split over the current pool.
template <class T, std::size_t N>
void add_column_sums(std::size_t m, const T* in, T* sums) {
    detail::for_each_column_register<T, N>(m, [&](std::size_t col, std::size_t count) {
        batch<T> total(T{0});
        for (std::size_t r = 0; r < m; ++r) total += detail::load_first(in + r * N + col, count);
        detail::store_first(sums + col, detail::load_first(sums + col, count) + total, count);
    });
}

/// out[m×N] = f(in[m×N]) register by register, f(batch<T> v, RegisterSpan<T> at) (the derivative of the
/// elementwise layers after a contraction, applied to dY once before both backward products read it),
/// adding each column's Σ and Σ² of the results into stats (Σ is the bias gradient). out may equal in.
template <class T, std::size_t N, class F>
void apply_prologue(std::size_t m, const T* in, T* out, F&& f, const ColumnStats<T>& stats = {}) {
    // Column-major over registers so each column's sums stay in two registers for the whole batch.
    detail::for_each_column_register<T, N>(m, [&](std::size_t col, std::size_t count) {
        ColumnAccumulator<T> sums;
        for (std::size_t r = 0; r < m; ++r) {
            const RegisterSpan<T> at{r, col, count};
            const batch<T> v = f(at.load(in, N), at);
            detail::store_first(out + r * N + col, v, count);
            sums.add(v);
        }
        if (stats.active()) sums.flush(stats, col, count);
    });
}

}  // namespace typenet::simd
