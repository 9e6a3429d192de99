#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"

namespace typenet {

/// Scales features to zero mean and unit variance with statistics from the training data:
/// `typenet::Standardize s; s.fit(tr.x); s.apply(tr.x); s.apply(te.x);`.
/// The standard deviation is the population one (divide by N), so standardized training columns have
/// mean 0 and standard deviation 1 exactly as NumPy's std() measures it. A feature that is constant
/// in the training data gets std = 1 (it is only centred, never divided by 0: no NaN).
class Standardize {
public:
    /// Per-feature statistics (the default), or one mean and std over every value (e.g. all pixels).
    enum class Scope { per_feature, global };
    /// One mean and std for the whole matrix: `Standardize s{Standardize::global};`.
    static constexpr Scope per_feature = Scope::per_feature;
    /// One mean and std for the whole matrix: `Standardize s{Standardize::global};`.
    static constexpr Scope global = Scope::global;

    /// Per-feature (default) or global statistics.
    explicit Standardize(Scope scope = Scope::per_feature) : scope_(scope) {}

    /// Learns mean and std of `x` (the training split only). Throws on empty or non-finite data.
    void fit(const Matrix<float>& x) {
        detail::check_fit_input(x, "Standardize");
        const std::size_t rows = x.shape(0), cols = x.shape(1);
        std::vector<double> mean = detail::column_means(x);
        // Constant columns are found exactly (max == min), not by a variance threshold that rounding
        // could cross either way.
        std::vector<float> lo(x.data(), x.data() + cols), hi = lo;
        std::vector<double> sq(cols, 0.0);
        if (scope_ == Scope::global) {
            double m = 0;
            for (double v : mean) m += v;
            m /= static_cast<double>(cols);
            std::fill(mean.begin(), mean.end(), m);
        }
        const float* p = x.data();
        for (std::size_t r = 0; r < rows; ++r, p += cols)
            for (std::size_t c = 0; c < cols; ++c) {
                const double d = p[c] - mean[c];
                sq[c] += d * d;
                lo[c] = std::min(lo[c], p[c]);
                hi[c] = std::max(hi[c], p[c]);
            }
        std::vector<double> stddev(cols);
        if (scope_ == Scope::global) {
            double total = 0;
            for (double s : sq) total += s;
            const bool constant = *std::min_element(lo.begin(), lo.end()) == *std::max_element(hi.begin(), hi.end());
            const double sd = constant ? 1.0 : std::sqrt(total / static_cast<double>(rows * cols));
            std::fill(stddev.begin(), stddev.end(), sd);
        } else {
            for (std::size_t c = 0; c < cols; ++c)
                stddev[c] = lo[c] == hi[c] ? 1.0 : std::sqrt(sq[c] / static_cast<double>(rows));
        }
        mean_ = detail::to_float_vector(mean);
        std_ = detail::to_float_vector(stddev);
    }

    /// x = (x − mean) / std, in place, with the statistics of fit.
    void apply(Matrix<float>& x) const {
        detail::check_apply_input(x, fitted(), mean_.size(), "Standardize::apply");
        const std::size_t cols = x.shape(1);
        float* p = x.data();
        for (std::size_t r = 0; r < x.shape(0); ++r, p += cols)
            for (std::size_t c = 0; c < cols; ++c) p[c] = (p[c] - mean_(c)) / std_(c);
    }

    /// A standardized copy of `x`.
    Matrix<float> transform(const Matrix<float>& x) const {
        Matrix<float> out = x;
        apply(out);
        return out;
    }

    /// True once fit has run.
    bool fitted() const { return mean_.size() != 0; }
    /// Per-feature means (all equal in global scope).
    const Vector<float>& mean() const { return mean_; }
    /// Per-feature standard deviations (1 for constant features; all equal in global scope).
    const Vector<float>& stddev() const { return std_; }
    /// Per-feature or global.
    Scope scope() const { return scope_; }

private:
    Scope scope_;
    Vector<float> mean_;
    Vector<float> std_;
};

}  // namespace typenet
