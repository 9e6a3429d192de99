#pragma once
/// \file How the activations between two layers sit in memory. A sample of shape (C, H, W) is
/// channels-last inside a network, H·W rows of C channels, so that a convolution is a GEMM whose
/// columns are channels and whose rows are pixels, and bias, BatchNorm's per-channel moments and the
/// pointwise epilogues work on its output as they do on a Dense's. Every other shape is one row.
/// Users see (C, H, W) in PyTorch's order: Seq converts at its boundary, Flatten inside.
#include <algorithm>
#include <cstddef>

#include "typenet/core/shape.hpp"

namespace typenet {

/// The memory layout of one sample of shape S between layers: `rows` rows of `columns` values.
template <class S>
struct SampleLayout {
    static constexpr bool channels_last = false;
    static constexpr std::size_t rows = 1;
    static constexpr std::size_t columns = S::size;
};
template <std::size_t C, std::size_t H, std::size_t W>
struct SampleLayout<Shape<C, H, W>> {
    static constexpr bool channels_last = true;
    static constexpr std::size_t rows = H * W;
    static constexpr std::size_t columns = C;
};

/// Whether the user-facing (PyTorch) order of shape S differs from its memory layout inside a network.
template <class S>
inline constexpr bool reordered_v = SampleLayout<S>::channels_last && SampleLayout<S>::columns > 1 &&
                                    SampleLayout<S>::rows > 1;

/// Copies `samples` samples of shape (C, H, W) from PyTorch's order (c·H·W + h·W + w) to channels-last
/// ((h·W + w)·C + c).
template <std::size_t C, std::size_t HW, class T>
void to_channels_last(const T* chw, T* hwc, std::size_t samples) {
    for (std::size_t n = 0; n < samples; ++n, chw += C * HW, hwc += C * HW)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t p = 0; p < HW; ++p) hwc[p * C + c] = chw[c * HW + p];
}

/// The inverse of to_channels_last.
template <std::size_t C, std::size_t HW, class T>
void to_channels_first(const T* hwc, T* chw, std::size_t samples) {
    for (std::size_t n = 0; n < samples; ++n, chw += C * HW, hwc += C * HW)
        for (std::size_t p = 0; p < HW; ++p)
            for (std::size_t c = 0; c < C; ++c) chw[c * HW + p] = hwc[p * C + c];
}

/// Copies `samples` samples of shape S from the user's (PyTorch) order to the order inside a network.
template <class S, class T>
void to_network_order(const T* user, T* network, std::size_t samples) {
    if constexpr (reordered_v<S>) to_channels_last<S::dims[0], S::dims[1] * S::dims[2]>(user, network, samples);
    else std::copy_n(user, samples * S::size, network);
}

/// The inverse of to_network_order.
template <class S, class T>
void to_user_order(const T* network, T* user, std::size_t samples) {
    if constexpr (reordered_v<S>) to_channels_first<S::dims[0], S::dims[1] * S::dims[2]>(network, user, samples);
    else std::copy_n(network, samples * S::size, user);
}

}  // namespace typenet
