#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "typenet/core/aligned_buffer.hpp"
#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/model/layer_chain.hpp"
#include "typenet/model/stage_runner.hpp"

namespace typenet {

/// The projection path of a ResidualWith block: `Shortcut<Conv2D<64, 128, 1, Stride<2>, NoBias>, BatchNorm>`.
template <class... Layers>
struct Shortcut {};

namespace detail {

/// A tensor name built at compile time: "body.0.weight".
struct TensorName {
    std::array<char, 120> text{};
    std::size_t size = 0;
    constexpr void append(std::string_view s) {
        for (char c : s) text[size++] = c;
    }
    constexpr void append_number(std::size_t n) {
        char digits[20]{};
        std::size_t count = 0;
        do digits[count++] = static_cast<char>('0' + n % 10);
        while ((n /= 10) != 0);
        while (count > 0) text[size++] = digits[--count];
    }
    constexpr std::string_view view() const { return {text.data(), size}; }
};

/// How many parameter (or buffer) tensors the layers of a runner have.
template <class Runner, bool Buffers>
constexpr std::size_t tensor_count() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... +
                (Buffers ? Runner::template layer_at<I>::buffer_tensors.size()
                         : Runner::template layer_at<I>::parameter_tensors.size()));
    }(std::make_index_sequence<Runner::N>{});
}

/// Calls f(layer index, tensor) for every parameter (or buffer) tensor of a runner's layers, in order.
template <class Runner, bool Buffers, class F>
constexpr void for_each_tensor(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        auto visit = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
            const auto& tensors = []() -> const auto& {
                if constexpr (Buffers) return Runner::template layer_at<L>::buffer_tensors;
                else return Runner::template layer_at<L>::parameter_tensors;
            }();
            for (const TensorInfo& t : tensors) f(L, t);
        };
        (visit(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<Runner::N>{});
}

}  // namespace detail

/// y = shortcut(x) + body(x), the body a chain of layers bound from the block's input shape and run as
/// fused stages, as a network's are (model/stage_runner.hpp); the shortcut is the identity (Residual)
/// or a chain of its own (ResidualWith). Tensor keys: "<i>.body.<j>.<tensor>" and
/// "<i>.shortcut.<j>.<tensor>", as a PyTorch module with `body` and `shortcut` nn.Sequential members.
template <class T, class InputShape, class Body, class Projection>
class ResidualLayer {
    using body_runner = detail::StageRunner<T, InputShape, typename Body::layers>;
    static constexpr bool projected = !std::is_void_v<Projection>;
    struct identity {
        using layers = std::tuple<>;
    };
    using shortcut_runner =
        detail::StageRunner<T, InputShape, typename std::conditional_t<projected, Projection, identity>::layers>;

    template <bool Buffers>
    static constexpr std::size_t count = detail::tensor_count<body_runner, Buffers>() +
                                         (projected ? detail::tensor_count<shortcut_runner, Buffers>() : 0);

    template <bool Buffers>
    static constexpr auto make_names() {
        std::array<detail::TensorName, count<Buffers>> names{};
        std::size_t k = 0;
        auto add = [&](std::string_view path) {
            return [&, path](std::size_t layer, const TensorInfo& t) {
                names[k].append(path);
                names[k].append_number(layer);
                names[k].append(".");
                names[k].append(t.name);
                ++k;
            };
        };
        detail::for_each_tensor<body_runner, Buffers>(add("body."));
        if constexpr (projected) detail::for_each_tensor<shortcut_runner, Buffers>(add("shortcut."));
        return names;
    }
    static constexpr auto parameter_names_ = make_names<false>();
    static constexpr auto buffer_names_ = make_names<true>();

    template <bool Buffers>
    static constexpr auto make_tensors(const std::array<detail::TensorName, count<Buffers>>& names) {
        std::array<TensorInfo, count<Buffers>> tensors{};
        std::size_t k = 0;
        auto add = [&](std::size_t, const TensorInfo& t) {
            tensors[k] = t;
            tensors[k].name = names[k].view();
            ++k;
        };
        detail::for_each_tensor<body_runner, Buffers>(add);
        if constexpr (projected) detail::for_each_tensor<shortcut_runner, Buffers>(add);
        return tensors;
    }

public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = typename Body::output_shape;
    // The sum needs both paths' whole outputs.
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t in_width = InputShape::size;
    static constexpr std::size_t width = output_shape::size;
    static constexpr std::array parameter_tensors = make_tensors<false>(parameter_names_);
    static constexpr std::array buffer_tensors = make_tensors<true>(buffer_names_);

    static std::string name() {
        std::string s = projected ? "ResidualWith<Shortcut<" : "Residual<";
        if constexpr (projected) s += layer_names<shortcut_runner>() + ">, ";
        return s + layer_names<body_runner>() + ">";
    }

    void initialize(LayerState<T> s, const StepContext& c) {
        body_.initialize(body_state(s), inner(c, 0));
        if constexpr (projected) shortcut_.initialize(shortcut_state(s), inner(c, 1));
    }

    void forward(LayerState<T> s, BatchView<const T, in_width> x, BatchView<T, width> y, const StepContext& c) {
        body_.forward(body_state(s), inner(c, 0), x.data, x.rows);
        const T* skip = x.data;
        if constexpr (projected) {
            shortcut_.forward(shortcut_state(s), inner(c, 1), x.data, x.rows);
            skip = shortcut_.output();
        }
        add(body_.output(), skip, y.data, y.size());
    }

    void infer(ConstLayerState<T> s, BatchView<const T, in_width> x, BatchView<T, width> y) const {
        // Per thread: predict is const and may run on several threads at once.
        thread_local AlignedBuffer<T> workspace;
        const std::size_t ping_pong = x.rows * std::max(body_runner::max_width, shortcut_runner::max_width);
        if (workspace.size() < 2 * ping_pong + y.size()) workspace.resize(2 * ping_pong + y.size());
        T* ping = workspace.data();
        T* pong = ping + ping_pong;
        body_.infer({s.parameters, s.buffers}, x.data, x.rows, ping, pong, y.data);
        if constexpr (projected) {
            T* skip = pong + ping_pong;
            shortcut_.infer({s.parameters + body_runner::parameter_count, s.buffers + body_runner::buffer_count}, x.data,
                            x.rows, ping, pong, skip);
            add(y.data, skip, y.data, y.size());
        } else {
            add(y.data, x.data, y.data, y.size());
        }
    }

    /// dL/dx = body'ᵀ·dy + (dy, or shortcut'ᵀ·dy); both paths accumulate their parameter gradients.
    void backward(LayerState<T> s, BatchView<const T, in_width>, BatchView<const T, width>, BatchView<const T, width> dy,
                  BatchView<T, in_width> dx, const StepContext&) {
        // The runners overwrite the gradient they are given.
        upstream_.resize(dy.size());
        std::copy_n(dy.data, dy.size(), upstream_.data());
        body_.backward(body_state(s), upstream_.data(), dx.data);
        if constexpr (projected) {
            std::copy_n(dy.data, dy.size(), upstream_.data());
            if (dx.data != nullptr) skip_gradient_.resize(dx.size());
            shortcut_.backward(shortcut_state(s), upstream_.data(), dx.data != nullptr ? skip_gradient_.data() : nullptr);
            if (dx.data != nullptr) add(dx.data, skip_gradient_.data(), dx.data, dx.size());
        } else if (dx.data != nullptr) {
            add(dx.data, dy.data, dx.data, dx.size());
        }
    }

    /// Runs both paths as fused stages or layer by layer (Seq::set_fused).
    void set_fused(bool fused) {
        body_.set_fused(fused);
        shortcut_.set_fused(fused);
    }

private:
    static void add(const T* a, const T* b, T* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
    }

    template <class Runner>
    static std::string layer_names() {
        std::string s;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((s += (I == 0 ? "" : ", ") + Runner::template layer_at<I>::name()), ...);
        }(std::make_index_sequence<Runner::N>{});
        return s;
    }

    static LayerState<T> body_state(LayerState<T> s) { return s; }
    static LayerState<T> shortcut_state(LayerState<T> s) {
        return {s.parameters + body_runner::parameter_count, s.gradients + body_runner::parameter_count,
                s.buffers + body_runner::buffer_count};
    }
    /// The context of the paths' layers: their own random streams (dropout masks, initialization),
    /// apart from every layer of the enclosing network.
    static StepContext inner(const StepContext& c, std::uint32_t path) {
        return {c.mode, c.seed, c.step, (c.layer_index + 1) * 0x10000u + path * 0x8000u};
    }

    body_runner body_;
    shortcut_runner shortcut_;
    AlignedBuffer<T> upstream_, skip_gradient_;
};

namespace detail {

/// A ResidualWith's first argument as a Shortcut<...> list (a single spec is a one-layer shortcut).
template <class S>
struct as_shortcut {
    using type = Shortcut<S>;
};
template <class... Layers>
struct as_shortcut<Shortcut<Layers...>> {
    using type = Shortcut<Layers...>;
};

/// The body (and shortcut) of a residual block bound from its input shape In.
template <class T, class In, class ShortcutList, class... Layers>
struct residual_binding;
template <class T, class In, class... Layers>
struct residual_binding<T, In, void, Layers...> {
    using body = bind_chain<T, 0, In, type_list<>, Layers...>;
    using projection = void;
    using skip_shape = In;
    static constexpr bool projection_valid = true;
    using projection_failure = diagnostics::none;
};
template <class T, class In, class... ShortcutLayers, class... Layers>
struct residual_binding<T, In, Shortcut<ShortcutLayers...>, Layers...> {
    using body = bind_chain<T, 0, In, type_list<>, Layers...>;
    using projection = bind_chain<T, 0, In, type_list<>, ShortcutLayers...>;
    using skip_shape = typename projection::output_shape;
    static constexpr bool projection_valid = sizeof...(ShortcutLayers) > 0 && projection::valid;
    using projection_failure = std::conditional_t<(sizeof...(ShortcutLayers) > 0), typename projection::failure,
                                                  diagnostics::check_residual_body<layer_index<0>, Shortcut<>>>;
};

/// What Residual and ResidualWith share: binding, the accept rule and the diagnostic otherwise (the
/// first failure inside a path, an empty path, or a sum of two different shapes).
template <class Spec, class ShortcutList, class... Layers>
struct residual_spec {
    template <class In>
    using binding = residual_binding<float, In, ShortcutList, Layers...>;

    template <class In>
    static constexpr bool accepts = sizeof...(Layers) > 0 && binding<In>::body::valid && binding<In>::projection_valid &&
                                    std::is_same_v<typename binding<In>::body::output_shape, typename binding<In>::skip_shape>;
    template <std::size_t Index, class In>
    using rejection = std::conditional_t<
        sizeof...(Layers) == 0, diagnostics::check_residual_body<layer_index<Index>, Spec>,
        std::conditional_t<
            !binding<In>::body::valid, typename binding<In>::body::failure,
            std::conditional_t<!binding<In>::projection_valid, typename binding<In>::projection_failure,
                               diagnostics::check_residual_shape<layer_index<Index>, Spec,
                                                                 expects<typename binding<In>::skip_shape>,
                                                                 receives<typename binding<In>::body::output_shape>>>>>;
    template <class T, class In>
    using bind = ResidualLayer<T, In, typename residual_binding<T, In, ShortcutList, Layers...>::body,
                               typename residual_binding<T, In, ShortcutList, Layers...>::projection>;
};

}  // namespace detail

/// Residual block with the identity shortcut: y = x + body(x), `Residual<Conv2D<64, 64, 3, Padding<1>>,
/// BatchNorm, ReLU, Conv2D<64, 64, 3, Padding<1>>, BatchNorm>`; the body must keep the shape.
template <class... Layers>
struct Residual : detail::residual_spec<Residual<Layers...>, void, Layers...> {};

/// Residual block with a projection shortcut: y = shortcut(x) + body(x), e.g.
/// `ResidualWith<Shortcut<Conv2D<64, 128, 1, Stride<2>, NoBias>, BatchNorm>, Conv2D<64, 128, 3, Stride<2>,
/// Padding<1>>, ...>`; both paths must produce the same shape.
template <class ShortcutList, class... Layers>
struct ResidualWith : detail::residual_spec<ResidualWith<ShortcutList, Layers...>,
                                            typename detail::as_shortcut<ShortcutList>::type, Layers...> {};

}  // namespace typenet
