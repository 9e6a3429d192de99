// Real-time inference: a tiny Seq<Dense<8,32>, Tanh, Dense<32,32>, Tanh, Dense<32,1>> run once per
// audio sample, the way a plug-in's process() callback would (RTNeural's use case, ANCHORS W4).
//
// Each call sees a window of the last 7 input samples (a sine plus noise) and the network's previous
// output (a recurrent feedback, so every call depends on the one before it and the compiler cannot
// overlap or skip calls). 1,000,000 calls after 20,000 warm-up calls, timed in blocks of 100 calls;
// the median block time / 100 is the reported ns per call.
//
// The global operator new is replaced below with a counting version: `predict(std::array)` promises
// no heap allocation, and this program exits with status 1 if any allocation happens in the loop.
#include <typenet/typenet.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <numbers>
#include <vector>

namespace {
std::atomic<std::size_t> allocations{0};

void* counted(std::size_t n, std::size_t alignment) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    n = n ? n : 1;
    void* p = alignment > alignof(std::max_align_t)
                  ? std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment)
                  : std::malloc(n);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // operator new is malloc here, so free matches
#endif
// The array and nothrow forms call these by default, so they are counted too.
void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {
using Net = typenet::Seq<typenet::Dense<8, 32, typenet::Xavier>, typenet::Tanh,
                         typenet::Dense<32, 32, typenet::Xavier>, typenet::Tanh,
                         typenet::Dense<32, 1, typenet::Xavier>>;
static_assert(Net::input_size == 8 && Net::output_size == 1);

constexpr std::size_t warmup = 20'000, calls = 1'000'000, block = 100;
}  // namespace

int main() {
    const Net net{typenet::Seed{7}};
    const typenet::Philox rng(typenet::Seed{7}, typenet::RandomPurpose::user, 0, 0);

    // The input signal, prepared before the loop: a 440 Hz sine at 48 kHz plus a little noise.
    const std::size_t total = warmup + calls;
    std::vector<float> signal(total + 8);
    for (std::size_t i = 0; i < signal.size(); ++i)
        signal[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / 48000.0) +
                                       0.01 * rng.normal(i));
    std::vector<double> block_ns(calls / block);

    std::array<float, 8> in{};
    float feedback = 0, checksum = 0;
    auto process = [&](std::size_t i) {  // one sample of the audio callback
        std::copy_n(signal.data() + i, 7, in.begin());
        in[7] = feedback;
        feedback = net.predict(in)[0];
        checksum += feedback;
    };

    for (std::size_t i = 0; i < warmup; ++i) process(i);
    const std::size_t before = allocations.load();
    for (std::size_t b = 0; b < calls / block; ++b) {
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < block; ++i) process(warmup + b * block + i);
        const auto t1 = std::chrono::steady_clock::now();
        block_ns[b] = std::chrono::duration<double, std::nano>(t1 - t0).count() / block;
    }
    const std::size_t during = allocations.load() - before;

    std::sort(block_ns.begin(), block_ns.end());
    const auto at = [&](double q) { return block_ns[static_cast<std::size_t>(q * static_cast<double>(block_ns.size() - 1))]; };
    std::printf("%s\n", Net::summary().c_str());
    std::printf("%zu calls of predict(std::array<float, 8>) in blocks of %zu\n", calls, block);
    std::printf("median %.1f ns per call  (p10 %.1f, p90 %.1f)   checksum %.4f\n", at(0.5), at(0.1), at(0.9),
                static_cast<double>(checksum));
    std::printf("heap allocations during the loop: %zu\n", during);
    if (!std::isfinite(checksum)) return 1;
    return during == 0 ? 0 : 1;
}
