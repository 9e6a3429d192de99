// expect: does not satisfy the typenet::Layer concept
// expect: check_bound_layer<typenet::layer_index<0>, Custom>
// Custom::bind names a type that has an output shape but none of a layer's functions.
#include <typenet/typenet.hpp>

struct Incomplete {
    using output_shape = typenet::Shape<4>;
};
struct Custom {
    using required_input = typenet::Shape<4>;
    template <class T, class InputShape>
    using bind = Incomplete;
};
using Net = typenet::Seq<Custom, typenet::ReLU>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
