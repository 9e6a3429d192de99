#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"

namespace typenet {

/// Softmax bound to scalar T, over all features of each sample: y = e^(x − max x) / Σ e^(x − max x).
template <class T, class InputShape>
class SoftmaxLayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = InputShape;
    /// Every output depends on the whole row (its max and its sum).
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t width = InputShape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return "Softmax"; }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, width> x, BatchView<T, width> y) const {
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            T* yr = y.row(r);
            // Subtracting the max makes the largest exponent 0: nothing overflows, and the sum is ≥ 1.
            T top = xr[0];
            for (std::size_t i = 1; i < width; ++i) top = xr[i] > top ? xr[i] : top;
            T sum = 0;
            for (std::size_t i = 0; i < width; ++i) sum += yr[i] = std::exp(xr[i] - top);
            const T inverse = T(1) / sum;
            for (std::size_t i = 0; i < width; ++i) yr[i] *= inverse;
        }
    }

    /// dx = y ⊙ (dy − Σ dy ⊙ y), the Jacobian (diag(y) − y·yᵀ) applied without forming it.
    void backward(LayerState<T>, BatchView<const T, width>, BatchView<const T, width> y,
                  BatchView<const T, width> dy, BatchView<T, width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        for (std::size_t r = 0; r < y.rows; ++r) {
            const T* yr = y.row(r);
            const T* dyr = dy.row(r);
            T* dxr = dx.row(r);
            T dot = 0;
            for (std::size_t i = 0; i < width; ++i) dot += dyr[i] * yr[i];
            for (std::size_t i = 0; i < width; ++i) dxr[i] = yr[i] * (dyr[i] - dot);
        }
    }
};

/// Softmax over each sample's features (PyTorch nn.Softmax(dim = 1) on (batch, features)), stable for
/// any finite logits. For training with SoftmaxCrossEntropy, leave it out: that loss applies it itself.
struct Softmax {
    template <class T, class InputShape>
    using bind = SoftmaxLayer<T, InputShape>;
};

}  // namespace typenet
