#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/init/he.hpp"
#include "typenet/init/initializer.hpp"

namespace typenet {

/// Fully connected layer bound to scalar T: y = x·Wᵀ + b, W stored (Out, In) as in PyTorch's nn.Linear.
template <class T, std::size_t In, std::size_t Out, class Init>
class DenseLayer {
public:
    using scalar = T;
    using input_shape = Shape<In>;
    using output_shape = Shape<Out>;
    using fusion_kind = fusion::contraction;
    static constexpr std::array parameter_tensors{TensorInfo{"weight", Out, In}, TensorInfo{"bias", Out}};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() {
        return "Dense<" + std::to_string(In) + ", " + std::to_string(Out) + ", " + Init::name() + ">";
    }

    void initialize(LayerState<T> s, const StepContext& c) {
        Init::fill(std::span<T>(s.parameters, In * Out), In, Out,
                   Philox(c.seed, RandomPurpose::initialize, c.layer_index, 0));
        std::fill_n(s.parameters + In * Out, Out, T{0});
    }

    void forward(LayerState<T> s, BatchView<const T, In> x, BatchView<T, Out> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T> s, BatchView<const T, In> x, BatchView<T, Out> y) const {
        const T* w = s.parameters;
        const T* b = w + In * Out;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            T* yr = y.row(r);
            for (std::size_t o = 0; o < Out; ++o) {
                const T* wo = w + o * In;
                T sum = b[o];
                for (std::size_t i = 0; i < In; ++i) sum += xr[i] * wo[i];
                yr[o] = sum;
            }
        }
    }

    /// dW += dyᵀ·x, db += Σ dy over the batch, dx = dy·W.
    void backward(LayerState<T> s, BatchView<const T, In> x, BatchView<const T, Out>, BatchView<const T, Out> dy,
                  BatchView<T, In> dx, const StepContext&) {
        const T* w = s.parameters;
        T* dw = s.gradients;
        T* db = dw + In * Out;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* xr = x.row(r);
            const T* dyr = dy.row(r);
            for (std::size_t o = 0; o < Out; ++o) {
                const T g = dyr[o];
                db[o] += g;
                T* dwo = dw + o * In;
                for (std::size_t i = 0; i < In; ++i) dwo[i] += g * xr[i];
            }
        }
        if (dx.data == nullptr) return;
        for (std::size_t r = 0; r < x.rows; ++r) {
            const T* dyr = dy.row(r);
            T* dxr = dx.row(r);
            std::fill_n(dxr, In, T{0});
            for (std::size_t o = 0; o < Out; ++o) {
                const T g = dyr[o];
                const T* wo = w + o * In;
                for (std::size_t i = 0; i < In; ++i) dxr[i] += g * wo[i];
            }
        }
    }
};

/// Fully connected layer spec: `Dense<In, Out, Init = He>`; the bias starts at zero.
template <std::size_t In, std::size_t Out, class Init = He>
struct Dense {
    static_assert(In > 0 && Out > 0, "typenet::Dense<In, Out>: both sizes must be positive");
    static_assert(Initializer<Init>, "typenet::Dense<In, Out, Init>: Init is not an initializer (see init/)");
    using required_input = Shape<In>;
    template <class T, class InputShape>
    using bind = DenseLayer<T, In, Out, Init>;
};

}  // namespace typenet
