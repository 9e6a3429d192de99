#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/core/spatial_options.hpp"
#include "typenet/layers/image_layer_spec.hpp"
#include "typenet/simd/arch.hpp"

namespace typenet {

/// Max pooling bound to scalar T over channels-last (C, H, W) samples: output (c, i, j) is the largest
/// input of channel c in the K×K window whose top-left corner is (i·S − P, j·S − P), the padding being
/// −∞ as in PyTorch. The first largest value in the window's row-major scan wins ties, and a NaN wins
/// over numbers (so it reaches the output, as with PyTorch's max_pool2d).
template <class T, class InputShape, std::size_t K, std::size_t S, std::size_t P>
class MaxPool2DLayer {
    using dims = detail::image_dims<InputShape>;
    static constexpr std::size_t C = dims::channels, H = dims::height, W = dims::width;
    static constexpr std::size_t OH = detail::pooled_size(H, K, S, P), OW = detail::pooled_size(W, K, S, P);

public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = Shape<C, OH, OW>;
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t in_width = InputShape::size;
    static constexpr std::size_t out_width = output_shape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};
    /// The winner's position in its window, kh·K + kw: one byte per output for windows up to 16×16.
    using argmax_type = std::conditional_t<(K * K <= 256), std::uint8_t,
                                           std::conditional_t<(K * K <= 65536), std::uint16_t, std::uint32_t>>;

    static std::string name() {
        return "MaxPool2D<" + std::to_string(K) + ", Stride<" + std::to_string(S) + ">, Padding<" + std::to_string(P) +
               ">>";
    }

    void initialize(LayerState<T>, const StepContext&) {}

    /// Also keeps each output's winner for backward, in a buffer that grows with the batch only.
    void forward(LayerState<T>, BatchView<const T, in_width> x, BatchView<T, out_width> y, const StepContext&) {
        if (argmax_.size() < y.size()) argmax_.resize(y.size());
        pool(x, y, argmax_.data());
    }

    void infer(ConstLayerState<T>, BatchView<const T, in_width> x, BatchView<T, out_width> y) const {
        pool(x, y, static_cast<argmax_type*>(nullptr));
    }

    /// dx is the sum of dy over the outputs whose winner each input is (windows overlap when S < K).
    void backward(LayerState<T>, BatchView<const T, in_width>, BatchView<const T, out_width>,
                  BatchView<const T, out_width> dy, BatchView<T, in_width> dx, const StepContext&) {
        if (dx.data == nullptr) return;
        std::fill_n(dx.data, dx.size(), T{0});
        const argmax_type* winner = argmax_.data();
        for (std::size_t n = 0; n < dy.rows; ++n) {
            const T* g = dy.row(n);
            T* d = dx.row(n);
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow, g += C, winner += C)
                    for (std::size_t c = 0; c < C; ++c) {
                        const std::size_t h = oh * S + winner[c] / K - P, w = ow * S + winner[c] % K - P;
                        d[(h * W + w) * C + c] += g[c];
                    }
        }
    }

private:
    /// The window's rows [h0, h1) or columns clipped to the input, for output position o.
    static constexpr std::size_t first(std::size_t o) { return o * S < P ? 0 : o * S - P; }
    static constexpr std::size_t last(std::size_t o, std::size_t extent) { return std::min(o * S + K - P, extent); }

    /// y = max over each window; the winner's window position goes to `winner` unless it is null.
    /// Channels-last puts the C channels of a pixel side by side: registers of channels take the max
    /// of a whole window at once, the remainder runs the same comparisons one channel at a time.
    template <class Winner>
    static void pool(BatchView<const T, in_width> x, BatchView<T, out_width> y, Winner* winner) {
        using V = simd::batch<T>;
        constexpr std::size_t lanes = simd::lanes<T>, bulk = C - C % lanes;
        for (std::size_t n = 0; n < x.rows; ++n) {
            const T* in = x.row(n);
            T* out = y.row(n);
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow, out += C) {
                    const std::size_t h0 = first(oh), h1 = last(oh, H), w0 = first(ow), w1 = last(ow, W);
                    // Window position of input pixel (h, w): a·K + b.
                    const auto at = [&](std::size_t h, std::size_t w) { return (h + P - oh * S) * K + (w + P - ow * S); };
                    for (std::size_t c = 0; c < bulk; c += lanes) {
                        V best = V::load_unaligned(in + (h0 * W + w0) * C + c);
                        V where(static_cast<T>(at(h0, w0)));
                        for (std::size_t h = h0; h < h1; ++h)
                            for (std::size_t w = w0; w < w1; ++w) {
                                const V v = V::load_unaligned(in + (h * W + w) * C + c);
                                // A NaN wins (and keeps winning, as PyTorch's kernel does) so it reaches y.
                                const auto take = (v > best) | xsimd::isnan(v);  // not v != v: xsimd 8.1's AVX != is ordered
                                best = xsimd::select(take, v, best);
                                where = xsimd::select(take, V(static_cast<T>(at(h, w))), where);
                            }
                        best.store_unaligned(out + c);
                        if (winner) {
                            alignas(64) T positions[lanes];
                            where.store_aligned(positions);
                            for (std::size_t lane = 0; lane < lanes; ++lane)
                                winner[c + lane] = static_cast<Winner>(positions[lane]);
                        }
                    }
                    for (std::size_t c = bulk; c < C; ++c) {
                        T best = in[(h0 * W + w0) * C + c];
                        std::size_t where = at(h0, w0);
                        for (std::size_t h = h0; h < h1; ++h)
                            for (std::size_t w = w0; w < w1; ++w) {
                                const T v = in[(h * W + w) * C + c];
                                if (v > best || v != v) best = v, where = at(h, w);
                            }
                        out[c] = best;
                        if (winner) winner[c] = static_cast<Winner>(where);
                    }
                    if (winner) winner += C;
                }
        }
    }

    std::vector<argmax_type> argmax_;
};

/// Max pooling spec: `MaxPool2D<Window, Options...>` with `Stride<S>` (default: the window) and
/// `Padding<P>` (−∞ on every side, P ≤ Window / 2) in any order; PyTorch's nn.MaxPool2d. Takes (C, H, W)
/// to (C, ⌊(H + 2P − K)/S⌋ + 1, ⌊(W + 2P − K)/S⌋ + 1).
template <std::size_t Window, class... Options>
struct MaxPool2D : detail::PoolingSpec<MaxPool2D<Window, Options...>, Window, Options...> {
    using spec = detail::PoolingSpec<MaxPool2D, Window, Options...>;
    template <class T, class InputShape>
    using bind = MaxPool2DLayer<T, InputShape, Window, spec::stride, spec::padding>;
};

}  // namespace typenet
