// expect: check_residual_body
// expect: layer_index<1>
// expect: needs at least one layer
// A residual block without a body would be y = 2x.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<4>, typenet::Residual<>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
