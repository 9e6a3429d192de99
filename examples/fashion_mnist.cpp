// The main job: trains the card's network on Fashion-MNIST (Debian's dataset-fashion-mnist) and reports
// per-epoch loss and accuracy, the final test accuracy, and the time it took; saves the model, the
// history as CSV and the curves as SVG.
//
//   fashion_mnist                 the default recipe: Adam, cosine decay, parameter EMA, 10 epochs
//   fashion_mnist --classic       the peers' recipe: SGD lr 0.01, momentum 0.9, batch 64, 5 epochs
//   fashion_mnist --out DIR       where the model, history and plot go (default: current directory)
//   fashion_mnist --epochs N      train for N epochs instead
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<784, 256, typenet::He>, typenet::BatchNorm, typenet::ReLU,
                         typenet::Dropout<0.5>, typenet::Dense<256, 10>>;

int main(int argc, char** argv) {
    bool classic = false;
    std::string out = ".";
    std::size_t epochs = 0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--classic") == 0) classic = true;
        else if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else if (std::strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) epochs = std::strtoul(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: %s [--classic] [--epochs N] [--out DIR]\n", argv[0]);
            return 2;
        }
    }
    try {
        const auto start = std::chrono::steady_clock::now();
        auto [train, test] = typenet::fashion_mnist();
        typenet::Standardize standardize{typenet::Standardize::global};  // statistics of the training split only
        standardize.fit(train.x);
        standardize.apply(train.x);
        standardize.apply(test.x);
        std::printf("Fashion-MNIST: %zu training and %zu test images\n%s\n", train.size(), test.size(),
                    Net::summary().c_str());

        Net net{typenet::Seed{42}};
        typenet::History history;
        if (classic) {
            typenet::SGD opt{.lr = 0.01f, .momentum = 0.9f};
            history = typenet::fit(net, train, typenet::SoftmaxCrossEntropy{}, opt,
                                   {.epochs = epochs ? epochs : 5, .batch_size = 64, .validation = &test, .seed = 1});
        } else {
            // The best of the recipes we measured (docs/performance.md): Adam with cosine decay, and the
            // model evaluated with an exponential moving average of its parameters (Polyak averaging).
            if (epochs == 0) epochs = 10;
            typenet::Adam opt{.lr = 2e-3};
            typenet::ParameterAverage<Net> average(0.999);
            typenet::FitOptions options{.epochs = epochs, .batch_size = 64, .validation = &test, .seed = 1};
            options.schedule = typenet::CosineDecay{.initial = 2e-3, .period = epochs, .minimum = 1e-5};
            options.on_batch = [&](typenet::BatchEvent&) { average.update(net); };
            history = typenet::fit(net, train, typenet::SoftmaxCrossEntropy{}, opt, options);
            std::printf("test accuracy of the last parameters: %.2f %%\n", 100.0 * typenet::accuracy(net, test));
            average.copy_to(net);
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const float accuracy = typenet::accuracy(net, test);

        net.save(out + "/fashion_mnist.tnet");
        history.write_csv(out + "/fashion_mnist_history.csv");
        typenet::plot_history_svg(history, out + "/fashion_mnist_curves.svg");
        std::printf("test accuracy: %.2f %% (%s recipe, %zu epochs, %.1f s in all)\n", 100.0 * accuracy,
                    classic ? "classic" : "default", history.size(), seconds);
        std::printf("wrote %s/fashion_mnist.tnet, fashion_mnist_history.csv, fashion_mnist_curves.svg\n", out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
        return 1;
    }
}
