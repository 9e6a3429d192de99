#pragma once
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "typenet/core/random.hpp"

namespace typenet {

/// A weight initializer: fills a (fan_out, fan_in) weight matrix, row-major, from a random stream.
template <class I>
concept Initializer = requires(std::span<float> w, std::span<double> wd, const Philox& rng) {
    { I::name() } -> std::convertible_to<std::string>;
    I::fill(w, std::size_t{}, std::size_t{}, rng);
    I::fill(wd, std::size_t{}, std::size_t{}, rng);
};

namespace init_detail {

/// Element i ~ N(0, stddev²), drawn from block i of the stream.
template <class T>
void fill_normal(std::span<T> w, double stddev, const Philox& rng) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<T>(stddev * rng.normal(i));
}

/// Element i ~ U[-bound, bound), drawn from block i of the stream.
template <class T>
void fill_uniform(std::span<T> w, double bound, const Philox& rng) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<T>(bound * (2.0 * rng.uniform(i) - 1.0));
}

}  // namespace init_detail
}  // namespace typenet
