#pragma once
/// \file How images are laid out in the rows of a batch, and what every augmentation shares.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet {

/// The layout of the images stored one per row of a batch: height × width × channels, channels last
/// (HWC, as in Keras and the IDX files) unless `channels_first` (CHW, as in PyTorch and CIFAR's files).
struct ImageShape {
    std::size_t height = 0;
    std::size_t width = 0;
    std::size_t channels = 1;
    bool channels_first = false;

    /// The layout of a network's input rows for its image shape `Shape<C, H, W>`: PyTorch's (C, H, W),
    /// channels first, whatever the network does inside. `RandomCrop{.image = ImageShape::of<Net::input_shape>()}`.
    template <class S>
    static constexpr ImageShape of() {
        static_assert(S::rank == 3, "typenet::ImageShape::of<S>: S must be an image shape Shape<C, H, W>");
        return {S::dims[1], S::dims[2], S::dims[0], true};
    }

    /// Values per image.
    constexpr std::size_t size() const { return height * width * channels; }
    /// Index of pixel (y, x), channel c, within a row.
    constexpr std::size_t index(std::size_t y, std::size_t x, std::size_t c) const {
        return channels_first ? (c * height + y) * width + x : (y * width + x) * channels + c;
    }
    /// "28x28x1".
    std::string str() const {
        return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels) +
               (channels_first ? " (channels first)" : "");
    }
};

namespace detail {

/// Throws unless the image shape is non-empty and the batch's rows hold exactly one such image.
inline void check_images(const Matrix<float>& batch, const ImageShape& image, const std::string& who) {
    if (image.size() == 0) throw error(who + ": the image shape " + image.str() + " is empty; set .image");
    if (batch.shape(1) != image.size())
        throw shape_error(who + ": rows of " + std::to_string(batch.shape(1)) + " values do not hold " + image.str() +
                          " images (" + std::to_string(image.size()) + " values)");
}

/// Runs `augment_row(row, random_block, sample_id)` on every row of `batch`, where the random block is
/// Philox(seed, augment, stream, step)(sample_id) and sample_id is `id(r)`: the randomness of a sample
/// depends on which sample it is and on the step (epoch), never on its position in the batch.
template <class Id, class F>
void for_each_image(Matrix<float>& batch, Seed seed, std::uint32_t stream, std::uint64_t step, Id id, F&& augment_row) {
    const Philox rng(seed, RandomPurpose::augment, stream, step);
    const std::size_t cols = batch.shape(1);
    for (std::size_t r = 0; r < batch.shape(0); ++r) {
        const std::uint64_t sample = id(r);
        augment_row(std::span<float>(batch.data() + r * cols, cols), rng, sample);
    }
}

/// Throws unless there is one sample id per row.
inline void check_ids(const Matrix<float>& batch, std::span<const std::uint64_t> ids, const std::string& who) {
    if (ids.size() != batch.shape(0))
        throw shape_error(who + ": " + std::to_string(ids.size()) + " sample ids for a batch of " +
                          std::to_string(batch.shape(0)) + " rows");
}

/// Channel c of `in` at the real position (sy, sx), bilinear between the four pixels around it, with
/// 0 outside the image; exactly the pixel's value when sy and sx are whole numbers (no term of weight
/// 0 is added, so a neighbour outside the image does not matter then).
inline double bilinear_at(std::span<const float> in, const ImageShape& image, std::size_t c, double sy, double sx) {
    const auto pixel = [&](long y, long x) {
        if (y < 0 || x < 0 || y >= static_cast<long>(image.height) || x >= static_cast<long>(image.width)) return 0.0;
        return static_cast<double>(in[image.index(static_cast<std::size_t>(y), static_cast<std::size_t>(x), c)]);
    };
    const double fy0 = std::floor(sy), fx0 = std::floor(sx);
    const double ty = sy - fy0, tx = sx - fx0;
    const auto y0 = static_cast<long>(fy0), x0 = static_cast<long>(fx0);
    const double top = pixel(y0, x0) * (1 - tx) + (tx == 0 ? 0.0 : pixel(y0, x0 + 1) * tx);
    const double bottom = ty == 0 ? 0.0 : pixel(y0 + 1, x0) * (1 - tx) + (tx == 0 ? 0.0 : pixel(y0 + 1, x0 + 1) * tx);
    return top * (1 - ty) + bottom * ty;
}

/// A uniform integer in [0, n) from one 32-bit word (multiply-shift; bias below n / 2³²).
constexpr std::size_t uniform_below(std::uint32_t word, std::size_t n) {
    return static_cast<std::size_t>((std::uint64_t{word} * n) >> 32);
}

}  // namespace detail

}  // namespace typenet
