#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace typenet {

/// A heap array aligned for the widest SIMD registers; grows only, so steady-state calls do not allocate.
template <class T>
class AlignedBuffer {
public:
    static constexpr std::size_t alignment = 64;

    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t n) { resize(n); }
    AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
        if (size_) std::memcpy(data_.get(), other.data_.get(), size_ * sizeof(T));
    }
    AlignedBuffer& operator=(const AlignedBuffer& other) {
        if (this != &other) {
            AlignedBuffer copy(other);
            swap(copy);
        }
        return *this;
    }
    AlignedBuffer(AlignedBuffer&& other) noexcept { swap(other); }
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
        swap(other);
        return *this;
    }

    /// Makes room for n elements (zeroed when new memory is taken); keeps larger memory as it is.
    void resize(std::size_t n) {
        if (n > capacity_) {
            data_.reset(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t{alignment})));
            capacity_ = n;
            std::fill_n(data_.get(), n, T{});
        }
        size_ = n;
    }

    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    T* begin() { return data(); }
    T* end() { return data() + size_; }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size_; }

    void swap(AlignedBuffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

private:
    struct Deleter {
        void operator()(T* p) const { ::operator delete[](p, std::align_val_t{alignment}); }
    };
    std::unique_ptr<T[], Deleter> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace typenet
