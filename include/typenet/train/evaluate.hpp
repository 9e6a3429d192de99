#pragma once
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/train/classify.hpp"

namespace typenet {

/// Mean loss and accuracy of a network on a dataset.
struct Evaluation {
    double loss = 0;
    double accuracy = 0;
};

namespace train_detail {

/// Throws unless the dataset fits the network (one label per sample, the network's feature count).
template <class Net>
void check_dataset(const Dataset& data, const std::string& where) {
    data.check(where);
    if (data.size() > 0 && data.features() != Net::input_size)
        throw shape_error(where + ": the dataset has " + std::to_string(data.features()) +
                          " features per sample, the network takes " + std::to_string(Net::input_size));
}

/// Calls f(first_row, predictions) for consecutive chunks of at most `chunk` rows, predicted in eval
/// mode (net.predict: const, no effect on training state).
template <class Net, class F>
void for_each_prediction_chunk(const Net& net, const Dataset& data, std::size_t chunk, F&& f) {
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

}  // namespace train_detail

/// Mean loss (over samples) and accuracy of `net` on `data`, in eval mode, `chunk` samples at a time
/// (memory stays bounded for large sets).
template <class Net, class Loss>
Evaluation evaluate(const Net& net, const Dataset& data, const Loss& loss, std::size_t chunk = 1024) {
    using T = typename Net::scalar;
    constexpr std::size_t out = Net::output_size;
    train_detail::check_dataset<Net>(data, "evaluate");
    if (data.size() == 0) throw error("evaluate: the dataset is empty");
    std::vector<T> gradient;
    double total = 0;
    std::size_t correct = 0;
    train_detail::for_each_prediction_chunk(net, data, chunk, [&](std::size_t first, const Matrix<T>& p) {
        const std::size_t rows = p.shape(0);
        gradient.resize(rows * out);
        const std::span<const int> labels(data.y.data() + first, rows);
        total += static_cast<double>(loss.evaluate(BatchView<const T, out>{p.data(), rows}, labels,
                                                   BatchView<T, out>{gradient.data(), rows})) *
                 static_cast<double>(rows);
        for (std::size_t r = 0; r < rows; ++r)
            correct += predicted_class(p.data() + r * out, out) == static_cast<std::size_t>(labels[r]);
    });
    const auto n = static_cast<double>(data.size());
    return {total / n, static_cast<double>(correct) / n};
}

/// Fraction of `data` whose label is the class `net` predicts (eval mode): argmax of the outputs, or
/// for a single output (a logit) output > 0 → class 1.
template <class Net>
float accuracy(const Net& net, const Dataset& data, std::size_t chunk = 1024) {
    constexpr std::size_t out = Net::output_size;
    train_detail::check_dataset<Net>(data, "accuracy");
    if (data.size() == 0) throw error("accuracy: the dataset is empty");
    std::size_t correct = 0;
    train_detail::for_each_prediction_chunk(net, data, chunk, [&](std::size_t first, const auto& p) {
        for (std::size_t r = 0; r < p.shape(0); ++r)
            correct += static_cast<int>(predicted_class(p.data() + r * out, out)) == data.y[first + r];
    });
    return static_cast<float>(static_cast<double>(correct) / static_cast<double>(data.size()));
}

}  // namespace typenet
