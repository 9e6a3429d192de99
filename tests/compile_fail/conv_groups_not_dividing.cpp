// expect: check_conv_groups
// expect: layer_index<1>
// expect: in_channels<4>
// expect: out_channels<6>
// expect: groups_of<4>
// expect: must divide both the input and the output channel count
// 4 groups split the 4 input channels, but not the 6 output channels.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<4, 8, 8>, typenet::Conv2D<4, 6, 3, typenet::Groups<4>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
