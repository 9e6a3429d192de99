// expect: check_input_channels
// expect: layer_index<1>
// expect: Conv2D<1, 4, 3
// expect: expects<typenet::in_channels<1> ?>
// expect: receives<typenet::Shape<3, 8, 8> ?>
// The input has 3 channels (an RGB image), but the convolution is declared for 1.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<3, 8, 8>, typenet::Conv2D<1, 4, 3>, typenet::ReLU>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
