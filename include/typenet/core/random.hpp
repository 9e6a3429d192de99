#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace typenet {

/// The seed of everything random in typenet: initialization, dropout masks, shuffling, augmentation.
struct Seed {
    std::uint64_t value = 0;
};

/// What a stream of random numbers is used for; part of the counter so streams never overlap.
enum class RandomPurpose : std::uint32_t { initialize = 1, dropout = 2, shuffle = 3, augment = 4, user = 5 };

/// Counter-based generator (Philox4x32-10, Salmon et al. 2011): the numbers of a stream are a pure
/// function of (seed, purpose, layer, step, index), so a dropout mask can be regenerated in backward
/// instead of stored, and results do not depend on the order in which threads draw them.
class Philox {
public:
    using block = std::array<std::uint32_t, 4>;

    constexpr Philox(Seed seed, RandomPurpose purpose, std::uint32_t layer, std::uint64_t step)
        : key_{static_cast<std::uint32_t>(seed.value), static_cast<std::uint32_t>(seed.value >> 32)},
          stream_{static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32) ^ (layer << 8) ^
                                                         (static_cast<std::uint32_t>(purpose) << 28)} {}

    /// Four independent 32-bit words for block `index` of the stream.
    constexpr block operator()(std::uint64_t index) const {
        block ctr{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), stream_[0], stream_[1]};
        std::array<std::uint32_t, 2> key = key_;
        for (int round = 0; round < 10; ++round) {
            const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * ctr[0];
            const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * ctr[2];
            ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
                   static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
            key[0] += 0x9E3779B9u;
            key[1] += 0xBB67AE85u;
        }
        return ctr;
    }

    /// Uniform in [0, 1) with 24 random bits (exact in float), from one 32-bit word.
    static constexpr float to_unit_float(std::uint32_t word) { return static_cast<float>(word >> 8) * 0x1p-24f; }
    /// Uniform in [0, 1) with 53 random bits, from two words.
    static constexpr double to_unit_double(std::uint32_t hi, std::uint32_t lo) {
        return static_cast<double>(((std::uint64_t{hi} << 32) | lo) >> 11) * 0x1p-53;
    }

    /// Uniform in [0, 1), element `index` of the stream.
    double uniform(std::uint64_t index) const {
        const block b = (*this)(index);
        return to_unit_double(b[0], b[1]);
    }

    /// Standard normal, element `index` of the stream (Box-Muller on one block).
    double normal(std::uint64_t index) const {
        const block b = (*this)(index);
        const double u1 = 1.0 - to_unit_double(b[0], b[1]);  // (0, 1]: log is finite
        const double u2 = to_unit_double(b[2], b[3]);
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }

private:
    std::array<std::uint32_t, 2> key_;
    std::array<std::uint32_t, 2> stream_;
};

/// The 32-bit threshold of a drop decision with probability p: a uniform word w is dropped when
/// w < ⌈p·2³²⌉ (p·2³² is an exact double; p = 0 drops nothing, p = 1 everything).
constexpr std::uint64_t drop_threshold(double p) {
    const double t = p * 4294967296.0;
    const auto floor = static_cast<std::uint64_t>(t);
    return static_cast<double>(floor) < t ? floor + 1 : floor;
}

}  // namespace typenet
