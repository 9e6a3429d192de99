// W5 of ../shared/peers/README.md: typenet's GEMM kernels and OpenBLAS cblas_sgemm on the network's shapes,
// timed by the peers' method (shared/peers/bench_gemm.cpp) and printed as its JSON lines, so the figures
// sit beside the peers' table. bench_gemm.cpp (Google Benchmark) stays the tool for looking at one kernel.
//   bench_w5 [threads] [repetitions] [both|typenet|openblas]
// Per shape and repetition typenet runs first, then OpenBLAS, so load drifts hit both alike. typenet runs
// each product with the weights as Dense stores them (Wᵀ, in × out, the storage the peers' reference gives
// OpenBLAS), except fwd_L1_colmajor, which is the same numbers with W stored (out, in) as in PyTorch.
// "peer" is typenet_gemm or openblas_sgemm (plus $PEER_TAG, as the peers' harnesses append it).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "typenet/core/aligned_buffer.hpp"
#include "typenet/simd/gemm.hpp"
#if __has_include("typenet/simd/parallel.hpp")
#include "typenet/simd/parallel.hpp"
#define TYPENET_W5_HAS_POOL 1
#endif

extern "C" void openblas_set_num_threads(int);

namespace {

using typenet::AlignedBuffer;
namespace ts = typenet::simd;

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The peers' method: 0.1 s of warm-up, which also sizes the run; then ~0.4 s of calls in ~100 blocks;
/// returns the median over blocks of the per-call time.
double per_call_seconds(const std::function<void()>& call) {
    const double t0 = now_s();
    int warm = 0;
    while (now_s() - t0 < 0.1) call(), ++warm;
    const int calls = std::max(20, static_cast<int>(0.4 / (0.1 / warm)));
    const int block = std::max(1, calls / 100);
    std::vector<double> per_call;
    for (int done = 0; done < calls; done += block) {
        const double b0 = now_s();
        for (int i = 0; i < block; ++i) call();
        per_call.push_back((now_s() - b0) / block);
    }
    return median(per_call);
}

AlignedBuffer<float> random_buffer(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    AlignedBuffer<float> b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = u(gen);
    return b;
}

/// One W5 shape: C[M×N] = op(A)[M×K]·op(B)[K×N], row-major, as the peers' bench_gemm names it.
struct Shape {
    const char* name;
    int M, N, K;
    bool ta, tb;
    std::function<void()> (*typenet)();  // builds a call over its own operands
};

double openblas_gflops(const Shape& s) {
    auto a = random_buffer(std::size_t(s.M) * s.K, 1), b = random_buffer(std::size_t(s.K) * s.N, 2);
    AlignedBuffer<float> c(std::size_t(s.M) * s.N);
    return 2.0 * s.M * s.N * s.K / per_call_seconds([&] {
               cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.M,
                           s.N, s.K, 1.f, a.data(), s.ta ? s.M : s.K, b.data(), s.tb ? s.K : s.N, 0.f, c.data(),
                           s.N);
           }) / 1e9;
}

// Operands live in a shared_ptr captured by the call, so each benchmark owns them for as long as it runs.
template <std::size_t K, std::size_t N, bool OutInLayout>
std::function<void()> forward(std::size_t m) {
    struct Ops {
        AlignedBuffer<float> x, w, y, scratch;
    };
    auto o = std::make_shared<Ops>(Ops{random_buffer(m * K, 1), random_buffer(N * K, 2), AlignedBuffer<float>(m * N),
                                       AlignedBuffer<float>(ts::transposed_slab_size<float, K>)});
    return [o, m] {
        if constexpr (OutInLayout)
            ts::gemm_forward<float, K, N>(m, o->x.data(), ts::OutIn<const float>{o->w.data()}, o->y.data(),
                                          o->scratch.data());
        else
            ts::gemm_forward<float, K, N>(m, o->x.data(), ts::InOut<const float>{o->w.data()}, o->y.data());
    };
}

// dX[m×K] = dY[m×N]·W with Wᵀ stored (K, N): the op the peers' reference calls NT.
template <std::size_t K, std::size_t N>
std::function<void()> input_gradient(std::size_t m) {
    struct Ops {
        AlignedBuffer<float> dy, w, dx, scratch;
    };
    auto o = std::make_shared<Ops>(Ops{random_buffer(m * N, 1), random_buffer(N * K, 2), AlignedBuffer<float>(m * K),
                                       AlignedBuffer<float>(ts::transposed_slab_size<float, N>)});
    return [o, m] {
        ts::gemm_input_gradient<float, K, N>(m, o->dy.data(), ts::InOut<const float>{o->w.data()}, o->dx.data(),
                                             o->scratch.data());
    };
}

// dWᵀ[K×N] = Xᵀ·dY, overwritten as OpenBLAS does with beta = 0 (the TN op).
template <std::size_t K, std::size_t N>
std::function<void()> weight_gradient(std::size_t m) {
    struct Ops {
        AlignedBuffer<float> dy, x, dw;
    };
    auto o = std::make_shared<Ops>(Ops{random_buffer(m * N, 1), random_buffer(m * K, 2), AlignedBuffer<float>(N * K)});
    return [o, m] {
        ts::gemm_weight_gradient<float, K, N>(m, o->dy.data(), o->x.data(), ts::InOut<float>{o->dw.data()},
                                              ts::Update::overwrite);
    };
}

// The peers' list and order (shared/peers/bench_gemm.cpp).
const Shape shapes[] = {
    {"fwd_L1_64x256x784_NN", 64, 256, 784, false, false, [] { return forward<784, 256, false>(64); }},
    {"fwd_L1_colmajor_256x64x784_NN", 256, 64, 784, false, false, [] { return forward<784, 256, true>(64); }},
    {"bwd_dW1_784x256x64_TN", 784, 256, 64, true, false, [] { return weight_gradient<784, 256>(64); }},
    {"bwd_dX1_64x784x256_NT", 64, 784, 256, false, true, [] { return input_gradient<784, 256>(64); }},
    {"fwd_L2_64x10x256_NN", 64, 10, 256, false, false, [] { return forward<256, 10, false>(64); }},
    {"bwd_dW2_256x10x64_TN", 256, 10, 64, true, false, [] { return weight_gradient<256, 10>(64); }},
    {"bwd_dA_64x256x10_NT", 64, 256, 10, false, true, [] { return input_gradient<256, 10>(64); }},
    {"infer_L1_256x256x784_NN", 256, 256, 784, false, false, [] { return forward<784, 256, false>(256); }},
    {"square_1024x1024x1024_NN", 1024, 1024, 1024, false, false, [] { return forward<1024, 1024, false>(1024); }},
};

void emit(const std::string& peer, int threads, const char* metric, double value, int rep) {
    // "simd": the instruction set typenet's kernels were compiled for (OpenBLAS picks its own at run time).
    static const std::string simd = typenet::simd::architecture();
    std::printf("{\"peer\":\"%s\",\"workload\":\"W5_gemm\",\"threads\":%d,\"batch\":0,\"metric\":\"%s\","
                "\"value\":%.6g,\"unit\":\"GFLOP/s\",\"rep\":%d,\"simd\":\"%s\"}\n",
                peer.c_str(), threads, metric, value, rep, simd.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
    const std::string which = argc > 3 ? argv[3] : "both";
    if (which != "both" && which != "typenet" && which != "openblas") {
        std::fprintf(stderr, "bench_w5: the third argument is both, typenet or openblas, not %s\n", which.c_str());
        return 2;
    }
    const char* tag = std::getenv("PEER_TAG");
    const std::string suffix = tag ? tag : "";
    openblas_set_num_threads(threads);
    // The kernels split their columns over the pool in scope; without one (or before threads landed)
    // typenet runs on one thread and says so in "threads".
    int typenet_threads = 1;
#ifdef TYPENET_W5_HAS_POOL
    typenet::ThreadPool pool(static_cast<std::size_t>(threads));
    ts::PoolScope scope(&pool);
    typenet_threads = threads;
#endif
    for (int rep = 0; rep < reps; ++rep)
        for (const Shape& s : shapes) {
            if (which != "openblas") {
                const auto call = s.typenet();
                emit("typenet_gemm" + suffix, typenet_threads, s.name, 2.0 * s.M * s.N * s.K / per_call_seconds(call) / 1e9,
                     rep);
            }
            if (which != "typenet") emit("openblas_sgemm" + suffix, threads, s.name, openblas_gflops(s), rep);
        }
}
