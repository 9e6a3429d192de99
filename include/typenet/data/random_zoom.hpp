#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/image_shape.hpp"

namespace typenet {

/// Scales each image about its centre by a factor drawn uniformly from [min, max], resampled bilinearly
/// to its own size: a factor above 1 zooms in (the centre grows, the border is cut off), below 1 zooms
/// out (the image shrinks inside a border of zeros). `RandomZoom zoom{.image = {28, 28, 1}, .min = 0.9f,
/// .max = 1.1f};` The factor of a sample depends only on (seed, step, sample id, stream).
struct RandomZoom {
    ImageShape image;
    float min = 0.9f;
    float max = 1.1f;
    /// Philox stream: give two RandomZooms in one pipeline different streams.
    std::uint32_t stream = 3;

    /// The zoom factor of a sample.
    float factor(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        return factor_from(Philox(seed, RandomPurpose::augment, stream, step)(sample));
    }

    /// out = `in` zoomed by `scale` > 0 about the image centre; pixels that map outside the image are 0.
    /// `in` and `out` must not overlap.
    void zoom(std::span<const float> in, std::span<float> out, float scale) const {
        const std::size_t h = image.height, w = image.width;
        // Pixel centres at k + 0.5: output pixel k samples the input at (k + 0.5 − centre)/scale + centre − 0.5,
        // which is exactly k for scale 1 (so a factor of 1 is the identity, bit for bit).
        const double cy = static_cast<double>(h) / 2, cx = static_cast<double>(w) / 2;
        for (std::size_t y = 0; y < h; ++y) {
            const double sy = (static_cast<double>(y) + 0.5 - cy) / scale + cy - 0.5;
            for (std::size_t x = 0; x < w; ++x) {
                const double sx = (static_cast<double>(x) + 0.5 - cx) / scale + cx - 0.5;
                for (std::size_t c = 0; c < image.channels; ++c)
                    out[image.index(y, x, c)] = static_cast<float>(detail::bilinear_at(in, image, c, sy, sx));
            }
        }
    }

    /// Zooms every row of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Zooms every row of `batch` in place; row r is sample `ids[r]`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "RandomZoom");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A zoomed copy of `batch`.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

private:
    float factor_from(const Philox::block& b) const { return min + (max - min) * Philox::to_unit_float(b[0]); }
    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        detail::check_images(batch, image, "RandomZoom");
        if (!(std::isfinite(min) && std::isfinite(max) && min > 0 && min <= max))
            throw error("RandomZoom: needs 0 < min <= max, got min " + std::to_string(min) + ", max " +
                        std::to_string(max));
        std::vector<float> copy(image.size());
        detail::for_each_image(batch, seed, stream, step, id, [&](std::span<float> row, const Philox& rng, std::uint64_t s) {
            std::copy(row.begin(), row.end(), copy.begin());
            zoom(copy, row, factor_from(rng(s)));
        });
    }
};

}  // namespace typenet
