#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/random.hpp"
#include "typenet/core/real.hpp"
#include "typenet/layers/image_layer_spec.hpp"
#include "typenet/layers/mask_layer.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// DropBlock (Ghiasi et al. 2018) bound to scalar T, on channels-last (C, H, W) samples. In train mode,
/// for each sample and channel, every B×B block that fits in the feature map (top-left corner (i, j),
/// 0 ≤ i ≤ H − B, 0 ≤ j ≤ W − B) is dropped with probability
///     γ = P / B² · H·W / ((H − B + 1)(W − B + 1)),
/// the union of the dropped blocks is multiplied by 0 and the rest by count / count_kept over the
/// whole batch (the normalization of the paper's TensorFlow code and of timm's drop_block_2d). In eval
/// mode (and for P = 0) the identity. The drawing of block (n, c, i, j) is 32-bit word e % 4 of block
/// e / 4 of the step's Philox stream, e = ((n·C + c)(H − B + 1) + i)(W − B + 1) + j, so backward
/// regenerates the forward's mask.
template <class T, class InputShape, Real P, std::size_t B>
class DropBlockLayer : public detail::MaskLayer<DropBlockLayer<T, InputShape, P, B>, T, InputShape> {
    using base = detail::MaskLayer<DropBlockLayer, T, InputShape>;
    friend base;
    using dims = detail::image_dims<InputShape>;
    static constexpr std::size_t C = dims::channels, H = dims::height, W = dims::width;
    static constexpr std::size_t BH = H - B + 1, BW = W - B + 1;

public:
    using base::mask_stream;
    using base::width;
    // The scale needs the whole batch's mask, and a value's mask depends on B×B block positions.
    using fusion_kind = fusion::barrier;
    static constexpr double rate = P.value();
    /// γ, the probability that a block is dropped (at most 1).
    static constexpr double block_rate =
        std::min(1.0, rate / static_cast<double>(B * B) * static_cast<double>(H * W) / static_cast<double>(BH * BW));

    static std::string name() { return "DropBlock(" + to_string(P) + ", " + std::to_string(B) + ")"; }

    /// The identity of eval mode on one register, so that inference fuses past the layer.
    struct Identity {
        using V = simd::batch<T>;
        V forward(const V& x, const simd::RegisterSpan<T>&) const { return x; }
    };
    Identity inference_pointwise(ConstLayerState<T>) const { return {}; }

    /// Writes the keep mask (1 kept, 0 dropped) of `rows` samples, channels-last, to `keep`; returns how
    /// many values are kept.
    static std::size_t mask(const Philox& stream, std::size_t rows, std::uint8_t* keep) {
        std::fill_n(keep, rows * width, std::uint8_t{1});
        Philox::block words{};
        for (std::size_t n = 0; n < rows; ++n)
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t i = 0; i < BH; ++i)
                    for (std::size_t j = 0; j < BW; ++j) {
                        const std::uint64_t e = ((std::uint64_t{n} * C + c) * BH + i) * BW + j;
                        if (e % 4 == 0) words = stream(e / 4);  // e runs 0, 1, 2, ...
                        if (words[e % 4] >= threshold) continue;
                        std::uint8_t* sample = keep + n * width;
                        for (std::size_t h = i; h < i + B; ++h)
                            for (std::size_t w = j; w < j + B; ++w) sample[(h * W + w) * C + c] = 0;
                    }
        std::size_t kept = 0;
        for (std::size_t k = 0; k < rows * width; ++k) kept += keep[k];
        return kept;
    }

private:
    // A block is dropped when its word is below ⌈γ·2³²⌉ (2³² when γ = 1: every word).
    static constexpr std::uint64_t threshold = drop_threshold(block_rate);

    // The scale count/count_kept is the batch's, so backward (through MaskLayer) recomputes it too.
    void apply_mask(BatchView<const T, width> in, BatchView<T, width> out, const Philox& stream) {
        if (keep_.size() < in.size()) keep_.resize(in.size());
        const std::size_t kept = mask(stream, in.rows, keep_.data());
        // Multiplied, not selected, so that a NaN stays NaN (as in PyTorch); all dropped: all zeros.
        const T scale = kept == 0 ? T{0} : static_cast<T>(static_cast<double>(in.size()) / static_cast<double>(kept));
        for (std::size_t k = 0; k < in.size(); ++k) out.data[k] = in.data[k] * (keep_[k] ? scale : T{0});
    }

    /// The mask of the current call: regenerated in each call, never kept from forward to backward.
    std::vector<std::uint8_t> keep_;
};

/// DropBlock spec: `DropBlock<0.1, 3>` on (C, H, W), P = the fraction of values to drop, in [0, 1), in
/// square blocks of side B (1 ≤ B ≤ min(H, W)); B = 1 is dropout with a per-batch scale.
template <Real P, std::size_t BlockSize>
struct DropBlock {
    template <class In>
    static constexpr bool accepts = detail::image_dims<In>::is_image && P.value() >= 0.0 && P.value() < 1.0 &&
                                    BlockSize >= 1 && BlockSize <= detail::image_dims<In>::height &&
                                    BlockSize <= detail::image_dims<In>::width;
    template <std::size_t Index, class In>
    using rejection = std::conditional_t<
        !detail::image_dims<In>::is_image,
        diagnostics::check_image_input<layer_index<Index>, DropBlock, receives<In>>,
        std::conditional_t<(P.value() >= 0.0 && P.value() < 1.0),
                           diagnostics::check_dropblock_block_fits_feature_map<layer_index<Index>, DropBlock,
                                                                               receives<In>, block<BlockSize>>,
                           diagnostics::check_drop_probability<layer_index<Index>, DropBlock>>>;
    template <class T, class InputShape>
    using bind = DropBlockLayer<T, InputShape, P, BlockSize>;
};

}  // namespace typenet
