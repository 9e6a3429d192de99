#pragma once
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/loss/softmax_cross_entropy.hpp"
#include "typenet/optim/adam.hpp"
#include "typenet/train/evaluate.hpp"

namespace typenet {

/// The result of overfit_small_subset().
struct OverfitReport {
    double initial_loss = 0, final_loss = 0;  ///< on the subset, eval mode
    double accuracy = 0;                      ///< on the subset after training, eval mode
    bool passed = false;                      ///< accuracy 1 and the loss down at least 10×
    std::string message;
};

/// Babysitting check 2 (CS231n): a network that cannot drive the loss to ~0 on a handful of samples
/// has a bug (or far too little capacity). Trains a copy of `net` — `net` itself is not changed —
/// full-batch for `steps` steps on the first `n` samples, and reports.
template <class Net, class Loss = SoftmaxCrossEntropy, class Optimizer = Adam>
OverfitReport overfit_small_subset(const Net& net, const Dataset& data, std::size_t n = 20, std::size_t steps = 200,
                                   const Loss& loss = {}, Optimizer optimizer = Adam{.lr = 1e-2}) {
    using T = typename Net::scalar;
    data.check("overfit_small_subset");
    n = std::min(n, data.size());
    if (n == 0) throw error("overfit_small_subset: no samples");
    if (data.features() != Net::input_size)
        throw shape_error("overfit_small_subset: the dataset has " + std::to_string(data.features()) +
                          " features per sample, the network takes " + std::to_string(Net::input_size));
    Dataset subset{Matrix<float>::from_shape({n, data.features()}), std::vector<int>(data.y.begin(), data.y.begin() + n)};
    std::copy_n(data.x.data(), n * data.features(), subset.x.data());
    Matrix<T> x = Matrix<T>::from_shape({n, Net::input_size});
    std::copy_n(subset.x.data(), subset.x.size(), x.data());

    Net copy = net;
    OverfitReport r;
    r.initial_loss = evaluate(copy, subset, loss).loss;
    for (std::size_t s = 0; s < steps; ++s) copy.train_step(x, std::span<const int>(subset.y), loss, optimizer);
    const Evaluation e = evaluate(copy, subset, loss);
    r.final_loss = e.loss;
    r.accuracy = e.accuracy;
    r.passed = e.accuracy == 1.0 && r.final_loss <= r.initial_loss / 10;
    r.message = "overfitting " + std::to_string(n) + " samples for " + std::to_string(steps) + " steps: loss " +
                std::to_string(r.initial_loss) + " -> " + std::to_string(r.final_loss) + ", accuracy " +
                std::to_string(r.accuracy) +
                (r.passed ? " (ok)" : " — it should reach accuracy 1 and a near-zero loss; look for a bug in the "
                                      "model or the data, or a learning rate far off");
    return r;
}

}  // namespace typenet
