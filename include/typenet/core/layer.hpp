#pragma once
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/shape.hpp"

namespace typenet {

/// Train: batch statistics, dropout active, state updated. Eval: running statistics, dropout off.
enum class Mode { Train, Eval };

/// How a layer takes part in fusion (docs/design.md): elementwise layers run inside the epilogue of the
/// contraction before them; barriers need the whole batch (or row) before the next layer can start.
namespace fusion {
struct elementwise {};
struct contraction {};
struct barrier {};
}  // namespace fusion

/// How a matrix parameter is laid out in memory relative to its logical (PyTorch) shape.
enum class Storage { as_shape, transposed };

/// The name and logical shape of one tensor a layer owns: "weight" (256, 784), "running_mean" (256),
/// a Conv2d "weight" (64, 32, 3, 3). `dims` is the PyTorch shape; `order` lists the logical axes from
/// the slowest to the fastest in memory: Dense keeps Wᵀ, (in, out), so its forward product broadcasts
/// inputs against contiguous weight rows (order {1, 0}); Conv2D keeps (kh, kw, in, out), the GEMM
/// operand of its channels-last patches (order {2, 3, 1, 0}). This is the one description of memory
/// order that named tensors, both file formats, the gradient check and the messages use.
struct TensorInfo {
    static constexpr std::size_t max_rank = 4;
    using index = std::array<std::size_t, max_rank>;

    std::string_view name;
    index dims{1, 1, 1, 1};
    std::size_t rank = 1;
    Storage storage = Storage::as_shape;
    std::array<std::size_t, max_rank> order{0, 1, 2, 3};

    constexpr TensorInfo() = default;
    constexpr TensorInfo(std::string_view n, std::size_t d0) : name(n), dims{d0, 1, 1, 1}, rank(1) {}
    constexpr TensorInfo(std::string_view n, std::size_t d0, std::size_t d1, Storage s = Storage::as_shape)
        : name(n), dims{d0, d1, 1, 1}, rank(2), storage(s),
          order(s == Storage::transposed ? index{1, 0, 2, 3} : index{0, 1, 2, 3}) {}
    /// A tensor of rank 4 stored with its axes in `memory_order` (slowest first).
    constexpr TensorInfo(std::string_view n, index d, index memory_order)
        : name(n), dims(d), rank(4), storage(memory_order == index{0, 1, 2, 3} ? Storage::as_shape : Storage::transposed),
          order(memory_order) {}

    constexpr std::size_t size() const { return dims[0] * dims[1] * dims[2] * dims[3]; }

    /// Memory offset of the logical element at `at` (unused trailing axes 0).
    constexpr std::size_t offset(const index& at) const {
        std::size_t o = 0;
        for (std::size_t k = 0; k < rank; ++k) o = o * dims[order[k]] + at[order[k]];
        return o;
    }
    /// Memory offset of logical element (i, j) of a matrix or vector (j = 0).
    constexpr std::size_t offset(std::size_t i, std::size_t j) const { return offset(index{i, j, 0, 0}); }
    /// The logical index of the element at memory offset `m` (the inverse of offset()).
    constexpr index logical(std::size_t m) const {
        index at{0, 0, 0, 0};
        for (std::size_t k = rank; k-- > 0;) {
            at[order[k]] = m % dims[order[k]];
            m /= dims[order[k]];
        }
        return at;
    }
    /// The logical index of the `k`-th element in PyTorch's row-major order.
    constexpr index unflatten(std::size_t k) const {
        index at{0, 0, 0, 0};
        for (std::size_t a = rank; a-- > 0;) {
            at[a] = k % dims[a];
            k /= dims[a];
        }
        return at;
    }
    /// "[3, 1]" for a logical index, as messages print it.
    std::string str(const index& at) const {
        std::string s = "[";
        for (std::size_t k = 0; k < rank; ++k) s += (k ? ", " : "") + std::to_string(at[k]);
        return s + "]";
    }
};

/// Total element count of a list of tensors.
template <std::size_t N>
constexpr std::size_t total_size(const std::array<TensorInfo, N>& tensors) {
    std::size_t n = 0;
    for (const auto& t : tensors) n += t.size();
    return n;
}

/// A layer's slice of the network's parameter, gradient and buffer arrays, laid out in the order of
/// its `parameter_tensors` and `buffer_tensors`.
template <class T>
struct LayerState {
    T* parameters;
    T* gradients;
    T* buffers;
};

/// The read-only part of a layer's state, for inference.
template <class T>
struct ConstLayerState {
    const T* parameters;
    const T* buffers;
};

/// Facts about the current call that a layer may need: the mode, and what keys its random streams.
struct StepContext {
    Mode mode = Mode::Eval;
    Seed seed{};
    std::uint64_t step = 0;
    std::uint32_t layer_index = 0;
};

/// A layer bound to a scalar type and an input shape (docs/design.md): what `Seq` drives.
/// backward() gets dx.data == nullptr when the input gradient is not wanted (first layer).
template <class L>
concept Layer =
    requires {
        typename L::scalar;
        typename L::input_shape;
        typename L::output_shape;
        typename L::fusion_kind;
        { L::parameter_tensors.size() } -> std::convertible_to<std::size_t>;
        { L::buffer_tensors.size() } -> std::convertible_to<std::size_t>;
        { L::name() } -> std::convertible_to<std::string>;
    } &&
    requires(L& layer, const L& const_layer, LayerState<typename L::scalar> state,
             ConstLayerState<typename L::scalar> const_state,
             BatchView<const typename L::scalar, L::input_shape::size> x,
             BatchView<typename L::scalar, L::output_shape::size> y,
             BatchView<const typename L::scalar, L::output_shape::size> y_const,
             BatchView<typename L::scalar, L::input_shape::size> dx, const StepContext& context) {
        layer.initialize(state, context);
        layer.forward(state, x, y, context);
        const_layer.infer(const_state, x, y);
        layer.backward(state, x, y_const, y_const, dx, context);
    };

/// What the user writes in `Seq<...>`: a type with a member template `bind<Scalar, InputShape>`
/// naming the bound layer. Specs that fix their input (Dense) also say `using required_input = Shape<N>`.
template <class S>
concept LayerSpec = requires { typename S::template bind<float, Shape<1>>; };

/// A layer that can run inside a training kernel: `pointwise(context)` returns an operation with
///   batch forward(batch x, simd::RegisterSpan at)                    the output register for input x
///   batch backward(batch dy, batch x, batch y, simd::RegisterSpan at) dL/dx from dL/dy, x and y = forward(x)
/// Only parameter-free layers qualify: a fused backward cannot accumulate parameter gradients.
template <class L>
concept FusesInTraining = requires(const L& layer, const StepContext& context) { layer.pointwise(context); };

/// A layer whose eval-mode computation can run in an inference kernel's epilogue:
/// `inference_pointwise(state)` returns an operation with `forward` as above (BatchNorm's affine map,
/// activations, Dropout's identity).
template <class L>
concept FusesInInference = requires(const L& layer, ConstLayerState<typename L::scalar> state) {
    layer.inference_pointwise(state);
};

/// A layer whose train-mode forward can start from per-column moments that the contraction before it
/// merged while storing its outputs (BatchNorm on flat features): `moments()` says where the GEMM merges
/// them, `forward_from_moments(state, rows, context)` then returns the normalization as a register
/// operation, and `train_pointwise()` returns it again for the backward's recomputation.
template <class L>
concept NormalizesColumns = requires(L& layer, LayerState<typename L::scalar> state, const StepContext& context) {
    layer.moments();
    layer.forward_from_moments(state, std::size_t{}, context);
    layer.train_pointwise();
};

template <class S>
concept FixesInput = requires { typename S::required_input; };

/// Specs with a condition on their input (Maxout<K>: width divisible by K) state it as
/// `template <class In> static constexpr bool accepts` and name the diagnostic to show otherwise as
/// `template <std::size_t Index, class In> using rejection = diagnostics::...`.
template <class S, class In>
concept ValidatesInput = requires {
    { S::template accepts<In> } -> std::convertible_to<bool>;
};

}  // namespace typenet
