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
#include "typenet/optim/optimizer.hpp"
#include "typenet/train/classify.hpp"
#include "typenet/train/evaluate.hpp"
#include "typenet/train/fit_options.hpp"
#include "typenet/train/history.hpp"
#include "typenet/train/progress.hpp"
#include "typenet/train/shuffle.hpp"

namespace typenet {

namespace train_detail {

/// A non-finite loss or gradient inside fit(); caught there and re-thrown with the epoch and batch.
struct non_finite : error {
    using error::error;
};

/// Wraps the user's loss for one train_step: counts correct predictions of the training outputs
/// (the running train accuracy, at no extra forward pass). train_step itself refuses a non-finite loss.
template <class Loss>
struct WatchedLoss {
    const Loss& loss;
    std::size_t* correct;

    template <class T, std::size_t N, class Labels>
    T evaluate(BatchView<const T, N> outputs, const Labels& labels, BatchView<T, N> gradient) const {
        const T value = loss.evaluate(outputs, labels, gradient);
        for (std::size_t r = 0; r < outputs.rows; ++r)
            *correct += predicted_class(outputs.row(r), N) == static_cast<std::size_t>(labels.data()[r]);
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
inline Goal goal_of(Monitor m) {
    return m == Monitor::val_accuracy || m == Monitor::train_accuracy ? Goal::maximize : Goal::minimize;
}

/// Throws naming the first NaN or infinite feature of a dataset.
inline void check_features_finite(const Dataset& data, const std::string& what) {
    if (const std::size_t i = detail::first_non_finite(data.x.data(), data.x.size()); i < data.x.size())
        throw error("fit: " +
                    detail::non_finite_in(data.x.data()[i], detail::matrix_cell(what + ".x", i, data.features())));
}

/// Throws naming the first label the network cannot produce.
template <std::size_t Outputs>
void check_labels(const Dataset& data, const std::string& what) {
    const int classes = Outputs == 1 ? 2 : static_cast<int>(Outputs);
    for (std::size_t i = 0; i < data.y.size(); ++i)
        if (data.y[i] < 0 || data.y[i] >= classes)
            throw error("fit: " + what + ".y[" + std::to_string(i) + "] is " + std::to_string(data.y[i]) +
                        "; the network has " + std::to_string(Outputs) + " output" + (Outputs == 1 ? "" : "s") +
                        " (labels 0.." + std::to_string(classes - 1) + ")");
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
    using T = typename Net::scalar;
    constexpr std::size_t in = Net::input_size;
    constexpr bool has_lr = HasLearningRate<Optimizer>;
    train_detail::check_dataset<Net>(train, "fit (training set)");
    if (train.size() == 0) throw error("fit: the training set is empty");
    if (options.batch_size == 0) throw error("fit: batch_size must be > 0");
    train_detail::check_features_finite(train, "train");
    train_detail::check_labels<Net::output_size>(train, "train");
    if (options.validation) {
        train_detail::check_dataset<Net>(*options.validation, "fit (validation set)");
        if (options.validation->size() == 0) throw error("fit: the validation set is empty");
        train_detail::check_features_finite(*options.validation, "validation");
        train_detail::check_labels<Net::output_size>(*options.validation, "validation");
    }
    auto require_validation = [&](Monitor m, const char* who) {
        if (train_detail::needs_validation(m) && !options.validation)
            throw error(std::string("fit: ") + who + " watches a validation metric but no validation set was given" +
                        " (set .validation, or monitor train_loss)");
    };
    if (options.early_stopping) require_validation(options.early_stopping->monitor, "early stopping");
    if (options.plateau) require_validation(options.plateau_monitor, "reduce-on-plateau");
    if constexpr (!std::is_same_v<T, float>) {
        if (options.augment) throw error("fit: `augment` works on float batches; this network's scalar is not float");
    }
    if constexpr (!has_lr) {
        if (options.schedule || options.plateau)
            throw error("fit: a schedule or reduce-on-plateau needs an optimizer with an `lr` member");
    }

    const std::size_t n = train.size(), batch = std::min(options.batch_size, n);
    const std::size_t batches = (n + batch - 1) / batch, tail = n - (batches - 1) * batch;
    // Reused for every step: a full batch and (if the size does not divide n) the last, shorter one.
    Matrix<T> full = Matrix<T>::from_shape({batch, in});
    Matrix<T> last = tail == batch ? Matrix<T>{} : Matrix<T>::from_shape({tail, in});
    std::vector<int> labels(batch);
    std::vector<std::uint64_t> samples(options.augment ? batch : 0);
    std::vector<std::size_t> order;
    train_detail::Snapshot<T> best;

    std::ostream& out = options.log ? *options.log : std::cout;
    ProgressReporter progress(out, options.log == nullptr && stdout_is_terminal(), options.epochs);
    std::optional<ReduceOnPlateau> plateau = options.plateau;
    if (plateau) plateau->goal = train_detail::goal_of(options.plateau_monitor);
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
    const train_detail::WatchedLoss<Loss> watched_loss{loss, &correct};
    train_detail::WatchedOptimizer<Optimizer> watched_optimizer{optimizer, options.check_finite};

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
            Matrix<T>& x = rows == batch ? full : last;
            for (std::size_t r = 0; r < rows; ++r) {
                const std::size_t i = order[b * batch + r];
                std::copy_n(train.x.data() + i * in, in, x.data() + r * in);
                labels[r] = train.y[i];
                if (options.augment) samples[r] = i;
            }
            if constexpr (std::is_same_v<T, float>) {
                if (options.augment) {
                    AugmentBatch augment{x, std::span<const std::uint64_t>(samples.data(), rows),
                                         std::span<const int>(labels.data(), rows), options.seed, epoch, b + 1,
                                         global_step};
                    options.augment(augment);
                    if (x.shape(0) != rows || x.shape(1) != in)
                        throw error("fit: `augment` changed the batch's shape; change its values in place");
                }
            }
            if (options.schedule && options.schedule_per_batch)
                set_learning_rate(options.schedule(global_step) * plateau_scale);
            T value{};
            try {
                value = net.train_step(x, std::span<const int>(labels.data(), rows), watched_loss, watched_optimizer);
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
        record.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
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
            const PlateauAction action = plateau->update(train_detail::monitored(record, options.plateau_monitor), lr);
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
            const double value = train_detail::monitored(record, es.monitor);
            const bool maximize = train_detail::goal_of(es.monitor) == Goal::maximize;
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

}  // namespace typenet
