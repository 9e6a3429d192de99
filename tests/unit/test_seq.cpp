#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {
using SmallNet = Seq<Dense<5, 12>, ReLU, Dense<12, 3>>;

Matrix<float> sample_batch(std::size_t rows, std::uint64_t seed) {
    const Matrix<double> d = testing::random_matrix(rows, 5, seed, 0.0, 1.0);
    Matrix<float> f = Matrix<float>::from_shape({rows, 5});
    std::copy(d.begin(), d.end(), f.begin());
    return f;
}
}  // namespace

TEST_CASE("predict is const and gives the same answers from several threads at once", "[seq][threads]") {
    const SmallNet net{Seed{11}};
    const Matrix<float> x = sample_batch(64, 1);
    const Matrix<float> expected = net.predict(x);
    std::vector<Matrix<float>> results(2);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) results[t] = net.predict(x);
        });
    for (auto& th : threads) th.join();
    for (const auto& r : results) CHECK(std::equal(r.begin(), r.end(), expected.begin()));
}

TEST_CASE("a copied network is independent of the original", "[seq]") {
    SmallNet a{Seed{2}};
    SmallNet b = a;
    const Matrix<float> x = sample_batch(8, 2);
    SGD opt{.lr = 0.5f};
    a.train_step(x, std::vector<int>(8, 1), SoftmaxCrossEntropy{}, opt);
    CHECK_FALSE(std::ranges::equal(a.parameters(), b.parameters()));
    SmallNet c{Seed{2}};
    CHECK(std::ranges::equal(b.parameters(), c.parameters()));
}

TEST_CASE("forward and backward check their arguments", "[seq][errors]") {
    SmallNet net{Seed{3}};
    CHECK_THROWS_WITH(net.backward(Matrix<float>::from_shape({2, 3})),
                      Catch::Contains("call forward(x, Mode::Train) first"));
    net.forward(sample_batch(4, 3), Mode::Train);
    CHECK_THROWS_WITH(net.backward(Matrix<float>::from_shape({3, 3})), Catch::Contains("expected (4, 3)"));
    CHECK_THROWS_WITH(net.forward(Matrix<float>::from_shape({4, 6}), Mode::Train),
                      Catch::Contains("the input has 6 features per sample, the network takes 5"));
    SGD opt;
    CHECK_THROWS_WITH(net.train_step(Matrix<float>::from_shape({0, 5}), std::vector<int>{}, SoftmaxCrossEntropy{}, opt),
                      Catch::Contains("empty"));
}

TEST_CASE("backward accumulates parameter gradients until zero_grad", "[seq]") {
    SmallNet net{Seed{4}};
    const Matrix<float> x = sample_batch(4, 4);
    const Matrix<float> dy = {{1, -2, 0.5f}, {0, 1, 1}, {2, 2, -1}, {0.5f, 0, 0}};
    net.forward(x, Mode::Train);
    net.zero_grad();
    net.backward(dy);
    const std::vector<float> once(net.gradients().begin(), net.gradients().end());
    net.forward(x, Mode::Train);
    net.backward(dy);
    for (std::size_t i = 0; i < once.size(); ++i) REQUIRE(net.gradients()[i] == Approx(2 * once[i]));
    net.zero_grad();
    CHECK(std::ranges::all_of(net.gradients(), [](float g) { return g == 0.0f; }));
}

TEST_CASE("softmax cross-entropy is stable and exact", "[loss]") {
    SoftmaxCrossEntropy loss;
    const double logits[] = {1e4, -1e4, 0, 0, 0, 0};
    double grad[6];
    const std::vector<int> labels{1, 2};
    const double value = loss.evaluate(BatchView<const double, 3>{logits, 2}, labels, BatchView<double, 3>{grad, 2});
    CHECK(std::isfinite(value));
    CHECK(value == Approx((2e4 + std::log(3.0)) / 2));  // sample 0: −log softmax = 2e4; sample 1: log 3
    CHECK(grad[0] == Approx(0.5));
    CHECK(grad[1] == Approx(-0.5));
    CHECK(grad[5] == Approx((1.0 / 3 - 1) / 2));
    const double nan_logits[] = {0, std::nan(""), 0};
    CHECK_THROWS_WITH(loss.evaluate(BatchView<const double, 3>{nan_logits, 1}, std::vector<int>{0},
                                    BatchView<double, 3>{grad, 1}),
                      Catch::Contains("NaN in the network output at row 0, column 1"));
}

TEST_CASE("SGD follows PyTorch's momentum, Nesterov and weight-decay rule", "[optim]") {
    using Net = BasicSeq<double, Dense<1, 1, Zeros>>;
    auto run = [](SGD opt) {
        Net net;
        std::vector<double> trace;
        for (int step = 0; step < 3; ++step) {
            net.parameters()[0] = step == 0 ? 1.0 : net.parameters()[0];
            std::ranges::copy(std::vector<double>{0.5, -1.0}, net.gradients().begin());
            opt.step(net);
            trace.push_back(net.parameters()[0]);
        }
        return trace;
    };
    // Hand-computed from torch.optim.SGD's documented rule with constant gradient 0.5 on θ0 = 1.
    const auto plain = run(SGD{.lr = 0.1f});
    CHECK(plain[2] == Approx(1 - 3 * 0.05));
    const auto momentum = run(SGD{.lr = 0.1f, .momentum = 0.9f});  // v: 0.5, 0.95, 1.355
    CHECK(momentum[2] == Approx(1 - 0.1 * (0.5 + 0.95 + 1.355)).epsilon(1e-6));
    const auto nesterov = run(SGD{.lr = 0.1f, .momentum = 0.9f, .nesterov = true});  // g + 0.9 v
    CHECK(nesterov[2] == Approx(1 - 0.1 * ((0.5 + 0.45) + (0.5 + 0.855) + (0.5 + 1.2195))).epsilon(1e-6));
}
