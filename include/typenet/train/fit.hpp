#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/finite_check.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/data/regression_dataset.hpp"
#include "typenet/loss/labels.hpp"
#include "typenet/loss/targets.hpp"
#include "typenet/optim/optimizer.hpp"
#include "typenet/train/classify.hpp"
#include "typenet/train/evaluate.hpp"
#include "typenet/train/fit_options.hpp"
#include "typenet/train/history.hpp"
#include "typenet/train/minibatch.hpp"
#include "typenet/train/progress.hpp"
#include "typenet/train/shuffle.hpp"

namespace typenet {

namespace train_detail {

/// A non-finite loss or gradient inside fit(); caught there and re-thrown with the epoch and batch.
struct non_finite : error {
    using error::error;
};

/// Wraps the user's loss for one train_step: counts correct predictions of the training outputs
/// when the targets are class labels (the running train accuracy, at no extra forward pass); train_step
/// itself refuses a non-finite loss before backward and the update run.
template <class Loss>
struct WatchedLoss {
    const Loss& loss;
    std::size_t* correct;

    template <class T, std::size_t N, class Targets>
    T evaluate(BatchView<const T, N> outputs, const Targets& targets, BatchView<T, N> gradient) const {
        const T value = loss.evaluate(outputs, targets, gradient);
        if constexpr (ClassLabels<Targets>)
            for (std::size_t r = 0; r < outputs.rows; ++r)
                *correct += predicted_class(outputs.row(r), N) == static_cast<std::size_t>(targets.data()[r]);
        return value;
    }
};

/// Wraps the user's optimizer: refuses to update from a gradient holding inf or NaN.
template <class Optimizer>
struct WatchedOptimizer {
    Optimizer& optimizer;
    bool check;

    template <class Net>
    void step(Net& net) {
        if (check) {
            const auto g = net.gradients();
            if (const std::size_t i = detail::first_non_finite(g.data(), g.size()); i < g.size())
                throw non_finite(detail::non_finite_in(static_cast<double>(g[i]),
                                                       "the gradients at index " + std::to_string(i) + " (" +
                                                           detail::locate(net, i, false) + ")"));
        }
        optimizer.step(net);
    }
};

inline double monitored(const EpochRecord& r, Monitor m) {
    switch (m) {
        case Monitor::val_loss: return r.val_loss;
        case Monitor::val_accuracy: return r.val_accuracy;
        case Monitor::train_loss: return r.train_loss;
        case Monitor::train_accuracy: return r.train_accuracy;
    }
    return r.val_loss;
}
inline bool needs_validation(Monitor m) { return m == Monitor::val_loss || m == Monitor::val_accuracy; }
inline bool is_accuracy(Monitor m) { return m == Monitor::val_accuracy || m == Monitor::train_accuracy; }
inline Goal goal_of(Monitor m) {
    return m == Monitor::val_accuracy || m == Monitor::train_accuracy ? Goal::maximize : Goal::minimize;
}

/// Throws naming the first NaN or infinite value of a (samples, width) matrix: "fit: NaN in train.x at
/// row 5, column 2".
inline void check_finite(const Matrix<float>& m, const std::string& what) {
    if (const std::size_t i = detail::first_non_finite(m.data(), m.size()); i < m.size())
        throw error("fit: " + detail::non_finite_in(m.data()[i], detail::matrix_cell(what, i, m.shape(1))));
}

/// Throws before training on what would fail (or silently mislead) in the middle of it.
template <class Net, class Data>
void check_fit_data(const Data& data, const std::string& what) {
    const std::string set = what == "train" ? "training" : what;
    check_dataset<Net>(data, "fit (" + set + " set)");
    if (data.size() == 0) throw error("fit: the " + set + " set is empty");
    check_finite(data.x, what + ".x");
    if constexpr (std::is_same_v<Data, Dataset>) check_labels<Net::output_size>(data, "fit: " + what);
    else check_finite(data.y, what + ".y");
}

/// Parameters and running statistics, copied out and back (the best epoch's).
template <class T>
struct Snapshot {
    std::vector<T> parameters, buffers;
    template <class Net>
    void save(const Net& net) {
        parameters.assign(net.parameters().begin(), net.parameters().end());
        buffers.assign(net.buffers().begin(), net.buffers().end());
    }
    template <class Net>
    void restore(Net& net) const {
        std::ranges::copy(parameters, net.parameters().begin());
        std::ranges::copy(buffers, net.buffers().begin());
    }
};

/// fit() for either kind of dataset; the two differ only in their targets (Minibatch gathers both).
template <class Net, class Data, class Loss, class Optimizer>
History fit_loop(Net& net, const Data& train, const Loss& loss, Optimizer& optimizer,
                 const BasicFitOptions<Data>& options) {
    using T = typename Net::scalar;
    constexpr bool has_lr = HasLearningRate<Optimizer>;
    constexpr bool labelled = std::is_same_v<Data, Dataset>;
    check_fit_data<Net>(train, "train");
    if (options.batch_size == 0) throw error("fit: batch_size must be > 0");
    if (options.validation) check_fit_data<Net>(*options.validation, "validation");
    auto check_monitor = [&](Monitor m, const char* who) {
        if (needs_validation(m) && !options.validation)
            throw error(std::string("fit: ") + who + " watches a validation metric but no validation set was given" +
                        " (set .validation, or monitor train_loss)");
        if (!labelled && is_accuracy(m))
            throw error(std::string("fit: ") + who +
                        " watches an accuracy, but a RegressionDataset has no classes (monitor val_loss or "
                        "train_loss)");
    };
    if (options.early_stopping) check_monitor(options.early_stopping->monitor, "early stopping");
    if (options.plateau) check_monitor(options.plateau_monitor, "reduce-on-plateau");

    if constexpr (!std::is_same_v<T, float>) {
        if (options.augment) throw error("fit: `augment` works on float batches; this network's scalar is not float");
    }
    if constexpr (!has_lr) {
        if (options.schedule || options.plateau)
            throw error("fit: a schedule or reduce-on-plateau needs an optimizer with an `lr` member");
    }

    const std::size_t n = train.size(), batch = std::min(options.batch_size, n);
    const std::size_t batches = (n + batch - 1) / batch, tail = n - (batches - 1) * batch;
    Minibatch<T, Data> minibatch(train, batch, tail);
    std::vector<std::size_t> order;
    Snapshot<T> best;

    std::ostream& out = options.log ? *options.log : std::cout;
    ProgressReporter progress(out, options.log == nullptr && stdout_is_terminal(), options.epochs);
    std::optional<ReduceOnPlateau> plateau = options.plateau;
    if (plateau) plateau->goal = goal_of(options.plateau_monitor);
    double plateau_scale = 1.0;
    double best_value = std::numeric_limits<double>::quiet_NaN();
    std::size_t epochs_without_improvement = 0;
    std::size_t global_step = 0;
    auto learning_rate = [&]() -> double {
        if constexpr (has_lr) return static_cast<double>(optimizer.lr);
        return std::nan("");
    };
    auto set_learning_rate = [&](double lr) {
        if constexpr (has_lr) optimizer.lr = lr;
        (void)lr;
    };

    std::size_t correct = 0;
    const WatchedLoss<Loss> watched_loss{loss, &correct};
    WatchedOptimizer<Optimizer> watched_optimizer{optimizer, options.check_finite};

    History history;
    for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto started = std::chrono::steady_clock::now();
        if (options.schedule && !options.schedule_per_batch) set_learning_rate(options.schedule(epoch - 1) * plateau_scale);
        const double epoch_lr = learning_rate();
        if (options.shuffle) {
            shuffled_order(order, n, options.seed, epoch - 1);
        } else if (order.size() != n) {
            order.resize(n);
            for (std::size_t i = 0; i < n; ++i) order[i] = i;
        }
        progress.begin_epoch(epoch, n);
        double loss_sum = 0;
        std::size_t seen = 0;
        correct = 0;
        bool stop = false;
        for (std::size_t b = 0; b < batches && !stop; ++b) {
            const std::size_t rows = b + 1 == batches ? tail : batch;
            minibatch.gather(train, std::span<const std::size_t>(order.data() + b * batch, rows));
            Matrix<T>& x = minibatch.x();
            if constexpr (std::is_same_v<T, float>) {
                if (options.augment) {
                    AugmentBatch augment{x, minibatch.samples(), minibatch.labels(), options.seed, epoch, b + 1,
                                         global_step};
                    options.augment(augment);
                    if (x.shape(0) != rows || x.shape(1) != Net::input_size)
                        throw error("fit: `augment` changed the batch's shape; change its values in place");
                }
            }
            if (options.schedule && options.schedule_per_batch)
                set_learning_rate(options.schedule(global_step) * plateau_scale);
            T value{};
            try {
                value = net.train_step(x, minibatch.targets(), watched_loss, watched_optimizer);
            } catch (const error& e) {
                // A refused step changed nothing: the input, the loss and the gradient are checked before
                // the update, and train_step puts the running statistics and the step count back.
                std::string what = e.what();
                if (what.rfind("typenet: ", 0) == 0) what.erase(0, 9);
                throw error("fit: epoch " + std::to_string(epoch) + ", batch " + std::to_string(b + 1) + " of " +
                            std::to_string(batches) + ": " + what +
                            "; the network keeps its parameters from before this batch");
            }
            ++global_step;
            seen += rows;
            loss_sum += static_cast<double>(value) * static_cast<double>(rows);
            progress.batch_done(seen, loss_sum / static_cast<double>(seen));
            if (options.on_batch) {
                BatchEvent event{epoch, b + 1, batches, rows, static_cast<double>(value), learning_rate()};
                options.on_batch(event);
                stop = event.stop;
            }
        }

        EpochRecord record;
        record.epoch = epoch;
        record.train_loss = loss_sum / static_cast<double>(seen);
        record.train_accuracy = labelled ? static_cast<double>(correct) / static_cast<double>(seen) : std::nan("");
        record.lr = epoch_lr;
        if (options.validation) {
            const Evaluation v = evaluate(net, *options.validation, loss, options.eval_chunk);
            record.val_loss = v.loss;
            record.val_accuracy = v.accuracy;
        }
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        history.epochs.push_back(record);
        if (options.verbose) progress.end_epoch(record);

        // A batch callback that asked to stop still gets its epoch reported to on_epoch.
        if (stop) history.stop_reason = StopReason::callback;
        if (plateau && !stop) {
            double lr = learning_rate();
            const PlateauAction action = plateau->update(monitored(record, options.plateau_monitor), lr);
            if (action == PlateauAction::reduce) {
                plateau_scale *= plateau->factor;
                set_learning_rate(lr);
                if (options.verbose) progress.message("reduce-on-plateau: learning rate now " + std::to_string(lr));
            } else if (action == PlateauAction::stop) {
                history.stop_reason = StopReason::plateau;
            }
        }
        if (options.early_stopping && !stop) {
            const EarlyStopping& es = *options.early_stopping;
            const double value = monitored(record, es.monitor);
            const bool maximize = goal_of(es.monitor) == Goal::maximize;
            const bool improved = std::isnan(best_value) ||
                                  (maximize ? value > best_value + es.min_delta : value < best_value - es.min_delta);
            if (improved) {
                best_value = value;
                history.best_epoch = epoch;
                epochs_without_improvement = 0;
                if (es.restore_best) best.save(net);
            } else if (++epochs_without_improvement >= es.patience) {
                history.stop_reason = StopReason::early_stopping;
            }
        }
        EpochEvent event{history.epochs.back(), history};
        if (options.on_epoch) {
            options.on_epoch(event);
            if (event.stop) history.stop_reason = StopReason::callback;
        }
        if (history.stop_reason != StopReason::completed) break;
    }
    if (options.early_stopping && options.early_stopping->restore_best && history.best_epoch != 0 &&
        history.best_epoch != history.epochs.back().epoch)
        best.restore(net);
    if (options.verbose && history.stop_reason != StopReason::completed) {
        std::string text = std::string("stopped: ") + to_string(history.stop_reason);
        if (history.best_epoch) text += " (best epoch " + std::to_string(history.best_epoch) + ")";
        progress.message(text);
    }
    return history;
}

/// A loss that refuses the dataset's targets stops compilation with its diagnostic once, through one
/// call of the loss, and nothing else (clang would report every other call of it too).
template <class Net, class Data, class Loss, class Optimizer>
History fit_any(Net& net, const Data& train, const Loss& loss, Optimizer& optimizer,
                const BasicFitOptions<Data>& options) {
    if constexpr (refuses_targets<Loss, decltype(targets_of(train, 0, 0)), Net::output_size>) {
        (void)evaluate_any(net, train, loss, 1);
        return {};
    } else {
        return fit_loop(net, train, loss, optimizer, options);
    }
}

}  // namespace train_detail

/// Minibatch training (Keras' `fit`, PyTorch's usual loop): every epoch shuffles the samples
/// deterministically by (seed, epoch), runs net.train_step on each batch of `batch_size` (the last,
/// partial batch included), then evaluates the validation set in eval mode, applies the schedule,
/// reduce-on-plateau and early stopping, and calls the callbacks. `options.augment`, if set, may change
/// each gathered batch before its step. Batches are gathered into buffers
/// reused across steps (no allocation per step after the first batch). The same seed, data and
/// options give bitwise the same parameters.
///
/// If a batch (after `augment`), the loss or a gradient holds inf/NaN, fit throws typenet::error naming
/// the epoch and batch, and the network keeps the parameters, running statistics and step count from
/// before that batch.
template <class Net, class Loss, class Optimizer>
History fit(Net& net, const Dataset& train, const Loss& loss, Optimizer& optimizer, const FitOptions& options = {}) {
    return train_detail::fit_any(net, train, loss, optimizer, options);
}

/// fit() for regression: the same loop (shuffling, minibatches, validation, schedules, early
/// stopping, callbacks, history) on real-valued targets, with a loss that takes them
/// (MeanSquaredError, BinaryCrossEntropy). The accuracy fields of the history are NaN, and
/// monitoring an accuracy throws.
template <class Net, class Loss, class Optimizer>
History fit(Net& net, const RegressionDataset& train, const Loss& loss, Optimizer& optimizer,
            const RegressionFitOptions& options = {}) {
    return train_detail::fit_any(net, train, loss, optimizer, options);
}

}  // namespace typenet
