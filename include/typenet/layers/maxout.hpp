#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"

namespace typenet {

namespace detail {
/// The output shape of Maxout<K>: the first dimension divided by K, the others unchanged.
template <std::size_t K, class InputShape>
struct maxout_output;
template <std::size_t K, std::size_t First, std::size_t... Rest>
struct maxout_output<K, Shape<First, Rest...>> {
    using type = Shape<First / K, Rest...>;
};
}  // namespace detail

/// A Maxout layer bound to scalar T: output j is the largest of the K consecutive inputs
/// x[j·K], ..., x[j·K + K − 1] (for a multi-dimensional sample, of K consecutive channels at the same
/// position). The gradient goes to the first largest input of each group.
template <class T, class InputShape, std::size_t K>
class MaxoutLayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = typename detail::maxout_output<K, InputShape>::type;
    /// A reduction across features: not elementwise, so a fused stage ends here.
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t pieces = K;
    static constexpr std::size_t in_width = InputShape::size;
    static constexpr std::size_t out_width = output_shape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return "Maxout(" + std::to_string(K) + ")"; }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, in_width> x, BatchView<T, out_width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, in_width> x, BatchView<T, out_width> y) const {
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            T* yr = y.row(r);
            for (std::size_t j = 0; j < out_width; ++j) yr[j] = xr[winner(xr, j)];
        }
    }

    /// dx is dy at the winner of each group and 0 elsewhere; the winner is found again from x rather
    /// than stored, so the layer keeps no buffer.
    void backward(LayerState<T>, BatchView<const T, in_width> x, BatchView<const T, out_width>,
                  BatchView<const T, out_width> dy, BatchView<T, in_width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            const T* dyr = dy.row(r);
            T* dxr = dx.row(r);
            for (std::size_t i = 0; i < in_width; ++i) dxr[i] = T{0};
            for (std::size_t j = 0; j < out_width; ++j) dxr[winner(xr, j)] = dyr[j];
        }
    }

private:
    /// Elements of a sample per channel: 1 for a flat sample.
    static constexpr std::size_t inner = InputShape::size / InputShape::dims[0];

    /// Index in the sample of the first largest input of output j's group. A NaN wins (and stays), so
    /// that it reaches the output as with PyTorch's max instead of being hidden.
    static std::size_t winner(const T* xr, std::size_t j) {
        const std::size_t channel = j / inner, position = j % inner;
        std::size_t best = channel * K * inner + position;
        for (std::size_t k = 1; k < K; ++k) {
            const std::size_t i = (channel * K + k) * inner + position;
            if (xr[i] > xr[best] || (xr[i] != xr[i] && xr[best] == xr[best])) best = i;
        }
        return best;
    }
};

/// Maxout (Goodfellow et al. 2013) with K pieces: each output is the max of K consecutive inputs, so the
/// layer before produces K·width features (`Dense<In, K * Width>, Maxout<K>`). The input width must be
/// a multiple of K.
template <std::size_t K>
struct Maxout {
    template <class In>
    static constexpr bool accepts = K > 0 && In::dims[0] % K == 0;
    template <std::size_t Index, class In>
    using rejection = diagnostics::check_maxout_divides_width<layer_index<Index>, Maxout<K>, receives<In>>;
    template <class T, class InputShape>
    using bind = MaxoutLayer<T, InputShape, K>;
};

}  // namespace typenet
