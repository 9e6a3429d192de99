#pragma once
#include <cstddef>

namespace typenet {

/// A non-owning view of `rows` samples of compile-time width, contiguous and row-major.
template <class T, std::size_t Width>
struct BatchView {
    static constexpr std::size_t width = Width;
    T* data = nullptr;
    std::size_t rows = 0;

    T* row(std::size_t r) const { return data + r * Width; }
    T& operator()(std::size_t r, std::size_t c) const { return data[r * Width + c]; }
    std::size_t size() const { return rows * Width; }

    /// The same memory seen read-only.
    operator BatchView<const T, Width>() const { return {data, rows}; }
};

}  // namespace typenet
