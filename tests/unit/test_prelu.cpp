#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("PReLU passes the law suite", "[laws][prelu][activations]") {
    // Alone, every parameter starts at PyTorch's 0.25 whatever the seed.
    const testing::LawOptions fixed{.random_initialization = false};
    SECTION("shared slope") { testing::check_laws<Input<6>, PReLU>(fixed); }
    SECTION("one slope per feature") { testing::check_laws<Input<6>, PReLUPerFeature>(fixed); }
    SECTION("per channel of a (2, 3) sample") { testing::check_laws<Input<2, 3>, PReLUPerFeature>(fixed); }
    SECTION("shared, between Dense layers") { testing::check_laws<Dense<6, 8>, PReLU, Dense<8, 3>>(); }
    SECTION("per feature, between Dense layers") { testing::check_laws<Dense<5, 7>, PReLUPerFeature, Dense<7, 2>>(); }
}

TEST_CASE("PReLU has PyTorch's parameter: 'weight', shape (1) or (width), starting at 0.25", "[prelu][activations]") {
    using Shared = Seq<Dense<4, 8>, PReLU, Dense<8, 2>>;
    using PerFeature = Seq<Dense<4, 8>, PReLUPerFeature, Dense<8, 2>>;
    STATIC_REQUIRE(Shared::parameter_count == 4 * 8 + 8 + 1 + 8 * 2 + 2);
    STATIC_REQUIRE(PerFeature::parameter_count == 4 * 8 + 8 + 8 + 8 * 2 + 2);
    STATIC_REQUIRE(BasicSeq<double, Input<3, 5>, PReLUPerFeature>::parameter_count == 3);

    Shared shared{Seed{1}};
    auto named = shared.named_tensors();
    REQUIRE(named.size() == 5);
    CHECK(named[2].name == "1.weight");
    CHECK(named[2].info.rank == 1);
    CHECK(named[2].info.dims[0] == 1);
    CHECK(named[2].value[0] == 0.25f);

    PerFeature per_feature{Seed{1}};
    named = per_feature.named_tensors();
    REQUIRE(named.size() == 5);
    CHECK(named[2].name == "1.weight");
    CHECK(named[2].info.dims[0] == 8);
    for (float a : named[2].value) CHECK(a == 0.25f);

    CHECK(Shared::summary().find("PReLU") != std::string::npos);
    CHECK(PerFeature::summary().find("PReLUPerFeature") != std::string::npos);
}

TEST_CASE("PReLU computes x or a·x, with the slope of each feature", "[prelu][activations]") {
    BasicSeq<double, Input<4>, PReLUPerFeature> net;
    const double slopes[] = {0.1, 0.2, 0.3, 0.4};
    std::copy(std::begin(slopes), std::end(slopes), net.parameters().begin());
    const auto y = net.predict(std::array<double, 4>{-1.0, 2.0, -3.0, 0.0});
    CHECK(y[0] == Approx(-0.1));
    CHECK(y[1] == 2.0);
    CHECK(y[2] == Approx(-0.9));
    CHECK(y[3] == 0.0);

    BasicSeq<float, Input<3>, PReLU> shared;
    shared.parameters()[0] = 0.5f;
    const auto ys = shared.predict(std::array<float, 3>{-2.0f, 4.0f, -0.5f});
    CHECK(ys[0] == -1.0f);
    CHECK(ys[1] == 4.0f);
    CHECK(ys[2] == -0.25f);

    // A (2, 3) sample: the first dimension is the channel, as PyTorch's num_parameters counts channels.
    BasicSeq<double, Input<2, 3>, PReLUPerFeature> channels;
    channels.parameters()[0] = 0.1;
    channels.parameters()[1] = 0.5;
    const auto yc = channels.predict(std::array<double, 6>{-1, -1, -1, -1, -1, -1});
    for (std::size_t i = 0; i < 3; ++i) CHECK(yc[i] == Approx(-0.1));
    for (std::size_t i = 3; i < 6; ++i) CHECK(yc[i] == Approx(-0.5));
}

TEST_CASE("PReLU's slope gradient sums dy·x over the batch where x < 0", "[prelu][activations]") {
    const Matrix<double> x = {{-1.0, 2.0}, {-3.0, -0.5}};
    const Matrix<double> dy = {{1.0, 1.0}, {2.0, 4.0}};

    BasicSeq<double, Input<2>, PReLU> shared;
    shared.forward(x, Mode::Train);
    shared.zero_grad();
    const Matrix<double> dx = shared.backward(dy);
    CHECK(shared.gradients()[0] == Approx(-1.0 * 1.0 + -3.0 * 2.0 + -0.5 * 4.0));
    CHECK(dx(0, 0) == Approx(0.25 * 1.0));
    CHECK(dx(0, 1) == 1.0);
    CHECK(dx(1, 0) == Approx(0.25 * 2.0));
    CHECK(dx(1, 1) == Approx(0.25 * 4.0));

    BasicSeq<double, Input<2>, PReLUPerFeature> per_feature;
    per_feature.forward(x, Mode::Train);
    per_feature.zero_grad();
    per_feature.backward(dy);
    CHECK(per_feature.gradients()[0] == Approx(-1.0 * 1.0 + -3.0 * 2.0));
    CHECK(per_feature.gradients()[1] == Approx(-0.5 * 4.0));

    // Gradients accumulate until zero_grad, like every parameter gradient.
    per_feature.backward(dy);
    CHECK(per_feature.gradients()[1] == Approx(2 * -0.5 * 4.0));
}

TEST_CASE("PReLU is elementwise with a per-column slope, on SIMD registers as on scalars", "[prelu][activations][simd]") {
    using L = PReLUPerFeature::bind<float, Shape<2, 4>>;
    STATIC_REQUIRE(std::is_same_v<L::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(L::slopes == 2);
    STATIC_REQUIRE(L::slope_index(3) == 0);
    STATIC_REQUIRE(L::slope_index(4) == 1);
    STATIC_REQUIRE(PReLU::bind<float, Shape<8>>::slope_index(7) == 0);

    using B = simd::batch<float>;
    constexpr std::size_t lanes = simd::lanes<float>;
    std::array<float, lanes> x{}, a{}, dy{}, y{}, d{}, g{};
    for (std::size_t i = 0; i < lanes; ++i) {
        x[i] = (i % 2 ? 1.0f : -1.0f) * (0.5f + static_cast<float>(i));
        a[i] = 0.05f * static_cast<float>(i + 1);
        dy[i] = 1.0f + static_cast<float>(i) / 4;
    }
    const B bx = B::load_unaligned(x.data()), ba = B::load_unaligned(a.data()), bdy = B::load_unaligned(dy.data());
    const B by = PReLUFunction::apply(bx, ba);
    by.store_unaligned(y.data());
    PReLUFunction::derivative(bx, by, ba).store_unaligned(d.data());
    PReLUFunction::slope_gradient(bx, bdy).store_unaligned(g.data());
    for (std::size_t i = 0; i < lanes; ++i) {
        CHECK(y[i] == PReLUFunction::apply(x[i], a[i]));
        CHECK(d[i] == PReLUFunction::derivative(x[i], y[i], a[i]));
        CHECK(g[i] == PReLUFunction::slope_gradient(x[i], dy[i]));
        CHECK(y[i] == (x[i] > 0 ? x[i] : a[i] * x[i]));
    }
}
