#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>

#include "typenet/core/diagnostics.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/core/shape.hpp"
#include "typenet/layers/input.hpp"

namespace typenet::detail {

template <class... Ts>
struct type_list {};

/// Whether the first of Specs... is Input<...> (false for none).
template <class... Specs>
inline constexpr bool starts_with_input = false;
template <class First, class... Rest>
inline constexpr bool starts_with_input<First, Rest...> = is_input_v<First>;

/// Whether spec S at position Index accepts the shape In, computed without side effects (so that a
/// failure never turns into a second error), and the diagnostic to instantiate when it does not.
template <class S, class In>
consteval bool layer_accepts() {
    if constexpr (!LayerSpec<S>) return false;
    else if constexpr (ValidatesInput<S, In>) {
        if constexpr (!S::template accepts<In>) return false;
        else if constexpr (FixesInput<S>) return std::is_same_v<typename S::required_input, In>;
        else return true;
    } else if constexpr (FixesInput<S>) return std::is_same_v<typename S::required_input, In>;
    else return true;
}

/// The diagnostic that explains why spec S at position Index rejects the shape In. Only named here;
/// BasicSeq instantiates it, apart from the types the chain computes, so clang and g++ both stop at it.
template <std::size_t Index, class S, class In>
struct rejection_of {
    using type = diagnostics::check_is_layer<layer_index<Index>, S>;
};
template <std::size_t Index, FixesInput S, class In>
    requires LayerSpec<S> && (!ValidatesInput<S, In> || S::template accepts<In>)
struct rejection_of<Index, S, In> {
    using type = diagnostics::check_input_shape<layer_index<Index>, S, expects<typename S::required_input>,
                                                receives<In>>;
};
template <std::size_t Index, class S, class In>
    requires LayerSpec<S> && ValidatesInput<S, In> && (!S::template accepts<In>)
struct rejection_of<Index, S, In> {
    using type = typename S::template rejection<Index, In>;
};

/// The result of a failed chain: no layers, placeholder shapes, so nothing else fails to compile.
template <class Failure>
struct failed_chain {
    using failure = Failure;
    using layers = std::tuple<>;
    using output_shape = Shape<1>;
    static constexpr bool valid = false;
};

template <class T, std::size_t Index, class In, class Bound, class... Rest>
struct bind_chain;

template <class T, std::size_t Index, class In, class... Bound>
struct bind_chain<T, Index, In, type_list<Bound...>> {
    using layers = std::tuple<Bound...>;
    using output_shape = In;
    static constexpr bool valid = true;
    using failure = diagnostics::none;
};

template <class T, std::size_t Index, class In, class... Bound, class S, class... Rest>
struct bind_chain<T, Index, In, type_list<Bound...>, S, Rest...> {
private:
    struct next {
        using layer = typename S::template bind<T, In>;
        // output_shape is named only once the Layer concept holds, so a malformed custom layer gets
        // check_bound_layer and nothing else.
        struct proceed {
            using type = bind_chain<T, Index + 1, typename layer::output_shape, type_list<Bound..., layer>, Rest...>;
        };
        struct reject {
            using type = failed_chain<diagnostics::check_bound_layer<layer_index<Index>, S>>;
        };
        using type = typename std::conditional_t<Layer<layer>, proceed, reject>::type;
    };
    struct stop {
        using type = failed_chain<typename rejection_of<Index, S, In>::type>;
    };
    using result = typename std::conditional_t<layer_accepts<S, In>(), next, stop>::type;

public:
    using layers = typename result::layers;
    using output_shape = typename result::output_shape;
    static constexpr bool valid = result::valid;
    using failure = typename result::failure;
};

template <class T, class... Specs>
struct layer_chain;

template <class T>
struct layer_chain<T> : failed_chain<diagnostics::check_not_empty<T>> {
    using input_shape = Shape<1>;
};

template <class T, class First, class... Rest>
struct layer_chain<T, First, Rest...> {
private:
    template <class S>
    struct input_of {
        using type = Shape<1>;
        static constexpr bool known = false;
    };
    template <FixesInput S>
    struct input_of<S> {
        using type = typename S::required_input;
        static constexpr bool known = true;
    };
    static constexpr bool first_fixes_input = !LayerSpec<First> || input_of<First>::known;
    struct bind_all {
        using type = bind_chain<T, 0, typename input_of<First>::type, type_list<>, First, Rest...>;
    };
    struct stop {
        using type = failed_chain<diagnostics::check_first_layer_fixes_input<First>>;
    };
    using result = typename std::conditional_t<first_fixes_input, bind_all, stop>::type;

public:
    using input_shape = typename input_of<First>::type;
    using layers = typename result::layers;
    using output_shape = typename result::output_shape;
    static constexpr bool valid = result::valid;
    using failure = typename result::failure;
};

}  // namespace typenet::detail
