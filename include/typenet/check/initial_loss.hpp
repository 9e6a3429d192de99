#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <string>

#include "typenet/core/error.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/train/evaluate.hpp"

namespace typenet {

/// The result of check_initial_loss().
struct InitialLossReport {
    double loss = 0;      ///< measured on the first `samples` samples, eval mode
    double expected = 0;  ///< the loss of uninformative outputs: ln K for softmax cross-entropy
    double ratio = 0;     ///< loss / expected
    bool ok = false;      ///< ratio within [1 / max_ratio, max_ratio]
    std::string message;
};

/// Options of check_initial_loss().
struct InitialLossOptions {
    std::size_t samples = 1000;
    double max_ratio = 1.5;
    /// Print the message to std::clog when the check fails.
    bool warn = true;
};

/// Babysitting check 1 (CS231n): an untrained network should score about the chance loss —
/// ln K for K classes with softmax cross-entropy (2.303 for 10). Much more means overconfident
/// initial outputs (initialization too large, unscaled inputs); much less, a bug or leaked labels.
/// The loss must say what chance is: `double chance_loss(std::size_t outputs) const`.
template <class Net, class Loss>
InitialLossReport check_initial_loss(const Net& net, const Dataset& data, const Loss& loss,
                                     const InitialLossOptions& options = {}) {
    static_assert(requires { loss.chance_loss(std::size_t{}); },
                  "typenet::check_initial_loss: the loss needs `double chance_loss(std::size_t outputs) const`");
    if (data.size() == 0) throw error("check_initial_loss: the dataset is empty");
    const std::size_t n = std::min(options.samples, data.size());
    Dataset head{Matrix<float>::from_shape({n, data.features()}), std::vector<int>(data.y.begin(), data.y.begin() + n)};
    std::copy_n(data.x.data(), n * data.features(), head.x.data());
    InitialLossReport r;
    r.loss = evaluate(net, head, loss).loss;
    r.expected = loss.chance_loss(Net::output_size);
    r.ratio = r.loss / r.expected;
    r.ok = std::isfinite(r.ratio) && r.ratio <= options.max_ratio && r.ratio >= 1.0 / options.max_ratio;
    r.message = "initial loss " + std::to_string(r.loss) + ", chance level " + std::to_string(r.expected) + " (ratio " +
                std::to_string(r.ratio) + ")";
    if (!r.ok) {
        r.message += r.ratio > 1 ? ": the untrained network is overconfident; check the initialization scale and that "
                                   "the inputs are standardized"
                                 : ": lower than chance before training; check for a bug or labels leaking into the inputs";
        if (options.warn) std::clog << "typenet: warning: " << r.message << '\n';
    }
    return r;
}

}  // namespace typenet
