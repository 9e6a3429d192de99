#pragma once
/// \file The only use of BLAS and LAPACK: the symmetric eigendecomposition and the matrix products of
/// whitening and colour-PCA jitter. The three Fortran routines are declared here rather than through
/// xtensor-blas, whose headers cost about 1.5 s of every translation unit that includes typenet.hpp.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"

// Reference BLAS/LAPACK Fortran ABI (LP64: 32-bit integers, as Debian's libblas, libopenblas and
// liblapack use), with gfortran's hidden lengths of the character arguments last.
extern "C" {
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t jobz_len,
             std::size_t uplo_len);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t transa_len, std::size_t transb_len);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, std::size_t transa_len, std::size_t transb_len);
}

namespace typenet::detail {

/// A matrix extent as the int BLAS/LAPACK take, or an error naming the caller.
inline int blas_extent(std::size_t n, const std::string& who) {
    if (n > static_cast<std::size_t>(INT_MAX))
        throw error(who + ": a matrix extent of " + std::to_string(n) + " exceeds BLAS's 32-bit indices");
    return static_cast<int>(n);
}

/// Eigenpairs of a symmetric matrix, largest eigenvalue first; eigenvector j is column j of `vectors`.
struct SymmetricEigen {
    std::vector<double> values;
    Matrix<double> vectors;
};

/// Eigendecomposition of the symmetric matrix `a` (LAPACK dsyevd, divide and conquer).
/// LAPACK's signs are arbitrary, so each eigenvector is flipped to make its largest-magnitude component
/// positive: the same data gives the same components whatever BLAS/LAPACK build is installed.
inline SymmetricEigen symmetric_eigen(const Matrix<double>& a, const std::string& who) {
    const std::size_t n = a.shape(0);
    if (a.dimension() != 2 || a.shape(1) != n)
        throw error(who + ": eigendecomposition of a non-square matrix");
    SymmetricEigen out;
    out.vectors = Matrix<double>::from_shape({n, n});
    if (n == 0) return out;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isfinite(a.data()[i]))
            throw error(who + ": eigendecomposition failed: the matrix holds NaN or infinity");
    const int order = blas_extent(n, who);
    // Column-major is the transpose of row-major, and a symmetric matrix is its own transpose: the
    // row-major copy is what LAPACK reads, and what it writes back holds eigenvector j in row j.
    std::vector<double> v(a.data(), a.data() + a.size());
    std::vector<double> w(n);
    int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
    double work_size = 0;
    dsyevd_("V", "L", &order, v.data(), &order, w.data(), &work_size, &lwork, &iwork_size, &liwork, &info, 1, 1);
    if (info != 0) throw error(who + ": eigendecomposition failed: dsyevd's workspace query returned " + std::to_string(info));
    lwork = static_cast<int>(work_size);
    liwork = iwork_size;
    std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
    std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
    dsyevd_("V", "L", &order, v.data(), &order, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
    if (info != 0)
        throw error(who + ": eigendecomposition failed: dsyevd returned " + std::to_string(info) +
                    (info > 0 ? " (did not converge)" : " (invalid argument)"));
    out.values.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
        const std::size_t src = n - 1 - j;  // dsyevd sorts ascending
        const double* vector = v.data() + src * n;
        out.values[j] = w[src];
        std::size_t biggest = 0;
        for (std::size_t i = 1; i < n; ++i)
            if (std::abs(vector[i]) > std::abs(vector[biggest])) biggest = i;
        const double sign = vector[biggest] < 0 ? -1.0 : 1.0;
        for (std::size_t i = 0; i < n; ++i) out.vectors(i, j) = sign * vector[i];
    }
    return out;
}

/// sum += blockᵀ·block (BLAS dgemm): one step of accumulating a covariance matrix.
inline void add_gram(Matrix<double>& sum, const Matrix<double>& block) {
    const std::size_t rows = block.shape(0), cols = block.shape(1);
    if (rows == 0 || cols == 0) return;
    const int m = blas_extent(rows, "add_gram"), n = blas_extent(cols, "add_gram");
    const double one = 1.0;
    // Row-major block is column-major blockᵀ (n × m); blockᵀ·block is symmetric, so its layout is moot.
    dgemm_("N", "T", &n, &n, &m, &one, block.data(), &n, block.data(), &n, &one, sum.data(), &n, 1, 1);
}

/// a·b (BLAS sgemm).
inline Matrix<float> matmul(const Matrix<float>& a, const Matrix<float>& b) {
    Matrix<float> out = Matrix<float>::from_shape({a.shape(0), b.shape(1)});
    if (out.size() == 0) return out;
    if (a.shape(1) == 0) {
        out.fill(0.0f);
        return out;
    }
    const int m = blas_extent(a.shape(0), "matmul"), n = blas_extent(b.shape(1), "matmul"),
              k = blas_extent(a.shape(1), "matmul");
    const float one = 1.0f, zero = 0.0f;
    // Row-major out = a·b is column-major outᵀ = bᵀ·aᵀ, and row-major a, b are column-major aᵀ, bᵀ.
    sgemm_("N", "N", &n, &m, &k, &one, b.data(), &n, a.data(), &k, &zero, out.data(), &n, 1, 1);
    return out;
}

}  // namespace typenet::detail
