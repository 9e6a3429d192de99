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

/// A displacement of every pixel, in pixels: the pixel at (y, x) of the output is read from
/// (y + dy[y·W + x], x + dx[y·W + x]) of the input.
struct DisplacementField {
    std::vector<double> dy;
    std::vector<double> dx;
};

/// Elastic distortion (Simard, Steinkraus & Platt 2003): each image is resampled (bilinear, 0 outside)
/// through a random displacement field, uniform in [−1, 1] per pixel and coordinate, smoothed by a
/// Gaussian of standard deviation `sigma` pixels (zero beyond the image, truncated at 4σ) and scaled by
/// `alpha`. The paper's MNIST setting is σ = 4, α = 34; α = 0 is the identity, bit for bit.
/// `ElasticDistortion d{.image = ImageShape::of<Net::input_shape>()}; d.apply(batch, Seed{1}, epoch);`
/// The field of a sample depends only on (seed, step, sample id, stream).
struct ElasticDistortion {
    ImageShape image;
    double alpha = 34.0;
    double sigma = 4.0;
    /// Philox stream: give two ElasticDistortions in one pipeline different streams.
    std::uint32_t stream = 6;

    /// The displacement field of a sample.
    DisplacementField field(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        check_settings();
        const Philox rng(seed, RandomPurpose::augment, stream, step);
        const std::size_t n = image.height * image.width;
        // The sample's 2·n uniforms are blocks sample·stride .. of the stream, 4 words a block.
        const std::uint64_t stride = (2 * n + 3) / 4, first = sample * stride;
        DisplacementField f{std::vector<double>(n), std::vector<double>(n)};
        for (std::size_t k = 0; k < 2 * n; k += 4) {
            const Philox::block b = rng(first + k / 4);
            for (std::size_t j = 0; j < 4 && k + j < 2 * n; ++j) {
                const double u = 2.0 * (static_cast<double>(b[j]) / 4294967296.0) - 1.0;  // [-1, 1)
                (k + j < n ? f.dy[k + j] : f.dx[k + j - n]) = u;
            }
        }
        smooth(f.dy);
        smooth(f.dx);
        return f;
    }

    /// out = `in` resampled through the field. `in` and `out` must not overlap.
    void distort(std::span<const float> in, std::span<float> out, const DisplacementField& f) const {
        for (std::size_t y = 0; y < image.height; ++y)
            for (std::size_t x = 0; x < image.width; ++x) {
                const std::size_t p = y * image.width + x;
                const double sy = static_cast<double>(y) + f.dy[p], sx = static_cast<double>(x) + f.dx[p];
                for (std::size_t c = 0; c < image.channels; ++c)
                    out[image.index(y, x, c)] = static_cast<float>(detail::bilinear_at(in, image, c, sy, sx));
            }
    }

    /// Distorts every row of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Distorts every row of `batch` in place; row r is sample `ids[r]`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "ElasticDistortion");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A distorted copy of `batch`.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

private:
    void check_settings() const {
        if (!(alpha >= 0.0 && std::isfinite(alpha)))
            throw error("ElasticDistortion: alpha must be finite and >= 0, got " + std::to_string(alpha));
        if (!(sigma > 0.0 && std::isfinite(sigma)))
            throw error("ElasticDistortion: sigma must be finite and > 0, got " + std::to_string(sigma));
    }

    /// v = alpha · (Gaussian of sigma) * v over the H×W grid, separably, zero beyond the image.
    void smooth(std::vector<double>& v) const {
        const std::size_t h = image.height, w = image.width;
        const auto radius = static_cast<long>(std::ceil(4.0 * sigma));
        std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
        double total = 0;
        for (long k = -radius; k <= radius; ++k)
            total += kernel[static_cast<std::size_t>(k + radius)] =
                std::exp(-0.5 * static_cast<double>(k * k) / (sigma * sigma));
        for (double& k : kernel) k *= alpha / total;
        std::vector<double> rows(v.size(), 0.0);
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x)
                for (long k = -radius; k <= radius; ++k) {
                    const long xx = static_cast<long>(x) + k;
                    if (xx >= 0 && xx < static_cast<long>(w))
                        rows[y * w + x] += kernel[static_cast<std::size_t>(k + radius)] * v[y * w + static_cast<std::size_t>(xx)];
                }
        std::fill(v.begin(), v.end(), 0.0);
        for (std::size_t y = 0; y < h; ++y)
            for (long k = -radius; k <= radius; ++k) {
                const long yy = static_cast<long>(y) + k;
                if (yy < 0 || yy >= static_cast<long>(h)) continue;
                for (std::size_t x = 0; x < w; ++x)
                    v[y * w + x] += kernel[static_cast<std::size_t>(k + radius)] * rows[static_cast<std::size_t>(yy) * w + x];
            }
    }

    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        detail::check_images(batch, image, "ElasticDistortion");
        check_settings();
        std::vector<float> copy(image.size());
        const std::size_t cols = batch.shape(1);
        for (std::size_t r = 0; r < batch.shape(0); ++r) {
            const std::span<float> row(batch.data() + r * cols, cols);
            if (alpha == 0.0) continue;  // the identity, without drawing a field
            const DisplacementField f = field(seed, step, id(r));
            std::copy(row.begin(), row.end(), copy.begin());
            distort(copy, row, f);
        }
    }
};

}  // namespace typenet
