// expect: check_maxout_divides_width
// expect: Maxout<0>
// expect: the input width must be a multiple of K
// Maxout<0>: no width is a (positive) multiple of 0, so the same diagnostic applies and nothing divides by 0.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 6>, typenet::Maxout<0>, typenet::Dense<3, 2>>;
Net net;
