#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "typenet/simd/math.hpp"

namespace {

/// Inputs that cover every binade from the smallest subnormal to the largest finite value, both signs,
/// the neighbourhoods of 0, 1 and -1 (where log and log1p cancel), and the special values.
template <class T>
std::vector<T> log_inputs() {
    using lim = std::numeric_limits<T>;
    std::vector<T> xs{T(0),           -T(0),          T(1),           T(-1),          T(2),
                      T(0.5),         lim::min(),     lim::denorm_min(), lim::max(),  lim::lowest(),
                      lim::epsilon(), -lim::epsilon(), lim::infinity(), -lim::infinity(), lim::quiet_NaN(),
                      std::nextafter(T(1), T(0)),     std::nextafter(T(1), T(2)),
                      std::nextafter(T(-1), T(0)),    std::nextafter(T(-1), T(-2))};
    const T mantissas[] = {T(1), T(1.1), T(1.25), T(1.4142135), T(1.5), T(1.75), T(1.99)};
    for (int e = lim::min_exponent - lim::digits - 1; e <= lim::max_exponent - 1; ++e)
        for (T m : mantissas) {
            const T x = std::ldexp(m, e);
            if (std::isfinite(x)) xs.insert(xs.end(), {x, -x, T(1) + x, T(1) - x, T(-1) + x});
        }
    return xs;
}

/// Distance in units in the last place: how many representable values lie between a and b.
template <class T>
double ulps(T a, T b) {
    using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    const auto ordered = [](T v) {
        I i;
        std::memcpy(&i, &v, sizeof v);
        return i < 0 ? std::numeric_limits<I>::min() - i : i;
    };
    return std::fabs(static_cast<double>(ordered(a)) - static_cast<double>(ordered(b)));
}

/// Applies f to xs one register at a time (the last register padded with 1) and compares each lane
/// with reference: the same class (NaN, ±inf, ±0), and within max_ulps otherwise.
template <class T, class F, class R>
void compare_registers(const std::vector<T>& xs, F f, R reference, double max_ulps) {
    using B = typenet::simd::batch<T>;
    constexpr std::size_t n = B::size;
    for (std::size_t i = 0; i < xs.size(); i += n) {
        alignas(64) T in[n], out[n];
        for (std::size_t l = 0; l < n; ++l) in[l] = i + l < xs.size() ? xs[i + l] : T(1);
        f(B::load_aligned(in)).store_aligned(out);
        for (std::size_t l = 0; l < n; ++l) {
            const T want = reference(in[l]);
            INFO("x = " << in[l] << " (" << std::hexfloat << in[l] << std::defaultfloat << "): got " << out[l]
                        << ", std gives " << want);
            REQUIRE(std::isnan(out[l]) == std::isnan(want));
            if (std::isnan(want)) continue;
            REQUIRE(std::isinf(out[l]) == std::isinf(want));
            REQUIRE(std::signbit(out[l]) == std::signbit(want));
            CHECK(ulps(out[l], want) <= max_ulps);
        }
    }
}

}  // namespace

TEMPLATE_TEST_CASE("math::log and math::log1p on registers agree with std:: to 1 ulp, special values included",
                   "[math]", float, double) {
    using T = TestType;
    const auto xs = log_inputs<T>();
    compare_registers<T>(xs, [](auto v) { return typenet::math::log(v); }, [](T x) { return std::log(x); }, 1.0);
    compare_registers<T>(xs, [](auto v) { return typenet::math::log1p(v); }, [](T x) { return std::log1p(x); }, 1.0);
}

TEMPLATE_TEST_CASE("math::log and math::log1p on scalars are std::log and std::log1p", "[math]", float, double) {
    using T = TestType;
    for (T x : log_inputs<T>()) {
        INFO("x = " << x);
        const T a = typenet::math::log(x), b = std::log(x);
        const T c = typenet::math::log1p(x), d = std::log1p(x);
        CHECK((std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof a) == 0));
        CHECK((std::isnan(c) ? std::isnan(d) : std::memcmp(&c, &d, sizeof c) == 0));
    }
}
