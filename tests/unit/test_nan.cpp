// NaN and infinity (issue #13): every activation maps them as PyTorch does on every code path (scalar,
// SIMD, the layer alone, fused in a Dense epilogue and backward prologue, unfused); train_step refuses
// a non-finite batch or loss and changes nothing; save, save_safetensors and export_header refuse a
// network holding one and write nothing.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr double Inf = std::numeric_limits<double>::infinity();

/// Sample width: two registers of floats for the widest SIMD and a remainder, so every special value
/// meets the SIMD body and the scalar tail.
constexpr std::size_t W = 37;

/// Sample r of the probe batch: NaN, −NaN, ±inf at the start (SIMD body) and at the end (scalar tail),
/// finite values between.
std::vector<double> probe_row(std::size_t r) {
    std::vector<double> v(W);
    for (std::size_t c = 0; c < W; ++c) v[c] = (static_cast<double>(c) - 18.0) * 0.3 + 0.1 * static_cast<double>(r);
    const double special[] = {NaN, -NaN, Inf, -Inf};
    for (std::size_t k = 0; k < 4; ++k) {
        v[(k + r) % 4] = special[k];
        v[W - 1 - (k + r) % 4] = special[k];
    }
    return v;
}
constexpr std::size_t probe_rows = 3;

template <class T>
Matrix<T> probe_batch() {
    Matrix<T> x = Matrix<T>::from_shape({probe_rows, W});
    for (std::size_t r = 0; r < probe_rows; ++r) {
        const auto v = probe_row(r);
        for (std::size_t c = 0; c < W; ++c) x(r, c) = static_cast<T>(v[c]);
    }
    return x;
}

/// PyTorch's value and gradient for x, in double, from <cmath> (not from typenet).
struct Reference {
    double (*value)(double);
    double (*slope)(double);  // dy/dx as PyTorch's backward gives it
};

constexpr double leaky = 0.2, elu_alpha = 0.5, prelu_init = 0.25;
const Reference relu{[](double x) { return std::isnan(x) ? x : std::max(0.0, x); },
                     [](double x) { return x <= 0 ? 0.0 : 1.0; }};  // threshold_backward
const Reference leaky_relu{[](double x) { return x > 0 ? x : leaky * x; },
                           [](double x) { return x > 0 ? 1.0 : leaky; }};
const Reference prelu{[](double x) { return x > 0 ? x : prelu_init * x; },
                      [](double x) { return x > 0 ? 1.0 : prelu_init; }};
const Reference elu{[](double x) { return x > 0 || std::isnan(x) ? x : elu_alpha * std::expm1(x); },
                    [](double x) { return x <= 0 ? elu_alpha * std::exp(x) : 1.0; }};  // elu_backward
const Reference sigmoid{[](double x) { return 1.0 / (1.0 + std::exp(-x)); },
                        [](double x) { const double s = 1.0 / (1.0 + std::exp(-x)); return s * (1.0 - s); }};
const Reference tanh_ref{[](double x) { return std::tanh(x); },
                         [](double x) { const double t = std::tanh(x); return 1.0 - t * t; }};
const Reference scaled_tanh{[](double x) { return 1.7159 * std::tanh(2.0 / 3.0 * x); },
                            [](double x) {
                                const double t = std::tanh(2.0 / 3.0 * x);
                                return 1.7159 * 2.0 / 3.0 * (1.0 - t * t);
                            }};

/// Both NaN, or equal to a float's precision.
bool same(double got, double expected) {
    if (std::isnan(expected)) return std::isnan(got);
    if (std::isinf(expected)) return got == expected;
    return std::abs(got - expected) <= 2e-6 * std::max(1.0, std::abs(expected));
}

#define CHECK_SAME(got, expected, where)                                                         \
    do {                                                                                         \
        const double g_ = static_cast<double>(got), e_ = (expected);                              \
        INFO(where << ": got " << g_ << ", PyTorch gives " << e_);                               \
        CHECK(same(g_, e_));                                                                     \
    } while (0)

/// F::apply and F::derivative on scalars and on SIMD registers of T.
template <class F, class T>
void check_function(const Reference& ref) {
    using B = simd::batch<T>;
    constexpr std::size_t lanes = simd::lanes<T>;
    const auto x = probe_batch<T>();
    for (std::size_t start = 0; start + lanes <= x.size(); start += lanes) {
        std::array<T, lanes> y{}, d{};
        const B v = B::load_unaligned(x.data() + start);
        const B out = F::apply(v);
        out.store_unaligned(y.data());
        F::derivative(v, out).store_unaligned(d.data());
        for (std::size_t i = 0; i < lanes; ++i) {
            const T in = x.data()[start + i];
            CHECK_SAME(y[i], ref.value(double(in)), F::name() << " SIMD at x = " << in);
            CHECK_SAME(F::apply(in), ref.value(double(in)), F::name() << " scalar at x = " << in);
            CHECK_SAME(d[i], ref.slope(double(in)), F::name() << "' SIMD at x = " << in);
            CHECK_SAME(F::derivative(in, F::apply(in)), ref.slope(double(in)), F::name() << "' scalar at x = " << in);
        }
    }
}

/// The layer alone (Input<W>, A) and fused after a Dense whose bias holds the probe values (weights 0,
/// so the GEMM epilogue sees exactly them), in inference, in training fused and unfused, one sample
/// and a batch; the backward gives dL/dx (alone) and dL/d bias (fused: the backward prologue).
template <class A>
void check_layer(const Reference& ref, bool fuses = true) {
    const Matrix<float> x = probe_batch<float>();
    const Matrix<float> ones = xt::ones<float>({probe_rows, W});
    Seq<Input<W>, A> alone;
    Seq<Dense<W, W>, A> fused{Seed{1}};
    const std::string name = A::template bind<float, Shape<W>>::name();
    // PReLU, with its slopes, runs as its own stage.
    REQUIRE(Contains(fuses ? "[Dense<37, 37, He> " + name + "]" : "[Dense<37, 37, He>] [" + name + "]")
                .match(fused.fusion_plan()));
    const std::span<float> weights = fused.named_tensors()[0].value;
    std::fill(weights.begin(), weights.end(), 0.0f);
    for (std::size_t r = 0; r < probe_rows; ++r) {
        const auto row = probe_row(r);
        std::array<float, W> sample;
        for (std::size_t c = 0; c < W; ++c) sample[c] = static_cast<float>(row[c]);
        const auto one = alone.predict(sample);
        for (std::size_t c = 0; c < W; ++c) CHECK_SAME(one[c], ref.value(row[c]), "predict(sample) at " << row[c]);
    }
    for (const bool use_fused : {true, false}) {
        alone.set_fused(use_fused);
        fused.set_fused(use_fused);
        const std::string path = use_fused ? "fused" : "unfused";
        const Matrix<float> y_alone = alone.predict(x);
        const Matrix<float> y_train = alone.forward(x, Mode::Train);
        const Matrix<float> dx = alone.backward(ones);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double in = x.data()[i];
            CHECK_SAME(y_alone.data()[i], ref.value(in), path << " predict at x = " << in);
            CHECK_SAME(y_train.data()[i], ref.value(in), path << " forward at x = " << in);
            CHECK_SAME(dx.data()[i], ref.slope(in), path << " backward at x = " << in);
        }
        // One sample at a time: the bias is one row of the probe batch.
        for (std::size_t r = 0; r < probe_rows; ++r) {
            const auto row = probe_row(r);
            auto bias = fused.named_tensors()[1].value;
            for (std::size_t c = 0; c < W; ++c) bias[c] = static_cast<float>(row[c]);
            const Matrix<float> input = xt::ones<float>({std::size_t{2}, W});
            const Matrix<float> y = fused.predict(input);
            const Matrix<float> y_train_fused = fused.forward(input, Mode::Train);
            fused.zero_grad();
            fused.backward(xt::ones<float>({std::size_t{2}, W}));
            const auto bias_gradient = fused.named_tensors()[1].gradient;
            for (std::size_t c = 0; c < W; ++c) {
                CHECK_SAME(y(1, c), ref.value(row[c]), path << " Dense+" << name << " predict at bias = " << row[c]);
                CHECK_SAME(y_train_fused(1, c), ref.value(row[c]), path << " Dense+" << name << " forward at bias = " << row[c]);
                CHECK_SAME(bias_gradient[c], 2.0 * ref.slope(row[c]), path << " Dense+" << name << " backward at bias = " << row[c]);
            }
        }
    }
}

}  // namespace

TEST_CASE("activation functions map NaN and ±inf as PyTorch, on scalars and SIMD registers", "[nan][activations]") {
    check_function<ReLU, float>(relu);
    check_function<ReLU, double>(relu);
    check_function<LeakyReLU<0.2>, float>(leaky_relu);
    check_function<LeakyReLU<0.2>, double>(leaky_relu);
    check_function<ELU<0.5>, float>(elu);
    check_function<ELU<0.5>, double>(elu);
    check_function<Sigmoid, float>(sigmoid);
    check_function<Sigmoid, double>(sigmoid);
    check_function<Tanh, float>(tanh_ref);
    check_function<Tanh, double>(tanh_ref);
    check_function<ScaledTanh, float>(scaled_tanh);
    check_function<ScaledTanh, double>(scaled_tanh);
    // Issue #13's report: Seq<Input<4>, Tanh> predicted -1 -1 1 -1.
    Seq<Input<4>, Tanh> net;
    const auto y = net.predict(std::array<float, 4>{float(NaN), float(-NaN), float(Inf), float(-Inf)});
    CHECK(std::isnan(y[0]));
    CHECK(std::isnan(y[1]));
    CHECK(y[2] == 1.0f);
    CHECK(y[3] == -1.0f);
}

TEST_CASE("NaN through ReLU alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<ReLU>(relu);
}
TEST_CASE("NaN through LeakyReLU alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<LeakyReLU<0.2>>(leaky_relu);
}
TEST_CASE("NaN through PReLU alone, after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<PReLU>(prelu, false);
}
TEST_CASE("NaN through ELU alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<ELU<0.5>>(elu);
}
TEST_CASE("NaN through Sigmoid alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<Sigmoid>(sigmoid);
}
TEST_CASE("NaN through Tanh alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<Tanh>(tanh_ref);
}
TEST_CASE("NaN through ScaledTanh alone, fused after Dense, and unfused", "[nan][activations][fusion]") {
    check_layer<ScaledTanh>(scaled_tanh);
}

TEST_CASE("NaN through Maxout and Softmax as torch.max and torch.softmax", "[nan][activations]") {
    const Matrix<float> x = probe_batch<float>();
    for (const bool use_fused : {true, false}) {
        INFO((use_fused ? "fused" : "unfused"));
        Seq<Input<W>, Softmax> softmax;
        softmax.set_fused(use_fused);
        for (const Matrix<float>& y : {softmax.predict(x), softmax.forward(x, Mode::Train)})
            for (std::size_t i = 0; i < y.size(); ++i) CHECK(std::isnan(y.data()[i]));  // each row has NaN
        Matrix<float> minus_inf = xt::zeros<float>({std::size_t{1}, W});
        minus_inf(0, 3) = -float(Inf);
        minus_inf(0, 5) = 1.0f;
        const double total = (W - 2) * 1.0 + std::exp(1.0);  // e^0 for the zeros, e^1, e^-Inf = 0
        const Matrix<float> y = softmax.predict(minus_inf);
        CHECK(y(0, 3) == 0.0f);
        CHECK_SAME(y(0, 5), std::exp(1.0) / total, "softmax with -inf");
        Matrix<float> plus_inf = minus_inf;
        plus_inf(0, 3) = float(Inf);  // Inf - Inf in the shifted exponent: NaN everywhere, as torch
        for (const float v : softmax.predict(plus_inf)) CHECK(std::isnan(v));

        Seq<Input<2 * W>, Maxout<2>> maxout;
        maxout.set_fused(use_fused);
        Matrix<float> pairs = Matrix<float>::from_shape({probe_rows, 2 * W});
        for (std::size_t i = 0; i < x.size(); ++i) {
            pairs.data()[2 * i] = x.data()[i];
            pairs.data()[2 * i + 1] = x.data()[x.size() - 1 - i];
        }
        const Matrix<float> m = maxout.predict(pairs);
        for (std::size_t i = 0; i < m.size(); ++i) {
            const double a = pairs.data()[2 * i], b = pairs.data()[2 * i + 1];
            CHECK_SAME(m.data()[i], std::isnan(a) || std::isnan(b) ? NaN : std::max(a, b), "maxout of " << a << ", " << b);
        }
    }
}

namespace {
using Card = Seq<Dense<6, 8>, BatchNorm, ReLU, Dense<8, 3>>;

Matrix<float> inputs(std::size_t rows) {
    Matrix<float> x = Matrix<float>::from_shape({rows, Card::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)));
    return x;
}

/// What a refused step must leave as it was: parameters, optimizer state, running statistics, steps.
struct State {
    std::vector<float> parameters, buffers;
    OptimizerState optimizer;
    std::uint64_t steps;
    State(const Card& net, const Adam& opt)
        : parameters(net.parameters().begin(), net.parameters().end()),
          buffers(net.buffers().begin(), net.buffers().end()),
          optimizer(opt.export_state()),
          steps(net.train_steps()) {}
};
/// Bit for bit, so that a NaN equals itself.
bool identical(std::span<const float> a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
void check_unchanged(const State& before, const Card& net, const Adam& opt) {
    CHECK(identical(net.parameters(), before.parameters));
    CHECK(identical(net.buffers(), before.buffers));  // BatchNorm's running statistics
    CHECK(net.train_steps() == before.steps);
    const OptimizerState now = opt.export_state();
    CHECK(now.steps == before.optimizer.steps);
    CHECK(now.vectors == before.optimizer.vectors);
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("typenet_nan_" + name)).string();
}
std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("train_step refuses a NaN or infinite input before the forward pass, and changes nothing",
          "[nan][train_step]") {
    Card net{Seed{3}};
    Adam opt{.lr = 0.01};
    const std::vector<int> labels{0, 1, 2, 1};
    net.train_step(inputs(4), labels, SoftmaxCrossEntropy{}, opt);  // non-trivial state to keep
    const State before(net, opt);
    Matrix<float> x = inputs(4);
    x(1, 2) = float(NaN);
    REQUIRE_THROWS_WITH(net.train_step(x, labels, SoftmaxCrossEntropy{}, opt),
                        Contains("train_step: NaN in x at row 1, column 2"));
    check_unchanged(before, net, opt);
    x(1, 2) = 0.0f;
    x(3, 5) = -float(Inf);
    REQUIRE_THROWS_WITH(net.train_step(x, labels, SoftmaxCrossEntropy{}, opt),
                        Contains("train_step: infinite value in x at row 3, column 5"));
    check_unchanged(before, net, opt);
    x(3, 5) = 0.0f;
    net.train_step(x, labels, SoftmaxCrossEntropy{}, opt);  // and it trains on afterwards
    CHECK(net.train_steps() == before.steps + 1);
}

TEST_CASE("train_step refuses a non-finite loss before backward and the update, and changes nothing",
          "[nan][train_step]") {
    Card net{Seed{4}};
    Adam opt{.lr = 0.01};
    net.train_step(inputs(4), std::vector<int>{0, 1, 2, 1}, SoftmaxCrossEntropy{}, opt);
    const State before(net, opt);
    SECTION("finite outputs, infinite loss (the squares overflow)") {
        const Matrix<float> targets = xt::full_like(Matrix<float>::from_shape({4, 3}), 1e30f);
        REQUIRE_THROWS_WITH(net.train_step(inputs(4), targets, MeanSquaredError{}, opt),
                            Contains("train_step: the loss is inf"));
        check_unchanged(before, net, opt);
    }
    SECTION("NaN outputs (a NaN weight): the loss refuses them, the forward pass is undone") {
        net.parameters()[Card::parameter_count - 1] = float(NaN);  // the last bias: output 2 of every row
        const State poisoned(net, opt);
        REQUIRE_THROWS_WITH(net.train_step(inputs(4), std::vector<int>{0, 1, 2, 1}, SoftmaxCrossEntropy{}, opt),
                            Contains("NaN in the network output at row 0, column 2"));
        check_unchanged(poisoned, net, opt);
    }
}

TEST_CASE("fit stops at a batch that augment made NaN; the network keeps its state from before it",
          "[nan][fit]") {
    Dataset train{inputs(24), std::vector<int>(24)};
    for (std::size_t i = 0; i < 24; ++i) train.y[i] = static_cast<int>(i % 3);
    Card net{Seed{5}};
    Adam opt{.lr = 0.01};
    std::vector<float> parameters, buffers;
    FitOptions options{.epochs = 2, .batch_size = 8, .seed = 1};
    options.verbose = false;
    options.augment = [](AugmentBatch& b) {
        if (b.epoch == 2 && b.batch == 2) b.x(4, 1) = std::numeric_limits<float>::quiet_NaN();
    };
    options.on_batch = [&](BatchEvent&) {
        parameters.assign(net.parameters().begin(), net.parameters().end());
        buffers.assign(net.buffers().begin(), net.buffers().end());
    };
    REQUIRE_THROWS_WITH(fit(net, train, SoftmaxCrossEntropy{}, opt, options),
                        Contains("fit: epoch 2, batch 2 of 3: train_step: NaN in x at row 4, column 1"));
    CHECK(net.train_steps() == 4);  // 3 batches of epoch 1, 1 of epoch 2
    CHECK(opt.export_state().steps == 4);
    CHECK(std::ranges::equal(net.parameters(), parameters));
    CHECK(std::ranges::equal(net.buffers(), buffers));
}

TEST_CASE("save, save_safetensors, save_checkpoint and export_header refuse NaN and inf and write nothing",
          "[nan][io]") {
    const std::string native = temp_path("m.tnet"), safetensors = temp_path("m.safetensors"),
                      checkpoint = temp_path("c.tnet"), header = temp_path("m.hpp");
    Card good{Seed{6}};
    Adam opt;
    good.train_step(inputs(4), std::vector<int>{0, 1, 2, 1}, SoftmaxCrossEntropy{}, opt);
    good.save(native);
    good.save_safetensors(safetensors);
    const std::string native_bytes = contents(native), safetensors_bytes = contents(safetensors);
    std::filesystem::remove(checkpoint);
    std::filesystem::remove(header);

    // Parameters: 0.weight (48), 0.bias (8), 1.weight (8), 1.bias (8), 3.weight (24): index 75 is
    // 3.weight, stored transposed (in, out) = (8, 3): memory element 3 is input 1, output 0, PyTorch [0, 1].
    Card bad = good;
    bad.parameters()[75] = float(NaN);
    const std::string where = "NaN in the parameters at index 75 (tensor \"3.weight\" at [0, 1]); nothing was written";
    CHECK_THROWS_WITH(bad.save(native), Contains("save: " + native + ": " + where));
    CHECK_THROWS_WITH(bad.save_safetensors(safetensors), Contains("save_safetensors: " + safetensors + ": " + where));
    CHECK_THROWS_WITH(bad.save(checkpoint, opt), Contains("save_checkpoint: " + checkpoint + ": " + where));
    CHECK_THROWS_WITH(export_header(bad, header, "model"), Contains("export_header: " + header + ": " + where));
    bad = good;
    bad.buffers()[9] = -float(Inf);  // 1.running_mean (8), 1.running_var (8): index 9 is running_var[1]
    CHECK_THROWS_WITH(bad.save(native), Contains("infinite value in the buffers at index 9 (tensor \"1.running_var\" at [1])"));
    CHECK_THROWS_WITH(bad.save_safetensors(safetensors), Contains("infinite value in the buffers at index 9"));
    CHECK_THROWS_WITH(export_header(bad, header, "model"), Contains("infinite value in the buffers at index 9"));

    // An optimizer state that load_checkpoint would refuse is not written either.
    OptimizerState state = opt.export_state();
    state.vectors[0][2] = NaN;
    Adam bad_opt;
    bad_opt.import_state(state);
    CHECK_THROWS_WITH(good.save(checkpoint, bad_opt),
                      Contains("NaN in the Adam state vector m at index 2") && Contains("nothing was written"));

    CHECK(contents(native) == native_bytes);  // the existing files are untouched
    CHECK(contents(safetensors) == safetensors_bytes);
    CHECK_FALSE(std::filesystem::exists(checkpoint));  // and no new file was created
    CHECK_FALSE(std::filesystem::exists(header));
    std::filesystem::remove(native);
    std::filesystem::remove(safetensors);
}
