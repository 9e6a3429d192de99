// expect: a network needs at least one layer
// expect: check_not_empty
#include <typenet/typenet.hpp>

using Net = typenet::Seq<>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
