#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet {

/// Samples and their class labels: x is (N, features), row-major; y holds N labels.
struct Dataset {
    Matrix<float> x;
    std::vector<int> y;

    /// Number of samples.
    std::size_t size() const { return x.shape(0); }
    /// Features per sample.
    std::size_t features() const { return x.dimension() == 2 ? x.shape(1) : 0; }

    /// Throws typenet::error unless there is one label per sample.
    void check(const std::string& where) const {
        if (y.size() != size())
            throw error(where + ": the dataset has " + std::to_string(size()) + " samples but " +
                        std::to_string(y.size()) + " labels");
    }
};

}  // namespace typenet
