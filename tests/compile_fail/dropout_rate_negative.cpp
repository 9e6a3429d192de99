// expect: check_dropout_rate
// expect: layer_index<1>
// expect: the drop probability P must be in \[0, 1\)
// A probability cannot be negative.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<8>, typenet::Dropout<-0.2>, typenet::Dense<8, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
