#pragma once
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/finite_check.hpp"
#include "typenet/loss/labels.hpp"

namespace typenet {

/// Real-valued targets with the output's shape, row-major and contiguous: Matrix<float>,
/// Matrix<double> (xt::xtensor<T, 2>), or anything else with data() and shape(0), shape(1).
template <class M>
concept TargetMatrix = requires(const M& m) {
    { m.data() };
    { m.shape(0) } -> std::convertible_to<std::size_t>;
    { m.shape(1) } -> std::convertible_to<std::size_t>;
} && std::floating_point<std::remove_cvref_t<decltype(*std::declval<const M&>().data())>>;

/// True for a (loss, targets, outputs) combination that the loss rejects at compile time with a
/// diagnostic (core/diagnostics.hpp): each such loss specializes it and tests it in its evaluate().
/// fit() tests it before calling the loss, so that the diagnostic is the only error.
template <class Loss, class Targets, std::size_t Outputs>
inline constexpr bool refuses_targets = false;

namespace loss_detail {

/// Throws unless `targets` is (batch, width).
template <TargetMatrix M>
void check_target_shape(const M& targets, std::size_t batch, std::size_t width, const char* loss) {
    const auto rows = static_cast<std::size_t>(targets.shape(0)), cols = static_cast<std::size_t>(targets.shape(1));
    if (rows != batch || cols != width)
        throw shape_error(std::string(loss) + ": the targets are (" + std::to_string(rows) + ", " +
                          std::to_string(cols) + "), the network output is (" + std::to_string(batch) + ", " +
                          std::to_string(width) + ")");
}

/// Throws naming the first non-finite output of row r (a diverged network, or NaN in the input).
template <class T, std::size_t N>
void check_finite_row(BatchView<const T, N> outputs, std::size_t r, const char* loss) {
    for (std::size_t c = 0; c < N; ++c)
        if (!std::isfinite(outputs(r, c)))
            throw error(std::string(loss) + ": " +
                        detail::non_finite_in(outputs(r, c), detail::matrix_cell("the network output", r * N + c, N)) +
                        " (diverged? lower the learning rate, or check the input for NaN)");
}

/// Target (r, c) as T: from a target matrix, or the one-hot encoding of class labels (with one output,
/// the label itself, 0 or 1, is the target: BinaryCrossEntropy's binary classification;
/// MeanSquaredError refuses labels on one output at compile time).
template <class T, std::size_t N, class Targets>
struct target_reader;

template <class T, std::size_t N, TargetMatrix M>
struct target_reader<T, N, M> {
    const M& targets;
    const char* loss;
    void check(std::size_t batch) const { check_target_shape(targets, batch, N, loss); }
    /// The targets of row r, validated (finite; within [lo, hi] when lo < hi).
    void row(std::size_t r, T* out, double lo = 0, double hi = 0) const {
        const auto* t = targets.data() + r * N;
        for (std::size_t c = 0; c < N; ++c) {
            const double v = static_cast<double>(t[c]);
            if (!std::isfinite(v) || (lo < hi && (v < lo || v > hi)))
                throw error(std::string(loss) + ": target " + std::to_string(v) + " at sample " + std::to_string(r) +
                            ", output " + std::to_string(c) +
                            (lo < hi ? " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"
                                     : std::string(" is not finite")));
            out[c] = static_cast<T>(v);
        }
    }
};

template <class T, std::size_t N, ClassLabels L>
struct target_reader<T, N, L> {
    const L& labels;
    const char* loss;
    void check(std::size_t batch) const { check_label_count(labels, batch, loss); }
    void row(std::size_t r, T* out, double = 0, double = 0) const {
        if constexpr (N == 1) {
            // One output: the label is the target itself, so it must be 0 or 1.
            const auto label = labels.data()[r];
            if (label != 0 && label != 1)
                throw error(std::string(loss) + ": label " + std::to_string(label) + " at position " +
                            std::to_string(r) + " is not 0 or 1; a network with one output takes binary labels");
            out[0] = static_cast<T>(label);
        } else {
            const std::size_t label = checked_label(labels, r, N, loss);
            for (std::size_t c = 0; c < N; ++c) out[c] = T(0);
            out[label] = T(1);
        }
    }
};

}  // namespace loss_detail
}  // namespace typenet
