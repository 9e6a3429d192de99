// expect: check_maxout_divides_width
// expect: layer_index<1>
// expect: Maxout<3>
// expect: receives<typenet::Shape<10> ?>
// expect: the input width must be a multiple of K
// Dense<4, 10> produces 10 features, and 10 is not a multiple of 3: there is no whole number of groups.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 10>, typenet::Maxout<3>, typenet::Dense<3, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
