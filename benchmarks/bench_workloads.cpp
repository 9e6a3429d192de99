// Workloads W1–W4 of ../shared/peers/README.md, measured the way the peer harnesses measure them and
// printed as the same JSON lines, so typenet's figures sit beside the peers'.
//   bench_workloads train [threads] [epochs] [--unfused]   W1: epochs 2.. timed, then test accuracy
//   bench_workloads infer [repetitions] [--unfused]        W2 (batch 1), W3 (batch 256), W4 (8-32-32-1 tanh)
// --unfused runs every layer on its own (Seq::set_fused(false)), the reference the fused stages are measured
// against; its lines say "peer":"typenet_unfused" so tables built from the peer name keep the two apart, and
// every line carries "variant". benchmarks/run_peers.sh runs this beside the peers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

#include "workload_lines.hpp"

namespace {

using namespace typenet;
using Card = Seq<Dense<784, 256, He>, BatchNorm, ReLU, Dropout<0.5>, Dense<256, 10, He>>;
using Tiny = Seq<Dense<8, 32, He>, Tanh, Dense<32, 32, He>, Tanh, Dense<32, 1, He>>;
constexpr std::size_t batch_size = 64;

using bench::unfused;

// set_threads / set_fused are probed rather than called so this file builds against a Seq that lacks them.
template <class Net>
void configure(Net& net, int threads) {
    if constexpr (requires { net.set_fused(false); }) net.set_fused(!unfused);
    else if (unfused) std::fprintf(stderr, "bench_workloads: this Seq has no set_fused; --unfused ignored\n");
    if constexpr (requires { net.set_threads(std::size_t{1}); }) net.set_threads(static_cast<std::size_t>(threads));
    else if (threads != 1) std::fprintf(stderr, "bench_workloads: this Seq has no set_threads; running on 1 thread\n");
}
/// The thread count the net really uses, which is what the JSON line must report.
template <class Net>
int threads_of(const Net& net) {
    if constexpr (requires { net.threads(); }) return static_cast<int>(net.threads());
    else return 1;
}

using bench::block_median_latency, bench::cpu_s, bench::emit, bench::median, bench::now_s;

/// The peers' preprocessing: pixels / 255, then the train set's scalar mean and std.
std::pair<Dataset, Dataset> load_data() {
    auto [train, test] = fashion_mnist();
    Standardize s{Standardize::global};
    s.fit(train.x);
    s.apply(train.x);
    s.apply(test.x);
    return {std::move(train), std::move(test)};
}

int train(int requested_threads, int epochs) {
    auto [train, test] = load_data();
    Card net{Seed{42}};
    configure(net, requested_threads);
    const int threads = threads_of(net);
    SGD opt{.lr = 0.01f, .momentum = 0.9f};
    const std::size_t n = train.size();
    std::vector<std::size_t> order;
    Matrix<float> xb = Matrix<float>::from_shape({batch_size, 784});
    std::vector<int> yb(batch_size);
    for (int e = 1; e <= epochs; ++e) {
        const double t0 = now_s(), c0 = cpu_s();
        shuffled_order(order, n, 1, static_cast<std::uint64_t>(e));
        for (std::size_t s = 0; s < n; s += batch_size) {
            const std::size_t b = std::min(batch_size, n - s);
            if (xb.shape(0) != b) xb = Matrix<float>::from_shape({b, 784}), yb.resize(b);
            for (std::size_t r = 0; r < b; ++r) {
                std::copy_n(train.x.data() + order[s + r] * 784, 784, xb.data() + r * 784);
                yb[r] = train.y[order[s + r]];
            }
            net.train_step(xb, yb, SoftmaxCrossEntropy{}, opt);
        }
        if (xb.shape(0) != batch_size) xb = Matrix<float>::from_shape({batch_size, 784}), yb.resize(batch_size);
        const double dt = now_s() - t0, dc = cpu_s() - c0;
        if (e > 1) {
            emit("W1_train", threads, batch_size, "epoch_time", dt, "s", e, dc);
            emit("W1_train", threads, batch_size, "samples_per_s", static_cast<double>(n) / dt, "samples/s", e);
        }
    }
    emit("W1_train", threads, batch_size, "test_acc_after_epochs", 100.0 * accuracy(net, test), "%", epochs);
    return 0;
}

int infer(int repetitions) {
    auto [train, test] = load_data();
    Card net{Seed{42}};
    configure(net, 1);
    std::array<float, 784> x1;
    std::copy_n(test.x.data(), 784, x1.begin());
    const float x10 = x1[0];
    for (int rep = 0; rep < repetitions; ++rep) {  // W2: each input depends on the previous output
        auto call = [&] { x1[0] = x10 + 1e-30f * net.predict(x1)[0]; };
        for (int i = 0; i < 2000; ++i) call();
        emit("W2_infer_latency", 1, 1, "median_latency", 1e6 * block_median_latency(call, 10000, 10), "us", rep);
    }
    Matrix<float> x256 = Matrix<float>::from_shape({256, 784});
    std::copy_n(test.x.data(), x256.size(), x256.data());
    for (int rep = 0; rep < repetitions; ++rep) {  // W3
        float sink = 0;
        auto call = [&] { sink += net.predict(x256)(0, 0); };
        for (int i = 0; i < 20; ++i) call();
        emit("W3_infer_throughput", 1, 256, "samples_per_s", 256 / block_median_latency(call, 300, 1), "samples/s",
             rep);
        if (sink == 12345.f) std::puts("");
    }
    Tiny tiny{Seed{42}};
    configure(tiny, 1);
    std::array<float, 8> xt{0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f};
    for (int rep = 0; rep < repetitions; ++rep) {  // W4
        auto call = [&] { xt[0] = 0.1f + 1e-30f * tiny.predict(xt)[0]; };
        for (int i = 0; i < 20000; ++i) call();
        emit("W4_tiny_latency", 1, 1, "median_latency", 1e9 * block_median_latency(call, 100000, 100), "ns", rep);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--unfused") unfused = true;
        else args.emplace_back(argv[i]);
    }
    auto arg = [&](std::size_t i, int fallback) { return args.size() > i ? std::atoi(args[i].c_str()) : fallback; };
    const std::string mode = args.empty() ? "infer" : args[0];
    try {
        if (mode == "train") return train(arg(1, 1), arg(2, 5));
        if (mode != "infer") throw std::invalid_argument("mode must be train or infer, not " + mode);
        return infer(arg(1, 5));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_workloads: %s\n", e.what());
        return 1;
    }
}
