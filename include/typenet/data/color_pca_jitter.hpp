#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/image_shape.hpp"
#include "typenet/detail/lapack.hpp"

namespace typenet {

/// AlexNet's colour augmentation ("PCA lighting", Krizhevsky et al. 2012): fit learns the eigenvectors
/// p_i and eigenvalues λ_i of the 3×3 covariance of RGB pixel values over the training images; apply
/// adds Σ α_i λ_i p_i to every pixel of an image, with α_i ~ N(0, stddev²) drawn once per image.
/// The shift is in the data's units (λ is a variance): with pixels in [0, 1] it is small, as intended,
/// since colour varies little next to intensity. α of a sample depends only on (seed, step, sample id,
/// stream).
class ColorPCAJitter {
public:
    /// RGB images of the given shape (channels must be 3); α_i ~ N(0, stddev²).
    explicit ColorPCAJitter(ImageShape image, float stddev = 0.1f, std::uint32_t stream = 4)
        : image_(image), stddev_(stddev), stream_(stream) {
        if (image.channels != 3)
            throw error("ColorPCAJitter: needs RGB images (3 channels), the shape is " + image.str());
        if (!(std::isfinite(stddev) && stddev >= 0))
            throw error("ColorPCAJitter: stddev must be finite and >= 0, got " + std::to_string(stddev));
    }

    /// Learns the RGB covariance eigenpairs from the training images (rows of `images`). Throws on an
    /// empty batch, non-finite values or rows that are not images of the shape.
    void fit(const Matrix<float>& images) {
        detail::check_images(images, image_, "ColorPCAJitter::fit");
        const std::size_t pixels = image_.height * image_.width;
        const std::size_t n = images.shape(0) * pixels;
        if (n == 0) throw error("ColorPCAJitter::fit: the data is empty");
        std::array<double, 3> sum{};
        for (std::size_t r = 0; r < images.shape(0); ++r) {
            const float* row = images.data() + r * image_.size();
            for (std::size_t y = 0; y < image_.height; ++y)
                for (std::size_t x = 0; x < image_.width; ++x)
                    for (std::size_t c = 0; c < 3; ++c) {
                        const float v = row[image_.index(y, x, c)];
                        if (!std::isfinite(v))
                            throw error("ColorPCAJitter::fit: image " + std::to_string(r) + " has a non-finite value");
                        sum[c] += v;
                    }
        }
        std::array<double, 3> mean{};
        for (std::size_t c = 0; c < 3; ++c) mean[c] = sum[c] / static_cast<double>(n);
        Matrix<double> cov = Matrix<double>::from_shape({3, 3});
        cov.fill(0.0);
        for (std::size_t r = 0; r < images.shape(0); ++r) {
            const float* row = images.data() + r * image_.size();
            for (std::size_t y = 0; y < image_.height; ++y)
                for (std::size_t x = 0; x < image_.width; ++x) {
                    std::array<double, 3> d{};
                    for (std::size_t c = 0; c < 3; ++c) d[c] = row[image_.index(y, x, c)] - mean[c];
                    for (std::size_t i = 0; i < 3; ++i)
                        for (std::size_t j = 0; j < 3; ++j) cov(i, j) += d[i] * d[j];
                }
        }
        cov /= static_cast<double>(n);
        const detail::SymmetricEigen e = detail::symmetric_eigen(cov, "ColorPCAJitter::fit");
        for (std::size_t j = 0; j < 3; ++j) {
            eigenvalues_[j] = static_cast<float>(std::max(e.values[j], 0.0));
            for (std::size_t i = 0; i < 3; ++i) components_[j][i] = static_cast<float>(e.vectors(i, j));
        }
        fitted_ = true;
    }

    /// The RGB shift Σ α_i λ_i p_i added to every pixel of a sample.
    std::array<float, 3> shift(Seed seed, std::uint64_t step, std::uint64_t sample) const {
        check_fitted();
        return shift_from(Philox(seed, RandomPurpose::augment, stream_, step), sample);
    }

    /// Shifts the colours of every row of `batch` in place; row r is sample `first_sample + r`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::uint64_t first_sample = 0) const {
        run(batch, seed, step, [first_sample](std::size_t r) { return first_sample + r; });
    }
    /// Shifts the colours of every row of `batch` in place; row r is sample `ids[r]`.
    void apply(Matrix<float>& batch, Seed seed, std::uint64_t step, std::span<const std::uint64_t> ids) const {
        detail::check_ids(batch, ids, "ColorPCAJitter");
        run(batch, seed, step, [ids](std::size_t r) { return ids[r]; });
    }
    /// A colour-shifted copy of `batch`.
    Matrix<float> transform(const Matrix<float>& batch, Seed seed, std::uint64_t step,
                            std::uint64_t first_sample = 0) const {
        Matrix<float> out = batch;
        apply(out, seed, step, first_sample);
        return out;
    }

    /// True once fit has run.
    bool fitted() const { return fitted_; }
    /// RGB covariance eigenvalues λ, largest first.
    const std::array<float, 3>& eigenvalues() const { return eigenvalues_; }
    /// components()[i] is the unit eigenvector p_i (R, G, B) of eigenvalue i.
    const std::array<std::array<float, 3>, 3>& components() const { return components_; }

private:
    void check_fitted() const {
        if (!fitted_) throw error("ColorPCAJitter: not fitted: call fit(train.x) first, on the training split only");
    }
    // Three normals from the sample's two Philox blocks (Box-Muller on each pair of 53-bit uniforms).
    std::array<float, 3> shift_from(const Philox& rng, std::uint64_t sample) const {
        const Philox::block a = rng(2 * sample), b = rng(2 * sample + 1);
        const double r1 = std::sqrt(-2.0 * std::log(1.0 - Philox::to_unit_double(a[0], a[1])));
        const double t1 = 2.0 * std::numbers::pi * Philox::to_unit_double(a[2], a[3]);
        const double r2 = std::sqrt(-2.0 * std::log(1.0 - Philox::to_unit_double(b[0], b[1])));
        const double t2 = 2.0 * std::numbers::pi * Philox::to_unit_double(b[2], b[3]);
        const std::array<double, 3> alpha{stddev_ * r1 * std::cos(t1), stddev_ * r1 * std::sin(t1),
                                          stddev_ * r2 * std::cos(t2)};
        std::array<float, 3> out{};
        for (std::size_t c = 0; c < 3; ++c) {
            double s = 0;
            for (std::size_t i = 0; i < 3; ++i) s += alpha[i] * eigenvalues_[i] * components_[i][c];
            out[c] = static_cast<float>(s);
        }
        return out;
    }
    template <class Id>
    void run(Matrix<float>& batch, Seed seed, std::uint64_t step, Id id) const {
        check_fitted();
        detail::check_images(batch, image_, "ColorPCAJitter");
        detail::for_each_image(batch, seed, stream_, step, id, [&](std::span<float> row, const Philox& rng, std::uint64_t s) {
            const std::array<float, 3> d = shift_from(rng, s);
            for (std::size_t y = 0; y < image_.height; ++y)
                for (std::size_t x = 0; x < image_.width; ++x)
                    for (std::size_t c = 0; c < 3; ++c) row[image_.index(y, x, c)] += d[c];
        });
    }

    ImageShape image_;
    float stddev_;
    std::uint32_t stream_;
    bool fitted_ = false;
    std::array<float, 3> eigenvalues_{};
    std::array<std::array<float, 3>, 3> components_{};
};

}  // namespace typenet
