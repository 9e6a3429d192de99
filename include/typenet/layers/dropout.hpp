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
#include "typenet/layers/mask_layer.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// Inverted dropout bound to scalar T: in train mode each value is kept with probability 1 − P and
/// scaled by 1/(1 − P), else set to 0; in eval mode (and for P = 0) the identity.
/// The mask is a pure function of (seed, layer, step, row·width + column) drawn from Philox, so
/// backward regenerates it instead of storing it, and it does not depend on how the work is split.
template <class T, class InputShape, Real P>
class DropoutLayer : public detail::MaskLayer<DropoutLayer<T, InputShape, P>, T, InputShape> {
    using base = detail::MaskLayer<DropoutLayer, T, InputShape>;
    friend base;

public:
    using base::mask_stream;
    // Elementwise, with the element index as an extra input of the mask; a fused kernel calls
    // mask_stream() once per step and kept() per element.
    using fusion_kind = fusion::elementwise;
    static constexpr double rate = P.value();
    /// What a kept value is multiplied by.
    static constexpr T scale = static_cast<T>(1.0 / (1.0 - rate));

    static std::string name() { return "Dropout(" + to_string(P) + ")"; }

    /// Whether element `index` (row·width + column) is kept: 32-bit word index % 4 of block index / 4
    /// of the stream, kept when it is at least P·2³² (so P = 0 keeps everything).
    static bool kept(const Philox& stream, std::uint64_t index) { return stream(index / 4)[index % 4] >= threshold; }

    /// The mask of one step on one register, for fused kernels: the same keep decisions as the unfused
    /// loop (element index row·width + column), so fused and unfused training agree bit for bit.
    struct Pointwise {
        using V = simd::batch<T>;
        /// Backward needs neither the input nor the output: a fused backward need not recompute them.
        static constexpr bool backward_uses_values = false;
        Philox stream;
        bool active;

        V forward(const V& x, const simd::RegisterSpan<T>& at) const { return active ? masked(x, at) : x; }
        V backward(const V& dy, const V&, const V&, const simd::RegisterSpan<T>& at) const {
            return active ? masked(dy, at) : dy;
        }

    private:
        V masked(const V& v, const simd::RegisterSpan<T>& at) const {
            alignas(64) T keep[simd::lanes<T>] = {};
            // The register's row and column in the stage's matrix (a sample per row, or a pixel per row
            // of channels for images): row·columns + column is the element's index in memory.
            const std::uint64_t first = at.row * SampleLayout<InputShape>::columns + at.col;
            if (first % 4 == 0 && at.count % 4 == 0) {
                // Whole Philox blocks: independent, so their rounds overlap in the pipeline.
                for (std::size_t lane = 0; lane < at.count; lane += 4) {
                    const Philox::block words = stream((first + lane) / 4);
                    for (std::size_t k = 0; k < 4; ++k) keep[lane + k] = words[k] >= threshold ? T{1} : T{0};
                }
            } else {
                Philox::block words{};
                for (std::size_t lane = 0; lane < at.count; ++lane) {
                    const std::uint64_t index = first + lane;
                    if (lane == 0 || index % 4 == 0) words = stream(index / 4);
                    keep[lane] = words[index % 4] >= threshold ? T{1} : T{0};
                }
            }
            return xsimd::select(V::load_aligned(keep) != V(T{0}), v * V(scale), V(T{0}));
        }
    };
    Pointwise pointwise(const StepContext& c) const {
        return {mask_stream(c), c.mode == Mode::Train && rate != 0.0};
    }
    Pointwise inference_pointwise(ConstLayerState<T>) const {
        return {Philox(Seed{0}, RandomPurpose::dropout, 0, 0), false};
    }

private:
    // ⌈P·2³²⌉, exact: P·2³² is an exact double and below 2³² for P < 1.
    static constexpr std::uint64_t threshold = drop_threshold(rate);

    static void apply_mask(BatchView<const T, InputShape::size> x, BatchView<T, InputShape::size> y,
                           const Philox& stream) {
        const T* in = x.data;
        T* out = y.data;
        const std::size_t n = x.size();
        for (std::size_t first = 0; first < n; first += 4) {
            const Philox::block words = stream(first / 4);
            const std::size_t count = std::min<std::size_t>(4, n - first);
            for (std::size_t lane = 0; lane < count; ++lane)
                out[first + lane] = words[lane] >= threshold ? in[first + lane] * scale : T{0};
        }
    }
};

/// Inverted dropout spec: `Dropout<0.5>`, P = drop probability in [0, 1).
/// An out-of-range P is reported by Seq through accepts/rejection (one error, at the network), never
/// by a static_assert here, which would fire a second time when the name is formed.
template <Real P>
struct Dropout {
    template <class In>
    static constexpr bool accepts = P.value() >= 0.0 && P.value() < 1.0;  // false for NaN too
    template <std::size_t Index, class In>
    using rejection = diagnostics::check_dropout_rate<layer_index<Index>, Dropout, fraction_of<P>>;
    template <class T, class InputShape>
    using bind = DropoutLayer<T, InputShape, P>;
};

}  // namespace typenet
