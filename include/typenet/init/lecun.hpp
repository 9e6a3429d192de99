#pragma once
#include "typenet/init/initializer.hpp"

namespace typenet {

/// LeCun normal: N(0, 1 / fan_in), for tanh/SELU networks (LeCun et al. 1998, "Efficient BackProp").
struct LeCun {
    static std::string name() { return "LeCun"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t, const Philox& rng) {
        init_detail::fill_normal(w, std::sqrt(1.0 / static_cast<double>(fan_in)), rng);
    }
};

/// LeCun uniform: U[-√(3 / fan_in), √(3 / fan_in)], variance 1 / fan_in.
struct LeCunUniform {
    static std::string name() { return "LeCunUniform"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t, const Philox& rng) {
        init_detail::fill_uniform(w, std::sqrt(3.0 / static_cast<double>(fan_in)), rng);
    }
};

}  // namespace typenet
