#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <typenet/layers/avg_pool_2d.hpp>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

template <class L>
std::vector<double> run_forward(L& layer, const std::vector<double>& x, std::size_t rows) {
    std::vector<double> y(rows * L::output_shape::size);
    layer.forward({}, BatchView<const double, L::input_shape::size>{x.data(), rows},
                  BatchView<double, L::output_shape::size>{y.data(), rows}, StepContext{Mode::Train});
    return y;
}
template <class L>
std::vector<double> run_backward(L& layer, const std::vector<double>& x, const std::vector<double>& dy,
                                 std::size_t rows) {
    std::vector<double> dx(rows * L::input_shape::size, -7.0);
    layer.backward({}, BatchView<const double, L::input_shape::size>{x.data(), rows}, {},
                   BatchView<const double, L::output_shape::size>{dy.data(), rows},
                   BatchView<double, L::input_shape::size>{dx.data(), rows}, StepContext{Mode::Train});
    return dx;
}

std::vector<double> channels_last(const std::vector<double>& chw, std::size_t rows, std::size_t C, std::size_t HW) {
    std::vector<double> hwc(chw.size());
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < HW; ++p) hwc[n * C * HW + p * C + c] = chw[n * C * HW + c * HW + p];
    return hwc;
}

void check_close(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("element " << i);
        CHECK(a[i] == Approx(b[i]).epsilon(1e-14).margin(1e-15));
    }
}

/// Average pooling from PyTorch's definition (count_include_pad=True), (N, C, H, W) order: forward, and
/// the backward of upstream dy.
template <std::size_t C, std::size_t H, std::size_t W, std::size_t K, class... Options>
void check_against_reference() {
    using Spec = AvgPool2D<K, Options...>;
    using L = typename Spec::template bind<double, Shape<C, H, W>>;
    constexpr std::size_t S = Spec::stride, P = Spec::padding, rows = 2;
    constexpr std::size_t OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
    STATIC_REQUIRE(std::is_same_v<typename L::output_shape, Shape<C, OH, OW>>);
    const std::string where = L::name() + " on " + Shape<C, H, W>::str();
    INFO(where);
    const Matrix<double> xm = testing::random_matrix(rows, C * H * W, 3, 0.1, 1.0);
    const Matrix<double> dym = testing::random_matrix(rows, C * OH * OW, 4, 0.1, 1.0);
    const std::vector<double> x(xm.begin(), xm.end()), dy(dym.begin(), dym.end());
    std::vector<double> y(rows * C * OH * OW, 0.0), dx(x.size(), 0.0);
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < OH; ++i)
                for (std::size_t j = 0; j < OW; ++j) {
                    const std::size_t o = ((n * C + c) * OH + i) * OW + j;
                    for (std::size_t a = 0; a < K; ++a)
                        for (std::size_t b = 0; b < K; ++b) {
                            const long h = long(i * S + a) - long(P), w = long(j * S + b) - long(P);
                            if (h < 0 || w < 0 || h >= long(H) || w >= long(W)) continue;  // a zero of the padding
                            const std::size_t k = ((n * C + c) * H + h) * W + w;
                            y[o] += x[k] / double(K * K);
                            dx[k] += dy[o] / double(K * K);
                        }
                }
    L layer;
    const std::vector<double> xl = channels_last(x, rows, C, H * W);
    check_close(run_forward(layer, xl, rows), channels_last(y, rows, C, OH * OW));
    check_close(run_backward(layer, xl, channels_last(dy, rows, C, OH * OW), rows), channels_last(dx, rows, C, H * W));
}

}  // namespace

TEST_CASE("AvgPool2D passes the law suite", "[laws][pool][avg_pool]") {
    SECTION("2x2 on an odd map") { testing::check_laws<Input<1, 5, 5>, AvgPool2D<2>>(); }
    SECTION("3x3, stride 2, padding 1") { testing::check_laws<Input<1, 7, 6>, AvgPool2D<3, Padding<1>, Stride<2>>>(); }
    SECTION("overlapping windows, stride 1") { testing::check_laws<Input<1, 4, 5>, AvgPool2D<3, Stride<1>>>(); }
    SECTION("three channels, 3x3, stride 2, padding 1") {
        testing::check_laws<Input<3, 5, 6>, AvgPool2D<3, Stride<2>, Padding<1>>>();
    }
}

TEST_CASE("AvgPool2D: a hand-computed example with padding", "[pool][avg_pool]") {
    // One (1, 2, 2) sample [[1, 2], [3, 4]], AvgPool2D<2, Stride<1>, Padding<1>>: 3x3 outputs, each the sum
    // of the window's real pixels divided by 4 (the padding counts as zeros).
    using L = AvgPool2D<2, Stride<1>, Padding<1>>::bind<double, Shape<1, 2, 2>>;
    STATIC_REQUIRE(std::is_same_v<L::output_shape, Shape<1, 3, 3>>);
    L layer;
    const std::vector<double> x = {1, 2, 3, 4};
    check_close(run_forward(layer, x, 1), {0.25, 0.75, 0.5, 1.0, 2.5, 1.5, 0.75, 1.75, 1.0});
    // dx(h, w) = Σ dy / 4 over the four windows containing each pixel.
    const std::vector<double> dy = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    check_close(run_backward(layer, x, dy, 1), {(1 + 2 + 4 + 5) / 4.0, (2 + 3 + 5 + 6) / 4.0, (4 + 5 + 7 + 8) / 4.0,
                                                (5 + 6 + 8 + 9) / 4.0});
}

TEST_CASE("AvgPool2D matches the definition for odd sizes, strides, padding and many channels", "[pool][avg_pool]") {
    check_against_reference<1, 5, 7, 2>();
    check_against_reference<3, 5, 5, 3, Stride<2>>();
    check_against_reference<2, 6, 5, 3, Stride<2>, Padding<1>>();
    check_against_reference<3, 4, 4, 2, Padding<1>>();
    check_against_reference<4, 7, 5, 3, Stride<1>, Padding<1>>();
    check_against_reference<19, 5, 5, 3, Stride<2>, Padding<1>>();
    check_against_reference<16, 4, 6, 2>();
}

TEST_CASE("AvgPool2D propagates NaN to the windows that contain it", "[pool][avg_pool]") {
    using L = AvgPool2D<2>::bind<float, Shape<2, 4, 4>>;
    std::vector<float> x(32, 1.0f), y(8);
    x[(1 * 4 + 1) * 2 + 1] = std::numeric_limits<float>::quiet_NaN();  // channel 1, (1, 1): window (0, 0)
    const L layer;
    layer.infer({}, BatchView<const float, 32>{x.data(), 1}, BatchView<float, 8>{y.data(), 1});
    for (std::size_t o = 0; o < 4; ++o) {
        CHECK(y[o * 2] == 1.0f);
        CHECK(std::isnan(y[o * 2 + 1]) == (o == 0));
    }
}

TEST_CASE("AvgPool2D: options, names and rejections", "[pool][avg_pool]") {
    CHECK(AvgPool2D<2>::bind<float, Shape<2, 8, 8>>::name() == "AvgPool2D<2, Stride<2>, Padding<0>>");
    STATIC_REQUIRE(std::is_same_v<Seq<Input<2, 9, 9>, AvgPool2D<3, Padding<1>, Stride<2>>>::output_shape, Shape<2, 5, 5>>);
    STATIC_REQUIRE_FALSE(AvgPool2D<2>::accepts<Shape<16>>);
    STATIC_REQUIRE_FALSE(AvgPool2D<3, Padding<2>>::accepts<Shape<1, 8, 8>>);
    using Chain = detail::layer_chain<float, Input<1, 8, 2>, AvgPool2D<3>>;
    STATIC_REQUIRE(std::is_same_v<Chain::failure,
                                  diagnostics::check_window_fits<layer_index<1>, AvgPool2D<3>, receives<Shape<1, 8, 2>>,
                                                                  window<3, 3, 0>>>);
}
