// expect: check_pool_padding_at_most_half_window
// expect: layer_index<1>
// expect: MaxPool2D<3, typenet::Padding<2> ?>
// expect: window<3, 3, 2(, 1)?>
// expect: the padding must be at most half the window
// With P = 2 > 3 / 2, a corner window would hold padding only (PyTorch rejects it too).
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 8, 8>, typenet::MaxPool2D<3, typenet::Padding<2>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
