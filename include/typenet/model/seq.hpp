#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "typenet/config.hpp"
#include "typenet/core/aligned_buffer.hpp"
#include "typenet/core/batch_view.hpp"
#include "typenet/core/error.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/core/thread_pool.hpp"
#include "typenet/io/native_format.hpp"
#include "typenet/io/safetensors.hpp"
#include "typenet/model/layer_chain.hpp"
#include "typenet/model/summary.hpp"
#include "typenet/simd/gemm.hpp"
#include "typenet/simd/parallel.hpp"
#include "typenet/simd/pointwise_chain.hpp"

namespace typenet {

/// One tensor of a network under its PyTorch `nn.Sequential` key ("0.weight", "1.running_mean").
/// `gradient` is empty for buffers (running statistics), which are not trained.
template <class T>
struct NamedTensor {
    std::string name;
    std::size_t layer = 0;
    TensorInfo info;
    std::span<T> value;     ///< in memory order (see info.storage)
    std::span<T> gradient;  ///< in memory order
    bool is_buffer = false;

    /// Logical (PyTorch-layout) element (i, j) of the value; j = 0 for vectors.
    T& at(std::size_t i, std::size_t j = 0) const { return value[info.offset(i, j)]; }
    /// Logical (PyTorch-layout) element at a rank-4 index such as (out, in, ky, kx).
    T& at(const TensorInfo::index& logical) const { return value[info.offset(logical)]; }
};

/// A network over scalar type T (float for use, double for gradient checks); `Seq<L...>` is the float one.
template <class T, class... Specs>
class BasicSeq {
    using chain = detail::layer_chain<T, Specs...>;
    // Instantiates the one diagnostic of a malformed network (or diagnostics::none), on its own, so
    // that nothing computed from the chain fails a second time.
    static_assert(sizeof(typename chain::failure) > 0);
    using layer_tuple = typename chain::layers;
    static constexpr std::size_t N = std::tuple_size_v<layer_tuple>;
    template <std::size_t I>
    using layer_at = std::tuple_element_t<I, layer_tuple>;

    template <std::size_t... I>
    static constexpr std::array<std::size_t, N + 1> make_widths(std::index_sequence<I...>) {
        return {chain::input_shape::size, layer_at<I>::output_shape::size...};
    }
    template <std::size_t... I>
    static constexpr std::array<std::size_t, N + 1> make_offsets(std::index_sequence<I...>, bool buffers) {
        std::array<std::size_t, N + 1> sizes{(buffers ? total_size(layer_at<I>::buffer_tensors)
                                                      : total_size(layer_at<I>::parameter_tensors))...};
        std::array<std::size_t, N + 1> offsets{};
        for (std::size_t i = 0; i < N; ++i) offsets[i + 1] = offsets[i] + sizes[i];
        return offsets;
    }
    static constexpr auto widths_ = make_widths(std::make_index_sequence<N>{});
    /// Input<...> first: it takes no index in the PyTorch keys (nothing in nn.Sequential stands for it).
    static constexpr bool starts_with_input = detail::starts_with_input<Specs...>;

    // The fusion plan (docs/design.md, "Fusion"): the layers split into stages, each a head (a Dense, or
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
    /// stage_end[i]: one past the last layer of the stage headed by layer i (for heads); stage_head[i]: the
    /// head of the stage that contains layer i; normalized[i]: the stage of head i is Dense, BatchNorm, ....
    struct StagePlan {
        std::array<std::size_t, N> stage_end{};
        std::array<std::size_t, N> stage_head{};
        std::array<bool, N> normalized{};
    };
    static constexpr StagePlan make_plan(const std::array<bool, N>& fusable, const std::array<bool, N>& normalized = {}) {
        StagePlan plan;
        for (std::size_t head = 0; head < N;) {
            plan.normalized[head] = normalized[head];
            std::size_t end = head + (normalized[head] ? 2 : 1);
            while (end < N && fusable[end]) ++end;
            for (std::size_t i = head; i < end; ++i) plan.stage_head[i] = head;
            plan.stage_end[head] = end;
            head = end;
        }
        return plan;
    }
    static constexpr StagePlan training_plan_ = make_plan(make_fusable(std::make_index_sequence<N>{}, false),
                                                          make_normalized(std::make_index_sequence<N>{}));
    static constexpr StagePlan inference_plan_ = make_plan(make_fusable(std::make_index_sequence<N>{}, true));
    static constexpr auto parameter_offsets_ = make_offsets(std::make_index_sequence<N>{}, false);
    static constexpr auto buffer_offsets_ = make_offsets(std::make_index_sequence<N>{}, true);

public:
    using scalar = T;
    using input_shape = typename chain::input_shape;
    using output_shape = typename chain::output_shape;
    /// The same network over another scalar type (e.g. double for gradient checks).
    template <class U>
    using rebind = BasicSeq<U, Specs...>;

    static constexpr std::size_t layer_count = N;
    static constexpr std::size_t input_size = input_shape::size;
    static constexpr std::size_t output_size = output_shape::size;
    /// Trainable scalars (weights, biases, BatchNorm's gamma and beta, PReLU slopes).
    static constexpr std::size_t parameter_count = parameter_offsets_[N];
    /// Non-trainable state (BatchNorm's running statistics).
    static constexpr std::size_t buffer_count = buffer_offsets_[N];
    /// The widest activation of the network, input included.
    static constexpr std::size_t max_width = *std::max_element(widths_.begin(), widths_.end());

    /// Parameters initialized deterministically from the seed.
    explicit BasicSeq(Seed seed = Seed{0})
        : seed_(seed), parameters_(parameter_count), gradients_(parameter_count), buffers_(buffer_count) {
        initialize(std::make_index_sequence<N>{});
    }

    // ---- inference -------------------------------------------------------------------------------

    /// Eval-mode outputs for a batch (batch, input_size) -> (batch, output_size). const, thread-safe.
    Matrix<T> predict(const Matrix<T>& x) const {
        Matrix<T> out = Matrix<T>::from_shape({x.shape(0), output_size});
        predict(x, out);
        return out;
    }

    /// As above, into `out` (reshaped only when its shape differs). Intermediate activations live in a
    /// per-thread workspace that only grows, so after the first call at a given batch size on a thread
    /// this makes no heap allocation. const, thread-safe.
    void predict(const Matrix<T>& x, Matrix<T>& out) const {
        const std::size_t batch = checked_batch(x, "predict");
        if (out.shape(0) != batch || out.shape(1) != output_size) out.resize({batch, output_size});
        if (batch == 0) return;
        infer_user_order(x.data(), batch, inference_workspace(batch * workspace_per_sample), out.data());
    }

    /// Eval-mode output for one sample; no heap allocation (a network whose activations would not fit
    /// in 16 KiB of stack uses a per-thread workspace, allocated on the first call on a thread).
    std::array<T, output_size> predict(const std::array<T, input_size>& x) const {
        std::array<T, output_size> out;
        if constexpr (workspace_per_sample * sizeof(T) <= 16 * 1024) {
            std::array<T, workspace_per_sample> workspace;
            infer_user_order(x.data(), 1, workspace.data(), out.data());
        } else {
            infer_user_order(x.data(), 1, inference_workspace(workspace_per_sample), out.data());
        }
        return out;
    }

    /// Whether forward, backward and predict run the fused stages (the default) or every layer on its
    /// own (the reference the fused kernels are tested and benchmarked against).
    void set_fused(bool fused) { fused_ = fused; }
    bool fused() const { return fused_; }

    /// Threads that forward, backward and train_step (with the optimizer's update) may use, the calling
    /// thread included; 1 (the default) starts none. Work is split by output columns in a fixed way, so
    /// the results are bitwise identical for any count. predict always runs on the calling thread.
    void set_threads(std::size_t threads) {
        if (threads == 0) throw error("set_threads: the thread count must be at least 1");
        if (threads != pool_.size()) pool_ = ThreadPool(threads);
    }
    std::size_t threads() const { return pool_.size(); }

    // ---- training, step by step --------------------------------------------------------------------

    /// Runs the network in the given mode and keeps what backward needs; returns the outputs.
    /// In Train mode each call is a new step: new dropout masks, running statistics updated.
    Matrix<T> forward(const Matrix<T>& x, Mode mode) {
        const std::size_t batch = checked_batch(x, "forward");
        reserve(batch);
        to_network_order<input_shape>(x.data(), input_copy_.data(), batch);
        forward_pass(input_copy_.data(), batch, mode);
        return to_user_matrix<output_shape>(activations_[N - 1].data(), batch);
    }

    /// Back-propagates dL/d(output) of the last forward call (in the mode of that call): accumulates
    /// parameter gradients and returns dL/d(input).
    Matrix<T> backward(const Matrix<T>& output_gradient) {
        if (forward_batch_ == 0 && output_gradient.size() != 0)
            throw error("backward: call forward(x, Mode::Train) first");
        check_shape(output_gradient, forward_batch_, output_size, "backward", "output gradient");
        to_network_order<output_shape>(output_gradient.data(), loss_gradient_.data(), forward_batch_);
        backward_pass(loss_gradient_.data(), forward_batch_, input_gradient_.data());
        return to_user_matrix<input_shape>(input_gradient_.data(), forward_batch_);
    }

    /// Sets every parameter gradient to zero.
    void zero_grad() {
        const simd::PoolScope threads(&pool_);
        simd::run_parts(parameter_count, [&](std::size_t part, std::size_t parts) {
            std::fill(gradients_.data() + parameter_count * part / parts,
                      gradients_.data() + parameter_count * (part + 1) / parts, T{0});
        });
    }

    /// One step of minibatch training: forward (train mode), loss, backward, optimizer update.
    /// Returns the batch's mean loss. `targets` is whatever the loss takes (class labels for
    /// SoftmaxCrossEntropy: std::span<const int>, std::vector<int>, xt::xtensor<int, 1>, ...).
    template <class Targets, class Loss, class Optimizer>
    T train_step(const Matrix<T>& x, const Targets& targets, const Loss& loss, Optimizer& optimizer) {
        const std::size_t batch = checked_batch(x, "train_step");
        if (batch == 0) throw error("train_step: the batch is empty (0 rows)");
        // Bad labels must fail before the forward pass counts a step and moves running statistics.
        if constexpr (requires { loss.validate_targets(targets, batch, output_size); })
            loss.validate_targets(targets, batch, output_size);
        reserve(batch);
        const simd::PoolScope threads(&pool_);
        const T* input = x.data();
        if constexpr (reordered_v<input_shape>) {
            to_network_order<input_shape>(input, input_copy_.data(), batch);
            input = input_copy_.data();
        }
        forward_pass(input, batch, Mode::Train);
        T value;
        if constexpr (reordered_v<output_shape>) {
            // The loss sees outputs and targets in the user's order; the two scratch buffers are free
            // until the backward pass.
            T* outputs = gradient_scratch_[0].data();
            T* gradient = gradient_scratch_[1].data();
            to_user_order<output_shape>(activations_[N - 1].data(), outputs, batch);
            value = loss.evaluate(BatchView<const T, output_size>{outputs, batch}, targets,
                                  BatchView<T, output_size>{gradient, batch});
            to_network_order<output_shape>(gradient, loss_gradient_.data(), batch);
        } else {
            value = loss.evaluate(BatchView<const T, output_size>{activations_[N - 1].data(), batch}, targets,
                                  BatchView<T, output_size>{loss_gradient_.data(), batch});
        }
        zero_grad();
        backward_pass(loss_gradient_.data(), batch, nullptr);
        optimizer.step(*this);
        return value;
    }

    // ---- state -----------------------------------------------------------------------------------------

    /// All trainable parameters, layer after layer, each layer's tensors in their declared order.
    std::span<T> parameters() { return {parameters_.data(), parameter_count}; }
    std::span<const T> parameters() const { return {parameters_.data(), parameter_count}; }
    /// Gradients, laid out like parameters().
    std::span<T> gradients() { return {gradients_.data(), parameter_count}; }
    std::span<const T> gradients() const { return {gradients_.data(), parameter_count}; }
    /// Non-trainable state (running statistics).
    std::span<T> buffers() { return {buffers_.data(), buffer_count}; }
    std::span<const T> buffers() const { return {buffers_.data(), buffer_count}; }

    /// Every parameter and buffer tensor with its PyTorch nn.Sequential key.
    std::vector<NamedTensor<T>> named_tensors() {
        std::vector<NamedTensor<T>> out;
        collect_named(out, parameters_.data(), gradients_.data(), buffers_.data(), std::make_index_sequence<N>{});
        return out;
    }
    std::vector<NamedTensor<const T>> named_tensors() const {
        std::vector<NamedTensor<const T>> out;
        collect_named(out, parameters_.data(), gradients_.data(), buffers_.data(), std::make_index_sequence<N>{});
        return out;
    }

    /// The bound layer at position I.
    template <std::size_t I>
    layer_at<I>& layer() { return std::get<I>(layers_); }
    template <std::size_t I>
    const layer_at<I>& layer() const { return std::get<I>(layers_); }

    /// The seed the network was built with (it also keys dropout masks).
    Seed seed() const { return seed_; }
    /// Forward calls in Train mode so far.
    std::uint64_t train_steps() const { return train_steps_; }

    /// Saves parameters, running statistics and the step count to typenet's own format, atomically
    /// (a crash mid-save leaves the previous file intact).
    void save(const std::string& path) const { io::save_native(*this, path); }
    /// Loads a file written by save() for this network type; throws typenet::error (naming both
    /// signatures for another type, or the problem with the file) and leaves the network unchanged.
    void load(const std::string& path) { io::load_native(*this, path); }
    /// save() plus the optimizer's state, to resume training exactly (= save_checkpoint).
    template <ResumableOptimizer O>
    void save(const std::string& path, const O& optimizer) const { io::save_native(*this, optimizer, path); }
    /// Loads a file written by save(path, optimizer) into the network and the optimizer (= load_checkpoint).
    template <ResumableOptimizer O>
    void load(const std::string& path, O& optimizer) { io::load_native(*this, optimizer, path); }

    /// Saves every parameter and buffer as safetensors with PyTorch nn.Sequential keys ("0.weight").
    void save_safetensors(const std::string& path) const { io::save_safetensors(*this, path); }
    /// Loads a safetensors file with exactly this network's keys and shapes (e.g. from PyTorch's
    /// `safetensors.torch.save_file(model.state_dict(), path)`); leaves the network unchanged on error.
    void load_safetensors(const std::string& path) { io::load_safetensors(*this, path); }

    /// The architecture as text: scalar type, input shape, every layer with its output shape.
    /// Model files carry it, so a file is only loaded into the network type that wrote it.
    static std::string signature() {
        std::string s = std::string(sizeof(T) == 4 ? "float32" : "float64") + " " + input_shape::str();
        signature_layers(s, std::make_index_sequence<N>{});
        return s;
    }

    /// The stages the fused path runs, training then inference, one per line, e.g.
    /// "train: [Dense<784, 256, He>] [BatchNorm ReLU Dropout(0.5)] [Dense<256, 10, He>]".
    static std::string fusion_plan() {
        const std::array<std::string, N> names = layer_names(std::make_index_sequence<N>{});
        auto describe = [&](const char* title, const StagePlan& plan) {
            std::string s = title;
            for (std::size_t head = 0; head < N; head = plan.stage_end[head]) {
                s += " [";
                for (std::size_t i = head; i < plan.stage_end[head]; ++i) s += (i == head ? "" : " ") + names[i];
                s += "]";
            }
            return s;
        };
        return describe("train:", training_plan_) + "\n" + describe("inference:", inference_plan_);
    }

    /// A Keras-style table: layer, output shape, parameter count, totals.
    static std::string summary() {
        return format_summary(input_shape::str(), summary_rows(std::make_index_sequence<N>{}));
    }

private:
    friend struct io::NativeFormatAccess;

    template <std::size_t I>
    LayerState<T> state() {
        return {parameters_.data() + parameter_offsets_[I], gradients_.data() + parameter_offsets_[I],
                buffers_.data() + buffer_offsets_[I]};
    }
    template <std::size_t I>
    ConstLayerState<T> const_state() const {
        return {parameters_.data() + parameter_offsets_[I], buffers_.data() + buffer_offsets_[I]};
    }
    StepContext context(Mode mode, std::size_t layer) const {
        return {mode, seed_, train_steps_, static_cast<std::uint32_t>(layer)};
    }

    template <std::size_t... I>
    void initialize(std::index_sequence<I...>) {
        (std::get<I>(layers_).initialize(state<I>(), context(Mode::Train, I)), ...);
    }

    template <std::size_t... I>
    static void signature_layers(std::string& s, std::index_sequence<I...>) {
        ((s += " -> " + layer_at<I>::name() + layer_at<I>::output_shape::str()), ...);
    }

    template <std::size_t... I>
    static std::array<std::string, N> layer_names(std::index_sequence<I...>) {
        return {layer_at<I>::name()...};
    }

    template <std::size_t... I>
    static std::vector<LayerSummary> summary_rows(std::index_sequence<I...>) {
        return {LayerSummary{layer_at<I>::name(), layer_at<I>::output_shape::str(),
                             total_size(layer_at<I>::parameter_tensors)}...};
    }

    template <class U, std::size_t... I>
    static void collect_named(std::vector<NamedTensor<U>>& out, U* parameters, U* gradients, U* buffers,
                              std::index_sequence<I...>) {
        auto add = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
            const std::string key = std::to_string(L - (starts_with_input ? 1 : 0)) + ".";
            std::size_t offset = parameter_offsets_[L];
            for (const TensorInfo& t : layer_at<L>::parameter_tensors) {
                out.push_back({key + std::string(t.name), L, t, {parameters + offset, t.size()},
                               {gradients + offset, t.size()}, false});
                offset += t.size();
            }
            offset = buffer_offsets_[L];
            for (const TensorInfo& t : layer_at<L>::buffer_tensors) {
                out.push_back({key + std::string(t.name), L, t, {buffers + offset, t.size()}, {},
                               true});
                offset += t.size();
            }
        };
        (add(std::integral_constant<std::size_t, I>{}), ...);
    }

    /// Makes every training buffer hold `batch` samples; allocates only when the batch grows.
    void reserve(std::size_t batch) {
        if (batch <= reserved_batch_) return;
        for (std::size_t i = 0; i < N; ++i) activations_[i].resize(batch * widths_[i + 1]);
        input_copy_.resize(batch * input_size);
        loss_gradient_.resize(batch * output_size);
        input_gradient_.resize(batch * input_size);
        for (auto& g : gradient_scratch_) g.resize(batch * max_width);
        reserved_batch_ = batch;
    }

    void forward_pass(const T* x, std::size_t batch, Mode mode) {
        const simd::PoolScope threads(&pool_);
        if (mode == Mode::Train) ++train_steps_;
        input_ = x;
        forward_batch_ = batch;
        forward_mode_ = mode;
        if (fused_) forward_stage<0>(batch, mode);
        else forward_layers(batch, mode, std::make_index_sequence<N>{});
    }

    /// The pointwise operations of layers First.. (the layers fused after a head), in training.
    template <std::size_t First, std::size_t... J>
    auto training_chain([[maybe_unused]] Mode mode, std::index_sequence<J...>) const {
        return simd::make_pointwise_chain<T>(std::get<First + J>(layers_).pointwise(context(mode, First + J))...);
    }
    template <std::size_t First, std::size_t... J>
    auto inference_chain(std::index_sequence<J...>) const {
        return simd::make_pointwise_chain<T>(std::get<First + J>(layers_).inference_pointwise(const_state<First + J>())...);
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
                apply(norm.inference_pointwise(const_state<S + 1>()));
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
            else through_chain(chain, normalized_by(norm.inference_pointwise(const_state<S + 1>())));
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

    /// Overwrites `output_gradient` (one of the network's own buffers) when fused.
    void backward_pass(T* output_gradient, std::size_t batch, T* input_gradient) {
        const simd::PoolScope threads(&pool_);
        if (fused_) backward_stage<training_plan_.stage_head[N - 1]>(output_gradient, batch, input_gradient, 0);
        else backward_layers(output_gradient, batch, input_gradient, std::make_index_sequence<N>{});
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
        return {I == 0 ? input_ : activations_[I == 0 ? 0 : I - 1].data(), batch};
    }
    template <std::size_t I>
    BatchView<T, widths_[I + 1]> output_view(std::size_t batch) {
        return {activations_[I].data(), batch};
    }

    /// Inference workspace per sample: two activations (ping, pong) and, for images, the input and the
    /// output in the network's order.
    static constexpr std::size_t workspace_per_sample =
        2 * max_width + (reordered_v<input_shape> ? input_size : 0) + (reordered_v<output_shape> ? output_size : 0);

    /// A per-thread workspace of at least `size` elements that only grows.
    static T* inference_workspace(std::size_t size) {
        thread_local AlignedBuffer<T> workspace;
        if (workspace.size() < size) workspace.resize(size);
        return workspace.data();
    }

    /// Inference from and to the user's order, in `workspace` (batch · workspace_per_sample elements).
    void infer_user_order(const T* x, std::size_t batch, T* workspace, T* out) const {
        T* ping = workspace;
        T* pong = ping + batch * max_width;
        T* next = pong + batch * max_width;
        if constexpr (reordered_v<input_shape>) {
            to_network_order<input_shape>(x, next, batch);
            x = next;
            next += batch * input_size;
        }
        if constexpr (reordered_v<output_shape>) {
            infer(x, batch, ping, pong, next);
            to_user_order<output_shape>(next, out, batch);
        } else {
            infer(x, batch, ping, pong, out);
        }
    }

    void infer(const T* x, std::size_t batch, T* ping, T* pong, T* out) const {
        if (fused_) infer_stage<0>(x, batch, ping, pong, out, 0);
        else infer_layers(x, batch, ping, pong, out, std::make_index_sequence<N>{});
    }

    template <std::size_t S>
    void infer_stage(const T* in, std::size_t batch, T* ping, T* pong, T* out, std::size_t parity) const {
        constexpr std::size_t E = inference_plan_.stage_end[S];
        constexpr std::size_t width = widths_[S + 1];
        const auto chain = inference_chain<S + 1>(std::make_index_sequence<E - S - 1>{});
        const auto& head = std::get<S>(layers_);
        T* y = E == N ? out : (parity == 0 ? ping : pong);
        const BatchView<const T, widths_[S]> x{in, batch};
        if constexpr (requires { head.infer_fused(const_state<S>(), x, y, chain); }) {
            head.infer_fused(const_state<S>(), x, y, chain);
        } else {
            head.infer(const_state<S>(), x, BatchView<T, width>{y, batch});
            if constexpr (E > S + 1)
                over_output<S>(batch, y, y, [&](const simd::batch<T>& v, const simd::RegisterSpan<T>& at) {
                    return chain.forward(v, at);
                });
        }
        if constexpr (E < N) infer_stage<E>(y, batch, ping, pong, out, parity ^ 1);
    }

    template <std::size_t... I>
    void infer_layers(const T* x, std::size_t batch, T* ping, T* pong, T* out, std::index_sequence<I...>) const {
        const T* in = x;
        auto step = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
            T* y = L + 1 == N ? out : (L % 2 == 0 ? ping : pong);
            std::get<L>(layers_).infer(const_state<L>(), BatchView<const T, widths_[L]>{in, batch},
                                       BatchView<T, widths_[L + 1]>{y, batch});
            in = y;
        };
        (step(std::integral_constant<std::size_t, I>{}), ...);
    }

    static std::size_t checked_batch(const Matrix<T>& x, const char* where) {
        if (x.shape(1) != input_size)
            throw shape_error(std::string(where) + ": the input has " + std::to_string(x.shape(1)) +
                              " features per sample, the network takes " + std::to_string(input_size) +
                              " (input shape " + input_shape::str() + ")");
        return x.shape(0);
    }
    static void check_shape(const Matrix<T>& m, std::size_t rows, std::size_t cols, const char* where,
                            const char* what) {
        if (m.shape(0) != rows || m.shape(1) != cols)
            throw shape_error(std::string(where) + ": the " + what + " is (" + std::to_string(m.shape(0)) + ", " +
                              std::to_string(m.shape(1)) + "), expected (" + std::to_string(rows) + ", " +
                              std::to_string(cols) + ")");
    }
    /// `batch` samples of shape S in the network's order as a matrix in the user's order.
    template <class S>
    static Matrix<T> to_user_matrix(const T* data, std::size_t batch) {
        Matrix<T> m = Matrix<T>::from_shape({batch, S::size});
        to_user_order<S>(data, m.data(), batch);
        return m;
    }

    Seed seed_;
    AlignedBuffer<T> parameters_, gradients_, buffers_;
    layer_tuple layers_{};
    std::uint64_t train_steps_ = 0;
    bool fused_ = true;
    ThreadPool pool_{1};

    // Training workspace, sized by reserve(); activations_[i] is the output of layer i.
    std::size_t reserved_batch_ = 0, forward_batch_ = 0;
    Mode forward_mode_ = Mode::Train;
    const T* input_ = nullptr;
    std::array<AlignedBuffer<T>, N> activations_;
    AlignedBuffer<T> input_copy_, loss_gradient_, input_gradient_;
    std::array<AlignedBuffer<T>, 2> gradient_scratch_;
};

/// A network as a type: `Seq<Dense<784, 256>, ReLU, Dense<256, 10>>`, over float.
template <class... Specs>
class Seq : public BasicSeq<float, Specs...> {
public:
    using BasicSeq<float, Specs...>::BasicSeq;
};

}  // namespace typenet
