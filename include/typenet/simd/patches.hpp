#pragma once
/// \file Patch packing for convolutions as GEMMs (Eigen's SpatialConvolution and oneDNN's gemm
/// convolution do the same): the rows of a chunk of output pixels become rows of K·K·C input values,
/// the A operand of the GEMM with the (K·K·C, Cout) weights; and the inverse scatter for the input
/// gradient. Channels-last input makes each tap a contiguous run of C values.
#include <algorithm>
#include <cstddef>

#include "typenet/simd/conv_geometry.hpp"

namespace typenet::simd {

/// patches[r][tap·C + c] for the output pixels [row0, row0 + rows) of the batch (row = n·P·Q + pixel),
/// zero where a tap falls in the padding.
template <class G, class T>
void pack_patches(const T* x, std::size_t row0, std::size_t rows, T* patches) {
    constexpr std::size_t C = G::channels;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t row = row0 + r;
        const T* sample = x + (row / G::out_pixels) * G::in_pixels * C;
        T* out = patches + r * G::patch;
        G::for_each_tap(row % G::out_pixels, [&](std::size_t tap, std::ptrdiff_t pixel) {
            if (pixel < 0) std::fill_n(out + tap * C, C, T{0});
            else std::copy_n(sample + static_cast<std::size_t>(pixel) * C, C, out + tap * C);
        });
    }
}

/// dx += the patch gradients of output pixels [row0, row0 + rows), each tap added to the input
/// pixel it was read from (the transpose of pack_patches).
template <class G, class T>
void scatter_patches(const T* patch_gradients, std::size_t row0, std::size_t rows, T* dx) {
    constexpr std::size_t C = G::channels;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t row = row0 + r;
        T* sample = dx + (row / G::out_pixels) * G::in_pixels * C;
        const T* in = patch_gradients + r * G::patch;
        G::for_each_tap(row % G::out_pixels, [&](std::size_t tap, std::ptrdiff_t pixel) {
            if (pixel < 0) return;
            T* to = sample + static_cast<std::size_t>(pixel) * C;
            const T* from = in + tap * C;
            for (std::size_t c = 0; c < C; ++c) to[c] += from[c];
        });
    }
}

}  // namespace typenet::simd
