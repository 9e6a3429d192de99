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
#include "typenet/core/error.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/layout.hpp"
#include "typenet/core/real.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/simd/arch.hpp"
#include "typenet/simd/parallel.hpp"
#include "typenet/simd/reduce.hpp"
#include "typenet/simd/register_span.hpp"

namespace typenet {

/// Batch normalization bound to scalar T, with PyTorch's BatchNorm1d/2d semantics: one (γ, β) and one
/// pair of running statistics per channel, the channel being the first dimension of the sample shape
/// (a sample of shape (C) has C channels of one value; (C, L) has C channels of L values; an image
/// (C, H, W), channels-last in memory (core/layout.hpp), has C channels of H·W values: BatchNorm2d).
///   train: y = γ·(x − μ_B)/√(σ²_B + eps) + β, σ²_B the biased batch variance; running statistics
///          r ← (1 − momentum)·r + momentum·s, with the unbiased variance for running_var.
///   eval:  y = γ·(x − running_mean)/√(running_var + eps) + β.
template <class T, class InputShape, Real Momentum, Real Eps>
class BatchNormLayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = InputShape;
    // Train-mode statistics need every row before the first output exists. In eval mode the layer is
    // an affine map per channel, which inference folds into the epilogue of the Dense before it.
    using fusion_kind = fusion::barrier;
    static constexpr std::size_t width = InputShape::size;
    static constexpr std::size_t channels = InputShape::dims[0];
    /// Values per channel in one sample (1 for a flat feature vector).
    static constexpr std::size_t inner = width / channels;
    /// Whether the channel is the column of the activation matrix (flat features, channels-last images):
    /// then the fused kernels can normalize register by register and the contraction before it can
    /// merge its moments per column.
    static constexpr bool per_column = SampleLayout<InputShape>::columns == channels;
    static constexpr double momentum = Momentum.value();
    static constexpr double eps = Eps.value();
    // PyTorch's state_dict keys, so safetensors files map one to one.
    static constexpr std::array parameter_tensors{TensorInfo{"weight", channels}, TensorInfo{"bias", channels}};
    static constexpr std::array buffer_tensors{TensorInfo{"running_mean", channels},
                                               TensorInfo{"running_var", channels},
                                               TensorInfo{"num_batches_tracked", 1}};

    static std::string name() {
        if (momentum == 0.1 && eps == 1e-5) return "BatchNorm";
        return "BatchNorm(momentum=" + to_string(Momentum) + ", eps=" + to_string(Eps) + ")";
    }

    void initialize(LayerState<T> s, const StepContext&) {
        std::fill_n(s.parameters, channels, T{1});
        std::fill_n(s.parameters + channels, channels, T{0});
        std::fill_n(s.buffers, channels, T{0});
        std::fill_n(s.buffers + channels, channels, T{1});
        s.buffers[2 * channels] = T{0};
    }

    void forward(LayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y, const StepContext& c) {
        if (c.mode == Mode::Eval) {
            infer({s.parameters, s.buffers}, x, y);
            return;
        }
        const std::size_t n = x.rows * inner;
        if (x.rows == 0) return;  // nothing to normalize, and no statistics to learn from
        if (n < 2) throw error(single_value_message(c.layer_index, x.rows));
        const T* gamma = s.parameters;
        const T* beta = s.parameters + channels;
        T* running_mean = s.buffers;
        T* running_var = s.buffers + channels;
        if constexpr (position_major) {
            forward_position_major(x, y, gamma, beta, running_mean, running_var);
        } else {
            for_channels(x.rows, [&](std::size_t ch) {
                // Two passes (mean, then squared deviations) in a wider type: E[x²] − E[x]² cancels
                // catastrophically when |mean| ≫ std.
                accumulator sum = 0;
                for_each_in_channel(x.rows, ch, [&](std::size_t i) { sum += x.data[i]; });
                const accumulator mean = sum / static_cast<accumulator>(n);
                accumulator squares = 0;
                for_each_in_channel(x.rows, ch, [&](std::size_t i) {
                    const accumulator d = x.data[i] - mean;
                    squares += d * d;
                });
                const T scale = learn_statistics(ch, mean, squares, n, running_mean, running_var) * gamma[ch];
                normalize(x, y, ch, Centre(mean), scale, beta[ch]);
            });
        }
        s.buffers[2 * channels] += T{1};
        rows_ = x.rows;
    }

    /// The eval-mode map on one register, for the epilogue of the Dense before it (flat features or channels-last images:
    /// a register then holds one value of each of `lanes` channels). Computes 1/√(running_var + eps) in T
    /// per register, which costs less than the O(width) table of the unfused path at batch 1.
    struct InferencePointwise {
        using V = simd::batch<T>;
        const T* gamma;
        const T* beta;
        const T* running_mean;
        const T* running_var;

        V forward(const V& x, const simd::RegisterSpan<T>& at) const {
            const V inv_std = V(T{1}) / xsimd::sqrt(at.load(running_var) + V(static_cast<T>(eps)));
            return (x - at.load(running_mean)) * (at.load(gamma) * inv_std) + at.load(beta);
        }
    };
    InferencePointwise inference_pointwise(ConstLayerState<T> s) const
        requires(per_column)
    {
        return {s.parameters, s.parameters + channels, s.buffers, s.buffers + channels};
    }

    /// Where the Dense before it merges the batch moments of its outputs while storing them, in training
    /// (flat features), so that forward_from_moments need not read the batch again.
    simd::ColumnStats<T> moments()
        requires(per_column)
    {
        return {nullptr, nullptr, moment_mean_.data(), moment_m2_.data()};
    }

    /// The train-mode map on one register with the statistics of the last train-mode forward.
    struct TrainPointwise {
        using V = simd::batch<T>;
        const T* mean_high;
        const T* mean_low;
        const T* scale;
        const T* shift;

        V forward(const V& x, const simd::RegisterSpan<T>& at) const {
            return ((x - at.load(mean_high)) - at.load(mean_low)) * at.load(scale) + at.load(shift);
        }
    };
    TrainPointwise train_pointwise() const { return {mean_high_.data(), mean_low_.data(), scale_.data(), shift_.data()}; }

    /// Train-mode forward from the moments merged into moments() by the Dense before it: the same batch
    /// and running statistics as forward(), with the normalization returned as a register operation for
    /// the fused pass that applies it (with the activations after it) instead of a pass of its own.
    TrainPointwise forward_from_moments(LayerState<T> s, std::size_t rows, const StepContext& c)
        requires(per_column)
    {
        if (rows == 0) return train_pointwise();
        if (rows * inner < 2) throw error(single_value_message(c.layer_index, rows));
        const T* gamma = s.parameters;
        const T* beta = s.parameters + channels;
        T* running_mean = s.buffers;
        T* running_var = s.buffers + channels;
        const accumulator n = static_cast<accumulator>(rows * inner);
        for (std::size_t ch = 0; ch < channels; ++ch) {
            const accumulator mean = static_cast<accumulator>(moment_mean_[ch]);
            const T inv_std = learn_statistics(ch, mean, static_cast<accumulator>(moment_m2_[ch]), n, running_mean, running_var);
            const Centre centre(mean);
            mean_high_[ch] = centre.high;
            mean_low_[ch] = centre.low;
            scale_[ch] = gamma[ch] * inv_std;
            shift_[ch] = beta[ch];
        }
        s.buffers[2 * channels] += T{1};
        rows_ = rows;
        return train_pointwise();
    }

    void infer(ConstLayerState<T> s, BatchView<const T, width> x, BatchView<T, width> y) const {
        if constexpr (position_major) {
            ChannelMap map;
            for (std::size_t ch = 0; ch < channels; ++ch)
                map.set(ch, Centre(s.buffers[ch]), s.parameters[ch] * running_inv_std(s.buffers, ch), s.parameters[channels + ch]);
            for_positions(x.rows, [&](std::size_t p) { map.apply(x.data + p * channels, y.data + p * channels); });
            return;
        }
        for (std::size_t ch = 0; ch < channels; ++ch) {
            normalize(x, y, ch, Centre(s.buffers[ch]), s.parameters[ch] * running_inv_std(s.buffers, ch),
                      s.parameters[channels + ch]);
        }
    }

    /// train: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with the batch statistics of the last train
    /// forward (every output depends on every input of its channel); eval: dx = γ/σ·dy with the
    /// running statistics. Both: dγ += Σ dy·x̂, dβ += Σ dy.
    void backward(LayerState<T> s, BatchView<const T, width> x, BatchView<const T, width>,
                  BatchView<const T, width> dy, BatchView<T, width> dx, const StepContext& c) {
        const bool train = c.mode == Mode::Train;
        if (train && x.rows != rows_)
            throw error("BatchNorm (layer " + std::to_string(c.layer_index) + "): backward in train mode needs the "
                        "statistics of a train-mode forward of the same batch (" + std::to_string(x.rows) +
                        " rows given, last train forward had " + std::to_string(rows_) + ")");
        const T* gamma = s.parameters;
        T* dgamma = s.gradients;
        T* dbeta = s.gradients + channels;
        const accumulator n = static_cast<accumulator>(x.rows * inner);
        if constexpr (position_major) {
            backward_position_major(s, x, dy, dx, train, n);
            return;
        }
        for_channels(x.rows, [&](std::size_t ch) {
            const Centre mean(train ? mean_[ch] : s.buffers[ch]);
            const T inv_std = train ? inv_std_[ch] : running_inv_std(s.buffers, ch);
            accumulator sum_dy = 0, sum_dy_xhat = 0;
            for_each_in_channel(x.rows, ch, [&](std::size_t i) {
                sum_dy += dy.data[i];
                sum_dy_xhat += dy.data[i] * (mean.deviation(x.data[i]) * inv_std);
            });
            dgamma[ch] += static_cast<T>(sum_dy_xhat);
            dbeta[ch] += static_cast<T>(sum_dy);
            if (dx.data == nullptr) return;
            const T scale = gamma[ch] * inv_std;
            if (!train) {
                for_each_in_channel(x.rows, ch, [&](std::size_t i) { dx.data[i] = dy.data[i] * scale; });
                return;
            }
            const T mean_dy = static_cast<T>(sum_dy / n), mean_dy_xhat = static_cast<T>(sum_dy_xhat / n);
            for_each_in_channel(x.rows, ch, [&](std::size_t i) {
                const T xhat = mean.deviation(x.data[i]) * inv_std;
                dx.data[i] = scale * (dy.data[i] - mean_dy - xhat * mean_dy_xhat);
            });
        });
    }

private:
    // Sums over a batch lose digits fast in float; double keeps the statistics close to exact.
    using accumulator = std::conditional_t<(sizeof(T) < sizeof(double)), double, T>;

    // Channels-last images keep the channel as the fastest index, so a pass per channel would read every
    // cache line of the batch once per channel (60 % of a CNN training step was that). Their passes go
    // through the positions (sample, pixel) in memory order, all channels of a position at once.
    static constexpr bool position_major = per_column && inner > 1;
    // Positions per partial sum. Fixed, so that the sums, merged in chunk order, are the same whatever
    // the number of threads.
    static constexpr std::size_t positions_per_chunk = 256;

    /// Records the batch statistics of channel `ch` (mean and Σ(x − mean)² over n values) for backward
    /// and the running statistics; returns 1/√(σ²_B + eps).
    T learn_statistics(std::size_t ch, accumulator mean, accumulator squares, accumulator n, T* running_mean,
                       T* running_var) {
        const accumulator biased = squares / n;
        const accumulator unbiased = squares / (n - 1);
        mean_[ch] = mean;
        inv_std_[ch] = static_cast<T>(accumulator{1} / std::sqrt(biased + static_cast<accumulator>(eps)));
        running_mean[ch] = static_cast<T>((1 - momentum) * running_mean[ch] + momentum * mean);
        running_var[ch] = static_cast<T>((1 - momentum) * running_var[ch] + momentum * unbiased);
        return inv_std_[ch];
    }

    /// A channel mean as T plus the part of it T cannot hold, so x − mean keeps the digits of the
    /// deviation: with mean 100 and std 0.5, float(mean) alone puts up to 8e-6 of error into x̂. Within a
    /// factor 2 of `high`, x − high is exact (Sterbenz), and subtracting `low` then costs one rounding.
    struct Centre {
        T high, low;
        explicit Centre(accumulator mean) : high(static_cast<T>(mean)), low(static_cast<T>(mean - high)) {}
        T deviation(T x) const { return (x - high) - low; }
    };

    /// Per channel (x − centre)·scale + shift on the `channels` values of one position.
    struct ChannelMap {
        std::array<T, channels> high{}, low{}, scale{}, shift{};
        void set(std::size_t ch, Centre centre, T channel_scale, T channel_shift) {
            high[ch] = centre.high;
            low[ch] = centre.low;
            scale[ch] = channel_scale;
            shift[ch] = channel_shift;
        }
        void apply(const T* x, T* y) const {
            for (std::size_t ch = 0; ch < channels; ++ch) y[ch] = ((x[ch] - high[ch]) - low[ch]) * scale[ch] + shift[ch];
        }
    };

    /// Calls f(position) for every position of a channels-last batch, split over the thread pool.
    template <class F>
    static void for_positions(std::size_t rows, F&& f) {
        const std::size_t positions = rows * inner;
        simd::run_parts(rows * width * 8, [&](std::size_t part, std::size_t parts) {
            for (std::size_t p = positions * part / parts, end = positions * (part + 1) / parts; p < end; ++p) f(p);
        });
    }

    /// first[ch] = Σ and second[ch] = Σ over the positions of a channels-last batch of what
    /// add(position, first, second) adds for all channels of that position.
    template <class Add>
    void sum_positions(std::size_t rows, Add&& add, std::array<accumulator, channels>& first,
                       std::array<accumulator, channels>& second) {
        const std::size_t positions = rows * inner;
        const std::size_t chunks = (positions + positions_per_chunk - 1) / positions_per_chunk;
        if (partial_sums_.size() < chunks * 2 * channels) partial_sums_.resize(chunks * 2 * channels);
        simd::run_parts(rows * width * 8, [&](std::size_t part, std::size_t parts) {
            for (std::size_t k = chunks * part / parts, end = chunks * (part + 1) / parts; k < end; ++k) {
                accumulator* a = partial_sums_.data() + k * 2 * channels;
                accumulator* b = a + channels;
                std::fill_n(a, 2 * channels, accumulator{0});
                for (std::size_t p = k * positions_per_chunk, last = std::min(positions, p + positions_per_chunk); p < last; ++p)
                    add(p, a, b);
            }
        });
        first.fill(0);
        second.fill(0);
        for (std::size_t k = 0; k < chunks; ++k) {
            const accumulator* a = partial_sums_.data() + k * 2 * channels;
            for (std::size_t ch = 0; ch < channels; ++ch) {
                first[ch] += a[ch];
                second[ch] += a[channels + ch];
            }
        }
    }

    void forward_position_major(BatchView<const T, width> x, BatchView<T, width> y, const T* gamma, const T* beta,
                                T* running_mean, T* running_var) {
        const accumulator n = static_cast<accumulator>(x.rows * inner);
        std::array<accumulator, channels> sums, squares;
        sum_positions(x.rows, [&](std::size_t p, accumulator* sum, accumulator*) {
            const T* v = x.data + p * channels;
            for (std::size_t ch = 0; ch < channels; ++ch) sum[ch] += v[ch];
        }, sums, squares);
        std::array<accumulator, channels> mean;
        for (std::size_t ch = 0; ch < channels; ++ch) mean[ch] = sums[ch] / n;
        sum_positions(x.rows, [&](std::size_t p, accumulator* square, accumulator*) {
            const T* v = x.data + p * channels;
            for (std::size_t ch = 0; ch < channels; ++ch) {
                const accumulator d = v[ch] - mean[ch];
                square[ch] += d * d;
            }
        }, squares, sums);
        ChannelMap map;
        for (std::size_t ch = 0; ch < channels; ++ch) {
            const T inv_std = learn_statistics(ch, mean[ch], squares[ch], n, running_mean, running_var);
            map.set(ch, Centre(mean[ch]), gamma[ch] * inv_std, beta[ch]);
        }
        for_positions(x.rows, [&](std::size_t p) { map.apply(x.data + p * channels, y.data + p * channels); });
    }

    void backward_position_major(LayerState<T> s, BatchView<const T, width> x, BatchView<const T, width> dy,
                                 BatchView<T, width> dx, bool train, accumulator n) {
        std::array<T, channels> high, low, inv_std;
        for (std::size_t ch = 0; ch < channels; ++ch) {
            const Centre mean(train ? mean_[ch] : s.buffers[ch]);
            high[ch] = mean.high;
            low[ch] = mean.low;
            inv_std[ch] = train ? inv_std_[ch] : running_inv_std(s.buffers, ch);
        }
        std::array<accumulator, channels> sum_dy, sum_dy_xhat;
        sum_positions(x.rows, [&](std::size_t p, accumulator* a, accumulator* b) {
            const T* v = x.data + p * channels;
            const T* g = dy.data + p * channels;
            for (std::size_t ch = 0; ch < channels; ++ch) {
                a[ch] += g[ch];
                b[ch] += g[ch] * (((v[ch] - high[ch]) - low[ch]) * inv_std[ch]);
            }
        }, sum_dy, sum_dy_xhat);
        for (std::size_t ch = 0; ch < channels; ++ch) {
            s.gradients[ch] += static_cast<T>(sum_dy_xhat[ch]);
            s.gradients[channels + ch] += static_cast<T>(sum_dy[ch]);
        }
        if (dx.data == nullptr) return;
        std::array<T, channels> scale, mean_dy, mean_dy_xhat;
        for (std::size_t ch = 0; ch < channels; ++ch) {
            scale[ch] = s.parameters[ch] * inv_std[ch];
            mean_dy[ch] = train ? static_cast<T>(sum_dy[ch] / n) : T{0};
            mean_dy_xhat[ch] = train ? static_cast<T>(sum_dy_xhat[ch] / n) : T{0};
        }
        if (!train) {
            for_positions(x.rows, [&](std::size_t p) {
                for (std::size_t ch = 0, at = p * channels; ch < channels; ++ch) dx.data[at + ch] = dy.data[at + ch] * scale[ch];
            });
            return;
        }
        for_positions(x.rows, [&](std::size_t p) {
            const T* v = x.data + p * channels;
            const T* g = dy.data + p * channels;
            T* out = dx.data + p * channels;
            for (std::size_t ch = 0; ch < channels; ++ch) {
                const T xhat = ((v[ch] - high[ch]) - low[ch]) * inv_std[ch];
                out[ch] = scale[ch] * (g[ch] - mean_dy[ch] - xhat * mean_dy_xhat[ch]);
            }
        });
    }

    static T running_inv_std(const T* buffers, std::size_t ch) {
        return static_cast<T>(accumulator{1} /
                              std::sqrt(static_cast<accumulator>(buffers[channels + ch]) + static_cast<accumulator>(eps)));
    }

    /// Calls f(channel) for every channel, the channels split over the current thread pool (each channel's
    /// arithmetic is the same whichever thread runs it).
    template <class F>
    static void for_channels(std::size_t rows, F&& f) {
        simd::run_parts(rows * width * 8, [&](std::size_t part, std::size_t parts) {
            for (std::size_t ch = channels * part / parts, end = channels * (part + 1) / parts; ch < end; ++ch) f(ch);
        });
    }

    /// Calls f(flat index) for every value of channel `ch` in a batch of `rows` samples.
    template <class F>
    static void for_each_in_channel(std::size_t rows, std::size_t ch, F&& f) {
        if constexpr (per_column && inner > 1) {
            for (std::size_t i = ch; i < rows * width; i += channels) f(i);
            return;
        }
        for (std::size_t r = 0; r < rows; ++r) {
            const std::size_t first = r * width + ch * inner;
            for (std::size_t k = 0; k < inner; ++k) f(first + k);
        }
    }

    // (x − mean)·scale + shift rather than x·scale + (shift − mean·scale): the folded form loses the
    // digits of the deviation when |mean| ≫ std.
    static void normalize(BatchView<const T, width> x, BatchView<T, width> y, std::size_t ch, Centre mean, T scale,
                          T shift) {
        for_each_in_channel(x.rows, ch, [&](std::size_t i) { y.data[i] = mean.deviation(x.data[i]) * scale + shift; });
    }

    static std::string single_value_message(std::uint32_t layer, std::size_t rows) {
        return "BatchNorm (layer " + std::to_string(layer) + "): expected more than 1 value per channel when "
               "training, got " + std::to_string(rows) + " sample(s) of shape " + InputShape::str() +
               " (the batch variance of one value is undefined); train with batches of 2 or more, or run "
               "single samples in Mode::Eval / predict";
    }

    // What backward needs from the last train-mode forward: per channel the batch mean (kept wide, see
    // Centre) and 1/√(σ²_B + eps), and the batch size they came from.
    std::array<accumulator, channels> mean_{};
    std::array<T, channels> inv_std_{};
    std::size_t rows_ = 0;
    // The fused path's view of the same statistics: the moments the Dense merges, and per channel the
    // centre, scale and shift of the normalization (filled by forward_from_moments).
    std::array<double, channels> moment_mean_{}, moment_m2_{};
    std::array<T, channels> mean_high_{}, mean_low_{}, scale_{}, shift_{};
    // Per-chunk partial sums of the position-major passes (grown once per batch size, then reused).
    std::vector<accumulator> partial_sums_;
};

/// Batch normalization spec with explicit running-statistics momentum and eps: `BatchNormWith<0.2, 1e-3>`.
/// (A template cannot share the name of the bare type `BatchNorm`.)
template <Real Momentum = 0.1, Real Eps = 1e-5>
struct BatchNormWith {
    template <class T, class InputShape>
    using bind = BatchNormLayer<T, InputShape, Momentum, Eps>;
};

/// Batch normalization with PyTorch's defaults (momentum 0.1, eps 1e-5): `Seq<Dense<784, 256>, BatchNorm, ...>`.
using BatchNorm = BatchNormWith<>;

}  // namespace typenet
