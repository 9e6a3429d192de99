#pragma once
#include <cstddef>
#include <string>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet {

/// Samples and their real-valued targets, for regression: x is (N, features), y is (N, outputs),
/// both row-major. fit() and evaluate() take it wherever they take a Dataset, with a loss that reads
/// float targets (MeanSquaredError, BinaryCrossEntropy).
struct RegressionDataset {
    Matrix<float> x;
    Matrix<float> y;

    /// Number of samples.
    std::size_t size() const { return x.shape(0); }
    /// Features per sample.
    std::size_t features() const { return x.dimension() == 2 ? x.shape(1) : 0; }
    /// Targets per sample.
    std::size_t outputs() const { return y.dimension() == 2 ? y.shape(1) : 0; }

    /// Throws typenet::error unless there is one row of targets per sample.
    void check(const std::string& where) const {
        if (y.shape(0) != size())
            throw error(where + ": the dataset has " + std::to_string(size()) + " samples but " +
                        std::to_string(y.shape(0)) + " rows of targets");
    }
};

}  // namespace typenet
