#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// The most threads a network or pool accepts. Kernels split work by blocks of output columns (16 for
/// a 256-wide layer with AVX2), so far fewer threads already leave some idle, and more threads than
/// free cores only slow training down; a count above this is a typo or a misunderstanding.
inline constexpr std::size_t max_threads = 256;

/// Throws typenet::error (prefixed with `where`) unless 1 ≤ threads ≤ max_threads.
inline void check_thread_count(std::size_t threads, const char* where) {
    if (threads == 0) throw error(std::string(where) + ": the thread count must be at least 1");
    if (threads > max_threads)
        throw error(std::string(where) + ": " + std::to_string(threads) + " threads is more than typenet allows (" +
                    std::to_string(max_threads) + "); this machine has " +
                    std::to_string(std::thread::hardware_concurrency()) +
                    " hardware threads, and more threads than free cores make training slower, not faster");
}

/// A fixed team of threads that runs one job at a time, split into size() parts: the calling thread runs
/// part 0 and size() − 1 workers the others. Dispatching a job allocates nothing. Kernels split their
/// work by output columns, each part always the same columns for a given size, so results do not depend
/// on the number of threads (docs/design.md, "Threads").
/// Copies start their own workers (a network copied with its pool must not share it).
class ThreadPool {
public:
    /// `threads` ≥ 1 in all: the caller plus threads − 1 workers.
    explicit ThreadPool(std::size_t threads = 1) : shared_(std::make_unique<Shared>()) {
        check_thread_count(threads, "ThreadPool");
        shared_->parts = threads;
        workers_.reserve(threads - 1);
        for (std::size_t part = 1; part < threads; ++part)
            workers_.emplace_back([s = shared_.get(), part] { s->work(part); });
    }
    ThreadPool(const ThreadPool& other) : ThreadPool(other.size()) {}
    ThreadPool& operator=(const ThreadPool& other) {
        if (this != &other && other.size() != size()) *this = ThreadPool(other.size());
        return *this;
    }
    ThreadPool(ThreadPool&&) noexcept = default;
    ThreadPool& operator=(ThreadPool&& other) noexcept {
        if (this != &other) {
            stop();
            shared_ = std::move(other.shared_);
            workers_ = std::move(other.workers_);
        }
        return *this;
    }
    ~ThreadPool() { stop(); }

    /// Threads in the team, the caller included.
    std::size_t size() const { return shared_ ? shared_->parts : 1; }

    /// Calls job(part, size()) once for every part in [0, size()), concurrently, and returns when all
    /// have returned. The job must not throw.
    template <class Job>
    void run(Job& job) {
        if (!shared_ || shared_->parts == 1) {
            job(std::size_t{0}, std::size_t{1});
            return;
        }
        Shared& s = *shared_;
        s.job = &job;
        s.call = [](void* j, std::size_t part, std::size_t parts) { (*static_cast<Job*>(j))(part, parts); };
        s.pending.store(static_cast<std::uint32_t>(s.parts - 1), std::memory_order_relaxed);
        s.generation.fetch_add(1, std::memory_order_release);
        s.generation.notify_all();
        job(std::size_t{0}, s.parts);
        Spinner spinner;
        for (std::uint32_t left; (left = s.pending.load(std::memory_order_acquire)) != 0;)
            if (!spinner.spin()) s.pending.wait(left, std::memory_order_acquire);
    }

private:
    // Waiting spins before it sleeps: the jobs of a training step come back to back, separated by short
    // serial sections, and a futex sleep and wake-up per job (tens of microseconds, more in a VM) made
    // two threads slower than one. The first 20 µs spin on `pause`; up to 0.5 ms the spinner yields, so
    // a thread that shares its core with the one it waits for (more threads than free cores) lets it
    // run instead of burning its time slice; after that it sleeps.
    class Spinner {
    public:
        /// Waits a moment and returns true while the spin budget lasts.
        bool spin() {
            if ((++count_ & 15u) == 0) {
                const auto waited = std::chrono::steady_clock::now() - start_;
                if (waited > std::chrono::microseconds(500)) return false;
                yielding_ = waited > std::chrono::microseconds(20);
            }
            if (yielding_) {
                std::this_thread::yield();
            } else {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
            return true;
        }

    private:
        std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
        std::uint32_t count_ = 0;
        bool yielding_ = false;
    };

    struct Shared {
        std::size_t parts = 1;
        // 32-bit, so that wait/notify map straight onto a futex (wider atomics go through libstdc++'s
        // proxy wait table).
        std::atomic<std::uint32_t> generation{0};
        std::atomic<std::uint32_t> pending{0};
        std::atomic<bool> stopping{false};
        void* job = nullptr;
        void (*call)(void*, std::size_t, std::size_t) = nullptr;

        void work(std::size_t part) {
            std::uint32_t seen = 0;
            for (;;) {
                Spinner spinner;
                while (generation.load(std::memory_order_acquire) == seen)
                    if (!spinner.spin()) generation.wait(seen, std::memory_order_acquire);
                seen = generation.load(std::memory_order_acquire);
                if (stopping.load(std::memory_order_acquire)) return;
                call(job, part, parts);
                if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_one();
            }
        }
    };

    void stop() {
        if (!shared_) return;
        shared_->stopping.store(true, std::memory_order_release);
        shared_->generation.fetch_add(1, std::memory_order_release);
        shared_->generation.notify_all();
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        shared_.reset();
    }

    std::unique_ptr<Shared> shared_;
    std::vector<std::thread> workers_;
};

}  // namespace typenet
