#include <cmath>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("Dense passes the law suite", "[laws][dense]") { testing::check_laws<Dense<7, 4>>(); }

TEST_CASE("Dense -> ReLU -> Dense passes the law suite", "[laws][dense][relu]") {
    testing::check_laws<Dense<6, 9>, ReLU, Dense<9, 3>>();
}

TEST_CASE("ReLU passes the law suite", "[laws][relu]") { testing::check_laws<Input<6>, ReLU>(); }

TEST_CASE("Dense computes x Wt + b with W stored (out, in)", "[dense]") {
    BasicSeq<double, Dense<3, 2>> net{Seed{1}};
    const auto named = net.named_tensors();
    const double w[2][3] = {{1, 2, 3}, {4, 5, 6}};
    for (std::size_t o = 0; o < 2; ++o)
        for (std::size_t i = 0; i < 3; ++i) named[0].at(o, i) = w[o][i];
    named[1].at(0) = 0.5;
    named[1].at(1) = -1;
    const auto y = net.predict(std::array<double, 3>{1, 0, -1});
    CHECK(y[0] == Approx(1 - 3 + 0.5));
    CHECK(y[1] == Approx(4 - 6 - 1));
    // Memory holds Wᵀ: (in, out) row-major.
    CHECK(net.parameters()[1] == 4);
    CHECK(named[0].info.storage == Storage::transposed);
    REQUIRE(named.size() == 2);
    CHECK(named[0].name == "0.weight");
    CHECK(named[0].info.dims[0] == 2);
    CHECK(named[0].info.dims[1] == 3);
    CHECK(named[1].name == "0.bias");
}

TEST_CASE("Compile-time facts of the card's network", "[seq]") {
    using Net = Seq<Dense<784, 256, He>, ReLU, Dense<256, 10>>;
    STATIC_REQUIRE(Net::input_size == 784);
    STATIC_REQUIRE(Net::output_size == 10);
    STATIC_REQUIRE(Net::parameter_count == 784 * 256 + 256 + 256 * 10 + 10);
    const std::string s = Net::summary();
    CHECK(s.find("Dense<784, 256, He>") != std::string::npos);
    CHECK(s.find("Total parameters: 203530") != std::string::npos);
    // The instruction set the kernels run with: a build without -march=native is ~3x slower.
    CHECK(s.find("SIMD: " + simd::architecture() + "\n") != std::string::npos);
}

TEST_CASE("train_step learns and rejects bad input", "[seq][train]") {
    using Net = Seq<Dense<4, 16>, ReLU, Dense<16, 3>>;
    Net net{Seed{3}};
    Matrix<float> x = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    std::vector<int> y{0, 1, 2, 1};
    SGD opt{.lr = 0.1f, .momentum = 0.9f};
    const float first = net.train_step(x, y, SoftmaxCrossEntropy{}, opt);
    CHECK(std::abs(first - std::log(3.0f)) < 1.0f);
    float last = first;
    for (int i = 0; i < 100; ++i) last = net.train_step(x, y, SoftmaxCrossEntropy{}, opt);
    CHECK(last < 0.05f);
    CHECK_THROWS_AS(net.train_step(x, std::vector<int>{0, 1, 2}, SoftmaxCrossEntropy{}, opt), typenet::error);
    CHECK_THROWS_WITH(net.train_step(x, std::vector<int>{0, 1, 3, 1}, SoftmaxCrossEntropy{}, opt),
                      Catch::Contains("label 3 at position 2"));
    CHECK_THROWS_AS(net.train_step(Matrix<float>::from_shape({2, 5}), y, SoftmaxCrossEntropy{}, opt), typenet::error);
}

TEST_CASE("Dense's GEMM kernels equal the plain-loop reference", "[dense][fusion]") {
    auto check = [](auto rows_constant, auto in_constant, auto out_constant) {
        constexpr std::size_t In = decltype(in_constant)::value, Out = decltype(out_constant)::value;
        const std::size_t rows = decltype(rows_constant)::value;
        using L = DenseLayer<float, In, Out, He>;
        L layer;
        std::vector<float> params(In * Out + Out), grads(params.size()), ref_grads(params.size());
        layer.initialize({params.data(), grads.data(), nullptr}, StepContext{.seed = Seed{3}});
        for (std::size_t o = 0; o < Out; ++o) params[In * Out + o] = 0.1f * static_cast<float>(o % 7) - 0.3f;
        const Matrix<double> xd = testing::random_matrix(rows, In, 5, 0.0, 1.0);
        const Matrix<double> dyd = testing::random_matrix(rows, Out, 6, 0.1, 1.0);
        std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
        std::vector<float> y(rows * Out), y_ref(rows * Out), dx(rows * In), dx_ref(rows * In);
        layer.infer({params.data(), nullptr}, {x.data(), rows}, {y.data(), rows});
        L::Reference::forward(params.data(), {x.data(), rows}, {y_ref.data(), rows});
        for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == Approx(y_ref[i]).epsilon(1e-4).margin(1e-4));
        layer.backward({params.data(), grads.data(), nullptr}, {x.data(), rows}, {y.data(), rows}, {dy.data(), rows},
                       {dx.data(), rows}, {});
        L::Reference::backward(params.data(), ref_grads.data(), {x.data(), rows}, {dy.data(), rows},
                               {dx_ref.data(), rows});
        for (std::size_t i = 0; i < dx.size(); ++i) REQUIRE(dx[i] == Approx(dx_ref[i]).epsilon(1e-4).margin(1e-4));
        for (std::size_t i = 0; i < grads.size(); ++i)
            REQUIRE(grads[i] == Approx(ref_grads[i]).epsilon(1e-4).margin(1e-4));
    };
    using std::integral_constant;
    check(integral_constant<std::size_t, 1>{}, integral_constant<std::size_t, 784>{}, integral_constant<std::size_t, 256>{});
    check(integral_constant<std::size_t, 64>{}, integral_constant<std::size_t, 784>{}, integral_constant<std::size_t, 256>{});
    check(integral_constant<std::size_t, 37>{}, integral_constant<std::size_t, 256>{}, integral_constant<std::size_t, 10>{});
    check(integral_constant<std::size_t, 5>{}, integral_constant<std::size_t, 7>{}, integral_constant<std::size_t, 3>{});
    check(integral_constant<std::size_t, 3>{}, integral_constant<std::size_t, 8>{}, integral_constant<std::size_t, 32>{});
}

TEST_CASE("Dense<In, Out, NoBias> has no bias tensor and passes the law suite", "[dense][laws]") {
    using Net = Seq<Dense<4, 6, NoBias>, BatchNorm, ReLU, Dense<6, 2, Xavier, NoBias>>;
    STATIC_REQUIRE(Net::parameter_count == 4 * 6 + 2 * 6 + 6 * 2);
    Net net{Seed{1}};
    const auto named = net.named_tensors();
    REQUIRE(named.size() == 7);
    CHECK(named[0].name == "0.weight");
    CHECK(named[1].name == "1.weight");  // BatchNorm's gamma follows the weight directly
    CHECK(Net::signature().find("Dense<4, 6, He, NoBias>") != std::string::npos);
    CHECK(Net::signature().find("Dense<6, 2, Xavier, NoBias>") != std::string::npos);
    // The options in either order; with the same seed, the same weights as with a bias.
    Seq<Dense<4, 6, He, NoBias>> a{Seed{3}};
    Seq<Dense<4, 6, NoBias, He>> b{Seed{3}};
    Seq<Dense<4, 6>> with_bias{Seed{3}};
    CHECK(std::ranges::equal(a.parameters(), b.parameters()));
    CHECK(std::ranges::equal(a.parameters(), with_bias.parameters().subspan(0, 24)));
    testing::check_laws<Dense<5, 7, NoBias>, BatchNorm, Tanh, Dense<7, 3, NoBias>>();
    testing::check_laws<Dense<5, 7, NoBias>, ReLU, Dense<7, 1, NoBias>>();
}
