// expect: check_dropout_rate
// expect: layer_index<2>
// expect: the drop probability P must be in \[0, 1\)
// Dropout<1.0> would drop every value (and scale by 1/(1 - 1)); PyTorch accepts p = 1 and outputs zeros,
// typenet rejects it: a layer that cuts the network in two is a mistake.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 4>, typenet::ReLU, typenet::Dropout<1.0>, typenet::Dense<4, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
