#pragma once
#include "typenet/init/initializer.hpp"

namespace typenet {

/// N(0, 0.01²): the classic small random start; fine for shallow nets, vanishing signals in deep ones.
struct SmallRandom {
    static std::string name() { return "SmallRandom"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t, std::size_t, const Philox& rng) {
        init_detail::fill_normal(w, 0.01, rng);
    }
};

}  // namespace typenet
