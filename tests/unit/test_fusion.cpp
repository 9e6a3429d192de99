// The fused path (stages: a head and the pointwise layers after it, run in its GEMM epilogue and
// backward prologue) against the unfused reference (every layer on its own): same outputs, gradients
// and trained parameters within float rounding, for chains that exercise every kind of stage.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// max |a − b| / (1 + |b|) over all elements; the shapes must agree.
template <class A, class B>
double relative_difference(const A& a, const B& b) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    auto ia = a.begin();
    for (auto ib = b.begin(); ib != b.end(); ++ia, ++ib)
        worst = std::max(worst, std::abs(double(*ia) - double(*ib)) / (1.0 + std::abs(double(*ib))));
    return worst;
}

Matrix<float> inputs(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    const Matrix<double> d = testing::random_matrix(rows, cols, seed, 0.0, 1.0);
    Matrix<float> x = Matrix<float>::from_shape({rows, cols});
    std::transform(d.begin(), d.end(), x.begin(), [](double v) { return static_cast<float>(v); });
    return x;
}

/// Runs the same steps on a fused and an unfused copy of Net and compares everything observable.
template <class Net>
void check_fused_matches_unfused(std::size_t batch) {
    CAPTURE(Net::fusion_plan(), batch);
    Net fused{Seed{7}}, unfused{Seed{7}};
    unfused.set_fused(false);
    REQUIRE(fused.fused());
    REQUIRE_FALSE(unfused.fused());
    const Matrix<float> x = inputs(batch, Net::input_size, 11);
    const Matrix<double> g = testing::random_matrix(batch, Net::output_size, 12, 0.0, 1.0);
    Matrix<float> upstream = Matrix<float>::from_shape({batch, Net::output_size});
    std::transform(g.begin(), g.end(), upstream.begin(), [](double v) { return static_cast<float>(v); });
    constexpr double tolerance = 2e-5;

    for (Mode mode : {Mode::Train, Mode::Eval}) {
        if (mode == Mode::Train && batch < 2) continue;  // BatchNorm needs two rows to train
        fused.zero_grad();
        unfused.zero_grad();
        CHECK(relative_difference(fused.forward(x, mode), unfused.forward(x, mode)) < tolerance);
        CHECK(relative_difference(fused.backward(upstream), unfused.backward(upstream)) < tolerance);
        CHECK(relative_difference(fused.gradients(), unfused.gradients()) < tolerance);
        CHECK(relative_difference(fused.buffers(), unfused.buffers()) < tolerance);
    }
    CHECK(relative_difference(fused.predict(x), unfused.predict(x)) < tolerance);
    const std::array<float, Net::input_size> one = [&] {
        std::array<float, Net::input_size> a{};
        std::copy_n(x.begin(), Net::input_size, a.begin());
        return a;
    }();
    CHECK(relative_difference(fused.predict(one), unfused.predict(one)) < tolerance);

    if (batch >= 2) {
        std::vector<int> labels(batch);
        for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<int>(i % Net::output_size);
        SGD a{.lr = 0.05, .momentum = 0.9}, b{.lr = 0.05, .momentum = 0.9};
        for (int step = 0; step < 5; ++step) {
            const float la = fused.train_step(x, labels, SoftmaxCrossEntropy{}, a);
            const float lb = unfused.train_step(x, labels, SoftmaxCrossEntropy{}, b);
            CHECK(std::abs(la - lb) < 1e-4 * (1 + std::abs(lb)));
        }
        CHECK(relative_difference(fused.parameters(), unfused.parameters()) < 1e-4);
    }
}

template <class Net>
void check_all_batches() {
    for (std::size_t batch : {1, 2, 3, 17, 64}) check_fused_matches_unfused<Net>(batch);
}

}  // namespace

TEST_CASE("fusion plan: pointwise layers join the stage of the head before them", "[fusion]") {
    using Card = Seq<Dense<784, 256, He>, BatchNorm, ReLU, Dropout<0.5>, Dense<256, 10>>;
    CHECK(Card::fusion_plan() ==
          "train: [Dense<784, 256, He> BatchNorm ReLU Dropout(0.5)] [Dense<256, 10, He>]\n"
          "inference: [Dense<784, 256, He> BatchNorm ReLU Dropout(0.5)] [Dense<256, 10, He>]");
    using Tiny = Seq<Dense<8, 32>, Tanh, Dense<32, 32>, Tanh, Dense<32, 1>>;
    CHECK(Tiny::fusion_plan() ==
          "train: [Dense<8, 32, He> Tanh] [Dense<32, 32, He> Tanh] [Dense<32, 1, He>]\n"
          "inference: [Dense<8, 32, He> Tanh] [Dense<32, 32, He> Tanh] [Dense<32, 1, He>]");
    // PReLU has a parameter: it heads its own stage, and the ReLU after it joins that stage.
    using WithPrelu = Seq<Dense<4, 6>, PReLU, ReLU, Dense<6, 2>>;
    CHECK(WithPrelu::fusion_plan().starts_with("train: [Dense<4, 6, He>] [PReLU ReLU] [Dense<6, 2, He>]"));
}

TEST_CASE("fused == unfused: the card network (BatchNorm barrier, dropout masks, narrow logits)", "[fusion]") {
    check_all_batches<Seq<Dense<20, 24>, BatchNorm, ReLU, Dropout<0.5>, Dense<24, 5>>>();
}

TEST_CASE("fused == unfused: several activations in one epilogue", "[fusion]") {
    check_all_batches<Seq<Dense<9, 40>, ELU<1.0>, LeakyReLU<0.1>, Dropout<0.25>, Tanh, Dense<40, 3>, Sigmoid>>();
}

TEST_CASE("fused == unfused: a pointwise layer first, and heads that are not Dense", "[fusion]") {
    check_all_batches<Seq<Input<12>, ReLU, Dense<12, 18>, Maxout<3>, ScaledTanh, Dense<6, 4>, Softmax>>();
    check_all_batches<Seq<Dense<5, 33>, PReLU, Sigmoid, Dense<33, 2>, Tanh>>();
}

TEST_CASE("fused == unfused: eval-mode BatchNorm folded into the Dense epilogue", "[fusion]") {
    using Net = Seq<Dense<10, 17>, BatchNorm, Tanh, Dense<17, 17>, BatchNorm, Dense<17, 3>>;
    Net fused{Seed{3}}, unfused{Seed{3}};
    unfused.set_fused(false);
    // Non-trivial running statistics and affine parameters.
    const Matrix<float> x = inputs(32, 10, 5);
    for (int i = 0; i < 3; ++i) {
        fused.forward(x, Mode::Train);
        unfused.forward(x, Mode::Train);
    }
    for (std::size_t i = 0; i < fused.parameters().size(); ++i)
        fused.parameters()[i] = unfused.parameters()[i] = unfused.parameters()[i] * 1.1f + 0.01f * float(i % 7);
    CHECK(relative_difference(fused.buffers(), unfused.buffers()) < 1e-6);
    CHECK(relative_difference(fused.predict(x), unfused.predict(x)) < 2e-5);
    check_all_batches<Net>();
}

TEST_CASE("batch statistics merged in the GEMM keep their digits when |mean| >> std", "[fusion]") {
    // Dense outputs around 1000 with a spread of about 0.1: Σz² − (Σz)²/n in float would lose every
    // digit of the variance; the tile moments merged in double must not.
    using Net = Seq<Dense<6, 9>, BatchNorm, Dense<9, 2>>;
    Net fused{Seed{4}}, unfused{Seed{4}};
    unfused.set_fused(false);
    for (Net* net : {&fused, &unfused}) {
        auto tensors = net->named_tensors();
        for (std::size_t o = 0; o < 9; ++o) {
            tensors[1].at(o) = 1000.0f + float(o);  // "0.bias"
            for (std::size_t i = 0; i < 6; ++i) tensors[0].at(o, i) *= 0.05f;
        }
    }
    const Matrix<float> x = inputs(37, 6, 8);
    const Matrix<float> a = fused.forward(x, Mode::Train), b = unfused.forward(x, Mode::Train);
    CHECK(relative_difference(a, b) < 1e-4);
    CHECK(relative_difference(fused.buffers(), unfused.buffers()) < 1e-5);
    const auto var = fused.named_tensors()[5];  // "1.running_var"
    REQUIRE(var.name == "1.running_var");
    CHECK(var.at(0) > 0.9f);  // 0.9·1 + 0.1·(a variance of order 0.01): far from 0 or negative
}

TEST_CASE("the fused path passes the law suite in double", "[fusion]") {
    testing::check_laws<Dense<5, 7>, ELU<0.5>, Dropout<0.3>, Tanh, Dense<7, 4>, Sigmoid>();
    testing::check_laws<Input<6>, Tanh, Dense<6, 8>, BatchNorm, LeakyReLU<0.2>, Dense<8, 3>>();
}
