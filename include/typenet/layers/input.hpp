#pragma once
#include <cstddef>
#include <string>

#include "typenet/core/shape.hpp"
#include "typenet/layers/elementwise.hpp"

namespace typenet {

/// States the network's input shape when the first real layer accepts any shape:
/// `Seq<Input<8>, Tanh, Dense<8, 1>>`. Passes its input through unchanged.
template <std::size_t... Dims>
struct Input {
    using required_input = Shape<Dims...>;
    struct Identity {
        static std::string name() { return "Input" + Shape<Dims...>::str(); }
        template <class V>
        static V apply(V x) { return x; }
        template <class V>
        static V derivative(V, V) { return V(1); }
    };
    template <class T, class InputShape>
    using bind = ElementwiseLayer<T, InputShape, Identity>;
};

/// Whether a spec is Input<...>, which stands for no module of PyTorch's nn.Sequential and so takes
/// no index in its keys: in Seq<Input<1, 28, 28>, Conv2D<1, 8, 3>, ...> the Conv2D's weight is "0.weight".
template <class S>
inline constexpr bool is_input_v = false;
template <std::size_t... Dims>
inline constexpr bool is_input_v<Input<Dims...>> = true;

}  // namespace typenet
