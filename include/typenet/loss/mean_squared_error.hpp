#pragma once
#include <array>
#include <cstddef>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/loss/labels.hpp"
#include "typenet/loss/targets.hpp"

namespace typenet {

/// Mean over all elements (batch × outputs) of (output − target)², as PyTorch's nn.MSELoss
/// (reduction "mean"). Targets: a (batch, outputs) matrix (a RegressionDataset's rows in fit()), or
/// with several outputs class labels, read as one-hot rows. Class labels on a one-output network are
/// a compile error (check_one_output_real_targets): they would be read as 0/1 targets, silently.
struct MeanSquaredError {
    template <class T, std::size_t N, class Targets>
        requires TargetMatrix<Targets> || ClassLabels<Targets>
    T evaluate(BatchView<const T, N> outputs, const Targets& targets, BatchView<T, N> gradient) const {
        if constexpr (refuses_targets<MeanSquaredError, Targets, N>) {
            (void)diagnostics::check_one_output_real_targets<MeanSquaredError, Targets>{};
            return T{};
        } else {
            return evaluate_targets(outputs, targets, gradient);
        }
    }

    /// The loss of all-zero outputs against one-hot targets.
    double chance_loss(std::size_t outputs) const { return outputs == 1 ? 0.5 : 1.0 / static_cast<double>(outputs); }

private:
    template <class T, std::size_t N, class Targets>
    T evaluate_targets(BatchView<const T, N> outputs, const Targets& targets, BatchView<T, N> gradient) const {
        const loss_detail::target_reader<T, N, Targets> read{targets, "MeanSquaredError"};
        read.check(outputs.rows);
        const double count = static_cast<double>(outputs.rows) * static_cast<double>(N);
        const T scale = static_cast<T>(2.0 / count);
        std::array<T, N> t;
        double total = 0;
        for (std::size_t r = 0; r < outputs.rows; ++r) {
            loss_detail::check_finite_row(outputs, r, "MeanSquaredError");
            read.row(r, t.data());
            const T* y = outputs.row(r);
            T* g = gradient.row(r);
            for (std::size_t c = 0; c < N; ++c) {
                const T d = y[c] - t[c];
                total += static_cast<double>(d) * static_cast<double>(d);
                g[c] = scale * d;
            }
        }
        return static_cast<T>(total / count);
    }
};

/// Class labels on one output: they would be read as 0/1 targets.
template <ClassLabels L>
inline constexpr bool refuses_targets<MeanSquaredError, L, 1> = true;

}  // namespace typenet
