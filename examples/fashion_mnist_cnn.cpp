// A convolutional network on Fashion-MNIST (Debian's dataset-fashion-mnist): trains it, reports per-epoch
// loss and accuracy and the final test accuracy with the time it took, saves the model, the history as
// CSV and the curves as SVG; with --committee K, trains K such networks (seeds 42, 43, ...) and reports
// the accuracy of their average (an Ensemble).
//
//   fashion_mnist_cnn                      the recipe of docs/examples.md, 15 epochs
//   fashion_mnist_cnn --committee 5        five networks and their committee
//   fashion_mnist_cnn --validation         train on the first 55000 training images and report the
//                                          accuracy on the last 5000 (how the recipe was chosen)
//   fashion_mnist_cnn --epochs N           train for N epochs instead
//   fashion_mnist_cnn --train-images N     train on the first N training images only (a smoke run)
//   fashion_mnist_cnn --threads N          threads per network (default 2)
//   fashion_mnist_cnn --out DIR            where the model, history and plot go (default: current directory)
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

// Two blocks of two 3x3 convolutions (32 then 64 channels, BatchNorm, ReLU) with 2x2 max pooling, then
// a 256-unit hidden layer; chosen on the validation split (docs/examples.md).
using Net = typenet::Seq<typenet::Input<1, 28, 28>,
    typenet::Conv2D<1, 32, 3, typenet::Padding<1>, typenet::NoBias>, typenet::BatchNorm, typenet::ReLU,
    typenet::Conv2D<32, 32, 3, typenet::Padding<1>, typenet::NoBias>, typenet::BatchNorm, typenet::ReLU, typenet::MaxPool2D<2>,
    typenet::Conv2D<32, 64, 3, typenet::Padding<1>, typenet::NoBias>, typenet::BatchNorm, typenet::ReLU,
    typenet::Conv2D<64, 64, 3, typenet::Padding<1>, typenet::NoBias>, typenet::BatchNorm, typenet::ReLU, typenet::MaxPool2D<2>,
    typenet::Flatten, typenet::Dropout<0.25>, typenet::Dense<3136, 256, typenet::NoBias>, typenet::BatchNorm, typenet::ReLU,
    typenet::Dropout<0.5>, typenet::Dense<256, 10>>;

namespace {

struct Options {
    std::size_t epochs = 15, committee = 1, train_images = 0, threads = 2;
    bool validation = false;
    std::string out = ".";
};

std::size_t count_argument(const char* text, const char* flag) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || value == 0)
        throw typenet::error(std::string(flag) + " expects a positive integer, got '" + text + "'");
    return static_cast<std::size_t>(value);
}

typenet::Dataset first_rows(const typenet::Dataset& data, std::size_t begin, std::size_t end) {
    std::vector<std::size_t> rows(end - begin);
    std::iota(rows.begin(), rows.end(), begin);
    return typenet::detail::take_rows(data, rows);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        for (int i = 1; i < argc; ++i) {
            const bool has_value = i + 1 < argc;
            if (std::strcmp(argv[i], "--validation") == 0) o.validation = true;
            else if (std::strcmp(argv[i], "--epochs") == 0 && has_value) o.epochs = count_argument(argv[++i], "--epochs");
            else if (std::strcmp(argv[i], "--committee") == 0 && has_value) o.committee = count_argument(argv[++i], "--committee");
            else if (std::strcmp(argv[i], "--train-images") == 0 && has_value) o.train_images = count_argument(argv[++i], "--train-images");
            else if (std::strcmp(argv[i], "--threads") == 0 && has_value) o.threads = count_argument(argv[++i], "--threads");
            else if (std::strcmp(argv[i], "--out") == 0 && has_value) o.out = argv[++i];
            else {
                std::fprintf(stderr, "usage: %s [--validation] [--epochs N] [--committee K] [--train-images N] "
                                     "[--threads N] [--out DIR]\n", argv[0]);
                return 2;
            }
        }
        // Before minutes of training, not after: the results must have somewhere to go.
        if (!std::filesystem::is_directory(o.out)) throw typenet::error("--out " + o.out + " is not a directory");
        const auto start = std::chrono::steady_clock::now();
        auto [train, test] = typenet::fashion_mnist();
        if (o.validation) {
            // The recipe was chosen on the last 5000 training images; the test set is never looked at.
            test = first_rows(train, train.size() - 5000, train.size());
            train = first_rows(train, 0, train.size() - 5000);
        }
        if (o.train_images != 0 && o.train_images < train.size()) train = first_rows(train, 0, o.train_images);
        const char* evaluated = o.validation ? "validation" : "test";
        std::printf("Fashion-MNIST: %zu training and %zu %s images\n%s\n", train.size(), test.size(), evaluated,
                    Net::summary().c_str());
        // One global mean and std, fitted on the training images only. A padded convolution cannot absorb
        // them exactly (its zero padding would become -mean/std), so the saved model takes standardized
        // pixels: (pixel - mean) / std with the two numbers printed here.
        typenet::Standardize standardize{typenet::Standardize::global};
        standardize.fit(train.x);
        standardize.apply(train.x);
        standardize.apply(test.x);
        std::printf("standardization: mean %.6f, std %.6f\n", static_cast<double>(standardize.mean()[0]),
                    static_cast<double>(standardize.stddev()[0]));

        const typenet::ImageShape image = typenet::ImageShape::of<Net::input_shape>();
        const typenet::RandomCrop crop{.image = image, .padding = 2};
        const typenet::HorizontalFlip flip{.image = image};
        constexpr std::size_t batch = 128;
        const std::size_t steps = o.epochs * ((train.size() + batch - 1) / batch);

        typenet::Ensemble<Net> committee(o.committee, typenet::Seed{42});
        for (std::size_t m = 0; m < committee.size(); ++m) {
            Net& net = committee[m];
            net.set_threads(o.threads);
            const double lr = 3e-3;
            typenet::Adam opt{.lr = lr};
            const typenet::SoftmaxCrossEntropy loss{.label_smoothing = 0.1};
            typenet::FitOptions options{.epochs = o.epochs, .batch_size = batch, .validation = &test, .seed = 1 + m};
            options.schedule = typenet::CosineDecay{.initial = lr, .period = steps, .minimum = lr * 1e-3};
            options.schedule_per_batch = true;
            options.augment = [&](typenet::AugmentBatch& b) {
                crop.apply(b.x, typenet::Seed{b.seed}, b.step, b.samples);
                flip.apply(b.x, typenet::Seed{b.seed}, b.step, b.samples);
            };
            const typenet::History history = typenet::fit(net, train, loss, opt, options);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::printf("network %zu of %zu: %s accuracy %.2f %% (%zu epochs, %.1f s since the start)\n", m + 1,
                        committee.size(), evaluated, 100.0 * typenet::accuracy(net, test), history.size(), seconds);
            if (m == 0) {
                history.write_csv(o.out + "/fashion_mnist_cnn_history.csv");
                typenet::plot_history_svg(history, o.out + "/fashion_mnist_cnn_curves.svg");
            }
        }
        if (committee.size() > 1)
            std::printf("committee of %zu: %s accuracy %.2f %%\n", committee.size(), evaluated,
                        100.0 * typenet::accuracy(committee, test));

        committee[0].save(o.out + "/fashion_mnist_cnn.tnet");
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%.1f s in all; wrote %s/fashion_mnist_cnn.tnet (network 1; takes standardized pixels), "
                    "fashion_mnist_cnn_history.csv, fashion_mnist_cnn_curves.svg\n",
                    seconds, o.out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fashion_mnist_cnn: %s\n", e.what());
        return 1;
    }
}
