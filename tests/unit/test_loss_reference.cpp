// Every loss against torch.nn.functional in float64 (tests/data/optim_loss_reference.txt, made by
// tests/tools/gen_optimizer_reference.py): value and gradient.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

struct LossCase {
    std::string name;
    std::size_t rows = 0, cols = 0;
    std::vector<double> outputs, targets, gradient;
    std::vector<int> labels;
    double value = 0;
};

std::vector<LossCase> read_cases() {
    const auto path =
        std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "optim_loss_reference.txt";
    std::ifstream file(path);
    REQUIRE(file.good());
    std::vector<LossCase> cases;
    std::string line;
    while (std::getline(file, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "loss") {
            cases.emplace_back();
            in >> cases.back().name;
            continue;
        }
        LossCase& c = cases.back();
        if (key == "outputs") in >> c.rows >> c.cols;
        if (key == "labels")
            for (int l; in >> l;) c.labels.push_back(l);
        std::vector<double>* into = key == "outputs"    ? &c.outputs
                                    : key == "targets"  ? &c.targets
                                    : key == "gradient" ? &c.gradient
                                                        : nullptr;
        if (key == "value") in >> c.value;
        if (into)
            for (double d; in >> d;) into->push_back(d);
    }
    return cases;
}

template <std::size_t N, class Loss>
void check_case(const LossCase& c, const Loss& loss) {
    INFO("case " << c.name);
    REQUIRE(c.cols == N);
    std::vector<double> gradient(c.outputs.size());
    const BatchView<const double, N> outputs{c.outputs.data(), c.rows};
    const BatchView<double, N> g{gradient.data(), c.rows};
    double value = 0;
    if (c.labels.empty()) {
        Matrix<double> targets = Matrix<double>::from_shape({c.rows, N});
        std::ranges::copy(c.targets, targets.begin());
        // A class-label loss refuses real-valued targets with a compile-time error; skip those cases.
        if constexpr (requires { loss.evaluate(outputs, targets, g); } && !refuses_targets<Loss, Matrix<double>, N>)
            value = loss.evaluate(outputs, targets, g);
    } else {
        if constexpr (requires { loss.evaluate(outputs, c.labels, g); }) value = loss.evaluate(outputs, c.labels, g);
    }
    CHECK(value == Approx(c.value).epsilon(1e-12));
    for (std::size_t i = 0; i < gradient.size(); ++i) CHECK(gradient[i] == Approx(c.gradient[i]).epsilon(1e-10).margin(1e-15));
}

}  // namespace

TEST_CASE("losses match torch.nn.functional in value and gradient", "[loss]") {
    const auto cases = read_cases();
    REQUIRE(cases.size() == 7);
    int checked = 0;
    for (const LossCase& c : cases) {
        if (c.name == "cross_entropy" || c.name == "cross_entropy_huge") check_case<4>(c, SoftmaxCrossEntropy{}), ++checked;
        if (c.name == "cross_entropy_smoothing") check_case<4>(c, SoftmaxCrossEntropy{.label_smoothing = 0.1}), ++checked;
        if (c.name == "multi_margin") check_case<4>(c, MulticlassHinge{.divide_by_classes = true}), ++checked;
        if (c.name == "mse") check_case<4>(c, MeanSquaredError{}), ++checked;
        if (c.name == "bce_logits" || c.name == "bce_logits_huge") check_case<4>(c, BinaryCrossEntropy{}), ++checked;
    }
    CHECK(checked == 7);
}
