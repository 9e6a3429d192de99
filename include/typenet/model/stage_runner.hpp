#pragma once
/// \file Runs a chain of bound layers as fused stages (model/stage_plan.hpp) or layer by layer: the
/// engine of Seq, and of the bodies of Residual blocks. It owns the layers and the training
/// activations; parameters, gradients and buffers live with whoever owns the network, passed in as a
/// LayerState on every call. Activations are in the network's order (core/layout.hpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "typenet/core/aligned_buffer.hpp"
#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/model/stage_plan.hpp"
#include "typenet/simd/gemm.hpp"
#include "typenet/simd/pointwise_chain.hpp"

namespace typenet::detail {

/// The layers of `LayerTuple` (bound, in order) from input shape InputShape, over scalar T.
template <class T, class InputShape, class LayerTuple>
class StageRunner {
public:
    static constexpr std::size_t N = std::tuple_size_v<LayerTuple>;
    template <std::size_t I>
    using layer_at = std::tuple_element_t<I, LayerTuple>;

private:
    template <std::size_t... I>
    static constexpr std::array<std::size_t, N + 1> make_widths(std::index_sequence<I...>) {
        return {InputShape::size, layer_at<I>::output_shape::size...};
    }
    template <std::size_t... I>
    static constexpr std::array<std::size_t, N + 1> make_offsets(std::index_sequence<I...>, [[maybe_unused]] bool buffers) {
        std::array<std::size_t, N + 1> sizes{(buffers ? total_size(layer_at<I>::buffer_tensors)
                                                      : total_size(layer_at<I>::parameter_tensors))...};
        std::array<std::size_t, N + 1> offsets{};
        for (std::size_t i = 0; i < N; ++i) offsets[i + 1] = offsets[i] + sizes[i];
        return offsets;
    }

public:
    /// widths_[0]: the input's size per sample; widths_[i + 1]: layer i's output's.
    static constexpr auto widths_ = make_widths(std::make_index_sequence<N>{});
    // The fusion plan (model/stage_plan.hpp): the layers split into stages, each a head (a Dense, or
    // any layer that cannot be fused) and the pointwise layers after it, which run inside the head's GEMM
    // epilogue and backward prologue, or in one pass over a non-Dense head's output. Training fuses only
    // parameter-free layers; inference also folds eval-mode BatchNorm into the Dense before it.
    template <std::size_t... I>
    static constexpr std::array<bool, N> make_fusable(std::index_sequence<I...>, bool inference) {
        return {(inference ? FusesInInference<layer_at<I>> : FusesInTraining<layer_at<I>>)...};
    }
    /// In training, a Dense followed by a BatchNorm: the GEMM merges the batch moments, and the
    /// normalization joins the pointwise layers after it in one pass.
    template <std::size_t... I>
    static constexpr std::array<bool, N> make_normalized(std::index_sequence<I...>) {
        auto normalized_after = []<std::size_t L>(std::integral_constant<std::size_t, L>) {
            if constexpr (L + 1 < N)
                return std::is_same_v<typename layer_at<L>::fusion_kind, fusion::contraction> &&
                       NormalizesColumns<layer_at<L + 1>>;
            else
                return false;
        };
        return {normalized_after(std::integral_constant<std::size_t, I>{})...};
    }
    static constexpr StagePlan<N> training_plan_ = make_stage_plan<N>(make_fusable(std::make_index_sequence<N>{}, false),
                                                          make_normalized(std::make_index_sequence<N>{}));
    static constexpr StagePlan<N> inference_plan_ = make_stage_plan<N>(make_fusable(std::make_index_sequence<N>{}, true));
    // The fused path stores a layer's output only at a stage's head (the pre-activation z that backward
    // recomputes the chain from) and at its end (the stage's output); in between it lives in registers.
    static constexpr std::array<bool, N> stored_when_fused_ = [] {
        std::array<bool, N> stored{};
        for (std::size_t head = 0; head < N; head = training_plan_.stage_end[head])
            stored[head] = stored[training_plan_.stage_end[head] - 1] = true;
        return stored;
    }();
    static constexpr auto parameter_offsets_ = make_offsets(std::make_index_sequence<N>{}, false);
    static constexpr auto buffer_offsets_ = make_offsets(std::make_index_sequence<N>{}, true);
    static constexpr std::size_t parameter_count = parameter_offsets_[N];
    static constexpr std::size_t buffer_count = buffer_offsets_[N];
    /// The widest activation, input included.
    static constexpr std::size_t max_width = [] {
        std::size_t w = 0;
        for (std::size_t x : widths_) w = x > w ? x : w;
        return w;
    }();

    /// Initializes every layer's parameters in `s`; layer i draws with layer index base.layer_index + i.
    void initialize(LayerState<T> s, const StepContext& base) {
        state_ = s;
        base_ = base;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (std::get<I>(layers_).initialize(state<I>(), context(Mode::Train, I)), ...);
        }(std::make_index_sequence<N>{});
    }

    /// Makes every activation the current path stores hold `batch` samples; allocates only when the
    /// batch grows (or the path changes, set_fused).
    void reserve(std::size_t batch) {
        if (batch <= reserved_batch_) return;
        for (std::size_t i = 0; i < N; ++i)
            if (!fused_ || stored_when_fused_[i]) activations_[i].resize(batch * widths_[i + 1]);
        for (auto& g : gradient_scratch_) g.resize(batch * max_width);
        reserved_batch_ = batch;
    }

    /// Runs the layers on `batch` samples at `x` (kept, with the mode and step of `base`, for backward);
    /// the result is output().
    void forward(LayerState<T> s, const StepContext& base, const T* x, std::size_t batch) {
        reserve(batch);
        state_ = s;
        base_ = base;
        input_ = x;
        forward_batch_ = batch;
        forward_mode_ = base.mode;
        if (fused_) forward_stage<0>(batch, base.mode);
        else forward_layers(batch, base.mode, std::make_index_sequence<N>{});
    }
    /// The last layer's output of the last forward.
    const T* output() const { return activations_[N - 1].data(); }
    T* output() { return activations_[N - 1].data(); }

    /// Back-propagates `upstream` = dL/d(output) of the last forward, which it may overwrite: accumulates
    /// the parameter gradients into s and writes dL/d(input) into `input_gradient` (skipped when null).
    void backward(LayerState<T> s, T* upstream, T* input_gradient) {
        state_ = s;
        if (fused_) backward_stage<training_plan_.stage_head[N - 1]>(upstream, forward_batch_, input_gradient, 0);
        else backward_layers(upstream, forward_batch_, input_gradient, std::make_index_sequence<N>{});
    }

    std::size_t forward_batch() const { return forward_batch_; }
    Mode forward_mode() const { return forward_mode_; }
    /// Fused stages or layer by layer, here and in the layers that run chains of their own (Residual).
    void set_fused(bool fused) {
        if (fused != fused_) reserved_batch_ = 0;  // the per-layer path stores every layer's output
        fused_ = fused;
        std::apply([&](auto&... layer) { ((set_layer_fused(layer, fused)), ...); }, layers_);
    }
    bool fused() const { return fused_; }

    template <std::size_t I>
    layer_at<I>& layer() { return std::get<I>(layers_); }
    template <std::size_t I>
    const layer_at<I>& layer() const { return std::get<I>(layers_); }

    /// Eval-mode outputs of `batch` samples (network order) into `out`, the activations alternating
    /// between `ping` and `pong` (batch · max_width each). const, thread-safe.
    void infer(ConstLayerState<T> s, const T* x, std::size_t batch, T* ping, T* pong, T* out) const {
        if (fused_) infer_stage<0>(s, x, batch, ping, pong, out, 0);
        else infer_layers(s, x, batch, ping, pong, out, std::make_index_sequence<N>{});
    }

    template <std::size_t S>
    void infer_stage(ConstLayerState<T> s, const T* in, std::size_t batch, T* ping, T* pong, T* out, std::size_t parity) const {
        constexpr std::size_t E = inference_plan_.stage_end[S];
        constexpr std::size_t width = widths_[S + 1];
        const auto chain = inference_chain<S + 1>(s, std::make_index_sequence<E - S - 1>{});
        const auto& head = std::get<S>(layers_);
        T* y = E == N ? out : (parity == 0 ? ping : pong);
        const BatchView<const T, widths_[S]> x{in, batch};
        if constexpr (requires { head.infer_fused(const_state<S>(s), x, y, chain); }) {
            head.infer_fused(const_state<S>(s), x, y, chain);
        } else {
            head.infer(const_state<S>(s), x, BatchView<T, width>{y, batch});
            if constexpr (E > S + 1)
                over_output<S>(batch, y, y, [&](const simd::batch<T>& v, const simd::RegisterSpan<T>& at) {
                    return chain.forward(v, at);
                });
        }
        if constexpr (E < N) infer_stage<E>(s, y, batch, ping, pong, out, parity ^ 1);
    }

    template <std::size_t... I>
    void infer_layers(ConstLayerState<T> s, const T* x, std::size_t batch, T* ping, T* pong, T* out, std::index_sequence<I...>) const {
        const T* in = x;
        auto step = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
            T* y = L + 1 == N ? out : (L % 2 == 0 ? ping : pong);
            std::get<L>(layers_).infer(const_state<L>(s), BatchView<const T, widths_[L]>{in, batch},
                                       BatchView<T, widths_[L + 1]>{y, batch});
            in = y;
        };
        (step(std::integral_constant<std::size_t, I>{}), ...);
    }

private:
    template <class L>
    static void set_layer_fused(L& layer, bool fused) {
        if constexpr (requires { layer.set_fused(fused); }) layer.set_fused(fused);
    }

    template <std::size_t I>
    LayerState<T> state() const {
        return {state_.parameters + parameter_offsets_[I], state_.gradients + parameter_offsets_[I],
                state_.buffers + buffer_offsets_[I]};
    }
    ConstLayerState<T> const_state() const { return {state_.parameters, state_.buffers}; }
    template <std::size_t I>
    static ConstLayerState<T> const_state(ConstLayerState<T> s) {
        return {s.parameters + parameter_offsets_[I], s.buffers + buffer_offsets_[I]};
    }
    StepContext context(Mode mode, std::size_t layer) const {
        return {mode, base_.seed, base_.step, static_cast<std::uint32_t>(base_.layer_index + layer)};
    }

    /// The pointwise operations of layers First.. (the layers fused after a head), in training.
    template <std::size_t First, std::size_t... J>
    auto training_chain([[maybe_unused]] Mode mode, std::index_sequence<J...>) const {
        return simd::make_pointwise_chain<T>(std::get<First + J>(layers_).pointwise(context(mode, First + J))...);
    }
    template <std::size_t First, std::size_t... J>
    auto inference_chain([[maybe_unused]] ConstLayerState<T> s, std::index_sequence<J...>) const {
        return simd::make_pointwise_chain<T>(std::get<First + J>(layers_).inference_pointwise(const_state<First + J>(s))...);
    }

    template <std::size_t S>
    void forward_stage(std::size_t batch, Mode mode) {
        constexpr std::size_t E = training_plan_.stage_end[S];
        auto& head = std::get<S>(layers_);
        T* z = activations_[S].data();
        T* y = activations_[E - 1].data();
        if constexpr (training_plan_.normalized[S]) {
            // Dense, BatchNorm, pointwise...: the GEMM stores z and merges its moments; one pass then
            // normalizes and runs the rest. BatchNorm's own output is never stored.
            auto& norm = std::get<S + 1>(layers_);
            const auto chain = training_chain<S + 2>(mode, std::make_index_sequence<E - S - 2>{});
            const auto apply = [&](const auto& normalize) {
                over_output<S>(batch, z, y, [&](const simd::batch<T>& v, const simd::RegisterSpan<T>& at) {
                    return chain.forward(normalize.forward(v, at), at);
                });
            };
            if (mode == Mode::Train) {
                head.forward_fused(state<S>(), input_view<S>(batch), z, z, simd::make_pointwise_chain<T>(), norm.moments());
                apply(norm.forward_from_moments(state<S + 1>(), batch, context(mode, S + 1)));
            } else {
                head.forward_fused(state<S>(), input_view<S>(batch), z, z, simd::make_pointwise_chain<T>());
                apply(norm.inference_pointwise(const_state<S + 1>(const_state())));
            }
        } else {
            const auto chain = training_chain<S + 1>(mode, std::make_index_sequence<E - S - 1>{});
            if constexpr (requires { head.forward_fused(state<S>(), input_view<S>(batch), z, y, chain); }) {
                head.forward_fused(state<S>(), input_view<S>(batch), z, y, chain);
            } else {
                head.forward(state<S>(), input_view<S>(batch), output_view<S>(batch), context(mode, S));
                if constexpr (E > S + 1)
                    over_output<S>(batch, z, y, [&](const simd::batch<T>& v, const simd::RegisterSpan<T>& at) {
                        return chain.forward(v, at);
                    });
            }
        }
        if constexpr (E < N) forward_stage<E>(batch, mode);
    }

    /// out = f(in) register by register over the output of layer S seen as its activation matrix: a
    /// sample per row, or for images a pixel per row of channels (core/layout.hpp), so that the
    /// register's column is the channel per-channel operations index.
    template <std::size_t S, class F>
    static void over_output(std::size_t batch, const T* in, T* out, F&& f) {
        using layout = SampleLayout<typename layer_at<S>::output_shape>;
        simd::apply_prologue<T, layout::columns>(batch * layout::rows, in, out, f);
    }

    template <std::size_t... I>
    void forward_layers(std::size_t batch, Mode mode, std::index_sequence<I...>) {
        (std::get<I>(layers_).forward(state<I>(), input_view<I>(batch), output_view<I>(batch), context(mode, I)), ...);
    }

    /// Backward of the stage headed by S from `upstream` = dL/d(stage output), which it may overwrite;
    /// dL/d(stage input) goes to gradient_scratch_[parity] (the caller's input_gradient for the first).
    template <std::size_t S>
    void backward_stage(T* upstream, std::size_t batch, T* input_gradient, std::size_t parity) {
        constexpr std::size_t E = training_plan_.stage_end[S];
        constexpr std::size_t width = widths_[S + 1];
        constexpr std::size_t columns = SampleLayout<typename layer_at<S>::output_shape>::columns;
        auto& head = std::get<S>(layers_);
        const T* z = activations_[S].data();
        T* dx = S == 0 ? input_gradient : gradient_scratch_[parity].data();
        const BatchView<T, widths_[S]> dx_view{dx, batch};
        // upstream = chain'(·)·upstream in place, the chain recomputed from its input, `input_of(z)`.
        const auto through_chain = [&](const auto& chain, const auto& input_of) {
            if constexpr (std::remove_cvref_t<decltype(chain)>::size > 0)
                over_output<S>(batch, upstream, upstream,
                                               [&](const simd::batch<T>& g, const simd::RegisterSpan<T>& at) {
                                                   return chain.backward(g, input_of(at.load(z, columns), at), at);
                                               });
        };
        const auto identity = [](const simd::batch<T>& v, const simd::RegisterSpan<T>&) { return v; };
        if constexpr (training_plan_.normalized[S]) {
            auto& norm = std::get<S + 1>(layers_);
            const auto chain = training_chain<S + 2>(forward_mode_, std::make_index_sequence<E - S - 2>{});
            const auto normalized_by = [](const auto& op) {
                return [op](const simd::batch<T>& v, const simd::RegisterSpan<T>& at) { return op.forward(v, at); };
            };
            if (forward_mode_ == Mode::Train) through_chain(chain, normalized_by(norm.train_pointwise()));
            else through_chain(chain, normalized_by(norm.inference_pointwise(const_state<S + 1>(const_state()))));
            // BatchNorm's backward in place (it reads a channel's dy before writing its dx).
            norm.backward(state<S + 1>(), BatchView<const T, width>{z, batch}, BatchView<const T, width>{z, batch},
                          BatchView<const T, width>{upstream, batch}, BatchView<T, width>{upstream, batch},
                          context(forward_mode_, S + 1));
            head.backward_fused(state<S>(), input_view<S>(batch), z, upstream, simd::make_pointwise_chain<T>(), dx_view);
        } else {
            const auto chain = training_chain<S + 1>(forward_mode_, std::make_index_sequence<E - S - 1>{});
            if constexpr (requires { head.backward_fused(state<S>(), input_view<S>(batch), z, upstream, chain, dx_view); }) {
                head.backward_fused(state<S>(), input_view<S>(batch), z, upstream, chain, dx_view);
            } else {
                through_chain(chain, identity);
                head.backward(state<S>(), input_view<S>(batch), output_view<S>(batch),
                              BatchView<const T, width>{upstream, batch}, dx_view, context(forward_mode_, S));
            }
        }
        if constexpr (S > 0) backward_stage<training_plan_.stage_head[S - 1]>(dx, batch, input_gradient, parity ^ 1);
    }

    template <std::size_t... I>
    void backward_layers(const T* upstream, std::size_t batch, T* input_gradient, std::index_sequence<I...>) {
        // Layers run last to first; each writes dx into the scratch buffer its successor did not use.
        auto step = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
            T* dx = L == 0 ? input_gradient : gradient_scratch_[L % 2].data();
            std::get<L>(layers_).backward(state<L>(), input_view<L>(batch), output_view<L>(batch),
                                          BatchView<const T, widths_[L + 1]>{upstream, batch},
                                          BatchView<T, widths_[L]>{dx, batch}, context(forward_mode_, L));
            upstream = dx;
        };
        (step(std::integral_constant<std::size_t, N - 1 - I>{}), ...);
    }

    template <std::size_t I>
    BatchView<const T, widths_[I]> input_view(std::size_t batch) const {
        if constexpr (I == 0) return {input_, batch};
        else return {activations_[I - 1].data(), batch};
    }
    template <std::size_t I>
    BatchView<T, widths_[I + 1]> output_view(std::size_t batch) {
        return {activations_[I].data(), batch};
    }

    LayerTuple layers_{};
    LayerState<T> state_{nullptr, nullptr, nullptr};
    StepContext base_{};
    bool fused_ = true;

    // Training workspace, sized by reserve(); activations_[i] is the output of layer i (left empty
    // inside fused stages).
    std::size_t reserved_batch_ = 0, forward_batch_ = 0;
    Mode forward_mode_ = Mode::Train;
    const T* input_ = nullptr;
    std::array<AlignedBuffer<T>, N> activations_;
    std::array<AlignedBuffer<T>, 2> gradient_scratch_;
};

}  // namespace typenet::detail
