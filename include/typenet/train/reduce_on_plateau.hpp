#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "typenet/core/error.hpp"

namespace typenet {

/// Whether a monitored quantity should go down (a loss) or up (an accuracy).
enum class Goal { minimize, maximize };

/// What ReduceOnPlateau decided after an epoch.
enum class PlateauAction {
    keep,    ///< improved, or still within patience
    reduce,  ///< the learning rate was multiplied by `factor`
    stop,    ///< a plateau after `max_reductions` reductions: training should end
};

/// Divides the learning rate by 10 (`factor` 0.1) when the validation metric stops improving, with
/// the semantics and defaults of torch.optim.lr_scheduler.ReduceLROnPlateau (mode "min", threshold
/// 1e-4 relative, patience 10, cooldown 0, min_lr 0): an epoch improves if it beats the best by the
/// threshold; after more than `patience` epochs in a row without improvement the rate is reduced
/// (patience 2: the 3rd bad epoch reduces). typenet's addition: after `max_reductions` reductions,
/// the next plateau answers `stop` instead of reducing again, and fit() ends training.
struct ReduceOnPlateau {
    double factor = 0.1;
    std::size_t patience = 10;
    std::size_t max_reductions = 3;
    double threshold = 1e-4;
    std::size_t cooldown = 0;
    double min_lr = 0.0;
    Goal goal = Goal::minimize;

    // State, advanced by update().
    double best = std::numeric_limits<double>::quiet_NaN();
    std::size_t bad_epochs = 0, reductions = 0, cooldown_left = 0;

    /// Feeds one epoch's metric; may change `lr`.
    PlateauAction update(double metric, double& lr) {
        if (!(factor > 0.0 && factor < 1.0))
            throw error("ReduceOnPlateau: factor is " + std::to_string(factor) + ", it must be in (0, 1)");
        if (std::isnan(metric)) throw error("ReduceOnPlateau: the monitored metric is NaN (no validation set?)");
        if (improves(metric)) {
            best = metric;
            bad_epochs = 0;
        } else {
            ++bad_epochs;
        }
        if (cooldown_left > 0) {
            --cooldown_left;
            bad_epochs = 0;
        }
        if (bad_epochs <= patience) return PlateauAction::keep;
        bad_epochs = 0;
        if (reductions >= max_reductions) return PlateauAction::stop;
        ++reductions;
        cooldown_left = cooldown;
        lr = std::max(lr * factor, min_lr);
        return PlateauAction::reduce;
    }

    /// Forgets the best value and the counts (for a new run).
    void reset() {
        best = std::numeric_limits<double>::quiet_NaN();
        bad_epochs = reductions = cooldown_left = 0;
    }

private:
    bool improves(double metric) const {
        if (std::isnan(best)) return true;
        return goal == Goal::minimize ? metric < best * (1.0 - threshold) : metric > best * (1.0 + threshold);
    }
};

}  // namespace typenet
