#pragma once
/// \file Every compile-time diagnostic of typenet. Each check is a class template whose name and
/// arguments carry the facts (layer index, layer, shapes), so the compiler's first lines show them;
/// each fails with exactly one static_assert, and callers stop instantiating after a failure.
/// docs/errors.md lists every message with its cause and fix; tests/compile_fail has a test for each.
#include <cstddef>

namespace typenet {

/// Position of a layer in `Seq<...>`, counted from 0; appears in diagnostics.
template <std::size_t Index>
struct layer_index {};
/// The input shape a layer requires; appears in diagnostics.
template <class Shape>
struct expects {};
/// The shape the previous layer produces; appears in diagnostics.
template <class Shape>
struct receives {};

namespace diagnostics {

template <class... Facts>
inline constexpr bool fails = false;

/// No diagnostic: the network is well formed.
struct none {};

/// A layer whose required input shape differs from the previous layer's output shape.
template <class LayerIndex, class Layer, class Expected, class Received>
struct check_input_shape {
    static_assert(fails<LayerIndex, Layer, Expected, Received>,
                  "typenet::Seq: this layer expects a different input shape than the layer before it "
                  "produces (see check_input_shape<layer_index<I>, layer, expects<...>, receives<...>>)");
};

/// A type in `Seq<...>` that is not a layer spec.
template <class LayerIndex, class NotALayer>
struct check_is_layer {
    static_assert(fails<LayerIndex, NotALayer>,
                  "typenet::Seq: this type is not a layer (a layer spec has a member template "
                  "bind<Scalar, InputShape>; see check_is_layer<layer_index<I>, type>)");
};

/// `Seq<>` with no layer.
template <class Empty>
struct check_not_empty {
    static_assert(fails<Empty>, "typenet::Seq: a network needs at least one layer");
};

/// A first layer that accepts any shape, so the network's input shape is unknown.
template <class FirstLayer>
struct check_first_layer_fixes_input {
    static_assert(fails<FirstLayer>,
                  "typenet::Seq: the first layer must fix the input shape; start with Dense<In, Out> or "
                  "Input<N>");
};

/// Maxout<K> after a width that K does not divide.
template <class LayerIndex, class Layer, class Received>
struct check_maxout_divides_width {
    static_assert(fails<LayerIndex, Layer, Received>,
                  "typenet::Maxout<K>: the input width must be a multiple of K (the layer before must "
                  "produce K * width features; see check_maxout_divides_width<layer_index<I>, Maxout<K>, "
                  "receives<...>>)");
};

/// A custom layer spec whose bound layer does not satisfy the `Layer` concept (core/layer.hpp).
template <class LayerIndex, class Spec>
struct check_bound_layer {
    static_assert(fails<LayerIndex, Spec>, "typenet::Seq: this layer spec's bind<Scalar, InputShape> does not satisfy the "
                             "typenet::Layer concept (see core/layer.hpp for what a layer provides)");
};

/// Dense<In, Out> with a zero size.
template <class LayerIndex, class Layer>
struct check_dense_size {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Dense<In, Out>: both sizes must be positive (see check_dense_size<layer_index<I>, "
                  "Dense<...>>)");
};

/// Dense<In, Out, Init> whose Init is not an initializer (init/initializer.hpp).
template <class LayerIndex, class Layer>
struct check_dense_initializer {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Dense<In, Out, Init>: Init is not an initializer (see init/; "
                  "check_dense_initializer<layer_index<I>, Dense<...>>)");
};

/// Dropout<P> with P outside [0, 1); Rate is P as fraction<Numerator, Denominator> (core/real.hpp).
template <class LayerIndex, class Layer, class Rate = void>
struct check_dropout_rate {
    static_assert(fails<LayerIndex, Layer, Rate>,
                  "typenet::Dropout<P>: the drop probability P must be in [0, 1) (see "
                  "check_dropout_rate<layer_index<I>, Dropout<P>, fraction<numerator, denominator>>, which "
                  "shows P as numerator/denominator)");
};

/// Labels that are not integer class labels, given to a class-label loss (SoftmaxCrossEntropy,
/// MulticlassHinge), e.g. std::vector<float>.
template <class Loss, class Labels>
struct check_class_labels {
    static_assert(fails<Loss, Labels>,
                  "typenet: this loss takes integer class labels in contiguous memory: std::vector<int>, "
                  "std::span<const int>, xt::xtensor<int, 1> (any integer type); the labels given are not "
                  "integers (see check_class_labels<loss, labels>). Convert them to int, or for real-valued "
                  "targets use a target matrix with MeanSquaredError or BinaryCrossEntropy");
};

}  // namespace diagnostics
}  // namespace typenet
