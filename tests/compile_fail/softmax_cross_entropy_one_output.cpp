// expect: SoftmaxCrossEntropy: needs at least two outputs
// A softmax over one output is always 1: the loss is 0 and nothing trains.
#include <typenet/typenet.hpp>

#include <vector>

using Net = typenet::Seq<typenet::Dense<4, 1>>;

int main() {
    Net net{typenet::Seed{1}};
    typenet::SGD opt{};
    const std::vector<int> labels{0};
    const typenet::Matrix<float> x = typenet::Matrix<float>::from_shape({1, 4});
    (void)net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);
}
