#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// The activation bound to T with a flat input of width 1, for calling through the layer type.
template <class F, class T = double>
using bound = typename F::template bind<T, Shape<1>>;

/// Inputs for comparing code paths: both saturations, the kink at 0 (both signed zeros), and a sweep.
template <class T>
std::vector<T> probe_inputs() {
    std::vector<T> xs{T(-1000), T(-88), T(-20), T(-5), T(-1), T(-0.5), T(-1e-3), T(-0.0),
                      T(0),     T(1e-3), T(0.5), T(1),  T(5),  T(20),  T(88),   T(1000)};
    for (int i = -40; i <= 40; ++i) xs.push_back(T(i) / T(4) + T(0.01));
    return xs;
}

/// a and b agree to a few units in the last place, measured against max(1, |a|, |b|) so that values
/// such as 1 − tanh², which cancel near saturation, are judged by the scale they are computed at.
template <class T>
bool close(T a, T b, double ulps = 8) {
    const double scale = std::max({1.0, std::abs(double(a)), std::abs(double(b))});
    return std::abs(double(a) - double(b)) <= ulps * std::numeric_limits<T>::epsilon() * scale;
}

/// F::apply and F::derivative on SIMD registers of T agree lane by lane with the scalar code.
template <class F, class T>
void check_simd_matches_scalar() {
    using B = simd::batch<T>;
    constexpr std::size_t lanes = simd::lanes<T>;
    const std::vector<T> xs = probe_inputs<T>();
    for (std::size_t start = 0; start < xs.size(); start += lanes) {
        std::array<T, lanes> in{}, y{}, dy{};
        for (std::size_t i = 0; i < lanes; ++i) in[i] = xs[(start + i) % xs.size()];
        const B x = B::load_unaligned(in.data());
        const B by = F::apply(x);
        by.store_unaligned(y.data());
        F::derivative(x, by).store_unaligned(dy.data());
        for (std::size_t i = 0; i < lanes; ++i) {
            const T sy = F::apply(in[i]);
            const T sdy = F::derivative(in[i], sy);
            INFO(F::name() << " at x = " << in[i] << ": simd " << y[i] << " / " << dy[i] << ", scalar " << sy << " / "
                           << sdy);
            CHECK(std::isfinite(y[i]));
            CHECK(close(y[i], sy));
            CHECK(close(dy[i], sdy));
        }
    }
}

/// The derivative the function states agrees with a central difference of its apply, in double.
template <class F>
void check_derivative_matches_apply() {
    for (double x : probe_inputs<double>()) {
        if (std::abs(x) < 1e-2) continue;  // the kink of the ReLU family
        const double h = 1e-6 * std::max(1.0, std::abs(x));
        const double numeric = (F::apply(x + h) - F::apply(x - h)) / (2 * h);
        const double analytic = F::derivative(x, F::apply(x));
        INFO(F::name() << " at x = " << x);
        CHECK(analytic == Approx(numeric).epsilon(1e-6).margin(1e-9));
    }
}

}  // namespace

TEST_CASE("Activations pass the law suite alone", "[laws][activations]") {
    SECTION("LeakyReLU<0.2>") { testing::check_laws<Input<6>, LeakyReLU<0.2>>(); }
    SECTION("LeakyReLU<>") { testing::check_laws<Input<6>, LeakyReLU<>>(); }
    SECTION("ELU<>") { testing::check_laws<Input<6>, ELU<>>(); }
    SECTION("ELU<0.5>") { testing::check_laws<Input<6>, ELU<0.5>>(); }
    SECTION("Sigmoid") { testing::check_laws<Input<6>, Sigmoid>(); }
    SECTION("Tanh") { testing::check_laws<Input<6>, Tanh>(); }
    SECTION("ScaledTanh") { testing::check_laws<Input<6>, ScaledTanh>(); }
}

TEST_CASE("Activations pass the law suite between Dense layers", "[laws][activations]") {
    SECTION("LeakyReLU<0.2>") { testing::check_laws<Dense<6, 8>, LeakyReLU<0.2>, Dense<8, 3>>(); }
    SECTION("ELU<>") { testing::check_laws<Dense<6, 8>, ELU<>, Dense<8, 3>>(); }
    SECTION("Sigmoid") { testing::check_laws<Dense<6, 8>, Sigmoid, Dense<8, 3>>(); }
    SECTION("Tanh") { testing::check_laws<Dense<6, 8>, Tanh, Dense<8, 3>>(); }
    SECTION("ScaledTanh") { testing::check_laws<Dense<6, 8>, ScaledTanh, Dense<8, 3>>(); }
    SECTION("a stack of them") {
        testing::check_laws<Dense<5, 7>, ELU<0.7>, Dense<7, 6>, Sigmoid, Dense<6, 4>, LeakyReLU<0.1>, Dense<4, 2>>();
    }
}

TEST_CASE("Activations compute their formulas", "[activations]") {
    // Each expected value is the textbook formula, evaluated here independently of the library.
    CHECK(LeakyReLU<0.2>::apply(-3.0) == Approx(-0.6));
    CHECK(LeakyReLU<0.2>::apply(3.0) == 3.0);
    CHECK(LeakyReLU<>::apply(-2.0) == Approx(-0.02));
    CHECK(ELU<>::apply(-1.0) == Approx(1.0 * (std::exp(-1.0) - 1.0)));
    CHECK(ELU<0.5>::apply(-1.0) == Approx(0.5 * (std::exp(-1.0) - 1.0)));
    CHECK(ELU<0.5>::apply(2.0) == 2.0);
    CHECK(ELU<>::apply(-1e-10) == Approx(-1e-10).epsilon(1e-9));  // expm1: no cancellation near 0
    CHECK(Sigmoid::apply(0.0) == 0.5);
    CHECK(Sigmoid::apply(2.0) == Approx(1.0 / (1.0 + std::exp(-2.0))));
    CHECK(Tanh::apply(0.5) == Approx((std::exp(1.0) - 1.0) / (std::exp(1.0) + 1.0)));
    CHECK(ScaledTanh::apply(1.0) == Approx(1.7159 * std::tanh(2.0 / 3.0)));
    // LeCun chose the constants so that f(±1) = ±1.
    CHECK(ScaledTanh::apply(1.0) == Approx(1.0).epsilon(1e-4));
    CHECK(ScaledTanh::apply(-1.0) == Approx(-1.0).epsilon(1e-4));
}

TEST_CASE("Activation derivatives: formulas, PyTorch's choice at 0, and agreement with apply",
          "[activations]") {
    CHECK(LeakyReLU<0.2>::derivative(-1.0, -0.2) == Approx(0.2));
    CHECK(LeakyReLU<0.2>::derivative(1.0, 1.0) == 1.0);
    CHECK(LeakyReLU<0.2>::derivative(0.0, 0.0) == Approx(0.2));  // torch: x > 0 ? 1 : slope
    CHECK(ELU<0.5>::derivative(-1.0, ELU<0.5>::apply(-1.0)) == Approx(0.5 * std::exp(-1.0)));
    CHECK(ELU<0.5>::derivative(0.0, 0.0) == Approx(0.5));  // torch: x <= 0 ? alpha·eˣ : 1
    CHECK(Sigmoid::derivative(0.0, 0.5) == 0.25);
    CHECK(Tanh::derivative(0.0, 0.0) == 1.0);
    CHECK(ScaledTanh::derivative(0.0, 0.0) == Approx(1.7159 * 2.0 / 3.0));
    check_derivative_matches_apply<LeakyReLU<0.2>>();
    check_derivative_matches_apply<ELU<>>();
    check_derivative_matches_apply<ELU<1.5>>();
    check_derivative_matches_apply<Sigmoid>();
    check_derivative_matches_apply<Tanh>();
    check_derivative_matches_apply<ScaledTanh>();
}

TEST_CASE("Sigmoid and the tanh family saturate without NaN in float and double", "[activations]") {
    CHECK(Sigmoid::apply(-1000.0f) == 0.0f);
    CHECK(Sigmoid::apply(1000.0f) == 1.0f);
    CHECK(Sigmoid::apply(-1000.0) == 0.0);
    CHECK(Sigmoid::apply(1000.0) == 1.0);
    CHECK(Sigmoid::derivative(-1000.0f, Sigmoid::apply(-1000.0f)) == 0.0f);
    CHECK(Sigmoid::derivative(1000.0f, Sigmoid::apply(1000.0f)) == 0.0f);
    CHECK(Tanh::apply(-1000.0f) == -1.0f);
    CHECK(Tanh::apply(1000.0) == 1.0);
    CHECK(ScaledTanh::apply(1000.0f) == Approx(1.7159f));
    CHECK(ELU<>::apply(-1000.0f) == -1.0f);
    CHECK(ELU<>::apply(1000.0f) == 1000.0f);  // e^1000 overflows in the branch not taken; no NaN leaks

    // The same through a network, float and double.
    Seq<Input<2>, Sigmoid> f;
    const auto yf = f.predict(std::array<float, 2>{-1000.0f, 1000.0f});
    CHECK(yf[0] == 0.0f);
    CHECK(yf[1] == 1.0f);
    BasicSeq<double, Input<2>, Sigmoid> d;
    const auto yd = d.predict(std::array<double, 2>{-1000.0, 1000.0});
    CHECK(yd[0] == 0.0);
    CHECK(yd[1] == 1.0);
}

TEST_CASE("Activations run on SIMD registers as on scalars", "[activations][simd]") {
    check_simd_matches_scalar<LeakyReLU<0.2>, float>();
    check_simd_matches_scalar<LeakyReLU<>, float>();
    check_simd_matches_scalar<ELU<>, float>();
    check_simd_matches_scalar<ELU<0.5>, float>();
    check_simd_matches_scalar<Sigmoid, float>();
    check_simd_matches_scalar<Tanh, float>();
    check_simd_matches_scalar<ScaledTanh, float>();
    check_simd_matches_scalar<LeakyReLU<0.2>, double>();
    check_simd_matches_scalar<ELU<>, double>();
    check_simd_matches_scalar<Sigmoid, double>();
    check_simd_matches_scalar<Tanh, double>();
    check_simd_matches_scalar<ScaledTanh, double>();
}

TEST_CASE("Activations in float and double networks, names, and traits", "[activations]") {
    using NetF = Seq<Dense<3, 4>, LeakyReLU<0.2>, Dense<4, 4>, ELU<>, Dense<4, 4>, Sigmoid, Dense<4, 4>, Tanh,
                     Dense<4, 2>, ScaledTanh>;
    using NetD = NetF::rebind<double>;
    STATIC_REQUIRE(NetF::parameter_count == 3 * 4 + 4 + 3 * (4 * 4 + 4) + 4 * 2 + 2);
    STATIC_REQUIRE(NetD::output_size == 2);
    NetF nf{Seed{5}};
    NetD nd{Seed{5}};
    const auto yf = nf.predict(std::array<float, 3>{0.5f, -1.0f, 2.0f});
    const auto yd = nd.predict(std::array<double, 3>{0.5, -1.0, 2.0});
    for (std::size_t i = 0; i < 2; ++i) CHECK(yf[i] == Approx(yd[i]).epsilon(1e-5));

    CHECK(LeakyReLU<0.2>::name() == "LeakyReLU(0.2)");
    CHECK(LeakyReLU<>::name() == "LeakyReLU(0.01)");
    CHECK(ELU<>::name() == "ELU(1)");
    CHECK(ELU<0.5>::name() == "ELU(0.5)");
    CHECK(Sigmoid::name() == "Sigmoid");
    CHECK(Tanh::name() == "Tanh");
    CHECK(ScaledTanh::name() == "ScaledTanh");
    const std::string summary = NetF::summary();
    CHECK(summary.find("LeakyReLU(0.2)") != std::string::npos);
    CHECK(summary.find("ELU(1)") != std::string::npos);

    STATIC_REQUIRE(std::is_same_v<bound<LeakyReLU<0.2>>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(std::is_same_v<bound<ELU<>>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(std::is_same_v<bound<Sigmoid>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(std::is_same_v<bound<Tanh>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(std::is_same_v<bound<ScaledTanh, float>::fusion_kind, fusion::elementwise>);
    STATIC_REQUIRE(!std::is_same_v<LeakyReLU<0.2>, LeakyReLU<>>);
    STATIC_REQUIRE(std::is_same_v<LeakyReLU<0.01>, LeakyReLU<>>);
    STATIC_REQUIRE(LeakyReLU<0.2>::alpha == 0.2);
    STATIC_REQUIRE(ELU<>::alpha == 1.0);
}
