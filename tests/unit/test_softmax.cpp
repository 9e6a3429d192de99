#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

TEST_CASE("Softmax passes the law suite", "[laws][softmax][activations]") {
    SECTION("alone") { testing::check_laws<Input<5>, Softmax>(); }
    SECTION("after Dense and Tanh") { testing::check_laws<Dense<6, 8>, Tanh, Dense<8, 4>, Softmax>(); }
}

TEST_CASE("Softmax computes e^x / Σ e^x per row", "[softmax][activations]") {
    BasicSeq<double, Input<3>, Softmax> net;
    // e^0 : e^ln2 : e^ln3 = 1 : 2 : 3.
    const auto y = net.predict(std::array<double, 3>{0.0, std::log(2.0), std::log(3.0)});
    CHECK(y[0] == Approx(1.0 / 6));
    CHECK(y[1] == Approx(2.0 / 6));
    CHECK(y[2] == Approx(3.0 / 6));
    // Rows are independent, and adding a constant to a row changes nothing.
    const Matrix<double> x = {{0.0, std::log(2.0), std::log(3.0)}, {100.0, 100.0 + std::log(2.0), 100.0 + std::log(3.0)},
                              {5.0, 5.0, 5.0}};
    const Matrix<double> p = net.predict(x);
    for (std::size_t c = 0; c < 3; ++c) {
        CHECK(p(1, c) == Approx(p(0, c)).epsilon(1e-12));
        CHECK(p(2, c) == Approx(1.0 / 3));
    }
    CHECK(Softmax::bind<float, Shape<3>>::name() == "Softmax");
    STATIC_REQUIRE(std::is_same_v<Softmax::bind<float, Shape<3>>::fusion_kind, fusion::barrier>);
}

TEMPLATE_TEST_CASE("Softmax is stable for logits of ±1e4", "[softmax][activations]", float, double) {
    BasicSeq<TestType, Input<4>, Softmax> net;
    const Matrix<TestType> x = {{TestType(1e4), TestType(-1e4), TestType(0), TestType(1e4)},
                                {TestType(-1e4), TestType(-1e4), TestType(-1e4), TestType(-1e4 + 1)},
                                {TestType(-1e4), TestType(1e4), TestType(1e4 - 2), TestType(-3)}};
    const Matrix<TestType> y = net.predict(x);
    for (std::size_t r = 0; r < 3; ++r) {
        TestType sum = 0;
        for (std::size_t c = 0; c < 4; ++c) {
            CHECK(std::isfinite(y(r, c)));
            CHECK(y(r, c) >= 0);
            sum += y(r, c);
        }
        CHECK(sum == Approx(1.0).epsilon(1e-6));
    }
    CHECK(y(0, 0) == Approx(0.5));
    CHECK(y(0, 3) == Approx(0.5));
    CHECK(y(1, 3) == Approx(std::exp(1.0) / (3 + std::exp(1.0))).epsilon(1e-5));
    CHECK(y(2, 1) == Approx(1 / (1 + std::exp(-2.0))).epsilon(1e-5));

    // The gradient is finite too.
    const Matrix<TestType> dy = {{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}};
    net.forward(x, Mode::Train);
    const Matrix<TestType> dx = net.backward(dy);
    for (TestType v : dx) CHECK(std::isfinite(v));
}

TEST_CASE("Softmax backward is the Jacobian (diag(y) - y yᵀ) applied to dy", "[softmax][activations]") {
    constexpr std::size_t n = 4;
    BasicSeq<double, Input<n>, Softmax> net;
    const Matrix<double> x = {{0.3, -1.2, 2.0, 0.7}, {-0.5, -0.5, 1.5, 0.0}};
    const Matrix<double> dy = {{1.0, -2.0, 0.5, 3.0}, {0.2, 0.4, -1.0, 2.0}};
    const Matrix<double> y = net.forward(x, Mode::Train);
    const Matrix<double> dx = net.backward(dy);
    for (std::size_t r = 0; r < 2; ++r) {
        double row_sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double expected = 0;
            for (std::size_t j = 0; j < n; ++j) expected += ((i == j ? y(r, i) : 0.0) - y(r, i) * y(r, j)) * dy(r, j);
            CHECK(dx(r, i) == Approx(expected).epsilon(1e-12).margin(1e-15));
            row_sum += dx(r, i);
        }
        // Shifting all logits of a row leaves the output unchanged, so the input gradient sums to zero.
        CHECK(row_sum == Approx(0.0).margin(1e-12));
    }
}
