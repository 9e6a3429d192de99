// expect: MeanSquaredError: a one-output network takes real-valued targets
// expect: check_one_output_real_targets<typenet::MeanSquaredError
// Class labels on a one-output network would be read as 0/1 targets: fit wants a RegressionDataset.
#include <typenet/typenet.hpp>

int main() {
    typenet::Seq<typenet::Dense<4, 1>> net{typenet::Seed{1}};
    typenet::SGD opt{};
    typenet::Dataset data;
    (void)typenet::fit(net, data, typenet::MeanSquaredError{}, opt);
}
