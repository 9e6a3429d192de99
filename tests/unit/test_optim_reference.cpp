// Ten steps of every optimizer against torch.optim in float64 (tests/data/optim_reference.txt, made
// by tests/tools/gen_optimizer_reference.py): same problem, same hyperparameters, parameters compared
// after every step.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

using Net = BasicSeq<double, Dense<3, 2, Zeros>>;

struct Reference {
    std::vector<double> x, weight, bias;
    std::vector<int> labels;
    std::map<std::string, std::vector<std::vector<double>>> cases;  // name -> parameters after each step
};

std::vector<double> numbers(std::istringstream& in) {
    std::vector<double> v;
    for (double d; in >> d;) v.push_back(d);
    return v;
}

Reference read_reference() {
    const auto path = std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "optim_reference.txt";
    std::ifstream file(path);
    REQUIRE(file.good());
    Reference ref;
    std::string line, current;
    while (std::getline(file, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "x") ref.x = numbers(in);
        else if (key == "weight") ref.weight = numbers(in);
        else if (key == "bias") ref.bias = numbers(in);
        else if (key == "labels") for (int l; in >> l;) ref.labels.push_back(l);
        else if (key == "case") in >> current, ref.cases[current];
        else if (key == "step") {
            int step = 0;
            in >> step;
            ref.cases[current].push_back(numbers(in));
        }
    }
    return ref;
}

/// Parameters in PyTorch's layout (weight (out, in) row-major, then bias), whatever Dense keeps in memory.
template <class N>
void set_torch_layout(N& net, const Reference& ref) {
    auto tensors = net.named_tensors();
    for (std::size_t o = 0; o < 2; ++o) {
        for (std::size_t i = 0; i < 3; ++i) tensors[0].at(o, i) = static_cast<typename N::scalar>(ref.weight[o * 3 + i]);
        tensors[1].at(o) = static_cast<typename N::scalar>(ref.bias[o]);
    }
}
template <class N>
std::vector<double> torch_layout(N& net) {
    auto tensors = net.named_tensors();
    std::vector<double> out;
    for (std::size_t o = 0; o < 2; ++o)
        for (std::size_t i = 0; i < 3; ++i) out.push_back(static_cast<double>(tensors[0].at(o, i)));
    for (std::size_t o = 0; o < 2; ++o) out.push_back(static_cast<double>(tensors[1].at(o)));
    return out;
}

template <class Optimizer>
std::vector<std::vector<double>> run(const Reference& ref, Optimizer opt, std::size_t steps) {
    Net net;
    set_torch_layout(net, ref);
    Matrix<double> x = Matrix<double>::from_shape({4, 3});
    std::ranges::copy(ref.x, x.begin());
    std::vector<std::vector<double>> trace;
    for (std::size_t s = 0; s < steps; ++s) {
        net.train_step(x, ref.labels, SoftmaxCrossEntropy{}, opt);
        trace.push_back(torch_layout(net));
    }
    return trace;
}

// The same configurations as CASES in the generator, by name.
const std::map<std::string, std::function<std::vector<std::vector<double>>(const Reference&)>> configurations{
    {"sgd_plain", [](const Reference& r) { return run(r, SGD{.lr = 0.1}, 10); }},
    {"sgd_momentum", [](const Reference& r) { return run(r, SGD{.lr = 0.1, .momentum = 0.9}, 10); }},
    {"sgd_nesterov_decay",
     [](const Reference& r) { return run(r, SGD{.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01}, 10); }},
    {"sgd_dampening",
     [](const Reference& r) { return run(r, SGD{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.05, .dampening = 0.5}, 10); }},
    {"sgd_l1", [](const Reference& r) { return run(r, SGD{.lr = 0.1, .l1 = 0.01}, 10); }},
    {"adagrad_default", [](const Reference& r) { return run(r, AdaGrad{}, 10); }},
    {"adagrad_options",
     [](const Reference& r) {
         return run(r, AdaGrad{.lr = 0.1, .lr_decay = 0.1, .weight_decay = 0.01, .initial_accumulator = 0.1}, 10);
     }},
    {"rmsprop_default", [](const Reference& r) { return run(r, RMSProp{}, 10); }},
    {"rmsprop_centered_momentum",
     [](const Reference& r) {
         return run(r, RMSProp{.lr = 0.01, .alpha = 0.9, .weight_decay = 0.01, .momentum = 0.9, .centered = true}, 10);
     }},
    {"adadelta_default", [](const Reference& r) { return run(r, AdaDelta{}, 10); }},
    {"adadelta_options",
     [](const Reference& r) { return run(r, AdaDelta{.lr = 0.5, .rho = 0.95, .eps = 1e-5, .weight_decay = 0.1}, 10); }},
    {"adam_default", [](const Reference& r) { return run(r, Adam{}, 10); }},
    {"adam_amsgrad_decay",
     [](const Reference& r) {
         return run(r, Adam{.lr = 0.01, .betas = {0.8, 0.99}, .weight_decay = 0.1, .amsgrad = true}, 10);
     }},
    {"adam_l1", [](const Reference& r) { return run(r, Adam{.lr = 0.01, .l1 = 0.01}, 10); }},
    {"adamw_default", [](const Reference& r) { return run(r, AdamW{}, 10); }},
    {"adamw_amsgrad", [](const Reference& r) { return run(r, AdamW{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}, 10); }},
};

}  // namespace

TEST_CASE("every optimizer matches torch.optim step by step in double", "[optim]") {
    const Reference ref = read_reference();
    REQUIRE(ref.x.size() == 12);
    REQUIRE(ref.cases.size() == configurations.size());
    for (const auto& [name, expected] : ref.cases) {
        INFO("case " << name);
        REQUIRE(configurations.contains(name));
        REQUIRE(expected.size() == 10);
        const auto actual = configurations.at(name)(ref);
        double worst = 0;
        for (std::size_t s = 0; s < expected.size(); ++s) {
            REQUIRE(expected[s].size() == actual[s].size());
            for (std::size_t i = 0; i < expected[s].size(); ++i) {
                // Relative to the distance travelled: parameters of ~0.5 that move by ~1e-2 (Adam's
                // default lr) would hide a wrong update behind a small relative error of the value.
                const double moved = std::abs(expected[s][i] - (i < 6 ? ref.weight[i] : ref.bias[i - 6]));
                const double err = std::abs(actual[s][i] - expected[s][i]) / std::max(moved, 1e-3);
                worst = std::max(worst, err);
            }
        }
        INFO("worst error relative to the distance moved: " << worst);
        CHECK(worst < 1e-9);
    }
}

TEST_CASE("optimizers step a float network with double state", "[optim]") {
    using NetF = Seq<Dense<3, 2, Zeros>>;
    const Reference ref = read_reference();
    NetF net;
    set_torch_layout(net, ref);
    Matrix<float> x = Matrix<float>::from_shape({4, 3});
    std::ranges::copy(ref.x, x.begin());
    Adam opt;
    for (int s = 0; s < 10; ++s) net.train_step(x, ref.labels, SoftmaxCrossEntropy{}, opt);
    const auto& expected = ref.cases.at("adam_default").back();
    const auto actual = torch_layout(net);
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(actual[i] == Approx(expected[i]).epsilon(1e-5));
    static_assert(std::is_same_v<decltype(opt.state.m)::value_type, double>);
}
