#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

// ---- the PyTorch reference (tests/data/batchnorm_reference.txt, from tests/tools/gen_batchnorm_reference.py)

struct ReferenceStep {
    bool train = true;
    std::size_t rows = 0;
    std::map<std::string, std::vector<double>> values;
};

struct ReferenceCase {
    std::string name;
    std::size_t channels = 0, inner = 0;
    double momentum = 0, eps = 0;
    std::vector<double> weight, bias;
    std::vector<ReferenceStep> steps;
};

std::filesystem::path reference_path() {
#ifdef TYPENET_TEST_DATA_DIR
    return std::filesystem::path(TYPENET_TEST_DATA_DIR) / "batchnorm_reference.txt";
#else
    // Without the build's data directory, find it next to this file (tests/unit/../data).
    return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "batchnorm_reference.txt";
#endif
}

std::vector<double> numbers(std::istringstream& line) {
    std::vector<double> out;
    for (std::string token; line >> token;) out.push_back(std::stod(token));
    return out;
}

std::vector<ReferenceCase> read_reference() {
    std::ifstream in(reference_path());
    REQUIRE(in.good());
    std::vector<ReferenceCase> cases;
    for (std::string text; std::getline(in, text);) {
        std::istringstream line(text);
        std::string key;
        if (!(line >> key) || key.starts_with("#")) continue;
        if (key == "case") {
            ReferenceCase c;
            std::string label;
            line >> c.name >> label >> c.channels >> label >> c.inner >> label >> c.momentum >> label >> c.eps;
            cases.push_back(c);
        } else if (key == "end") {
            continue;
        } else {
            REQUIRE_FALSE(cases.empty());
            ReferenceCase& c = cases.back();
            if (key == "train" || key == "eval") {
                ReferenceStep step;
                step.train = key == "train";
                line >> step.rows;
                c.steps.push_back(step);
            } else if (key == "weight") {
                c.weight = numbers(line);
            } else if (key == "bias") {
                c.bias = numbers(line);
            } else {
                REQUIRE_FALSE(c.steps.empty());
                c.steps.back().values[key] = numbers(line);
            }
        }
    }
    return cases;
}

const ReferenceCase& find_case(const std::vector<ReferenceCase>& cases, const std::string& name) {
    const auto it = std::ranges::find(cases, name, &ReferenceCase::name);
    REQUIRE(it != cases.end());
    return *it;
}

/// Per element |actual − reference| ≤ rtol·|reference| + floor·(largest |reference| of the tensor): the
/// floor covers elements that are small by cancellation (dx), whose error scales with the tensor's terms.
template <class T>
void check_close(const std::string& what, std::span<const T> actual, const std::vector<double>& reference,
                 double rtol, double floor) {
    REQUIRE(actual.size() == reference.size());
    double scale = 0;
    for (double r : reference) scale = std::max(scale, std::abs(r));
    double worst = 0;
    std::size_t worst_at = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double error = std::abs(static_cast<double>(actual[i]) - reference[i]);
        const double allowed = rtol * std::abs(reference[i]) + floor * scale;
        const double ratio = error == 0 ? 0 : allowed == 0 ? HUGE_VAL : error / allowed;
        if (ratio > worst) worst = ratio, worst_at = i;
    }
    INFO(what << ": worst element " << worst_at << " is " << static_cast<double>(actual[worst_at]) << ", PyTorch "
              << reference[worst_at] << " (error / allowed = " << worst << ")");
    CHECK(worst <= 1.0);
}

template <class T>
void check_close(const std::string& what, const Matrix<T>& actual, const std::vector<double>& reference, double rtol,
                 double floor) {
    check_close(what, std::span<const T>(actual.data(), actual.size()), reference, rtol, floor);
}

template <class T>
Matrix<T> matrix(const std::vector<double>& values, std::size_t rows) {
    Matrix<T> m = Matrix<T>::from_shape({rows, values.size() / rows});
    std::ranges::transform(values, m.begin(), [](double v) { return static_cast<T>(v); });
    return m;
}

/// Replays a reference case on Net = BasicSeq<T, Input<...>, BatchNorm...> (BatchNorm is layer 1).
template <class Net>
void replay(const ReferenceCase& ref, double rtol, double floor) {
    using T = typename Net::scalar;
    using BN = std::remove_cvref_t<decltype(std::declval<Net&>().template layer<1>())>;
    INFO("case " << ref.name);
    REQUIRE(BN::channels == ref.channels);
    REQUIRE(BN::inner == ref.inner);
    REQUIRE(BN::momentum == ref.momentum);
    REQUIRE(BN::eps == ref.eps);

    Net net{Seed{5}};
    std::ranges::transform(ref.weight, net.parameters().begin(), [](double v) { return static_cast<T>(v); });
    std::ranges::transform(ref.bias, net.parameters().begin() + ref.channels, [](double v) { return static_cast<T>(v); });
    const std::size_t C = ref.channels;
    int step_number = 0;
    for (const ReferenceStep& step : ref.steps) {
        INFO("step " << ++step_number << (step.train ? " (train)" : " (eval)"));
        const auto& v = step.values;
        const Matrix<T> x = matrix<T>(v.at("x"), step.rows);
        if (!step.train) {
            check_close("predict y", net.predict(x), v.at("y"), rtol, floor);
            check_close("forward(Eval) y", net.forward(x, Mode::Eval), v.at("y"), rtol, floor);
            continue;
        }
        net.zero_grad();
        check_close("y", net.forward(x, Mode::Train), v.at("y"), rtol, floor);
        check_close("dx", net.backward(matrix<T>(v.at("upstream"), step.rows)), v.at("dx"), rtol, floor);
        const auto grads = net.gradients();
        check_close<T>("dweight", grads.subspan(0, C), v.at("dweight"), rtol, floor);
        check_close<T>("dbias", grads.subspan(C, C), v.at("dbias"), rtol, floor);
        const auto buffers = net.buffers();
        check_close<T>("running_mean", buffers.subspan(0, C), v.at("running_mean"), rtol, floor);
        check_close<T>("running_var", buffers.subspan(C, C), v.at("running_var"), rtol, floor);
        CHECK(buffers[2 * C] == v.at("num_batches_tracked").at(0));
    }
}

// Float: PyTorch's float64 result of float32 inputs against typenet's float computation; the worst
// element uses about a fifth of (1e-6, 1e-7), so this leaves room for other compilers' rounding.
constexpr double float_rtol = 2e-6, float_floor = 2e-7;
// Double: both sides compute in double; they differ in summation order and PyTorch's folded
// x·(γ/σ) + (β − μγ/σ), which leaves ~6e-14 on outputs near 0.66.
constexpr double double_rtol = 1e-12, double_floor = 1e-13;

/// Per channel: biased and unbiased variance and mean of a (rows, channels) batch, the textbook way.
struct Moments {
    std::vector<double> mean, biased, unbiased;
};
Moments moments(const Matrix<double>& x) {
    const std::size_t rows = x.shape(0), cols = x.shape(1);
    Moments m{std::vector<double>(cols), std::vector<double>(cols), std::vector<double>(cols)};
    for (std::size_t c = 0; c < cols; ++c) {
        for (std::size_t r = 0; r < rows; ++r) m.mean[c] += x(r, c) / static_cast<double>(rows);
        double ss = 0;
        for (std::size_t r = 0; r < rows; ++r) ss += (x(r, c) - m.mean[c]) * (x(r, c) - m.mean[c]);
        m.biased[c] = ss / static_cast<double>(rows);
        m.unbiased[c] = ss / static_cast<double>(rows - 1);
    }
    return m;
}

}  // namespace

TEST_CASE("BatchNorm passes the law suite", "[laws][batchnorm]") {
    // γ = 1 and β = 0 for every seed, as in PyTorch.
    testing::check_laws<Input<6>, BatchNorm>({.random_initialization = false});
}

TEST_CASE("BatchNorm after a Dense passes the law suite", "[laws][batchnorm][dense]") {
    // The input gradient of BatchNorm is only exercised through a layer before it (mlpack's BatchNorm
    // gradient bug went unnoticed without one). The Dense bias gradient is exactly zero in training:
    // batch normalization removes any per-feature shift.
    testing::check_laws<Dense<5, 7>, BatchNorm>({.zero_gradient_in_train = {"0.bias"}});
}

TEST_CASE("BatchNorm over (channels, length) samples passes the law suite", "[laws][batchnorm]") {
    testing::check_laws<Input<3, 4>, BatchNorm>({.random_initialization = false});
}

TEST_CASE("BatchNormWith<0.2, 1e-3> passes the law suite", "[laws][batchnorm]") {
    testing::check_laws<Input<4>, BatchNormWith<0.2, 1e-3>>({.random_initialization = false});
}

TEST_CASE("BatchNorm matches torch.nn.BatchNorm1d: outputs, gradients, running statistics", "[batchnorm][torch]") {
    const auto cases = read_reference();
    SECTION("float") {
        replay<Seq<Input<4>, BatchNorm>>(find_case(cases, "default"), float_rtol, float_floor);
        replay<Seq<Input<4>, BatchNormWith<0.2, 1e-3>>>(find_case(cases, "momentum_0.2_eps_1e-3"), float_rtol,
                                                         float_floor);
        replay<Seq<Input<3, 4>, BatchNorm>>(find_case(cases, "spatial"), float_rtol, float_floor);
    }
    SECTION("double") {
        replay<BasicSeq<double, Input<4>, BatchNorm>>(find_case(cases, "default"), double_rtol, double_floor);
        replay<BasicSeq<double, Input<4>, BatchNormWith<0.2, 1e-3>>>(find_case(cases, "momentum_0.2_eps_1e-3"),
                                                                      double_rtol, double_floor);
        replay<BasicSeq<double, Input<3, 4>, BatchNorm>>(find_case(cases, "spatial"), double_rtol, double_floor);
    }
}

TEST_CASE("BatchNorm normalizes with batch statistics in train mode and running statistics in eval mode",
          "[batchnorm]") {
    using Net = BasicSeq<double, Input<3>, BatchNorm>;
    const Matrix<double> x = testing::random_matrix(8, 3, 11, 0.5, 4.0) + 2.0;
    const Moments m = moments(x);

    Net net{Seed{1}};
    // Fresh running statistics are (0, 1): eval mode is x/√(1 + eps).
    const Matrix<double> before = net.forward(x, Mode::Eval);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(before.data()[i] == Approx(x.data()[i] / std::sqrt(1 + 1e-5)));
    CHECK(net.buffers()[6] == 0);  // eval forwards are not counted

    const Matrix<double> y = net.forward(x, Mode::Train);
    for (std::size_t c = 0; c < 3; ++c) {
        double mean = 0, var = 0;
        for (std::size_t r = 0; r < 8; ++r) mean += y(r, c) / 8;
        for (std::size_t r = 0; r < 8; ++r) var += (y(r, c) - mean) * (y(r, c) - mean) / 8;
        CHECK(mean == Approx(0).margin(1e-12));
        CHECK(var == Approx(m.biased[c] / (m.biased[c] + 1e-5)).epsilon(1e-12));  // biased variance normalizes
        CHECK(net.buffers()[c] == Approx(0.1 * m.mean[c]).epsilon(1e-12));
        CHECK(net.buffers()[3 + c] == Approx(0.9 + 0.1 * m.unbiased[c]).epsilon(1e-12));  // unbiased is tracked
    }
    CHECK(net.buffers()[6] == 1);

    const Matrix<double> eval = net.forward(x, Mode::Eval);
    for (std::size_t r = 0; r < 8; ++r)
        for (std::size_t c = 0; c < 3; ++c)
            CHECK(eval(r, c) ==
                  Approx((x(r, c) - 0.1 * m.mean[c]) / std::sqrt(0.9 + 0.1 * m.unbiased[c] + 1e-5)).epsilon(1e-12));
    CHECK(net.buffers()[6] == 1);
}

TEST_CASE("BatchNorm running statistics after k train steps follow the momentum recursion", "[batchnorm]") {
    using Net = BasicSeq<double, Input<2>, BatchNorm>;
    Net net{Seed{1}};
    std::vector<double> mean(2, 0.0), var(2, 1.0);
    for (std::uint64_t k = 1; k <= 4; ++k) {
        const Matrix<double> x = testing::random_matrix(3 + k, 2, 20 + k, 0.1, 3.0) * static_cast<double>(k);
        net.forward(x, Mode::Train);
        const Moments m = moments(x);
        for (std::size_t c = 0; c < 2; ++c) {
            mean[c] = 0.9 * mean[c] + 0.1 * m.mean[c];
            var[c] = 0.9 * var[c] + 0.1 * m.unbiased[c];
            CHECK(net.buffers()[c] == Approx(mean[c]).epsilon(1e-12));
            CHECK(net.buffers()[2 + c] == Approx(var[c]).epsilon(1e-12));
        }
        CHECK(net.buffers()[4] == static_cast<double>(k));
    }
}

TEST_CASE("BatchNormWith<0.2, 1e-3> uses its momentum and eps", "[batchnorm]") {
    const Matrix<double> x = testing::random_matrix(5, 2, 31, 0.2, 2.0);
    const Moments m = moments(x);
    BasicSeq<double, Input<2>, BatchNormWith<0.2, 1e-3>> custom{Seed{1}};
    BasicSeq<double, Input<2>, BatchNorm> standard{Seed{1}};
    const Matrix<double> yc = custom.forward(x, Mode::Train), ys = standard.forward(x, Mode::Train);
    for (std::size_t c = 0; c < 2; ++c) {
        CHECK(custom.buffers()[c] == Approx(0.2 * m.mean[c]).epsilon(1e-12));
        CHECK(custom.buffers()[2 + c] == Approx(0.8 + 0.2 * m.unbiased[c]).epsilon(1e-12));
        CHECK(custom.buffers()[c] != Approx(standard.buffers()[c]).epsilon(1e-6));
        for (std::size_t r = 0; r < 5; ++r) {
            CHECK(yc(r, c) == Approx((x(r, c) - m.mean[c]) / std::sqrt(m.biased[c] + 1e-3)).epsilon(1e-12));
            CHECK(yc(r, c) != Approx(ys(r, c)).epsilon(1e-6));
        }
    }
    const Matrix<double> eval = custom.predict(x);
    for (std::size_t c = 0; c < 2; ++c)
        CHECK(eval(0, c) ==
              Approx((x(0, c) - 0.2 * m.mean[c]) / std::sqrt(0.8 + 0.2 * m.unbiased[c] + 1e-3)).epsilon(1e-12));
}

TEST_CASE("BatchNorm refuses a batch of one sample in train mode", "[batchnorm]") {
    Seq<Dense<3, 4>, BatchNorm> net{Seed{1}};
    const Matrix<float> one = {{1.0f, 2.0f, 3.0f}};
    CHECK_THROWS_AS(net.forward(one, Mode::Train), typenet::error);
    CHECK_THROWS_WITH(net.forward(one, Mode::Train),
                      Catch::Contains("BatchNorm (layer 1)") && Catch::Contains("more than 1 value per channel"));
    // The failed call changed no statistics.
    CHECK(net.buffers()[8] == 0.0f);
    CHECK(std::ranges::all_of(net.buffers().subspan(0, 4), [](float v) { return v == 0.0f; }));
    // One sample is fine for inference, and a train batch of 2 is fine.
    CHECK_NOTHROW(net.forward(one, Mode::Eval));
    CHECK_NOTHROW(net.predict(std::array<float, 3>{1, 2, 3}));
    CHECK_NOTHROW(net.forward(Matrix<float>{{1, 2, 3}, {3, 2, 1}}, Mode::Train));
    CHECK(net.buffers()[8] == 1.0f);
    // A backward without the statistics of a train forward of that batch is refused, not made up.
    CHECK_THROWS_AS(net.forward(one, Mode::Train), typenet::error);
    CHECK_THROWS_WITH(net.backward(Matrix<float>{{1, 1, 1, 1}}), Catch::Contains("BatchNorm (layer 1)"));
}

TEST_CASE("BatchNorm keeps PyTorch's state_dict keys and shapes", "[batchnorm]") {
    BasicSeq<double, Dense<3, 4>, BatchNorm> net{Seed{1}};
    STATIC_REQUIRE(decltype(net)::parameter_count == 3 * 4 + 4 + 2 * 4);
    STATIC_REQUIRE(decltype(net)::buffer_count == 2 * 4 + 1);
    const auto named = net.named_tensors();
    std::vector<std::string> names;
    for (const auto& t : named) names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                            "1.running_var", "1.num_batches_tracked"});
    CHECK(std::ranges::all_of(named[2].value, [](double v) { return v == 1.0; }));
    CHECK(std::ranges::all_of(named[3].value, [](double v) { return v == 0.0; }));
    CHECK(std::ranges::all_of(named[4].value, [](double v) { return v == 0.0; }));
    CHECK(std::ranges::all_of(named[5].value, [](double v) { return v == 1.0; }));
    CHECK(named[6].value.size() == 1);
    CHECK(named[4].is_buffer);
    CHECK_FALSE(named[2].is_buffer);
}

TEST_CASE("BatchNorm names and fusion kind", "[batchnorm]") {
    using Default = BatchNorm::bind<float, Shape<8>>;
    using Custom = BatchNormWith<0.2, 1e-3>::bind<float, Shape<8>>;
    STATIC_REQUIRE(std::is_same_v<BatchNorm, BatchNormWith<0.1, 1e-5>>);
    STATIC_REQUIRE(std::is_same_v<Default::fusion_kind, fusion::barrier>);
    CHECK(Default::name() == "BatchNorm");
    CHECK(Custom::name() == "BatchNorm(momentum=0.2, eps=0.001)");
    CHECK(Seq<Dense<4, 8>, BatchNorm>::summary().find("BatchNorm") != std::string::npos);
}
