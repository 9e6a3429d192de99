// expect: check_input_channels
// expect: layer_index<1>
// expect: Conv2D<4, 8, 3
// expect: receives<typenet::Shape<8, 6, 6> ?>
// A mistake inside a residual body is reported as in a network, the index counted within the body.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 6, 6>, typenet::Conv2D<1, 8, 3, typenet::Padding<1>>,
                         typenet::Residual<typenet::ReLU, typenet::Conv2D<4, 8, 3, typenet::Padding<1>>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
