// A small convolutional network for 28x28 grey images, declared as a type, built, one prediction, one
// training step. Also the file benchmarks/compile_time.sh measures for a CNN (budget: 10 s, 1 GB).
#include <typenet/typenet.hpp>

#include <cstdio>
#include <vector>

using CNN = typenet::Seq<typenet::Input<1, 28, 28>,
    typenet::Conv2D<1, 32, 3, typenet::Padding<1>>, typenet::BatchNorm, typenet::ReLU, typenet::MaxPool2D<2>,
    typenet::Conv2D<32, 64, 3, typenet::Padding<1>>, typenet::BatchNorm, typenet::ReLU, typenet::MaxPool2D<2>,
    typenet::Flatten, typenet::Dropout<0.5>, typenet::Dense<3136, 128>, typenet::ReLU, typenet::Dense<128, 10>>;
static_assert(CNN::input_size == 784 && CNN::output_size == 10);
static_assert(CNN::parameter_count == (32 * 9 + 32) + 64 + (64 * 32 * 9 + 64) + 128 + (3136 * 128 + 128) + (128 * 10 + 10));

int main() {
    CNN net{typenet::Seed{42}};

    // A synthetic batch stands in for Fashion-MNIST: pixels in [0, 1), labels 0..9, rows in (1, 28, 28) order.
    constexpr std::size_t batch = 32;
    const typenet::Philox rng(typenet::Seed{7}, typenet::RandomPurpose::user, 0, 0);
    typenet::Matrix<float> x = typenet::Matrix<float>::from_shape({batch, CNN::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.uniform(i));
    std::vector<int> labels(batch);
    for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<int>(i % CNN::output_size);

    const typenet::Matrix<float> logits = net.predict(x);
    typenet::SGD opt{.lr = 0.01f, .momentum = 0.9f};
    float first = 0, loss = 0;
    for (int step = 0; step < 10; ++step) {
        loss = net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);
        if (step == 0) first = loss;
    }
    std::printf("%s\n%s\npredict: (%zu, %zu) logits; 10 train steps on one batch: loss %.4f -> %.4f\n",
                CNN::summary().c_str(), CNN::fusion_plan().c_str(), logits.shape(0), logits.shape(1),
                static_cast<double>(first), static_cast<double>(loss));
    return loss < first ? 0 : 1;
}
