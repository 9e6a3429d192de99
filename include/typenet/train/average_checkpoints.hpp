#pragma once
#include <cstddef>
#include <iterator>
#include <ranges>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// The element-wise mean of the parameters and running statistics of several networks of the same
/// type — checkpoint averaging (e.g. the last few epochs' snapshots, or fine-tuned copies of one
/// network). Summed in double. Meaningful for snapshots of one training run, not for independently
/// initialized networks (their hidden units do not correspond).
template <std::ranges::forward_range R>
std::ranges::range_value_t<R> average_checkpoints(const R& networks) {
    using Net = std::ranges::range_value_t<R>;
    using T = typename Net::scalar;
    const auto n = static_cast<std::size_t>(std::ranges::distance(networks));
    if (n == 0) throw error("average_checkpoints: no networks given");
    std::vector<double> p(Net::parameter_count, 0.0), b(Net::buffer_count, 0.0);
    for (const Net& net : networks) {
        for (std::size_t i = 0; i < p.size(); ++i) p[i] += static_cast<double>(net.parameters()[i]);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] += static_cast<double>(net.buffers()[i]);
    }
    Net out = *std::ranges::begin(networks);
    for (std::size_t i = 0; i < p.size(); ++i) out.parameters()[i] = static_cast<T>(p[i] / static_cast<double>(n));
    for (std::size_t i = 0; i < b.size(); ++i) out.buffers()[i] = static_cast<T>(b[i] / static_cast<double>(n));
    return out;
}

}  // namespace typenet
