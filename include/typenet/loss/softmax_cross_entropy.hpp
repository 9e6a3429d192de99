#pragma once
#include <cmath>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/loss/labels.hpp"

namespace typenet {

/// Mean over the batch of −log softmax(logits)[label], through log-sum-exp with the row maximum
/// subtracted, so logits of ±1e4 give a finite loss and gradient. Gradient: (softmax − onehot) / batch.
struct SoftmaxCrossEntropy {
    template <class T, std::size_t N, ClassLabels Labels>
    T evaluate(BatchView<const T, N> logits, const Labels& labels, BatchView<T, N> gradient) const {
        static_assert(N >= 2, "typenet::SoftmaxCrossEntropy: needs at least two outputs");
        loss_detail::check_label_count(labels, logits.rows, "SoftmaxCrossEntropy");
        double total = 0;
        const T scale = T(1) / static_cast<T>(logits.rows);
        for (std::size_t r = 0; r < logits.rows; ++r) {
            const std::size_t label = loss_detail::checked_label(labels, r, N, "SoftmaxCrossEntropy");
            const T* z = logits.row(r);
            T* g = gradient.row(r);
            T max = z[0];
            for (std::size_t c = 1; c < N; ++c) max = z[c] > max ? z[c] : max;
            if (!std::isfinite(max)) throw_not_finite(logits, r);
            T sum = 0;
            for (std::size_t c = 0; c < N; ++c) sum += (g[c] = std::exp(z[c] - max));
            if (!std::isfinite(sum)) throw_not_finite(logits, r);
            const T inv = T(1) / sum;
            for (std::size_t c = 0; c < N; ++c) g[c] *= inv * scale;
            g[label] -= scale;
            total += static_cast<double>(std::log(sum) + max - z[label]);
        }
        return static_cast<T>(total / static_cast<double>(logits.rows));
    }

private:
    template <class T, std::size_t N>
    [[noreturn]] static void throw_not_finite(BatchView<const T, N> logits, std::size_t r) {
        for (std::size_t c = 0; c < N; ++c)
            if (!std::isfinite(logits(r, c)))
                throw error("SoftmaxCrossEntropy: the network output is " + std::to_string(logits(r, c)) +
                            " at sample " + std::to_string(r) + ", output " + std::to_string(c) +
                            " (diverged? lower the learning rate, or check the input for NaN)");
        throw error("SoftmaxCrossEntropy: non-finite value at sample " + std::to_string(r));
    }
};

}  // namespace typenet
