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
#include "typenet/simd/conv_geometry.hpp"
#include "typenet/simd/gemm.hpp"
#include "typenet/simd/patches.hpp"
#include "typenet/simd/pointwise_chain.hpp"

namespace typenet {

/// 2-D convolution bound to scalar T, with PyTorch's Conv2d semantics (cross-correlation, weight
/// (out, in/groups, kh, kw)), on channels-last activations (core/layout.hpp). With one group it is a
/// GEMM: rows = the batch's output pixels, columns = output channels, reduction = the K·K·Cin values of
/// each pixel's patch, packed a chunk of rows at a time (simd/patches.hpp) so the packed operand stays
/// in cache; the bias and the pointwise layers after it run in the GEMM's epilogue, as after a Dense.
/// The weights live as (kh, kw, in/groups, out), the GEMM's Wᵀ. Grouped and depthwise convolutions run
/// as direct loops over the output channels, which are contiguous.
template <class T, class InputShape, std::size_t Cout, std::size_t K, std::size_t S, std::size_t P, std::size_t D,
          std::size_t G, class Init, bool Bias>
class Conv2DLayer {
public:
    static constexpr std::size_t Cin = InputShape::dims[0];
    using geometry = ConvGeometry<Cin, InputShape::dims[1], InputShape::dims[2], K, S, P, D>;
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = Shape<Cout, geometry::out_height, geometry::out_width>;
    // Grouped convolutions are not one GEMM, so the layers after them run in their own pass.
    using fusion_kind = std::conditional_t<G == 1, fusion::contraction, fusion::barrier>;
    static constexpr std::size_t group_in = Cin / G, group_out = Cout / G;
    /// Rows of the weight matrix: one patch of one group.
    static constexpr std::size_t patch = K * K * group_in;
    static constexpr std::size_t weight_size = patch * Cout;
    static constexpr bool has_bias = Bias;
    static constexpr std::array parameter_tensors = [] {
        constexpr TensorInfo weight{"weight", {Cout, group_in, K, K}, {2, 3, 1, 0}};
        if constexpr (Bias) return std::array{weight, TensorInfo{"bias", Cout}};
        else return std::array{weight};
    }();
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    static std::string name() {
        std::string s = "Conv2D<" + std::to_string(Cin) + ", " + std::to_string(Cout) + ", " + std::to_string(K);
        if (S != 1) s += ", Stride<" + std::to_string(S) + ">";
        if (P != 0) s += ", Padding<" + std::to_string(P) + ">";
        if (D != 1) s += ", Dilation<" + std::to_string(D) + ">";
        if (G != 1) s += ", Groups<" + std::to_string(G) + ">";
        return s + ", " + Init::name() + (Bias ? "" : ", NoBias") + ">";
    }

    /// Draws W in PyTorch's (out, in/groups·K·K) order, fan-in in/groups·K·K, so a seed gives the same
    /// weights whatever the storage; the bias starts at zero.
    void initialize(LayerState<T> s, const StepContext& c) {
        std::vector<T> w(weight_size);
        Init::fill(std::span<T>(w), patch, Cout, Philox(c.seed, RandomPurpose::initialize, c.layer_index, 0));
        for (std::size_t k = 0; k < weight_size; ++k)
            s.parameters[parameter_tensors[0].offset(parameter_tensors[0].unflatten(k))] = w[k];
        if constexpr (Bias) std::fill_n(s.parameters + weight_size, Cout, T{0});
    }

    void forward(LayerState<T> s, BatchView<const T, InputShape::size> x, BatchView<T, output_shape::size> y,
                 const StepContext&) {
        infer({s.parameters, s.buffers}, x, y);
    }

    void infer(ConstLayerState<T> s, BatchView<const T, InputShape::size> x, BatchView<T, output_shape::size> y) const {
        if constexpr (G == 1) product(s.parameters, x, y.data, bias_epilogue(s.parameters, simd::NoEpilogue{}));
        else direct_forward(s.parameters, x, y.data);
    }

    /// y = chain(conv(x) + b) in one pass over the output: the layers fused after this one run in the
    /// GEMM's epilogue.
    template <class Chain>
    void infer_fused(ConstLayerState<T> s, BatchView<const T, InputShape::size> x, T* y, const Chain& chain) const
        requires(G == 1)
    {
        product(s.parameters, x, y, bias_epilogue(s.parameters, simd::ChainEpilogue<Chain>{&chain}));
    }

    /// Training forward of a stage: z = conv(x) + b and y = chain(z), both stored from registers (as
    /// DenseLayer::forward_fused); `stats` merges per-channel moments of z (BatchNorm's).
    template <class Chain>
    void forward_fused(LayerState<T> s, BatchView<const T, InputShape::size> x, T* z, T* y, const Chain& chain,
                       const simd::ColumnStats<T>& stats = {})
        requires(G == 1)
    {
        if constexpr (Chain::size == 0)
            product(s.parameters, x, y, bias_epilogue(s.parameters, simd::NoEpilogue{}), stats);
        else
            product(s.parameters, x, y,
                    bias_epilogue(s.parameters, simd::StoringChainEpilogue<T, Chain>{z, Cout, &chain}), stats);
    }

    /// Backward of a stage: dz = chain'(z)·dy in place with db += Σ dz in the same pass, then the
    /// weight and input gradients.
    template <class Chain>
    void backward_fused(LayerState<T> s, BatchView<const T, InputShape::size> x, const T* z, T* dy, const Chain& chain,
                        BatchView<T, InputShape::size> dx)
        requires(G == 1)
    {
        if constexpr (Chain::size == 0) {
            backward(s, x, {}, BatchView<const T, output_shape::size>{dy, x.rows}, dx, {});
        } else {
            simd::apply_prologue<T, Cout>(
                rows_of(x.rows), dy, dy,
                [&](const simd::batch<T>& g, const simd::RegisterSpan<T>& at) { return chain.backward(g, at.load(z, Cout), at); },
                simd::ColumnStats<T>{Bias ? s.gradients + weight_size : nullptr, nullptr});
            products(s, x, dy, dx);
        }
    }

    /// dW += patchesᵀ·dy, db += Σ dy, dx = the patch gradients dy·W scattered back to their pixels.
    void backward(LayerState<T> s, BatchView<const T, InputShape::size> x, BatchView<const T, output_shape::size>,
                  BatchView<const T, output_shape::size> dy, BatchView<T, InputShape::size> dx, const StepContext&) {
        if constexpr (Bias) simd::add_column_sums<T, Cout>(rows_of(x.rows), dy.data, s.gradients + weight_size);
        if constexpr (G == 1) products(s, x, dy.data, dx);
        else direct_backward(s, x, dy.data, dx);
    }

private:
    /// Output pixels of the whole batch: the rows of the GEMM.
    static constexpr std::size_t rows_of(std::size_t samples) { return samples * geometry::out_pixels; }
    /// A 1×1 convolution with stride 1 and no padding reads its patches straight from the input.
    static constexpr bool pointwise_kernel = K == 1 && S == 1 && P == 0;
    /// Output pixels per packed chunk: about 128 KiB of patches (an L2-resident GEMM operand), a multiple
    /// of the GEMM's row tiles.
    static constexpr std::size_t chunk_rows = std::max<std::size_t>(96, 32768 / patch / 24 * 24);

    template <class Then>
    static auto bias_epilogue(const T* parameters, Then then) {
        if constexpr (Bias) return simd::BiasEpilogue<T, Then>{parameters + weight_size, then};
        else return then;
    }

    /// Per-thread packing buffers: predict is const and may run on several threads at once.
    static T* patch_buffer(std::size_t which) {
        thread_local std::array<AlignedBuffer<T>, 2> buffers;
        if (buffers[which].size() < chunk_rows * patch) buffers[which].resize(chunk_rows * patch);
        return buffers[which].data();
    }

    /// The patches of rows [row0, row0 + rows): packed into a buffer, or the input itself for a 1×1 kernel.
    static const T* patches_of(const T* x, std::size_t row0, std::size_t rows) {
        if constexpr (pointwise_kernel) {
            return x + row0 * Cin;
        } else {
            T* buffer = patch_buffer(0);
            simd::pack_patches<geometry>(x, row0, rows, buffer);
            return buffer;
        }
    }

    template <class Epilogue>
    static void product(const T* parameters, BatchView<const T, InputShape::size> x, T* y, const Epilogue& epilogue,
                        simd::ColumnStats<T> stats = {}) {
        const std::size_t m = rows_of(x.rows);
        for (std::size_t row0 = 0; row0 < m; row0 += chunk_rows) {
            const std::size_t rows = std::min(chunk_rows, m - row0);
            stats.first_row = row0;
            simd::gemm_forward<T, patch, Cout>(rows, patches_of(x.data, row0, rows), simd::InOut<const T>{parameters},
                                               y + row0 * Cout, simd::RowOffsetEpilogue<T, Epilogue>{&epilogue, row0},
                                               stats);
        }
    }

    /// dW += patchesᵀ·dz and dx = scatter(dz·W), chunk by chunk (the patches packed again, not stored).
    void products(LayerState<T> s, BatchView<const T, InputShape::size> x, const T* dz, BatchView<T, InputShape::size> dx) {
        const std::size_t m = rows_of(x.rows);
        if (dx.data != nullptr && !pointwise_kernel) std::fill_n(dx.data, dx.size(), T{0});
        if (dx.data != nullptr) scratch_.resize(simd::transposed_slab_size<T, Cout>);
        for (std::size_t row0 = 0; row0 < m; row0 += chunk_rows) {
            const std::size_t rows = std::min(chunk_rows, m - row0);
            const T* dz_chunk = dz + row0 * Cout;
            simd::gemm_weight_gradient<T, patch, Cout>(rows, dz_chunk, patches_of(x.data, row0, rows),
                                                       simd::InOut<T>{s.gradients});
            if (dx.data == nullptr) continue;
            if constexpr (pointwise_kernel) {
                simd::gemm_input_gradient<T, patch, Cout>(rows, dz_chunk, simd::InOut<const T>{s.parameters},
                                                          dx.data + row0 * Cin, scratch_.data());
            } else {
                T* patch_gradients = patch_buffer(1);
                simd::gemm_input_gradient<T, patch, Cout>(rows, dz_chunk, simd::InOut<const T>{s.parameters},
                                                          patch_gradients, scratch_.data());
                simd::scatter_patches<geometry>(patch_gradients, row0, rows, dx.data);
            }
        }
    }

    /// Grouped convolution, one output pixel at a time: y[o] = b[o] + Σ_taps Σ_i x[tap][group(o)·in/G + i]·W.
    static void direct_forward(const T* w, BatchView<const T, InputShape::size> x, T* y) {
        const std::size_t m = rows_of(x.rows);
        for (std::size_t row = 0; row < m; ++row) {
            const T* sample = x.data + (row / geometry::out_pixels) * InputShape::size;
            T* out = y + row * Cout;
            if constexpr (Bias) std::copy_n(w + weight_size, Cout, out);
            else std::fill_n(out, Cout, T{0});
            geometry::for_each_tap(row % geometry::out_pixels, [&](std::size_t tap, std::ptrdiff_t pixel) {
                if (pixel < 0) return;
                const T* in = sample + static_cast<std::size_t>(pixel) * Cin;
                for (std::size_t i = 0; i < group_in; ++i) {
                    const T* wr = w + (tap * group_in + i) * Cout;
                    for (std::size_t o = 0; o < Cout; ++o) out[o] += in[o / group_out * group_in + i] * wr[o];
                }
            });
        }
    }

    static void direct_backward(LayerState<T> s, BatchView<const T, InputShape::size> x, const T* dy,
                                BatchView<T, InputShape::size> dx) {
        const T* w = s.parameters;
        T* dw = s.gradients;
        if (dx.data != nullptr) std::fill_n(dx.data, dx.size(), T{0});
        const std::size_t m = rows_of(x.rows);
        for (std::size_t row = 0; row < m; ++row) {
            const std::size_t sample = (row / geometry::out_pixels) * InputShape::size;
            const T* g = dy + row * Cout;
            geometry::for_each_tap(row % geometry::out_pixels, [&](std::size_t tap, std::ptrdiff_t pixel) {
                if (pixel < 0) return;
                const std::size_t at = sample + static_cast<std::size_t>(pixel) * Cin;
                for (std::size_t i = 0; i < group_in; ++i) {
                    const std::size_t wrow = (tap * group_in + i) * Cout;
                    for (std::size_t o = 0; o < Cout; ++o) {
                        const std::size_t channel = o / group_out * group_in + i;
                        dw[wrow + o] += x.data[at + channel] * g[o];
                        if (dx.data != nullptr) dx.data[at + channel] += w[wrow + o] * g[o];
                    }
                }
            });
        }
    }

    /// Transposed slabs of dz for the input-gradient product; sized once, reused every step.
    AlignedBuffer<T> scratch_;
};

namespace detail {

template <class T>
inline constexpr bool is_conv_option_v = std::is_same_v<T, NoBias> || Initializer<T> || is_option_v<Stride, T> ||
                                         is_option_v<Padding, T> || is_option_v<Dilation, T> || is_option_v<Groups, T>;

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

/// 2-D convolution spec: `Conv2D<InChannels, OutChannels, Kernel, Options...>`, the options in any order:
/// `Stride<S>` (1), `Padding<P>` (0, zeros), `Dilation<D>` (1), `Groups<G>` (1; InChannels: depthwise), an
/// initializer (He, fan-in InChannels/G·Kernel²), `NoBias`. Takes (InChannels, H, W), gives (OutChannels,
/// floor((H + 2P − D·(Kernel − 1) − 1)/S) + 1, likewise for W).
template <std::size_t InChannels, std::size_t OutChannels, std::size_t Kernel, class... Options>
struct Conv2D {
    static constexpr std::size_t stride = detail::option_value<Stride, 1, Options...>::value;
    static constexpr std::size_t padding = detail::option_value<Padding, 0, Options...>::value;
    static constexpr std::size_t dilation = detail::option_value<Dilation, 1, Options...>::value;
    static constexpr std::size_t groups = detail::option_value<Groups, 1, Options...>::value;
    static constexpr bool bias = !(std::is_same_v<Options, NoBias> || ...);
    using initializer = typename detail::initializer_among<Options...>::type;

    template <class In>
    static constexpr bool accepts_geometry = [] {
        if constexpr (In::rank != 3) return false;
        else return In::dims[0] == InChannels && ConvGeometry<InChannels, In::dims[1], In::dims[2], Kernel, stride, padding,
                                                                      dilation>::fits;
    }();
    static constexpr bool well_formed = (detail::is_conv_option_v<Options> && ...) && InChannels > 0 &&
                                        OutChannels > 0 && Kernel > 0 && stride > 0 && dilation > 0 && groups > 0 &&
                                        InChannels % groups == 0 && OutChannels % groups == 0;
    template <class In>
    static constexpr bool accepts = well_formed && accepts_geometry<In>;

    template <std::size_t Index, class In>
    using rejection = std::conditional_t<
        !(detail::is_conv_option_v<Options> && ...), diagnostics::check_conv_options<layer_index<Index>, Conv2D>,
        std::conditional_t<
            !(InChannels > 0 && OutChannels > 0 && Kernel > 0 && stride > 0 && dilation > 0 && groups > 0),
            diagnostics::check_conv_sizes<layer_index<Index>, Conv2D>,
            std::conditional_t<
                (groups == 0 || InChannels % groups != 0 || OutChannels % groups != 0),
                diagnostics::check_conv_groups<layer_index<Index>, Conv2D, in_channels<InChannels>,
                                               out_channels<OutChannels>, groups_of<groups>>,
                std::conditional_t<
                    In::rank != 3, diagnostics::check_image_input<layer_index<Index>, Conv2D, receives<In>>,
                    std::conditional_t<In::dims[0] != InChannels,
                                       diagnostics::check_input_channels<layer_index<Index>, Conv2D,
                                                                         expects<in_channels<InChannels>>, receives<In>>,
                                       diagnostics::check_window_fits<layer_index<Index>, Conv2D, receives<In>,
                                                                      window<Kernel, stride, padding, dilation>>>>>>>;

    template <class T, class InputShape>
    using bind = Conv2DLayer<T, InputShape, OutChannels, Kernel, stride, padding, dilation, groups, initializer, bias>;
};

}  // namespace typenet
