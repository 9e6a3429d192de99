#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// Flatten bound to scalar T: any sample shape to one flat row in PyTorch's order. A (C, H, W) sample is
/// channels-last inside a network, so its output index is c·H·W + h·W + w (what nn.Flatten gives), and a
/// Dense after it has the weights of PyTorch's nn.Linear after nn.Flatten. Where the two orders coincide
/// (C = 1, H·W = 1, flat shapes) it is the identity, and then fuses like an activation.
template <class T, class InputShape>
class FlattenLayer {
    static constexpr bool reorders = reordered_v<InputShape>;
    static constexpr std::size_t C = SampleLayout<InputShape>::columns, HW = SampleLayout<InputShape>::rows;
    // A fused training stage indexes its matrix as the stage's first layer laid it out: one pixel per
    // row for a (1, H, W) image, one sample per row after Flatten. The values are the same, but a Dropout
    // after it would number them by the wrong row width, so only a kept row width fuses in training.
    static constexpr bool keeps_rows = !reorders && C == InputShape::size;

public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = Shape<InputShape::size>;
    using fusion_kind = std::conditional_t<keeps_rows, fusion::elementwise, fusion::barrier>;
    static constexpr std::size_t width = InputShape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return "Flatten"; }

    /// The identity on one register, when no reordering is needed.
    struct Pointwise {
        using V = simd::batch<T>;
        V forward(const V& x, const simd::RegisterSpan<T>&) const { return x; }
        V backward(const V& dy, const V&, const V&, const simd::RegisterSpan<T>&) const { return dy; }
    };
    Pointwise pointwise(const StepContext&) const
        requires(keeps_rows)
    {
        return {};
    }
    Pointwise inference_pointwise(ConstLayerState<T>) const
        requires(!reorders)
    {
        return {};
    }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, width> x, BatchView<T, width> y) const {
        if constexpr (reorders) to_channels_first<C, HW>(x.data, y.data, x.rows);
        else std::copy_n(x.data, x.size(), y.data);
    }

    void backward(LayerState<T>, BatchView<const T, width>, BatchView<const T, width>, BatchView<const T, width> dy,
                  BatchView<T, width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        if constexpr (reorders) to_channels_last<C, HW>(dy.data, dx.data, dy.rows);
        else std::copy_n(dy.data, dy.size(), dx.data);
    }
};

/// Flatten spec: (C, H, W) → (C·H·W) in PyTorch's order (nn.Flatten); the identity on a flat shape.
struct Flatten {
    template <class T, class InputShape>
    using bind = FlattenLayer<T, InputShape>;
};

}  // namespace typenet
