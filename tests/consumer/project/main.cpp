// Builds a small network from an installed (or add_subdirectory'd) typenet and runs it: proves the
// package exports include paths, the C++20 requirement and the xtensor/xsimd dependencies.
#include <typenet/typenet.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

using Net = typenet::Seq<typenet::Dense<4, 8>, typenet::ReLU, typenet::Dense<8, 3>>;
static_assert(Net::input_size == 4 && Net::output_size == 3);
static_assert(Net::parameter_count == 4 * 8 + 8 + 8 * 3 + 3);

int main() {
    Net net{typenet::Seed{7}};
    const typenet::Matrix<float> x = {{0.5f, -1.0f, 2.0f, 0.25f}, {1.0f, 1.0f, -0.5f, 0.0f}};
    const typenet::Matrix<float> y = net.predict(x);
    const std::array<float, 3> first = net.predict(std::array<float, 4>{0.5f, -1.0f, 2.0f, 0.25f});

    bool ok = y.shape(0) == 2 && y.shape(1) == 3;
    for (std::size_t c = 0; c < 3 && ok; ++c)
        ok = std::isfinite(y(0, c)) && std::abs(y(0, c) - first[c]) <= 1e-5f * (1.0f + std::abs(first[c]));

    typenet::SGD opt{.lr = 0.1f, .momentum = 0.9f};
    const std::vector<int> labels{2, 0};
    float loss = 0;
    for (int step = 0; step < 50; ++step) loss = net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);
    ok = ok && std::isfinite(loss) && loss < 0.1f;

    std::printf("consumer: predict (%zu, %zu), loss after 50 steps %.4f: %s\n", y.shape(0), y.shape(1),
                static_cast<double>(loss), ok ? "ok" : "FAILED");
    std::printf("SIMD: %s\n", typenet::simd::architecture().c_str());
    return ok ? 0 : 1;
}
