#pragma once
#include <cstddef>

#include "typenet/core/tensor.hpp"
#include "typenet/data/preprocess_checks.hpp"

namespace typenet {

/// Subtracts the per-feature mean of the training data: `m.fit(train.x); m.apply(train.x); m.apply(test.x);`.
/// apply before fit, or data with another feature count, throws typenet::error.
class MeanSubtraction {
public:
    /// Learns the mean of every column of `x` (the training split only). Throws on empty or non-finite data.
    void fit(const Matrix<float>& x) {
        detail::check_fit_input(x, "MeanSubtraction");
        mean_ = detail::to_float_vector(detail::column_means(x));
    }

    /// x -= mean, row by row, in place.
    void apply(Matrix<float>& x) const {
        detail::check_apply_input(x, fitted(), mean_.size(), "MeanSubtraction::apply");
        const std::size_t cols = x.shape(1);
        float* p = x.data();
        for (std::size_t r = 0; r < x.shape(0); ++r, p += cols)
            for (std::size_t c = 0; c < cols; ++c) p[c] -= mean_(c);
    }

    /// A centred copy of `x`.
    Matrix<float> transform(const Matrix<float>& x) const {
        Matrix<float> out = x;
        apply(out);
        return out;
    }

    /// True once fit has run.
    bool fitted() const { return mean_.size() != 0; }
    /// The per-feature means learned by fit.
    const Vector<float>& mean() const { return mean_; }

private:
    Vector<float> mean_;
};

}  // namespace typenet
