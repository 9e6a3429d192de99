#pragma once
/// \file The only include of xtensor: the tensor types of typenet's public interface.
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

namespace typenet {

/// A batch of samples, one per row, row-major: (batch, features).
template <class T>
using Matrix = xt::xtensor<T, 2>;

/// A vector: labels, per-feature statistics.
template <class T>
using Vector = xt::xtensor<T, 1>;

}  // namespace typenet
