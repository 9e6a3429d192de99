#pragma once
/// \file What every preprocessor checks, and the per-feature statistics they share.
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/finite_check.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet::detail {

/// Throws unless `x` can give statistics: at least one row, one column, and only finite values.
inline void check_fit_input(const Matrix<float>& x, const std::string& who) {
    if (x.shape(0) == 0 || x.shape(1) == 0)
        throw error(who + "::fit: the data is empty (" + std::to_string(x.shape(0)) + "x" +
                    std::to_string(x.shape(1)) + ")");
    if (const std::size_t i = first_non_finite(x.data(), x.size()); i < x.size())
        throw error(who + "::fit: " + non_finite_in(x.data()[i], matrix_cell("x", i, x.shape(1))) +
                    "; statistics need finite data");
}

/// Throws unless the preprocessor was fitted and `x` has the feature count it was fitted on.
inline void check_apply_input(const Matrix<float>& x, bool fitted, std::size_t features, const std::string& who) {
    if (!fitted) throw error(who + ": not fitted: call fit(train.x) first, on the training split only");
    if (x.shape(1) != features)
        throw shape_error(who + ": x has " + std::to_string(x.shape(1)) + " features, but fit saw " +
                          std::to_string(features));
}

/// Mean of every column, accumulated in double row by row (a fixed order: the same bits every run).
inline std::vector<double> column_means(const Matrix<float>& x) {
    const std::size_t rows = x.shape(0), cols = x.shape(1);
    std::vector<double> sum(cols, 0.0);
    const float* p = x.data();
    for (std::size_t r = 0; r < rows; ++r, p += cols)
        for (std::size_t c = 0; c < cols; ++c) sum[c] += p[c];
    for (double& s : sum) s /= static_cast<double>(rows);
    return sum;
}

/// Copies a vector of doubles into a float Vector.
inline Vector<float> to_float_vector(const std::vector<double>& v) {
    Vector<float> out = Vector<float>::from_shape({v.size()});
    for (std::size_t i = 0; i < v.size(); ++i) out(i) = static_cast<float>(v[i]);
    return out;
}

}  // namespace typenet::detail
