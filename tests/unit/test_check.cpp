#include <cmath>
#include <string>
#include <vector>

#include "catch.hpp"
#include <typenet/check/gradient_check.hpp>
#include <typenet/check/initial_loss.hpp>
#include <typenet/check/overfit.hpp>
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

/// Test-only activation: tanh with a deliberately wrong derivative (1.5·(1 − y²)).
struct BrokenTanh : Elementwise<BrokenTanh> {
    static std::string name() { return "BrokenTanh"; }
    template <class V>
    static V apply(V x) { return math::tanh(x); }
    template <class V>
    static V derivative(V, V y) { return V(1.5) * (V(1) - y * y); }
};

Dataset blobs(std::size_t n, std::uint64_t seed) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    Dataset d{Matrix<float>::from_shape({n, 4}), std::vector<int>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        d.y[i] = static_cast<int>(i % 3);
        for (std::size_t f = 0; f < 4; ++f)
            d.x(i, f) = static_cast<float>((f == i % 3 ? 1.5 : 0.0) + rng.normal(i * 4 + f));
    }
    return d;
}

Matrix<float> first_rows(const Dataset& d, std::size_t n) {
    Matrix<float> x = Matrix<float>::from_shape({n, d.features()});
    std::copy_n(d.x.data(), x.size(), x.data());
    return x;
}

}  // namespace

TEST_CASE("check_gradients finds a correct network correct, in double, without touching it", "[check]") {
    const Dataset d = blobs(6, 1);
    const std::vector<int> labels(d.y.begin(), d.y.end());
    using Net = Seq<Dense<4, 6, Xavier>, Tanh, Dense<6, 3, Xavier>>;
    Net net{Seed{2}};
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    const GradientCheck c = check_gradients(net, d.x, labels, SoftmaxCrossEntropy{});
    INFO(c.table());
    REQUIRE(c.tensors.size() == 4);
    CHECK(c.tensors[0].name == "0.weight");
    CHECK(c.tensors[0].checked == 24);
    CHECK(c.worst() < 1e-6);
    CHECK(std::ranges::equal(before, net.parameters()));
    // Other losses too.
    CHECK(check_gradients(net, d.x, labels, MulticlassHinge{}).worst() < 1e-5);
    CHECK(check_gradients(net, d.x, labels, MeanSquaredError{}).worst() < 1e-6);
}

TEST_CASE("check_gradients handles BatchNorm and Dropout in train mode (same masks in every probe)", "[check]") {
    const Dataset d = blobs(8, 3);
    using Net = Seq<Dense<4, 6, Xavier>, BatchNorm, Tanh, Dropout<0.5>, Dense<6, 3, Xavier>>;
    Net net{Seed{4}};
    const GradientCheck c = check_gradients(net, d.x, d.y, SoftmaxCrossEntropy{});
    INFO(c.table());
    CHECK(c.tensors.size() == 6);  // Dense, BatchNorm weight and bias, Dense
    CHECK(c.worst() < 1e-5);
    const GradientCheck eval = check_gradients(net, d.x, d.y, SoftmaxCrossEntropy{}, {.mode = Mode::Eval});
    CHECK(eval.worst() < 1e-5);
}

TEST_CASE("check_gradients reports a large error where a derivative is wrong", "[check]") {
    const Dataset d = blobs(6, 5);
    using Broken = Seq<Dense<4, 6, Xavier>, BrokenTanh, Dense<6, 3, Xavier>>;
    Broken net{Seed{2}};
    const GradientCheck c = check_gradients(net, first_rows(d, 6), d.y, SoftmaxCrossEntropy{});
    INFO(c.table());
    // The wrong derivative corrupts every gradient below it (layer 0) but not above it (layer 2).
    CHECK(c.tensors[0].relative_error > 0.1);
    CHECK(c.tensors[1].relative_error > 0.1);
    CHECK(c.tensors[2].relative_error < 1e-6);
    CHECK(c.tensors[3].relative_error < 1e-6);
    CHECK(c.tensors[0].analytic == Approx(1.5 * c.tensors[0].numeric).epsilon(1e-4));
}

TEST_CASE("check_gradients can sample a few elements per tensor and checks its arguments", "[check]") {
    const Dataset d = blobs(4, 6);
    Seq<Dense<4, 30, Xavier>, Tanh, Dense<30, 3, Xavier>> net{Seed{1}};
    const GradientCheck c = check_gradients(net, d.x, d.y, SoftmaxCrossEntropy{}, {.max_per_tensor = 10, .seed = 3});
    CHECK(c.tensors[0].checked == 10);
    CHECK(c.tensors[1].checked == 10);
    CHECK(c.worst() < 1e-6);
    CHECK_THROWS_AS(check_gradients(net, Matrix<float>::from_shape({2, 5}), d.y, SoftmaxCrossEntropy{}), shape_error);
}

TEST_CASE("the initial loss of a small-initialized classifier is ln K; an overconfident one is flagged", "[check]") {
    const Dataset d = blobs(300, 7);
    Seq<Dense<4, 16, SmallRandom>, ReLU, Dense<16, 3, SmallRandom>> net{Seed{1}};
    const InitialLossReport ok = check_initial_loss(net, d, SoftmaxCrossEntropy{});
    CHECK(ok.expected == Approx(std::log(3.0)));
    CHECK(ok.ratio == Approx(1.0).epsilon(0.01));
    CHECK(ok.ok);
    for (auto& p : net.parameters()) p *= 300.0f;
    const InitialLossReport bad = check_initial_loss(net, d, SoftmaxCrossEntropy{}, {.warn = false});
    CHECK_FALSE(bad.ok);
    CHECK(bad.ratio > 1.5);
    CHECK(bad.message.find("overconfident") != std::string::npos);
}

TEST_CASE("a working network overfits a small subset; a frozen one is reported", "[check]") {
    const Dataset d = blobs(100, 8);
    using Net = Seq<Dense<4, 32>, ReLU, Dense<32, 3>>;
    const Net net{Seed{3}};
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    const OverfitReport r = overfit_small_subset(net, d, 20, 300);
    INFO(r.message);
    CHECK(r.passed);
    CHECK(r.accuracy == 1.0);
    CHECK(r.final_loss < r.initial_loss / 10);
    CHECK(std::ranges::equal(before, net.parameters()));  // a copy was trained
    const OverfitReport frozen = overfit_small_subset(net, d, 20, 300, SoftmaxCrossEntropy{}, SGD{.lr = 0.0});
    CHECK_FALSE(frozen.passed);
    CHECK(frozen.final_loss == Approx(frozen.initial_loss));
}
