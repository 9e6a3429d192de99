#pragma once
/// \file Per-column reductions that kernels accumulate while their values are still in registers.
#include <cstddef>

#include "typenet/simd/arch.hpp"
#include "typenet/simd/pack.hpp"

namespace typenet::simd {

/// Where a kernel adds, per output column c, Σ v and Σ v² over the rows it stores (BatchNorm's batch
/// statistics, a bias gradient). Either pointer may be null. The kernel adds: the caller zeroes first.
template <class T>
struct ColumnStats {
    T* sum = nullptr;
    T* sum_squares = nullptr;
    /// Per column, the mean and the sum of squared deviations (M2) of the rows stored so far, in double,
    /// merged tile by tile (Chan, Golub and LeVeque): BatchNorm's batch statistics without the
    /// cancellation of Σv² − (Σv)²/n when |mean| ≫ std. Rows reach a column in order, so a tile at
    /// row0 merges into the moments of rows [0, row0). Both null or both set.
    double* mean = nullptr;
    double* m2 = nullptr;
    /// Rows of the same columns merged by earlier calls: a product run in chunks of rows (a convolution's
    /// pixels) passes the chunk's first row, so its tiles merge into the chunks before it.
    std::size_t first_row = 0;

    bool active() const { return sum != nullptr || sum_squares != nullptr; }
    bool moments() const { return mean != nullptr; }
};

/// Merges the moments of a tile of `rows` rows × `cols` columns (row-major, `ld` apart, first column
/// col0 of the matrix) into stats.mean / stats.m2, which hold those of the `before` rows above it.
template <class T>
void merge_tile_moments(const T* tile, std::size_t ld, std::size_t rows, std::size_t before, std::size_t col0,
                        std::size_t cols, const ColumnStats<T>& stats) {
    before += stats.first_row;
    const double n_tile = static_cast<double>(rows), n_before = static_cast<double>(before);
    const double n = n_before + n_tile;
    for (std::size_t c = 0; c < cols; ++c) {
        double sum = 0;
        for (std::size_t r = 0; r < rows; ++r) sum += static_cast<double>(tile[r * ld + c]);
        const double mean = sum / n_tile;
        double m2 = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            const double d = static_cast<double>(tile[r * ld + c]) - mean;
            m2 += d * d;
        }
        double& total_mean = stats.mean[col0 + c];
        double& total_m2 = stats.m2[col0 + c];
        if (before == 0) {
            total_mean = mean;
            total_m2 = m2;
        } else {
            const double delta = mean - total_mean;
            total_mean += delta * (n_tile / n);
            total_m2 += m2 + delta * delta * (n_before * n_tile / n);
        }
    }
}

/// Register-resident partial sums for one register's worth of columns, folded into memory once per tile
/// so the memory traffic is one load and store per tile, not per row.
template <class T>
struct ColumnAccumulator {
    batch<T> sum = batch<T>(T{0});
    batch<T> sum_squares = batch<T>(T{0});

    void add(const batch<T>& v) {
        sum += v;
        sum_squares = xsimd::fma(v, v, sum_squares);
    }

    /// Adds the partial sums of columns [col, col + count) into stats.
    void flush(const ColumnStats<T>& stats, std::size_t col, std::size_t count) const {
        if (stats.sum != nullptr)
            detail::store_first(stats.sum + col, detail::load_first(stats.sum + col, count) + sum, count);
        if (stats.sum_squares != nullptr)
            detail::store_first(stats.sum_squares + col,
                                detail::load_first(stats.sum_squares + col, count) + sum_squares, count);
    }
};

}  // namespace typenet::simd
