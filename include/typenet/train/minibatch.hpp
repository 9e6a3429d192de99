#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/data/regression_dataset.hpp"
#include "typenet/loss/target_rows.hpp"

namespace typenet::train_detail {

/// The targets of rows [first, first + rows) of a dataset, read in place: class labels.
inline std::span<const int> targets_of(const Dataset& data, std::size_t first, std::size_t rows) {
    return {data.y.data() + first, rows};
}
/// The targets of rows [first, first + rows) of a dataset, read in place: a (rows, outputs) window.
inline TargetRows<float> targets_of(const RegressionDataset& data, std::size_t first, std::size_t rows) {
    return {data.y.data() + first * data.outputs(), rows, data.outputs()};
}

/// Rows of a Dataset or RegressionDataset gathered in a given order into buffers allocated once, for
/// every minibatch of a run: the inputs as the (rows, features) matrix train_step takes (one for a
/// full batch, one for the shorter last batch, so neither is ever resized), and their targets.
template <class T, class Data>
class Minibatch {
public:
    Minibatch(const Data& data, std::size_t batch, std::size_t tail)
        : full_(Matrix<T>::from_shape({batch, data.features()})),
          last_(tail == batch ? Matrix<T>{} : Matrix<T>::from_shape({tail, data.features()})),
          width_(data.features()),
          target_width_(targets_per_sample(data)),
          targets_(batch * target_width_),
          samples_(batch) {}

    /// Copies the samples `order` (at most `batch` of them) out of `data`.
    void gather(const Data& data, std::span<const std::size_t> order) {
        rows_ = order.size();
        Matrix<T>& x = this->x();
        for (std::size_t r = 0; r < rows_; ++r) {
            const std::size_t i = order[r];
            std::copy_n(data.x.data() + i * width_, width_, x.data() + r * width_);
            std::copy_n(data.y.data() + i * target_width_, target_width_, targets_.data() + r * target_width_);
            samples_[r] = i;
        }
    }

    /// The gathered inputs (rows, features).
    Matrix<T>& x() { return rows_ == full_.shape(0) ? full_ : last_; }
    /// The gathered rows' targets, as the loss takes them.
    auto targets() const {
        if constexpr (labelled) return std::span<const int>(targets_.data(), rows_);
        else return TargetRows<float>{targets_.data(), rows_, target_width_};
    }
    /// The gathered rows' class labels; empty for a RegressionDataset.
    std::span<const int> labels() const {
        if constexpr (labelled) return targets();
        else return {};
    }
    /// Row r is sample samples()[r] of the dataset.
    std::span<const std::uint64_t> samples() const { return {samples_.data(), rows_}; }

private:
    static constexpr bool labelled = std::is_same_v<Data, Dataset>;
    static std::size_t targets_per_sample(const Data& data) {
        if constexpr (labelled) return 1;
        else return data.outputs();
    }

    Matrix<T> full_, last_;
    std::size_t width_, target_width_, rows_ = 0;
    std::vector<std::conditional_t<labelled, int, float>> targets_;
    std::vector<std::uint64_t> samples_;
};

}  // namespace typenet::train_detail
