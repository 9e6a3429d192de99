// The network on typenet's card (API.md): declared as a type, built, one prediction, one training step.
// Also the file benchmarks/compile_time.sh measures: what it costs to compile a typical network.
#include <typenet/typenet.hpp>

#include <cstdio>
#include <vector>

// BatchNorm and Dropout arrived after this example was written; until their headers exist the example
// (and the compile-time budget measured on it) uses the card's network without those two layers.
#if __has_include(<typenet/layers/batch_norm.hpp>) && __has_include(<typenet/layers/dropout.hpp>)
#include <typenet/layers/batch_norm.hpp>
#include <typenet/layers/dropout.hpp>
using Net = typenet::Seq<typenet::Dense<784, 256, typenet::He>, typenet::BatchNorm, typenet::ReLU,
                         typenet::Dropout<0.5>, typenet::Dense<256, 10>>;
static_assert(Net::parameter_count == 784 * 256 + 256 + 2 * 256 + 256 * 10 + 10);
constexpr const char* variant = "the card's network";
#else
using Net = typenet::Seq<typenet::Dense<784, 256, typenet::He>, typenet::ReLU, typenet::Dense<256, 10>>;
static_assert(Net::parameter_count == 784 * 256 + 256 + 256 * 10 + 10);
constexpr const char* variant = "the card's network without BatchNorm and Dropout (not available yet)";
#endif
static_assert(Net::input_size == 784 && Net::output_size == 10);

int main() {
    Net net{typenet::Seed{42}};

    // A synthetic batch stands in for Fashion-MNIST: pixels in [0, 1), labels 0..9.
    constexpr std::size_t batch = 64;
    const typenet::Philox rng(typenet::Seed{7}, typenet::RandomPurpose::user, 0, 0);
    typenet::Matrix<float> x = typenet::Matrix<float>::from_shape({batch, Net::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.uniform(i));
    std::vector<int> labels(batch);
    for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<int>(i % Net::output_size);

    const typenet::Matrix<float> logits = net.predict(x);
    typenet::SGD opt{.lr = 0.01f, .momentum = 0.9f};
    const float loss = net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);

    std::printf("%s\n%s\npredict: (%zu, %zu) logits; one train_step: loss %.4f\n", variant, Net::summary().c_str(),
                logits.shape(0), logits.shape(1), static_cast<double>(loss));
    return 0;
}
