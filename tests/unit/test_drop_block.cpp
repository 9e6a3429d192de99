#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

Matrix<float> positive(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    Matrix<float> m = Matrix<float>::from_shape({rows, cols});
    const Matrix<double> r = testing::random_matrix(rows, cols, seed, 0.5, 2.0);
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(std::abs(r.data()[i]));
    return m;
}

bool identical(const Matrix<float>& a, const Matrix<float>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

/// The documented mask, computed from the paper's recipe: block (n, c, i, j) is drawn when its Philox
/// word is below γ·2³², and a value is dropped when a drawn block covers it. Returns 1 = kept.
template <std::size_t C, std::size_t H, std::size_t W, std::size_t B>
std::vector<int> documented_mask(const Philox& stream, std::size_t rows, double gamma, std::size_t& drawn) {
    std::vector<int> keep(rows * C * H * W, 1);
    drawn = 0;
    const std::size_t BH = H - B + 1, BW = W - B + 1;
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < BH; ++i)
                for (std::size_t j = 0; j < BW; ++j) {
                    const std::uint64_t e = ((n * C + c) * BH + i) * BW + j;
                    if (static_cast<double>(stream(e / 4)[e % 4]) >= gamma * 4294967296.0) continue;
                    ++drawn;
                    for (std::size_t h = i; h < i + B; ++h)
                        for (std::size_t w = j; w < j + B; ++w) keep[n * C * H * W + (h * W + w) * C + c] = 0;
                }
    return keep;
}

}  // namespace

TEST_CASE("DropBlock passes the law suite", "[laws][drop_block]") {
    SECTION("alone") { testing::check_laws<Input<1, 5, 5>, DropBlock<0.2, 3>>(); }
    SECTION("three channels") { testing::check_laws<Input<3, 5, 4>, DropBlock<0.2, 2>>(); }
    SECTION("before Flatten and Dense") {
        testing::check_laws<Input<1, 4, 4>, DropBlock<0.3, 2>, AvgPool2D<2>, Flatten, Dense<4, 2>>();
    }
}

TEST_CASE("DropBlock drops the documented blocks and rescales by count / count_kept over the batch", "[drop_block]") {
    constexpr std::size_t C = 3, H = 16, W = 16, B = 3, rows = 40;
    constexpr double P = 0.1;
    using Net = Seq<Input<C, H, W>, DropBlock<P, B>>;
    using Bound = DropBlock<P, B>::bind<float, Shape<C, H, W>>;
    const double gamma = P / (B * B) * (H * W) / double((H - B + 1) * (W - B + 1));
    CHECK(Bound::block_rate == Approx(gamma).epsilon(1e-15));
    Net net{Seed{9}};
    const Matrix<float> x = positive(rows, C * H * W, 4);
    const Matrix<float> y = net.forward(x, Mode::Train);
    std::size_t drawn = 0;
    // The mask is channels-last, as inside the network; Seq's rows are in PyTorch's order.
    std::vector<int> keep_last = documented_mask<C, H, W, B>(
        Bound::mask_stream(StepContext{Mode::Train, net.seed(), net.train_steps(), 1}), rows, gamma, drawn);
    std::vector<int> keep(keep_last.size());
    to_channels_first<C, H * W>(keep_last.data(), keep.data(), rows);
    const std::size_t kept = static_cast<std::size_t>(std::count(keep.begin(), keep.end(), 1));
    const float scale = static_cast<float>(double(keep.size()) / double(kept));
    std::size_t agree = 0;
    for (std::size_t i = 0; i < y.size(); ++i) agree += y.data()[i] == (keep[i] ? x.data()[i] * scale : 0.0f);
    CHECK(agree == y.size());
    // Blocks are drawn at rate γ; the dropped fraction is close to P (less at the borders).
    const double blocks = double(rows * C * (H - B + 1) * (W - B + 1));
    CHECK(std::abs(drawn / blocks - gamma) <= 5 * std::sqrt(gamma * (1 - gamma) / blocks));
    const double dropped = 1.0 - double(kept) / double(keep.size());
    INFO("dropped fraction " << dropped);
    CHECK(dropped > 0.8 * P);
    CHECK(dropped < 1.1 * P);
}

TEST_CASE("DropBlock backward regenerates the forward mask and scale", "[drop_block]") {
    Seq<Input<2, 6, 5>, DropBlock<0.3, 2>> net{Seed{3}};
    const Matrix<float> x = positive(7, 60, 1), dy = positive(7, 60, 2);
    net.forward(x, Mode::Train);
    const Matrix<float> y = net.forward(x, Mode::Train);
    const Matrix<float> dx = net.backward(dy);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (y.data()[i] == 0.0f) {
            ++dropped;
            CHECK(dx.data()[i] == 0.0f);
        } else {
            // The same factor multiplies x and dy.
            CHECK(dx.data()[i] / dy.data()[i] == Approx(y.data()[i] / x.data()[i]).epsilon(1e-6));
        }
    }
    CHECK(dropped > 0);
    CHECK(dropped < y.size());
}

TEST_CASE("DropBlock is the identity in eval mode and for P = 0", "[drop_block]") {
    const Matrix<float> x = positive(4, 2 * 25, 3);
    Seq<Input<2, 5, 5>, DropBlock<0.5, 3>> net{Seed{1}};
    CHECK(identical(net.forward(x, Mode::Eval), x));
    CHECK(identical(net.predict(x), x));
    CHECK(identical(net.backward(x), x));
    Seq<Input<2, 5, 5>, DropBlock<0.0, 3>> none{Seed{1}};
    CHECK(identical(none.forward(x, Mode::Train), x));
}

TEST_CASE("DropBlock keeps NaN, also where it drops (as PyTorch multiplies)", "[drop_block]") {
    using L = DropBlock<0.5, 2>::bind<float, Shape<2, 4, 4>>;
    std::vector<float> x(32 * 3, std::numeric_limits<float>::quiet_NaN()), y(x.size());
    L layer;
    layer.forward({}, BatchView<const float, 32>{x.data(), 3}, BatchView<float, 32>{y.data(), 3},
                  StepContext{Mode::Train, Seed{2}, 1, 0});
    CHECK(std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); }));
}

TEST_CASE("DropBlock<P, B> takes images that hold a block, and P in [0, 1)", "[drop_block]") {
    STATIC_REQUIRE(DropBlock<0.1, 3>::accepts<Shape<2, 3, 3>>);
    STATIC_REQUIRE_FALSE(DropBlock<0.1, 4>::accepts<Shape<2, 3, 5>>);
    STATIC_REQUIRE_FALSE(DropBlock<0.1, 0>::accepts<Shape<2, 3, 5>>);
    STATIC_REQUIRE_FALSE(DropBlock<0.1, 2>::accepts<Shape<30>>);
    STATIC_REQUIRE_FALSE(DropBlock<1.0, 2>::accepts<Shape<2, 3, 5>>);
    STATIC_REQUIRE(std::is_same_v<DropBlock<0.1, 3>::bind<float, Shape<2, 3, 3>>::fusion_kind, fusion::barrier>);
    CHECK(DropBlock<0.1, 3>::bind<float, Shape<2, 3, 3>>::name() == "DropBlock(0.1, 3)");
    using Chain = detail::layer_chain<float, Input<2, 3, 5>, DropBlock<0.1, 4>>;
    STATIC_REQUIRE(std::is_same_v<Chain::failure, diagnostics::check_dropblock_block_fits_feature_map<
                                                      layer_index<1>, DropBlock<0.1, 4>, receives<Shape<2, 3, 5>>,
                                                      block<4>>>);
}
