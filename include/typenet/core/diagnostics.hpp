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

/// The channel count a convolution takes; appears in diagnostics.
template <std::size_t C>
struct in_channels {};
/// The channel count a convolution produces; appears in diagnostics.
template <std::size_t C>
struct out_channels {};
/// A convolution's Groups<G>; appears in diagnostics.
template <std::size_t G>
struct groups_of {};
/// A kernel or pooling window: size, stride, padding, dilation; appears in diagnostics.
template <std::size_t Kernel, std::size_t Stride, std::size_t Padding, std::size_t Dilation = 1>
struct window {};

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

/// Dense<In, Out, Options...> with an option that is neither an initializer (init/initializer.hpp) nor NoBias.
template <class LayerIndex, class Layer>
struct check_dense_initializer {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Dense<In, Out, Init>: Init is not an initializer, nor NoBias (see init/; "
                  "check_dense_initializer<layer_index<I>, Dense<...>>)");
};

/// A convolution or pooling layer after a shape that is not an image (C, H, W).
template <class LayerIndex, class Layer, class Received>
struct check_image_input {
    static_assert(fails<LayerIndex, Layer, Received>,
                  "typenet::Seq: this layer takes an image (C, H, W) but the layer before it produces a flat or "
                  "other shape (start the network with Input<C, H, W>; see check_image_input<layer_index<I>, layer, "
                  "receives<...>>)");
};

/// Conv2D<In, ...> after a layer that produces another channel count.
template <class LayerIndex, class Layer, class Expected, class Received>
struct check_input_channels {
    static_assert(fails<LayerIndex, Layer, Expected, Received>,
                  "typenet::Conv2D<In, Out, K>: In differs from the channel count (first dimension) of the shape "
                  "the layer before produces (see check_input_channels<layer_index<I>, layer, expects<...>, "
                  "receives<...>>)");
};

/// A (dilated) kernel or pooling window larger than the padded input, which leaves no output.
template <class LayerIndex, class Layer, class Received, class Window>
struct check_window_fits {
    static_assert(fails<LayerIndex, Layer, Received, Window>,
                  "typenet::Seq: this layer's (dilated) window is larger than its padded input, so it has no "
                  "output (dilation*(kernel-1)+1 must be at most H+2*padding and W+2*padding; see "
                  "check_window_fits<layer_index<I>, layer, receives<...>, window<kernel, stride, padding, "
                  "dilation>>)");
};

/// Conv2D with Groups<G> where G does not divide both channel counts.
template <class LayerIndex, class Layer, class In, class Out, class Groups>
struct check_conv_groups {
    static_assert(fails<LayerIndex, Layer, In, Out, Groups>,
                  "typenet::Conv2D: Groups<G> must divide both the input and the output channel count (see "
                  "check_conv_groups<layer_index<I>, layer, in_channels<...>, out_channels<...>, groups_of<G>>)");
};

/// Conv2D with a zero channel count, kernel, stride, dilation or group count.
template <class LayerIndex, class Layer>
struct check_conv_sizes {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Conv2D: channel counts, kernel, Stride, Dilation and Groups must all be positive (see "
                  "check_conv_sizes<layer_index<I>, layer>)");
};

/// Conv2D with an option that is none of Stride, Padding, Dilation, Groups, NoBias or an initializer.
template <class LayerIndex, class Layer>
struct check_conv_options {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Conv2D<In, Out, K, Options...>: an option is none of Stride<S>, Padding<P>, "
                  "Dilation<D>, Groups<G>, NoBias or an initializer (see check_conv_options<layer_index<I>, layer>)");
};

/// A Residual block whose body (or a ResidualWith whose shortcut) has no layer.
template <class LayerIndex, class Layer>
struct check_residual_body {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::Residual: the body (and a ResidualWith's Shortcut<...>) needs at least one layer (see "
                  "check_residual_body<layer_index<I>, layer>)");
};

/// A Residual body whose output shape differs from the block's input (or from the shortcut's output).
template <class LayerIndex, class Layer, class Expected, class Received>
struct check_residual_shape {
    static_assert(fails<LayerIndex, Layer, Expected, Received>,
                  "typenet::Residual: the body's output shape differs from the shape it is added to (the block's "
                  "input, or the shortcut's output for ResidualWith); use ResidualWith<Shortcut<...>, ...> to "
                  "project the input (see check_residual_shape<layer_index<I>, layer, expects<...>, receives<...>>)");
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

/// A loss that reads class labels (SoftmaxCrossEntropy, MulticlassHinge) given real-valued targets:
/// a RegressionDataset in fit()/evaluate(), or a float matrix in train_step.
template <class Loss, class Targets>
struct check_loss_takes_class_labels {
    static_assert(fails<Loss, Targets>,
                  "typenet: this loss takes integer class labels (a typenet::Dataset), not real-valued targets "
                  "(a typenet::RegressionDataset or a float matrix); for regression use MeanSquaredError (see "
                  "check_loss_takes_class_labels<loss, targets>)");
};

/// MeanSquaredError on a one-output network given class labels, which it would read as 0/1 targets.
template <class Loss, class Targets>
struct check_one_output_real_targets {
    static_assert(fails<Loss, Targets>,
                  "typenet::MeanSquaredError: a one-output network takes real-valued targets (a "
                  "typenet::RegressionDataset, or a (batch, 1) float matrix), not class labels, which would be "
                  "read as 0/1 targets; for two classes use BinaryCrossEntropy (see "
                  "check_one_output_real_targets<loss, labels>)");
};

}  // namespace diagnostics
}  // namespace typenet

// ---- pooling, SpatialDropout, DropBlock, DropPath (layers/); a flat input and a window that does not
// fit are check_image_input and check_window_fits above ----------------------------------------------

namespace typenet {

/// DropBlock's block side; appears in diagnostics.
template <std::size_t B>
struct block {};

namespace diagnostics {

/// MaxPool2D / AvgPool2D with an option other than Stride<S> and Padding<P>, or one given twice.
template <class LayerIndex, class Layer, class Option>
struct check_pool_option {
    static_assert(fails<LayerIndex, Layer, Option>,
                  "typenet::MaxPool2D / AvgPool2D: the only options are Stride<S> and Padding<P>, each at most "
                  "once (see check_pool_option<layer_index<I>, layer, option>)");
};

/// A pooling window or stride of 0: there is no output position.
template <class LayerIndex, class Layer, class Window>
struct check_pool_geometry_leaves_no_output {
    static_assert(fails<LayerIndex, Layer, Window>,
                  "typenet::MaxPool2D / AvgPool2D: the window and the stride must be positive, else the "
                  "geometry leaves no output (see check_pool_geometry_leaves_no_output<layer_index<I>, layer, "
                  "window<kernel, stride, padding>>)");
};

/// Padding larger than half the window, which PyTorch rejects too (a window could lie in the padding only).
template <class LayerIndex, class Layer, class Window>
struct check_pool_padding_at_most_half_window {
    static_assert(fails<LayerIndex, Layer, Window>,
                  "typenet::MaxPool2D / AvgPool2D: the padding must be at most half the window, P <= K / 2, "
                  "as in PyTorch (see check_pool_padding_at_most_half_window<layer_index<I>, layer, "
                  "window<kernel, stride, padding>>)");
};

/// SpatialDropout<P>, DropBlock<P, B> or DropPath<P> with P outside [0, 1).
template <class LayerIndex, class Layer>
struct check_drop_probability {
    static_assert(fails<LayerIndex, Layer>,
                  "typenet::SpatialDropout<P> / DropBlock<P, B> / DropPath<P>: the drop probability P must be in "
                  "[0, 1) (see check_drop_probability<layer_index<I>, layer>)");
};

/// DropBlock<P, B> whose block is empty or does not fit in the feature map (B = 0, B > H or B > W).
template <class LayerIndex, class Layer, class Received, class Block>
struct check_dropblock_block_fits_feature_map {
    static_assert(fails<LayerIndex, Layer, Received, Block>,
                  "typenet::DropBlock<P, B>: the block side B must be between 1 and the feature map's height "
                  "and width (see check_dropblock_block_fits_feature_map<layer_index<I>, DropBlock<P, B>, "
                  "receives<Shape<C, H, W>>, block<B>>)");
};

}  // namespace diagnostics
}  // namespace typenet
