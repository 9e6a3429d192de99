#pragma once
/// \file The one include of Boost.Hana, and only of the parts typenet uses: per-layer iteration in cold
/// code (names, signatures, summaries, named tensors), where a loop over `hana::range` reads as a loop.
/// The chain binding and the hot path stay plain C++20 (docs/design.md gives the measurements).
#include <cstddef>

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>
#include <boost/hana/unpack.hpp>

namespace typenet::detail {

namespace hana = boost::hana;

/// The indices 0, 1, ..., N − 1 as compile-time constants (hana::size_c<I>), for hana::for_each and
/// hana::unpack: `hana::for_each(indices<N>, [&](auto i) { use(layer_at<i>::name()); })`.
template <std::size_t N>
inline constexpr auto indices = hana::make_range(hana::size_c<0>, hana::size_c<N>);

}  // namespace typenet::detail
