#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include <typenet/layers/global_avg_pool_2d.hpp>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("GlobalAvgPool2D passes the law suite", "[laws][pool][global_avg_pool]") {
    SECTION("alone") { testing::check_laws<Input<1, 3, 5>, GlobalAvgPool2D>(); }
    SECTION("three channels") { testing::check_laws<Input<3, 4, 3>, GlobalAvgPool2D>(); }
    SECTION("after pooling, before Dense") {
        testing::check_laws<Input<1, 6, 5>, MaxPool2D<2>, GlobalAvgPool2D, Dense<1, 2>>();
    }
}

TEST_CASE("GlobalAvgPool2D averages each channel of a channels-last sample", "[pool][global_avg_pool]") {
    using L = GlobalAvgPool2D::bind<double, Shape<3, 2, 2>>;
    STATIC_REQUIRE(std::is_same_v<L::output_shape, Shape<3>>);
    // (h, w) holds the channels {1, 10, 100}·(p + 1) for p = h·2 + w: means 2.5, 25, 250.
    std::vector<double> x;
    for (int p = 1; p <= 4; ++p) x.insert(x.end(), {1.0 * p, 10.0 * p, 100.0 * p});
    std::vector<double> y(3), dx(12, -1.0);
    L layer;
    layer.forward({}, BatchView<const double, 12>{x.data(), 1}, BatchView<double, 3>{y.data(), 1}, {});
    CHECK(y == std::vector<double>{2.5, 25, 250});
    const std::vector<double> dy = {4, 8, -2};
    layer.backward({}, BatchView<const double, 12>{x.data(), 1}, {}, BatchView<const double, 3>{dy.data(), 1},
                   BatchView<double, 12>{dx.data(), 1}, {});
    for (std::size_t p = 0; p < 4; ++p) {
        CHECK(dx[p * 3] == 1.0);
        CHECK(dx[p * 3 + 1] == 2.0);
        CHECK(dx[p * 3 + 2] == -0.5);
    }
}

TEST_CASE("GlobalAvgPool2D over many channels and rows", "[pool][global_avg_pool]") {
    constexpr std::size_t C = 21, HW = 3 * 5, rows = 3;
    using L = GlobalAvgPool2D::bind<double, Shape<C, 3, 5>>;
    const Matrix<double> x = testing::random_matrix(rows, C * HW, 11, 0.1, 1.0);
    std::vector<double> y(rows * C);
    const L layer;
    layer.infer({}, BatchView<const double, C * HW>{x.data(), rows}, BatchView<double, C>{y.data(), rows});
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c) {
            double sum = 0;
            for (std::size_t p = 0; p < HW; ++p) sum += x(n, p * C + c);
            CHECK(y[n * C + c] == Approx(sum / HW).epsilon(1e-14));
        }
}

TEST_CASE("GlobalAvgPool2D propagates NaN to its channel only", "[pool][global_avg_pool]") {
    using L = GlobalAvgPool2D::bind<float, Shape<2, 3, 3>>;
    std::vector<float> x(18, 2.0f), y(2);
    x[5 * 2 + 1] = std::numeric_limits<float>::quiet_NaN();
    const L layer;
    layer.infer({}, BatchView<const float, 18>{x.data(), 1}, BatchView<float, 2>{y.data(), 1});
    CHECK(y[0] == 2.0f);
    CHECK(std::isnan(y[1]));
}

TEST_CASE("GlobalAvgPool2D takes images only", "[pool][global_avg_pool]") {
    STATIC_REQUIRE(GlobalAvgPool2D::accepts<Shape<4, 1, 1>>);
    STATIC_REQUIRE_FALSE(GlobalAvgPool2D::accepts<Shape<4>>);
    using Chain = detail::layer_chain<float, Dense<3, 6>, GlobalAvgPool2D>;
    STATIC_REQUIRE(std::is_same_v<Chain::failure, diagnostics::check_image_input<
                                                      layer_index<1>, GlobalAvgPool2D, receives<Shape<6>>>>);
    CHECK(Seq<Input<4, 2, 2>, GlobalAvgPool2D>::summary().find("GlobalAvgPool2D") != std::string::npos);
}
