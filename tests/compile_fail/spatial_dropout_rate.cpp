// expect: check_drop_probability
// expect: layer_index<1>
// expect: SpatialDropout<
// expect: the drop probability P must be in \[0, 1\)
// P = 1 drops every channel and divides by zero in the scale 1 / (1 - P).
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Input<4, 6, 6>, typenet::SpatialDropout<1.0>, typenet::Flatten>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
