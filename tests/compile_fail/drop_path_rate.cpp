// expect: check_drop_probability
// expect: layer_index<2>
// expect: DropPath<
// expect: the drop probability P must be in \[0, 1\)
// DropPath<1.0> drops every sample's branch and divides by zero in the scale 1 / (1 - P); the index is
// the one inside the Residual body (the block itself is layer 1).
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<8>, typenet::Residual<typenet::Dense<8, 8>, typenet::ReLU, typenet::DropPath<1.0>>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
