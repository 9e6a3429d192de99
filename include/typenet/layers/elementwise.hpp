#pragma once
#include <array>
#include <cstddef>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// A parameter-free elementwise layer bound to scalar T, from a function object F that states
///   static V apply(V x)                 the activation
///   static V derivative(V x, V y)       dy/dx given the input x and the output y = apply(x)
///   static std::string name()
/// once, for every V (float, double, SIMD registers), so fused kernels can run it in registers.
template <class T, class InputShape, class F>
class ElementwiseLayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = InputShape;
    using fusion_kind = fusion::elementwise;
    using function = F;
    static constexpr std::size_t width = InputShape::size;
    static constexpr std::size_t lanes = simd::lanes<T>;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() { return F::name(); }

    /// F on one register, for the epilogues and prologues of fused kernels (model/pointwise_chain.hpp).
    struct Pointwise {
        using V = simd::batch<T>;
        V forward(const V& x, const simd::RegisterSpan<T>&) const { return F::apply(x); }
        V backward(const V& dy, const V& x, const V& y, const simd::RegisterSpan<T>&) const {
            return dy * F::derivative(x, y);
        }
    };
    Pointwise pointwise(const StepContext&) const { return {}; }
    Pointwise inference_pointwise(ConstLayerState<T>) const { return {}; }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T>, BatchView<const T, width> x, BatchView<T, width> y) const {
        const T* in = x.data;
        T* out = y.data;
        const std::size_t n = x.size(), bulk = n - n % lanes;
        for (std::size_t i = 0; i < bulk; i += lanes)
            F::apply(simd::batch<T>::load_unaligned(in + i)).store_unaligned(out + i);
        for (std::size_t i = bulk; i < n; ++i) out[i] = F::apply(in[i]);
    }

    void backward(LayerState<T>, BatchView<const T, width> x, BatchView<const T, width> y,
                  BatchView<const T, width> dy, BatchView<T, width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        using V = simd::batch<T>;
        const std::size_t n = x.size(), bulk = n - n % lanes;
        for (std::size_t i = 0; i < bulk; i += lanes)
            (V::load_unaligned(dy.data + i) * F::derivative(V::load_unaligned(x.data + i), V::load_unaligned(y.data + i)))
                .store_unaligned(dx.data + i);
        for (std::size_t i = bulk; i < n; ++i) dx.data[i] = dy.data[i] * F::derivative(x.data[i], y.data[i]);
    }
};

/// Base of elementwise layer specs: `struct ReLU : Elementwise<ReLU> { apply, derivative, name }`.
template <class F>
struct Elementwise {
    template <class T, class InputShape>
    using bind = ElementwiseLayer<T, InputShape, F>;
};

}  // namespace typenet
