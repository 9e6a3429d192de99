#pragma once
/// \file The only include of xtensor: the tensor types of typenet's public interface.
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
// Slices of a batch (xt::view, xt::row, xt::range) are part of what docs/reference.md promises; they
// came in through xtensor-blas before typenet called BLAS directly.
#include <xtensor/xview.hpp>

namespace typenet {

/// A batch of samples, one per row, row-major: (batch, features).
template <class T>
using Matrix = xt::xtensor<T, 2>;

/// A vector: labels, per-feature statistics.
template <class T>
using Vector = xt::xtensor<T, 1>;

}  // namespace typenet
