#pragma once
#include <cstddef>

namespace typenet {

/// A read-only window of `rows` consecutive rows of row-major real targets, `columns` wide: what
/// fit() and evaluate() hand a loss for a RegressionDataset, so a minibatch or an evaluation chunk
/// is read in place. Satisfies TargetMatrix (loss/targets.hpp).
template <class T>
struct TargetRows {
    const T* values = nullptr;
    std::size_t rows = 0, columns = 0;

    const T* data() const { return values; }
    std::size_t shape(std::size_t axis) const { return axis == 0 ? rows : columns; }
};

}  // namespace typenet
