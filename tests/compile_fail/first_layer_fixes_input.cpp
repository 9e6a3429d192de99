// expect: the first layer must fix the input shape
// expect: check_first_layer_fixes_input<typenet::ReLU>
// ReLU accepts any shape, so nothing tells the network how wide its input is.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::ReLU, typenet::Dense<4, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
