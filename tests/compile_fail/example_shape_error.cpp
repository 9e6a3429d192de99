// expect: expects a different input shape
// expect: layer_index<4>
// expect: Dense<128, 10
// expect: expects<typenet::Shape<128> ?>
// expect: receives<typenet::Shape<256> ?>
// The card's network with a typo: the last Dense takes 128 features, but Dropout passes on the 256
// that Dense<784, 256> produced. typenet rejects it where it is declared, with one error line that
// names layer 4, the layer, and both shapes. (examples/shape_error.cpp.txt is this file without the
// `expect` lines; it is .txt so that the examples build does not try to compile it.)
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<784, 256, typenet::He>,  // 0: (784) -> (256)
                         typenet::BatchNorm,                     // 1: (256)
                         typenet::ReLU,                          // 2: (256)
                         typenet::Dropout<0.5>,                  // 3: (256)
                         typenet::Dense<128, 10>>;               // 4: expects (128), receives (256)

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
