// Zero allocations in the hot paths, proved by counting calls of the global operator new.
// The counting replacement of operator new / operator delete (plain, sized, aligned, and through
// them the array and nothrow forms) is tests/support/allocation_counter.cpp: a program may replace
// them only once and every unit test is in one executable, so this file uses that one replacement
// (counting is off outside allocations_during, so Catch's own allocations never count).
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

/// The card's network.
using Card = Seq<Dense<784, 256, He>, BatchNorm, ReLU, Dropout<0.5>, Dense<256, 10>>;

Matrix<float> inputs(std::size_t batch, std::uint64_t step) {
    const Philox rng(Seed{11}, RandomPurpose::user, 0, step);
    auto x = Matrix<float>::from_shape({batch, Card::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal(i));
    return x;
}

std::vector<int> classes(std::size_t batch) {
    std::vector<int> y(batch);
    for (std::size_t i = 0; i < batch; ++i) y[i] = static_cast<int>((7 * i + 3) % 10);
    return y;
}

/// Allocations made by `steps` train_steps after one warm-up step at the same batch size.
template <class Optimizer, class Labels>
std::size_t steady_state_allocations(Card& net, Optimizer& opt, const Matrix<float>& x, const Labels& labels,
                                     int steps = 3) {
    net.train_step(x, labels, SoftmaxCrossEntropy{}, opt);  // sizes the workspace and the optimizer state
    float sum = 0;
    const std::size_t n = testing::allocations_during([&] {
        for (int i = 0; i < steps; ++i) sum += net.train_step(x, labels, SoftmaxCrossEntropy{}, opt);
    });
    CHECK(std::isfinite(sum));
    return n;
}

}  // namespace

TEST_CASE("the allocation counter counts (so a zero below means something)", "[allocations]") {
    int* volatile p = nullptr;
    const std::size_t n = testing::allocations_during([&] { p = new int(3); });
    delete p;
    CHECK(n == 1);
    std::vector<float>* volatile v = nullptr;
    CHECK(testing::allocations_during([&] { v = new std::vector<float>(100); }) == 2);
    delete v;
}

TEST_CASE("train_step of the card network allocates nothing after its first call, SGD with momentum",
          "[allocations]") {
    Card net{Seed{1}};
    const Matrix<float> x = inputs(64, 0);
    const std::vector<int> y = classes(64);
    SECTION("labels as std::span<const int>") {
        SGD opt{.lr = 0.01, .momentum = 0.9};
        CHECK(steady_state_allocations(net, opt, x, std::span<const int>(y)) == 0);
    }
    SECTION("labels as std::vector<int>, Nesterov and weight decay") {
        SGD opt{.lr = 0.01, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-4};
        CHECK(steady_state_allocations(net, opt, x, y) == 0);
    }
}

TEST_CASE("train_step of the card network allocates nothing after its first call, Adam and AdamW",
          "[allocations]") {
    Card net{Seed{2}};
    const Matrix<float> x = inputs(64, 1);
    const std::vector<int> y = classes(64);
    SECTION("Adam") {
        Adam opt{.lr = 1e-3};
        CHECK(steady_state_allocations(net, opt, x, std::span<const int>(y)) == 0);
    }
    SECTION("Adam, amsgrad") {
        Adam opt{.lr = 1e-3, .amsgrad = true};
        CHECK(steady_state_allocations(net, opt, x, std::span<const int>(y)) == 0);
    }
    SECTION("AdamW") {
        AdamW opt{};
        CHECK(steady_state_allocations(net, opt, x, std::span<const int>(y)) == 0);
    }
}

TEST_CASE("predict(std::array) allocates nothing, even on its first call", "[allocations]") {
    const Card net{Seed{3}};
    std::array<float, Card::input_size> sample{};
    for (std::size_t i = 0; i < sample.size(); ++i) sample[i] = static_cast<float>(i % 17) / 17.0f - 0.5f;
    std::array<float, Card::output_size> first{}, again{};
    CHECK(testing::allocations_during([&] { first = net.predict(sample); }) == 0);
    CHECK(testing::allocations_during([&] {
              for (int i = 0; i < 10; ++i) again = net.predict(sample);
          }) == 0);
    CHECK(first == again);

    using Tiny = Seq<Dense<8, 32, Xavier>, Tanh, Dense<32, 32, Xavier>, Tanh, Dense<32, 1, Xavier>>;
    const Tiny tiny{Seed{4}};
    std::array<float, 1> out{};
    CHECK(testing::allocations_during([&] { out = tiny.predict(std::array<float, 8>{1, 2, 3, 4, 5, 6, 7, 8}); }) == 0);
    CHECK(std::isfinite(out[0]));
}

TEST_CASE("a smaller batch after a larger one allocates nothing; the larger one again neither", "[allocations]") {
    Card net{Seed{5}};
    SGD opt{.lr = 0.01, .momentum = 0.9};
    const Matrix<float> big = inputs(64, 2), small = inputs(32, 3), two = inputs(2, 4);
    const std::vector<int> y64 = classes(64), y32 = classes(32), y2 = classes(2);
    // The only step allowed to allocate (workspace, velocity), and it does: the counter sees it.
    CHECK(testing::allocations_during([&] { net.train_step(big, y64, SoftmaxCrossEntropy{}, opt); }) > 0);
    // (batch 2, not 1: BatchNorm rejects a training batch of one sample, as PyTorch does)
    float sum = 0;
    CHECK(testing::allocations_during([&] { sum += net.train_step(small, y32, SoftmaxCrossEntropy{}, opt); }) == 0);
    CHECK(testing::allocations_during([&] { sum += net.train_step(two, y2, SoftmaxCrossEntropy{}, opt); }) == 0);
    CHECK(testing::allocations_during([&] { sum += net.train_step(big, y64, SoftmaxCrossEntropy{}, opt); }) == 0);
    CHECK(std::isfinite(sum));
}

TEST_CASE("batch predict into an output allocates nothing after its first call at a batch size", "[allocations]") {
    const Card net{Seed{2}};
    const Matrix<float> x = inputs(64, 3), small = inputs(5, 4);
    Matrix<float> out, out_small;
    net.predict(x, out);  // sizes this thread's workspace and the output
    net.predict(small, out_small);
    CHECK(testing::allocations_during([&] {
        for (int i = 0; i < 3; ++i) {
            net.predict(x, out);
            net.predict(small, out_small);
        }
    }) == 0);
    const bool same = out == net.predict(x);  // the returning form gives the same values
    CHECK(same);
}

TEST_CASE("train_step with two threads allocates nothing after its first call", "[allocations]") {
    Card net{Seed{3}};
    net.set_threads(2);
    SGD opt{.lr = 0.01, .momentum = 0.9};
    CHECK(steady_state_allocations(net, opt, inputs(64, 5), classes(64)) == 0);
}

namespace {

/// The CNN of the conv workloads (../shared/peers/conv, W6/W7): image-sized activations.
using CNN = Seq<Input<1, 28, 28>, Conv2D<1, 32, 3, Padding<1>>, BatchNorm, ReLU, MaxPool2D<2>,
                Conv2D<32, 64, 3, Padding<1>>, BatchNorm, ReLU, MaxPool2D<2>, Flatten, Dropout<0.5>,
                Dense<3136, 128>, ReLU, Dense<128, 10>>;

Matrix<float> images(std::size_t batch, std::uint64_t step) {
    const Philox rng(Seed{12}, RandomPurpose::user, 0, step);
    auto x = Matrix<float>::from_shape({batch, CNN::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.uniform(i));
    return x;
}

}  // namespace

TEST_CASE("the CNN allocates nothing after its first call at a batch size: train_step, predict, predict(std::array)",
          "[allocations][conv2d]") {
    CNN net{Seed{6}};
    const Matrix<float> x = images(32, 0), small = images(5, 1);
    const std::vector<int> y = classes(32), y_small = classes(5);
    SECTION("train_step, one thread and two, SGD and Adam, a smaller batch after the first") {
        SGD sgd{.lr = 0.01, .momentum = 0.9};
        net.train_step(x, y, SoftmaxCrossEntropy{}, sgd);
        float sum = 0;
        CHECK(testing::allocations_during([&] {
                  for (int i = 0; i < 2; ++i) sum += net.train_step(x, y, SoftmaxCrossEntropy{}, sgd);
                  sum += net.train_step(small, y_small, SoftmaxCrossEntropy{}, sgd);
              }) == 0);
        net.set_threads(2);
        Adam adam{.lr = 1e-3};
        net.train_step(x, y, SoftmaxCrossEntropy{}, adam);
        CHECK(testing::allocations_during([&] {
                  for (int i = 0; i < 2; ++i) sum += net.train_step(x, y, SoftmaxCrossEntropy{}, adam);
              }) == 0);
        CHECK(std::isfinite(sum));
    }
    SECTION("batch predict into an output") {
        Matrix<float> out, out_small;
        net.predict(x, out);
        net.predict(small, out_small);
        CHECK(testing::allocations_during([&] {
                  net.predict(x, out);
                  net.predict(small, out_small);
              }) == 0);
        const bool same = out == net.predict(x);
        CHECK(same);
    }
    SECTION("predict(std::array): one image, no allocation even on the first call, the batch path's logits") {
        std::array<float, CNN::input_size> image{};
        std::copy_n(x.data(), CNN::input_size, image.begin());
        std::array<float, CNN::output_size> logits{};
        CHECK(testing::allocations_during([&] { logits = net.predict(image); }) == 0);
        const Matrix<float> batch = net.predict(x);
        for (std::size_t k = 0; k < CNN::output_size; ++k) CHECK(logits[k] == Approx(batch(0, k)).margin(1e-5));
    }
}
