#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/real.hpp"
#include "typenet/layers/image_layer_spec.hpp"
#include "typenet/layers/mask_layer.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// Spatial dropout bound to scalar T (PyTorch's Dropout2d): in train mode each channel of each sample is
/// kept with probability 1 − P, all its H·W values multiplied by 1/(1 − P), or multiplied by 0 (so a NaN
/// stays NaN, as in PyTorch); in eval mode (and for P = 0) the identity.
/// Channel c of sample n is kept when 32-bit word e % 4 of block e / 4 of the step's Philox stream,
/// e = n·C + c, is at least P·2³²: a pure function of (seed, layer, step, n, c), regenerated in backward.
template <class T, class InputShape, Real P>
class SpatialDropoutLayer : public detail::MaskLayer<SpatialDropoutLayer<T, InputShape, P>, T, InputShape> {
    using base = detail::MaskLayer<SpatialDropoutLayer, T, InputShape>;
    friend base;
    static constexpr std::size_t C = detail::image_dims<InputShape>::channels;
    static constexpr std::size_t HW = InputShape::size / C;

public:
    using base::mask_stream;
    using base::width;
    // Elementwise: the mask of element (n, i) depends on n and on the channel i % C only.
    using fusion_kind = fusion::elementwise;
    static constexpr double rate = P.value();
    /// What a kept value is multiplied by.
    static constexpr T scale = static_cast<T>(1.0 / (1.0 - rate));

    static std::string name() { return "SpatialDropout(" + to_string(P) + ")"; }
    /// Whether channel c of sample n is kept.
    static bool kept(const Philox& stream, std::size_t n, std::size_t c) {
        const std::uint64_t e = std::uint64_t{n} * C + c;
        return stream(e / 4)[e % 4] >= threshold;
    }

    /// The mask on one register (lanes are consecutive elements of one sample), for fused kernels.
    struct Pointwise {
        using V = simd::batch<T>;
        static constexpr bool backward_uses_values = false;
        Philox stream;
        bool active;

        V forward(const V& x, const simd::RegisterSpan<T>& at) const { return active ? x * factors(at) : x; }
        V backward(const V& dy, const V&, const V&, const simd::RegisterSpan<T>& at) const {
            return active ? dy * factors(at) : dy;
        }

    private:
        V factors(const simd::RegisterSpan<T>& at) const {
            alignas(64) T f[simd::lanes<T>] = {};
            // Consecutive channels share a Philox block: draw each block once per register.
            std::uint64_t block = ~std::uint64_t{0};
            Philox::block words{};
            // The register's row and column in the stage's matrix (a sample per row, or a pixel per row of
            // channels): row·columns + column is the element's index in memory, n·C·H·W + p·C + c.
            const std::uint64_t first = std::uint64_t{at.row} * SampleLayout<InputShape>::columns + at.col;
            for (std::size_t lane = 0; lane < at.count; ++lane) {
                const std::uint64_t e = (first + lane) / width * C + (first + lane) % C;
                if (e / 4 != block) block = e / 4, words = stream(block);
                f[lane] = words[e % 4] >= threshold ? scale : T{0};
            }
            return V::load_aligned(f);
        }
    };
    Pointwise pointwise(const StepContext& c) const { return {mask_stream(c), c.mode == Mode::Train && rate != 0.0}; }
    Pointwise inference_pointwise(ConstLayerState<T>) const {
        return {Philox(Seed{0}, RandomPurpose::dropout, 0, 0), false};
    }

private:
    // ⌈P·2³²⌉, as in Dropout.
    static constexpr std::uint64_t threshold = drop_threshold(rate);

    static void apply_mask(BatchView<const T, width> in, BatchView<T, width> out, const Philox& stream) {
        std::array<T, C> factor;
        for (std::size_t n = 0; n < in.rows; ++n) {
            for (std::size_t c = 0; c < C; ++c) factor[c] = kept(stream, n, c) ? scale : T{0};
            const T* i = in.row(n);
            T* o = out.row(n);
            for (std::size_t p = 0; p < HW; ++p)
                for (std::size_t c = 0; c < C; ++c) o[p * C + c] = i[p * C + c] * factor[c];
        }
    }
};

/// Spatial dropout spec: `SpatialDropout<0.2>` on (C, H, W), P = the probability of dropping a whole
/// channel of a sample, in [0, 1); PyTorch's nn.Dropout2d.
template <Real P>
struct SpatialDropout {
    template <class In>
    static constexpr bool accepts = detail::image_dims<In>::is_image && P.value() >= 0.0 && P.value() < 1.0;
    template <std::size_t Index, class In>
    using rejection = std::conditional_t<detail::image_dims<In>::is_image,
                                         diagnostics::check_drop_probability<layer_index<Index>, SpatialDropout>,
                                         diagnostics::check_image_input<layer_index<Index>,
                                                                                         SpatialDropout, receives<In>>>;
    template <class T, class InputShape>
    using bind = SpatialDropoutLayer<T, InputShape, P>;
};

}  // namespace typenet
