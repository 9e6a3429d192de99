#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/real.hpp"
#include "typenet/layers/mask_layer.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// Stochastic depth bound to scalar T (Huang et al. 2016; timm's DropPath, torchvision's
/// StochasticDepth(p, mode="row")): in train mode each sample is kept with probability 1 − P, all its
/// values multiplied by 1/(1 − P), or all multiplied by 0 (so a NaN stays NaN, as in timm); in eval mode
/// (and for P = 0) the identity. Sample n is kept when 32-bit word n % 4 of block n / 4 of the step's
/// Philox stream is at least P·2³²: a pure function of (seed, layer, step, n), regenerated in backward.
template <class T, class InputShape, Real P>
class DropPathLayer : public detail::MaskLayer<DropPathLayer<T, InputShape, P>, T, InputShape> {
    using base = detail::MaskLayer<DropPathLayer, T, InputShape>;
    friend base;

public:
    using base::mask_stream;
    using base::width;
    // Elementwise: the mask of element (n, i) depends on the sample n only.
    using fusion_kind = fusion::elementwise;
    /// P, the probability that a sample is dropped.
    static constexpr double rate = P.value();
    /// What a kept value is multiplied by.
    static constexpr T scale = static_cast<T>(1.0 / (1.0 - rate));

    /// "DropPath(0.1)", in summary(), fusion_plan() and the signature of model files.
    static std::string name() { return "DropPath(" + to_string(P) + ")"; }
    /// Whether sample n is kept.
    static bool kept(const Philox& stream, std::size_t n) { return stream(n / 4)[n % 4] >= threshold; }

    /// The mask on one register, for fused kernels.
    struct Pointwise {
        using V = simd::batch<T>;
        /// Backward needs neither the input nor the output: a fused backward need not recompute them.
        static constexpr bool backward_uses_values = false;
        Philox stream;
        bool active;

        V forward(const V& x, const simd::RegisterSpan<T>& at) const { return active ? x * factor(at) : x; }
        V backward(const V& dy, const V&, const V&, const simd::RegisterSpan<T>& at) const {
            return active ? dy * factor(at) : dy;
        }

    private:
        // A register lies in one row of the stage's matrix (a sample, or a pixel of one sample), so one
        // Philox word serves all its lanes. row·columns + column is the element's index in memory.
        V factor(const simd::RegisterSpan<T>& at) const {
            const std::uint64_t first = std::uint64_t{at.row} * SampleLayout<InputShape>::columns + at.col;
            return V(kept(stream, first / width) ? scale : T{0});
        }
    };
    /// The step's mask for a fused training kernel (inactive in eval mode and for P = 0).
    Pointwise pointwise(const StepContext& c) const { return {mask_stream(c), c.mode == Mode::Train && rate != 0.0}; }
    /// The identity of inference, so that predict fuses past the layer.
    Pointwise inference_pointwise(ConstLayerState<T>) const {
        return {Philox(Seed{0}, RandomPurpose::dropout, 0, 0), false};
    }

private:
    // ⌈P·2³²⌉, as in Dropout.
    static constexpr std::uint64_t threshold = drop_threshold(rate);

    static void apply_mask(BatchView<const T, width> in, BatchView<T, width> out, const Philox& stream) {
        for (std::size_t n = 0; n < in.rows; ++n) {
            const T factor = kept(stream, n) ? scale : T{0};
            const T* i = in.row(n);
            T* o = out.row(n);
            for (std::size_t k = 0; k < width; ++k) o[k] = i[k] * factor;
        }
    }
};

/// Stochastic depth spec: `DropPath<0.1>` on any shape, P = the probability of dropping a whole sample,
/// in [0, 1); placed last in a `Residual<...>` body, it drops the body's branch for that sample.
template <Real P>
struct DropPath {
    template <class In>
    static constexpr bool accepts = P.value() >= 0.0 && P.value() < 1.0;  // false for NaN too
    template <std::size_t Index, class In>
    using rejection = diagnostics::check_drop_probability<layer_index<Index>, DropPath>;
    template <class T, class InputShape>
    using bind = DropPathLayer<T, InputShape, P>;
};

}  // namespace typenet
