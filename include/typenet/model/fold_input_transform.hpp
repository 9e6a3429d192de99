#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"

namespace typenet {

/// Folds an affine preprocessing of the input (standardization, PCA/ZCA whitening, min-max scaling, or
/// a chain of them) into the first layer of `net`, which must be a Dense: afterwards `net` on raw input
/// computes what it computed on preprocessed input, so a saved or exported model takes raw input.
/// `transform(Matrix<T>& x)` preprocesses the rows of x in place, as the preprocessors' `apply` does.
/// With x' = v + x·M, the first layer becomes W' = W·Mᵀ, b' = b + W·v (in double). Throws
/// typenet::error, leaving `net` unchanged, when the first layer is not a Dense or the transform is not
/// affine (checked on random inputs).
template <class Net, class Transform>
void fold_input_transform(Net& net, Transform&& transform) {
    using T = typename Net::scalar;
    constexpr std::size_t in = Net::input_size;
    auto tensors = net.named_tensors();
    if (tensors.empty() || tensors[0].name != "0.weight" || tensors[0].info.rank != 2 || tensors[0].info.dims[1] != in)
        throw error("fold_input_transform: the first layer of " + Net::signature() + " is not a Dense");
    if (tensors.size() < 2 || tensors[1].name != "0.bias")
        throw error("fold_input_transform: the first Dense of " + Net::signature() +
                    " has no bias (NoBias), which the shift of a preprocessing step needs");
    const std::size_t out = tensors[0].info.dims[0];

    // Row 0: the image of 0 (v); row 1 + i: the image of the basis vector e_i; then random probes.
    constexpr std::size_t probes = 3;
    Matrix<T> x = Matrix<T>::from_shape({in + 1 + probes, in});
    x.fill(T{0});
    for (std::size_t i = 0; i < in; ++i) x(1 + i, i) = T{1};
    const Philox rng(Seed{0x5eed}, RandomPurpose::user, 0, 0);
    for (std::size_t p = 0; p < probes; ++p)
        for (std::size_t i = 0; i < in; ++i) x(1 + in + p, i) = static_cast<T>(rng.normal(p * in + i));
    const Matrix<T> probe_inputs = x;
    transform(x);
    if (x.shape(0) != in + 1 + probes || x.shape(1) != in)
        throw error("fold_input_transform: the transform changed the shape of its input");

    // x' = v + x·M, M[i][k] = image(e_i)[k] − v[k]; check it on the probes.
    std::vector<double> m(in * in);
    for (std::size_t i = 0; i < in; ++i)
        for (std::size_t k = 0; k < in; ++k) m[i * in + k] = double(x(1 + i, k)) - double(x(0, k));
    for (std::size_t p = 0; p < probes; ++p) {
        double worst = 0, scale = 1;
        for (std::size_t k = 0; k < in; ++k) {
            double predicted = double(x(0, k));
            for (std::size_t i = 0; i < in; ++i) predicted += double(probe_inputs(1 + in + p, i)) * m[i * in + k];
            const double actual = double(x(1 + in + p, k));
            if (!std::isfinite(actual))
                throw error("fold_input_transform: the transform gives a non-finite value at feature " + std::to_string(k));
            worst = std::max(worst, std::abs(predicted - actual));
            scale = std::max(scale, std::abs(actual));
        }
        if (worst > 1e-3 * scale)
            throw error("fold_input_transform: the transform is not affine (a random input is off by " +
                        std::to_string(worst) + " from the affine map fitted to the basis vectors)");
    }

    // W'[o][i] = Σ_k W[o][k]·M[i][k];  b'[o] = b[o] + Σ_k W[o][k]·v[k].
    std::vector<double> w(out * in), folded(out * in), bias(out);
    for (std::size_t o = 0; o < out; ++o) {
        for (std::size_t k = 0; k < in; ++k) w[o * in + k] = double(tensors[0].at(o, k));
        double b = double(tensors[1].at(o));
        for (std::size_t k = 0; k < in; ++k) b += w[o * in + k] * double(x(0, k));
        bias[o] = b;
    }
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t i = 0; i < in; ++i) {
            double sum = 0;
            const double* wo = &w[o * in];
            const double* mi = &m[i * in];
            for (std::size_t k = 0; k < in; ++k) sum += wo[k] * mi[k];
            folded[o * in + i] = sum;
        }
    for (std::size_t o = 0; o < out; ++o) {
        for (std::size_t i = 0; i < in; ++i) tensors[0].at(o, i) = static_cast<T>(folded[o * in + i]);
        tensors[1].at(o) = static_cast<T>(bias[o]);
    }
}

}  // namespace typenet
