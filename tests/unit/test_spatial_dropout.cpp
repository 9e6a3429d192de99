#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
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

}  // namespace

TEST_CASE("SpatialDropout passes the law suite", "[laws][spatial_dropout]") {
    SECTION("alone") { testing::check_laws<Input<1, 3, 3>, SpatialDropout<0.3>>(); }
    SECTION("three channels") { testing::check_laws<Input<3, 3, 2>, SpatialDropout<0.3>>(); }
    SECTION("fused after Conv2D (a pixel per register row)") {
        testing::check_laws<Input<3, 4, 4>, Conv2D<3, 5, 3, Padding<1>>, SpatialDropout<0.3>, Flatten, Dense<80, 2>>();
    }
    SECTION("after pooling, before Dense") {
        testing::check_laws<Input<1, 4, 4>, MaxPool2D<2>, SpatialDropout<0.3>, Flatten, Dense<4, 2>>();
    }
}

TEST_CASE("SpatialDropout drops whole channels of a sample with probability P", "[spatial_dropout]") {
    constexpr std::size_t C = 8, HW = 9, rows = 500;
    constexpr double P = 0.4;
    Seq<Input<C, 3, 3>, SpatialDropout<P>> net{Seed{5}};
    const Matrix<float> x = positive(rows, C * HW, 2);
    const Matrix<float> y = net.forward(x, Mode::Train);
    const float scale = static_cast<float>(1.0 / (1.0 - P));
    std::size_t dropped = 0;
    bool whole = true, exact = true;
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c) {
            // Seq's rows are in PyTorch's order: channel c of sample n is c·H·W + p.
            std::size_t zeros = 0;
            for (std::size_t p = 0; p < HW; ++p) {
                const float v = y(n, c * HW + p);
                zeros += v == 0.0f;
                exact = exact && (v == 0.0f || v == x(n, c * HW + p) * scale);
            }
            whole = whole && (zeros == 0 || zeros == HW);
            dropped += zeros == HW;
        }
    CHECK(whole);
    CHECK(exact);
    const double fraction = static_cast<double>(dropped) / (rows * C);
    INFO("dropped fraction " << fraction);
    CHECK(std::abs(fraction - P) <= 5 * std::sqrt(P * (1 - P) / (rows * C)));
}

TEST_CASE("SpatialDropout is the identity in eval mode and for P = 0", "[spatial_dropout]") {
    const Matrix<float> x = positive(6, 2 * 9, 3);
    Seq<Input<2, 3, 3>, SpatialDropout<0.5>> net{Seed{1}};
    CHECK(identical(net.forward(x, Mode::Eval), x));
    CHECK(identical(net.predict(x), x));
    CHECK(identical(net.backward(x), x));
    Seq<Input<2, 3, 3>, SpatialDropout<0.0>> none{Seed{1}};
    CHECK(identical(none.forward(x, Mode::Train), x));
}

TEST_CASE("SpatialDropout backward regenerates the forward mask; fused and unfused agree", "[spatial_dropout]") {
    // Five channels: registers of 4, 8 or 16 lanes straddle the channels of a position and the positions.
    using Net = Seq<Input<5, 3, 3>, SpatialDropout<0.5>>;
    const Matrix<float> x = positive(9, 45, 1), dy = positive(9, 45, 2);
    Net fused{Seed{3}}, plain{Seed{3}};
    plain.set_fused(false);
    fused.forward(x, Mode::Train);
    plain.forward(x, Mode::Train);
    const Matrix<float> y = fused.forward(x, Mode::Train);
    CHECK(identical(plain.forward(x, Mode::Train), y));
    const Matrix<float> dx = fused.backward(dy);
    CHECK(identical(plain.backward(dy), dx));
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (y.data()[i] == 0.0f) {
            ++dropped;
            CHECK(dx.data()[i] == 0.0f);
        } else {
            CHECK(dx.data()[i] == dy.data()[i] * 2.0f);
        }
    }
    CHECK(dropped > 0);
    CHECK(dropped < y.size());
    // kept(stream, n, c) is the documented mask.
    using Bound = SpatialDropout<0.5>::bind<float, Shape<5, 3, 3>>;
    const Philox stream = Bound::mask_stream(StepContext{Mode::Train, fused.seed(), fused.train_steps(), 1});
    std::size_t agree = 0;
    for (std::size_t n = 0; n < 9; ++n)
        for (std::size_t i = 0; i < 45; ++i) agree += Bound::kept(stream, n, i / 9) == (y(n, i) != 0.0f);  // i = c·9 + p
    CHECK(agree == y.size());
}

TEST_CASE("SpatialDropout keeps NaN, also in a dropped channel (as PyTorch multiplies)", "[spatial_dropout]") {
    using L = SpatialDropout<0.5>::bind<float, Shape<16, 1, 1>>;
    std::vector<float> x(16 * 4, std::numeric_limits<float>::quiet_NaN()), y(x.size());
    L layer;
    layer.forward({}, BatchView<const float, 16>{x.data(), 4}, BatchView<float, 16>{y.data(), 4},
                  StepContext{Mode::Train, Seed{2}, 1, 0});
    CHECK(std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); }));
}

TEST_CASE("SpatialDropout<P> takes images and P in [0, 1) only", "[spatial_dropout]") {
    STATIC_REQUIRE(SpatialDropout<0.5>::accepts<Shape<2, 3, 3>>);
    STATIC_REQUIRE_FALSE(SpatialDropout<0.5>::accepts<Shape<18>>);
    STATIC_REQUIRE_FALSE(SpatialDropout<1.0>::accepts<Shape<2, 3, 3>>);
    STATIC_REQUIRE(std::is_same_v<SpatialDropout<0.5>::bind<float, Shape<2, 3, 3>>::fusion_kind, fusion::elementwise>);
    CHECK(SpatialDropout<0.25>::bind<float, Shape<2, 3, 3>>::name() == "SpatialDropout(0.25)");
    using Chain = detail::layer_chain<float, Input<2, 3, 3>, SpatialDropout<-0.1>>;
    STATIC_REQUIRE(std::is_same_v<Chain::failure,
                                  diagnostics::check_drop_probability<layer_index<1>, SpatialDropout<-0.1>>>);
}
