#pragma once
/// \file Register-blocked GEMM for the three products of a dense layer, with K and N fixed at compile time.
///
/// Shapes follow PyTorch's nn.Linear: X is (M, K) row-major, W is (N, K) row-major ("out × in"), Y is (M, N).
///
///   gemm_forward          Y  = epilogue(X·Wᵀ)          W pre-packed (simd/pack.hpp), optional column sums
///   gemm_input_gradient   dX = dY·W   (or +=)          W as stored, (N, K)
///   gemm_weight_gradient  dW += dYᵀ·X (or =)           dW (N, K), or dW in the packed layout
///   map_rows              dY' = prologue(dY)           the elementwise derivatives before both products
///
/// Every product is an outer-product micro-kernel: a tile of R rows × V registers of accumulators, one
/// broadcast A element times V loaded B registers per step, so no horizontal sums are ever needed. The
/// B operand is always read along its contiguous axis: the packed W panels (forward), rows of W (input
/// gradient), rows of X (weight gradient). The only transposition, W for the forward, is done once per
/// weight update by pack_weights instead of once per product. Nothing allocates; K and N being template
/// parameters turns every stride into an immediate displacement and every column loop into straight
/// code, and M (the batch) is the only run-time size.
///
/// How DenseLayer<T, In, Out> maps onto it (K = In, N = Out), per step, with dY' = dY after map_rows:
///   forward:   pack_weights<T, In, Out>(W, Wp) after every change of W (or keep W packed, see below),
///              gemm_forward<T, In, Out>(rows, x, Wp, y, BiasEpilogue<T, Relu>{b}, {bn_sum, bn_sumsq});
///   backward:  map_rows<T, Out>(rows, dy, dy2, relu_derivative, {db, nullptr});   // db += Σ dY'
///              gemm_weight_gradient<T, In, Out>(rows, dy2, x, dW);                  // dW += dY'ᵀ·X
///              gemm_input_gradient<T, In, Out>(rows, dy2, W, dx);                   // dX  = dY'·W
/// Keeping the parameters in the packed layout instead (gemm_weight_gradient_packed writes dW in that
/// layout; SGD is elementwise so it does not care) removes the per-step packing; the input gradient then
/// needs W unpacked into scratch (unpack_weights), which the first layer, having no dX, never pays.
#include <cstddef>
#include <type_traits>
#include <utility>

#include "typenet/simd/arch.hpp"
#include "typenet/simd/pack.hpp"
#include "typenet/simd/reduce.hpp"

namespace typenet::simd {

/// Whether a product overwrites its output or adds to it.
enum class Update { overwrite, accumulate };

/// Where one output register sits: row `row`, lanes = columns [col, col + count). Epilogues and prologues
/// use it to fetch per-column operands (bias, scale) or same-shaped tensors (a saved activation).
template <class T>
struct RegisterSpan {
    std::size_t row;
    std::size_t col;
    std::size_t count;

    /// per_column[col + lane] for the valid lanes, 0 above (never reads past column col + count).
    batch<T> load(const T* per_column) const { return detail::load_first(per_column + col, count); }
    /// matrix[row][col + lane] of a row-major matrix with `ld` columns, 0 above the valid lanes.
    batch<T> load(const T* matrix, std::size_t ld) const {
        return detail::load_first(matrix + row * ld + col, count);
    }
};

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
#pragma GCC unroll 8
            for (std::size_t j = 0; j < V; ++j) acc[s][i][j] = B(T{0});
    std::size_t l = 0;
    for (; l + S <= L; l += S, a += S * AL, b += S * BL) {
#pragma GCC unroll 8
        for (std::size_t s = 0; s < S; ++s) {
            B bv[V];
#pragma GCC unroll 8
            for (std::size_t j = 0; j < V; ++j)
                bv[j] = (BLast < lanes && j == V - 1) ? load_first(b + s * BL + j * lanes, BLast)
                                                      : B::load_unaligned(b + s * BL + j * lanes);
#pragma GCC unroll 64
            for (std::size_t i = 0; i < R; ++i) {
                const B ai(a[s * AL + i * AI]);
#pragma GCC unroll 8
                for (std::size_t j = 0; j < V; ++j) acc[s][i][j] = xsimd::fma(ai, bv[j], acc[s][i][j]);
            }
        }
    }
    if constexpr (S > 1) {
        for (; l < L; ++l, a += AL, b += BL) {
            B bv[V];
#pragma GCC unroll 8
            for (std::size_t j = 0; j < V; ++j)
                bv[j] = (BLast < lanes && j == V - 1) ? load_first(b + j * lanes, BLast)
                                                      : B::load_unaligned(b + j * lanes);
#pragma GCC unroll 64
            for (std::size_t i = 0; i < R; ++i) {
                const B ai(a[i * AI]);
#pragma GCC unroll 8
                for (std::size_t j = 0; j < V; ++j) acc[0][i][j] = xsimd::fma(ai, bv[j], acc[0][i][j]);
            }
        }
    }
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 8
        for (std::size_t j = 0; j < V; ++j) {
            B t = acc[0][i][j];
#pragma GCC unroll 8
            for (std::size_t s = 1; s < S; ++s) t += acc[s][i][j];
            out.v[i][j] = t;
        }
}

/// Writes a tile to c (rows LDC apart), adding to what is there when update is accumulate; the last
/// register of each row stores only Last lanes.
template <class T, std::size_t R, std::size_t V, std::size_t Last, std::size_t LDC>
[[gnu::always_inline]] inline void store_tile(const Tile<T, R, V>& t, T* c, Update update) {
    constexpr std::size_t lanes = batch<T>::size;
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 8
        for (std::size_t j = 0; j < V; ++j) {
            T* p = c + i * LDC + j * lanes;
            const std::size_t count = j == V - 1 ? Last : lanes;
            batch<T> v = t.v[i][j];
            if (update == Update::accumulate) v += load_first(p, count);
            store_first(p, v, count);
        }
}

template <std::size_t N>
using index = std::integral_constant<std::size_t, N>;

/// Calls f(index<R>{}, row0) for row tiles covering [0, m): tiles of MR rows, then the remainder in
/// descending powers of two, so a call site instantiates log2(MR) + 1 tile kernels, not MR.
template <std::size_t MR, class F>
inline void for_each_row_tile(std::size_t m, F&& f) {
    std::size_t row = 0;
    for (; row + MR <= m; row += MR) f(index<MR>{}, row);
    const auto part = [&](auto p) {
        if constexpr (decltype(p)::value < MR)
            if (m - row >= decltype(p)::value) {
                f(p, row);
                row += decltype(p)::value;
            }
    };
    part(index<8>{});
    part(index<4>{});
    part(index<2>{});
    part(index<1>{});
}

/// Calls f(index<V>{}, index<Last>{}, col0) for column blocks covering [0, Width): full blocks of one
/// panel width, then the remainder as V registers whose last one has Last valid lanes.
template <class T, std::size_t Width, class F>
inline void for_each_column_block(F&& f) {
    using G = GemmGeometry<T>;
    constexpr std::size_t full = Width / G::panel_width;
    constexpr std::size_t tail = Width % G::panel_width;
    for (std::size_t b = 0; b < full; ++b) f(index<G::panel_registers>{}, index<G::lanes>{}, b * G::panel_width);
    if constexpr (tail != 0) {
        constexpr std::size_t v = (tail + G::lanes - 1) / G::lanes;
        f(index<v>{}, index<tail - (v - 1) * G::lanes>{}, full * G::panel_width);
    }
}

/// One R × V tile of the forward product, epilogue, store and column sums. Not inlined into the drivers:
/// each tile is thousands of FMAs, so the call costs nothing, and it keeps the functions the compiler
/// optimizes small (inlining every tile kernel into one driver made compile time and memory explode).
template <class T, std::size_t K, std::size_t N, std::size_t R, std::size_t V, std::size_t Last, class Ep>
[[gnu::noinline]] void forward_tile(std::size_t row0, std::size_t col0, const T* x, const T* panel, T* y, Ep& ep,
                                    const ColumnStats<T>& stats) {
    constexpr std::size_t lanes = batch<T>::size;
    Tile<T, R, V> acc;
    multiply<T, R, V, K, 1, V * lanes, lanes>(acc, K, x + row0 * K, panel);
    ColumnAccumulator<T> sums[V];
    const bool with_stats = stats.active();
#pragma GCC unroll 64
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 8
        for (std::size_t j = 0; j < V; ++j) {
            const std::size_t count = j == V - 1 ? Last : lanes;
            const std::size_t col = col0 + j * lanes;
            const batch<T> out = ep(acc.v[i][j], RegisterSpan<T>{row0 + i, col, count});
            store_first(y + (row0 + i) * N + col, out, count);
            if (with_stats) sums[j].add(out);
        }
    if (with_stats)
#pragma GCC unroll 8
        for (std::size_t j = 0; j < V; ++j) sums[j].flush(stats, col0 + j * lanes, j == V - 1 ? Last : lanes);
}

/// One tile of C (=|+=) Σ_l A(l, ·)ᵀ B(l, ·) for the backward products (see multiply for A and B).
template <class T, std::size_t R, std::size_t V, std::size_t Last, std::size_t AI, std::size_t AL, std::size_t BL,
          std::size_t BLast, std::size_t LDC>
[[gnu::noinline]] void product_tile(std::size_t L, const T* a, const T* b, T* c, Update update) {
    Tile<T, R, V> acc;
    multiply<T, R, V, AI, AL, BL, BLast>(acc, L, a, b);
    store_tile<T, R, V, Last, LDC>(acc, c, update);
}

}  // namespace detail

/// Y[m×N] = epilogue(X[m×K]·Wᵀ) with W given packed (pack_weights<T, K, N>), optionally adding each
/// column's Σ and Σ² of the stored values into `stats`. The epilogue is called once per output register
/// as epilogue(batch<T> acc, RegisterSpan<T> at) and returns the register to store; lanes at and above
/// at.count are not stored. Y must not overlap X or the packed weights.
template <class T, std::size_t K, std::size_t N, class Epilogue = NoEpilogue>
void gemm_forward(std::size_t m, const T* x, const T* packed_w, T* y, Epilogue&& epilogue = {},
                  const ColumnStats<T>& stats = {}) {
    using L = PackedLayout<T, K, N>;
    detail::for_each_column_block<T, N>([&](auto v, auto last, std::size_t col0) {
        constexpr std::size_t V = decltype(v)::value;
        const T* panel = packed_w + L::panel_offset(col0 / L::panel_width);
        detail::for_each_row_tile<GemmGeometry<T>::tile_rows(V)>(m, [&](auto r, std::size_t row0) {
            detail::forward_tile<T, K, N, decltype(r)::value, V, decltype(last)::value>(row0, col0, x, panel, y,
                                                                                      epilogue, stats);
        });
    });
}

/// dX[m×K] = dY[m×N]·W with W as stored, (N, K) row-major; adds to dX instead when update is accumulate.
template <class T, std::size_t K, std::size_t N>
void gemm_input_gradient(std::size_t m, const T* dy, const T* w, T* dx, Update update = Update::overwrite) {
    // Tile rows = rows of dX, columns = k; the reduction runs over n along dY's rows and W's rows.
    detail::for_each_column_block<T, K>([&](auto v, auto last, std::size_t col0) {
        constexpr std::size_t V = decltype(v)::value;
        constexpr std::size_t Last = decltype(last)::value;
        detail::for_each_row_tile<GemmGeometry<T>::tile_rows(V)>(m, [&](auto r, std::size_t row0) {
            detail::product_tile<T, decltype(r)::value, V, Last, N, 1, K, Last, K>(N, dy + row0 * N, w + col0,
                                                                                  dx + row0 * K + col0, update);
        });
    });
}

/// dW[N×K] += dY[m×N]ᵀ·X[m×K], dW (N, K) row-major; overwrites instead when update is overwrite (with
/// m = 0 that writes zeros).
template <class T, std::size_t K, std::size_t N>
void gemm_weight_gradient(std::size_t m, const T* dy, const T* x, T* dw, Update update = Update::accumulate) {
    // Tile rows = outputs n, columns = inputs k; the reduction runs over the batch, down the columns of
    // dY (broadcast) and the rows of X.
    detail::for_each_column_block<T, K>([&](auto v, auto last, std::size_t col0) {
        constexpr std::size_t V = decltype(v)::value;
        constexpr std::size_t Last = decltype(last)::value;
        detail::for_each_row_tile<GemmGeometry<T>::tile_rows(V)>(N, [&](auto r, std::size_t n0) {
            detail::product_tile<T, decltype(r)::value, V, Last, 1, N, K, Last, K>(m, dy + n0, x + col0,
                                                                                  dw + n0 * K + col0, update);
        });
    });
}

/// As gemm_weight_gradient, with dW in PackedLayout<T, K, N> (the layout of pack_weights); the padding
/// columns stay zero.
template <class T, std::size_t K, std::size_t N>
void gemm_weight_gradient_packed(std::size_t m, const T* dy, const T* x, T* dw_packed,
                                 Update update = Update::accumulate) {
    using L = PackedLayout<T, K, N>;
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    // Panel p of dWᵀ is a (K × width) row-major block: rows k, columns the panel's outputs. Its padding
    // lanes are stored too (B reads them as 0), which keeps them at 0.
    detail::for_each_column_block<T, N>([&](auto v, auto last, std::size_t col0) {
        constexpr std::size_t V = decltype(v)::value;
        T* panel = dw_packed + L::panel_offset(col0 / L::panel_width);
        detail::for_each_row_tile<GemmGeometry<T>::tile_rows(V)>(K, [&](auto r, std::size_t k0) {
            detail::product_tile<T, decltype(r)::value, V, lanes, 1, K, N, decltype(last)::value, V * lanes>(
                m, x + k0, dy + col0, panel + k0 * V * lanes, update);
        });
    });
}

/// out[m×N] = f(in[m×N]) register by register, with f(batch<T> v, RegisterSpan<T> at) (the derivative of
/// the elementwise layers after a contraction, applied to dY once before the two backward products
/// read it K/panel_width times), adding each column's Σ and Σ² of the results into stats (Σ = the bias
/// gradient). out may equal in.
template <class T, std::size_t N, class F>
void map_rows(std::size_t m, const T* in, T* out, F&& f, const ColumnStats<T>& stats = {}) {
    constexpr std::size_t lanes = GemmGeometry<T>::lanes;
    constexpr std::size_t regs = (N + lanes - 1) / lanes;
    constexpr std::size_t last = N - (regs - 1) * lanes;
    // Column-major over registers so each column's sums stay in two registers for the whole batch.
    for (std::size_t j = 0; j < regs; ++j) {
        const std::size_t col = j * lanes;
        const std::size_t count = j == regs - 1 ? last : lanes;
        ColumnAccumulator<T> sums;
        for (std::size_t r = 0; r < m; ++r) {
            const RegisterSpan<T> at{r, col, count};
            const batch<T> v = f(at.load(in, N), at);
            detail::store_first(out + r * N + col, v, count);
            sums.add(v);
        }
        if (stats.active()) sums.flush(stats, col, count);
    }
}

}  // namespace typenet::simd
