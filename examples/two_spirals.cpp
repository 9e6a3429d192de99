// Two spirals (after Lang & Witbrock, 1988): two interleaved spiral arms of 2.5 turns, one per class.
// No straight line separates them, so the network has to learn a genuinely non-linear boundary.
//
// Trains Seq<Dense<2,64>, ReLU, Dense<64,64>, ReLU, Dense<64,2>> with SGD + momentum on shuffled
// minibatches and reports train/test accuracy. Everything random (data, noise, shuffling, weights) is
// drawn from typenet's counter-based generator, so a run is the same on every machine and compiler.
// Exit status 0 only if the held-out accuracy reaches 95 %, so the example doubles as a test.
#include <typenet/typenet.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

namespace {

using Net = typenet::Seq<typenet::Dense<2, 64>, typenet::ReLU, typenet::Dense<64, 64>, typenet::ReLU,
                         typenet::Dense<64, 2>>;

struct Data {
    std::vector<float> x;  // (n, 2), row-major
    std::vector<int> y;
    std::size_t size() const { return y.size(); }
};

/// `per_class` points on each arm; angle ∝ √u so points are spread evenly along the arm's length,
/// radius grows with the angle, the second arm is the first rotated by π, plus Gaussian noise.
Data make_spirals(std::size_t per_class, double turns, double noise, typenet::Seed seed) {
    const typenet::Philox rng(seed, typenet::RandomPurpose::user, 0, 0);
    const double max_angle = turns * 2.0 * std::numbers::pi;
    Data d;
    for (std::size_t i = 0; i < 2 * per_class; ++i) {
        const int label = static_cast<int>(i % 2);
        const double angle = std::sqrt(rng.uniform(3 * i)) * max_angle;
        const double radius = angle / max_angle;  // in [0, 1]
        const double phase = label * std::numbers::pi;
        d.x.push_back(static_cast<float>(radius * std::cos(angle + phase) + noise * rng.normal(3 * i + 1)));
        d.x.push_back(static_cast<float>(radius * std::sin(angle + phase) + noise * rng.normal(3 * i + 2)));
        d.y.push_back(label);
    }
    return d;
}

/// Fisher-Yates with a stream keyed by (seed, purpose, step): the same permutation on every run.
std::vector<std::size_t> permutation(std::size_t n, typenet::Seed seed, std::uint64_t step) {
    const typenet::Philox rng(seed, typenet::RandomPurpose::shuffle, 0, step);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::size_t>(rng.uniform(i) * static_cast<double>(i + 1));
        std::swap(order[i], order[std::min(j, i)]);
    }
    return order;
}

Data subset(const Data& d, std::span<const std::size_t> rows) {
    Data out;
    for (std::size_t r : rows) {
        out.x.insert(out.x.end(), d.x.begin() + static_cast<std::ptrdiff_t>(2 * r),
                     d.x.begin() + static_cast<std::ptrdiff_t>(2 * r + 2));
        out.y.push_back(d.y[r]);
    }
    return out;
}

double accuracy(const Net& net, const Data& d) {
    typenet::Matrix<float> x = typenet::Matrix<float>::from_shape({d.size(), 2});
    std::copy(d.x.begin(), d.x.end(), x.begin());
    const typenet::Matrix<float> logits = net.predict(x);
    std::size_t correct = 0;
    for (std::size_t r = 0; r < d.size(); ++r) correct += (logits(r, 1) > logits(r, 0)) == (d.y[r] == 1);
    return static_cast<double>(correct) / static_cast<double>(d.size());
}

}  // namespace

int main() {
    constexpr typenet::Seed data_seed{2024}, net_seed{1};
    constexpr std::size_t per_class = 500, test_size = 200, batch = 32, epochs = 300;

    const auto start = std::chrono::steady_clock::now();
    const Data all = make_spirals(per_class, 2.5, 0.02, data_seed);
    const std::vector<std::size_t> split = permutation(all.size(), data_seed, 0);
    const Data test = subset(all, std::span(split).first(test_size));
    const Data train = subset(all, std::span(split).subspan(test_size));

    Net net{net_seed};
    typenet::SGD opt{.lr = 0.05f, .momentum = 0.9f};
    const typenet::SoftmaxCrossEntropy loss{};
    // Allocated once: train_step itself does not allocate after its first call for a batch size.
    typenet::Matrix<float> xb = typenet::Matrix<float>::from_shape({batch, 2});
    std::vector<int> yb(batch);

    std::printf("two spirals: %zu train / %zu test points\n%s\n", train.size(), test.size(),
                Net::summary().c_str());
    for (std::size_t epoch = 1; epoch <= epochs; ++epoch) {
        // At a fixed rate momentum SGD keeps bouncing around the minimum; one ÷10 step settles it.
        if (epoch == 2 * epochs / 3 + 1) opt.lr *= 0.1f;
        const std::vector<std::size_t> order = permutation(train.size(), net_seed, epoch);
        double total = 0;
        std::size_t batches = 0;
        // The last partial batch is dropped, as with PyTorch's DataLoader(drop_last=True).
        for (std::size_t b = 0; b + batch <= train.size(); b += batch, ++batches) {
            for (std::size_t i = 0; i < batch; ++i) {
                const std::size_t r = order[b + i];
                xb(i, 0) = train.x[2 * r];
                xb(i, 1) = train.x[2 * r + 1];
                yb[i] = train.y[r];
            }
            total += net.train_step(xb, yb, loss, opt);
        }
        if (epoch % 25 == 0 || epoch == 1)
            std::printf("epoch %3zu  loss %.4f\n", epoch, total / static_cast<double>(batches));
    }

    const double train_acc = accuracy(net, train), test_acc = accuracy(net, test);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("train accuracy %.1f %%, test accuracy %.1f %% (%.2f s)\n", 100 * train_acc, 100 * test_acc,
                seconds);
    if (test_acc < 0.95) {
        std::printf("FAILED: test accuracy below the 95 %% target\n");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
