#pragma once
#include <cstddef>

#include "typenet/simd/arch.hpp"
#include "typenet/simd/pack.hpp"

namespace typenet::simd {

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
    /// Stores the valid lanes of v to matrix[row][col + lane].
    void store(T* matrix, std::size_t ld, const batch<T>& v) const {
        detail::store_first(matrix + row * ld + col, v, count);
    }
};

}  // namespace typenet::simd
