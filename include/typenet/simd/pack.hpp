#pragma once
/// \file How the GEMM kernels move data between memory and registers outside their inner loop: loads and
/// stores that stop at a matrix's last column, square register transposes, and transposed slabs of an
/// operand packed into caller scratch.
#include <cstddef>
#include <cstring>

#include "typenet/simd/arch.hpp"

namespace typenet::simd {

/// Register tiling of the GEMM micro-kernels for scalar T on the instruction set chosen by -march.
template <class T>
struct GemmGeometry {
    static constexpr std::size_t lanes = simd::lanes<T>;
    /// AVX-512 has 32 vector registers, AVX2/SSE 16; tiles leave room for the B registers and a broadcast.
    static constexpr std::size_t vector_registers = sizeof(batch<T>) >= 64 ? 32 : 16;
    /// Registers per row of a standard tile: two, so each broadcast A element feeds two FMAs.
    static constexpr std::size_t panel_registers = 2;
    /// Columns of a standard tile.
    static constexpr std::size_t panel_width = panel_registers * lanes;
    /// Rows of a standard tile: 8 × 2 = 16 accumulators with 32 registers (12, 14 × 2 and 8 × 3, 6 × 4
    /// measured the same on Zen 5, within 3 %, and 8 divides the usual batch sizes), 6 × 2 = 12 with 16.
    static constexpr std::size_t tile_rows = vector_registers == 32 ? 8 : 6;
    /// Registers per row of the one-row tiles that handle a batch of fewer than 4 rows (GEMV): wide, so
    /// one pass streams each row of the weights once, contiguously.
    static constexpr std::size_t wide_registers = vector_registers == 32 ? 16 : 8;
};

/// Scratch elements that gemm_forward (W given as OutIn) and gemm_input_gradient (W given as InOut) need
/// for a reduction of length L: one transposed slab of `lanes` rows of the left operand.
template <class T, std::size_t L>
inline constexpr std::size_t transposed_slab_size = L * GemmGeometry<T>::lanes;

namespace detail {

/// Loads p[0..count) into the low lanes, zeros above; count <= lanes.
template <class T>
inline batch<T> load_first(const T* p, std::size_t count) {
    using V = batch<T>;
    if (count >= V::size) return V::load_unaligned(p);
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64) {
        if constexpr (sizeof(T) == 4)
            return V(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), p));
        else
            return V(_mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << count) - 1u), p));
    }
#endif
#if defined(__AVX2__)
    if constexpr (sizeof(V) == 32) {
        // Lane i is loaded when its mask element has the sign bit set: i < count.
        if constexpr (sizeof(T) == 4) {
            const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                                                    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            return V(_mm256_maskload_ps(p, mask));
        } else {
            const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(count)),
                                                    _mm256_setr_epi64x(0, 1, 2, 3));
            return V(_mm256_maskload_pd(p, mask));
        }
    }
#endif
    alignas(64) T tmp[V::size] = {};
    std::memcpy(tmp, p, count * sizeof(T));
    return V::load_aligned(tmp);
}

/// Stores the low `count` lanes of v to p[0..count); count <= lanes.
template <class T>
inline void store_first(T* p, const batch<T>& v, std::size_t count) {
    using V = batch<T>;
    if (count >= V::size) {
        v.store_unaligned(p);
        return;
    }
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64) {
        if constexpr (sizeof(T) == 4)
            _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1u), v);
        else
            _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << count) - 1u), v);
        return;
    }
#endif
#if defined(__AVX2__)
    if constexpr (sizeof(V) == 32) {
        if constexpr (sizeof(T) == 4) {
            const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                                                    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            _mm256_maskstore_ps(p, mask, v);
        } else {
            const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(count)),
                                                    _mm256_setr_epi64x(0, 1, 2, 3));
            _mm256_maskstore_pd(p, mask, v);
        }
        return;
    }
#endif
    alignas(64) T tmp[V::size];
    v.store_aligned(tmp);
    std::memcpy(p, tmp, count * sizeof(T));
}

/// Transposes the lanes × lanes matrix held one row per register.
template <class T>
inline void transpose(batch<T> (&r)[batch<T>::size]) {
    using V = batch<T>;
    constexpr std::size_t n = V::size;
#if defined(__AVX512F__)
    if constexpr (sizeof(T) == 4 && n == 16) {
        __m512 t[16], u[16];
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 16; i += 4) {
            u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
            u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
            u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        // u[4b + c] holds, in 128-bit lane q, column 4q + c of rows 4b..4b+3; gather the lanes.
        for (int h = 0; h < 16; h += 8)
            for (int c = 0; c < 4; ++c) {
                t[h + c] = _mm512_shuffle_f32x4(u[h + c], u[h + 4 + c], 0x88);
                t[h + 4 + c] = _mm512_shuffle_f32x4(u[h + c], u[h + 4 + c], 0xDD);
            }
        for (int c = 0; c < 8; ++c) {
            r[c] = V(_mm512_shuffle_f32x4(t[c], t[8 + c], 0x88));
            r[8 + c] = V(_mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD));
        }
        return;
    }
#endif
#if defined(__AVX__)
    if constexpr (sizeof(T) == 4 && n == 8) {
        __m256 t[8], u[8];
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) {
            u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
            u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
            u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        for (int c = 0; c < 4; ++c) {
            r[c] = V(_mm256_permute2f128_ps(u[c], u[4 + c], 0x20));
            r[4 + c] = V(_mm256_permute2f128_ps(u[c], u[4 + c], 0x31));
        }
        return;
    }
#endif
    // Other widths (double, SSE): through memory; only the non-float paths of the NT products use it.
    alignas(64) T m[n][n];
    for (std::size_t i = 0; i < n; ++i) r[i].store_aligned(m[i]);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            const T x = m[i][j];
            m[i][j] = m[j][i];
            m[j][i] = x;
        }
    for (std::size_t i = 0; i < n; ++i) r[i] = V::load_aligned(m[i]);
}

/// slab[l·lanes + j] = a[j·L + l] for j < rows, 0 for rows <= j < lanes: `rows` rows of the row-major
/// (·, L) matrix a, transposed, so the NT products can read a row of them as one register.
template <class T, std::size_t L>
inline void pack_transposed_slab(const T* a, std::size_t rows, T* slab) {
    using V = batch<T>;
    constexpr std::size_t n = V::size;
    std::size_t l = 0;
    if (rows == n) {
        // Square blocks through registers: lanes loads, one transpose, lanes stores.
        for (; l + n <= L; l += n) {
            V r[n];
            for (std::size_t j = 0; j < n; ++j) r[j] = V::load_unaligned(a + j * L + l);
            transpose<T>(r);
            for (std::size_t j = 0; j < n; ++j) r[j].store_unaligned(slab + (l + j) * n);
        }
    }
    for (; l < L; ++l)
        for (std::size_t j = 0; j < n; ++j) slab[l * n + j] = j < rows ? a[j * L + l] : T{0};
}

}  // namespace detail
}  // namespace typenet::simd
