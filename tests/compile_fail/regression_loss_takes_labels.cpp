// expect: this loss takes integer class labels
// expect: check_loss_takes_class_labels<typenet::SoftmaxCrossEntropy
// Softmax cross-entropy scores classes; a RegressionDataset has real-valued targets, no classes.
#include <typenet/typenet.hpp>

int main() {
    typenet::Seq<typenet::Dense<4, 2>> net{typenet::Seed{1}};
    typenet::SGD opt{};
    typenet::RegressionDataset data;
    (void)typenet::fit(net, data, typenet::SoftmaxCrossEntropy{}, opt);
}
