// expect: check_dropout_rate
// expect: layer_index<1>
// expect: fraction<50, 1>
// expect: the drop probability P must be in \[0, 1\)
// Dropout<50>: a rate in percent. The diagnostic shows P's value (fraction<50, 1>), not only the bit
// pattern of the wrapped double that both compilers print for Dropout<...>.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 4>, typenet::Dropout<50>, typenet::Dense<4, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
