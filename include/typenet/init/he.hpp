#pragma once
#include "typenet/init/initializer.hpp"

namespace typenet {

/// He (Kaiming) normal: N(0, 2 / fan_in), for ReLU networks (He et al. 2015; PyTorch kaiming_normal_).
struct He {
    static std::string name() { return "He"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t, const Philox& rng) {
        init_detail::fill_normal(w, std::sqrt(2.0 / static_cast<double>(fan_in)), rng);
    }
};

/// He uniform: U[-√(6 / fan_in), √(6 / fan_in)], variance 2 / fan_in.
struct HeUniform {
    static std::string name() { return "HeUniform"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t, const Philox& rng) {
        init_detail::fill_uniform(w, std::sqrt(6.0 / static_cast<double>(fan_in)), rng);
    }
};

}  // namespace typenet
