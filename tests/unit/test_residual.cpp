#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("Residual and ResidualWith pass the law suite", "[laws][residual]") {
    SECTION("identity shortcut, conv body") {
        testing::check_laws<Input<3, 5, 5>, Residual<Conv2D<3, 3, 3, Padding<1>>, Tanh, Conv2D<3, 3, 3, Padding<1>>>>();
    }
    SECTION("identity shortcut, BatchNorm in the body, Tanh after") {
        testing::check_laws<Input<2, 5, 4>, Residual<Conv2D<2, 2, 3, Padding<1>, NoBias>, BatchNorm, Sigmoid>, Tanh>();
    }
    SECTION("projection shortcut, strided") {
        testing::check_laws<Input<2, 6, 5>,
                            ResidualWith<Shortcut<Conv2D<2, 4, 1, Stride<2>, NoBias>, BatchNorm>,
                                         Conv2D<2, 4, 3, Stride<2>, Padding<1>>, Tanh, Conv2D<4, 4, 3, Padding<1>>>>();
    }
    SECTION("flat features, a single-spec shortcut") {
        testing::check_laws<Dense<4, 6>, Residual<Dense<6, 6>, Tanh, Dense<6, 6>>, ResidualWith<Dense<6, 3>, Dense<6, 3>>>();
    }
    SECTION("nested") {
        testing::check_laws<Input<2, 4, 4>, Residual<Residual<Conv2D<2, 2, 3, Padding<1>>, Tanh>, Conv2D<2, 2, 1>>>();
    }
}

TEST_CASE("Residual computes x + body(x) with the body's own layers and keys", "[residual]") {
    using Body = BasicSeq<double, Input<2, 4, 4>, Conv2D<2, 2, 3, Padding<1>>, Tanh>;
    using Block = BasicSeq<double, Input<2, 4, 4>, Residual<Conv2D<2, 2, 3, Padding<1>>, Tanh>>;
    STATIC_REQUIRE(Block::parameter_count == Body::parameter_count);
    Body body{Seed{1}};
    Block block{Seed{1}};
    // The same parameters in both, then y_block = x + y_body.
    std::ranges::copy(body.parameters(), block.parameters().begin());
    const Matrix<double> x = testing::random_matrix(3, Block::input_size, 4, 0.1, 1.0);
    const Matrix<double> yb = body.predict(x), yr = block.predict(x);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(yr.data()[i] == Approx(x.data()[i] + yb.data()[i]).epsilon(1e-14));

    const auto named = block.named_tensors();
    REQUIRE(named.size() == 2);
    CHECK(named[0].name == "0.body.0.weight");
    CHECK(named[1].name == "0.body.0.bias");
    CHECK(named[0].info.rank == 4);

    using Projected = Seq<Input<2, 6, 6>, ResidualWith<Shortcut<Conv2D<2, 4, 1, Stride<2>, NoBias>, BatchNorm>,
                                                       Conv2D<2, 4, 3, Stride<2>, Padding<1>>>>;
    STATIC_REQUIRE(std::is_same_v<Projected::output_shape, Shape<4, 3, 3>>);
    Projected p{Seed{2}};
    std::vector<std::string> names;
    for (const auto& t : p.named_tensors()) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"0.body.0.weight", "0.body.0.bias", "0.shortcut.0.weight", "0.shortcut.1.weight",
                                            "0.shortcut.1.bias", "0.shortcut.1.running_mean", "0.shortcut.1.running_var",
                                            "0.shortcut.1.num_batches_tracked"});
    CHECK(Projected::summary().find("ResidualWith<Shortcut<Conv2D<2, 4, 1, Stride<2>, He, NoBias>, BatchNorm>") !=
          std::string::npos);
}

TEST_CASE("A residual network trains, fused like unfused, 2 threads like 1, and saves and loads", "[residual][fusion]") {
    using Net = Seq<Input<3, 8, 8>, Conv2D<3, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU,
                    Residual<Conv2D<8, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU, Dropout<0.1>,
                             Conv2D<8, 8, 3, Padding<1>, NoBias>, BatchNorm>,
                    ReLU,
                    ResidualWith<Shortcut<Conv2D<8, 16, 1, Stride<2>, NoBias>, BatchNorm>,
                                 Conv2D<8, 16, 3, Stride<2>, Padding<1>, NoBias>, BatchNorm, ReLU, Conv2D<16, 16, 3, Padding<1>>>,
                    ReLU, Conv2D<16, 4, 4>>;
    STATIC_REQUIRE(Net::output_size == 4);
    Matrix<float> x = Matrix<float>::from_shape({8, Net::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float((i * 7919) % 23) * 0.05f - 0.5f;
    const std::vector<int> labels{0, 1, 2, 3, 3, 2, 1, 0};
    Net fused{Seed{4}}, reference{Seed{4}}, threaded{Seed{4}};
    reference.set_fused(false);
    threaded.set_threads(2);
    SGD a{.lr = 0.05f, .momentum = 0.9f}, b = a, c = a;
    float first = 0, last = 0;
    for (int step = 0; step < 30; ++step) {
        last = fused.train_step(x, labels, SoftmaxCrossEntropy{}, a);
        if (step == 0) first = last;
        reference.train_step(x, labels, SoftmaxCrossEntropy{}, b);
        threaded.train_step(x, labels, SoftmaxCrossEntropy{}, c);
    }
    CHECK(last < 0.1f * first);
    CHECK(std::ranges::equal(fused.parameters(), threaded.parameters()));
    const auto close = [](float u, float v) { return std::abs(u - v) <= 2e-3f * std::max(1.0f, std::abs(v)); };
    CHECK(std::ranges::equal(fused.parameters(), reference.parameters(), close));

    const std::string path = "test_residual_model.tnet";
    fused.save(path);
    Net loaded{Seed{99}};
    loaded.load(path);
    const Matrix<float> p = fused.predict(x), q = loaded.predict(x);
    CHECK(std::equal(p.begin(), p.end(), q.begin()));
    std::remove(path.c_str());
}
