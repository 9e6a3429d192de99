#pragma once
#include <cstddef>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/loss/labels.hpp"
#include "typenet/loss/targets.hpp"

namespace typenet {

/// Multiclass hinge (Weston–Watkins SVM) loss: mean over the batch of Σ_{j≠y} max(0, s_j − s_y + margin).
/// The sum over classes is not divided by the class count (as in CS231n's SVM loss), so the loss
/// and its gradient do not shrink as classes are added; `divide_by_classes = true` gives PyTorch's
/// nn.MultiMarginLoss (p = 1) exactly. A term at exactly zero has subgradient 0, as in PyTorch.
struct MulticlassHinge {
    double margin = 1.0;
    bool divide_by_classes = false;

    /// The checks evaluate() makes on the labels, which train_step makes before it changes anything.
    template <ClassLabels Labels>
    void validate_targets(const Labels& labels, std::size_t batch, std::size_t classes) const {
        loss_detail::check_label_count(labels, batch, "MulticlassHinge");
        for (std::size_t r = 0; r < batch; ++r) loss_detail::checked_label(labels, r, classes, "MulticlassHinge");
    }

    /// Labels that are not integers (std::vector<float>, ...), or real-valued targets (a
    /// RegressionDataset's, a float matrix): one compile-time error naming what the loss takes.
    template <class T, std::size_t N, class Labels>
        requires(NonIntegerLabels<Labels> || refuses_targets<MulticlassHinge, Labels, N>)
    T evaluate(BatchView<const T, N>, const Labels&, BatchView<T, N>) const {
        if constexpr (refuses_targets<MulticlassHinge, Labels, N>) {
            (void)diagnostics::check_loss_takes_class_labels<MulticlassHinge, Labels>{};
            return T{};
        } else {
            return loss_detail::reject_labels<MulticlassHinge, Labels, T>();
        }
    }

    template <class T, std::size_t N, ClassLabels Labels>
    T evaluate(BatchView<const T, N> scores, const Labels& labels, BatchView<T, N> gradient) const {
        static_assert(N >= 2, "typenet::MulticlassHinge: needs at least two outputs");
        loss_detail::check_label_count(labels, scores.rows, "MulticlassHinge");
        const double per_sample = divide_by_classes ? static_cast<double>(N) : 1.0;
        const T scale = static_cast<T>(1.0 / (static_cast<double>(scores.rows) * per_sample));
        const T m = static_cast<T>(margin);
        double total = 0;
        for (std::size_t r = 0; r < scores.rows; ++r) {
            const std::size_t y = loss_detail::checked_label(labels, r, N, "MulticlassHinge");
            loss_detail::check_finite_row(scores, r, "MulticlassHinge");
            const T* s = scores.row(r);
            T* g = gradient.row(r);
            T gy = 0;
            for (std::size_t j = 0; j < N; ++j) {
                const T violation = j == y ? T(0) : s[j] - s[y] + m;
                if (violation > T(0)) {
                    total += static_cast<double>(violation);
                    g[j] = scale;
                    gy -= scale;
                } else {
                    g[j] = T(0);
                }
            }
            g[y] = gy;
        }
        return static_cast<T>(total / (static_cast<double>(scores.rows) * per_sample));
    }

    /// The loss of a network whose outputs are all equal (as at a small initialization).
    double chance_loss(std::size_t classes) const {
        const double k = static_cast<double>(classes);
        return margin * (k - 1) / (divide_by_classes ? k : 1.0);
    }
};

/// Real-valued targets: a margin between classes needs classes.
template <TargetMatrix M, std::size_t N>
inline constexpr bool refuses_targets<MulticlassHinge, M, N> = true;

}  // namespace typenet
