// expect: check_pool_window_fits_padded_input
// expect: layer_index<2>
// expect: AvgPool2D<7, typenet::Padding<1> ?>
// expect: receives<typenet::Shape<3, 4, 4> ?>
// expect: window<7>
// expect: Stride<7>
// expect: Padding<1>
// expect: the window is larger than the padded input
// The 4x4 map padded by 1 on each side is 6x6: a 7x7 window does not fit.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<3, 4, 4>, typenet::ReLU, typenet::AvgPool2D<7, typenet::Padding<1>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
