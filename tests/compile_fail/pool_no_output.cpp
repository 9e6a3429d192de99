// expect: check_pool_geometry_leaves_no_output
// expect: layer_index<1>
// expect: MaxPool2D<2, typenet::Stride<0> ?>
// expect: window<2, 0, 0(, 1)?>
// expect: the window and the stride must be positive
// A stride of 0 never moves the window.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 8, 8>, typenet::MaxPool2D<2, typenet::Stride<0>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
