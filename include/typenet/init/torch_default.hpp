#pragma once
#include "typenet/init/initializer.hpp"

namespace typenet {

/// PyTorch's nn.Linear default for weights: U[-1/√fan_in, 1/√fan_in].
struct TorchDefault {
    static std::string name() { return "TorchDefault"; }
    template <class T>
    static void fill(std::span<T> w, std::size_t fan_in, std::size_t, const Philox& rng) {
        init_detail::fill_uniform(w, 1.0 / std::sqrt(static_cast<double>(fan_in)), rng);
    }
};

}  // namespace typenet
