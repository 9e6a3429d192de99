// The lecture's claim: with small random weights (N(0, 0.01²)) the activations of a deep network
// collapse towards 0 layer by layer, while Xavier (tanh) and He (ReLU) initialization keep them alive.
// Ten Dense(500, 500) layers with tanh, then with ReLU, each with the three initializers; one forward
// pass of 1000 samples drawn from N(0, 1); the mean and standard deviation of every layer's output
// are printed as a table and drawn as histograms (docs/tricks.md shows both).
//   tricks_initialization [--out DIR]     writes DIR/init_<activation>_<initializer>.svg
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

namespace {

constexpr std::size_t width = 500, layers = 10, samples = 1000;

struct LayerStatistics {
    double mean = 0, std_dev = 0;
};

/// Every layer's output for one forward pass: layer l is its own Seq, seeded 100·l + 1, so all six runs
/// see the same random numbers and differ only in the scale the initializer gives them.
template <class Init, class Activation>
std::vector<typenet::Matrix<float>> activations(const typenet::Matrix<float>& input) {
    using Layer = typenet::Seq<typenet::Dense<width, width, Init>, Activation>;
    std::vector<typenet::Matrix<float>> out;
    typenet::Matrix<float> x = input;
    for (std::size_t l = 0; l < layers; ++l) {
        const Layer layer{typenet::Seed{100 * l + 1}};
        x = layer.predict(x);
        out.push_back(x);
    }
    return out;
}

LayerStatistics statistics(const typenet::Matrix<float>& a) {
    double sum = 0, squares = 0;
    for (float v : a) sum += v;
    const double mean = sum / static_cast<double>(a.size());
    for (float v : a) squares += (v - mean) * (v - mean);
    return {mean, std::sqrt(squares / static_cast<double>(a.size()))};
}

template <class Init, class Activation>
std::vector<LayerStatistics> run(const typenet::Matrix<float>& input, const std::string& out, const std::string& activation,
                                 const std::string& init) {
    const auto outputs = activations<Init, Activation>(input);
    std::vector<typenet::HistogramPanel> panels;
    std::vector<LayerStatistics> stats;
    for (std::size_t l = 0; l < layers; ++l) {
        stats.push_back(statistics(outputs[l]));
        panels.push_back({"layer " + std::to_string(l + 1), std::vector<double>(outputs[l].begin(), outputs[l].end())});
    }
    const double low = activation == "tanh" ? -1.0 : 0.0;
    const double high = activation == "tanh" ? 1.0 : 0.0;
    typenet::HistogramOptions options{.title = activation + ", " + init + ": activations per layer", .bins = 40, .columns = 5};
    if (activation == "tanh") options.low = low, options.high = high;
    typenet::plot_histograms_svg(panels, out + "/init_" + activation + "_" + init + ".svg", options);
    return stats;
}

void print_table(const char* activation, const std::vector<std::vector<LayerStatistics>>& runs, const char* const* names) {
    std::printf("\n%s: std (mean) of each layer's output\n| layer | %s | %s | %s |\n|---:|---:|---:|---:|\n", activation,
                names[0], names[1], names[2]);
    for (std::size_t l = 0; l < layers; ++l) {
        std::printf("| %zu |", l + 1);
        for (const auto& r : runs) std::printf(" %.3g (%.2g) |", r[l].std_dev, r[l].mean);
        std::printf("\n");
    }
}

const char* verdict(bool agrees) { return agrees ? "agrees" : "DISAGREES"; }

}  // namespace

int main(int argc, char** argv) {
    std::string out = ".";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [--out DIR]\n", argv[0]);
            return 2;
        }
    }
    try {
        const typenet::Philox rng(typenet::Seed{7}, typenet::RandomPurpose::user, 0, 0);
        typenet::Matrix<float> input = typenet::Matrix<float>::from_shape({samples, width});
        for (std::size_t i = 0; i < input.size(); ++i) input.data()[i] = static_cast<float>(rng.normal(i));

        const char* names[] = {"SmallRandom", "Xavier", "He"};
        const std::vector<std::vector<LayerStatistics>> tanh_runs{
            run<typenet::SmallRandom, typenet::Tanh>(input, out, "tanh", names[0]),
            run<typenet::Xavier, typenet::Tanh>(input, out, "tanh", names[1]),
            run<typenet::He, typenet::Tanh>(input, out, "tanh", names[2])};
        const std::vector<std::vector<LayerStatistics>> relu_runs{
            run<typenet::SmallRandom, typenet::ReLU>(input, out, "relu", names[0]),
            run<typenet::Xavier, typenet::ReLU>(input, out, "relu", names[1]),
            run<typenet::He, typenet::ReLU>(input, out, "relu", names[2])};
        std::printf("10 x Dense(500, 500), 1000 inputs ~ N(0, 1), one forward pass, biases 0");
        print_table("tanh", tanh_runs, names);
        print_table("ReLU", relu_runs, names);

        // The claims, measured on the last layer against the first.
        auto ratio = [](const std::vector<LayerStatistics>& r) { return r[layers - 1].std_dev / r[0].std_dev; };
        std::printf("\nclaims (std of layer 10 / std of layer 1):\n");
        std::printf("  small random weights make tanh activations collapse: %.3g -> %s\n", ratio(tanh_runs[0]),
                    verdict(ratio(tanh_runs[0]) < 1e-3));
        std::printf("  Xavier keeps tanh activations alive:                  %.3g -> %s\n", ratio(tanh_runs[1]),
                    verdict(ratio(tanh_runs[1]) > 0.2));
        std::printf("  small random weights make ReLU activations collapse:  %.3g -> %s\n", ratio(relu_runs[0]),
                    verdict(ratio(relu_runs[0]) < 1e-3));
        std::printf("  Xavier halves ReLU activations' variance per layer:   %.3g (0.5^4.5 = %.3g) -> %s\n",
                    ratio(relu_runs[1]), std::pow(0.5, 4.5), verdict(ratio(relu_runs[1]) < 0.1));
        std::printf("  He keeps ReLU activations alive:                      %.3g -> %s\n", ratio(relu_runs[2]),
                    verdict(ratio(relu_runs[2]) > 0.5 && ratio(relu_runs[2]) < 2));
        std::printf("wrote %s/init_{tanh,relu}_{SmallRandom,Xavier,He}.svg\n", out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tricks_initialization: %s\n", e.what());
        return 1;
    }
}
