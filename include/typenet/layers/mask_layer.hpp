#pragma once
#include <algorithm>
#include <array>
#include <cstddef>

#include "typenet/core/batch_view.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/random.hpp"

namespace typenet::detail {

/// What Dropout, SpatialDropout, DropBlock and DropPath share: a layer without tensors that keeps its
/// input's shape, multiplies it by a random mask in train mode and is the identity in eval mode (and for
/// a rate of 0). The mask is regenerated from the step's Philox stream in backward, never stored, so forward
/// and backward go through the one `Derived::apply_mask(in, out, stream)` and cannot disagree.
/// Derived (CRTP) provides `rate` and `apply_mask`.
template <class Derived, class T, class InputShape>
class MaskLayer {
public:
    using scalar = T;
    using input_shape = InputShape;
    using output_shape = InputShape;
    static constexpr std::size_t width = InputShape::size;
    static constexpr std::array<TensorInfo, 0> parameter_tensors{};
    static constexpr std::array<TensorInfo, 0> buffer_tensors{};

    /// The random stream of the masks of one layer at one training step.
    static Philox mask_stream(const StepContext& c) {
        return Philox(c.seed, RandomPurpose::dropout, c.layer_index, c.step);
    }

    void initialize(LayerState<T>, const StepContext&) {}

    void forward(LayerState<T>, BatchView<const T, width> x, BatchView<T, width> y, const StepContext& c) {
        if (c.mode == Mode::Eval || Derived::rate == 0.0) std::copy_n(x.data, x.size(), y.data);
        else static_cast<Derived&>(*this).apply_mask(x, y, mask_stream(c));
    }

    void infer(ConstLayerState<T>, BatchView<const T, width> x, BatchView<T, width> y) const {
        std::copy_n(x.data, x.size(), y.data);
    }

    /// dx = dy times the forward's mask (and scale), regenerated from the same (seed, layer, step).
    void backward(LayerState<T>, BatchView<const T, width>, BatchView<const T, width>, BatchView<const T, width> dy,
                  BatchView<T, width> dx, const StepContext& c) {
        if (dx.data == nullptr) return;
        if (c.mode == Mode::Eval || Derived::rate == 0.0) std::copy_n(dy.data, dy.size(), dx.data);
        else static_cast<Derived&>(*this).apply_mask(dy, dx, mask_stream(c));
    }
};

}  // namespace typenet::detail
