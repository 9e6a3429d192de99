#pragma once
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// What one epoch of fit() measured. Epochs count from 1. Without a validation set the val_* fields
/// are NaN; so are both accuracies when training on a RegressionDataset (there are no classes).
struct EpochRecord {
    std::size_t epoch = 0;
    /// Mean batch loss over the epoch, weighted by batch size (train mode: dropout on, batch statistics).
    double train_loss = 0;
    /// Accuracy of the training batches' own outputs, accumulated while training (as Keras reports it).
    double train_accuracy = 0;
    double val_loss = std::nan("");
    double val_accuracy = std::nan("");
    /// The learning rate the epoch ran with (its start, if a per-batch schedule changed it).
    double lr = 0;
    double seconds = 0;
};

/// Why fit() returned.
enum class StopReason { completed, early_stopping, plateau, callback };

/// Printable name of a StopReason.
inline const char* to_string(StopReason r) {
    switch (r) {
        case StopReason::completed: return "completed";
        case StopReason::early_stopping: return "early stopping";
        case StopReason::plateau: return "learning-rate plateau";
        case StopReason::callback: return "stopped by a callback";
    }
    return "?";
}

/// Everything fit() measured, one record per epoch.
struct History {
    std::vector<EpochRecord> epochs;
    StopReason stop_reason = StopReason::completed;
    /// The epoch early stopping found best (and restored, if asked); 0 without early stopping.
    std::size_t best_epoch = 0;

    std::size_t size() const { return epochs.size(); }
    bool empty() const { return epochs.empty(); }
    const EpochRecord& operator[](std::size_t i) const { return epochs[i]; }
    const EpochRecord& back() const { return epochs.back(); }
    auto begin() const { return epochs.begin(); }
    auto end() const { return epochs.end(); }

    /// Writes `epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds` and one row per
    /// epoch (empty cells for missing validation, and for the accuracies of a regression run), through a temporary file renamed into place so a
    /// failure never leaves half a file.
    void write_csv(const std::string& path) const {
        const std::string temporary = path + ".tmp";
        {
            std::ofstream out(temporary, std::ios::trunc);
            if (!out) throw error("History::write_csv: cannot open '" + temporary + "' for writing");
            out << "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n";
            auto cell = [&](double v) {
                if (std::isfinite(v)) {
                    char text[32];
                    std::snprintf(text, sizeof text, "%.9g", v);
                    out << text;
                }
            };
            for (const EpochRecord& r : epochs) {
                out << r.epoch << ',';
                for (double v : {r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy, r.lr}) cell(v), out << ',';
                cell(r.seconds);
                out << '\n';
            }
            out.flush();
            if (!out) throw error("History::write_csv: writing '" + temporary + "' failed");
        }
        std::error_code ec;
        std::filesystem::rename(temporary, path, ec);
        if (ec) {
            std::filesystem::remove(temporary, ec);
            throw error("History::write_csv: cannot move the file into place at '" + path + "'");
        }
    }
};

}  // namespace typenet
