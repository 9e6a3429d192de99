#pragma once
#include <cmath>
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

template <class V>
V exp(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::exp(x); else return xsimd::exp(x);
}
template <class V>
V expm1(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::expm1(x); else return xsimd::expm1(x);
}
template <class V>
V tanh(const V& x) {
    if constexpr (std::is_arithmetic_v<V>) return std::tanh(x); else return xsimd::tanh(x);
}
template <class V>
V max(const V& a, const V& b) {
    if constexpr (std::is_arithmetic_v<V>) return a > b ? a : b; else return xsimd::max(a, b);
}
/// x > 0 ? if_positive : otherwise, elementwise.
template <class V>
V select_positive(const V& x, const V& if_positive, const V& otherwise) {
    if constexpr (std::is_arithmetic_v<V>) return x > V(0) ? if_positive : otherwise;
    else return xsimd::select(x > V(0), if_positive, otherwise);
}
/// 1 / (1 + e^-x), without overflow for large |x|.
template <class V>
V sigmoid(const V& x) {
    return V(1) / (V(1) + exp(-x));
}

}  // namespace typenet::math

