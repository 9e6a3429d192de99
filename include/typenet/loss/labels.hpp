#pragma once
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>

#include "typenet/core/diagnostics.hpp"
#include "typenet/core/error.hpp"

namespace typenet {

/// Class labels in contiguous memory: std::vector<int>, std::span<const int>, xt::xtensor<int, 1>, ...
template <class L>
concept ClassLabels = requires(const L& l) {
    { l.data() };
    { l.size() } -> std::convertible_to<std::size_t>;
} && std::integral<std::remove_cvref_t<decltype(*std::declval<const L&>().data())>>;

namespace loss_detail {
template <class L>
inline constexpr bool multi_dimensional = false;
template <class L>
    requires requires { L::rank; }
inline constexpr bool multi_dimensional<L> = L::rank != 1;
}  // namespace loss_detail

/// What a user passes as labels when they are not integers (std::vector<float>, a float column): one
/// dimension of values in contiguous memory. A target matrix (rank 2) is not mistaken for labels, so
/// `requires { loss.evaluate(outputs, targets, gradient); }` stays false for class-label losses.
template <class L>
concept NonIntegerLabels = requires(const L& l) {
    { l.data() };
    { l.size() } -> std::convertible_to<std::size_t>;
} && !ClassLabels<L> && !loss_detail::multi_dimensional<std::remove_cvref_t<L>>;

namespace loss_detail {

/// Label r as an index in [0, classes), or a typenet::error naming the position and the value.
template <class L>
std::size_t checked_label(const L& labels, std::size_t r, std::size_t classes, const char* loss) {
    const auto label = labels.data()[r];
    if (label < 0 || static_cast<std::size_t>(label) >= classes)
        throw error(std::string(loss) + ": label " + std::to_string(label) + " at position " + std::to_string(r) +
                    " is out of range; the network has " + std::to_string(classes) + " outputs (labels 0.." +
                    std::to_string(classes - 1) + ")");
    return static_cast<std::size_t>(label);
}

/// The body of a class-label loss's overload for anything that is not ClassLabels: one diagnostic that
/// names the accepted label types, instead of a page of failed candidates.
template <class Loss, class Labels, class T>
T reject_labels() {
    (void)sizeof(diagnostics::check_class_labels<Loss, Labels>);
    return T{};
}

template <class L>
void check_label_count(const L& labels, std::size_t batch, const char* loss) {
    if (static_cast<std::size_t>(labels.size()) != batch)
        throw error(std::string(loss) + ": " + std::to_string(labels.size()) + " labels for a batch of " +
                    std::to_string(batch) + " samples");
}

}  // namespace loss_detail
}  // namespace typenet
