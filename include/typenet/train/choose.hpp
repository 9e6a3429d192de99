#pragma once
#include <string>
#include <utility>

#include "typenet/core/error.hpp"
#include "typenet/core/real.hpp"

namespace typenet {

/// Turns a run-time value into a compile-time one among a fixed list, for hyperparameters that are
/// template arguments (a dropout rate is part of the network's type):
///   with_choice<0.0, 0.25, 0.5>(trial["dropout"], [&]<Real P>() { return train<Seq<..., Dropout<P>, ...>>(); });
/// Calls `f.template operator()<C>()` for the choice C equal to `value`; every branch must return
/// the same type. Throws typenet::error if `value` is not in the list. Each choice instantiates the
/// network type once, so keep the list short.
template <Real First, Real... Rest, class F>
decltype(auto) with_choice(double value, F&& f) {
    if (value == First.value()) return std::forward<F>(f).template operator()<First>();
    if constexpr (sizeof...(Rest) > 0) {
        return with_choice<Rest...>(value, std::forward<F>(f));
    } else {
        throw error("with_choice: " + std::to_string(value) +
                    " is not one of the compiled-in choices (add it to the with_choice<...> list)");
    }
}

}  // namespace typenet
