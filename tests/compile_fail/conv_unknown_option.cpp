// expect: check_conv_options
// expect: layer_index<1>
// expect: Conv2D<1, 8, 3, int
// expect: none of Stride<S>, Padding<P>
// `int` is not an option of Conv2D.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 8, 8>, typenet::Conv2D<1, 8, 3, int>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
