#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/layers/image_layer_spec.hpp"

namespace typenet {

/// Global average pooling bound to scalar T: (C, H, W) channels-last to (C), y(c) = the mean of channel c
/// over the H·W positions.
template <class T, class InputShape>
class GlobalAvgPool2DLayer {
    using dims = detail::image_dims<InputShape>;
    static constexpr std::size_t C = dims::channels, HW = dims::height * dims::width;
    static constexpr T inverse_area = static_cast<T>(1.0 / static_cast<double>(HW));

public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = Shape<C>;
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t in_width = InputShape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return "GlobalAvgPool2D"; }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, in_width> x, BatchView<T, C> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, in_width> x, BatchView<T, C> y) const {
        for (std::size_t n = 0; n < x.rows; ++n) {
            const T* in = x.row(n);
            T* out = y.row(n);
            std::fill_n(out, C, T{0});
            for (std::size_t p = 0; p < HW; ++p)
                for (std::size_t c = 0; c < C; ++c) out[c] += in[p * C + c];
            for (std::size_t c = 0; c < C; ++c) out[c] *= inverse_area;
        }
    }

    /// dx(c, h, w) = dy(c) / (H·W).
    void backward(LayerState<T>, BatchView<const T, in_width>, BatchView<const T, C>, BatchView<const T, C> dy,
                  BatchView<T, in_width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        for (std::size_t n = 0; n < dy.rows; ++n) {
            const T* g = dy.row(n);
            T* d = dx.row(n);
            for (std::size_t p = 0; p < HW; ++p)
                for (std::size_t c = 0; c < C; ++c) d[p * C + c] = g[c] * inverse_area;
        }
    }
};

/// Global average pooling spec: (C, H, W) → (C); PyTorch's nn.AdaptiveAvgPool2d(1) followed by
/// nn.Flatten(), or x.mean((2, 3)).
struct GlobalAvgPool2D {
    template <class In>
    static constexpr bool accepts = detail::image_dims<In>::is_image;
    template <std::size_t Index, class In>
    using rejection = diagnostics::check_image_input<layer_index<Index>, GlobalAvgPool2D, receives<In>>;
    template <class T, class InputShape>
    using bind = GlobalAvgPool2DLayer<T, InputShape>;
};

}  // namespace typenet
