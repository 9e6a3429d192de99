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

    bool active() const { return sum != nullptr || sum_squares != nullptr; }
};

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
