// expect: does not satisfy the typenet::Layer concept
// expect: check_bound_layer
#include <typenet/typenet.hpp>

struct NotBound {};
struct Custom {
    using required_input = typenet::Shape<4>;
    template <class T, class In>
    using bind = NotBound;
};
using Net = typenet::Seq<Custom, typenet::ReLU>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
