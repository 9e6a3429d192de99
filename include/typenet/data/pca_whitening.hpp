#pragma once
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"
#include "typenet/data/whitening.hpp"

namespace typenet {

/// PCA whitening: x → (x − mean)·U·diag(1/√(λ + ε)), where U holds the eigenvectors of the training
/// data's covariance (population, divided by N), largest eigenvalue λ first. The output's features are
/// the principal components, uncorrelated with variance λ/(λ + ε) ≈ 1 on the training data.
/// `components` > 0 keeps only that many (dimensionality reduction: apply then changes x's width).
/// ε keeps components of tiny variance from being blown up into noise; with ε = 0 a component of zero
/// variance is mapped to 0 rather than divided by 0.
class PCAWhitening {
public:
    /// ε ≥ 0 is added to every eigenvalue; `components` = 0 keeps them all.
    explicit PCAWhitening(double epsilon = 1e-5, std::size_t components = 0)
        : epsilon_(epsilon), components_(components) {
        detail::check_epsilon(epsilon, "PCAWhitening");
    }

    /// Learns mean, eigenvectors and eigenvalues of the covariance of `x` (the training split only).
    /// Throws on empty or non-finite data, or more components than features.
    void fit(const Matrix<float>& x) {
        const std::size_t d = x.shape(1);
        if (components_ > d)
            throw error("PCAWhitening::fit: " + std::to_string(components_) + " components asked of data with " +
                        std::to_string(d) + " features");
        const detail::CovarianceEigen ce = detail::covariance_eigen(x, "PCAWhitening");
        const std::size_t k = components_ == 0 ? d : components_;
        eigenvalues_ = Vector<float>::from_shape({k});
        components_matrix_ = Matrix<float>::from_shape({d, k});
        transform_ = Matrix<float>::from_shape({d, k});
        for (std::size_t j = 0; j < k; ++j) {
            const double lambda = ce.eigen.values[j] + epsilon_;
            const double s = lambda > 0 ? 1.0 / std::sqrt(lambda) : 0.0;
            eigenvalues_(j) = static_cast<float>(ce.eigen.values[j]);
            for (std::size_t i = 0; i < d; ++i) {
                components_matrix_(i, j) = static_cast<float>(ce.eigen.vectors(i, j));
                transform_(i, j) = static_cast<float>(ce.eigen.vectors(i, j) * s);
            }
        }
        mean_ = detail::to_float_vector(ce.mean);
    }

    /// x ← whitened x (N, components), in place.
    void apply(Matrix<float>& x) const {
        detail::check_apply_input(x, fitted(), mean_.size(), "PCAWhitening::apply");
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
    /// Covariance eigenvalues kept, largest first.
    const Vector<float>& eigenvalues() const { return eigenvalues_; }
    /// (features, components): column j is principal direction j (sign: largest entry positive).
    const Matrix<float>& components() const { return components_matrix_; }
    /// The ε added to each eigenvalue.
    double epsilon() const { return epsilon_; }

private:
    double epsilon_;
    std::size_t components_;
    Vector<float> mean_, eigenvalues_;
    Matrix<float> components_matrix_, transform_;
};

}  // namespace typenet
