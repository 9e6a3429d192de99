// Image augmentations (deterministic by seed, step and sample id) and test-time augmentation.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include <typenet/data/color_pca_jitter.hpp>
#include <typenet/data/cutout.hpp>
#include <typenet/data/elastic_distortion.hpp>
#include <typenet/data/horizontal_flip.hpp>
#include <typenet/data/random_crop.hpp>
#include <typenet/data/random_zoom.hpp>
#include <typenet/data/tta.hpp>
#include <typenet/layers/activations/relu.hpp>
#include <typenet/layers/conv2d.hpp>
#include <typenet/layers/dense.hpp>
#include <typenet/model/seq.hpp>

#include "catch.hpp"

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

/// A batch of n images whose every value is distinct: row r, index i holds 1 + r·size + i.
Matrix<float> numbered(std::size_t n, const ImageShape& s) {
    Matrix<float> m = Matrix<float>::from_shape({n, s.size()});
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(i + 1);
    return m;
}

/// A batch of n images with random values in [0, 1).
Matrix<float> noise(std::size_t n, const ImageShape& s, std::uint64_t seed) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 9, 0);
    Matrix<float> m = Matrix<float>::from_shape({n, s.size()});
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.uniform(i));
    return m;
}

bool same(const Matrix<float>& a, const Matrix<float>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

std::span<float> row(Matrix<float>& m, std::size_t r) { return {m.data() + r * m.shape(1), m.shape(1)}; }
std::span<const float> row(const Matrix<float>& m, std::size_t r) { return {m.data() + r * m.shape(1), m.shape(1)}; }

const ImageShape hwc{5, 4, 3};
const ImageShape chw{5, 4, 3, true};

}  // namespace

// ---- HorizontalFlip ------------------------------------------------------------------------------

TEST_CASE("HorizontalFlip mirrors columns, keeps channels, and twice is the identity", "[augment]") {
    for (const ImageShape& s : {hwc, chw}) {
        const Matrix<float> x = numbered(3, s);
        const HorizontalFlip always{.image = s, .probability = 1.0};
        const Matrix<float> f = always.transform(x, Seed{1}, 0);
        for (std::size_t r = 0; r < 3; ++r)
            for (std::size_t y = 0; y < s.height; ++y)
                for (std::size_t c = 0; c < s.channels; ++c)
                    for (std::size_t xx = 0; xx < s.width; ++xx)
                        CHECK(f(r, s.index(y, xx, c)) == x(r, s.index(y, s.width - 1 - xx, c)));
        CHECK(same(always.transform(f, Seed{1}, 0), x));

        // With probability 0.5 the same (seed, step, sample) makes the same decision: twice = identity.
        const HorizontalFlip half{.image = s};
        const Matrix<float> many = noise(64, s, 3);
        const Matrix<float> once = half.transform(many, Seed{7}, 2);
        CHECK_FALSE(same(once, many));
        CHECK(same(half.transform(once, Seed{7}, 2), many));
        CHECK(same(HorizontalFlip{.image = s, .probability = 0.0}.transform(many, Seed{7}, 2), many));
    }
}

TEST_CASE("ImageShape::of a network's input shape is PyTorch's (C, H, W): flips commute with a 1x1 Conv2D",
          "[augment][conv2d]") {
    constexpr ImageShape in = ImageShape::of<Shape<3, 5, 4>>();
    STATIC_REQUIRE(in.height == 5);
    STATIC_REQUIRE(in.width == 4);
    STATIC_REQUIRE(in.channels == 3);
    STATIC_REQUIRE(in.channels_first);
    // A 1x1 convolution mixes channels pixel by pixel, so mirroring its input mirrors its output: true
    // only if the augmentation and the network read the rows in the same (C, H, W) order.
    using Net = Seq<Input<3, 5, 4>, Conv2D<3, 2, 1>>;
    const Net net{Seed{4}};
    const HorizontalFlip flip_in{.image = ImageShape::of<Net::input_shape>(), .probability = 1.0};
    const HorizontalFlip flip_out{.image = ImageShape::of<Net::output_shape>(), .probability = 1.0};
    const Matrix<float> x = noise(6, in, 11);
    const Matrix<float> a = net.predict(flip_in.transform(x, Seed{1}, 0));
    const Matrix<float> b = flip_out.transform(net.predict(x), Seed{1}, 0);
    REQUIRE(a.shape() == b.shape());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == Approx(b.data()[i]).epsilon(1e-6).margin(1e-6));
}

TEST_CASE("HorizontalFlip flips about the requested fraction, by seed and step", "[augment]") {
    const HorizontalFlip flip{.image = {2, 2, 1}, .probability = 0.3};
    int flipped = 0;
    for (std::uint64_t i = 0; i < 4000; ++i) flipped += flip.flips(Seed{11}, 5, i) ? 1 : 0;
    CHECK(flipped > 1100);  // expected 1200, sd 29
    CHECK(flipped < 1300);
    Matrix<float> x = numbered(4000, flip.image);
    const Matrix<float> before = x;
    flip.apply(x, Seed{11}, 5);
    for (std::size_t r = 0; r < 4000; ++r) CHECK((x(r, 0) != before(r, 0)) == flip.flips(Seed{11}, 5, r));
    Matrix<float> bad = numbered(2, flip.image);
    REQUIRE_THROWS_WITH((HorizontalFlip{.image = {2, 2, 1}, .probability = 1.5}.apply(bad, Seed{1}, 0)),
                        Contains("probability must be in [0, 1]"));
}

// ---- RandomCrop ----------------------------------------------------------------------------------

TEST_CASE("RandomCrop at offset (0, 0) shifts the image by the padding, zeros shifted in", "[augment]") {
    for (const ImageShape& s : {hwc, chw}) {
        const std::size_t p = 2;
        const RandomCrop crop{.image = s, .padding = p};
        const Matrix<float> x = numbered(1, s);
        std::vector<float> out(s.size(), -1.0f);
        crop.crop(row(x, 0), out, 0, 0);
        for (std::size_t y = 0; y < s.height; ++y)
            for (std::size_t xx = 0; xx < s.width; ++xx)
                for (std::size_t c = 0; c < s.channels; ++c) {
                    const float expected = (y < p || xx < p) ? 0.0f : x(0, s.index(y - p, xx - p, c));
                    CHECK(out[s.index(y, xx, c)] == expected);
                }
        crop.crop(row(x, 0), out, p, p);  // the centre: no shift
        CHECK(std::equal(out.begin(), out.end(), row(x, 0).begin()));
        crop.crop(row(x, 0), out, 2 * p, 2 * p);  // shifted up-left
        for (std::size_t c = 0; c < s.channels; ++c) {
            CHECK(out[s.index(0, 0, c)] == x(0, s.index(p, p, c)));
            CHECK(out[s.index(s.height - 1, s.width - 1, c)] == 0.0f);
        }
    }
}

TEST_CASE("RandomCrop draws every offset in 0..2p and applies the one it reports", "[augment]") {
    const RandomCrop crop{.image = hwc, .padding = 3};
    std::set<std::size_t> seen_dy, seen_dx;
    for (std::uint64_t i = 0; i < 500; ++i) {
        const auto [dy, dx] = crop.offsets(Seed{4}, 1, i);
        CHECK(dy <= 6);
        CHECK(dx <= 6);
        seen_dy.insert(dy);
        seen_dx.insert(dx);
    }
    CHECK(seen_dy.size() == 7);
    CHECK(seen_dx.size() == 7);
    const Matrix<float> x = numbered(20, hwc);
    const Matrix<float> y = crop.transform(x, Seed{4}, 1, 100);
    std::vector<float> expected(hwc.size());
    for (std::size_t r = 0; r < 20; ++r) {
        const auto [dy, dx] = crop.offsets(Seed{4}, 1, 100 + r);
        crop.crop(row(x, r), expected, dy, dx);
        CHECK(std::equal(expected.begin(), expected.end(), row(y, r).begin()));
    }
}

// ---- RandomZoom ----------------------------------------------------------------------------------

TEST_CASE("RandomZoom: factor 1 is the identity, bilinear sampling reproduces a linear ramp", "[augment]") {
    const ImageShape s{9, 12, 2};
    const Matrix<float> x = noise(4, s, 5);
    CHECK(same(RandomZoom{.image = s, .min = 1.0f, .max = 1.0f}.transform(x, Seed{1}, 0), x));

    // f(y, x, c) = 2y + 3x + 10c + 1; zooming in by 2 samples it at (y + 0.5 − 4.5)/2 + 4 (rows) etc.
    Matrix<float> ramp = Matrix<float>::from_shape({1, s.size()});
    for (std::size_t y = 0; y < s.height; ++y)
        for (std::size_t xx = 0; xx < s.width; ++xx)
            for (std::size_t c = 0; c < 2; ++c)
                ramp(0, s.index(y, xx, c)) = static_cast<float>(2 * y + 3 * xx + 10 * c + 1);
    const RandomZoom zoom{.image = s};
    std::vector<float> out(s.size());
    zoom.zoom(row(ramp, 0), out, 2.0f);
    for (std::size_t y = 0; y < s.height; ++y)
        for (std::size_t xx = 0; xx < s.width; ++xx)
            for (std::size_t c = 0; c < 2; ++c) {
                const double sy = (y + 0.5 - 4.5) / 2 + 4.5 - 0.5, sx = (xx + 0.5 - 6.0) / 2 + 6.0 - 0.5;
                CHECK(out[s.index(y, xx, c)] == Approx(2 * sy + 3 * sx + 10.0 * c + 1).epsilon(1e-6));
            }
    // Zooming out by 2 leaves a border of zeros; the centre keeps its value.
    const Matrix<float> ones = [&] {
        Matrix<float> m = Matrix<float>::from_shape({1, s.size()});
        m.fill(1.0f);
        return m;
    }();
    zoom.zoom(row(ones, 0), out, 0.5f);
    CHECK(out[s.index(0, 0, 0)] == 0.0f);
    CHECK(out[s.index(8, 11, 1)] == 0.0f);
    CHECK(out[s.index(4, 6, 0)] == 1.0f);
}

TEST_CASE("RandomZoom draws factors in min..max and applies them", "[augment]") {
    const RandomZoom zoom{.image = hwc, .min = 0.8f, .max = 1.25f};
    float lo = 10, hi = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        const float f = zoom.factor(Seed{2}, 3, i);
        lo = std::min(lo, f);
        hi = std::max(hi, f);
    }
    CHECK(lo >= 0.8f);
    CHECK(lo < 0.82f);
    CHECK(hi <= 1.25f);
    CHECK(hi > 1.23f);
    const Matrix<float> x = noise(5, hwc, 6);
    const Matrix<float> y = zoom.transform(x, Seed{2}, 3);
    std::vector<float> expected(hwc.size());
    for (std::size_t r = 0; r < 5; ++r) {
        zoom.zoom(row(x, r), expected, zoom.factor(Seed{2}, 3, r));
        CHECK(std::equal(expected.begin(), expected.end(), row(y, r).begin()));
    }
    Matrix<float> bad = x;
    REQUIRE_THROWS_WITH((RandomZoom{.image = hwc, .min = 0.0f, .max = 1.0f}.apply(bad, Seed{1}, 0)),
                        Contains("needs 0 < min <= max"));
}

// ---- Cutout --------------------------------------------------------------------------------------

TEST_CASE("Cutout sets the square it reports to its value in every channel, clipped at the borders",
          "[augment]") {
    for (const ImageShape& s : {hwc, chw}) {
        const Cutout cut{.image = s, .size = 3, .value = -7.0f};
        const Matrix<float> x = numbered(40, s);
        const Matrix<float> y = cut.transform(x, Seed{3}, 1);
        std::set<std::pair<std::size_t, std::size_t>> centres;
        std::size_t clipped = 0;
        for (std::size_t r = 0; r < 40; ++r) {
            const CutoutSquare q = cut.square(Seed{3}, 1, r);
            REQUIRE(q.applied);  // probability 1
            REQUIRE(q.y < s.height);
            REQUIRE(q.x < s.width);
            centres.insert({q.y, q.x});
            std::size_t masked = 0;
            for (std::size_t yy = 0; yy < s.height; ++yy)
                for (std::size_t xx = 0; xx < s.width; ++xx) {
                    // Rows q.y − 1 .. q.y + 1 and the same columns: size 3 around the centre.
                    const bool inside = yy + 1 >= q.y && yy <= q.y + 1 && xx + 1 >= q.x && xx <= q.x + 1;
                    for (std::size_t c = 0; c < s.channels; ++c) {
                        const std::size_t i = s.index(yy, xx, c);
                        CHECK(y(r, i) == (inside ? -7.0f : x(r, i)));
                        masked += inside;
                    }
                }
            clipped += masked < 9 * s.channels;
        }
        CHECK(centres.size() > 10);  // 40 draws over 20 pixels
        CHECK(clipped > 0);          // a centre on the border masks less than 3 x 3
    }
}

TEST_CASE("Cutout masks about the requested fraction of samples and rejects bad settings", "[augment][errors]") {
    const ImageShape s{6, 6, 1};
    const Cutout half{.image = s, .size = 2, .probability = 0.5};
    std::size_t applied = 0;
    for (std::uint64_t n = 0; n < 2000; ++n) applied += half.square(Seed{9}, 4, n).applied;
    CHECK(applied > 900);
    CHECK(applied < 1100);
    const Matrix<float> x = noise(8, s, 2);
    CHECK(same((Cutout{.image = s, .probability = 0.0}.transform(x, Seed{1}, 0)), x));
    Matrix<float> y = x;
    CHECK_THROWS_WITH((Cutout{.image = s, .size = 0}.apply(y, Seed{1}, 0)), Contains("size must be at least 1"));
    CHECK_THROWS_WITH((Cutout{.image = s, .probability = 1.5}.apply(y, Seed{1}, 0)), Contains("probability must be in [0, 1]"));
    CHECK(same(y, x));
    // Larger than the image: everything is masked.
    const Matrix<float> all = Cutout{.image = s, .size = 20, .value = 2.0f}.transform(x, Seed{1}, 0);
    CHECK(std::all_of(all.begin(), all.end(), [](float v) { return v == 2.0f; }));
}

// ---- ElasticDistortion ---------------------------------------------------------------------------

TEST_CASE("ElasticDistortion moves pixels along its smoothed field: a linear image is read off exactly",
          "[augment]") {
    for (ImageShape s : {ImageShape{12, 11, 2}, ImageShape{12, 11, 2, true}}) {
        const ElasticDistortion d{.image = s, .alpha = 3.0, .sigma = 2.0};
        // f(y, x, c) = x + 10·y + 100·c: bilinear interpolation reproduces it wherever it samples inside.
        Matrix<float> x = Matrix<float>::from_shape({5, s.size()});
        for (std::size_t r = 0; r < 5; ++r)
            for (std::size_t yy = 0; yy < s.height; ++yy)
                for (std::size_t xx = 0; xx < s.width; ++xx)
                    for (std::size_t c = 0; c < s.channels; ++c)
                        x(r, s.index(yy, xx, c)) = static_cast<float>(xx + 10 * yy + 100 * c);
        const Matrix<float> y = d.transform(x, Seed{5}, 2);
        std::size_t inside = 0;
        for (std::size_t r = 0; r < 5; ++r) {
            const DisplacementField f = d.field(Seed{5}, 2, r);
            double largest = 0;
            for (std::size_t yy = 0; yy < s.height; ++yy)
                for (std::size_t xx = 0; xx < s.width; ++xx) {
                    const std::size_t p = yy * s.width + xx;
                    largest = std::max({largest, std::abs(f.dy[p]), std::abs(f.dx[p])});
                    const double sy = static_cast<double>(yy) + f.dy[p], sx = static_cast<double>(xx) + f.dx[p];
                    if (sy < 0 || sx < 0 || sy > static_cast<double>(s.height - 1) || sx > static_cast<double>(s.width - 1))
                        continue;
                    ++inside;
                    for (std::size_t c = 0; c < s.channels; ++c)
                        CHECK(y(r, s.index(yy, xx, c)) == Approx(sx + 10 * sy + 100.0 * static_cast<double>(c)).margin(1e-3));
                }
            CHECK(largest <= 3.0);  // |uniform| <= 1 through a normalized kernel, times alpha
            CHECK(largest > 0.1);   // and it does move pixels
            // Smooth: neighbours move alike (a raw uniform field would differ by ~1 per pixel, times alpha).
            for (std::size_t p = 1; p < s.width; ++p) CHECK(std::abs(f.dx[p] - f.dx[p - 1]) < 1.0);
        }
        CHECK(inside > 5 * s.height * s.width / 2);
    }
}

TEST_CASE("ElasticDistortion: alpha 0 is the identity bit for bit; bad settings are refused", "[augment][errors]") {
    const ImageShape s{7, 7, 1};
    const Matrix<float> x = noise(4, s, 6);
    CHECK(same((ElasticDistortion{.image = s, .alpha = 0.0}.transform(x, Seed{1}, 0)), x));
    Matrix<float> y = x;
    CHECK_THROWS_WITH((ElasticDistortion{.image = s, .sigma = 0.0}.apply(y, Seed{1}, 0)), Contains("sigma must be finite and > 0"));
    CHECK_THROWS_WITH((ElasticDistortion{.image = s, .alpha = -1.0}.apply(y, Seed{1}, 0)), Contains("alpha must be finite and >= 0"));
    CHECK(same(y, x));
}

// ---- determinism ---------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("augmentations are deterministic by (seed, step, sample id) and vary with each",
                   "[augment]", RandomCrop, HorizontalFlip, RandomZoom, Cutout, ElasticDistortion) {
    const ImageShape s{8, 8, 3};
    TestType aug{.image = s};
    if constexpr (std::is_same_v<TestType, RandomCrop>) aug.padding = 2;
    const Matrix<float> x = noise(32, s, 8);
    const Matrix<float> a = aug.transform(x, Seed{42}, 7);
    CHECK(same(a, aug.transform(x, Seed{42}, 7)));
    CHECK_FALSE(same(a, aug.transform(x, Seed{43}, 7)));
    CHECK_FALSE(same(a, aug.transform(x, Seed{42}, 8)));
    CHECK_FALSE(same(a, aug.transform(x, Seed{42}, 7, 1000)));

    // A sample's augmentation does not depend on its position in the batch.
    const std::vector<std::uint64_t> ids{9, 3, 27};
    Matrix<float> picked = Matrix<float>::from_shape({3, s.size()});
    Matrix<float> expected = Matrix<float>::from_shape({3, s.size()});
    for (std::size_t r = 0; r < 3; ++r) {
        std::copy_n(row(x, ids[r]).begin(), s.size(), row(picked, r).begin());
        std::copy_n(row(a, ids[r]).begin(), s.size(), row(expected, r).begin());
    }
    aug.apply(picked, Seed{42}, 7, ids);
    CHECK(same(picked, expected));

    Matrix<float> wrong = noise(2, ImageShape{8, 8, 1}, 1);
    REQUIRE_THROWS_AS(aug.apply(wrong, Seed{1}, 0), typenet::shape_error);
    REQUIRE_THROWS_WITH(aug.apply(picked, Seed{1}, 0, std::span<const std::uint64_t>(ids.data(), 2)),
                        Contains("2 sample ids for a batch of 3 rows"));
}

// ---- ColorPCAJitter ------------------------------------------------------------------------------

namespace {
/// RGB images whose pixels are mean + Σ_k z_k · axis_k with z_k ~ N(0, scale_k²).
Matrix<float> colours(std::size_t n, const ImageShape& s, const std::array<double, 3>& scale, std::uint64_t seed) {
    const std::array<std::array<double, 3>, 3> axes{{{0.6, 0.64, 0.48}, {0.8, -0.48, -0.36}, {0.0, 0.6, -0.8}}};
    const Philox rng(Seed{seed}, RandomPurpose::user, 4, 0);
    Matrix<float> m = Matrix<float>::from_shape({n, s.size()});
    std::uint64_t k = 0;
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t y = 0; y < s.height; ++y)
            for (std::size_t x = 0; x < s.width; ++x) {
                std::array<double, 3> z{};
                for (std::size_t a = 0; a < 3; ++a) z[a] = scale[a] * rng.normal(k++);
                for (std::size_t c = 0; c < 3; ++c) {
                    double v = 0.5;
                    for (std::size_t a = 0; a < 3; ++a) v += z[a] * axes[a][c];
                    m(r, s.index(y, x, c)) = static_cast<float>(v);
                }
            }
    return m;
}
}  // namespace

TEST_CASE("ColorPCAJitter shifts each image's colour along the principal components only", "[augment]") {
    const ImageShape s{6, 5, 3};
    // All colour variation along one axis: the covariance has rank 1, so every shift is along it.
    const Matrix<float> train = colours(200, s, {0.2, 0.0, 0.0}, 1);
    ColorPCAJitter jitter{s, 0.5f};
    jitter.fit(train);
    CHECK(jitter.eigenvalues()[0] == Approx(0.04).epsilon(0.05));
    CHECK(jitter.eigenvalues()[1] == Approx(0.0).margin(1e-6));
    const auto& p = jitter.components();
    CHECK(std::abs(p[0][0] * 0.6 + p[0][1] * 0.64 + p[0][2] * 0.48) == Approx(1.0).epsilon(1e-5));

    const Matrix<float> x = colours(50, s, {0.2, 0.05, 0.01}, 2);
    const Matrix<float> y = jitter.transform(x, Seed{3}, 0);
    for (std::size_t r = 0; r < 50; ++r) {
        const auto shift = jitter.shift(Seed{3}, 0, r);
        // The same shift on every pixel of the image...
        for (std::size_t yy = 0; yy < s.height; ++yy)
            for (std::size_t xx = 0; xx < s.width; ++xx)
                for (std::size_t c = 0; c < 3; ++c)
                    CHECK(y(r, s.index(yy, xx, c)) - x(r, s.index(yy, xx, c)) == Approx(shift[c]).margin(1e-6));
        // ...parallel to the principal component, and not zero.
        const double norm = std::sqrt(shift[0] * shift[0] + shift[1] * shift[1] + shift[2] * shift[2]);
        CHECK(norm > 0);
        const double along = shift[0] * p[0][0] + shift[1] * p[0][1] + shift[2] * p[0][2];
        CHECK(std::abs(along) == Approx(norm).epsilon(1e-4));
    }
}

TEST_CASE("ColorPCAJitter draws alpha ~ N(0, stddev^2) per image and component", "[augment]") {
    const ImageShape s{2, 2, 3};
    ColorPCAJitter jitter{s, 0.1f};
    jitter.fit(colours(500, s, {0.3, 0.2, 0.1}, 5));
    const auto& lambda = jitter.eigenvalues();
    CHECK(lambda[0] > lambda[1]);
    CHECK(lambda[1] > lambda[2]);
    CHECK(lambda[2] > 0);
    const auto& p = jitter.components();
    const std::size_t n = 4000;
    for (std::size_t i = 0; i < 3; ++i) {
        double sum = 0, sq = 0;
        for (std::uint64_t k = 0; k < n; ++k) {
            const auto d = jitter.shift(Seed{9}, 1, k);
            const double alpha = (d[0] * p[i][0] + d[1] * p[i][1] + d[2] * p[i][2]) / lambda[i];
            sum += alpha;
            sq += alpha * alpha;
        }
        const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
        CHECK(std::abs(mean) < 4 * 0.1 / std::sqrt(double(n)));
        CHECK(sd == Approx(0.1).epsilon(0.06));
    }
    CHECK(jitter.shift(Seed{9}, 1, 0) == jitter.shift(Seed{9}, 1, 0));
    CHECK(jitter.shift(Seed{9}, 1, 0) != jitter.shift(Seed{10}, 1, 0));
    CHECK(jitter.shift(Seed{9}, 1, 0) != jitter.shift(Seed{9}, 2, 0));
}

TEST_CASE("ColorPCAJitter errors: not RGB, not fitted, bad stddev", "[augment]") {
    REQUIRE_THROWS_WITH(ColorPCAJitter(ImageShape{4, 4, 1}), Contains("needs RGB images (3 channels)"));
    REQUIRE_THROWS_WITH(ColorPCAJitter(ImageShape{4, 4, 3}, -1.0f), Contains("stddev must be finite"));
    ColorPCAJitter jitter{ImageShape{4, 4, 3}};
    Matrix<float> x = noise(2, ImageShape{4, 4, 3}, 1);
    REQUIRE_THROWS_WITH(jitter.apply(x, Seed{1}, 0), Contains("not fitted"));
    REQUIRE_THROWS_WITH(jitter.fit(Matrix<float>::from_shape({0, 48})), Contains("the data is empty"));
    x(1, 5) = std::nanf("");
    REQUIRE_THROWS_WITH(jitter.fit(x), Contains("image 1 has a non-finite value"));
}

// ---- test-time augmentation ----------------------------------------------------------------------

namespace {
using TinyNet = Seq<Dense<12, 6>, ReLU, Dense<6, 4>>;
const ImageShape tiny{2, 3, 2};

Matrix<double> softmax_rows(const Matrix<float>& logits) {
    Matrix<double> p = Matrix<double>::from_shape(logits.shape());
    for (std::size_t r = 0; r < logits.shape(0); ++r) {
        double top = -INFINITY, sum = 0;
        for (std::size_t c = 0; c < logits.shape(1); ++c) top = std::max(top, double(logits(r, c)));
        for (std::size_t c = 0; c < logits.shape(1); ++c) sum += p(r, c) = std::exp(logits(r, c) - top);
        for (std::size_t c = 0; c < logits.shape(1); ++c) p(r, c) /= sum;
    }
    return p;
}
}  // namespace

TEST_CASE("tta_predict with the identity alone is softmax(predict)", "[augment]") {
    const TinyNet net{Seed{3}};
    Matrix<float> x = noise(10, tiny, 4);
    x *= 20.0f;  // large logits: the softmax must stay finite
    const Matrix<double> expected = softmax_rows(net.predict(x));
    const Matrix<float> p = tta_predict(net, x, tta::Identity{});
    REQUIRE(p.shape() == expected.shape());
    for (std::size_t i = 0; i < p.size(); ++i) CHECK(p.data()[i] == Approx(expected.data()[i]).margin(1e-6));
}

TEST_CASE("tta_predict averages the probabilities of the views", "[augment]") {
    const TinyNet net{Seed{5}};
    const Matrix<float> x = noise(7, tiny, 6);
    const tta::Flip flip{tiny};
    const tta::Crop crop{tiny, 1, 0, 2};
    const Matrix<double> a = softmax_rows(net.predict(x));
    const Matrix<double> b = softmax_rows(net.predict(flip(x)));
    const Matrix<double> c = softmax_rows(net.predict(crop(x)));
    const Matrix<float> p = tta_predict(net, x, tta::Identity{}, flip, crop);
    for (std::size_t i = 0; i < p.size(); ++i)
        CHECK(p.data()[i] == Approx((a.data()[i] + b.data()[i] + c.data()[i]) / 3).margin(1e-6));
    for (std::size_t r = 0; r < p.shape(0); ++r) {
        double sum = 0;
        for (std::size_t k = 0; k < p.shape(1); ++k) sum += p(r, k);
        CHECK(sum == Approx(1.0).epsilon(1e-6));
    }
    // The views differ, so the average is not the plain prediction.
    const Matrix<float> plain = tta_predict(net, x, tta::Identity{});
    CHECK_FALSE(same(p, plain));
    // A fixed Crop equals RandomCrop's crop at that offset; the flip view is HorizontalFlip with p = 1.
    CHECK(same(flip(x), HorizontalFlip{.image = tiny, .probability = 1.0}.transform(x, Seed{0}, 0)));
    REQUIRE_THROWS_WITH((tta::Crop{tiny, 1, 3, 0}(x)), Contains("must lie within [0, 2 * padding]"));
    const auto half_batch = [](const Matrix<float>& m) {
        Matrix<float> first = Matrix<float>::from_shape({3, m.shape(1)});
        std::copy_n(m.begin(), first.size(), first.begin());
        return first;
    };
    REQUIRE_THROWS_AS(tta_predict(net, x, tta::Identity{}, half_batch), typenet::shape_error);
}
