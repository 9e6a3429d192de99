#pragma once
#include <cmath>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/error.hpp"
#include "typenet/loss/labels.hpp"
#include "typenet/loss/targets.hpp"

namespace typenet {

/// Mean over the batch of −log softmax(logits)[label], as PyTorch's nn.CrossEntropyLoss, through
/// log-sum-exp with the row maximum subtracted, so logits of ±1e4 give a finite loss and gradient.
/// Gradient: (softmax − target) / batch, where target is the one-hot label, or with
/// `label_smoothing = ε` (PyTorch's meaning) (1 − ε)·onehot + ε/K.
struct SoftmaxCrossEntropy {
    double label_smoothing = 0.0;

    /// The checks evaluate() makes on the labels, which train_step makes before it changes anything.
    template <ClassLabels Labels>
    void validate_targets(const Labels& labels, std::size_t batch, std::size_t classes) const {
        loss_detail::check_label_count(labels, batch, "SoftmaxCrossEntropy");
        for (std::size_t r = 0; r < batch; ++r) loss_detail::checked_label(labels, r, classes, "SoftmaxCrossEntropy");
    }

    /// Labels that are not integers (std::vector<float>, ...), or real-valued targets (a
    /// RegressionDataset's, a float matrix): one compile-time error naming what the loss takes.
    template <class T, std::size_t N, class Labels>
        requires(NonIntegerLabels<Labels> || refuses_targets<SoftmaxCrossEntropy, Labels, N>)
    T evaluate(BatchView<const T, N>, const Labels&, BatchView<T, N>) const {
        if constexpr (refuses_targets<SoftmaxCrossEntropy, Labels, N>) {
            (void)diagnostics::check_loss_takes_class_labels<SoftmaxCrossEntropy, Labels>{};
            return T{};
        } else {
            return loss_detail::reject_labels<SoftmaxCrossEntropy, Labels, T>();
        }
    }

    template <class T, std::size_t N, ClassLabels Labels>
    T evaluate(BatchView<const T, N> logits, const Labels& labels, BatchView<T, N> gradient) const {
        static_assert(N >= 2, "typenet::SoftmaxCrossEntropy: needs at least two outputs");
        loss_detail::check_label_count(labels, logits.rows, "SoftmaxCrossEntropy");
        if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
            throw error("SoftmaxCrossEntropy: label_smoothing is " + std::to_string(label_smoothing) +
                        ", it must be in [0, 1]");
        const double eps = label_smoothing, k = static_cast<double>(N);
        const T scale = T(1) / static_cast<T>(logits.rows);
        const T off = static_cast<T>(eps / k) * scale, on = static_cast<T>(1.0 - eps) * scale + off;
        double total = 0;
        for (std::size_t r = 0; r < logits.rows; ++r) {
            const std::size_t label = loss_detail::checked_label(labels, r, N, "SoftmaxCrossEntropy");
            loss_detail::check_finite_row(logits, r, "SoftmaxCrossEntropy");
            const T* z = logits.row(r);
            T* g = gradient.row(r);
            T max = z[0];
            for (std::size_t c = 1; c < N; ++c) max = z[c] > max ? z[c] : max;
            T sum = 0;
            for (std::size_t c = 0; c < N; ++c) sum += (g[c] = std::exp(z[c] - max));
            const T inv = T(1) / sum;
            for (std::size_t c = 0; c < N; ++c) g[c] = g[c] * inv * scale - off;
            g[label] -= on - off;
            // −log p_c = log Σ + max − z_c; the smoothed loss averages it over all classes with weight ε.
            const double log_sum = static_cast<double>(std::log(sum) + max);
            double row = log_sum - static_cast<double>(z[label]);
            if (eps != 0.0) {
                double mean_z = 0;
                for (std::size_t c = 0; c < N; ++c) mean_z += static_cast<double>(z[c]);
                row = (1.0 - eps) * row + eps * (log_sum - mean_z / k);
            }
            total += row;
        }
        return static_cast<T>(total / static_cast<double>(logits.rows));
    }

    /// The loss of a network whose logits are all equal: ln K (what a fresh network should show).
    double chance_loss(std::size_t classes) const { return std::log(static_cast<double>(classes)); }
};

/// Real-valued targets: a softmax scores classes.
template <TargetMatrix M, std::size_t N>
inline constexpr bool refuses_targets<SoftmaxCrossEntropy, M, N> = true;

}  // namespace typenet
