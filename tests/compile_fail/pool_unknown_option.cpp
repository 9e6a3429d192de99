// expect: check_pool_option
// expect: layer_index<1>
// expect: MaxPool2D<2, typenet::Dilation<2> ?>
// expect: the only options are Stride<S> and Padding<P>
// Pooling has no dilation in typenet: the option would be ignored silently, so it is rejected.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<1, 8, 8>, typenet::MaxPool2D<2, typenet::Dilation<2>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
