#pragma once
/// \file How kernels find the threads they may use: Seq puts its pool in scope around a training step,
/// and the kernels split their output columns over it, each part always the same columns for a given
/// thread count, and every column computed by the same instructions in the same order whichever part
/// runs it, so results are bitwise identical for any number of threads.
#include <cstddef>

#include "typenet/core/thread_pool.hpp"

namespace typenet::simd {

/// The pool kernels called on this thread may use; null outside a PoolScope (predict, which must stay
/// callable from several threads at once, never sets one).
inline ThreadPool*& current_pool() {
    thread_local ThreadPool* pool = nullptr;
    return pool;
}

/// Makes `pool` the current pool until the end of the scope.
class PoolScope {
public:
    explicit PoolScope(ThreadPool* pool) : previous_(current_pool()) { current_pool() = pool; }
    ~PoolScope() { current_pool() = previous_; }
    PoolScope(const PoolScope&) = delete;
    PoolScope& operator=(const PoolScope&) = delete;

private:
    ThreadPool* previous_;
};

/// Elementwise work on fewer elements than this runs on the calling thread: handing half of it to
/// another thread costs about as much as it saves.
inline constexpr std::size_t parallel_threshold = std::size_t{1} << 17;
/// The same for products, in multiply-adds: a 64×256×10 product (160 k, about a microsecond) ran 10×
/// slower split in two.
inline constexpr std::size_t parallel_product_threshold = std::size_t{1} << 20;

/// The work argument of run_parts for a product of `multiply_adds`: 0 (serial) below the threshold.
inline std::size_t product_work(std::size_t multiply_adds) {
    return multiply_adds >= parallel_product_threshold ? multiply_adds : 0;
}

/// Calls job(part, parts) for every part of the current pool (once, as job(0, 1), when there is none or
/// the work is below parallel_threshold) and returns when all are done.
template <class Job>
void run_parts(std::size_t work, Job&& job) {
    ThreadPool* pool = current_pool();
    if (pool == nullptr || pool->size() == 1 || work < parallel_threshold) {
        job(std::size_t{0}, std::size_t{1});
        return;
    }
    pool->run(job);
}

/// Whether block `block` of `blocks` belongs to part `part` of `parts`: contiguous runs of blocks.
inline bool owns(std::size_t block, std::size_t blocks, std::size_t part, std::size_t parts) {
    return block * parts / blocks == part;
}

}  // namespace typenet::simd
