// expect: check_window_fits
// expect: layer_index<2>
// expect: Conv2D<4, 4, 3, typenet::Dilation<2>
// expect: receives<typenet::Shape<4, 2, 2> ?>
// expect: window<3, 1, 0, 2>
// expect: larger than its padded input
// The first convolution leaves a 2x2 map; a 3x3 kernel with dilation 2 spans 5x5 and fits nowhere.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 4, 4>, typenet::Conv2D<1, 4, 3>, typenet::Conv2D<4, 4, 3, typenet::Dilation<2>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
