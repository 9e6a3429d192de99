#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"

namespace typenet {

/// The two parts of train_validation_split.
struct TrainValidationSplit {
    Dataset train;
    Dataset validation;
};

namespace detail {

/// The Philox stream of train_validation_split: purpose `shuffle` like the epoch shuffles of training,
/// but its own "layer" number, so the split is never the same permutation as an epoch's order.
inline constexpr std::uint32_t split_stream = 0xDA7A;

/// A permutation of 0..n−1: Fisher-Yates driven by Philox(seed, shuffle, split_stream, 0), element i
/// drawn from counter i (53-bit uniforms: the bias of the scaling is below 2⁻³⁰ for any n < 2²³).
inline std::vector<std::size_t> split_permutation(std::size_t n, Seed seed) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const Philox rng(seed, RandomPurpose::shuffle, split_stream, 0);
    for (std::size_t i = n; i > 1; --i) {
        const auto j = std::min(static_cast<std::size_t>(rng.uniform(i) * static_cast<double>(i)), i - 1);
        std::swap(order[i - 1], order[j]);
    }
    return order;
}

inline Dataset take_rows(const Dataset& d, const std::vector<std::size_t>& rows) {
    const std::size_t cols = d.features();
    Dataset out;
    out.x = Matrix<float>::from_shape({rows.size(), cols});
    for (std::size_t r = 0; r < rows.size(); ++r)
        std::copy_n(d.x.data() + rows[r] * cols, cols, out.x.data() + r * cols);
    if (!d.y.empty()) {
        out.y.reserve(rows.size());
        for (const std::size_t r : rows) out.y.push_back(d.y[r]);
    }
    return out;
}

}  // namespace detail

/// Splits `data` at random into (train, validation), the validation part getting
/// round(validation_fraction · N) samples. The choice depends only on the seed (Philox counter-based
/// RNG), so the same seed gives the same split on every machine; each part keeps the original order
/// of its samples. Unlabelled data (empty y) is allowed. Throws typenet::error unless
/// 0 ≤ validation_fraction ≤ 1 and there is one label per sample (or none).
inline TrainValidationSplit train_validation_split(const Dataset& data, double validation_fraction, Seed seed) {
    if (!(validation_fraction >= 0.0 && validation_fraction <= 1.0))
        throw error("train_validation_split: validation_fraction must be in [0, 1], got " +
                    std::to_string(validation_fraction));
    if (!data.y.empty()) data.check("train_validation_split");
    const std::size_t n = data.size();
    const auto n_validation = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(n)));
    std::vector<std::size_t> order = detail::split_permutation(n, seed);
    std::vector<std::size_t> validation(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_validation));
    std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(n_validation), order.end());
    std::sort(validation.begin(), validation.end());
    std::sort(train.begin(), train.end());
    return {detail::take_rows(data, train), detail::take_rows(data, validation)};
}

}  // namespace typenet
