// expect: check_conv_sizes
// expect: layer_index<1>
// expect: Conv2D<1, 8, 3, typenet::Stride<0>
// expect: must all be positive
// A stride of 0 never moves the window.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 8, 8>, typenet::Conv2D<1, 8, 3, typenet::Stride<0>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
