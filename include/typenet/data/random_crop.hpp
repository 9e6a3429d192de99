#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/image_shape.hpp"

namespace typenet {

/// Pads each image with `padding` zeros on every side, then crops it back to its size at a random
/// offset (dy, dx) ∈ [0, 2·padding]²: a random shift of up to `padding` pixels, zeros shifted in.
/// `RandomCrop crop{.image = {28, 28, 1}, .padding = 4}; crop.apply(batch, Seed{1}, epoch);`
/// The offset of a sample depends only on (seed, step, sample id, stream).
struct RandomCrop {
    ImageShape image;
    std::size_t padding = 4;
    /// Philox stream: give two RandomCrops in one pipeline different streams.
    std::uint32_t stream = 1;

    /// The (dy, dx) offset into the padded image for a sample; (padding, padding) is no shift.
    std::pair<std::size_t, std::size_t> offsets(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        const Philox::block b = Philox(seed, RandomPurpose::augment, stream, step)(sample);
        return offsets_from(b);
    }

    /// out = the image `in` padded, cropped at (dy, dx) ∈ [0, 2·padding]². `in` and `out` must not overlap.
    void crop(std::span<const float> in, std::span<float> out, std::size_t dy, std::size_t dx) const {
        const std::size_t h = image.height, w = image.width, p = padding;
        for (std::size_t c = 0; c < image.channels; ++c)
            for (std::size_t y = 0; y < h; ++y) {
                const std::size_t sy = y + dy;  // row in the padded image
                for (std::size_t x = 0; x < w; ++x) {
                    const std::size_t sx = x + dx;
                    const bool inside = sy >= p && sy - p < h && sx >= p && sx - p < w;
                    out[image.index(y, x, c)] = inside ? in[image.index(sy - p, sx - p, c)] : 0.0f;
                }
            }
    }

    /// Crops every row of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Crops every row of `batch` in place; row r is sample `ids[r]` (e.g. after shuffling).
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "RandomCrop");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A cropped copy of `batch`.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

private:
    std::pair<std::size_t, std::size_t> offsets_from(const Philox::block& b) const {
        return {detail::uniform_below(b[0], 2 * padding + 1), detail::uniform_below(b[1], 2 * padding + 1)};
    }
    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        detail::check_images(batch, image, "RandomCrop");
        std::vector<float> copy(image.size());
        detail::for_each_image(batch, seed, stream, step, id, [&](std::span<float> row, const Philox& rng, std::uint64_t s) {
            const auto [dy, dx] = offsets_from(rng(s));
            std::copy(row.begin(), row.end(), copy.begin());
            crop(copy, row, dy, dx);
        });
    }
};

}  // namespace typenet
