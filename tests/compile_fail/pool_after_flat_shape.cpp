// expect: check_image_input
// expect: layer_index<1>
// expect: MaxPool2D<2>
// expect: receives<typenet::Shape<8> ?>
// expect: this layer takes an image \(C, H, W\)
// Dense<4, 8> produces a flat vector of 8 features: there is no image to pool.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 8>, typenet::MaxPool2D<2>, typenet::Dense<4, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
