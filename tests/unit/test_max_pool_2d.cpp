#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <typenet/layers/max_pool_2d.hpp>
#include <typenet/layers/image_layer_spec.hpp>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

template <class L>
using In = BatchView<const typename L::scalar, L::input_shape::size>;

/// The layer's forward on `rows` channels-last samples.
template <class L>
std::vector<double> run_forward(L& layer, const std::vector<double>& x, std::size_t rows) {
    std::vector<double> y(rows * L::output_shape::size);
    layer.forward({}, In<L>{x.data(), rows}, BatchView<double, L::output_shape::size>{y.data(), rows},
                  StepContext{Mode::Train});
    return y;
}
template <class L>
std::vector<double> run_backward(L& layer, const std::vector<double>& x, const std::vector<double>& dy,
                                 std::size_t rows) {
    std::vector<double> dx(rows * L::input_shape::size, -7.0);
    layer.backward({}, In<L>{x.data(), rows}, {}, BatchView<const double, L::output_shape::size>{dy.data(), rows},
                   BatchView<double, L::input_shape::size>{dx.data(), rows}, StepContext{Mode::Train});
    return dx;
}

/// Max pooling straight from PyTorch's definition, in (N, C, H, W) order with explicit −∞ padding.
/// Returns y and the flat CHW index of each output's winner (first maximum in scan order).
struct Reference {
    std::vector<double> y;
    std::vector<std::size_t> winner;
};
Reference reference_max_pool(const std::vector<double>& x, std::size_t rows, std::size_t C, std::size_t H,
                             std::size_t W, std::size_t K, std::size_t S, std::size_t P) {
    const std::size_t OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
    Reference r;
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < OH; ++i)
                for (std::size_t j = 0; j < OW; ++j) {
                    double best = -std::numeric_limits<double>::infinity();
                    std::size_t at = 0;
                    bool first = true;
                    for (std::size_t a = 0; a < K; ++a)
                        for (std::size_t b = 0; b < K; ++b) {
                            const long h = static_cast<long>(i * S + a) - static_cast<long>(P);
                            const long w = static_cast<long>(j * S + b) - static_cast<long>(P);
                            if (h < 0 || w < 0 || h >= static_cast<long>(H) || w >= static_cast<long>(W)) continue;
                            const std::size_t k = ((n * C + c) * H + h) * W + w;
                            if (first || x[k] > best) best = x[k], at = k, first = false;
                        }
                    r.y.push_back(best);
                    r.winner.push_back(at);
                }
    return r;
}

/// Rows of (C, H, W) samples from PyTorch's order to channels-last.
std::vector<double> channels_last(const std::vector<double>& chw, std::size_t rows, std::size_t C, std::size_t HW) {
    std::vector<double> hwc(chw.size());
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < HW; ++p) hwc[n * C * HW + p * C + c] = chw[n * C * HW + c * HW + p];
    return hwc;
}

/// Distinct values (no ties) in a shuffled order: value k/(n) + sign pattern.
std::vector<double> distinct(std::size_t n, std::uint64_t seed) {
    const Matrix<double> m = testing::random_matrix(1, n, seed, 0.1, 1.0);
    return {m.begin(), m.end()};
}

/// Compares the layer on channels-last data with the reference for one geometry.
template <std::size_t C, std::size_t H, std::size_t W, std::size_t K, class... Options>
void check_against_reference() {
    using Spec = MaxPool2D<K, Options...>;
    using L = typename Spec::template bind<double, Shape<C, H, W>>;
    constexpr std::size_t S = Spec::stride, P = Spec::padding, rows = 3;
    constexpr std::size_t OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
    STATIC_REQUIRE(std::is_same_v<typename L::output_shape, Shape<C, OH, OW>>);
    const std::string where = L::name() + " on " + Shape<C, H, W>::str();
    INFO(where);
    const std::vector<double> x = distinct(rows * C * H * W, C * 100 + H * 10 + W);
    const Reference ref = reference_max_pool(x, rows, C, H, W, K, S, P);
    const std::vector<double> dy_chw = distinct(rows * C * OH * OW, 5);
    L layer;
    const std::vector<double> y = run_forward(layer, channels_last(x, rows, C, H * W), rows);
    CHECK(y == channels_last(ref.y, rows, C, OH * OW));
    // dx from the reference: dy added at each output's winner.
    std::vector<double> dx_chw(x.size(), 0.0);
    for (std::size_t o = 0; o < dy_chw.size(); ++o) dx_chw[ref.winner[o]] += dy_chw[o];
    const std::vector<double> dx =
        run_backward(layer, channels_last(x, rows, C, H * W), channels_last(dy_chw, rows, C, OH * OW), rows);
    CHECK(dx == channels_last(dx_chw, rows, C, H * W));
}

}  // namespace

TEST_CASE("MaxPool2D passes the law suite", "[laws][pool][max_pool]") {
    // Inputs are drawn apart (magnitudes in [0.1, 1], random signs): no window holds a near tie.
    SECTION("2x2 on an odd map") { testing::check_laws<Input<1, 5, 5>, MaxPool2D<2>>(); }
    SECTION("3x3, stride 2, padding 1") { testing::check_laws<Input<1, 7, 6>, MaxPool2D<3, Padding<1>, Stride<2>>>(); }
    SECTION("overlapping windows, stride 1") { testing::check_laws<Input<1, 4, 5>, MaxPool2D<3, Stride<1>>>(); }
    SECTION("before Flatten and Dense") { testing::check_laws<Input<1, 6, 6>, MaxPool2D<2>, Flatten, Dense<9, 3>>(); }
    SECTION("three channels") { testing::check_laws<Input<3, 5, 4>, MaxPool2D<2>>(); }
    SECTION("three channels, 3x3, stride 2, padding 1") {
        testing::check_laws<Input<3, 5, 5>, MaxPool2D<3, Stride<2>, Padding<1>>>();
    }
    SECTION("between Conv2D and Dense") {
        testing::check_laws<Input<3, 6, 5>, Conv2D<3, 4, 3, Padding<1>>, MaxPool2D<2>, Flatten, Dense<24, 2>>();
    }
}

TEST_CASE("MaxPool2D: a hand-computed example in the channels-last layout", "[pool][max_pool]") {
    // One (2, 3, 3) sample, MaxPool2D<2, Stride<1>>: output (2, 2, 2). Channel 0 holds 1..9 row by row,
    // channel 1 holds 9..1; channels-last interleaves them: (h, w) holds {x0, x1}.
    using L = MaxPool2D<2, Stride<1>>::bind<double, Shape<2, 3, 3>>;
    STATIC_REQUIRE(std::is_same_v<L::output_shape, Shape<2, 2, 2>>);
    std::vector<double> x;
    for (int p = 0; p < 9; ++p) x.insert(x.end(), {double(p + 1), double(9 - p)});
    L layer;
    const std::vector<double> y = run_forward(layer, x, 1);
    // Channel 0: the bottom-right of each window (5, 6, 8, 9); channel 1: the top-left (9, 8, 6, 5).
    CHECK(y == std::vector<double>{5, 9, 6, 8, 8, 6, 9, 5});
    const std::vector<double> dx = run_backward(layer, x, {1, 10, 2, 20, 3, 30, 4, 40}, 1);
    std::vector<double> expected(18, 0.0);
    expected[4 * 2] = 1, expected[5 * 2] = 2, expected[7 * 2] = 3, expected[8 * 2] = 4;
    expected[0 * 2 + 1] = 10, expected[1 * 2 + 1] = 20, expected[3 * 2 + 1] = 30, expected[4 * 2 + 1] = 40;
    CHECK(dx == expected);
}

TEST_CASE("MaxPool2D matches the definition for odd sizes, strides, padding and many channels", "[pool][max_pool]") {
    check_against_reference<1, 5, 7, 2>();
    check_against_reference<3, 5, 5, 3, Stride<2>>();
    check_against_reference<2, 6, 5, 3, Stride<2>, Padding<1>>();
    check_against_reference<3, 4, 4, 2, Padding<1>>();
    check_against_reference<4, 7, 5, 3, Stride<1>, Padding<1>>();
    check_against_reference<5, 3, 8, 1, Stride<2>>();
    // Wide channels: the SIMD path and its tail.
    check_against_reference<19, 5, 5, 3, Stride<2>, Padding<1>>();
    check_against_reference<16, 4, 6, 2>();
}

TEST_CASE("MaxPool2D sends the gradient of a tie to the first maximum in scan order", "[pool][max_pool]") {
    using L = MaxPool2D<2>::bind<double, Shape<1, 2, 4>>;
    // Window 0: {3, 3 / 3, 1}: the top-left wins; window 1: {0, 2 / 2, 2}: the top-right wins.
    const std::vector<double> x = {3, 3, 0, 2, 3, 1, 2, 2};
    L layer;
    CHECK(run_forward(layer, x, 1) == std::vector<double>{3, 2});
    CHECK(run_backward(layer, x, {5, 7}, 1) == std::vector<double>{5, 0, 0, 7, 0, 0, 0, 0});
}

TEST_CASE("MaxPool2D propagates NaN and never returns the padding", "[pool][max_pool]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    using L = MaxPool2D<3, Stride<2>, Padding<1>>::bind<double, Shape<3, 3, 3>>;
    std::vector<double> x(27, -5.0);
    x[4 * 3 + 1] = nan;  // channel 1 at the centre, in every window
    x[0 * 3 + 2] = nan;  // channel 2 at the top-left corner: only in window (0, 0)
    L layer;
    const std::vector<double> y = run_forward(layer, x, 1);
    for (std::size_t o = 0; o < 4; ++o) {
        INFO("output position " << o);
        CHECK(y[o * 3] == -5.0);  // all-negative inputs: the −∞ padding never wins
        CHECK(std::isnan(y[o * 3 + 1]));
        CHECK(std::isnan(y[o * 3 + 2]) == (o == 0));
    }
    const L constant_layer;
    std::vector<double> inferred(12);
    constant_layer.infer({}, BatchView<const double, 27>{x.data(), 1}, BatchView<double, 12>{inferred.data(), 1});
    CHECK(std::isnan(inferred[1]));
    CHECK(inferred[3] == -5.0);

    // 37 channels: whole registers of channels (float and double, AVX2 and AVX-512) and a remainder,
    // with a NaN in every odd channel, at a different window position each time.
    const auto check_registers = [&]<class T>(T) {
        using Wide = MaxPool2D<2>::bind<T, Shape<37, 2, 2>>;
        std::vector<T> in(4 * 37, T{-1});
        for (std::size_t c = 1; c < 37; c += 2) in[(c / 2 % 4) * 37 + c] = std::numeric_limits<T>::quiet_NaN();
        const Wide wide;
        std::vector<T> out(37);
        wide.infer({}, BatchView<const T, 4 * 37>{in.data(), 1}, BatchView<T, 37>{out.data(), 1});
        for (std::size_t c = 0; c < 37; ++c) {
            INFO("channel " << c << ", " << sizeof(T) * 8 << "-bit");
            CHECK(std::isnan(out[c]) == (c % 2 == 1));
        }
    };
    check_registers(0.0f);
    check_registers(0.0);
}

TEST_CASE("MaxPool2D: options in any order, defaults, names", "[pool][max_pool]") {
    STATIC_REQUIRE(MaxPool2D<3>::stride == 3);
    STATIC_REQUIRE(MaxPool2D<3>::padding == 0);
    STATIC_REQUIRE(MaxPool2D<3, Padding<1>, Stride<2>>::stride == 2);
    STATIC_REQUIRE(MaxPool2D<3, Stride<2>, Padding<1>>::padding == 1);
    CHECK(MaxPool2D<3, Padding<1>>::bind<float, Shape<2, 8, 8>>::name() == "MaxPool2D<3, Stride<3>, Padding<1>>");
    using Net = Seq<Input<3, 28, 28>, MaxPool2D<2>, MaxPool2D<3, Stride<2>, Padding<1>>>;
    STATIC_REQUIRE(std::is_same_v<Net::output_shape, Shape<3, 7, 7>>);
    STATIC_REQUIRE(Net::parameter_count == 0);
    STATIC_REQUIRE(std::is_same_v<MaxPool2D<2>::bind<float, Shape<1, 4, 4>>::argmax_type, std::uint8_t>);
    STATIC_REQUIRE(std::is_same_v<MaxPool2D<17>::bind<float, Shape<1, 17, 17>>::argmax_type, std::uint16_t>);
}

TEST_CASE("MaxPool2D rejects bad geometry with one diagnostic that names the layer", "[pool][max_pool]") {
    STATIC_REQUIRE(MaxPool2D<2>::accepts<Shape<1, 2, 2>>);
    STATIC_REQUIRE(MaxPool2D<5, Padding<2>>::accepts<Shape<1, 1, 1>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2>::accepts<Shape<8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2>::accepts<Shape<4, 4>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<3>::accepts<Shape<1, 2, 8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2, Padding<2>>::accepts<Shape<1, 8, 8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<0>::accepts<Shape<1, 8, 8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2, Stride<0>>::accepts<Shape<1, 8, 8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2, Dilation<2>>::accepts<Shape<1, 8, 8>>);
    STATIC_REQUIRE_FALSE(MaxPool2D<2, Stride<1>, Stride<2>>::accepts<Shape<1, 8, 8>>);
    using Chain = detail::layer_chain<float, Input<2, 3, 3>, MaxPool2D<4>>;
    STATIC_REQUIRE_FALSE(Chain::valid);
    STATIC_REQUIRE(std::is_same_v<Chain::failure,
                                  diagnostics::check_window_fits<layer_index<1>, MaxPool2D<4>, receives<Shape<2, 3, 3>>,
                                                                  window<4, 4, 0>>>);
    using Flat = detail::layer_chain<float, Dense<4, 8>, MaxPool2D<2>>;
    STATIC_REQUIRE(std::is_same_v<Flat::failure, diagnostics::check_image_input<
                                                     layer_index<1>, MaxPool2D<2>, receives<Shape<8>>>>);
    using Repeated = detail::layer_chain<float, Input<1, 8, 8>, MaxPool2D<2, Padding<1>, Padding<0>>>;
    STATIC_REQUIRE(std::is_same_v<Repeated::failure,
                                  diagnostics::check_pool_option<layer_index<1>, MaxPool2D<2, Padding<1>, Padding<0>>,
                                                                 Padding<0>>>);
}
