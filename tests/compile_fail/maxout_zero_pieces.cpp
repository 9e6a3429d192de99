// expect: check_maxout_divides_width
// expect: layer_index<1>
// expect: Maxout<0>
// expect: the input width must be a multiple of K
// Maxout<0>: no positive width is a multiple of 0, so it gets the same diagnostic (and nothing divides by 0).
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 6>, typenet::Maxout<0>, typenet::Dense<3, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
