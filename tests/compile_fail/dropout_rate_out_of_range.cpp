// expect: check_dropout_rate
// expect: layer_index<1>
// expect: fraction<3, 2>
// expect: the drop probability P must be in \[0, 1\)
// Dropout<1.5>: P is the probability of dropping a value, so it cannot exceed 1.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 4>, typenet::Dropout<1.5>, typenet::Dense<4, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
