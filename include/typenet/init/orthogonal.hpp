#pragma once
#include <algorithm>
#include <vector>

#include "typenet/init/initializer.hpp"

namespace typenet {

/// A random (semi-)orthogonal matrix (Saxe et al. 2014): the rows (or, for a tall matrix, the
/// columns) are orthonormal. Built by Gram-Schmidt, done twice for accuracy, on a Gaussian matrix.
struct Orthogonal {
    static std::string name() { return "Orthogonal"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t fan_out, const Philox& rng) {
        // Orthonormalize the `count` vectors of length `length` along the smaller dimension.
        const bool rows_orthonormal = fan_out <= fan_in;
        const std::size_t count = rows_orthonormal ? fan_out : fan_in;
        const std::size_t length = rows_orthonormal ? fan_in : fan_out;
        std::vector<double> v(count * length);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = rng.normal(i);
        for (std::size_t k = 0; k < count; ++k) {
            double* vk = &v[k * length];
            for (int pass = 0; pass < 2; ++pass)
                for (std::size_t j = 0; j < k; ++j) {
                    const double* vj = &v[j * length];
                    double dot = 0;
                    for (std::size_t i = 0; i < length; ++i) dot += vk[i] * vj[i];
                    for (std::size_t i = 0; i < length; ++i) vk[i] -= dot * vj[i];
                }
            double norm = 0;
            for (std::size_t i = 0; i < length; ++i) norm += vk[i] * vk[i];
            norm = std::sqrt(norm);
            for (std::size_t i = 0; i < length; ++i) vk[i] /= norm;
        }
        for (std::size_t o = 0; o < fan_out; ++o)
            for (std::size_t i = 0; i < fan_in; ++i)
                w[o * fan_in + i] = static_cast<T>(rows_orthonormal ? v[o * fan_in + i] : v[i * fan_out + o]);
    }
};

}  // namespace typenet
