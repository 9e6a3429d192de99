// Threads: opt-in per network; results bitwise identical for any thread count; predict callable from
// several threads at once.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

Matrix<float> inputs(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    const Matrix<double> d = testing::random_matrix(rows, cols, seed, 0.0, 1.0);
    Matrix<float> x = Matrix<float>::from_shape({rows, cols});
    std::transform(d.begin(), d.end(), x.begin(), [](double v) { return static_cast<float>(v); });
    return x;
}

template <class A, class B>
bool bitwise_equal(const A& a, const B& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(*a.data())) == 0;
}

/// Trains `steps` steps of minibatches cut from a fixed pool of samples with `threads` threads.
template <class Net, class Optimizer>
Net train(std::size_t threads, int steps, std::size_t batch, Optimizer optimizer) {
    Net net{Seed{42}};
    net.set_threads(threads);
    REQUIRE(net.threads() == threads);
    const Matrix<float> pool = inputs(4 * batch, Net::input_size, 9);
    std::vector<int> labels(batch);
    Matrix<float> x = Matrix<float>::from_shape({batch, Net::input_size});
    for (int step = 0; step < steps; ++step) {
        const std::size_t first = static_cast<std::size_t>(step % 4) * batch;
        std::copy_n(pool.data() + first * Net::input_size, batch * Net::input_size, x.data());
        for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<int>((first + i) * 7 % Net::output_size);
        net.train_step(x, labels, SoftmaxCrossEntropy{}, optimizer);
    }
    return net;
}

}  // namespace

TEST_CASE("a thread count is chosen per network and validated", "[threads]") {
    Seq<Dense<4, 3>> net;
    CHECK(net.threads() == 1);
    net.set_threads(3);
    CHECK(net.threads() == 3);
    const Seq<Dense<4, 3>> copy = net;  // copies start their own workers
    CHECK(copy.threads() == 3);
    REQUIRE_THROWS_AS(net.set_threads(0), error);
    // A count far beyond any core count is refused, naming the bound; the network keeps its pool.
    CHECK_THROWS_WITH(net.set_threads(1000), Catch::Contains("set_threads: 1000 threads is more than typenet allows (256)"));
    CHECK_THROWS_AS(ThreadPool(max_threads + 1), error);
    CHECK(net.threads() == 3);
    net.set_threads(1);
    CHECK(net.threads() == 1);
}

TEST_CASE("200 training steps give bitwise identical weights with 1, 2 and 3 threads", "[threads][determinism]") {
    // Big enough that every kernel actually splits its work (see simd/parallel.hpp's threshold).
    using Card = Seq<Dense<784, 256, He>, BatchNorm, ReLU, Dropout<0.5>, Dense<256, 10>>;
    const SGD sgd{.lr = 0.01, .momentum = 0.9};
    const Card one = train<Card>(1, 200, 64, sgd);
    const Card two = train<Card>(2, 200, 64, sgd);
    CHECK(bitwise_equal(one.parameters(), two.parameters()));
    CHECK(bitwise_equal(one.buffers(), two.buffers()));
    // The same run again: run-to-run determinism.
    CHECK(bitwise_equal(one.parameters(), train<Card>(1, 200, 64, sgd).parameters()));
    const Card three = train<Card>(3, 20, 50, Adam{.lr = 1e-3});
    CHECK(bitwise_equal(train<Card>(1, 20, 50, Adam{.lr = 1e-3}).parameters(), three.parameters()));
    // Not vacuous: training moved the weights.
    CHECK_FALSE(bitwise_equal(one.parameters(), Card{Seed{42}}.parameters()));
}

TEST_CASE("forward and backward with threads equal the single-threaded ones bit for bit", "[threads]") {
    using Net = Seq<Dense<300, 200>, Tanh, Dense<200, 130>, BatchNorm, ELU<1.0>, Dense<130, 7>>;
    Net a{Seed{1}}, b{Seed{1}};
    b.set_threads(2);
    for (std::size_t batch : {1, 5, 37, 128}) {
        const Matrix<float> x = inputs(batch, Net::input_size, batch);
        Matrix<float> g = inputs(batch, Net::output_size, batch + 100);
        for (Mode mode : {Mode::Train, Mode::Eval}) {
            if (mode == Mode::Train && batch < 2) continue;
            a.zero_grad();
            b.zero_grad();
            CHECK(bitwise_equal(a.forward(x, mode), b.forward(x, mode)));
            CHECK(bitwise_equal(a.backward(g), b.backward(g)));
            CHECK(bitwise_equal(a.gradients(), b.gradients()));
        }
    }
}

TEST_CASE("predict is safe to call from several threads at once", "[threads]") {
    using Net = Seq<Dense<64, 96>, BatchNorm, ReLU, Dense<96, 5>>;
    Net net{Seed{5}};
    net.set_threads(2);  // predict ignores the pool: it must stay reentrant
    const Matrix<float> x = inputs(33, 64, 3);
    const Matrix<float> expected = net.predict(x);
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> callers;
    for (std::size_t t = 0; t < mismatches.size(); ++t)
        callers.emplace_back([&, t] {
            Matrix<float> out;
            for (int i = 0; i < 200; ++i) {
                net.predict(x, out);
                if (!bitwise_equal(out, expected)) ++mismatches[t];
            }
        });
    for (std::thread& c : callers) c.join();
    CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("the CNN of the conv workloads trains bitwise the same with 1 and 2 threads", "[threads][determinism][conv2d]") {
    // Image-sized activations (batch 32 of 28 x 28): every parallel pass of the convolutions, BatchNorm2d,
    // pooling and dropout splits its work here, unlike the small test networks.
    using CNN = Seq<Input<1, 28, 28>, Conv2D<1, 32, 3, Padding<1>>, BatchNorm, ReLU, MaxPool2D<2>,
                    Conv2D<32, 64, 3, Padding<1>>, BatchNorm, ReLU, MaxPool2D<2>, Flatten, Dropout<0.5>,
                    Dense<3136, 128>, ReLU, Dense<128, 10>>;
    const CNN one = train<CNN>(1, 6, 32, Adam{.lr = 1e-3});
    const CNN two = train<CNN>(2, 6, 32, Adam{.lr = 1e-3});
    CHECK(bitwise_equal(one.parameters(), two.parameters()));
    CHECK(bitwise_equal(one.buffers(), two.buffers()));
    const Matrix<float> x = inputs(16, CNN::input_size, 3);
    CHECK(bitwise_equal(one.predict(x), two.predict(x)));
}
