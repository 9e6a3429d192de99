#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/simd/math.hpp"

namespace typenet {

/// PReLU's rule for one element, with the element's slope as an operand, written once for scalars and
/// SIMD registers like `Elementwise` functions: a fused kernel loads the slopes of a block of columns
/// (or broadcasts the shared one) and runs these on registers.
struct PReLUFunction {
    template <class V>
    static V apply(V x, V slope) {
        return math::select_positive(x, x, slope * x);
    }
    /// dy/dx; at x = 0 it is the slope, as in PyTorch.
    template <class V>
    static V derivative(V x, V /*y*/, V slope) {
        return math::select_positive(x, V(1), slope);
    }
    /// This element's term of dL/d slope: dy·x where x ≤ 0 (x = 0 adds 0 either way), else 0.
    template <class V>
    static V slope_gradient(V x, V dy) {
        return math::select_positive(x, V(0), dy * x);
    }
};

/// A PReLU bound to scalar T: y = x for x > 0, a·x otherwise, with learned slopes a ("weight"), one
/// shared by all features (`Channelwise = false`) or one per channel, the first dimension of the sample.
///
/// Fusion: it counts as elementwise because element c of a sample needs only x[c] and the slope
/// `weight[slope_index(c)]`, a per-column operand like a bias; `function` states the rule.
template <class T, class InputShape, bool Channelwise>
class PReLULayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = InputShape;
    using fusion_kind = fusion::elementwise;
    using function = PReLUFunction;
    static constexpr std::size_t width = InputShape::size;
    /// Channels-last images (core/layout.hpp): one slope per channel, the channel being the column.
    static constexpr bool channels_last = SampleLayout<InputShape>::channels_last;
    /// Number of learned slopes: PyTorch's num_parameters (an image has one per channel, as
    /// nn.PReLU(C) after a Conv2d).
    static constexpr std::size_t slopes = Channelwise || channels_last ? InputShape::dims[0] : 1;
    /// Consecutive elements of a sample that share one slope.
    static constexpr std::size_t elements_per_slope = width / slopes;
    /// PyTorch's nn.PReLU(init = 0.25).
    static constexpr double initial_slope = 0.25;
    static constexpr std::array parameter_tensors{TensorInfo{"weight", slopes}};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return Channelwise ? "PReLUPerFeature" : "PReLU"; }

    /// Which slope element `column` of a sample (0 ≤ column < width) uses.
    static constexpr std::size_t slope_index(std::size_t column) {
        return channels_last ? column % slopes : column / elements_per_slope;
    }

    void initialize(LayerState<T> s, const StepContext&) { std::fill_n(s.parameters, slopes, T(initial_slope)); }

    void forward(LayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y) const {
        const T* a = s.parameters;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            T* yr = y.row(r);
            for (std::size_t c = 0; c < width; ++c) yr[c] = function::apply(xr[c], a[slope_index(c)]);
        }
    }

    /// d weight += Σ over the batch of dy·x where x ≤ 0; dx = dy·(x > 0 ? 1 : a).
    void backward(LayerState<T> s, BatchView<const T, width> x, BatchView<const T, width>,
                  BatchView<const T, width> dy, BatchView<T, width> dx, const StepContext&) {
        const T* a = s.parameters;
        T* da = s.gradients;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            const T* dyr = dy.row(r);
            for (std::size_t c = 0; c < width; ++c) da[slope_index(c)] += function::slope_gradient(xr[c], dyr[c]);
        }
        if (dx.data == nullptr) return;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            const T* dyr = dy.row(r);
            T* dxr = dx.row(r);
            for (std::size_t c = 0; c < width; ++c)
                dxr[c] = dyr[c] * function::derivative(xr[c], T{}, a[slope_index(c)]);
        }
    }
};

/// Parametric ReLU with one learned slope shared by all features, initialized to 0.25: PyTorch's
/// default nn.PReLU() (num_parameters = 1; safetensors key "N.weight", shape (1)).
struct PReLU {
    template <class T, class InputShape>
    using bind = PReLULayer<T, InputShape, false>;
};

/// Parametric ReLU with one learned slope per feature (per channel, the first dimension, for
/// multi-dimensional samples), initialized to 0.25: nn.PReLU(num_parameters = width).
struct PReLUPerFeature {
    template <class T, class InputShape>
    using bind = PReLULayer<T, InputShape, true>;
};

}  // namespace typenet
