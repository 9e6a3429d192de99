// expect: check_class_labels<typenet::SoftmaxCrossEntropy, std::(__1::)?vector<float
// expect: this loss takes integer class labels in contiguous memory: std::vector<int>
// error-within: 12
// Class labels given as floats (as they come from a CSV or NumPy file): one error that names the
// label types the loss accepts, not a page of overloads that failed.
#include <typenet/typenet.hpp>

#include <vector>

using Net = typenet::Seq<typenet::Dense<4, 3>>;

int main() {
    Net net{typenet::Seed{1}};
    typenet::SGD opt{};
    const std::vector<float> labels{0, 2};
    const typenet::Matrix<float> x = typenet::Matrix<float>::from_shape({2, 4});
    (void)net.train_step(x, labels, typenet::SoftmaxCrossEntropy{}, opt);
}
