#pragma once
#include <cmath>
#include <limits>
#include <type_traits>

#include "typenet/simd/arch.hpp"


/// Elementary functions written once for scalars (float, double) and SIMD registers, so elementwise
/// layers state their formula once and run in plain loops and in fused kernels alike.
namespace typenet::math {

/// The scalar type of V: V itself for float and double, the lane type for a SIMD register.
template <class V>
struct element {
    using type = V;
};
template <class T, class A>
struct element<xsimd::batch<T, A>> {
    using type = T;
};
template <class V>
using element_t = typename element<V>::type;

/// A compile-time constant (a layer's alpha, a scale) as V, rounded once to V's lane type, so that
/// float code does not compute in double by accident.
template <class V>
V constant(double c) {
    return V(static_cast<element_t<V>>(c));
}

namespace detail {
/// Applies xsimd's f to a double register whose NaN lanes are set to 0 and whose other lanes are
/// clamped to ±limit (where f has already saturated), then puts the NaN back: xsimd 8.1 converts
/// double lanes to int64 one by one in C++ (no AVX2 or AVX-512F instruction does it), and NaN, ±inf
/// or 1e300 there is undefined behaviour (UBSan's float-cast-overflow), whatever the result.
template <class V, class F>
V with_representable_lanes(const V& x, double limit, F f) {
    const auto nan = xsimd::isnan(x);
    const V clamped = xsimd::min(xsimd::max(x, V(-limit)), V(limit));
    return xsimd::select(nan, x, f(xsimd::select(nan, V(0), clamped)));
}
}  // namespace detail

template <class V>
V exp(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::exp(x);
    else if constexpr (std::is_same_v<element_t<V>, double>)
        return detail::with_representable_lanes(x, 800.0, [](const V& v) { return xsimd::exp(v); });
    else return xsimd::exp(x);
}
template <class V>
V expm1(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::expm1(x);
    else if constexpr (std::is_same_v<element_t<V>, double>)
        return detail::with_representable_lanes(x, 800.0, [](const V& v) { return xsimd::expm1(v); });
    else return xsimd::expm1(x);
}
/// Natural logarithm: std::log for scalars; for registers xsimd's (fdlibm's algorithm), within 1 ulp
/// of std::log in float and double (tests/unit/test_math.cpp), with std::log's NaN, ±inf and ±0 cases.
template <class V>
V log(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) {
        return std::log(x);
    } else if constexpr (std::is_same_v<element_t<V>, double>) {
        // xsimd 8.1's double log reads the exponent of a subnormal before rescaling it (-746.5 for
        // log(4.9e-324) instead of -744.4), so subnormals are brought into the normal range here.
        const auto subnormal = x < V(std::numeric_limits<double>::min()) && x > V(0);
        const V r = xsimd::log(xsimd::select(subnormal, x * V(0x1p54), x));
        return xsimd::select(subnormal, r - V(54 * 0.693147180559945309417232121458), r);
    } else {
        return xsimd::log(x);
    }
}
/// log(1 + x), accurate for tiny x: std::log1p for scalars; for registers xsimd's, within 1 ulp of
/// std::log1p, with its special cases (log1p(-1) = -inf, NaN below -1, log1p(-0) = -0).
template <class V>
V log1p(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::log1p(x);
    else return xsimd::select(x == V(0), x, xsimd::log1p(x));  // xsimd's turns -0 into +0
}
template <class V>
V fma(const V& a, const V& b, const V& c) {
    if constexpr (std::is_arithmetic_v<V>) return std::fma(a, b, c); else return xsimd::fma(a, b, c);
}
/// The larger of bound and x, and x itself when x is NaN (PyTorch's relu and clamp keep a NaN): x86's
/// maxps returns its second operand when either is NaN, so the register form is one instruction, and
/// the scalar form follows the same rule (a remainder loop agrees with the SIMD body, signed zeros too).
template <class V>
V max(const V& bound, const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return x < bound ? bound : x; else return xsimd::max(bound, x);
}
/// The smaller of bound and x, and x when x is NaN (minps's rule, as max).
template <class V>
V min(const V& bound, const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return bound < x ? bound : x; else return xsimd::min(bound, x);
}
/// x limited to [low, high]; a NaN x stays NaN.
template <class V>
V clamp(const V& x, const V& low, const V& high) {
    return min(high, max(low, x));
}

/// tanh of float by a rational function (the [13/6] minimax fit of Eigen's ptanh_float, evaluated by
/// Estrin's scheme): relative error below 3.4e-7 over all floats (measured: 3.39e-7, 5.5 ulp, near
/// 0.06-0.1), exactly ±1 beyond 9, with a shorter dependency chain than xsimd::tanh's exponential and
/// division (a batch-1 network waits for every one: it brought W4 to its 60 ns target,
/// docs/performance.md); the same formula for scalars and registers, so a remainder loop agrees with
/// the SIMD body bit for bit.
template <class V>
V rational_tanh(const V& a) {
    const V x = clamp(a, V(-7.90531110763549805f), V(7.90531110763549805f));
    const V x2 = x * x;
    // Estrin's scheme for the numerator: a tree of depth 4 instead of Horner's chain of 6 FMAs.
    const V x4 = x2 * x2;
    const V p01 = fma(x2, V(6.37261928875436e-04f), V(4.89352455891786e-03f));
    const V p23 = fma(x2, V(5.12229709037114e-08f), V(1.48572235717979e-05f));
    const V p45 = fma(x2, V(2.00018790482477e-13f), V(-8.60467152213735e-11f));
    const V p46 = fma(x4, V(-2.76076847742355e-16f), p45);
    const V p = fma(x4 * x4, p46, fma(x4, p23, p01));
    const V q = fma(x4, fma(x2, V(1.19825839466702e-06f), V(1.18534705686654e-04f)),
                    fma(x2, V(2.26843463243900e-03f), V(4.89352518554385e-03f)));
    const V t = x * p / q;
    // Below 4e-4, tanh(x) = x in float (the fit's x·α1/β0 would be 1.3e-7 off); above 9 it is ±1.
    if constexpr (std::is_arithmetic_v<V>) {
        const float m = std::fabs(a);
        return m < 0.0004f ? a : (m > 9.0f ? std::copysign(1.0f, a) : t);
    } else {
        const V m = xsimd::abs(a);
        return xsimd::select(m < V(0.0004f), a, xsimd::select(m > V(9.0f), xsimd::copysign(V(1.0f), a), t));
    }
}

/// tanh: rational_tanh for float, the library's for double (gradient checks want full precision).
template <class V>
V tanh(const V& x) {
    if constexpr (std::is_same_v<element_t<V>, float>) return rational_tanh(x);
    else if constexpr (std::is_arithmetic_v<V>) return std::tanh(x);
    else return detail::with_representable_lanes(x, 40.0, [](const V& v) { return xsimd::tanh(v); });
}
/// x > 0 ? if_positive : otherwise, elementwise.
template <class V>
V select_positive(const V& x, const V& if_positive, const V& otherwise) {
    if constexpr (std::is_arithmetic_v<V>) return x > V(0) ? if_positive : otherwise;
    else return xsimd::select(x > V(0), if_positive, otherwise);
}
/// x <= 0 ? if_not_positive : otherwise, elementwise: unlike select_positive, a NaN x takes
/// `otherwise` (PyTorch's threshold_backward and elu_backward test x <= 0).
template <class V>
V select_not_positive(const V& x, const V& if_not_positive, const V& otherwise) {
    if constexpr (std::is_arithmetic_v<V>) return x <= V(0) ? if_not_positive : otherwise;
    else return xsimd::select(x <= V(0), if_not_positive, otherwise);
}
/// 1 / (1 + e^-x), without overflow for large |x|; NaN for NaN, 0 and 1 for ∓inf.
template <class V>
V sigmoid(const V& x) {
    return V(1) / (V(1) + math::exp(-x));
}

}  // namespace typenet::math

