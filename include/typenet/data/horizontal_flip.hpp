#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/image_shape.hpp"

namespace typenet {

/// Mirrors each image left-right with the given probability (channels stay in place).
/// `HorizontalFlip flip{.image = {28, 28, 1}}; flip.apply(batch, Seed{1}, epoch);`
/// Whether a sample is flipped depends only on (seed, step, sample id, stream).
struct HorizontalFlip {
    ImageShape image;
    double probability = 0.5;
    /// Philox stream: give two HorizontalFlips in one pipeline different streams.
    std::uint32_t stream = 2;

    /// Whether the sample is flipped.
    bool flips(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        return flips_from(Philox(seed, RandomPurpose::augment, stream, step)(sample));
    }

    /// Mirrors one image in place.
    void flip(std::span<float> row) const {
        for (std::size_t c = 0; c < image.channels; ++c)
            for (std::size_t y = 0; y < image.height; ++y)
                for (std::size_t x = 0; x < image.width / 2; ++x)
                    std::swap(row[image.index(y, x, c)], row[image.index(y, image.width - 1 - x, c)]);
    }

    /// Flips rows of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Flips rows of `batch` in place; row r is sample `ids[r]`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "HorizontalFlip");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A copy of `batch` with some rows flipped.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

private:
    bool flips_from(const Philox::block& b) const { return Philox::to_unit_double(b[0], b[1]) < probability; }
    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        detail::check_images(batch, image, "HorizontalFlip");
        if (!(probability >= 0.0 && probability <= 1.0))
            throw error("HorizontalFlip: probability must be in [0, 1], got " + std::to_string(probability));
        detail::for_each_image(batch, seed, stream, step, id, [&](std::span<float> row, const Philox& rng, std::uint64_t s) {
            if (flips_from(rng(s))) flip(row);
        });
    }
};

}  // namespace typenet
