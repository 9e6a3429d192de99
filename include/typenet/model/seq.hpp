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
#include "typenet/core/finite_check.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/core/thread_pool.hpp"
#include "typenet/detail/hana.hpp"
#include "typenet/io/native_format.hpp"
#include "typenet/io/safetensors.hpp"
#include "typenet/model/layer_chain.hpp"
#include "typenet/model/stage_plan.hpp"
#include "typenet/model/stage_runner.hpp"
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

    using runner = detail::StageRunner<T, typename chain::input_shape, layer_tuple>;
    static constexpr auto& widths_ = runner::widths_;
    static constexpr auto& parameter_offsets_ = runner::parameter_offsets_;
    static constexpr auto& buffer_offsets_ = runner::buffer_offsets_;
    /// Input<...> first: it takes no index in the PyTorch keys (nothing in nn.Sequential stands for it).
    static constexpr bool starts_with_input = detail::starts_with_input<Specs...>;

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
    static constexpr std::size_t max_width = runner::max_width;

    /// Parameters initialized deterministically from the seed.
    explicit BasicSeq(Seed seed = Seed{0})
        : seed_(seed), parameters_(parameter_count), gradients_(parameter_count), buffers_(buffer_count) {
        runner_.initialize(state(), context(Mode::Train));
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
    void set_fused(bool fused) { runner_.set_fused(fused); }
    bool fused() const { return runner_.fused(); }

    /// Threads that forward, backward and train_step (with the optimizer's update) may use, the calling
    /// thread included; 1 (the default) starts none. Work is split by output columns in a fixed way, so
    /// the results are bitwise identical for any count. predict always runs on the calling thread.
    void set_threads(std::size_t threads) {
        check_thread_count(threads, "set_threads");
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
        return to_user_matrix<output_shape>(runner_.output(), batch);
    }

    /// Back-propagates dL/d(output) of the last forward call (in the mode of that call): accumulates
    /// parameter gradients and returns dL/d(input).
    Matrix<T> backward(const Matrix<T>& output_gradient) {
        const std::size_t batch = runner_.forward_batch();
        if (batch == 0 && output_gradient.size() != 0) throw error("backward: call forward(x, Mode::Train) first");
        check_shape(output_gradient, batch, output_size, "backward", "output gradient");
        to_network_order<output_shape>(output_gradient.data(), loss_gradient_.data(), batch);
        backward_pass(loss_gradient_.data(), input_gradient_.data());
        return to_user_matrix<input_shape>(input_gradient_.data(), batch);
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
    /// A NaN or infinite input or loss throws typenet::error saying where, and the refused step leaves
    /// parameters, optimizer state, running statistics and train_steps() as they were.
    template <class Targets, class Loss, class Optimizer>
    T train_step(const Matrix<T>& x, const Targets& targets, const Loss& loss, Optimizer& optimizer) {
        const std::size_t batch = checked_batch(x, "train_step");
        if (batch == 0) throw error("train_step: the batch is empty (0 rows)");
        // Bad labels must fail before the forward pass counts a step and moves running statistics.
        if constexpr (requires { loss.validate_targets(targets, batch, output_size); })
            loss.validate_targets(targets, batch, output_size);
        detail::require_finite_input(x.data(), batch, input_size, "train_step");
        reserve(batch);
        const simd::PoolScope threads(&pool_);
        const T* input = x.data();
        if constexpr (reordered_v<input_shape>) {
            to_network_order<input_shape>(input, input_copy_.data(), batch);
            input = input_copy_.data();
        }
        detail::StepRollback<T> rollback(buffers(), train_steps_);  // a refused step changes nothing
        forward_pass(input, batch, Mode::Train);
        T value;
        if constexpr (reordered_v<output_shape>) {
            // The loss sees outputs and targets in the user's order; the two scratch buffers are free
            // until the backward pass.
            T* outputs = output_copy_.data();
            T* gradient = input_gradient_.data();
            to_user_order<output_shape>(runner_.output(), outputs, batch);
            value = loss.evaluate(BatchView<const T, output_size>{outputs, batch}, targets,
                                  BatchView<T, output_size>{gradient, batch});
            to_network_order<output_shape>(gradient, loss_gradient_.data(), batch);
        } else {
            value = loss.evaluate(BatchView<const T, output_size>{runner_.output(), batch}, targets,
                                  BatchView<T, output_size>{loss_gradient_.data(), batch});
        }
        detail::require_finite_loss(value, "train_step");
        zero_grad();
        backward_pass(loss_gradient_.data(), nullptr);
        optimizer.step(*this);
        rollback.dismiss();
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
        collect_named(out, parameters_.data(), gradients_.data(), buffers_.data());
        return out;
    }
    std::vector<NamedTensor<const T>> named_tensors() const {
        std::vector<NamedTensor<const T>> out;
        collect_named(out, parameters_.data(), gradients_.data(), buffers_.data());
        return out;
    }

    /// The bound layer at position I.
    template <std::size_t I>
    layer_at<I>& layer() { return runner_.template layer<I>(); }
    template <std::size_t I>
    const layer_at<I>& layer() const { return runner_.template layer<I>(); }

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
        detail::hana::for_each(detail::indices<N>, [&](auto i) {
            s += " -> " + layer_at<i>::name() + layer_at<i>::output_shape::str();
        });
        return s;
    }

    /// The stages the fused path runs, training then inference, one per line, e.g.
    /// "train: [Dense<784, 256, He>] [BatchNorm ReLU Dropout(0.5)] [Dense<256, 10, He>]".
    static std::string fusion_plan() {
        const auto names = detail::hana::unpack(detail::indices<N>, [](auto... i) {
            return std::array<std::string, N>{layer_at<i>::name()...};
        });
        auto describe = [&](const char* title, const detail::StagePlan<N>& plan) {
            std::string s = title;
            for (std::size_t head = 0; head < N; head = plan.stage_end[head]) {
                s += " [";
                for (std::size_t i = head; i < plan.stage_end[head]; ++i) s += (i == head ? "" : " ") + names[i];
                s += "]";
            }
            return s;
        };
        return describe("train:", runner::training_plan_) + "\n" + describe("inference:", runner::inference_plan_);
    }

    /// A Keras-style table: layer (numbered as in the PyTorch keys), output shape, parameter count, totals.
    static std::string summary() {
        std::vector<LayerSummary> rows;
        detail::hana::for_each(detail::indices<N>, [&](auto i) {
            rows.push_back({layer_at<i>::name(), layer_at<i>::output_shape::str(),
                            total_size(layer_at<i>::parameter_tensors)});
        });
        // Input<...> is the "input" line, and the indices stay those of the PyTorch keys.
        if (starts_with_input) rows.erase(rows.begin());
        return format_summary(input_shape::str(), rows);
    }

private:
    friend struct io::NativeFormatAccess;

    LayerState<T> state() { return {parameters_.data(), gradients_.data(), buffers_.data()}; }
    ConstLayerState<T> const_state() const { return {parameters_.data(), buffers_.data()}; }
    StepContext context(Mode mode) const { return {mode, seed_, train_steps_, 0}; }

    template <class U>
    static void collect_named(std::vector<NamedTensor<U>>& out, U* parameters, U* gradients, U* buffers) {
        detail::hana::for_each(detail::indices<N>, [&](auto layer) {
            constexpr std::size_t L = layer;
            const std::string key = std::to_string(L - (starts_with_input ? 1 : 0)) + ".";
            std::size_t offset = parameter_offsets_[L];
            for (const TensorInfo& t : layer_at<L>::parameter_tensors) {
                out.push_back({key + std::string(t.name), L, t, {parameters + offset, t.size()},
                               {gradients + offset, t.size()}, false});
                offset += t.size();
            }
            offset = buffer_offsets_[L];
            for (const TensorInfo& t : layer_at<L>::buffer_tensors) {
                out.push_back({key + std::string(t.name), L, t, {buffers + offset, t.size()}, {}, true});
                offset += t.size();
            }
        });
    }

    /// Makes every training buffer hold `batch` samples; allocates only when the batch grows.
    void reserve(std::size_t batch) {
        if (batch <= reserved_batch_) return;
        runner_.reserve(batch);
        input_copy_.resize(batch * input_size);
        loss_gradient_.resize(batch * output_size);
        input_gradient_.resize(batch * std::max(input_size, output_size));
        if constexpr (reordered_v<output_shape>) output_copy_.resize(batch * output_size);
        reserved_batch_ = batch;
    }

    void forward_pass(const T* x, std::size_t batch, Mode mode) {
        const simd::PoolScope threads(&pool_);
        if (mode == Mode::Train) ++train_steps_;
        runner_.forward(state(), context(mode), x, batch);
    }

    /// Overwrites `output_gradient` (one of the network's own buffers) when fused.
    void backward_pass(T* output_gradient, T* input_gradient) {
        const simd::PoolScope threads(&pool_);
        runner_.backward(state(), output_gradient, input_gradient);
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
            runner_.infer(const_state(), x, batch, ping, pong, next);
            to_user_order<output_shape>(next, out, batch);
        } else {
            runner_.infer(const_state(), x, batch, ping, pong, out);
        }
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
    runner runner_;
    std::uint64_t train_steps_ = 0;
    ThreadPool pool_{1};

    // Training workspace beside the runner's activations, sized by reserve().
    std::size_t reserved_batch_ = 0;
    AlignedBuffer<T> input_copy_, loss_gradient_, input_gradient_, output_copy_;
};

/// A network as a type: `Seq<Dense<784, 256>, ReLU, Dense<256, 10>>`, over float.
template <class... Specs>
class Seq : public BasicSeq<float, Specs...> {
public:
    using BasicSeq<float, Specs...>::BasicSeq;
};

}  // namespace typenet
