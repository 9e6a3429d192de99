// Workloads W6–W7 of ../shared/peers/conv/README.md (network CNN-FM on Fashion-MNIST), measured the way the
// peer harnesses there measure them and printed as the same JSON lines, so typenet's figures sit beside the
// peers'. Same conventions as bench_workloads.cpp (W1–W4).
//   bench_conv train [threads=1] [epochs=3] [--max-batches N] [--unfused]
//       W6: epoch 1 is warm-up, epochs 2..epochs are timed (shuffle, gather, forward, loss, backward,
//       update; no evaluation), then the test accuracy in eval mode on all 10,000 test images.
//       --max-batches N caps every epoch at N steps; every W6 line carries "steps" (938 = whole epoch).
//   bench_conv infer [repetitions=5] [--unfused]
//       W7 on 1 thread, freshly initialized network (seed 42): latency at batch 1 (500 warm-up calls, 5,000
//       timed in blocks of 10, median per-call time; each input depends on the previous output) and
//       throughput at batch 256 (5 warm-up calls, 50 timed one by one, 256 / median).
// --unfused runs every layer on its own (Seq::set_fused(false)); its lines say "peer":"typenet_unfused", and
// every line carries "variant". A "config" line records the thread count, SIMD target and thread variables.
// benchmarks/run_conv_peers.sh runs this beside the peers.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

#include "workload_lines.hpp"

namespace {

using namespace typenet;
// CNN-FM (README "Network CNN-FM"): He normal weights (Conv2D's and Dense's default initializer, spelled out),
// zero biases, BatchNorm eps 1e-5 / momentum 0.1 (its defaults), inverted dropout.
using CnnFm = Seq<Input<1, 28, 28>, Conv2D<1, 32, 3, Padding<1>, He>, BatchNorm, ReLU, MaxPool2D<2>,
                  Conv2D<32, 64, 3, Padding<1>, He>, BatchNorm, ReLU, MaxPool2D<2>, Flatten, Dropout<0.5>,
                  Dense<3136, 128, He>, ReLU, Dense<128, 10, He>>;
static_assert(CnnFm::input_size == 784 && CnnFm::output_size == 10);
static_assert(CnnFm::parameter_count == 421'834, "CNN-FM has 421,834 trainable parameters");
constexpr std::size_t batch_size = 64, in = 784;
constexpr std::uint64_t shuffle_seed = 42;
// W7's repetition structure (the peers' conv_common.hpp).
constexpr int lat_warm = 500, lat_calls = 5000, lat_block = 10;
constexpr int thr_warm = 5, thr_calls = 50;

using bench::unfused;

template <class Net>
void configure(Net& net, int threads) {
    net.set_fused(!unfused);
    net.set_threads(static_cast<std::size_t>(threads));
}

using bench::block_median_latency, bench::cpu_s, bench::emit, bench::median, bench::now_s;
std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}
void config_line(int requested, int threads) {
    emit("config", threads, 0, "typenet_threads", threads, "threads", 0, -1,
         "\"requested_threads\":" + std::to_string(requested) + ",\"omp_num_threads\":\"" + env_or_empty("OMP_NUM_THREADS") +
             "\",\"openblas_num_threads\":\"" + env_or_empty("OPENBLAS_NUM_THREADS") + "\"");
}

/// The peers' preprocessing: pixels / 255, then the train set's scalar mean and std (rows are (1, 28, 28) in
/// C, H, W order, as CNN-FM's input). FMNIST_DIR overrides the folder, as for the peers.
std::pair<Dataset, Dataset> load_data() {
    const std::string dir = std::getenv("FMNIST_DIR") ? std::getenv("FMNIST_DIR") : "/usr/share/datasets/fashion-mnist";
    auto [train, test] = fashion_mnist(dir);
    Standardize s{Standardize::global};
    s.fit(train.x);
    s.apply(train.x);
    s.apply(test.x);
    return {std::move(train), std::move(test)};
}

int train(int requested_threads, int epochs, int max_batches) {
    auto [train, test] = load_data();
    CnnFm net{Seed{42}};
    configure(net, requested_threads);
    const int threads = static_cast<int>(net.threads());
    config_line(requested_threads, threads);
    SGD opt{.lr = 0.01f, .momentum = 0.9f};
    const std::size_t n = train.size();
    const std::size_t full = (n + batch_size - 1) / batch_size;  // 938: the last batch of 32 is kept
    const std::size_t steps = max_batches > 0 ? std::min(full, static_cast<std::size_t>(max_batches)) : full;
    const std::string extra = "\"steps\":" + std::to_string(steps);
    std::vector<std::size_t> order;
    Matrix<float> xb = Matrix<float>::from_shape({batch_size, in});
    std::vector<int> yb(batch_size);
    for (int e = 1; e <= epochs; ++e) {
        const double t0 = now_s(), c0 = cpu_s();
        shuffled_order(order, n, shuffle_seed, static_cast<std::uint64_t>(e));
        std::size_t seen = 0;
        for (std::size_t step = 0; step < steps; ++step) {
            const std::size_t s = step * batch_size, b = std::min(batch_size, n - s);
            if (xb.shape(0) != b) xb = Matrix<float>::from_shape({b, in}), yb.resize(b);
            for (std::size_t r = 0; r < b; ++r) {
                std::copy_n(train.x.data() + order[s + r] * in, in, xb.data() + r * in);
                yb[r] = train.y[order[s + r]];
            }
            net.train_step(xb, yb, SoftmaxCrossEntropy{}, opt);
            seen += b;
        }
        if (xb.shape(0) != batch_size) xb = Matrix<float>::from_shape({batch_size, in}), yb.resize(batch_size);
        const double dt = now_s() - t0, dc = cpu_s() - c0;
        if (e > 1) {
            emit("W6_train", threads, batch_size, "epoch_time", dt, "s", e, dc, extra);
            emit("W6_train", threads, batch_size, "samples_per_s", static_cast<double>(seen) / dt, "samples/s", e, -1,
                 extra);
        }
    }
    emit("W6_train", threads, batch_size, "test_acc_after_epochs", 100.0 * accuracy(net, test), "%", epochs, -1, extra);
    return 0;
}

int infer(int repetitions) {
    auto [train, test] = load_data();
    CnnFm net{Seed{42}};
    configure(net, 1);
    config_line(1, static_cast<int>(net.threads()));
    std::array<float, in> x1;
    std::copy_n(test.x.data(), in, x1.begin());
    const float x10 = x1[0];
    for (int rep = 0; rep < repetitions; ++rep) {  // W7 batch 1: each input depends on the previous output
        auto call = [&] { x1[0] = x10 + 1e-30f * net.predict(x1)[0]; };
        for (int i = 0; i < lat_warm; ++i) call();
        emit("W7_infer_latency", 1, 1, "median_latency", 1e6 * block_median_latency(call, lat_calls, lat_block), "us",
             rep);
    }
    Matrix<float> x256 = Matrix<float>::from_shape({256, in});
    std::copy_n(test.x.data(), x256.size(), x256.data());
    for (int rep = 0; rep < repetitions; ++rep) {  // W7 batch 256: 256 / median call time
        float sink = 0;
        auto call = [&] { sink += net.predict(x256)(0, 0); };
        for (int i = 0; i < thr_warm; ++i) call();
        emit("W7_infer_throughput", 1, 256, "samples_per_s", 256 / block_median_latency(call, thr_calls, 1), "samples/s",
             rep);
        if (sink == 12345.f) std::puts("");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args;
    int max_batches = 0;  // 0: whole epochs
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--unfused") unfused = true;
        else if (a == "--max-batches" && i + 1 < argc) max_batches = std::atoi(argv[++i]);
        else args.push_back(a);
    }
    auto arg = [&](std::size_t i, int fallback) { return args.size() > i ? std::atoi(args[i].c_str()) : fallback; };
    const std::string mode = args.empty() ? "infer" : args[0];
    try {
        if (mode == "train") return train(arg(1, 1), arg(2, 3), max_batches);
        if (mode != "infer") throw std::invalid_argument("mode must be train or infer, not " + mode);
        return infer(arg(1, 5));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_conv: %s\n", e.what());
        return 1;
    }
}
