// expect: expects a different input shape
// expect: layer_index<2>
// expect: Dense<128, 10
// expect: expects<typenet::Shape<128> ?>
// expect: receives<typenet::Shape<256> ?>
// Dense<784, 256> produces 256 features, but layer 2 (Dense<128, 10>) takes 128.
#include <typenet/typenet.hpp>

using Net = typenet::Seq<typenet::Dense<784, 256>, typenet::ReLU, typenet::Dense<128, 10>>;

int main() {
    Net net{typenet::Seed{1}};
    (void)net;
}
