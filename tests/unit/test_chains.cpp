#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// Same shape and bitwise equal values.
bool identical(const Matrix<float>& a, const Matrix<float>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

using Card = Seq<Dense<6, 8>, BatchNorm, ReLU, Dropout<0.5>, Dense<8, 3>>;

/// Four noisy clusters in 6 dimensions, labels 0..2.
struct Problem {
    Matrix<float> x = Matrix<float>::from_shape({24, 6});
    std::vector<int> y = std::vector<int>(24);
};
Problem problem() {
    Problem p;
    const Matrix<double> noise = testing::random_matrix(24, 6, 77, 0.0, 0.3);
    for (std::size_t r = 0; r < 24; ++r) {
        p.y[r] = static_cast<int>(r % 3);
        for (std::size_t c = 0; c < 6; ++c)
            p.x(r, c) = static_cast<float>((c % 3 == r % 3 ? 1.5 : -0.5) + noise(r, c));
    }
    return p;
}

/// Trains a fresh Card for `steps` train_step calls.
Card trained(Seed seed, int steps, const Problem& p, std::vector<float>* losses = nullptr) {
    Card net{seed};
    SGD opt{.lr = 0.05f, .momentum = 0.9f};
    for (int i = 0; i < steps; ++i) {
        const float loss = net.train_step(p.x, p.y, SoftmaxCrossEntropy{}, opt);
        if (losses) losses->push_back(loss);
    }
    return net;
}

}  // namespace

TEST_CASE("The card's chain passes the law suite", "[laws][chain][batchnorm][dropout]") {
    // The Dense bias right before BatchNorm has a zero gradient in training (the shift is normalized away).
    testing::check_laws<Dense<6, 8>, BatchNorm, ReLU, Dropout<0.5>, Dense<8, 3>>({.zero_gradient_in_train = {"0.bias"}});
}

TEST_CASE("The card's network has the sizes API.md states", "[chain]") {
    using Net = Seq<Dense<784, 256, He>, BatchNorm, ReLU, Dropout<0.5>, Dense<256, 10>>;
    STATIC_REQUIRE(Net::input_size == 784);
    STATIC_REQUIRE(Net::output_size == 10);
    STATIC_REQUIRE(Net::parameter_count == 784 * 256 + 256 + 2 * 256 + 256 * 10 + 10);
    STATIC_REQUIRE(Net::buffer_count == 2 * 256 + 1);
    const std::string s = Net::summary();
    CHECK(s.find("BatchNorm") != std::string::npos);
    CHECK(s.find("Dropout(0.5)") != std::string::npos);
}

TEST_CASE("Training the card's chain is reproducible bit for bit", "[chain][batchnorm][dropout]") {
    const Problem p = problem();
    std::vector<float> losses_a, losses_b;
    Card a = trained(Seed{42}, 5, p, &losses_a);
    Card b = trained(Seed{42}, 5, p, &losses_b);
    CHECK(losses_a == losses_b);
    CHECK(std::ranges::equal(a.parameters(), b.parameters()));
    CHECK(std::ranges::equal(a.buffers(), b.buffers()));
    CHECK(identical(a.predict(p.x), b.predict(p.x)));
    CHECK(identical(a.forward(p.x, Mode::Train), b.forward(p.x, Mode::Train)));

    // The check can fail: another seed trains to other weights, and each train forward is a new step
    // with new dropout masks (nothing else in a train forward changes its output).
    const Card c = trained(Seed{43}, 5, p);
    CHECK_FALSE(std::ranges::equal(a.parameters(), c.parameters()));
    const Matrix<float> first = a.forward(p.x, Mode::Train), second = a.forward(p.x, Mode::Train);
    CHECK_FALSE(identical(first, second));
}

TEST_CASE("The card's chain learns", "[chain][batchnorm][dropout]") {
    const Problem p = problem();
    std::vector<float> losses;
    const Card net = trained(Seed{1}, 150, p, &losses);
    CHECK(losses.back() < 0.5f * losses.front());
    std::size_t correct = 0;
    const Matrix<float> logits = net.predict(p.x);
    for (std::size_t r = 0; r < 24; ++r) {
        std::size_t best = 0;
        for (std::size_t c = 1; c < 3; ++c) best = logits(r, c) > logits(r, best) ? c : best;
        correct += best == static_cast<std::size_t>(p.y[r]);
    }
    CHECK(correct == 24);
}
