// expect: check_window_fits
// expect: layer_index<2>
// expect: AvgPool2D<7, typenet::Padding<1> ?>
// expect: receives<typenet::Shape<3, 4, 4> ?>
// expect: window<7, 7, 1(, 1)?>
// expect: window is larger than its padded input
// The 4x4 map padded by 1 on each side is 6x6: a 7x7 window does not fit.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<3, 4, 4>, typenet::ReLU, typenet::AvgPool2D<7, typenet::Padding<1>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
