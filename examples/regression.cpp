// Regression with fit: a noisy sine, y = sin(x) + N(0, 0.1²) for x in [−π, π], learned by
// Seq<Dense<1,32>, Tanh, Dense<32,1>> with Adam and MeanSquaredError on a RegressionDataset, with a
// validation set, early stopping (restoring the best epoch) and reduce-on-plateau.
// Prints the validation MSE; exit status 0 only if it comes within 1.5× of the noise floor
// (0.01, the MSE of the true sine), so the example doubles as a test.
#include <typenet/typenet.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace {

typenet::RegressionDataset noisy_sine(std::size_t n, std::uint64_t seed) {
    const typenet::Philox rng(typenet::Seed{seed}, typenet::RandomPurpose::user, 0, 0);
    typenet::RegressionDataset d;
    d.x = typenet::Matrix<float>::from_shape({n, 1});
    d.y = typenet::Matrix<float>::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        const double x = std::numbers::pi * (2 * rng.uniform(2 * i) - 1);
        d.x(i, 0) = static_cast<float>(x);
        d.y(i, 0) = static_cast<float>(std::sin(x) + 0.1 * rng.normal(2 * i + 1));
    }
    return d;
}

}  // namespace

int main() {
    const typenet::RegressionDataset train = noisy_sine(1000, 1), val = noisy_sine(300, 2);
    typenet::Seq<typenet::Dense<1, 32>, typenet::Tanh, typenet::Dense<32, 1>> net{typenet::Seed{7}};
    typenet::Adam opt{.lr = 0.01};
    typenet::RegressionFitOptions options{.epochs = 100, .batch_size = 32, .validation = &val, .seed = 1,
                                          .verbose = false};
    options.early_stopping = typenet::EarlyStopping{.patience = 10, .restore_best = true};
    options.plateau = typenet::ReduceOnPlateau{.factor = 0.3, .patience = 4};
    const typenet::History history = typenet::fit(net, train, typenet::MeanSquaredError{}, opt, options);

    const double mse = typenet::evaluate(net, val, typenet::MeanSquaredError{}).loss;
    std::printf("%zu epochs (%s, best %zu): validation MSE %.4f (noise floor 0.0100)\n", history.size(),
                typenet::to_string(history.stop_reason), history.best_epoch, mse);
    const std::array<float, 1> at{1.0f};
    std::printf("f(1.0) = %.3f, sin(1.0) = %.3f\n", net.predict(at)[0], std::sin(1.0));
    return mse < 0.015 ? 0 : 1;
}
