#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// PyTorch's conv2d written from its definition, in PyTorch's (N, C, H, W) order, reading the weights
/// through their logical (out, in/groups, ky, kx) index: independent of typenet's layouts.
template <class Net, std::size_t Cin, std::size_t H, std::size_t W, std::size_t Cout, std::size_t K, std::size_t S,
          std::size_t P, std::size_t D, std::size_t G, bool Bias>
Matrix<double> reference_conv(const Net& net, const Matrix<double>& x) {
    constexpr std::size_t Ho = (H + 2 * P - D * (K - 1) - 1) / S + 1, Wo = (W + 2 * P - D * (K - 1) - 1) / S + 1;
    const auto tensors = net.named_tensors();
    const auto& w = tensors[0];
    Matrix<double> y = Matrix<double>::from_shape({x.shape(0), Cout * Ho * Wo});
    for (std::size_t n = 0; n < x.shape(0); ++n)
        for (std::size_t o = 0; o < Cout; ++o)
            for (std::size_t oy = 0; oy < Ho; ++oy)
                for (std::size_t ox = 0; ox < Wo; ++ox) {
                    double sum = Bias ? tensors[1].at(o) : 0.0;
                    const std::size_t g = o / (Cout / G);
                    for (std::size_t i = 0; i < Cin / G; ++i)
                        for (std::size_t ky = 0; ky < K; ++ky)
                            for (std::size_t kx = 0; kx < K; ++kx) {
                                const long iy = long(oy * S + ky * D) - long(P), ix = long(ox * S + kx * D) - long(P);
                                if (iy < 0 || ix < 0 || iy >= long(H) || ix >= long(W)) continue;
                                const std::size_t c = g * (Cin / G) + i;
                                sum += x(n, c * H * W + std::size_t(iy) * W + std::size_t(ix)) * w.at({o, i, ky, kx});
                            }
                    y(n, o * Ho * Wo + oy * Wo + ox) = sum;
                }
    return y;
}

template <std::size_t Cin, std::size_t H, std::size_t W, std::size_t Cout, std::size_t K, class... Options>
void check_against_reference() {
    using Spec = Conv2D<Cin, Cout, K, Options...>;
    using Net = BasicSeq<double, Input<Cin, H, W>, Spec>;
    Net net{Seed{3}};
    // A non-zero bias, so that a misplaced bias shows.
    auto tensors = net.named_tensors();
    if constexpr (Spec::bias)
        for (std::size_t o = 0; o < Cout; ++o) tensors[1].at(o) = 0.1 * double(o + 1);
    const Matrix<double> x = testing::random_matrix(3, Cin * H * W, 11, 0.1, 1.0);
    const Matrix<double> expected =
        reference_conv<Net, Cin, H, W, Cout, K, Spec::stride, Spec::padding, Spec::dilation, Spec::groups, Spec::bias>(net, x);
    INFO(Net::summary());
    for (const bool fused : {true, false}) {
        net.set_fused(fused);
        const Matrix<double> y = net.predict(x);
        REQUIRE(y.shape(1) == expected.shape(1));
        double worst = 0;
        for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y.data()[i] - expected.data()[i]));
        CHECK(worst < 1e-12);
        const Matrix<double> f = net.forward(x, Mode::Train);
        CHECK(std::equal(f.begin(), f.end(), y.begin()));
    }
}

}  // namespace

TEST_CASE("Conv2D's output is PyTorch's conv2d, read in PyTorch's order", "[conv2d]") {
    check_against_reference<1, 5, 5, 3, 3>();
    check_against_reference<2, 7, 6, 4, 3, Padding<1>, Stride<2>>();
    check_against_reference<3, 7, 8, 5, 3, Dilation<2>, Padding<2>>();
    check_against_reference<3, 9, 7, 2, 3, Stride<3>, Dilation<2>, Padding<1>>();
    check_against_reference<4, 6, 5, 6, 3, Groups<2>, Padding<1>>();
    check_against_reference<3, 5, 5, 3, 3, Groups<3>, Padding<1>, NoBias>();
    check_against_reference<3, 5, 5, 6, 3, Groups<3>, Stride<2>>();  // depthwise, channel multiplier 2
    check_against_reference<3, 4, 4, 5, 1>();                         // 1x1: the input is the patch matrix
    check_against_reference<3, 5, 5, 4, 1, Stride<2>, NoBias>();
    check_against_reference<2, 6, 6, 4, 2, Stride<2>, NoBias>();
    check_against_reference<2, 4, 4, 3, 4, Padding<2>>();             // kernel as large as the input
    // More output pixels than one packed chunk, so chunks meet inside a sample.
    check_against_reference<5, 31, 29, 9, 5, Padding<2>>();
}

TEST_CASE("Conv2D passes the law suite", "[laws][conv2d]") {
    SECTION("plain") { testing::check_laws<Input<1, 5, 5>, Conv2D<1, 3, 3>>(); }
    SECTION("stride, padding") { testing::check_laws<Input<2, 7, 6>, Conv2D<2, 4, 3, Padding<1>, Stride<2>>>(); }
    SECTION("dilation") { testing::check_laws<Input<3, 7, 7>, Conv2D<3, 2, 3, Dilation<2>, Padding<1>>>(); }
    SECTION("groups") { testing::check_laws<Input<4, 5, 5>, Conv2D<4, 6, 3, Groups<2>, Padding<1>>>(); }
    SECTION("depthwise, no bias") { testing::check_laws<Input<3, 5, 4>, Conv2D<3, 3, 3, Groups<3>, NoBias, Stride<2>>>(); }
    SECTION("1x1") { testing::check_laws<Input<3, 4, 3>, Conv2D<3, 5, 1>>(); }
    SECTION("1x1 strided") { testing::check_laws<Input<3, 5, 5>, Conv2D<3, 4, 1, Stride<2>, NoBias>>(); }
    SECTION("with BatchNorm and ReLU, fused") {
        testing::check_laws<Input<2, 6, 5>, Conv2D<2, 4, 3, Padding<1>>, BatchNorm, ReLU>(
            {.zero_gradient_in_train = {"0.bias"}});
    }
    SECTION("two convolutions, Tanh, Dropout between") {
        testing::check_laws<Input<3, 6, 6>, Conv2D<3, 4, 3, Padding<1>, NoBias>, Tanh, Dropout<0.3>,
                            Conv2D<4, 2, 3, Stride<2>>>();
    }
    SECTION("grouped, BatchNorm after it") {
        testing::check_laws<Input<4, 5, 5>, Conv2D<4, 4, 3, Groups<4>, Padding<1>, NoBias>, BatchNorm, Sigmoid>();
    }
}

TEST_CASE("Conv2D's parameters are PyTorch's: weight (out, in/groups, k, k), bias (out), He fan-in in/groups*k*k",
          "[conv2d]") {
    using Net = Seq<Input<4, 9, 9>, Conv2D<4, 8, 3, Groups<2>>>;
    STATIC_REQUIRE(Net::parameter_count == 8 * 2 * 3 * 3 + 8);
    STATIC_REQUIRE(std::is_same_v<Net::output_shape, Shape<8, 7, 7>>);
    Net net{Seed{5}};
    const auto named = net.named_tensors();
    REQUIRE(named.size() == 2);
    CHECK(named[0].name == "0.weight");  // Input takes no index, as in nn.Sequential
    CHECK(named[0].info.rank == 4);
    CHECK(named[0].info.dims == TensorInfo::index{8, 2, 3, 3});
    CHECK(named[1].name == "0.bias");
    for (float b : named[1].value) CHECK(b == 0.0f);
    double sum_squares = 0;
    for (float w : named[0].value) sum_squares += double(w) * w;
    // He: variance 2 / fan_in with fan_in = 2 * 3 * 3 = 18 (144 draws: within 30 %).
    CHECK(sum_squares / 144 == Approx(2.0 / 18).epsilon(0.3));
    CHECK(Conv2D<4, 8, 3, Groups<2>>::bind<float, Shape<4, 9, 9>>::name() == "Conv2D<4, 8, 3, Groups<2>, He>");
    CHECK(Seq<Input<1, 8, 8>, Conv2D<1, 2, 3, Xavier, Stride<2>, Padding<1>, Dilation<2>, NoBias>>::summary().find(
              "Conv2D<1, 2, 3, Stride<2>, Padding<1>, Dilation<2>, Xavier, NoBias>") != std::string::npos);
    CHECK(Net::summary().find("(8, 7, 7)") != std::string::npos);
    // Numbered as the keys: the Input is the "input" line, the convolution layer 0.
    CHECK(Net::summary().find("\n0     Conv2D<4, 8, 3, Groups<2>, He>") != std::string::npos);
    CHECK(Net::summary().find("Input(") == std::string::npos);
}

TEST_CASE("Conv2D's fused stages train like the per-layer reference, and 2 threads like 1", "[conv2d][fusion]") {
    using Net = Seq<Input<3, 12, 11>, Conv2D<3, 16, 3, Padding<1>, NoBias>, BatchNorm, ReLU, Dropout<0.2>,
                    Conv2D<16, 8, 3, Stride<2>>, Tanh>;
    const Matrix<float> x = [] {
        const Matrix<double> d = testing::random_matrix(9, Net::input_size, 5, 0.0, 2.0);
        Matrix<float> f = Matrix<float>::from_shape(d.shape());
        std::copy(d.begin(), d.end(), f.begin());
        return f;
    }();
    Net fused{Seed{2}}, reference{Seed{2}}, threaded{Seed{2}};
    reference.set_fused(false);
    threaded.set_threads(2);
    for (int step = 0; step < 3; ++step) {
        for (Net* net : {&fused, &reference, &threaded}) {
            net->forward(x, Mode::Train);
            net->zero_grad();
            Matrix<float> upstream = Matrix<float>::from_shape({9, Net::output_size});
            for (std::size_t i = 0; i < upstream.size(); ++i) upstream.data()[i] = float(i % 7) * 0.1f - 0.3f;
            net->backward(upstream);
            for (std::size_t i = 0; i < Net::parameter_count; ++i) net->parameters()[i] -= 0.1f * net->gradients()[i];
        }
        const auto close = [](float a, float b) { return std::abs(a - b) <= 1e-4f * std::max(1.0f, std::abs(b)); };
        CHECK(std::ranges::equal(fused.parameters(), reference.parameters(), close));
        CHECK(std::ranges::equal(fused.buffers(), reference.buffers(), close));
        CHECK(std::ranges::equal(fused.parameters(), threaded.parameters()));
        CHECK(std::ranges::equal(fused.buffers(), threaded.buffers()));
    }
    // The parameters agree to 1e-4 relative (above), so the tanh outputs, in [-1, 1], to about that
    // absolutely: clang++-14 sums the two paths' float products in different orders (1.5e-5 apart seen).
    const Matrix<float> a = fused.predict(x), b = reference.predict(x);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == Approx(b.data()[i]).epsilon(1e-4).margin(1e-4));
}

TEST_CASE("set_fused between steps: the per-layer path gets the activations the fused stages do not store",
          "[conv2d][fusion]") {
    // Fused, [Conv2D BatchNorm ReLU] stores only the convolution's and ReLU's outputs; layer by layer
    // needs BatchNorm's too, so switching must size it before the next step.
    using Net = Seq<Input<2, 6, 5>, Conv2D<2, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU, MaxPool2D<2>, Flatten,
                    Dense<8 * 3 * 2, 3>>;
    Matrix<float> x = Matrix<float>::from_shape({7, Net::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::cos(0.21f * static_cast<float>(i));
    const std::vector<int> labels{0, 1, 2, 0, 1, 2, 0};
    Net switching{Seed{5}}, reference{Seed{5}};
    reference.set_fused(false);
    SGD a{.lr = 0.05, .momentum = 0.9}, b{.lr = 0.05, .momentum = 0.9};
    for (int step = 0; step < 6; ++step) {
        switching.set_fused(step % 3 != 1);
        const float la = switching.train_step(x, labels, SoftmaxCrossEntropy{}, a);
        const float lb = reference.train_step(x, labels, SoftmaxCrossEntropy{}, b);
        CHECK(la == Approx(lb).epsilon(1e-4));
    }
    const auto close = [](float p, float q) { return std::abs(p - q) <= 1e-4f * std::max(1.0f, std::abs(q)); };
    CHECK(std::ranges::equal(switching.parameters(), reference.parameters(), close));
    CHECK(std::ranges::equal(switching.buffers(), reference.buffers(), close));
}
