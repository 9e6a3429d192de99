#include <cmath>
#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// One case of tests/data/torch_pool_reference.txt (tests/tools/gen_pool_reference.py).
struct TorchCase {
    std::string header;
    std::map<std::string, std::vector<double>> tensors;
};

std::map<std::string, TorchCase> read_cases() {
    std::ifstream in(std::string(TYPENET_TEST_DATA_DIR) + "/torch_pool_reference.txt");
    REQUIRE(in.good());
    std::map<std::string, TorchCase> cases;
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line == "end") continue;
        std::istringstream words(line);
        std::string key;
        words >> key;
        if (key == "case") {
            words >> current;
            cases[current].header = line;
            continue;
        }
        std::vector<double>& values = cases[current].tensors[key];
        for (double v; words >> v;) values.push_back(v);
    }
    return cases;
}

/// Runs Seq<Input<C, H, W>, Spec> in float on the case's input: y in train and eval mode, and dx for the
/// case's upstream gradient, all in PyTorch's (N, C, H, W) order at the network's boundary.
template <class Spec, std::size_t N, std::size_t C, std::size_t H, std::size_t W>
void check_case(const std::map<std::string, TorchCase>& cases, const std::string& name, const std::string& geometry) {
    INFO("case " << name);
    REQUIRE(cases.count(name) == 1);
    const TorchCase& c = cases.at(name);
    // The C++ geometry must be the one the generator used.
    REQUIRE(c.header.find(" N " + std::to_string(N) + " C " + std::to_string(C) + " H " + std::to_string(H) + " W " +
                          std::to_string(W) + " " + geometry) != std::string::npos);
    using Net = Seq<Input<C, H, W>, Spec>;
    const auto matrix = [](const std::vector<double>& v, std::size_t cols) {
        REQUIRE(v.size() == N * cols);
        Matrix<float> m = Matrix<float>::from_shape({N, cols});
        for (std::size_t i = 0; i < v.size(); ++i) m.data()[i] = static_cast<float>(v[i]);
        return m;
    };
    const Matrix<float> x = matrix(c.tensors.at("x"), Net::input_size);
    const Matrix<float> upstream = matrix(c.tensors.at("upstream"), Net::output_size);
    const std::vector<double>& y = c.tensors.at("y");
    const std::vector<double>& dx = c.tensors.at("dx");
    const auto check = [](const Matrix<float>& got, const std::vector<double>& want, const char* what) {
        REQUIRE(got.size() == want.size());
        std::size_t bad = 0;
        for (std::size_t i = 0; i < want.size(); ++i)
            if (std::abs(got.data()[i] - want[i]) > 1e-5 * std::max(1.0, std::abs(want[i]))) {
                if (bad++ < 5) UNSCOPED_INFO(what << "[" << i << "] = " << got.data()[i] << ", PyTorch " << want[i]);
            }
        CHECK(bad == 0);
    };
    Net net{Seed{1}};
    check(net.forward(x, Mode::Eval), y, "eval y");
    check(net.predict(x), y, "predict");
    check(net.forward(x, Mode::Train), y, "train y");
    check(net.backward(upstream), dx, "dx");
}

}  // namespace

TEST_CASE("Pooling and Flatten match PyTorch at the network's boundary", "[pool][reference]") {
    const auto cases = read_cases();
    check_case<MaxPool2D<2>, 2, 3, 5, 7>(cases, "max_2", "kernel 2 stride 2 padding 0");
    check_case<MaxPool2D<3, Stride<2>, Padding<1>>, 2, 3, 7, 6>(cases, "max_3_s2_p1", "kernel 3 stride 2 padding 1");
    check_case<MaxPool2D<3, Stride<1>>, 2, 2, 5, 5>(cases, "max_3_s1_ties", "kernel 3 stride 1 padding 0");
    check_case<MaxPool2D<2, Padding<1>>, 2, 19, 4, 5>(cases, "max_2_p1_wide", "kernel 2 stride 2 padding 1");
    check_case<AvgPool2D<2>, 2, 3, 5, 7>(cases, "avg_2", "kernel 2 stride 2 padding 0");
    check_case<AvgPool2D<3, Padding<1>, Stride<2>>, 2, 3, 7, 6>(cases, "avg_3_s2_p1", "kernel 3 stride 2 padding 1");
    check_case<AvgPool2D<3, Stride<1>, Padding<1>>, 2, 17, 4, 5>(cases, "avg_3_s1_p1_wide",
                                                                  "kernel 3 stride 1 padding 1");
    check_case<GlobalAvgPool2D, 3, 5, 4, 3>(cases, "global_avg", "kernel 0 stride 0 padding 0");
    check_case<Flatten, 2, 3, 2, 4>(cases, "flatten", "kernel 0 stride 0 padding 0");
}
