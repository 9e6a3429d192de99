// typenet against PyTorch: Conv2d geometries, BatchNorm2d, a CNN trained by SGD with momentum and a
// residual network, from tests/data/torch_conv_* (written by tests/tools/gen_conv_reference.py, which
// documents the keys). The weights enter through load_safetensors, so this is also the interop test.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"
#include "typenet/io/json_reader.hpp"
#include "typenet/io/read_file.hpp"

using namespace typenet;

namespace {

const std::string data_dir = std::string(TYPENET_TEST_DATA_DIR);

struct Tensor {
    std::vector<std::size_t> shape;
    std::vector<double> values;  // PyTorch's row-major order
};
using Tensors = std::map<std::string, Tensor>;

/// Every tensor of a safetensors file (F32, F64 or I64) as doubles; __metadata__ is skipped.
Tensors read_safetensors(const std::string& path) {
    const std::string bytes = io::read_file(path, "test_conv_reference");
    REQUIRE(bytes.size() >= 8);
    std::uint64_t header_size = 0;
    std::memcpy(&header_size, bytes.data(), 8);
    REQUIRE(header_size <= bytes.size() - 8);
    const io::JsonValue root = io::JsonReader(std::string_view(bytes).substr(8, header_size), path).parse();
    REQUIRE(root.object() != nullptr);
    const char* data = bytes.data() + 8 + header_size;
    Tensors out;
    for (const auto& [key, entry] : *root.object()) {
        if (key == "__metadata__") continue;
        const auto& e = *entry.object();
        Tensor t;
        std::size_t count = 1;
        for (const auto& d : *e.at("shape").array()) t.shape.push_back(*d.integer()), count *= *d.integer();
        const std::string dtype = *e.at("dtype").string();
        REQUIRE((dtype == "F32" || dtype == "F64" || dtype == "I64"));
        const std::size_t begin = *(*e.at("data_offsets").array())[0].integer();
        const std::size_t size = dtype == "F32" ? 4 : 8;
        REQUIRE(begin + count * size <= bytes.size() - 8 - header_size);
        for (std::size_t i = 0; i < count; ++i) {
            const char* at = data + begin + i * size;
            double v;
            if (dtype == "F32") { float f; std::memcpy(&f, at, 4); v = f; }
            else if (dtype == "F64") std::memcpy(&v, at, 8);
            else { std::int64_t n; std::memcpy(&n, at, 8); v = static_cast<double>(n); }
            t.values.push_back(v);
        }
        out[key] = std::move(t);
    }
    return out;
}

const Tensors& reference() {
    static const Tensors tensors = read_safetensors(data_dir + "/torch_conv_reference.safetensors");
    return tensors;
}
bool has(const std::string& key) { return reference().contains(key); }
const Tensor& get(const std::string& key) {
    INFO("reference tensor " << key);
    REQUIRE(has(key));
    return reference().at(key);
}

/// A (N, ...) reference tensor as the (N, rest) batch a network takes; the sample shape must be Net's.
template <class Net>
Matrix<typename Net::scalar> batch(const Tensor& t, bool input) {
    using S = typename Net::input_shape;
    const std::size_t width = input ? Net::input_size : Net::output_size;
    if (input && S::dims.size() > 1)
        REQUIRE(std::vector<std::size_t>(t.shape.begin() + 1, t.shape.end()) ==
                std::vector<std::size_t>(S::dims.begin(), S::dims.end()));
    REQUIRE(t.values.size() == t.shape.at(0) * width);
    Matrix<typename Net::scalar> m = Matrix<typename Net::scalar>::from_shape({t.shape[0], width});
    std::ranges::transform(t.values, m.begin(), [](double v) { return static_cast<typename Net::scalar>(v); });
    return m;
}

/// A tensor held in memory order as PyTorch's row-major (logical) order.
template <class T>
std::vector<double> logical(std::span<T> memory, const TensorInfo& info) {
    std::vector<double> out(info.size());
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = static_cast<double>(memory[info.offset(info.unflatten(k))]);
    return out;
}

/// |actual − reference| ≤ rtol·|reference| + floor·(largest |reference| of the tensor), element by element:
/// the floor covers elements small by cancellation, whose error scales with the tensor's terms.
struct Tolerance {
    double rtol, floor;
};
constexpr Tolerance float_tolerance{1e-5, 1e-6};
constexpr Tolerance double_tolerance{1e-12, 1e-13};
template <class T>
constexpr Tolerance tolerance = std::is_same_v<T, float> ? float_tolerance : double_tolerance;

template <class T>
void check_close(const std::string& what, std::span<const T> actual, const std::vector<double>& expected,
                 Tolerance tol) {
    REQUIRE(actual.size() == expected.size());
    double scale = 0, worst = 0;
    for (double r : expected) scale = std::max(scale, std::abs(r));
    std::size_t worst_at = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double error = std::abs(static_cast<double>(actual[i]) - expected[i]);
        const double allowed = tol.rtol * std::abs(expected[i]) + tol.floor * scale;
        const double ratio = error == 0 ? 0 : allowed == 0 ? HUGE_VAL : error / allowed;
        if (ratio > worst) worst = ratio, worst_at = i;
    }
    if (std::getenv("TYPENET_SHOW_ERRORS"))
        std::printf("%-48s %s error/allowed %.3g\n", what.c_str(), tol.rtol >= float_tolerance.rtol ? "float " : "double", worst);
    INFO(what << ": worst element " << worst_at << " is " << static_cast<double>(actual[worst_at]) << ", PyTorch "
              << expected[worst_at] << " (error / allowed = " << worst << ")");
    CHECK(worst <= 1.0);
}
template <class T>
void check_close(const std::string& what, const Matrix<T>& actual, const std::vector<double>& expected, Tolerance tol) {
    check_close(what, std::span<const T>(actual.data(), actual.size()), expected, tol);
}
template <class T>
void check_close(const std::string& what, const std::vector<T>& actual, const std::vector<double>& expected,
                 Tolerance tol) {
    check_close(what, std::span<const T>(actual), expected, tol);
}

std::string model_file(const std::string& name) { return data_dir + "/torch_conv_" + name + ".safetensors"; }

/// Replays the reference's train steps "<name>.step<k>" on Net loaded from torch_conv_<name>.safetensors
/// (forward, backward of the upstream gradient, every parameter gradient, every buffer after the step),
/// then its eval step "<name>.eval" if there is one. Fused stages, or every layer on its own.
template <class Net>
void replay(const std::string& name, bool fused) {
    using T = typename Net::scalar;
    constexpr Tolerance tol = tolerance<T>;
    INFO("case " << name << (fused ? ", fused" : ", layer by layer"));
    Net net{Seed{3}};
    net.set_fused(fused);
    net.load_safetensors(model_file(name));
    int steps = 0;
    for (int k = 1; has(name + ".step" + std::to_string(k) + ".x"); ++k, ++steps) {
        const std::string step = name + ".step" + std::to_string(k);
        INFO(step);
        const Matrix<T> x = batch<Net>(get(step + ".x"), true);
        net.zero_grad();
        const Matrix<T> y = net.forward(x, Mode::Train);
        check_close(step + " y", y, get(step + ".y").values, tol);
        check_close(step + " dx", net.backward(batch<Net>(get(step + ".upstream"), false)), get(step + ".dx").values,
                    tol);
        std::size_t tensors = 0;
        for (const auto& t : net.named_tensors()) {
            const std::string key = step + (t.is_buffer ? ".state." : ".grad.") + t.name;
            const auto actual = logical(t.is_buffer ? t.value : t.gradient, t.info);
            check_close(key, actual, get(key).values, tol);
            ++tensors;
        }
        // Every tensor PyTorch has, typenet has.
        const auto keys = std::ranges::count_if(reference(), [&](const auto& kv) {
            return kv.first.starts_with(step + ".grad.") || kv.first.starts_with(step + ".state.");
        });
        CHECK(static_cast<std::size_t>(keys) == tensors);
        if constexpr (Net::buffer_count == 0) {  // no running statistics: eval mode computes the same
            check_close(step + " predict", net.predict(x), get(step + ".y").values, tol);
        }
    }
    CHECK(steps > 0);
    if (has(name + ".eval.x")) {
        const Matrix<T> x = batch<Net>(get(name + ".eval.x"), true);
        check_close(name + ".eval predict", net.predict(x), get(name + ".eval.y").values, tol);
        check_close(name + ".eval forward(Eval)", net.forward(x, Mode::Eval), get(name + ".eval.y").values, tol);
    }
}

/// The case in float (Seq) and double (BasicSeq<double, ...>), fused and layer by layer.
template <class... Specs>
void check_case(const std::string& name) {
    for (bool fused : {true, false}) {
        replay<Seq<Specs...>>(name, fused);
        replay<BasicSeq<double, Specs...>>(name, fused);
    }
}

}  // namespace

TEST_CASE("Conv2D matches torch.nn.Conv2d: outputs, input, weight and bias gradients", "[conv2d][torch]") {
    check_case<Input<3, 7, 5>, Conv2D<3, 4, 3>>("conv_3x3_odd");
    check_case<Input<3, 9, 6>, Conv2D<3, 5, 3, Stride<2>, Padding<1>>>("conv_stride2_pad1");
    check_case<Input<2, 8, 7>, Conv2D<2, 3, 3, Padding<2>, Dilation<2>>>("conv_dilation2");
    check_case<Input<4, 6, 5>, Conv2D<4, 6, 3, Padding<1>, Groups<2>>>("conv_groups2");
    check_case<Input<4, 6, 6>, Conv2D<4, 4, 3, Padding<1>, Groups<4>>>("conv_depthwise");
    check_case<Input<3, 7, 7>, Conv2D<3, 6, 3, Stride<2>, Groups<3>>>("conv_depthwise_x2");
    check_case<Input<3, 7, 6>, Conv2D<3, 4, 5, Padding<2>, NoBias>>("conv_5x5_nobias");
    check_case<Input<5, 4, 3>, Conv2D<5, 3, 1>>("conv_1x1");
    check_case<Input<3, 6, 8>, Conv2D<3, 4, 2, Stride<2>>>("conv_2x2_stride2");
    check_case<Input<4, 9, 9>, Conv2D<4, 6, 3, Stride<2>, Padding<1>, Dilation<2>, Groups<2>, NoBias>>(
        "conv_all_options");
    check_case<Input<8, 6, 6>, Conv2D<8, 16, 3, Padding<1>>>("conv_wide");
}

TEST_CASE("BatchNorm on (C, H, W) matches torch.nn.BatchNorm2d in train and eval mode", "[batchnorm][torch]") {
    // Running statistics loaded off (0, 1) with num_batches_tracked = 2, momentum 0.2, eps 1e-3.
    check_case<Input<3, 5, 4>, BatchNormWith<0.2, 1e-3>>("bn2d");
    // After a convolution: the fused GEMM epilogue's moments, and dx through BatchNorm into Conv2D.
    check_case<Input<3, 6, 5>, Conv2D<3, 4, 3, Padding<1>, NoBias>, BatchNorm>("conv_bn");
}

namespace {

template <class T>
using CNN = BasicSeq<T, Input<1, 8, 8>, Conv2D<1, 4, 3, Padding<1>>, BatchNorm, ReLU, MaxPool2D<2>,
                     Conv2D<4, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU, Flatten, Dense<8 * 4 * 4, 10>>;

/// The two networks' named tensors (values, PyTorch order) are close, key by key.
template <class Actual, class Expected>
void check_same_state(const std::string& what, const Actual& actual, const Expected& expected, Tolerance tol) {
    const auto a = actual.named_tensors();
    const auto e = expected.named_tensors();
    REQUIRE(a.size() == e.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i].name == e[i].name);
        check_close(what + " " + a[i].name, logical(a[i].value, a[i].info), logical(e[i].value, e[i].info), tol);
    }
}

template <class T>
void train_cnn_like_torch(bool fused) {
    INFO((fused ? "fused" : "layer by layer"));
    CNN<T> net{Seed{1}};
    net.set_fused(fused);
    net.load_safetensors(model_file("cnn"));
    const Matrix<T> x = batch<CNN<T>>(get("cnn.x"), true);
    std::vector<int> labels;
    for (double l : get("cnn.labels").values) labels.push_back(static_cast<int>(l));
    // typenet's SGD is torch.optim.SGD's rule: v ← 0.9·v + g (v = g on the first step); θ ← θ − lr·v.
    // (SGD's fields are double: 0.05f would be another learning rate, 0.0500000007, visible in double.)
    SGD opt{.lr = 0.05, .momentum = 0.9};
    std::vector<T> losses;
    for (int step = 0; step < 5; ++step) losses.push_back(net.train_step(x, labels, SoftmaxCrossEntropy{}, opt));
    check_close("cnn loss per step", losses, get("cnn.loss").values, tolerance<T>);
    CNN<double> trained{Seed{1}};
    trained.load_safetensors(model_file("cnn_trained"));
    check_same_state("cnn after 5 steps", net, trained, tolerance<T>);
    CHECK(net.buffers().back() == 5);  // num_batches_tracked of the second BatchNorm
}

template <class T>
using ResNet = BasicSeq<T, Input<2, 8, 8>, Conv2D<2, 4, 3, Padding<1>>,
                        Residual<Conv2D<4, 4, 3, Padding<1>, NoBias>, BatchNorm, ReLU, Conv2D<4, 4, 3, Padding<1>, NoBias>,
                                 BatchNorm>,
                        ReLU,
                        ResidualWith<Shortcut<Conv2D<4, 8, 1, Stride<2>, NoBias>, BatchNorm>,
                                     Conv2D<4, 8, 3, Stride<2>, Padding<1>, NoBias>, BatchNorm, ReLU,
                                     Conv2D<8, 8, 3, Padding<1>, NoBias>, BatchNorm>,
                        ReLU, GlobalAvgPool2D, Flatten, Dense<8, 5>>;

template <class T>
void check_resnet() {
    ResNet<T> net{Seed{2}};
    net.load_safetensors(model_file("resnet"));
    check_close("resnet logits", net.predict(batch<ResNet<T>>(get("resnet.x"), true)), get("resnet.logits").values,
                tolerance<T>);

    // What typenet writes has PyTorch's keys, shapes and values, and loads back.
    const std::string path =
        (std::filesystem::temp_directory_path() / ("typenet_conv_resnet_" + std::to_string(sizeof(T)) + ".safetensors"))
            .string();
    net.save_safetensors(path);
    const Tensors ours = read_safetensors(path), theirs = read_safetensors(model_file("resnet"));
    std::vector<std::string> our_keys, their_keys;
    for (const auto& [key, t] : ours) our_keys.push_back(key);
    for (const auto& [key, t] : theirs) their_keys.push_back(key);
    CHECK(our_keys == their_keys);
    for (const auto& [key, t] : theirs) {
        INFO(key);
        REQUIRE(ours.contains(key));
        CHECK(ours.at(key).shape == t.shape);
        CHECK(ours.at(key).values == t.values);  // float32 values, exact in float and double
    }
    ResNet<T> again{Seed{9}};
    again.load_safetensors(path);
    CHECK(std::ranges::equal(net.parameters(), again.parameters()));
    CHECK(std::ranges::equal(net.buffers(), again.buffers()));
    std::remove(path.c_str());
}

}  // namespace

TEST_CASE("a CNN with BatchNorm2d and max pooling trains like PyTorch: 5 SGD steps with momentum 0.9",
          "[conv2d][torch][sgd]") {
    for (bool fused : {true, false}) {
        train_cnn_like_torch<float>(fused);
        train_cnn_like_torch<double>(fused);
    }
}

TEST_CASE("a residual network trained in PyTorch loads from safetensors and predicts the same logits",
          "[residual][torch][safetensors]") {
    check_resnet<float>();
    check_resnet<double>();
    // One train step from the loaded state, through the identity and the projection block.
    for (bool fused : {true, false}) {
        replay<ResNet<float>>("resnet", fused);
        replay<ResNet<double>>("resnet", fused);
    }
}
