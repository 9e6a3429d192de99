#pragma once
/// \file The only include of xtensor-blas (BLAS and LAPACK): the symmetric eigendecomposition and the
/// matrix products of whitening and colour-PCA jitter.
#include <xtensor-blas/xlinalg.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet::detail {

/// Eigenpairs of a symmetric matrix, largest eigenvalue first; eigenvector j is column j of `vectors`.
struct SymmetricEigen {
    std::vector<double> values;
    Matrix<double> vectors;
};

/// Eigendecomposition of the symmetric matrix `a` (LAPACK dsyevd through xt::linalg::eigh).
/// LAPACK's signs are arbitrary, so each eigenvector is flipped to make its largest-magnitude component
/// positive: the same data gives the same components whatever BLAS/LAPACK build is installed.
inline SymmetricEigen symmetric_eigen(const Matrix<double>& a, const std::string& who) {
    SymmetricEigen out;
    try {
        auto [w, v] = xt::linalg::eigh(a);
        const std::size_t n = w.size();
        out.values.resize(n);
        out.vectors = Matrix<double>::from_shape({n, n});
        for (std::size_t j = 0; j < n; ++j) {
            const std::size_t src = n - 1 - j;  // eigh sorts ascending
            out.values[j] = w(src);
            std::size_t biggest = 0;
            for (std::size_t i = 1; i < n; ++i)
                if (std::abs(v(i, src)) > std::abs(v(biggest, src))) biggest = i;
            const double sign = v(biggest, src) < 0 ? -1.0 : 1.0;
            for (std::size_t i = 0; i < n; ++i) out.vectors(i, j) = sign * v(i, src);
        }
    } catch (const std::exception& e) {
        throw error(who + ": eigendecomposition failed: " + e.what());
    }
    return out;
}

/// sum += blockᵀ·block (BLAS dgemm): one step of accumulating a covariance matrix.
inline void add_gram(Matrix<double>& sum, const Matrix<double>& block) {
    xt::blas::gemm(block, block, sum, true, false, 1.0, 1.0);
}

/// a·b (BLAS sgemm).
inline Matrix<float> matmul(const Matrix<float>& a, const Matrix<float>& b) {
    Matrix<float> out = Matrix<float>::from_shape({a.shape(0), b.shape(1)});
    if (out.size() == 0) return out;
    if (a.shape(1) == 0) {
        out.fill(0.0f);
        return out;
    }
    xt::blas::gemm(a, b, out, false, false, 1.0f, 0.0f);
    return out;
}

}  // namespace typenet::detail
