#pragma once
/// \file The only include of xsimd: the SIMD register types of the architecture chosen by -march.
#include <xsimd/xsimd.hpp>

namespace typenet::simd {

/// One SIMD register of T for the best instruction set the compiler was allowed to use.
template <class T>
using batch = xsimd::batch<T>;

/// Lanes in one register of T.
template <class T>
inline constexpr std::size_t lanes = batch<T>::size;

template <class V>
inline constexpr bool is_batch_v = xsimd::is_batch<V>::value;

}  // namespace typenet::simd
