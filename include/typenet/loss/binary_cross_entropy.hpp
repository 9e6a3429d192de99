#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>

#include "typenet/core/batch_view.hpp"
#include "typenet/loss/labels.hpp"
#include "typenet/loss/targets.hpp"

namespace typenet {

/// Binary cross-entropy on logits, as PyTorch's nn.BCEWithLogitsLoss: mean over all elements of
/// max(z, 0) − z·t + log1p(e^−|z|), which never exponentiates a positive number, so logits of ±1e4
/// give a finite loss. Gradient: (σ(z) − t) / (batch × outputs). Targets: a (batch, outputs) matrix
/// of probabilities in [0, 1] (multi-label), or class labels: with one output, 0 or 1; with several,
/// one-hot rows (one-vs-rest).
struct BinaryCrossEntropy {
    template <class T, std::size_t N, class Targets>
        requires TargetMatrix<Targets> || ClassLabels<Targets>
    T evaluate(BatchView<const T, N> logits, const Targets& targets, BatchView<T, N> gradient) const {
        const loss_detail::target_reader<T, N, Targets> read{targets, "BinaryCrossEntropy"};
        read.check(logits.rows);
        const double count = static_cast<double>(logits.rows) * static_cast<double>(N);
        const T scale = static_cast<T>(1.0 / count);
        std::array<T, N> t;
        double total = 0;
        for (std::size_t r = 0; r < logits.rows; ++r) {
            loss_detail::check_finite_row(logits, r, "BinaryCrossEntropy");
            read.row(r, t.data(), 0.0, 1.0);
            const T* z = logits.row(r);
            T* g = gradient.row(r);
            for (std::size_t c = 0; c < N; ++c) {
                const T e = std::exp(-std::abs(z[c]));  // in (0, 1]: no overflow
                total += static_cast<double>(std::max(z[c], T(0)) - z[c] * t[c] + std::log1p(e));
                const T sigmoid = z[c] >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
                g[c] = scale * (sigmoid - t[c]);
            }
        }
        return static_cast<T>(total / count);
    }

    /// The loss of all-zero logits (probability ½ everywhere): ln 2.
    double chance_loss(std::size_t) const { return std::numbers::ln2; }
};

}  // namespace typenet
