#pragma once
/// \file The only include of xsimd: the SIMD register types of the architecture chosen by -march.
// GCC 12's AVX-512 intrinsics build "undefined" registers as `__m512 __Y = __Y;`, which -Wuninitialized
// reports inside xsimd's exp/tanh (GCC bug 105593, fixed in GCC 13). Middle-end warnings obey the
// pragma state at the intrinsic's own location, so the include itself is wrapped.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#else
#include <xsimd/xsimd.hpp>
#endif

#include <string>

namespace typenet::simd {

/// One SIMD register of T for the best instruction set the compiler was allowed to use.
template <class T>
using batch = xsimd::batch<T>;

/// Lanes in one register of T.
template <class T>
inline constexpr std::size_t lanes = batch<T>::size;

template <class V>
inline constexpr bool is_batch_v = xsimd::is_batch<V>::value;

/// The instruction set the kernels were compiled for and its register width, e.g. "fma3+avx2
/// (256-bit registers)": without -march=native (CMake: TYPENET_NATIVE=OFF) x86-64 falls back to
/// "sse2 (128-bit registers)", about 3x slower, so summaries and benchmark lines print it.
inline std::string architecture() {
    return std::string(xsimd::default_arch::name()) + " (" + std::to_string(sizeof(batch<float>) * 8) +
           "-bit registers)";
}

}  // namespace typenet::simd
