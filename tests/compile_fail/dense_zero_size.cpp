// expect: both sizes must be positive
// expect: Dense<0, 2
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<0, 2>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
