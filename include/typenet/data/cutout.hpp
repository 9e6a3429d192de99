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

/// Where Cutout masks one sample: the square's centre, and whether the sample is masked at all.
struct CutoutSquare {
    std::size_t y = 0;
    std::size_t x = 0;
    bool applied = false;
};

/// Cutout (DeVries & Taylor 2017): with the given probability, sets a `size` × `size` square of each
/// image to `value` in every channel. The centre is uniform over all pixels, so near a border the
/// square is clipped and masks less, as in the paper's code. For standardized inputs, 0 is the mean.
/// `Cutout cut{.image = ImageShape::of<Net::input_shape>(), .size = 8}; cut.apply(batch, Seed{1}, epoch);`
/// The square of a sample depends only on (seed, step, sample id, stream).
struct Cutout {
    ImageShape image;
    /// Side of the square, in pixels (at least 1).
    std::size_t size = 8;
    double probability = 1.0;
    float value = 0.0f;
    /// Philox stream: give two Cutouts in one pipeline different streams.
    std::uint32_t stream = 5;

    /// The square of a sample.
    CutoutSquare square(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        return square_from(Philox(seed, RandomPurpose::augment, stream, step)(sample));
    }

    /// Masks one image in place with the square centred at (cy, cx): rows cy − size/2 .. cy − size/2 + size − 1
    /// (and the same for columns), clipped to the image.
    void mask(std::span<float> row, std::size_t cy, std::size_t cx) const {
        const std::size_t half = size / 2;
        const std::size_t y0 = cy > half ? cy - half : 0, x0 = cx > half ? cx - half : 0;
        const std::size_t y1 = std::min(image.height, cy + (size - half)), x1 = std::min(image.width, cx + (size - half));
        for (std::size_t c = 0; c < image.channels; ++c)
            for (std::size_t y = y0; y < y1; ++y)
                for (std::size_t x = x0; x < x1; ++x) row[image.index(y, x, c)] = value;
    }

    /// Masks rows of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Masks rows of `batch` in place; row r is sample `ids[r]`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "Cutout");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A masked copy of `batch`.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

private:
    CutoutSquare square_from(const Philox::block& b) const {
        return {detail::uniform_below(b[0], image.height), detail::uniform_below(b[1], image.width),
                Philox::to_unit_double(b[2], b[3]) < probability};
    }
    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        detail::check_images(batch, image, "Cutout");
        if (!(probability >= 0.0 && probability <= 1.0))
            throw error("Cutout: probability must be in [0, 1], got " + std::to_string(probability));
        if (size == 0) throw error("Cutout: size must be at least 1 pixel");
        detail::for_each_image(batch, seed, stream, step, id, [&](std::span<float> row, const Philox& rng, std::uint64_t s) {
            const CutoutSquare q = square_from(rng(s));
            if (q.applied) mask(row, q.y, q.x);
        });
    }
};

}  // namespace typenet
