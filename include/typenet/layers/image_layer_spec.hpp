#pragma once
/// \file What the image layers share: the (C, H, W) of their input, and the compile-time checks of the
/// pooling specs, reported by Seq through their accepts/rejection hooks as one diagnostic.
#include <cstddef>
#include <type_traits>

#include "typenet/core/diagnostics.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/core/spatial_options.hpp"

namespace typenet::detail {

/// Channels, height and width of a (C, H, W) shape; `is_image` is false for every other shape.
template <class S>
struct image_dims {
    static constexpr bool is_image = false;
    static constexpr std::size_t channels = 0, height = 0, width = 0;
};
template <std::size_t C, std::size_t H, std::size_t W>
struct image_dims<Shape<C, H, W>> {
    static constexpr bool is_image = true;
    static constexpr std::size_t channels = C, height = H, width = W;
};

/// Output positions of a pooling window along an axis of `in` pixels (PyTorch's floor mode).
constexpr std::size_t pooled_size(std::size_t in, std::size_t window, std::size_t stride, std::size_t padding) {
    return (in + 2 * padding - window) / stride + 1;
}

/// The first of Options that is neither Stride<S> nor Padding<P> or repeats one of them; void if none.
template <bool SeenStride, bool SeenPadding, class... Options>
struct first_bad_pool_option {
    using type = void;
};
template <bool SeenStride, bool SeenPadding, class First, class... Rest>
struct first_bad_pool_option<SeenStride, SeenPadding, First, Rest...> {
    static constexpr bool stride = is_option_v<Stride, First>, padding = is_option_v<Padding, First>;
    using type = std::conditional_t<(!stride && !padding) || (stride && SeenStride) || (padding && SeenPadding), First,
                                    typename first_bad_pool_option<SeenStride || stride, SeenPadding || padding,
                                                                   Rest...>::type>;
};

/// The options and checks of MaxPool2D and AvgPool2D (Spec is the user's spec type, for the messages).
template <class Spec, std::size_t Window, class... Options>
struct PoolingSpec {
    static constexpr std::size_t window_size = Window;
    static constexpr std::size_t stride = option_value<Stride, Window, Options...>::value;
    static constexpr std::size_t padding = option_value<Padding, 0, Options...>::value;

private:
    enum class verdict { ok, flat, option, no_output, padding, window };
    template <class In>
    static consteval verdict judge() {
        using d = image_dims<In>;
        if (!d::is_image) return verdict::flat;
        if (!std::is_void_v<typename first_bad_pool_option<false, false, Options...>::type>) return verdict::option;
        if (Window == 0 || stride == 0) return verdict::no_output;
        if (2 * padding > Window) return verdict::padding;
        if (Window > d::height + 2 * padding || Window > d::width + 2 * padding) return verdict::window;
        return verdict::ok;
    }
    template <std::size_t Index, class In>
    struct rejection_of {
        static constexpr verdict v = judge<In>();
        using index = layer_index<Index>;
        using geometry = window<Window, stride, padding>;
        using type = std::conditional_t<
            v == verdict::flat, diagnostics::check_image_input<index, Spec, receives<In>>,
            std::conditional_t<
                v == verdict::option,
                diagnostics::check_pool_option<index, Spec, typename first_bad_pool_option<false, false, Options...>::type>,
                std::conditional_t<
                    v == verdict::no_output, diagnostics::check_pool_geometry_leaves_no_output<index, Spec, geometry>,
                    std::conditional_t<v == verdict::padding,
                                       diagnostics::check_pool_padding_at_most_half_window<index, Spec, geometry>,
                                       diagnostics::check_window_fits<index, Spec, receives<In>, geometry>>>>>;
    };

public:
    template <class In>
    static constexpr bool accepts = judge<In>() == verdict::ok;
    template <std::size_t Index, class In>
    using rejection = typename rejection_of<Index, In>::type;
};

}  // namespace typenet::detail
