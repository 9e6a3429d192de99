#pragma once
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "typenet/core/random.hpp"

namespace typenet {

namespace train_detail {
/// ⌊a·b / 2⁶⁴⌋ without a 128-bit type (ISO C++ has none): maps a uniform 64-bit word to [0, b).
constexpr std::uint64_t multiply_high(std::uint64_t a, std::uint64_t b) {
    const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32, b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    const std::uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
    const std::uint64_t middle = (p0 >> 32) + (p1 & 0xFFFFFFFFu) + (p2 & 0xFFFFFFFFu);
    return p3 + (p1 >> 32) + (p2 >> 32) + (middle >> 32);
}
}  // namespace train_detail

/// Sets `order` to a permutation of 0..n−1 that is a pure function of (seed, epoch): Fisher–Yates
/// driven by Philox(seed, RandomPurpose::shuffle, epoch), starting from the identity every time, so
/// epoch e's order does not depend on earlier epochs (a resumed run sees the same batches).
/// Reuses `order`'s memory.
inline void shuffled_order(std::vector<std::size_t>& order, std::size_t n, std::uint64_t seed, std::uint64_t epoch) {
    order.resize(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const Philox rng(Seed{seed}, RandomPurpose::shuffle, 0, epoch);
    Philox::block block{};
    for (std::size_t i = n; i > 1; --i) {
        // One Philox block holds two 64-bit draws.
        const std::size_t draw = n - i;
        if (draw % 2 == 0) block = rng(draw / 2);
        const std::size_t h = (draw % 2) * 2;
        const std::uint64_t word = (std::uint64_t{block[h]} << 32) | block[h + 1];
        const auto j = static_cast<std::size_t>(train_detail::multiply_high(word, i));
        std::swap(order[i - 1], order[j]);
    }
}

}  // namespace typenet
