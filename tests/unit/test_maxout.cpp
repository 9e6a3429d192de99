#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("Maxout passes the law suite", "[laws][maxout][activations]") {
    // Inputs are drawn apart (magnitudes in [0.1, 1], random signs), so no group has two entries within
    // the finite-difference step of each other: a near tie would make the max non-differentiable there.
    SECTION("K = 3 alone") { testing::check_laws<Input<6>, Maxout<3>>(); }
    SECTION("K = 2 alone") { testing::check_laws<Input<8>, Maxout<2>>(); }
    SECTION("channels of a (4, 3) sample") { testing::check_laws<Input<4, 3>, Maxout<2>>(); }
    SECTION("between Dense layers") { testing::check_laws<Dense<5, 12>, Maxout<3>, Dense<4, 2>>(); }
}

TEST_CASE("Maxout takes the max of K consecutive features", "[maxout][activations]") {
    using Net = BasicSeq<double, Input<6>, Maxout<3>>;
    STATIC_REQUIRE(Net::output_size == 2);
    STATIC_REQUIRE(Net::parameter_count == 0);
    Net net;
    // Strided groups ({x0, x2, x4}, {x1, x3, x5}) would give (9, 8); consecutive ones give (8, 9).
    const auto y = net.predict(std::array<double, 6>{1, 8, 3, 2, 9, -4});
    CHECK(y[0] == 8);
    CHECK(y[1] == 9);

    using Wide = Seq<Dense<5, 12>, Maxout<3>, Dense<4, 2>>;
    STATIC_REQUIRE(Wide::parameter_count == 5 * 12 + 12 + 4 * 2 + 2);
    STATIC_REQUIRE(std::is_same_v<Wide::rebind<double>::output_shape, Shape<2>>);
    CHECK(Maxout<3>::bind<float, Shape<12>>::name() == "Maxout(3)");
    CHECK(Wide::summary().find("Maxout(3)") != std::string::npos);
    STATIC_REQUIRE(std::is_same_v<Maxout<3>::bind<float, Shape<12>>::fusion_kind, fusion::barrier>);
}

TEST_CASE("Maxout over a multi-dimensional sample groups K consecutive channels", "[maxout][activations]") {
    using Net = BasicSeq<double, Input<4, 2>, Maxout<2>>;
    STATIC_REQUIRE(std::is_same_v<Net::output_shape, Shape<2, 2>>);
    Net net;
    // Channels c0..c3 of 2 positions each; output channel j = max(c[2j], c[2j+1]) at each position.
    const auto y = net.predict(std::array<double, 8>{1, 6, 5, 2, -1, -3, -2, 0});
    CHECK(y[0] == 5);
    CHECK(y[1] == 6);
    CHECK(y[2] == -1);
    CHECK(y[3] == 0);
}

TEST_CASE("Maxout sends the gradient to the first largest input of each group", "[maxout][activations]") {
    BasicSeq<double, Input<6>, Maxout<3>> net;
    const Matrix<double> x = {{2, 7, 7, -1, -1, -5}, {0, 0, 1, 3, 2, 1}};
    const Matrix<double> dy = {{10, 20}, {30, 40}};
    net.forward(x, Mode::Train);
    const Matrix<double> dx = net.backward(dy);
    const Matrix<double> expected = {{0, 10, 0, 20, 0, 0}, {0, 0, 30, 40, 0, 0}};
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t c = 0; c < 6; ++c) {
            INFO("row " << r << " column " << c);
            CHECK(dx(r, c) == expected(r, c));
        }
}

TEST_CASE("Maxout propagates NaN instead of hiding it", "[maxout][activations]") {
    BasicSeq<float, Input<4>, Maxout<2>> net;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto y = net.predict(std::array<float, 4>{1.0f, nan, nan, 1.0f});
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
}

TEST_CASE("Maxout<K> accepts a width only if K divides it", "[maxout][activations]") {
    STATIC_REQUIRE(Maxout<3>::accepts<Shape<12>>);
    STATIC_REQUIRE(!Maxout<3>::accepts<Shape<10>>);
    STATIC_REQUIRE(Maxout<1>::accepts<Shape<7>>);
    STATIC_REQUIRE(!Maxout<0>::accepts<Shape<6>>);
    STATIC_REQUIRE(Maxout<2>::accepts<Shape<4, 3>>);
    STATIC_REQUIRE(!Maxout<2>::accepts<Shape<3, 4>>);
    // The failing network is a type that can be named without a cascade of errors; instantiating it is
    // the one diagnostic (tests/compile_fail/maxout_not_divisible.cpp).
    using Chain = detail::layer_chain<float, Dense<4, 10>, Maxout<3>, Dense<3, 2>>;
    STATIC_REQUIRE(!Chain::valid);
    STATIC_REQUIRE(std::is_same_v<Chain::failure, diagnostics::check_maxout_divides_width<
                                                      layer_index<1>, Maxout<3>, receives<Shape<10>>>>);
}
