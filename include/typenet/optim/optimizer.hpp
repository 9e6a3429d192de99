#pragma once
#include <concepts>

namespace typenet {

/// An optimizer whose learning rate a schedule can set: a public, assignable `lr` member
/// (every typenet optimizer; also the requirement fit() puts on user-written optimizers that use schedules).
template <class O>
concept HasLearningRate = requires(O& o) {
    { o.lr } -> std::convertible_to<double>;
    o.lr = 0.1;
};

}  // namespace typenet
