#pragma once
#include <array>
#include <cstddef>
#include <string>

namespace typenet {

/// The compile-time shape of one sample (the batch dimension is not part of it).
template <std::size_t... Dims>
struct Shape {
    static_assert(sizeof...(Dims) > 0, "typenet::Shape: a shape needs at least one dimension");
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::size_t size = (Dims * ...);
    static constexpr std::array<std::size_t, rank> dims{Dims...};

    /// "(784)" or "(3, 32, 32)", as in summaries and messages.
    static std::string str() {
        std::string out = "(";
        for (std::size_t i = 0; i < rank; ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
        return out + ")";
    }
};

template <class T>
inline constexpr bool is_shape_v = false;
template <std::size_t... Dims>
inline constexpr bool is_shape_v<Shape<Dims...>> = true;

}  // namespace typenet
