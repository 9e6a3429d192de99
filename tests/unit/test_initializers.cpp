#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

// A large (fan_out, fan_in) matrix, so sample moments are within a fraction of a percent of the true
// ones; fan_in ≠ fan_out so that 1/fan_in, 2/fan_in and 2/(fan_in + fan_out) are told apart.
constexpr std::size_t fan_in = 1024, fan_out = 512, count = fan_in * fan_out;

template <class I, class T = float>
std::vector<T> draw(std::uint64_t seed = 1, std::uint32_t layer = 0, std::size_t in = fan_in, std::size_t out = fan_out) {
    std::vector<T> w(in * out);
    I::fill(std::span<T>(w), in, out, Philox(Seed{seed}, RandomPurpose::initialize, layer, 0));
    return w;
}

struct Moments {
    double mean = 0, variance = 0, kurtosis = 0, largest = 0;
};

template <class T>
Moments moments(const std::vector<T>& w) {
    Moments m;
    for (T v : w) m.mean += v;
    m.mean /= static_cast<double>(w.size());
    double m2 = 0, m4 = 0;
    for (T v : w) {
        const double d = v - m.mean, d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
        m.largest = std::max(m.largest, std::abs(double(v)));
    }
    m2 /= static_cast<double>(w.size());
    m4 /= static_cast<double>(w.size());
    m.variance = m2;
    m.kurtosis = m4 / (m2 * m2);
    return m;
}

/// Mean 0 and the given variance, to 1.5 % (about 7 standard errors of the sample variance here), and
/// the shape of a normal distribution (kurtosis 3).
template <class I>
void check_normal(double variance) {
    const Moments m = moments(draw<I>());
    INFO(I::name() << ": mean " << m.mean << ", variance " << m.variance << " (expected " << variance
                   << "), kurtosis " << m.kurtosis);
    CHECK(std::abs(m.mean) < 6 * std::sqrt(variance / count));
    CHECK(m.variance == Approx(variance).epsilon(0.015));
    CHECK(m.kurtosis == Approx(3.0).margin(0.1));
}

/// Inside [-bound, bound], reaching close to both ends, with variance bound²/3 and the flat shape of a
/// uniform distribution (kurtosis 1.8).
template <class I>
void check_uniform(double bound) {
    const std::vector<float> w = draw<I>();
    const Moments m = moments(w);
    INFO(I::name() << ": mean " << m.mean << ", variance " << m.variance << ", largest |w| " << m.largest
                   << " (bound " << bound << "), kurtosis " << m.kurtosis);
    CHECK(m.largest <= double(static_cast<float>(bound)));
    CHECK(m.largest > 0.999 * bound);
    CHECK(*std::min_element(w.begin(), w.end()) < -0.999 * bound);
    CHECK(std::abs(m.mean) < 6 * bound / std::sqrt(3.0 * count));
    CHECK(m.variance == Approx(bound * bound / 3).epsilon(0.015));
    CHECK(m.kurtosis == Approx(1.8).margin(0.05));
}

/// Largest |(A·Aᵀ − I)_ij| for the rows of a (rows, cols) row-major matrix (`by_columns`: AᵀA instead).
template <class T>
double orthonormality_error(const std::vector<T>& a, std::size_t rows, std::size_t cols, bool by_columns) {
    const std::size_t n = by_columns ? cols : rows, len = by_columns ? rows : cols;
    auto at = [&](std::size_t vector, std::size_t k) {
        return double(by_columns ? a[k * cols + vector] : a[vector * cols + k]);
    };
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j <= i; ++j) {
            double dot = 0;
            for (std::size_t k = 0; k < len; ++k) dot += at(i, k) * at(j, k);
            worst = std::max(worst, std::abs(dot - (i == j ? 1.0 : 0.0)));
        }
    return worst;
}

}  // namespace

TEST_CASE("Initializers are named initializers; Glorot is Xavier", "[initializers]") {
    STATIC_REQUIRE(Initializer<Zeros> && Initializer<SmallRandom> && Initializer<LeCun> && Initializer<LeCunUniform>);
    STATIC_REQUIRE(Initializer<Xavier> && Initializer<XavierUniform> && Initializer<He> && Initializer<HeUniform>);
    STATIC_REQUIRE(Initializer<TorchDefault> && Initializer<Orthogonal>);
    STATIC_REQUIRE(std::is_same_v<Glorot, Xavier>);
    STATIC_REQUIRE(std::is_same_v<GlorotUniform, XavierUniform>);
    CHECK(He::name() == "He");
    CHECK(XavierUniform::name() == "XavierUniform");
    CHECK(Dense<3, 2, LeCun>::bind<float, Shape<3>>::name() == "Dense<3, 2, LeCun>");
}

TEST_CASE("Normal initializers have mean 0 and their variance", "[initializers]") {
    check_normal<SmallRandom>(0.01 * 0.01);
    check_normal<LeCun>(1.0 / fan_in);
    check_normal<Xavier>(2.0 / (fan_in + fan_out));
    check_normal<Glorot>(2.0 / (fan_in + fan_out));
    check_normal<He>(2.0 / fan_in);
}

TEST_CASE("Uniform initializers stay inside their bound and have variance bound²/3", "[initializers]") {
    check_uniform<LeCunUniform>(std::sqrt(3.0 / fan_in));
    check_uniform<XavierUniform>(std::sqrt(6.0 / (fan_in + fan_out)));
    check_uniform<HeUniform>(std::sqrt(6.0 / fan_in));
    check_uniform<TorchDefault>(1.0 / std::sqrt(double(fan_in)));
}

TEST_CASE("Zeros fills zeros", "[initializers]") {
    const std::vector<float> w = draw<Zeros>();
    CHECK(std::all_of(w.begin(), w.end(), [](float v) { return v == 0.0f; }));
}

TEST_CASE("Orthogonal gives orthonormal rows (wide) or columns (tall)", "[initializers]") {
    SECTION("wide: W·Wᵀ = I") {
        const auto w = draw<Orthogonal>(1, 0, 256, 64);
        CHECK(orthonormality_error(w, 64, 256, false) < 1e-5);
        const auto wd = draw<Orthogonal, double>(1, 0, 256, 64);
        CHECK(orthonormality_error(wd, 64, 256, false) < 1e-12);
    }
    SECTION("tall: Wᵀ·W = I") {
        const auto w = draw<Orthogonal>(1, 0, 64, 256);
        CHECK(orthonormality_error(w, 256, 64, true) < 1e-5);
    }
    SECTION("square: both") {
        const auto w = draw<Orthogonal>(3, 0, 96, 96);
        CHECK(orthonormality_error(w, 96, 96, false) < 1e-5);
        CHECK(orthonormality_error(w, 96, 96, true) < 1e-5);
    }
    SECTION("random, not a fixed matrix") {
        const auto a = draw<Orthogonal>(1, 0, 64, 32), b = draw<Orthogonal>(2, 0, 64, 32);
        CHECK(a != b);
        // Entries of a random orthogonal (32, 64) matrix have variance 1/64; none is special.
        CHECK(moments(a).variance == Approx(1.0 / 64).epsilon(0.15));
    }
    SECTION("through Dense") {
        BasicSeq<double, Dense<128, 32, Orthogonal>> net{Seed{4}};
        const auto weight = net.named_tensors()[0];
        REQUIRE(weight.name == "0.weight");
        // The (out, in) view PyTorch sees, whatever order Dense keeps it in memory.
        std::vector<double> w(32 * 128);
        for (std::size_t o = 0; o < 32; ++o)
            for (std::size_t i = 0; i < 128; ++i) w[o * 128 + i] = weight.at(o, i);
        CHECK(orthonormality_error(w, 32, 128, false) < 1e-12);
    }
}

TEST_CASE("Initialization is a function of the seed and the layer", "[initializers]") {
    SECTION("same seed, same values; float is double rounded") {
        CHECK(draw<He>(7) == draw<He>(7));
        CHECK(draw<HeUniform>(7) == draw<HeUniform>(7));
        CHECK(draw<Orthogonal>(7, 0, 40, 20) == draw<Orthogonal>(7, 0, 40, 20));
        const auto d = draw<Xavier, double>(7);
        const auto f = draw<Xavier, float>(7);
        for (std::size_t i = 0; i < d.size(); i += 997) CHECK(f[i] == static_cast<float>(d[i]));
    }
    SECTION("another seed or another layer index, another stream") {
        const auto a = draw<He>(7, 0), b = draw<He>(8, 0), c = draw<He>(7, 1);
        CHECK(a != b);
        CHECK(a != c);
        // Not merely different: uncorrelated (standard error of the correlation here is 1/√count).
        double ab = 0, ac = 0, aa = 0;
        for (std::size_t i = 0; i < count; ++i) ab += a[i] * b[i], ac += a[i] * c[i], aa += a[i] * a[i];
        CHECK(std::abs(ab / aa) < 6 / std::sqrt(double(count)));
        CHECK(std::abs(ac / aa) < 6 / std::sqrt(double(count)));
        CHECK(draw<LeCunUniform>(7, 0) != draw<LeCunUniform>(7, 1));
        CHECK(draw<Orthogonal>(7, 0, 40, 20) != draw<Orthogonal>(7, 1, 40, 20));
    }
    SECTION("a layer's weights depend on its index, not on the layers around it") {
        Seq<Dense<8, 16>, ReLU, Dense<16, 4>> a{Seed{3}};
        Seq<Dense<9, 16, Xavier>, Tanh, Dense<16, 4>> b{Seed{3}};
        const auto wa = a.named_tensors()[2].value, wb = b.named_tensors()[2].value;
        REQUIRE(a.named_tensors()[2].name == "2.weight");
        CHECK(std::equal(wa.begin(), wa.end(), wb.begin(), wb.end()));
        const auto first = a.named_tensors()[0].value;
        CHECK_FALSE(std::equal(first.begin(), first.begin() + 64, wa.begin()));
    }
}

TEST_CASE("Dense starts with the initializer's weights and zero biases", "[initializers][dense]") {
    BasicSeq<double, Dense<1024, 512, He>, Dense<512, 256, LeCunUniform>, Dense<256, 8, TorchDefault>> net{Seed{9}};
    const auto named = net.named_tensors();
    REQUIRE(named.size() == 6);
    for (std::size_t b = 1; b < 6; b += 2) {
        INFO(named[b].name);
        CHECK(std::all_of(named[b].value.begin(), named[b].value.end(), [](double v) { return v == 0.0; }));
    }
    const std::vector<double> w0(named[0].value.begin(), named[0].value.end());
    CHECK(moments(w0).variance == Approx(2.0 / 1024).epsilon(0.015));
    const std::vector<double> w1(named[2].value.begin(), named[2].value.end());
    CHECK(moments(w1).variance == Approx(1.0 / 512).epsilon(0.02));
    CHECK(moments(w1).largest <= std::sqrt(3.0 / 512));
    const std::vector<double> w2(named[4].value.begin(), named[4].value.end());
    CHECK(moments(w2).largest <= 1.0 / 16);
}
