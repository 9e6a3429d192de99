#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"

namespace typenet {

/// Maps each feature's training range [min, max] linearly onto [lo, hi] (default [−1, 1]).
/// Other data can land outside [lo, hi]: values are not clipped. A feature constant in the training
/// data maps to the middle of the range, (lo + hi) / 2.
class MinMaxScale {
public:
    /// Target range [lo, hi]; throws typenet::error unless lo < hi (both finite).
    explicit MinMaxScale(float lo = -1.0f, float hi = 1.0f) : lo_(lo), hi_(hi) {
        if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
            throw error("MinMaxScale: the target range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                        "] needs lo < hi");
    }

    /// Learns every column's min and max (the training split only). Throws on empty or non-finite data.
    void fit(const Matrix<float>& x) {
        detail::check_fit_input(x, "MinMaxScale");
        const std::size_t cols = x.shape(1);
        min_ = Vector<float>::from_shape({cols});
        max_ = Vector<float>::from_shape({cols});
        std::copy(x.data(), x.data() + cols, min_.begin());
        std::copy(x.data(), x.data() + cols, max_.begin());
        const float* p = x.data();
        for (std::size_t r = 0; r < x.shape(0); ++r, p += cols)
            for (std::size_t c = 0; c < cols; ++c) {
                min_(c) = std::min(min_(c), p[c]);
                max_(c) = std::max(max_(c), p[c]);
            }
        // In double: max − min of floats can overflow float (−3e38 .. 3e38).
        scale_ = Vector<float>::from_shape({cols});
        for (std::size_t c = 0; c < cols; ++c) {
            const double range = static_cast<double>(max_(c)) - min_(c);
            scale_(c) = range == 0 ? 0.0f : static_cast<float>((static_cast<double>(hi_) - lo_) / range);
        }
    }

    /// x = lo + (x − min) · (hi − lo) / (max − min), in place.
    void apply(Matrix<float>& x) const {
        detail::check_apply_input(x, fitted(), min_.size(), "MinMaxScale::apply");
        const std::size_t cols = x.shape(1);
        const float mid = lo_ + (hi_ - lo_) / 2;
        float* p = x.data();
        for (std::size_t r = 0; r < x.shape(0); ++r, p += cols)
            for (std::size_t c = 0; c < cols; ++c) p[c] = scale_(c) == 0 ? mid : lo_ + (p[c] - min_(c)) * scale_(c);
    }

    /// A scaled copy of `x`.
    Matrix<float> transform(const Matrix<float>& x) const {
        Matrix<float> out = x;
        apply(out);
        return out;
    }

    /// True once fit has run.
    bool fitted() const { return min_.size() != 0; }
    /// Per-feature minimum of the training data.
    const Vector<float>& min() const { return min_; }
    /// Per-feature maximum of the training data.
    const Vector<float>& max() const { return max_; }

private:
    float lo_, hi_;
    Vector<float> min_, max_, scale_;
};

}  // namespace typenet
