// expect: Init is not an initializer
// expect: Dense<4, 2, int>
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<4, 2, int>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
