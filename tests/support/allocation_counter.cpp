#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

void* counted_allocation(std::size_t n, std::size_t alignment) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    n = n ? n : 1;
    void* p = alignment > alignof(std::max_align_t)
                  ? std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment)
                  : std::malloc(n);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

namespace typenet::testing {
void start_counting_allocations() {
    allocations.store(0);
    counting.store(true);
}
std::size_t stop_counting_allocations() {
    counting.store(false);
    return allocations.load();
}
}  // namespace typenet::testing

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// g++ sees free() on memory from operator new; here operator new is malloc, so that is the matching call.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
// The array and nothrow forms call these by default, so they are counted too.
void* operator new(std::size_t n) { return counted_allocation(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_allocation(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
