#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <span>

#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/data/regression_dataset.hpp"
#include "typenet/train/history.hpp"
#include "typenet/train/reduce_on_plateau.hpp"

namespace typenet {

/// The quantity early stopping and reduce-on-plateau watch (the accuracies: with class labels only).
enum class Monitor { val_loss, val_accuracy, train_loss, train_accuracy };

/// Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs in a row
/// (Keras' EarlyStopping semantics: patience 3 stops after the 3rd epoch without improvement).
struct EarlyStopping {
    std::size_t patience = 5;
    double min_delta = 0.0;
    Monitor monitor = Monitor::val_loss;
    /// Put back the parameters (and running statistics) of the best epoch when training ends.
    bool restore_best = false;
};

/// Passed to FitOptions::on_batch after every optimizer step; set `stop` to end training after this batch.
struct BatchEvent {
    std::size_t epoch = 0, batch = 0, batches = 0;  ///< from 1
    std::size_t samples = 0;                        ///< rows in this batch
    double loss = 0;
    double lr = 0;
    bool stop = false;
};

/// Passed to FitOptions::augment with every gathered minibatch, before its training step; change `x` in
/// place (its shape is fixed). Key any randomness by (seed, step, samples[r]) — e.g.
/// `crop.apply(b.x, Seed{b.seed}, b.step, b.samples)` — and the run stays bitwise reproducible.
struct AugmentBatch {
    Matrix<float>& x;                        ///< (rows, features): copies of the training rows
    std::span<const std::uint64_t> samples;  ///< row r is training sample samples[r]
    std::span<const int> labels;             ///< the rows' labels (empty for a RegressionDataset)
    std::uint64_t seed = 0;                  ///< FitOptions::seed
    std::size_t epoch = 0, batch = 0;        ///< from 1
    std::uint64_t step = 0;                  ///< batches before this one in the whole run (from 0)
};

/// Passed to FitOptions::on_epoch after every epoch (validation done); set `stop` to end training.
struct EpochEvent {
    const EpochRecord& record;
    const History& history;
    bool stop = false;
};

/// Options of fit() on a `Data` training set (a Dataset: FitOptions; a RegressionDataset:
/// RegressionFitOptions). Only the first four are usually needed:
/// `{.epochs = 10, .batch_size = 64, .validation = &test, .seed = 1}`.
template <class Data>
struct BasicFitOptions {
    std::size_t epochs = 1;
    std::size_t batch_size = 32;
    /// Evaluated (eval mode) after every epoch: val_loss, val_accuracy (NaN for regression). Not owned.
    const Data* validation = nullptr;
    /// Keys the per-epoch shuffle (Philox, RandomPurpose::shuffle); the same seed gives the same batches.
    std::uint64_t seed = 0;
    bool shuffle = true;

    /// Learning rate per epoch t = 0, 1, ... (any typenet Schedule, or a lambda); unset: keep opt.lr.
    std::function<double(std::size_t)> schedule{};
    /// Apply `schedule` before every batch, t = global step from 0, instead of per epoch (warm-up in steps).
    bool schedule_per_batch = false;
    /// Divide the learning rate when the monitored metric stalls; a plateau after the last allowed
    /// reduction stops training. Watches `plateau_monitor`.
    std::optional<ReduceOnPlateau> plateau{};
    Monitor plateau_monitor = Monitor::val_loss;
    std::optional<EarlyStopping> early_stopping{};

    /// Data augmentation: called on each minibatch after it is gathered, before the step (float networks
    /// only). The batch is a copy, so the training set itself never changes.
    std::function<void(AugmentBatch&)> augment{};
    std::function<void(BatchEvent&)> on_batch{};
    std::function<void(EpochEvent&)> on_epoch{};

    /// Print progress: a live bar on a terminal, one line per epoch otherwise. false: silent.
    bool verbose = true;
    /// Where progress goes; nullptr: std::cout (the bar is drawn only if stdout is a terminal).
    std::ostream* log = nullptr;
    /// Check every gradient for inf/NaN before each update (one pass over the gradients, ~1/batch of a
    /// backward pass), so a diverging run stops with the last good parameters.
    bool check_finite = true;
    /// Rows per predict call when evaluating the validation set.
    std::size_t eval_chunk = 1024;
};

/// Options of fit() with class labels (a Dataset).
using FitOptions = BasicFitOptions<Dataset>;
/// Options of fit() with real-valued targets (a RegressionDataset); the accuracy monitors do not apply.
using RegressionFitOptions = BasicFitOptions<RegressionDataset>;

}  // namespace typenet
