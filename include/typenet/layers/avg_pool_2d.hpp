#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/core/spatial_options.hpp"
#include "typenet/layers/image_layer_spec.hpp"

namespace typenet {

/// Average pooling bound to scalar T over channels-last (C, H, W) samples: output (c, i, j) is the sum of
/// channel c over the K×K window at (i·S − P, j·S − P) divided by K², the padding counting as zeros
/// (PyTorch's default count_include_pad=True; with P ≤ K/2 no window reaches past the padding).
template <class T, class InputShape, std::size_t K, std::size_t S, std::size_t P>
class AvgPool2DLayer {
    using dims = detail::image_dims<InputShape>;
    static constexpr std::size_t C = dims::channels, H = dims::height, W = dims::width;
    static constexpr std::size_t OH = detail::pooled_size(H, K, S, P), OW = detail::pooled_size(W, K, S, P);
    static constexpr T inverse_area = static_cast<T>(1.0 / static_cast<double>(K * K));

public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = Shape<C, OH, OW>;
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t in_width = InputShape::size;
    static constexpr std::size_t out_width = output_shape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() {
        return "AvgPool2D<" + std::to_string(K) + ", Stride<" + std::to_string(S) + ">, Padding<" + std::to_string(P) +
               ">>";
    }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, in_width> x, BatchView<T, out_width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, in_width> x, BatchView<T, out_width> y) const {
        for (std::size_t n = 0; n < x.rows; ++n) {
            const T* in = x.row(n);
            T* out = y.row(n);
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow, out += C) {
                    std::fill_n(out, C, T{0});
                    for (std::size_t h = first(oh); h < last(oh, H); ++h)
                        for (std::size_t w = first(ow); w < last(ow, W); ++w)
                            for (std::size_t c = 0; c < C; ++c) out[c] += in[(h * W + w) * C + c];
                    for (std::size_t c = 0; c < C; ++c) out[c] *= inverse_area;
                }
        }
    }

    /// dx(c, h, w) = Σ dy / K² over the windows that contain (h, w).
    void backward(LayerState<T>, BatchView<const T, in_width>, BatchView<const T, out_width>,
                  BatchView<const T, out_width> dy, BatchView<T, in_width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        std::fill_n(dx.data, dx.size(), T{0});
        for (std::size_t n = 0; n < dy.rows; ++n) {
            const T* g = dy.row(n);
            T* d = dx.row(n);
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow, g += C)
                    for (std::size_t h = first(oh); h < last(oh, H); ++h)
                        for (std::size_t w = first(ow); w < last(ow, W); ++w)
                            for (std::size_t c = 0; c < C; ++c) d[(h * W + w) * C + c] += g[c] * inverse_area;
        }
    }

private:
    static constexpr std::size_t first(std::size_t o) { return o * S < P ? 0 : o * S - P; }
    static constexpr std::size_t last(std::size_t o, std::size_t extent) { return std::min(o * S + K - P, extent); }
};

/// Average pooling spec: `AvgPool2D<Window, Options...>` with `Stride<S>` (default: the window) and
/// `Padding<P>` (zeros, counted in the average; P ≤ Window / 2) in any order; PyTorch's nn.AvgPool2d.
template <std::size_t Window, class... Options>
struct AvgPool2D : detail::PoolingSpec<AvgPool2D<Window, Options...>, Window, Options...> {
    using spec = detail::PoolingSpec<AvgPool2D, Window, Options...>;
    template <class T, class InputShape>
    using bind = AvgPool2DLayer<T, InputShape, Window, spec::stride, spec::padding>;
};

}  // namespace typenet
