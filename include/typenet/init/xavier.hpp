#pragma once
#include "typenet/init/initializer.hpp"

namespace typenet {

/// Xavier (Glorot) normal: N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio 2010).
struct Xavier {
    static std::string name() { return "Xavier"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t fan_out, const Philox& rng) {
        init_detail::fill_normal(w, std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), rng);
    }
};

/// Xavier (Glorot) uniform: U[-√6 / √(fan_in + fan_out), +√6 / √(fan_in + fan_out)].
struct XavierUniform {
    static std::string name() { return "XavierUniform"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t fan_out, const Philox& rng) {
        init_detail::fill_uniform(w, std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)), rng);
    }
};

/// The same as Xavier.
using Glorot = Xavier;
/// The same as XavierUniform.
using GlorotUniform = XavierUniform;

}  // namespace typenet
