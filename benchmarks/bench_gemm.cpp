// W5: typenet's GEMM kernels against OpenBLAS cblas_sgemm on the shapes of shared/peers/README.md, one
// thread. Names are role_MxNxK as in the peers' table (C[M×N] = op(A)[M×K]·op(B)[K×N]); OpenBLAS runs the
// exact op of that table (weights stored in × out, as the peers' reference does), typenet the same
// product with W stored (out, in) as in PyTorch. Each benchmark reports GFLOP/s = 2MNK / time.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstddef>
#include <random>
#include <vector>

#include "typenet/core/aligned_buffer.hpp"
#include "typenet/simd/gemm.hpp"

extern "C" void openblas_set_num_threads(int);

namespace {

using typenet::AlignedBuffer;
namespace ts = typenet::simd;

AlignedBuffer<float> random_buffer(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    AlignedBuffer<float> b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = u(gen);
    return b;
}

void set_flops(benchmark::State& state, double m, double n, double k) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * m * n * k / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// OpenBLAS: C[M×N] = op(A)·op(B), row-major, beta = 0.
void openblas(benchmark::State& state, int M, int N, int K, bool ta, bool tb) {
    auto a = random_buffer(std::size_t(M) * K, 1), b = random_buffer(std::size_t(K) * N, 2);
    AlignedBuffer<float> c(std::size_t(M) * N);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f,
                    a.data(), ta ? M : K, b.data(), tb ? K : N, 0.f, c.data(), N);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, M, N, K);
}

// OpenBLAS at batch 1 as the peers' reference runs it: y = Wᵀx with W stored (in, out).
void openblas_gemv(benchmark::State& state, int In, int Out) {
    auto w = random_buffer(std::size_t(In) * Out, 1), x = random_buffer(In, 2);
    AlignedBuffer<float> y(Out);
    for (auto _ : state) {
        cblas_sgemv(CblasRowMajor, CblasTrans, In, Out, 1.f, w.data(), Out, x.data(), 1, 0.f, y.data(), 1);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 1, Out, In);
}

// Y[m×N] = X[m×K]·Wᵀ with W stored as Dense stores it (InOut: Wᵀ, (K, N)) or as PyTorch does (OutIn).
template <std::size_t K, std::size_t N, bool OutInLayout>
void forward(benchmark::State& state, std::size_t m) {
    auto x = random_buffer(m * K, 1), w = random_buffer(N * K, 2);
    AlignedBuffer<float> y(m * N), scratch(ts::transposed_slab_size<float, K>);
    for (auto _ : state) {
        if constexpr (OutInLayout)
            ts::gemm_forward<float, K, N>(m, x.data(), ts::OutIn<const float>{w.data()}, y.data(), scratch.data());
        else
            ts::gemm_forward<float, K, N>(m, x.data(), ts::InOut<const float>{w.data()}, y.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, double(m), N, K);
}

// The training forward of Dense→BatchNorm→ReLU as the fused stage runs it: bias + ReLU in the epilogue,
// BatchNorm's Σ and Σ² per column in the same pass.
template <std::size_t K, std::size_t N>
void forward_bias_relu_stats(benchmark::State& state, std::size_t m) {
    auto x = random_buffer(m * K, 1), w = random_buffer(N * K, 2), b = random_buffer(N, 3);
    AlignedBuffer<float> y(m * N), sum(N), sumsq(N);
    auto relu_bias = [&](const ts::batch<float>& acc, const ts::RegisterSpan<float>& at) {
        const auto v = acc + at.load(b.data());
        return xsimd::select(v > ts::batch<float>(0.f), v, ts::batch<float>(0.f));
    };
    for (auto _ : state) {
        std::fill_n(sum.data(), N, 0.f);
        std::fill_n(sumsq.data(), N, 0.f);
        ts::gemm_forward<float, K, N>(m, x.data(), ts::InOut<const float>{w.data()}, y.data(), relu_bias,
                                      {sum.data(), sumsq.data()});
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, double(m), N, K);
}

// dX[m×K] = dY[m×N]·W, W given as InOut (the NT kernel) or OutIn (the NN kernel).
template <std::size_t K, std::size_t N, bool OutInLayout>
void input_gradient(benchmark::State& state, std::size_t m) {
    auto dy = random_buffer(m * N, 1), w = random_buffer(N * K, 2);
    AlignedBuffer<float> dx(m * K), scratch(ts::transposed_slab_size<float, N>);
    for (auto _ : state) {
        if constexpr (OutInLayout)
            ts::gemm_input_gradient<float, K, N>(m, dy.data(), ts::OutIn<const float>{w.data()}, dx.data());
        else
            ts::gemm_input_gradient<float, K, N>(m, dy.data(), ts::InOut<const float>{w.data()}, dx.data(),
                                                 scratch.data());
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, double(m), K, N);
}

// dW = dYᵀ·X (overwrite, as OpenBLAS with beta = 0), in the layout W is given in.
template <std::size_t K, std::size_t N, bool OutInLayout>
void weight_gradient(benchmark::State& state, std::size_t m) {
    auto dy = random_buffer(m * N, 1), x = random_buffer(m * K, 2);
    AlignedBuffer<float> dw(N * K);
    for (auto _ : state) {
        if constexpr (OutInLayout)
            ts::gemm_weight_gradient<float, K, N>(m, dy.data(), x.data(), ts::OutIn<float>{dw.data()},
                                                  ts::Update::overwrite);
        else
            ts::gemm_weight_gradient<float, K, N>(m, dy.data(), x.data(), ts::InOut<float>{dw.data()},
                                                  ts::Update::overwrite);
        benchmark::DoNotOptimize(dw.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, K, N, double(m));
}

// FP32 FMA peak of one core: 16 independent accumulators (enough for 2 FMA pipes of latency 4), one
// register width of the -march build; the ceiling the GEMM figures are read against.
void fma_peak(benchmark::State& state) {
    using B = ts::batch<float>;
    B a0(0.f), a1(1.f), a2(2.f), a3(3.f), a4(4.f), a5(5.f), a6(6.f), a7(7.f);
    B a8(8.f), a9(9.f), a10(10.f), a11(11.f), a12(12.f), a13(13.f), a14(14.f), a15(15.f);
    const B x(0.999999f), y(1e-7f);
    constexpr int inner = 1000;
    for (auto _ : state) {
        for (int i = 0; i < inner; ++i) {
            a0 = xsimd::fma(a0, x, y), a1 = xsimd::fma(a1, x, y), a2 = xsimd::fma(a2, x, y), a3 = xsimd::fma(a3, x, y);
            a4 = xsimd::fma(a4, x, y), a5 = xsimd::fma(a5, x, y), a6 = xsimd::fma(a6, x, y), a7 = xsimd::fma(a7, x, y);
            a8 = xsimd::fma(a8, x, y), a9 = xsimd::fma(a9, x, y), a10 = xsimd::fma(a10, x, y);
            a11 = xsimd::fma(a11, x, y), a12 = xsimd::fma(a12, x, y), a13 = xsimd::fma(a13, x, y);
            a14 = xsimd::fma(a14, x, y), a15 = xsimd::fma(a15, x, y);
        }
        benchmark::DoNotOptimize(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
    }
    state.counters["GFLOP/s"] = benchmark::Counter(16.0 * inner * 2 * B::size / 1e9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

template <class F>
void add(const char* name, F f) {
    benchmark::RegisterBenchmark(name, f)->MinWarmUpTime(0.1)->MinTime(0.4)->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
    openblas_set_num_threads(1);
    add("peak/fma", fma_peak);
    // "typenet" is W as typenet's Dense keeps it (InOut, Wᵀ); "typenet_outin" is PyTorch's (out, in).
    // Forward of layer 1 (W1 training, batch 64): X[64×784]·W1.
    add("fwd_L1_64x256x784/openblas", [](auto& s) { openblas(s, 64, 256, 784, false, false); });
    add("fwd_L1_64x256x784/typenet", [](auto& s) { forward<784, 256, false>(s, 64); });
    add("fwd_L1_64x256x784/typenet_outin", [](auto& s) { forward<784, 256, true>(s, 64); });
    add("fwd_L1_64x256x784/typenet+bias_relu_stats", [](auto& s) { forward_bias_relu_stats<784, 256>(s, 64); });
    // Input gradient of layer 1 (only dlib and tiny-dnn compute it): dH[64×256]·W1ᵀ.
    add("bwd_dX1_64x784x256/openblas", [](auto& s) { openblas(s, 64, 784, 256, false, true); });
    add("bwd_dX1_64x784x256/typenet", [](auto& s) { input_gradient<784, 256, false>(s, 64); });
    add("bwd_dX1_64x784x256/typenet_outin", [](auto& s) { input_gradient<784, 256, true>(s, 64); });
    // Weight gradient of layer 1: Xᵀ[784×64]·dH[64×256].
    add("bwd_dW1_784x256x64/openblas", [](auto& s) { openblas(s, 784, 256, 64, true, false); });
    add("bwd_dW1_784x256x64/typenet", [](auto& s) { weight_gradient<784, 256, false>(s, 64); });
    add("bwd_dW1_784x256x64/typenet_outin", [](auto& s) { weight_gradient<784, 256, true>(s, 64); });
    // Layer 2 (256 → 10).
    add("fwd_L2_64x10x256/openblas", [](auto& s) { openblas(s, 64, 10, 256, false, false); });
    add("fwd_L2_64x10x256/typenet", [](auto& s) { forward<256, 10, false>(s, 64); });
    add("fwd_L2_64x10x256/typenet_outin", [](auto& s) { forward<256, 10, true>(s, 64); });
    add("bwd_dA_64x256x10/openblas", [](auto& s) { openblas(s, 64, 256, 10, false, true); });
    add("bwd_dA_64x256x10/typenet", [](auto& s) { input_gradient<256, 10, false>(s, 64); });
    add("bwd_dA_64x256x10/typenet_outin", [](auto& s) { input_gradient<256, 10, true>(s, 64); });
    add("bwd_dW2_256x10x64/openblas", [](auto& s) { openblas(s, 256, 10, 64, true, false); });
    add("bwd_dW2_256x10x64/typenet", [](auto& s) { weight_gradient<256, 10, false>(s, 64); });
    add("bwd_dW2_256x10x64/typenet_outin", [](auto& s) { weight_gradient<256, 10, true>(s, 64); });
    // W3's first layer (batch 256) and W2's (batch 1).
    add("infer_L1_256x256x784/openblas", [](auto& s) { openblas(s, 256, 256, 784, false, false); });
    add("infer_L1_256x256x784/typenet", [](auto& s) { forward<784, 256, false>(s, 256); });
    add("infer_L1_256x256x784/typenet_outin", [](auto& s) { forward<784, 256, true>(s, 256); });
    add("gemv_1x256x784/openblas", [](auto& s) { openblas_gemv(s, 784, 256); });
    add("gemv_1x256x784/openblas_sgemm", [](auto& s) { openblas(s, 1, 256, 784, false, false); });
    add("gemv_1x256x784/typenet", [](auto& s) { forward<784, 256, false>(s, 1); });

    benchmark::Initialize(&argc, argv);
    benchmark::AddCustomContext("simd", typenet::simd::architecture());  // printed with the run's settings
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
