#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "typenet/core/aligned_buffer.hpp"
#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/core/spatial_options.hpp"
#include "typenet/init/he.hpp"
#include "typenet/init/initializer.hpp"
#include "typenet/simd/gemm.hpp"
#include "typenet/simd/pointwise_chain.hpp"

namespace typenet {

/// Fully connected layer bound to scalar T: y = x·Wᵀ + b with PyTorch's W (Out, In), kept in memory
/// as Wᵀ (In, Out) row-major: the forward product then broadcasts each input against a contiguous
/// row of weights (no horizontal sums), and the weight gradient Xᵀ·dY lands in the same layout.
template <class T, std::size_t In, std::size_t Out, class Init, bool Bias = true>
class DenseLayer {
public:
    using scalar = T;
    using input_shape = Shape<In>;
    using output_shape = Shape<Out>;
    using fusion_kind = fusion::contraction;
    static constexpr bool has_bias = Bias;
    static constexpr std::array parameter_tensors = [] {
        constexpr TensorInfo weight{"weight", Out, In, Storage::transposed};
        if constexpr (Bias) return std::array{weight, TensorInfo{"bias", Out}};
        else return std::array{weight};
    }();
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() {
        return "Dense<" + std::to_string(In) + ", " + std::to_string(Out) + ", " + Init::name() + (Bias ? "" : ", NoBias") +
               ">";
    }

    /// Draws W in PyTorch's (Out, In) order, so a seed gives the same matrix whatever the storage.
    void initialize(LayerState<T> s, const StepContext& c) {
        std::vector<T> w(In * Out);
        Init::fill(std::span<T>(w), In, Out, Philox(c.seed, RandomPurpose::initialize, c.layer_index, 0));
        for (std::size_t o = 0; o < Out; ++o)
            for (std::size_t i = 0; i < In; ++i) s.parameters[i * Out + o] = w[o * In + i];
        if constexpr (Bias) std::fill_n(s.parameters + In * Out, Out, T{0});
    }

    void forward(LayerState<T> s, BatchView<const T, In> x, BatchView<T, Out> y, const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    /// y = x·Wᵀ + b with the register-blocked GEMM, the bias added in its epilogue.
    void infer(ConstLayerState<T> s, BatchView<const T, In> x, BatchView<T, Out> y) const {
        const T* wt = s.parameters;
        simd::gemm_forward<T, In, Out>(x.rows, x.data, simd::InOut<const T>{wt}, y.data, bias_epilogue(wt, simd::NoEpilogue{}));
    }

    /// y = chain(x·Wᵀ + b) in one GEMM: the layers fused after this one run in its epilogue.
    template <class Chain>
    void infer_fused(ConstLayerState<T> s, BatchView<const T, In> x, T* y, const Chain& chain) const {
        const T* wt = s.parameters;
        simd::gemm_forward<T, In, Out>(x.rows, x.data, simd::InOut<const T>{wt}, y,
                                       bias_epilogue(wt, simd::ChainEpilogue<Chain>{&chain}));
    }

    /// Training forward of a stage: z = x·Wᵀ + b and y = chain(z), both stored from registers; backward
    /// recomputes the chain from z. Without a chain, y is z and only y is written. `stats` collects
    /// per-column reductions of z (BatchNorm's batch moments) from the tiles as they are stored.
    template <class Chain>
    void forward_fused(LayerState<T> s, BatchView<const T, In> x, T* z, T* y, const Chain& chain,
                       const simd::ColumnStats<T>& stats = {}) {
        const T* wt = s.parameters;
        if constexpr (Chain::size == 0)
            simd::gemm_forward<T, In, Out>(x.rows, x.data, simd::InOut<const T>{wt}, y, bias_epilogue(wt, simd::NoEpilogue{}),
                                           stats);
        else
            simd::gemm_forward<T, In, Out>(
                x.rows, x.data, simd::InOut<const T>{wt}, y,
                bias_epilogue(wt, simd::StoringChainEpilogue<T, Chain>{z, Out, &chain}), stats);
    }

    /// Backward of a stage: dz = chain'(z)·dy once, over dy in place, with db += Σ dz in the same pass;
    /// then dWᵀ += xᵀ·dz and dx = dz·W.
    template <class Chain>
    void backward_fused(LayerState<T> s, BatchView<const T, In> x, const T* z, T* dy, const Chain& chain,
                        BatchView<T, In> dx) {
        if constexpr (Chain::size == 0) {
            backward(s, x, {}, BatchView<const T, Out>{dy, x.rows}, dx, {});
        } else {
            T* db = Bias ? s.gradients + In * Out : nullptr;
            simd::apply_prologue<T, Out>(
                x.rows, dy, dy,
                [&](const simd::batch<T>& g, const simd::RegisterSpan<T>& at) {
                    return chain.backward(g, at.load(z, Out), at);
                },
                simd::ColumnStats<T>{db, nullptr});
            products(s, x, dy, dx);
        }
    }

    /// dWᵀ += xᵀ·dy, db += Σ dy over the batch, dx = dy·W.
    void backward(LayerState<T> s, BatchView<const T, In> x, BatchView<const T, Out>, BatchView<const T, Out> dy,
                  BatchView<T, In> dx, const StepContext&) {
        if constexpr (Bias) simd::add_column_sums<T, Out>(x.rows, dy.data, s.gradients + In * Out);
        products(s, x, dy.data, dx);
    }

    /// The same products as plain loops: the reference the kernels are tested against.
    struct Reference {
        static void forward(const T* wt, BatchView<const T, In> x, BatchView<T, Out> y) {
            const T* b = wt + In * Out;
            for (std::size_t r = 0; r < x.rows; ++r) {
                T* yr = y.row(r);
                std::copy_n(b, Out, yr);
                for (std::size_t i = 0; i < In; ++i)
                    for (std::size_t o = 0; o < Out; ++o) yr[o] += x(r, i) * wt[i * Out + o];
            }
        }
        static void backward(const T* wt, T* dwt, BatchView<const T, In> x, BatchView<const T, Out> dy,
                             BatchView<T, In> dx) {
            T* db = dwt + In * Out;
            for (std::size_t r = 0; r < x.rows; ++r)
                for (std::size_t o = 0; o < Out; ++o) {
                    db[o] += dy(r, o);
                    for (std::size_t i = 0; i < In; ++i) dwt[i * Out + o] += x(r, i) * dy(r, o);
                }
            for (std::size_t r = 0; r < x.rows; ++r)
                for (std::size_t i = 0; i < In; ++i) {
                    T sum = 0;
                    for (std::size_t o = 0; o < Out; ++o) sum += dy(r, o) * wt[i * Out + o];
                    dx(r, i) = sum;
                }
        }
    };

private:
    template <class Then>
    static auto bias_epilogue(const T* wt, Then then) {
        if constexpr (Bias) return simd::BiasEpilogue<T, Then>{wt + In * Out, then};
        else return then;
    }

    /// The two products of backward from the (pre-activation) gradient dy: dWᵀ += xᵀ·dy, dx = dy·W.
    void products(LayerState<T> s, BatchView<const T, In> x, const T* dy, BatchView<T, In> dx) {
        const T* wt = s.parameters;
        T* dwt = s.gradients;
        simd::gemm_weight_gradient<T, In, Out>(x.rows, dy, x.data, simd::InOut<T>{dwt});
        if (dx.data == nullptr) return;
        scratch_.resize(simd::transposed_slab_size<T, Out>);
        simd::gemm_input_gradient<T, In, Out>(x.rows, dy, simd::InOut<const T>{wt}, dx.data, scratch_.data());
    }

    /// Transposed slabs of dY for the input-gradient product; sized once, reused every step.
    AlignedBuffer<T> scratch_;
};

namespace detail {
/// The first initializer among Options..., He when there is none.
template <class... Options>
struct initializer_among {
    using type = He;
};
template <class First, class... Rest>
struct initializer_among<First, Rest...> {
    using type = std::conditional_t<Initializer<First>, First, typename initializer_among<Rest...>::type>;
};
}  // namespace detail

/// Fully connected layer spec: `Dense<In, Out, Options...>`, the options an initializer (He by default)
/// and `NoBias` (PyTorch's bias=False, e.g. before BatchNorm, which removes any shift), in any order:
/// `Dense<784, 256>`, `Dense<784, 256, Xavier>`, `Dense<784, 256, NoBias>`. The bias starts at zero.
template <std::size_t In, std::size_t Out, class... Options>
struct Dense {
    using required_input = Shape<In>;
    using initializer = typename detail::initializer_among<Options...>::type;
    static constexpr bool bias = !(std::is_same_v<Options, NoBias> || ...);
    template <class T, class InputShape>
    using bind = DenseLayer<T, In, Out, initializer, bias>;
    // Checked by Seq through the accepts/rejection hook, not by static_asserts here: clang would go on
    // to report every use of a Dense whose own class body failed.
    template <class InputShape>
    static constexpr bool accepts = In > 0 && Out > 0 && ((Initializer<Options> || std::is_same_v<Options, NoBias>) && ...);
    template <std::size_t Index, class InputShape>
    using rejection = std::conditional_t<(In > 0 && Out > 0), diagnostics::check_dense_initializer<layer_index<Index>, Dense>,
                                         diagnostics::check_dense_size<layer_index<Index>, Dense>>;
};

}  // namespace typenet
