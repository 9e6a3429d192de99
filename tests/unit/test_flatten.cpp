#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("Flatten passes the law suite", "[laws][flatten]") {
    SECTION("one channel") { testing::check_laws<Input<1, 3, 4>, Flatten>(); }
    SECTION("one-channel convolution, then masks numbered per sample") {
        testing::check_laws<Input<1, 4, 4>, Conv2D<1, 1, 3, Padding<1>>, Flatten, Dropout<0.5>, Dense<16, 2>>();
        testing::check_laws<Input<1, 4, 4>, Conv2D<1, 1, 3, Padding<1>>, Flatten, DropPath<0.5>, Dense<16, 2>>();
    }
    SECTION("a flat shape") { testing::check_laws<Input<6>, Flatten, Dense<6, 2>>(); }
    SECTION("three channels, before Dense") { testing::check_laws<Input<3, 2, 4>, Flatten, Dense<24, 2>>(); }
    SECTION("after pooling") { testing::check_laws<Input<1, 4, 6>, AvgPool2D<2>, Flatten, Dense<6, 2>>(); }
}

TEST_CASE("Flatten turns a channels-last sample into PyTorch's order", "[flatten]") {
    using L = Flatten::bind<double, Shape<2, 2, 3>>;
    STATIC_REQUIRE(std::is_same_v<L::output_shape, Shape<12>>);
    STATIC_REQUIRE(std::is_same_v<L::fusion_kind, fusion::barrier>);
    // Channels-last: (h, w) holds {c0, c1} = {p, 100 + p} for p = h·3 + w. PyTorch's order: c·6 + p.
    constexpr std::size_t rows = 2;
    std::vector<double> x;
    for (std::size_t n = 0; n < rows; ++n)
        for (int p = 0; p < 6; ++p) x.insert(x.end(), {1000.0 * n + p, 1000.0 * n + 100 + p});
    std::vector<double> y(rows * 12), dx(rows * 12);
    L layer;
    layer.forward({}, BatchView<const double, 12>{x.data(), rows}, BatchView<double, 12>{y.data(), rows}, {});
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t p = 0; p < 6; ++p) CHECK(y[n * 12 + c * 6 + p] == 1000.0 * n + 100.0 * c + p);
    // Backward is the inverse permutation.
    layer.backward({}, {}, {}, BatchView<const double, 12>{y.data(), rows}, BatchView<double, 12>{dx.data(), rows}, {});
    CHECK(dx == x);
}

TEST_CASE("Flatten is an identity that fuses where the orders coincide", "[flatten]") {
    STATIC_REQUIRE(std::is_same_v<Flatten::bind<float, Shape<8, 1, 1>>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(std::is_same_v<Flatten::bind<float, Shape<8>>::output_shape, Shape<8>>);
    STATIC_REQUIRE(FusesInTraining<Flatten::bind<float, Shape<8, 1, 1>>>);
    STATIC_REQUIRE_FALSE(FusesInTraining<Flatten::bind<float, Shape<2, 4, 4>>>);
    // One pixel per row before, one sample per row after: a mask after it must not see the pixel rows.
    STATIC_REQUIRE_FALSE(FusesInTraining<Flatten::bind<float, Shape<1, 4, 4>>>);
    STATIC_REQUIRE(FusesInInference<Flatten::bind<float, Shape<1, 4, 4>>>);
    using Net = Seq<Input<1, 2, 3>, Flatten, Dense<6, 2>>;
    STATIC_REQUIRE(Net::input_size == 6);
    CHECK(Net::summary().find("Flatten") != std::string::npos);
}

TEST_CASE("Flatten keeps NaN in place", "[flatten]") {
    using L = Flatten::bind<float, Shape<3, 2, 2>>;
    std::vector<float> x(12, 1.0f), y(12);
    x[1 * 3 + 2] = std::numeric_limits<float>::quiet_NaN();  // c = 2, p = 1
    const L layer;
    layer.infer({}, BatchView<const float, 12>{x.data(), 1}, BatchView<float, 12>{y.data(), 1});
    for (std::size_t i = 0; i < 12; ++i) CHECK(std::isnan(y[i]) == (i == 2 * 4 + 1));
}
