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
