#pragma once
/// \file What PCA and ZCA whitening share: the covariance eigendecomposition and the blocked projection.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"
#include "typenet/detail/lapack.hpp"

namespace typenet::detail {

/// Rows per block when centring data for BLAS: bounds the temporary copy (a few MB) whatever N is.
inline constexpr std::size_t whitening_block_rows = 1024;

/// Mean and covariance eigenpairs (largest first) of the rows of x.
struct CovarianceEigen {
    std::vector<double> mean;
    SymmetricEigen eigen;
};

/// Population covariance (divided by N) of the rows of x, accumulated in double by BLAS, then its
/// eigendecomposition. Eigenvalues that rounding made slightly negative are set to 0.
inline CovarianceEigen covariance_eigen(const Matrix<float>& x, const std::string& who) {
    check_fit_input(x, who);
    const std::size_t rows = x.shape(0), cols = x.shape(1);
    CovarianceEigen out;
    out.mean = column_means(x);
    Matrix<double> cov = Matrix<double>::from_shape({cols, cols});
    cov.fill(0.0);
    for (std::size_t begin = 0; begin < rows; begin += whitening_block_rows) {
        const std::size_t n = std::min(whitening_block_rows, rows - begin);
        Matrix<double> block = Matrix<double>::from_shape({n, cols});
        const float* p = x.data() + begin * cols;
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t c = 0; c < cols; ++c) block(r, c) = p[r * cols + c] - out.mean[c];
        add_gram(cov, block);
    }
    cov /= static_cast<double>(rows);
    out.eigen = symmetric_eigen(cov, who + "::fit");
    for (double& v : out.eigen.values) v = std::max(v, 0.0);
    return out;
}

/// x ← (x − mean)·w, block by block, so that the centred copy never holds all of x at once.
inline void project(Matrix<float>& x, const Vector<float>& mean, const Matrix<float>& w) {
    const std::size_t rows = x.shape(0), cols = x.shape(1), out_cols = w.shape(1);
    Matrix<float> out = Matrix<float>::from_shape({rows, out_cols});
    for (std::size_t begin = 0; begin < rows; begin += whitening_block_rows) {
        const std::size_t n = std::min(whitening_block_rows, rows - begin);
        Matrix<float> block = Matrix<float>::from_shape({n, cols});
        const float* p = x.data() + begin * cols;
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t c = 0; c < cols; ++c) block(r, c) = p[r * cols + c] - mean(c);
        const Matrix<float> y = matmul(block, w);
        std::copy(y.begin(), y.end(), out.data() + begin * out_cols);
    }
    x = std::move(out);
}

/// Throws unless epsilon is finite and ≥ 0.
inline void check_epsilon(double epsilon, const std::string& who) {
    if (!(std::isfinite(epsilon) && epsilon >= 0))
        throw error(who + ": epsilon must be finite and >= 0, got " + std::to_string(epsilon));
}

}  // namespace typenet::detail
