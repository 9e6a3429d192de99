#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"
#include "typenet/data/whitening.hpp"

namespace typenet {

/// ZCA whitening: x → (x − mean)·U·diag(1/√(λ + ε))·Uᵀ, with U, λ the eigenvectors and eigenvalues of
/// the training data's covariance (population, divided by N). Like PCA whitening it decorrelates the
/// features to unit variance (λ/(λ + ε) ≈ 1), but it rotates back to the original axes: of all
/// whitening transforms it is the one whose output stays closest to the centred input, so whitened
/// images still look like images (edges enhanced). With ε = 0 a zero-variance direction maps to 0.
class ZCAWhitening {
public:
    /// ε ≥ 0 is added to every eigenvalue.
    explicit ZCAWhitening(double epsilon = 1e-5) : epsilon_(epsilon) { detail::check_epsilon(epsilon, "ZCAWhitening"); }

    /// Learns the mean and the whitening matrix from `x` (the training split only). Throws on empty or
    /// non-finite data.
    void fit(const Matrix<float>& x) {
        const detail::CovarianceEigen ce = detail::covariance_eigen(x, "ZCAWhitening");
        const std::size_t d = x.shape(1);
        std::vector<double> s(d);
        for (std::size_t j = 0; j < d; ++j) {
            const double lambda = ce.eigen.values[j] + epsilon_;
            s[j] = lambda > 0 ? 1.0 / std::sqrt(lambda) : 0.0;
        }
        // W = U·diag(s)·Uᵀ, summed in double: symmetric by construction.
        Matrix<double> scaled = ce.eigen.vectors;
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = 0; j < d; ++j) scaled(i, j) *= s[j];
        Matrix<double> w = Matrix<double>::from_shape({d, d});
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t k = i; k < d; ++k) {
                double sum = 0;
                for (std::size_t j = 0; j < d; ++j) sum += scaled(i, j) * ce.eigen.vectors(k, j);
                w(i, k) = sum;
                w(k, i) = sum;
            }
        transform_ = Matrix<float>::from_shape({d, d});
        for (std::size_t i = 0; i < w.size(); ++i) transform_.data()[i] = static_cast<float>(w.data()[i]);
        mean_ = detail::to_float_vector(ce.mean);
        eigenvalues_ = detail::to_float_vector(ce.eigen.values);
    }

    /// x ← whitened x, in place (same width).
    void apply(Matrix<float>& x) const {
        detail::check_apply_input(x, fitted(), mean_.size(), "ZCAWhitening::apply");
        detail::project(x, mean_, transform_);
    }

    /// A whitened copy of `x`.
    Matrix<float> transform(const Matrix<float>& x) const {
        Matrix<float> out = x;
        apply(out);
        return out;
    }

    /// True once fit has run.
    bool fitted() const { return mean_.size() != 0; }
    /// Per-feature means of the training data.
    const Vector<float>& mean() const { return mean_; }
    /// Covariance eigenvalues, largest first.
    const Vector<float>& eigenvalues() const { return eigenvalues_; }
    /// The symmetric (features, features) whitening matrix W; apply computes (x − mean)·W.
    const Matrix<float>& matrix() const { return transform_; }
    /// The ε added to each eigenvalue.
    double epsilon() const { return epsilon_; }

private:
    double epsilon_;
    Vector<float> mean_, eigenvalues_;
    Matrix<float> transform_;
};

}  // namespace typenet
