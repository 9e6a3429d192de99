#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// Same shape and bitwise equal values.
bool identical(const Matrix<float>& a, const Matrix<float>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

/// Positive inputs far from 0, so a zero output can only come from the mask.
Matrix<float> positive(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    Matrix<float> m = Matrix<float>::from_shape({rows, cols});
    const Matrix<double> r = testing::random_matrix(rows, cols, seed, 0.5, 2.0);
    for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(std::abs(r.data()[i]));
    return m;
}

std::vector<bool> zeros_of(const Matrix<float>& y) {
    std::vector<bool> z(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) z[i] = y.data()[i] == 0.0f;
    return z;
}

/// Fraction of kept values over 200 000 elements is 1 − P within 5 standard deviations; each kept value is
/// exactly x·(1/(1 − P)) rounded to float once; each dropped value is exactly 0.
template <class Spec>
void check_rate_and_scale(double P) {
    constexpr std::size_t rows = 200, width = 1000;
    Seq<Input<width>, Spec> net{Seed{123}};
    const Matrix<float> x = positive(rows, width, 9);
    const Matrix<float> y = net.forward(x, Mode::Train);
    const float scale = static_cast<float>(1.0 / (1.0 - P));
    std::size_t kept = 0;
    bool exact = true;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (y.data()[i] == 0.0f) continue;
        ++kept;
        exact = exact && y.data()[i] == x.data()[i] * scale;
    }
    const double n = static_cast<double>(x.size());
    const double fraction = static_cast<double>(kept) / n;
    INFO("P = " << P << ", kept fraction " << fraction);
    CHECK(std::abs(fraction - (1 - P)) <= 5 * std::sqrt(P * (1 - P) / n));
    CHECK(exact);
}

}  // namespace

TEST_CASE("Dropout passes the law suite", "[laws][dropout]") { testing::check_laws<Input<6>, Dropout<0.3>>(); }

TEST_CASE("Dropout keeps a fraction 1 - P and scales kept values by 1/(1 - P)", "[dropout]") {
    check_rate_and_scale<Dropout<0.5>>(0.5);
    check_rate_and_scale<Dropout<0.3>>(0.3);
    check_rate_and_scale<Dropout<0.9>>(0.9);
    check_rate_and_scale<Dropout<0.05>>(0.05);
}

TEST_CASE("Dropout is the identity in eval mode and for P = 0", "[dropout]") {
    const Matrix<float> x = positive(7, 50, 3);
    Seq<Input<50>, Dropout<0.5>> net{Seed{1}};
    CHECK(identical(net.forward(x, Mode::Eval), x));
    CHECK(identical(net.predict(x), x));
    Seq<Input<50>, Dropout<0.0>> none{Seed{1}};
    CHECK(identical(none.forward(x, Mode::Train), x));
    const Matrix<float> dy = positive(7, 50, 4);
    CHECK(identical(none.backward(dy), dy));
    net.forward(x, Mode::Eval);
    CHECK(identical(net.backward(dy), dy));
}

TEST_CASE("Dropout masks are a function of seed, layer, step and element index", "[dropout]") {
    using Net = Seq<Input<64>, Dropout<0.5>>;
    const Matrix<float> x = positive(16, 64, 5);

    Net a{Seed{7}}, b{Seed{7}}, other_seed{Seed{8}};
    const Matrix<float> a1 = a.forward(x, Mode::Train);
    SECTION("same seed and step: same mask") { CHECK(identical(b.forward(x, Mode::Train), a1)); }
    SECTION("another step: another mask") {
        const Matrix<float> a2 = a.forward(x, Mode::Train);
        CHECK(zeros_of(a2) != zeros_of(a1));
        // Eval forwards do not advance the step.
        b.forward(x, Mode::Eval);
        CHECK(identical(b.forward(x, Mode::Train), a1));
    }
    SECTION("another seed: another mask") { CHECK(zeros_of(other_seed.forward(x, Mode::Train)) != zeros_of(a1)); }
    SECTION("another layer: another mask") {
        // The same Dropout one position later (ReLU is the identity on positive inputs).
        Seq<Input<64>, ReLU, Dropout<0.5>> later{Seed{7}};
        CHECK(zeros_of(later.forward(x, Mode::Train)) != zeros_of(a1));
    }
    SECTION("the mask of (row, column) does not depend on the values or the batch size") {
        const Matrix<float> x2 = positive(16, 64, 6);
        CHECK(zeros_of(b.forward(x2, Mode::Train)) == zeros_of(a1));
        Net c{Seed{7}};
        Matrix<float> head = Matrix<float>::from_shape({5, 64});
        std::copy_n(x.data(), head.size(), head.data());
        const Matrix<float> c1 = c.forward(head, Mode::Train);
        CHECK(std::equal(c1.begin(), c1.end(), a1.begin()));
    }
}

TEST_CASE("Dropout backward regenerates the forward mask", "[dropout]") {
    Seq<Input<40>, Dropout<0.4>> net{Seed{3}};
    const Matrix<float> x = positive(9, 40, 1);
    const Matrix<float> dy = positive(9, 40, 2);
    net.forward(x, Mode::Train);  // a step whose mask is not the next one's
    const Matrix<float> y = net.forward(x, Mode::Train);
    const Matrix<float> dx = net.backward(dy);
    const float scale = static_cast<float>(1.0 / 0.6);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        if (y.data()[i] == 0.0f) {
            ++dropped;
            CHECK(dx.data()[i] == 0.0f);
        } else {
            CHECK(dx.data()[i] == dy.data()[i] * scale);
        }
    }
    CHECK(dropped > 0);
    CHECK(dropped < y.size());
}

TEST_CASE("Dropout's mask_stream and kept reproduce the layer's mask, for fused kernels", "[dropout]") {
    using Bound = Dropout<0.3>::bind<float, Shape<30>>;
    Seq<Input<30>, Dropout<0.3>> net{Seed{21}};
    const Matrix<float> x = positive(6, 30, 8);
    net.forward(x, Mode::Train);
    const Matrix<float> y = net.forward(x, Mode::Train);
    const StepContext step{Mode::Train, net.seed(), net.train_steps(), 1};
    const Philox stream = Bound::mask_stream(step);
    std::size_t agree = 0;
    for (std::size_t i = 0; i < y.size(); ++i) agree += Bound::kept(stream, i) == (y.data()[i] != 0.0f);
    CHECK(agree == y.size());
}

TEST_CASE("Dropout<P> accepts P in [0, 1) only, and reports it as the network's one diagnostic", "[dropout]") {
    STATIC_REQUIRE(Dropout<0.5>::accepts<Shape<4>>);
    STATIC_REQUIRE(Dropout<0.0>::accepts<Shape<4>>);
    STATIC_REQUIRE(Dropout<0.999>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(Dropout<1.0>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(Dropout<1.5>::accepts<Shape<4>>);
    STATIC_REQUIRE_FALSE(Dropout<-0.1>::accepts<Shape<4>>);
    // Naming the failure does not instantiate it, so this is checkable without a compile error.
    using Chain = detail::layer_chain<float, Dense<4, 4>, Dropout<1.5>, Dense<4, 2>>;
    STATIC_REQUIRE_FALSE(Chain::valid);
    STATIC_REQUIRE(std::is_same_v<Chain::failure, diagnostics::check_dropout_rate<layer_index<1>, Dropout<1.5>, fraction<3, 2>>>);
    STATIC_REQUIRE(detail::layer_chain<float, Dense<4, 4>, Dropout<0.5>, Dense<4, 2>>::valid);
}

TEST_CASE("Dropout names and fusion kind", "[dropout]") {
    using Bound = Dropout<0.5>::bind<float, Shape<8>>;
    STATIC_REQUIRE(std::is_same_v<Bound::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(Bound::parameter_tensors.size() == 0 && Bound::buffer_tensors.size() == 0);
    CHECK(Bound::name() == "Dropout(0.5)");
    CHECK(Dropout<0.3>::bind<float, Shape<8>>::name() == "Dropout(0.3)");
    CHECK(Seq<Dense<4, 8>, Dropout<0.25>>::summary().find("Dropout(0.25)") != std::string::npos);
}

TEST_CASE("a Real shows its value in diagnostics as a reduced decimal fraction", "[dropout][diagnostics]") {
    // check_dropout_rate carries fraction_of<P>: compilers print the Real itself as its bit pattern.
    STATIC_REQUIRE(std::is_same_v<fraction_of<50>, fraction<50, 1>>);
    STATIC_REQUIRE(std::is_same_v<fraction_of<0.5>, fraction<1, 2>>);
    STATIC_REQUIRE(std::is_same_v<fraction_of<-0.1>, fraction<-1, 10>>);
    STATIC_REQUIRE(std::is_same_v<fraction_of<1e-5>, fraction<1, 100000>>);
    STATIC_REQUIRE(std::is_same_v<fraction_of<1.0 / 3>, fraction<0, 0>>);  // no short decimal form
    STATIC_REQUIRE(std::is_same_v<fraction_of<std::numeric_limits<double>::quiet_NaN()>, fraction<0, 0>>);
}
