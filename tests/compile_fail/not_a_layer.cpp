// expect: this type is not a layer
// expect: check_is_layer<typenet::layer_index<1>, int>
// `int` has no bind<Scalar, InputShape>, so it cannot be layer 1.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 2>, int>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
