#pragma once
#include <algorithm>

#include "typenet/init/initializer.hpp"

namespace typenet {

/// All zeros. Every unit of a layer then learns the same thing; for tests and special cases only.
struct Zeros {
    static std::string name() { return "Zeros"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t, std::size_t, const Philox&) {
        std::fill(w.begin(), w.end(), T{0});
    }
};

}  // namespace typenet
