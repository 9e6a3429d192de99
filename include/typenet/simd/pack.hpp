#pragma once
/// \file The packed weight layout of the GEMM micro-kernel, packing to and from PyTorch's (N, K) layout,
/// and register loads/stores that stop at a panel's last valid column.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "typenet/simd/arch.hpp"

namespace typenet::simd {

/// Register tiling of the GEMM micro-kernel for scalar T on the instruction set chosen by -march.
template <class T>
struct GemmGeometry {
    static constexpr std::size_t lanes = simd::lanes<T>;
    /// AVX-512 has 32 vector registers, AVX2/SSE 16; the accumulator tile is sized to leave room for
    /// the B registers and a broadcast.
    static constexpr std::size_t vector_registers = sizeof(batch<T>) >= 64 ? 32 : 16;
    /// Registers per row of a full tile: two, so each broadcast of an A element feeds two FMAs.
    static constexpr std::size_t panel_registers = 2;
    /// Columns of a full panel of packed weights (and of a full output tile).
    static constexpr std::size_t panel_width = panel_registers * lanes;
    /// Rows of a tile that is `registers` registers wide: as many as keep enough registers free.
    static constexpr std::size_t tile_rows(std::size_t registers) {
        if (vector_registers == 32) return registers == 1 ? 16 : 12;
        return registers == 1 ? 12 : 6;
    }
};

/// Where W[n][k] lives once packed: Wᵀ cut into panels of `panel_width` output columns; panel p holds, for
/// each k, its columns contiguously, so the forward micro-kernel reads one panel as a single stream.
/// The last panel is only as wide as the remaining columns rounded up to a register, zero-padded.
/// The layout depends on the SIMD width: it is an in-memory layout, never a file format.
template <class T, std::size_t K, std::size_t N>
struct PackedLayout {
    using geometry = GemmGeometry<T>;
    static constexpr std::size_t panel_width = geometry::panel_width;
    static constexpr std::size_t full_panels = N / panel_width;
    static constexpr std::size_t tail_columns = N % panel_width;
    static constexpr std::size_t tail_width = (tail_columns + geometry::lanes - 1) / geometry::lanes * geometry::lanes;
    static constexpr std::size_t panels = full_panels + (tail_columns != 0);
    /// Elements of the packed array (padding included).
    static constexpr std::size_t size = K * (full_panels * panel_width + tail_width);

    /// Width of panel p in elements (a multiple of the register width).
    static constexpr std::size_t width(std::size_t p) { return p < full_panels ? panel_width : tail_width; }
    /// First element of panel p.
    static constexpr std::size_t panel_offset(std::size_t p) { return p * K * panel_width; }
    /// Position of W[n][k].
    static constexpr std::size_t index(std::size_t n, std::size_t k) {
        const std::size_t p = n / panel_width;
        return panel_offset(p) + k * width(p) + n % panel_width;
    }
};

/// Copies W, stored (N, K) row-major, into the packed layout (padding zeroed); `packed` holds
/// PackedLayout<T, K, N>::size elements. Costs one transposition of W: do it once per weight update.
template <class T, std::size_t K, std::size_t N>
void pack_weights(const T* w, T* packed) {
    using L = PackedLayout<T, K, N>;
    for (std::size_t p = 0; p < L::panels; ++p) {
        const std::size_t width = L::width(p);
        const std::size_t columns = p < L::full_panels ? L::panel_width : L::tail_columns;
        T* out = packed + L::panel_offset(p);
        const T* in = w + p * L::panel_width * K;
        // Blocks of 8 k keep the reads of `columns` rows sequential while the writes stay in L1.
        constexpr std::size_t kb = 8;
        for (std::size_t k0 = 0; k0 < K; k0 += kb) {
            const std::size_t k1 = k0 + kb < K ? k0 + kb : K;
            for (std::size_t j = 0; j < columns; ++j)
                for (std::size_t k = k0; k < k1; ++k) out[k * width + j] = in[j * K + k];
            for (std::size_t j = columns; j < width; ++j)
                for (std::size_t k = k0; k < k1; ++k) out[k * width + j] = T{0};
        }
    }
}

/// Inverse of pack_weights: writes W as (N, K) row-major.
template <class T, std::size_t K, std::size_t N>
void unpack_weights(const T* packed, T* w) {
    using L = PackedLayout<T, K, N>;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t k = 0; k < K; ++k) w[n * K + k] = packed[L::index(n, k)];
}

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

}  // namespace detail
}  // namespace typenet::simd
