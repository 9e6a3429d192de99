// expect: check_image_input
// expect: layer_index<1>
// expect: Conv2D<1, 8, 3
// expect: receives<typenet::Shape<784> ?>
// expect: takes an image
// A flat input of 784 features is not an image: a convolution needs Input<1, 28, 28>.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<784>, typenet::Conv2D<1, 8, 3>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
