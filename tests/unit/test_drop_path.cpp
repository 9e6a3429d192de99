#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// Positive inputs far from 0, so a zero output can only come from the mask.
Matrix<float> positive(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    Matrix<float> m = Matrix<float>::from_shape({rows, cols});
    const Matrix<double> r = testing::random_matrix(rows, cols, seed, 0.5, 2.0);
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(std::abs(r.data()[i]));
    return m;
}

bool identical(const Matrix<float>& a, const Matrix<float>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

/// Per row: whether every value of y is 0 (the sample was dropped).
std::vector<bool> dropped_rows(const Matrix<float>& y) {
    std::vector<bool> dropped(y.shape(0));
    for (std::size_t n = 0; n < y.shape(0); ++n) {
        bool all = true;
        for (std::size_t i = 0; i < y.shape(1); ++i) all = all && y(n, i) == 0.0f;
        dropped[n] = all;
    }
    return dropped;
}

/// Every row of y is all 0 or exactly x·T(1/(1 − P)); returns how many rows are dropped.
std::size_t check_whole_rows(const Matrix<float>& x, const Matrix<float>& y, double P) {
    const float scale = static_cast<float>(1.0 / (1.0 - P));
    std::size_t dropped = 0;
    bool whole = true;
    for (std::size_t n = 0; n < x.shape(0); ++n) {
        std::size_t zeros = 0, scaled = 0;
        for (std::size_t i = 0; i < x.shape(1); ++i) {
            zeros += y(n, i) == 0.0f;
            scaled += y(n, i) == x(n, i) * scale;
        }
        whole = whole && (zeros == x.shape(1) || scaled == x.shape(1));
        dropped += zeros == x.shape(1);
    }
    CHECK(whole);
    return dropped;
}

}  // namespace

TEST_CASE("DropPath passes the law suite", "[laws][drop_path]") {
    // Eight samples: with P = 0.3 both kept and dropped rows occur at the suite's seed.
    const testing::LawOptions eight{.batch = 8};
    SECTION("flat") { testing::check_laws<Input<6>, DropPath<0.3>>(eight); }
    SECTION("image (C, H, W)") { testing::check_laws<Input<3, 3, 2>, DropPath<0.3>>(eight); }
    SECTION("fused after Dense and Tanh") { testing::check_laws<Dense<5, 7>, Tanh, DropPath<0.3>, Dense<7, 3>>(eight); }
    SECTION("last in a Residual body, flat") { testing::check_laws<Input<8>, Residual<Dense<8, 8>, DropPath<0.5>>>(eight); }
    SECTION("last in a Residual body after Conv2D and BatchNorm (a pixel per register row)") {
        testing::check_laws<Input<3, 4, 4>, Residual<Conv2D<3, 3, 3, Padding<1>, NoBias>, BatchNorm, DropPath<0.3>>,
                            Flatten, Dense<48, 2>>(eight);
    }
}

TEST_CASE("DropPath drops whole samples with probability P, survivors scaled by 1/(1 - P)", "[drop_path]") {
    SECTION("2000 flat rows at P = 0.3: the dropped fraction within 5 sigma") {
        constexpr std::size_t rows = 2000;
        constexpr double P = 0.3;
        Seq<Input<4>, DropPath<P>> net{Seed{5}};
        const Matrix<float> x = positive(rows, 4, 2);
        const std::size_t dropped = check_whole_rows(x, net.forward(x, Mode::Train), P);
        const double fraction = static_cast<double>(dropped) / rows;
        INFO("dropped fraction " << fraction);
        CHECK(std::abs(fraction - P) <= 5 * std::sqrt(P * (1 - P) / rows));
    }
    SECTION("an image sample: the whole C·H·W row goes, not a channel or a pixel") {
        constexpr std::size_t rows = 64;
        constexpr double P = 0.5;
        Seq<Input<3, 4, 5>, DropPath<P>> net{Seed{6}};
        const Matrix<float> x = positive(rows, 60, 3);
        const std::size_t dropped = check_whole_rows(x, net.forward(x, Mode::Train), P);
        CHECK(dropped > 0);
        CHECK(dropped < rows);
    }
}

TEST_CASE("DropPath is the identity in eval mode and for P = 0", "[drop_path]") {
    const Matrix<float> x = positive(6, 2 * 9, 3);
    Seq<Input<2, 3, 3>, DropPath<0.5>> net{Seed{1}};
    CHECK(identical(net.forward(x, Mode::Eval), x));
    CHECK(identical(net.predict(x), x));
    CHECK(identical(net.backward(x), x));
    Seq<Input<2, 3, 3>, DropPath<0.0>> none{Seed{1}};
    CHECK(identical(none.forward(x, Mode::Train), x));
    CHECK(identical(none.backward(x), x));
    Seq<Input<18>, DropPath<0.5>> flat{Seed{1}};
    CHECK(identical(flat.forward(x, Mode::Eval), x));
}

TEST_CASE("DropPath masks are a function of seed, layer, step and sample index", "[drop_path]") {
    using Net = Seq<Input<10>, DropPath<0.5>>;
    const Matrix<float> x = positive(64, 10, 5);
    Net a{Seed{7}}, b{Seed{7}}, other_seed{Seed{8}};
    const Matrix<float> a1 = a.forward(x, Mode::Train);
    SECTION("same seed and step: same mask") { CHECK(identical(b.forward(x, Mode::Train), a1)); }
    SECTION("another step: another mask") {
        CHECK(dropped_rows(a.forward(x, Mode::Train)) != dropped_rows(a1));
        // Eval forwards do not advance the step.
        b.forward(x, Mode::Eval);
        CHECK(identical(b.forward(x, Mode::Train), a1));
    }
    SECTION("another seed: another mask") { CHECK(dropped_rows(other_seed.forward(x, Mode::Train)) != dropped_rows(a1)); }
    SECTION("another layer: another mask") {
        // The same DropPath one position later (ReLU is the identity on positive inputs).
        Seq<Input<10>, ReLU, DropPath<0.5>> later{Seed{7}};
        CHECK(dropped_rows(later.forward(x, Mode::Train)) != dropped_rows(a1));
    }
    SECTION("sample n's fate depends neither on the values nor on the batch size") {
        CHECK(dropped_rows(b.forward(positive(64, 10, 6), Mode::Train)) == dropped_rows(a1));
        Net c{Seed{7}};
        Matrix<float> head = Matrix<float>::from_shape({5, 10});
        std::copy_n(x.data(), head.size(), head.data());
        const Matrix<float> c1 = c.forward(head, Mode::Train);
        CHECK(std::equal(c1.begin(), c1.end(), a1.begin()));
    }
    SECTION("kept(stream, n) is the documented mask") {
        using Bound = DropPath<0.5>::bind<float, Shape<10>>;
        // Layer index 1: Input<10> is layer 0 of the runner.
        const Philox stream = Bound::mask_stream(StepContext{Mode::Train, a.seed(), a.train_steps(), 1});
        const std::vector<bool> dropped = dropped_rows(a1);
        std::size_t agree = 0;
        for (std::size_t n = 0; n < 64; ++n) {
            const std::uint64_t word = stream(n / 4)[n % 4];
            CHECK(Bound::kept(stream, n) == (word >= std::uint64_t{1} << 31));
            agree += Bound::kept(stream, n) == !dropped[n];
        }
        CHECK(agree == 64);
    }
}

TEST_CASE("DropPath backward regenerates the forward mask; fused and unfused agree", "[drop_path]") {
    // Conv2D's epilogue sees registers of one pixel's 5 channels; 4, 8 or 16 lanes straddle pixels.
    using Net = Seq<Input<2, 3, 3>, Conv2D<2, 5, 1>, DropPath<0.5>>;
    const Matrix<float> x = positive(9, 18, 1), dy = positive(9, 45, 2);
    Net fused{Seed{3}}, plain{Seed{3}};
    plain.set_fused(false);
    fused.forward(x, Mode::Train);
    plain.forward(x, Mode::Train);
    const Matrix<float> y = fused.forward(x, Mode::Train);
    CHECK(identical(plain.forward(x, Mode::Train), y));
    const Matrix<float> dx = fused.backward(dy);
    CHECK(identical(plain.backward(dy), dx));

    Seq<Input<5, 3, 3>, DropPath<0.5>> alone{Seed{3}};
    alone.forward(dy, Mode::Train);
    const Matrix<float> masked = alone.forward(dy, Mode::Train);
    const Matrix<float> dmasked = alone.backward(dy);
    const std::vector<bool> dropped = dropped_rows(masked);
    CHECK(std::count(dropped.begin(), dropped.end(), true) > 0);
    CHECK(std::count(dropped.begin(), dropped.end(), false) > 0);
    // Backward multiplies dy by the forward's per-sample factor, 0 or 2.
    for (std::size_t n = 0; n < 9; ++n)
        for (std::size_t i = 0; i < 45; ++i) CHECK(dmasked(n, i) == (dropped[n] ? 0.0f : dy(n, i) * 2.0f));
}

TEST_CASE("DropPath keeps NaN, also in a dropped sample (as timm multiplies)", "[drop_path]") {
    using L = DropPath<0.5>::bind<float, Shape<3>>;
    std::vector<float> x(3 * 16, std::numeric_limits<float>::quiet_NaN()), y(x.size());
    L layer;
    layer.forward({}, BatchView<const float, 3>{x.data(), 16}, BatchView<float, 3>{y.data(), 16},
                  StepContext{Mode::Train, Seed{2}, 1, 0});
    CHECK(std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); }));
}

TEST_CASE("Residual<..., DropPath<P>> is x + mask_n/(1 - P)·body(x) per sample in train mode, x + body(x) in eval",
          "[drop_path][residual]") {
    SECTION("Dense body") {
        using Block = Seq<Input<8>, Residual<Dense<8, 8>, DropPath<0.5>>>;
        using Body = Seq<Input<8>, Dense<8, 8>>;
        STATIC_REQUIRE(Block::parameter_count == Body::parameter_count);
        Block block{Seed{1}};
        Body body{Seed{2}};
        std::ranges::copy(block.parameters(), body.parameters().begin());
        CHECK(block.named_tensors()[0].name == "0.body.0.weight");
        const Matrix<float> x = positive(40, 8, 4);
        const Matrix<float> b = body.predict(x), e = block.predict(x);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(e.data()[i] == x.data()[i] + b.data()[i]);

        const Matrix<float> y = block.forward(x, Mode::Train);
        std::size_t dropped = 0;
        for (std::size_t n = 0; n < 40; ++n) {
            bool is_x = true;
            for (std::size_t i = 0; i < 8; ++i) is_x = is_x && y(n, i) == x(n, i);
            dropped += is_x;
            for (std::size_t i = 0; i < 8 && !is_x; ++i) CHECK(y(n, i) == Approx(x(n, i) + 2.0f * b(n, i)).epsilon(1e-5));
        }
        CHECK(dropped > 0);
        CHECK(dropped < 40);
    }
    SECTION("Conv2D, BatchNorm body (train-mode batch statistics in both)") {
        using Block = Seq<Input<2, 4, 4>, Residual<Conv2D<2, 2, 3, Padding<1>, NoBias>, BatchNorm, DropPath<0.5>>>;
        using Body = Seq<Input<2, 4, 4>, Conv2D<2, 2, 3, Padding<1>, NoBias>, BatchNorm>;
        Block block{Seed{1}};
        Body body{Seed{2}};
        std::ranges::copy(block.parameters(), body.parameters().begin());
        const Matrix<float> x = positive(16, 32, 5);
        const Matrix<float> y = block.forward(x, Mode::Train), b = body.forward(x, Mode::Train);
        std::size_t dropped = 0;
        for (std::size_t n = 0; n < 16; ++n) {
            bool is_x = true;
            for (std::size_t i = 0; i < 32; ++i) is_x = is_x && y(n, i) == x(n, i);
            dropped += is_x;
            for (std::size_t i = 0; i < 32 && !is_x; ++i)
                CHECK(y(n, i) == Approx(x(n, i) + 2.0f * b(n, i)).epsilon(1e-5).margin(1e-5));
        }
        CHECK(dropped > 0);
        CHECK(dropped < 16);
        // Eval: running statistics, no mask.
        const Matrix<float> e = block.predict(x), be = body.predict(x);
        for (std::size_t i = 0; i < x.size(); ++i)
            CHECK(e.data()[i] == Approx(x.data()[i] + be.data()[i]).epsilon(1e-6).margin(1e-6));
    }
}

TEST_CASE("A network with Residual<Dense<8, 8>, DropPath<0.5>> trains through train_step", "[drop_path][residual]") {
    using Net = Seq<Input<8>, Residual<Dense<8, 8>, ReLU, Dense<8, 8>, DropPath<0.5>>, Dense<8, 2>>;
    Matrix<float> x = Matrix<float>::from_shape({32, 8});
    const Matrix<double> r = testing::random_matrix(32, 8, 11, 0.1, 1.0);
    std::vector<int> labels(32);
    for (std::size_t n = 0; n < 32; ++n) {
        for (std::size_t i = 0; i < 8; ++i) x(n, i) = static_cast<float>(r(n, i));
        labels[n] = x(n, 0) + x(n, 1) > 0.0f ? 1 : 0;
    }
    Net fused{Seed{4}}, plain{Seed{4}};
    plain.set_fused(false);
    const std::vector<float> body_before(fused.parameters().begin(), fused.parameters().begin() + 64);
    SGD a{.lr = 0.1, .momentum = 0.9}, b = a;
    float first = 0, last = 0;
    for (int step = 0; step < 60; ++step) {
        last = fused.train_step(x, labels, SoftmaxCrossEntropy{}, a);
        if (step == 0) first = last;
        plain.train_step(x, labels, SoftmaxCrossEntropy{}, b);
    }
    INFO("loss " << first << " -> " << last);
    CHECK(last < 0.5f * first);
    CHECK(!std::equal(body_before.begin(), body_before.end(), fused.parameters().begin()));
    const auto close = [](float u, float v) { return std::abs(u - v) <= 1e-4f * std::max(1.0f, std::abs(v)); };
    CHECK(std::ranges::equal(fused.parameters(), plain.parameters(), close));
}

TEST_CASE("DropPath<P> takes any shape and P in [0, 1) only; name, fusion kind, no tensors", "[drop_path]") {
    STATIC_REQUIRE(DropPath<0.5>::accepts<Shape<18>>);
    STATIC_REQUIRE(DropPath<0.5>::accepts<Shape<2, 3, 3>>);
    STATIC_REQUIRE(DropPath<0.0>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(DropPath<1.0>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(DropPath<-0.1>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(DropPath<std::numeric_limits<double>::quiet_NaN()>::accepts<Shape<4>>);
    using Chain = detail::layer_chain<float, Input<4>, DropPath<-0.1>>;
    STATIC_REQUIRE_FALSE(Chain::valid);
    STATIC_REQUIRE(std::is_same_v<Chain::failure, diagnostics::check_drop_probability<layer_index<1>, DropPath<-0.1>>>);
    // Inside a Residual body the index is the body's own.
    using Inner = detail::layer_chain<float, Input<4>, Residual<Dense<4, 4>, ReLU, DropPath<1.0>>>;
    STATIC_REQUIRE(std::is_same_v<Inner::failure, diagnostics::check_drop_probability<layer_index<2>, DropPath<1.0>>>);

    using Bound = DropPath<0.25>::bind<float, Shape<2, 3, 3>>;
    STATIC_REQUIRE(std::is_same_v<Bound::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(Bound::parameter_tensors.size() == 0 && Bound::buffer_tensors.size() == 0);
    CHECK(Bound::name() == "DropPath(0.25)");
    using Net = Seq<Dense<4, 8>, ReLU, DropPath<0.25>, Dense<8, 2>>;
    CHECK(Net::summary().find("DropPath(0.25)") != std::string::npos);
    CHECK(Net::signature().find("DropPath(0.25)(8)") != std::string::npos);
    CHECK(Net::fusion_plan().find("ReLU DropPath(0.25)]") != std::string::npos);
    CHECK(Seq<Input<4>, Residual<Dense<4, 4>, DropPath<0.1>>>::summary().find("Residual<Dense<4, 4, He>, DropPath(0.1)>") !=
          std::string::npos);
    // It takes an index in the Seq, as nn.Sequential(..., timm DropPath, ...) does.
    Net net{Seed{1}};
    std::vector<std::string> names;
    for (const auto& t : net.named_tensors()) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias"});
}
