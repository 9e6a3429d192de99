#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/horizontal_flip.hpp"
#include "typenet/data/image_shape.hpp"
#include "typenet/data/random_crop.hpp"

namespace typenet {

/// Deterministic views of a batch for test-time augmentation: callables Matrix<float>(const Matrix<float>&).
namespace tta {

/// The batch as it is.
struct Identity {
    Matrix<float> operator()(const Matrix<float>& x) const { return x; }
};

/// Every image mirrored left-right.
struct Flip {
    ImageShape image;
    Matrix<float> operator()(const Matrix<float>& x) const {
        detail::check_images(x, image, "tta::Flip");
        const HorizontalFlip flip{.image = image, .probability = 1.0};
        Matrix<float> out = x;
        for (std::size_t r = 0; r < out.shape(0); ++r) flip.flip(std::span<float>(out.data() + r * image.size(), image.size()));
        return out;
    }
};

/// Every image padded with `padding` zeros and cropped at (dy, dx) ∈ [0, 2·padding]²: a fixed shift
/// by (padding − dy, padding − dx) pixels.
struct Crop {
    ImageShape image;
    std::size_t padding = 0;
    std::size_t dy = 0;
    std::size_t dx = 0;
    Matrix<float> operator()(const Matrix<float>& x) const {
        detail::check_images(x, image, "tta::Crop");
        if (dy > 2 * padding || dx > 2 * padding)
            throw error("tta::Crop: the offset (" + std::to_string(dy) + ", " + std::to_string(dx) +
                        ") must lie within [0, 2 * padding] = [0, " + std::to_string(2 * padding) + "]");
        const RandomCrop crop{.image = image, .padding = padding};
        Matrix<float> out = Matrix<float>::from_shape(x.shape());
        for (std::size_t r = 0; r < x.shape(0); ++r)
            crop.crop(std::span<const float>(x.data() + r * image.size(), image.size()),
                      std::span<float>(out.data() + r * image.size(), image.size()), dy, dx);
        return out;
    }
};

}  // namespace tta

namespace detail {

/// acc += softmax of each row of `logits` (max subtracted first, so large logits do not overflow).
inline void add_softmax(const Matrix<float>& logits, Matrix<float>& acc) {
    if (logits.shape() != acc.shape())
        throw shape_error("tta_predict: a view gave outputs of shape (" + std::to_string(logits.shape(0)) + ", " +
                          std::to_string(logits.shape(1)) + "), expected (" + std::to_string(acc.shape(0)) + ", " +
                          std::to_string(acc.shape(1)) + ")");
    const std::size_t cols = logits.shape(1);
    std::vector<double> e(cols);
    for (std::size_t r = 0; r < logits.shape(0); ++r) {
        const float* row = logits.data() + r * cols;
        const float top = *std::max_element(row, row + cols);
        double sum = 0;
        for (std::size_t c = 0; c < cols; ++c) sum += e[c] = std::exp(static_cast<double>(row[c]) - top);
        for (std::size_t c = 0; c < cols; ++c) acc(r, c) += static_cast<float>(e[c] / sum);
    }
}

}  // namespace detail

/// Test-time augmentation: the softmax probabilities of `net.predict` averaged over the views of x,
/// e.g. `tta_predict(net, te.x, tta::Identity{}, tta::Flip{{28, 28, 1}})`. A view is any callable
/// Matrix<float>(const Matrix<float>&) that keeps the batch size. Returns (batch, outputs), rows summing to 1.
template <class Net, class... Views>
Matrix<float> tta_predict(const Net& net, const Matrix<float>& x, const Views&... views) {
    static_assert(sizeof...(Views) > 0, "tta_predict: pass at least one view, e.g. typenet::tta::Identity{}");
    Matrix<float> probabilities;
    bool first = true;
    const auto add = [&](const Matrix<float>& view) {
        const Matrix<float> logits = net.predict(view);
        if (first) {
            probabilities = Matrix<float>::from_shape(logits.shape());
            probabilities.fill(0.0f);
            first = false;
        }
        detail::add_softmax(logits, probabilities);
    };
    (add(views(x)), ...);
    probabilities /= static_cast<float>(sizeof...(Views));
    return probabilities;
}

}  // namespace typenet
