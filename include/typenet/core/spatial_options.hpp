#pragma once
/// \file The options of convolution and pooling layers, written in any order after the sizes:
/// `Conv2D<32, 64, 3, Padding<1>, Stride<2>>`, `MaxPool2D<3, Stride<2>, Padding<1>>`.
#include <cstddef>
#include <type_traits>

namespace typenet {

/// Step between two output positions, in input pixels (default: 1 for convolutions, the window for pooling).
template <std::size_t S>
struct Stride {
    static constexpr std::size_t value = S;
};
/// Zeros (convolution) or −∞ (max pooling) added on every side of the input.
template <std::size_t P>
struct Padding {
    static constexpr std::size_t value = P;
};
/// Spacing between kernel taps (1: a dense kernel).
template <std::size_t D>
struct Dilation {
    static constexpr std::size_t value = D;
};
/// Channels split into G independent groups (G = InChannels: depthwise).
template <std::size_t G>
struct Groups {
    static constexpr std::size_t value = G;
};
/// A layer without its bias (PyTorch's `bias=False`), e.g. before BatchNorm, which removes any shift.
struct NoBias {};

namespace detail {

/// The value of option template Option among Options..., or Default when none is given.
template <template <std::size_t> class Option, std::size_t Default, class... Options>
struct option_value : std::integral_constant<std::size_t, Default> {};
template <template <std::size_t> class Option, std::size_t Default, std::size_t V, class... Rest>
struct option_value<Option, Default, Option<V>, Rest...> : std::integral_constant<std::size_t, V> {};
template <template <std::size_t> class Option, std::size_t Default, class First, class... Rest>
struct option_value<Option, Default, First, Rest...> : option_value<Option, Default, Rest...> {};

/// Whether T is some Option<V>.
template <template <std::size_t> class Option, class T>
inline constexpr bool is_option_v = false;
template <template <std::size_t> class Option, std::size_t V>
inline constexpr bool is_option_v<Option, Option<V>> = true;

}  // namespace detail
}  // namespace typenet
