// expect: this loss takes integer class labels
// expect: check_loss_takes_class_labels<typenet::MulticlassHinge
// evaluate() on a RegressionDataset with a classification loss fails the same way as fit().
#include <typenet/typenet.hpp>

int main() {
    typenet::Seq<typenet::Dense<4, 3>> net{typenet::Seed{1}};
    typenet::RegressionDataset data;
    (void)typenet::evaluate(net, data, typenet::MulticlassHinge{});
}
