#include <cmath>
#include <limits>
#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {
/// Central differences of loss.evaluate with respect to every output.
template <std::size_t N, class Loss, class Targets>
void check_gradient(const Loss& loss, std::vector<double> z, const Targets& targets) {
    const std::size_t rows = z.size() / N;
    std::vector<double> analytic(z.size()), scratch(z.size());
    loss.evaluate(BatchView<const double, N>{z.data(), rows}, targets, BatchView<double, N>{analytic.data(), rows});
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double saved = z[i], h = 1e-6;
        z[i] = saved + h;
        const double up =
            loss.evaluate(BatchView<const double, N>{z.data(), rows}, targets, BatchView<double, N>{scratch.data(), rows});
        z[i] = saved - h;
        const double down =
            loss.evaluate(BatchView<const double, N>{z.data(), rows}, targets, BatchView<double, N>{scratch.data(), rows});
        z[i] = saved;
        CHECK(analytic[i] == Approx((up - down) / (2 * h)).epsilon(1e-6).margin(1e-9));
    }
}

template <std::size_t N, class Loss, class Targets>
double value_of(const Loss& loss, const std::vector<double>& z, const Targets& targets) {
    std::vector<double> g(z.size());
    return loss.evaluate(BatchView<const double, N>{z.data(), z.size() / N}, targets,
                         BatchView<double, N>{g.data(), z.size() / N});
}
}  // namespace

TEST_CASE("multiclass hinge is the Weston-Watkins sum, mean over the batch", "[loss]") {
    // Row 0, label 2: max(0, 1-3+1) + max(0, 2.5-3+1) = 0 + 0.5. Row 1, label 0: (0+1) + (2+1) = 4.
    const std::vector<double> z{1, 2.5, 3, 0, 0, 2};
    const std::vector<int> labels{2, 0};
    CHECK(value_of<3>(MulticlassHinge{}, z, labels) == Approx((0.5 + 4) / 2));
    CHECK(value_of<3>(MulticlassHinge{.divide_by_classes = true}, z, labels) == Approx((0.5 + 4) / 2 / 3));
    CHECK(value_of<3>(MulticlassHinge{.margin = 2}, z, labels) == Approx((0 + 1.5 + 2 + 4) / 2));
    check_gradient<3>(MulticlassHinge{}, z, labels);
    // A confident correct answer costs nothing.
    CHECK(value_of<3>(MulticlassHinge{}, std::vector<double>{10, 0, 0}, std::vector<int>{0}) == 0.0);
}

TEST_CASE("mean squared error averages over every element; labels read as one-hot", "[loss]") {
    const std::vector<double> z{1, 2, 0.5, -1};
    Matrix<double> t = {{0, 2}, {1, 1}};
    CHECK(value_of<2>(MeanSquaredError{}, z, t) == Approx((1 + 0 + 0.25 + 4) / 4.0));
    check_gradient<2>(MeanSquaredError{}, z, t);
    CHECK(value_of<2>(MeanSquaredError{}, z, std::vector<int>{1, 0}) == Approx((1 + 1 + 0.25 + 1) / 4.0));
    check_gradient<2>(MeanSquaredError{}, z, std::vector<int>{1, 0});
    Matrix<float> tf = {{0, 2}, {1, 1}};  // float targets for a double network are fine
    CHECK(value_of<2>(MeanSquaredError{}, z, tf) == Approx((1 + 0 + 0.25 + 4) / 4.0));
}

TEST_CASE("binary cross-entropy on logits is stable and exact", "[loss]") {
    const std::vector<double> z{2.0, -1.0, 1e4, -1e4};
    Matrix<double> t = {{1, 0.25}, {0, 1}};
    const double expected = (std::log1p(std::exp(-2.0)) + (0.25 + std::log1p(std::exp(-1.0))) + 1e4 + 1e4) / 4;
    const double v = value_of<2>(BinaryCrossEntropy{}, z, t);
    CHECK(std::isfinite(v));
    CHECK(v == Approx(expected));
    check_gradient<2>(BinaryCrossEntropy{}, {2.0, -1.0, 0.3, -0.7}, t);
    // One output: labels 0/1 are the targets.
    CHECK(value_of<1>(BinaryCrossEntropy{}, std::vector<double>{0.0, 0.0}, std::vector<int>{0, 1}) ==
          Approx(std::log(2.0)));
    check_gradient<1>(BinaryCrossEntropy{}, {0.4, -1.2, 3}, std::vector<int>{1, 0, 1});
}

TEST_CASE("softmax cross-entropy with label smoothing has the right gradient", "[loss]") {
    check_gradient<4>(SoftmaxCrossEntropy{.label_smoothing = 0.2}, {0.1, 2, -1, 0.5, 3, 3, 0, -2}, std::vector<int>{1, 3});
    check_gradient<4>(SoftmaxCrossEntropy{}, {0.1, 2, -1, 0.5, 3, 3, 0, -2}, std::vector<int>{1, 3});
}

TEST_CASE("losses are float and double", "[loss]") {
    const float z[] = {0.5f, -0.5f, 1.0f, 2.0f};
    float g[4];
    const std::vector<int> labels{0, 1};
    const float a = SoftmaxCrossEntropy{}.evaluate(BatchView<const float, 2>{z, 2}, labels, BatchView<float, 2>{g, 2});
    const float b = MulticlassHinge{}.evaluate(BatchView<const float, 2>{z, 2}, labels, BatchView<float, 2>{g, 2});
    const float c = MeanSquaredError{}.evaluate(BatchView<const float, 2>{z, 2}, labels, BatchView<float, 2>{g, 2});
    const float d = BinaryCrossEntropy{}.evaluate(BatchView<const float, 2>{z, 2}, labels, BatchView<float, 2>{g, 2});
    CHECK(a == Approx((std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-1.0))) / 2));
    CHECK(b == Approx((0.0 + 0.0) / 2));  // both margins exactly 1: max(0, 0) = 0
    CHECK(c == Approx((0.25 + 0.25 + 1 + 1) / 4));
    CHECK(std::isfinite(d));
}

TEST_CASE("losses report bad labels, targets and NaN outputs: what and where", "[loss][errors]") {
    const double z[] = {0, 1, 2, 3, 4, 5};
    const double nan_z[] = {0, 1, 2, 3, std::numeric_limits<double>::quiet_NaN(), 5};
    double g[6];
    const BatchView<const double, 3> out{z, 2}, bad{nan_z, 2};
    const BatchView<double, 3> grad{g, 2};
    const std::vector<int> labels{0, 2};

    CHECK_THROWS_WITH(MulticlassHinge{}.evaluate(out, std::vector<int>{0, 3}, grad),
                      Catch::Contains("MulticlassHinge: label 3 at position 1 is out of range"));
    CHECK_THROWS_WITH(SoftmaxCrossEntropy{}.evaluate(out, std::vector<int>{-1, 0}, grad),
                      Catch::Contains("label -1 at position 0"));
    CHECK_THROWS_WITH(MeanSquaredError{}.evaluate(out, std::vector<int>{0}, grad),
                      Catch::Contains("1 labels for a batch of 2 samples"));
    CHECK_THROWS_WITH(MeanSquaredError{}.evaluate(out, Matrix<double>::from_shape({2, 2}), grad),
                      Catch::Contains("targets are (2, 2), the network output is (2, 3)"));
    CHECK_THROWS_AS(MeanSquaredError{}.evaluate(out, Matrix<double>::from_shape({3, 3}), grad), shape_error);
    for (const char* name : {"SoftmaxCrossEntropy", "MulticlassHinge", "MeanSquaredError", "BinaryCrossEntropy"}) {
        INFO(name);
        const std::string expected = std::string(name) + ": NaN in the network output at row 1, column 1";
        if (name[0] == 'S') CHECK_THROWS_WITH(SoftmaxCrossEntropy{}.evaluate(bad, labels, grad), Catch::Contains(expected));
        if (name[1] == 'u') CHECK_THROWS_WITH(MulticlassHinge{}.evaluate(bad, labels, grad), Catch::Contains(expected));
        if (name[0] == 'M' && name[1] == 'e')
            CHECK_THROWS_WITH(MeanSquaredError{}.evaluate(bad, labels, grad), Catch::Contains(expected));
        if (name[0] == 'B') CHECK_THROWS_WITH(BinaryCrossEntropy{}.evaluate(bad, labels, grad), Catch::Contains(expected));
    }
    Matrix<double> probabilities = {{0, 0.5, 1}, {1.5, 0, 0}};
    CHECK_THROWS_WITH(BinaryCrossEntropy{}.evaluate(out, probabilities, grad),
                      Catch::Contains("target 1.500000 at sample 1, output 0 is outside [0.000000, 1.000000]"));
    Matrix<double> nan_targets = {{0, 0.5, 1}, {1, std::nan(""), 0}};
    CHECK_THROWS_WITH(MeanSquaredError{}.evaluate(out, nan_targets, grad), Catch::Contains("is not finite"));
    const double one[] = {0.3, -0.2};
    double g1[2];
    CHECK_THROWS_WITH(BinaryCrossEntropy{}.evaluate(BatchView<const double, 1>{one, 2}, std::vector<int>{1, 2},
                                                    BatchView<double, 1>{g1, 2}),
                      Catch::Contains("label 2 at position 1 is not 0 or 1"));
    CHECK_THROWS_WITH(SoftmaxCrossEntropy{.label_smoothing = 1.5}.evaluate(out, labels, grad),
                      Catch::Contains("label_smoothing"));
}

TEST_CASE("chance losses are what an untrained network should show", "[loss]") {
    CHECK(SoftmaxCrossEntropy{}.chance_loss(10) == Approx(std::log(10.0)));
    CHECK(MulticlassHinge{}.chance_loss(10) == Approx(9.0));
    CHECK(BinaryCrossEntropy{}.chance_loss(1) == Approx(std::log(2.0)));
    // Each equals the loss of all-zero outputs.
    const std::vector<double> zeros(10, 0.0);
    const std::vector<int> label{3};
    CHECK(value_of<10>(SoftmaxCrossEntropy{}, zeros, label) == Approx(SoftmaxCrossEntropy{}.chance_loss(10)));
    CHECK(value_of<10>(MulticlassHinge{}, zeros, label) == Approx(MulticlassHinge{}.chance_loss(10)));
    CHECK(value_of<10>(MeanSquaredError{}, zeros, label) == Approx(MeanSquaredError{}.chance_loss(10)));
    CHECK(value_of<10>(BinaryCrossEntropy{}, zeros, label) == Approx(BinaryCrossEntropy{}.chance_loss(10)));
}
