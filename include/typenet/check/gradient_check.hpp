#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet {

/// How check_gradients() probes.
struct GradientCheckOptions {
    /// Central-difference step: (L(θ+h) − L(θ−h)) / 2h, in double.
    double step = 1e-6;
    /// Check at most this many elements per tensor (drawn deterministically from `seed`); 0: all.
    std::size_t max_per_tensor = 0;
    std::uint64_t seed = 0;
    /// Train: what train_step differentiates (batch statistics; dropout masks are the same in every
    /// probe). Eval: running statistics, no dropout.
    Mode mode = Mode::Train;
    /// Relative errors are |a − n| / max(|a|, |n|, floor·G), G the largest |analytic gradient| of the
    /// network: an element whose true gradient is 0 (a bias before BatchNorm) would otherwise turn the
    /// ~1e-10 rounding noise of the finite difference into a "100% error".
    double floor = 1e-3;
};

/// The worst disagreement between the analytic and the numerical gradient within one parameter tensor.
struct TensorGradientError {
    std::string name;          ///< PyTorch key, "0.weight"
    double relative_error = 0; ///< worst |a − n| / max(|a|, |n|, floor·G) over the checked elements
    TensorInfo::index where{};  ///< logical (PyTorch-layout) index of that element
    std::string where_text;     ///< the same, as "[i, j]"
    double analytic = 0, numeric = 0;
    std::size_t checked = 0;
};

/// Per-tensor result of check_gradients(); a correct network shows errors around 1e-7 or less
/// (larger near ReLU-like kinks, where the finite difference straddles the corner).
struct GradientCheck {
    std::vector<TensorGradientError> tensors;

    /// The largest relative error over all tensors.
    double worst() const {
        double w = 0;
        for (const auto& t : tensors) w = std::max(w, t.relative_error);
        return w;
    }
    /// One line per tensor: name, worst relative error, where, analytic and numeric values.
    std::string table() const {
        std::ostringstream out;
        out.precision(3);
        for (const auto& t : tensors)
            out << t.name << "  relative error " << t.relative_error << "  at " << t.where_text << "  analytic " << t.analytic << "  numeric " << t.numeric << "  (" << t.checked << " checked)\n";
        return out.str();
    }
};


/// Compares back-propagated parameter gradients of the whole network with central differences of
/// the loss, for one batch (x, targets). Runs on a double copy (`Net::rebind<double>`) with the same
/// parameters and running statistics, so float rounding does not drown the comparison and `net` is
/// not changed. Returns the worst relative error of every parameter tensor.
template <class Net, class X, class Targets, class Loss>
GradientCheck check_gradients(const Net& net, const Matrix<X>& x, const Targets& targets, const Loss& loss,
                              const GradientCheckOptions& options = {}) {
    using D = typename Net::template rebind<double>;
    constexpr std::size_t out_width = D::output_size;
    if (x.dimension() != 2 || x.shape(1) != D::input_size)
        throw shape_error("check_gradients: x has " + std::to_string(x.dimension() == 2 ? x.shape(1) : 0) +
                          " features per sample, the network takes " + std::to_string(D::input_size));
    if (x.shape(0) == 0) throw error("check_gradients: the batch is empty");
    if (!(options.step > 0)) throw error("check_gradients: step must be > 0");

    D base{net.seed()};
    std::ranges::transform(net.parameters(), base.parameters().begin(), [](auto v) { return static_cast<double>(v); });
    std::ranges::transform(net.buffers(), base.buffers().begin(), [](auto v) { return static_cast<double>(v); });
    Matrix<double> xd = Matrix<double>::from_shape({x.shape(0), x.shape(1)});
    std::ranges::transform(x, xd.begin(), [](auto v) { return static_cast<double>(v); });
    const std::size_t rows = x.shape(0);

    // Every evaluation starts from a copy of `base`: same step count, hence the same dropout masks.
    Matrix<double> dy = Matrix<double>::from_shape({rows, out_width});
    auto loss_of = [&](const D& parameters_from, bool keep_gradient) {
        D probe = parameters_from;
        const Matrix<double> y = probe.forward(xd, options.mode);
        Matrix<double> scratch = Matrix<double>::from_shape({rows, out_width});
        Matrix<double>& g = keep_gradient ? dy : scratch;
        return static_cast<double>(loss.evaluate(BatchView<const double, out_width>{y.data(), rows}, targets,
                                                 BatchView<double, out_width>{g.data(), rows}));
    };
    loss_of(base, true);
    D analytic = base;
    analytic.forward(xd, options.mode);
    analytic.zero_grad();
    analytic.backward(dy);

    double largest = 0;
    for (double g : analytic.gradients()) largest = std::max(largest, std::abs(g));
    const double floor = std::max(options.floor * largest, 1e-300);

    GradientCheck result;
    D perturbed = base;
    auto perturbed_tensors = perturbed.named_tensors();
    const auto analytic_tensors = analytic.named_tensors();
    for (std::size_t t = 0; t < perturbed_tensors.size(); ++t) {
        const auto& tensor = perturbed_tensors[t];
        if (tensor.is_buffer) continue;
        TensorGradientError e{tensor.name, 0, {}, "", 0, 0, 0};
        const std::size_t size = tensor.value.size();
        const std::size_t count = options.max_per_tensor ? std::min(options.max_per_tensor, size) : size;
        const Philox pick(Seed{options.seed}, RandomPurpose::user, static_cast<std::uint32_t>(t), 0);
        for (std::size_t k = 0; k < count; ++k) {
            const std::size_t i =
                count == size ? k : static_cast<std::size_t>(pick.uniform(k) * static_cast<double>(size)) % size;
            const double saved = tensor.value[i];
            tensor.value[i] = saved + options.step;
            const double up = loss_of(perturbed, false);
            tensor.value[i] = saved - options.step;
            const double down = loss_of(perturbed, false);
            tensor.value[i] = saved;
            const double numeric = (up - down) / (2 * options.step);
            const double a = analytic_tensors[t].gradient[i];
            const double relative =
                std::abs(a - numeric) / std::max({std::abs(a), std::abs(numeric), floor});
            if (relative >= e.relative_error) {
                e.relative_error = relative;
                e.where = tensor.info.logical(i);
                e.where_text = tensor.info.str(e.where);
                e.analytic = a;
                e.numeric = numeric;
            }
        }
        e.checked = count;
        result.tensors.push_back(e);
    }
    return result;
}

}  // namespace typenet
