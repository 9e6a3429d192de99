// Bad input that has no test of its own elsewhere (docs/robustness.md lists every case and the test
// that covers it): non-finite weights in both file formats, fit on an empty dataset, inputs and
// labels of the wrong size given to train_step/predict, a loss that turns NaN inside fit.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/poisoned_file.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;
using Catch::Matchers::Contains;

namespace {
using Net = Seq<Dense<5, 4>, BatchNorm, ReLU, Dense<4, 3>>;

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("typenet_robustness_" + name)).string();
}

Matrix<float> inputs(std::size_t rows, std::size_t columns) {
    Matrix<float> x = Matrix<float>::from_shape({rows, columns});
    for (std::size_t i = 0; i < x.size(); ++i)
        x.data()[i] = static_cast<float>(std::cos(0.37 * static_cast<double>(i)));
    return x;
}

/// Everything a failed call must leave as it was.
struct Snapshot {
    std::vector<float> parameters, buffers;
    std::uint64_t steps;
    explicit Snapshot(const Net& net)
        : parameters(net.parameters().begin(), net.parameters().end()),
          buffers(net.buffers().begin(), net.buffers().end()),
          steps(net.train_steps()) {}
    bool matches(const Net& net) const {
        return std::ranges::equal(net.parameters(), parameters) && std::ranges::equal(net.buffers(), buffers) &&
               net.train_steps() == steps;
    }
};

/// A network with one value replaced, trained a little so that every file field is non-trivial.
Net poisoned(bool buffer, std::size_t index, float value) {
    Net net{Seed{7}};
    SGD opt{.lr = 0.1};
    net.train_step(inputs(4, 5), std::vector<int>{0, 1, 2, 1}, SoftmaxCrossEntropy{}, opt);
    (buffer ? net.buffers() : net.parameters())[index] = value;
    return net;
}

/// A file of `poisoned(buffer, index, value)`: save refuses a non-finite value, so the file is written
/// with a finite stand-in that is then replaced by `value`.
void write_poisoned(const std::string& path, bool buffer, std::size_t index, float value, bool native) {
    constexpr float stand_in = 1234.5678f;
    const Net net = poisoned(buffer, index, stand_in);
    if (native) net.save(path);
    else net.save_safetensors(path);
    testing::replace_in_file(path, stand_in, value, native);
}
}  // namespace

TEST_CASE("non-finite weights in a native file: the error names the tensor, the network is unchanged",
          "[robustness][io][native]") {
    const std::string path = temp_path("nonfinite.tnet");
    Net target{Seed{1}};
    const Snapshot before(target);
    // Dense stores Wᵀ (in, out): memory index 6 of 0.weight is input 1, output 2 → PyTorch [2, 1].
    write_poisoned(path, false, 6, std::numeric_limits<float>::quiet_NaN(), true);
    REQUIRE_THROWS_WITH(target.load(path), Contains("load: " + path + ": NaN in the parameters at index 6") &&
                                                Contains("(tensor \"0.weight\" at [2, 1])"));
    CHECK(before.matches(target));
    // Parameters: 0.weight (20), 0.bias (4), 1.weight (4), 1.bias (4), 3.weight (12); index 41 is 3.weight.
    write_poisoned(path, false, 41, std::numeric_limits<float>::infinity(), true);
    REQUIRE_THROWS_WITH(target.load(path),
                        Contains("infinite value in the parameters at index 41 (tensor \"3.weight\""));
    CHECK(before.matches(target));
    // Buffers: 1.running_mean (4), 1.running_var (4), 1.num_batches_tracked (1).
    write_poisoned(path, true, 5, std::numeric_limits<float>::infinity(), true);
    REQUIRE_THROWS_WITH(target.load(path),
                        Contains("infinite value in the buffers at index 5 (tensor \"1.running_var\" at [1])"));
    CHECK(before.matches(target));
    std::remove(path.c_str());
}

TEST_CASE("NaN weights in a safetensors file: the error names the tensor, the network is unchanged",
          "[robustness][io][safetensors]") {
    const std::string path = temp_path("nonfinite.safetensors");
    Net target{Seed{1}};
    const Snapshot before(target);
    write_poisoned(path, false, 21, std::numeric_limits<float>::quiet_NaN(), false);
    REQUIRE_THROWS_WITH(target.load_safetensors(path),
                        Contains("load_safetensors: " + path + ": NaN in tensor \"0.bias\" at [1]"));
    CHECK(before.matches(target));
    write_poisoned(path, true, 2, std::numeric_limits<float>::quiet_NaN(), false);
    REQUIRE_THROWS_WITH(target.load_safetensors(path), Contains("NaN in tensor \"1.running_mean\" at [2]"));
    CHECK(before.matches(target));
    std::remove(path.c_str());
}

TEST_CASE("fit on an empty training or validation set throws before it changes anything", "[robustness][fit]") {
    Net net{Seed{2}};
    const Snapshot before(net);
    SGD opt{.lr = 0.1};
    const Dataset empty{Matrix<float>::from_shape({0, 5}), {}};
    FitOptions options{.epochs = 1};
    options.verbose = false;
    REQUIRE_THROWS_WITH(fit(net, empty, SoftmaxCrossEntropy{}, opt, options),
                        Contains("fit: the training set is empty"));
    const Dataset one{inputs(2, 5), {0, 1}};
    options.validation = &empty;
    REQUIRE_THROWS_WITH(fit(net, one, SoftmaxCrossEntropy{}, opt, options),
                        Contains("fit: the validation set is empty"));
    CHECK(before.matches(net));
}

TEST_CASE("predict and train_step with the wrong feature count throw shape_error naming both counts",
          "[robustness][seq]") {
    Net net{Seed{3}};
    const Snapshot before(net);
    SGD opt;
    const Matrix<float> wide = inputs(4, 6);
    REQUIRE_THROWS_AS(net.predict(wide), shape_error);
    REQUIRE_THROWS_WITH(net.predict(wide), Contains("predict: the input has 6 features per sample, the network "
                                                    "takes 5 (input shape (5))"));
    const Matrix<float> narrow = inputs(4, 3);
    REQUIRE_THROWS_AS(net.train_step(narrow, std::vector<int>{0, 1, 2, 0}, SoftmaxCrossEntropy{}, opt), shape_error);
    REQUIRE_THROWS_WITH(net.train_step(narrow, std::vector<int>{0, 1, 2, 0}, SoftmaxCrossEntropy{}, opt),
                        Contains("train_step: the input has 3 features per sample, the network takes 5"));
    REQUIRE_THROWS_AS(net.forward(narrow, Mode::Eval), shape_error);
    CHECK(before.matches(net));
}

TEST_CASE("train_step with labels out of range or of the wrong count throws and does not update the parameters",
          "[robustness][seq]") {
    Net net{Seed{4}};
    Adam opt;
    const Matrix<float> x = inputs(3, 5);
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    REQUIRE_THROWS_WITH(net.train_step(x, std::vector<int>{0, 3, 1}, SoftmaxCrossEntropy{}, opt),
                        Contains("SoftmaxCrossEntropy: label 3 at position 1 is out of range; the network has 3 "
                                 "outputs (labels 0..2)"));
    REQUIRE_THROWS_WITH(net.train_step(x, std::vector<int>{0, -1, 1}, MulticlassHinge{}, opt),
                        Contains("MulticlassHinge: label -1 at position 1 is out of range"));
    REQUIRE_THROWS_WITH(net.train_step(x, std::vector<int>{0, 1}, SoftmaxCrossEntropy{}, opt),
                        Contains("SoftmaxCrossEntropy: 2 labels for a batch of 3 samples"));
    REQUIRE_THROWS_WITH(net.train_step(x, std::vector<int>{0, 1, 2, 0}, SoftmaxCrossEntropy{}, opt),
                        Contains("SoftmaxCrossEntropy: 4 labels for a batch of 3 samples"));
    CHECK(std::ranges::equal(net.parameters(), before));
    CHECK(opt.export_state().steps == 0);  // the optimizer never ran
    CHECK(net.train_steps() == 0);          // the labels were checked before the forward pass
}

namespace {
/// Softmax cross-entropy that returns NaN from its `bad`-th call on: a loss turning NaN mid-run.
struct TurnsNaN {
    int* calls;
    int bad;
    template <class T, std::size_t N, class Labels>
    T evaluate(BatchView<const T, N> outputs, const Labels& labels, BatchView<T, N> gradient) const {
        const T value = SoftmaxCrossEntropy{}.evaluate(outputs, labels, gradient);
        return ++*calls >= bad ? std::numeric_limits<T>::quiet_NaN() : value;
    }
};
}  // namespace

TEST_CASE("a loss that becomes NaN inside fit stops it with the epoch and batch; the last good parameters stay",
          "[robustness][fit]") {
    Dataset train{inputs(40, 5), std::vector<int>(40)};
    for (std::size_t i = 0; i < 40; ++i) train.y[i] = static_cast<int>(i % 3);
    Net net{Seed{5}};
    SGD opt{.lr = 0.05, .momentum = 0.9};
    int calls = 0;
    std::vector<float> parameters, buffers;
    FitOptions options{.epochs = 3, .batch_size = 8, .seed = 1};
    options.verbose = false;
    options.on_batch = [&](BatchEvent&) {
        parameters.assign(net.parameters().begin(), net.parameters().end());
        buffers.assign(net.buffers().begin(), net.buffers().end());
    };
    // 5 batches per epoch: the 8th call is epoch 2, batch 3.
    REQUIRE_THROWS_WITH(fit(net, train, TurnsNaN{&calls, 8}, opt, options),
                        Contains("fit: epoch 2, batch 3 of 5: train_step: the loss is nan") &&
                            Contains("the network keeps its parameters from before this batch"));
    REQUIRE(calls == 8);
    CHECK(std::ranges::equal(net.parameters(), parameters));
    CHECK(std::ranges::equal(net.buffers(), buffers));  // BatchNorm's running statistics put back too
}
