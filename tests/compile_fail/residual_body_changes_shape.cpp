// expect: check_residual_shape
// expect: layer_index<2>
// expect: Residual<typenet::Conv2D<8, 16, 3
// expect: expects<typenet::Shape<8, 6, 6> ?>
// expect: receives<typenet::Shape<16, 6, 6> ?>
// expect: differs from the shape it is added to
// The body doubles the channels, so x + body(x) adds an (8, 6, 6) tensor to a (16, 6, 6) one.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 6, 6>, typenet::Conv2D<1, 8, 3, typenet::Padding<1>>,
                         typenet::Residual<typenet::Conv2D<8, 16, 3, typenet::Padding<1>>, typenet::ReLU>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
