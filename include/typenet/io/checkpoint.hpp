#pragma once
#include <string>

#include "typenet/io/native_format.hpp"
#include "typenet/optim/optimizer_state.hpp"

namespace typenet {

/// Saves everything a training run needs to resume bit for bit — the network's parameters, running
/// statistics, step count and seed (dropout masks are keyed on the last two) and the optimizer's
/// state (moments, step counters) — to one native file, atomically. The optimizer's hyperparameters
/// are not saved: the caller sets them, as a schedule does. `net.load(path)` reads the network part.
template <class Net, ResumableOptimizer Optimizer>
void save_checkpoint(const Net& net, const Optimizer& optimizer, const std::string& path) {
    io::save_native(net, optimizer, path);
}

/// Restores a file written by save_checkpoint into a network of the same type and an optimizer of
/// the same kind. Throws typenet::error, changing neither, for another network (both signatures),
/// another optimizer (both kinds), state of another size (both sizes), a plain model file, or a
/// damaged file.
template <class Net, ResumableOptimizer Optimizer>
void load_checkpoint(Net& net, Optimizer& optimizer, const std::string& path) {
    io::load_native(net, optimizer, path);
}

}  // namespace typenet
