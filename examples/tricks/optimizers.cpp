// The lecture's claims about optimizers on two 2-D surfaces: in a long narrow valley plain SGD zig-zags
// across the steep direction and crawls along the shallow one while momentum (and Nesterov) build up
// speed along it; at a saddle point SGD lingers where the gradient is small while the per-parameter
// scaling of AdaGrad, RMSProp and Adam escapes quickly. typenet's own optimizers run on a "network"
// of two parameters (anything with scalar, parameters() and gradients() is one to them), and the
// iterates are drawn over the surface's contour lines (docs/tricks.md).
//   tricks_optimizers [--out DIR]     writes DIR/optimizers_valley.svg and DIR/optimizers_saddle.svg
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

namespace {

/// Two parameters and their gradient: all that typenet's optimizers need from a network.
struct Point {
    using scalar = double;
    std::array<double, 2> theta{}, grad{};
    std::span<double> parameters() { return theta; }
    std::span<double> gradients() { return grad; }
};

struct Surface {
    std::string name;
    std::function<double(double, double)> f;
    std::function<std::array<double, 2>(double, double)> gradient;
    std::array<double, 2> start;
    typenet::TrajectoryPlotOptions window;
};

constexpr std::size_t steps = 150;

template <class Optimizer>
typenet::Trajectory descend(const Surface& s, Optimizer opt, const std::string& label) {
    Point p{s.start, {}};
    typenet::Trajectory path{label, {p.theta}};
    for (std::size_t t = 0; t < steps; ++t) {
        p.grad = s.gradient(p.theta[0], p.theta[1]);
        opt.step(p);
        path.points.push_back(p.theta);
        if (!(std::abs(p.theta[0]) < 1e3 && std::abs(p.theta[1]) < 1e3)) break;  // diverged: stop drawing
    }
    return path;
}

std::vector<typenet::Trajectory> all_optimizers(const Surface& s) {
    // SGD at 0.45, just below the valley's stability limit 2/4; momentum 0.9 at 0.05 has the same
    // step along the valley floor once it has built up speed (0.05 / (1 − 0.9) = 0.5).
    return {descend(s, typenet::SGD{.lr = 0.45}, "SGD lr 0.45"),
            descend(s, typenet::SGD{.lr = 0.05}, "SGD lr 0.05"),
            descend(s, typenet::SGD{.lr = 0.05, .momentum = 0.9}, "momentum 0.9, lr 0.05"),
            descend(s, typenet::SGD{.lr = 0.05, .momentum = 0.9, .nesterov = true}, "Nesterov 0.9, lr 0.05"),
            descend(s, typenet::AdaGrad{.lr = 0.5}, "AdaGrad lr 0.5"),
            descend(s, typenet::RMSProp{.lr = 0.05}, "RMSProp lr 0.05"),
            descend(s, typenet::AdaDelta{.lr = 1.0}, "AdaDelta lr 1"),
            descend(s, typenet::Adam{.lr = 0.1}, "Adam lr 0.1")};
}

/// The first step at which `reached` holds, or 0 if it never does within the run.
std::size_t first_step(const typenet::Trajectory& t, const std::function<bool(std::array<double, 2>)>& reached) {
    for (std::size_t i = 0; i < t.points.size(); ++i)
        if (reached(t.points[i])) return i;
    return 0;
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
        // Curvatures 0.2 and 4 (condition number 20): plain SGD must keep lr below 2/4 for the steep
        // direction, which leaves it 0.9 per step along the shallow one.
        const Surface valley{"valley", [](double x, double y) { return 0.1 * x * x + 2 * y * y; },
                             [](double x, double y) { return std::array<double, 2>{0.2 * x, 4 * y}; },
                             {-4.5, 1.0},
                             {.title = "long valley f = 0.1 x² + 2 y², 150 steps from (−4.5, 1)",
                              .x_min = -5, .x_max = 1, .y_min = -1.5, .y_max = 1.5, .levels = 14}};
        // The saddle at the origin, approached along its ridge: the escape direction y starts at 1e-3.
        const Surface saddle{"saddle", [](double x, double y) { return x * x - y * y; },
                             [](double x, double y) { return std::array<double, 2>{2 * x, -2 * y}; },
                             {-1.2, 1e-3},
                             {.title = "saddle f = x² − y², 150 steps from (−1.2, 0.001)",
                              .x_min = -1.5, .x_max = 1.5, .y_min = -1.5, .y_max = 1.5, .levels = 14}};
        const auto in_valley = all_optimizers(valley);
        const auto at_saddle = all_optimizers(saddle);
        typenet::plot_trajectories_svg(valley.f, in_valley, out + "/optimizers_valley.svg", valley.window);
        typenet::plot_trajectories_svg(saddle.f, at_saddle, out + "/optimizers_saddle.svg", saddle.window);

        std::printf("| optimizer | valley: f after %zu steps | valley: steps to f < 0.01 | saddle: steps to |y| > 1 |\n"
                    "|---|---:|---:|---:|\n", steps);
        std::vector<std::size_t> to_minimum, to_escape;
        for (std::size_t i = 0; i < in_valley.size(); ++i) {
            const auto& v = in_valley[i].points.back();
            to_minimum.push_back(first_step(in_valley[i], [&](auto p) { return valley.f(p[0], p[1]) < 0.01; }));
            to_escape.push_back(first_step(at_saddle[i], [](auto p) { return std::abs(p[1]) > 1; }));
            auto cell = [](std::size_t s) { return s ? std::to_string(s) : std::string("not within 150"); };
            std::printf("| %s | %.3g | %s | %s |\n", in_valley[i].label.c_str(), valley.f(v[0], v[1]),
                        cell(to_minimum.back()).c_str(), cell(to_escape.back()).c_str());
        }
        // Indices: 0 SGD 0.45, 1 SGD 0.05, 2 momentum, 3 Nesterov, 4 AdaGrad, 5 RMSProp, 6 AdaDelta, 7 Adam.
        auto faster = [](std::size_t a, std::size_t b) { return a != 0 && (b == 0 || a < b); };
        std::printf("\nclaims:\n");
        std::printf("  momentum reaches the valley's minimum sooner than SGD at its largest stable rate: %s\n",
                    verdict(faster(to_minimum[2], to_minimum[0])));
        std::printf("  Nesterov reaches it no later than momentum:                                   %s\n",
                    verdict(to_minimum[3] != 0 && (to_minimum[2] == 0 || to_minimum[3] <= to_minimum[2])));
        std::printf("  AdaGrad, RMSProp and Adam escape the saddle before SGD at the same rate 0.05:  %s\n",
                    verdict(faster(to_escape[4], to_escape[1]) && faster(to_escape[5], to_escape[1]) &&
                            faster(to_escape[7], to_escape[1])));
        std::printf("  ... and before SGD at 0.45:                                                   %s\n",
                    verdict(faster(to_escape[4], to_escape[0]) && faster(to_escape[5], to_escape[0]) &&
                            faster(to_escape[7], to_escape[0])));
        std::printf("wrote %s/optimizers_valley.svg, %s/optimizers_saddle.svg\n", out.c_str(), out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tricks_optimizers: %s\n", e.what());
        return 1;
    }
}
