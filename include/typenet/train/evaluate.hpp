#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/data/regression_dataset.hpp"
#include "typenet/train/classify.hpp"
#include "typenet/train/minibatch.hpp"

namespace typenet {

/// Mean loss and accuracy of a network on a dataset (accuracy NaN for a RegressionDataset).
struct Evaluation {
    double loss = 0;
    double accuracy = 0;
};

namespace train_detail {

/// Throws unless the dataset fits the network (one label or target row per sample, the network's
/// feature count and, for a RegressionDataset, its output count).
template <class Net, class Data>
void check_dataset(const Data& data, const std::string& where) {
    data.check(where);
    if (data.size() > 0 && data.features() != Net::input_size)
        throw shape_error(where + ": the dataset has " + std::to_string(data.features()) +
                          " features per sample, the network takes " + std::to_string(Net::input_size));
    if constexpr (std::is_same_v<Data, RegressionDataset>) {
        if (data.size() > 0 && data.outputs() != Net::output_size)
            throw shape_error(where + ": the dataset has " + std::to_string(data.outputs()) +
                              " targets per sample, the network has " + std::to_string(Net::output_size) +
                              (Net::output_size == 1 ? " output" : " outputs"));
    }
}

/// Throws naming the first label a network with `Outputs` outputs cannot produce (one output is a
/// logit: labels 0 and 1). `what` starts the message: "fit: train", "accuracy: data", ...
template <std::size_t Outputs>
void check_labels(const Dataset& data, const std::string& what) {
    const int classes = Outputs == 1 ? 2 : static_cast<int>(Outputs);
    for (std::size_t i = 0; i < data.y.size(); ++i)
        if (data.y[i] < 0 || data.y[i] >= classes)
            throw error(what + ".y[" + std::to_string(i) + "] is " + std::to_string(data.y[i]) + "; the network has " +
                        std::to_string(Outputs) + " output" + (Outputs == 1 ? "" : "s") + " (labels 0.." +
                        std::to_string(classes - 1) + ")");
}

/// Calls f(first_row, predictions) for consecutive chunks of at most `chunk` rows, predicted in eval
/// mode (net.predict: const, no effect on training state).
template <class Net, class Data, class F>
void for_each_prediction_chunk(const Net& net, const Data& data, std::size_t chunk, F&& f) {
    using T = typename Net::scalar;
    constexpr std::size_t in = Net::input_size;
    const std::size_t n = data.size();
    if (chunk == 0) throw error("evaluate: the chunk size must be > 0");
    Matrix<T> x;
    for (std::size_t first = 0; first < n; first += chunk) {
        const std::size_t rows = std::min(chunk, n - first);
        if (x.size() != rows * in) x = Matrix<T>::from_shape({rows, in});
        std::copy_n(data.x.data() + first * in, rows * in, x.data());
        const Matrix<T> out = net.predict(x);
        f(first, out);
    }
}

template <class Net, class Data, class Loss>
Evaluation evaluate_any(const Net& net, const Data& data, const Loss& loss, std::size_t chunk) {
    using T = typename Net::scalar;
    constexpr std::size_t out = Net::output_size;
    constexpr bool labelled = std::is_same_v<Data, Dataset>;
    check_dataset<Net>(data, "evaluate");
    if (data.size() == 0) throw error("evaluate: the dataset is empty");
    if constexpr (labelled) check_labels<out>(data, "evaluate: data");
    std::vector<T> gradient;
    double total = 0;
    std::size_t correct = 0;
    for_each_prediction_chunk(net, data, chunk, [&](std::size_t first, const Matrix<T>& p) {
        const std::size_t rows = p.shape(0);
        gradient.resize(rows * out);
        const auto targets = targets_of(data, first, rows);
        total += static_cast<double>(loss.evaluate(BatchView<const T, out>{p.data(), rows}, targets,
                                                   BatchView<T, out>{gradient.data(), rows})) *
                 static_cast<double>(rows);
        if constexpr (labelled)
            for (std::size_t r = 0; r < rows; ++r)
                correct += predicted_class(p.data() + r * out, out) == static_cast<std::size_t>(targets[r]);
    });
    const auto n = static_cast<double>(data.size());
    return {total / n, labelled ? static_cast<double>(correct) / n : std::nan("")};
}

}  // namespace train_detail

/// Mean loss (over samples) and accuracy of `net` on `data`, in eval mode, `chunk` samples at a time
/// (memory stays bounded for large sets). Throws on a label the network cannot produce, as fit().
template <class Net, class Loss>
Evaluation evaluate(const Net& net, const Dataset& data, const Loss& loss, std::size_t chunk = 1024) {
    return train_detail::evaluate_any(net, data, loss, chunk);
}

/// Mean loss (over samples) of `net` on regression data, in eval mode, `chunk` samples at a time;
/// `accuracy` is NaN (there are no classes).
template <class Net, class Loss>
Evaluation evaluate(const Net& net, const RegressionDataset& data, const Loss& loss, std::size_t chunk = 1024) {
    return train_detail::evaluate_any(net, data, loss, chunk);
}

/// Fraction of `data` whose label is the class `net` predicts (eval mode): argmax of the outputs, or
/// for a single output (a logit) output > 0 → class 1. Throws on a label the network cannot produce,
/// as fit() and evaluate() do.
template <class Net>
float accuracy(const Net& net, const Dataset& data, std::size_t chunk = 1024) {
    constexpr std::size_t out = Net::output_size;
    train_detail::check_dataset<Net>(data, "accuracy");
    if (data.size() == 0) throw error("accuracy: the dataset is empty");
    train_detail::check_labels<out>(data, "accuracy: data");
    std::size_t correct = 0;
    train_detail::for_each_prediction_chunk(net, data, chunk, [&](std::size_t first, const auto& p) {
        for (std::size_t r = 0; r < p.shape(0); ++r)
            correct += static_cast<int>(predicted_class(p.data() + r * out, out)) == data.y[first + r];
    });
    return static_cast<float>(static_cast<double>(correct) / static_cast<double>(data.size()));
}

}  // namespace typenet
