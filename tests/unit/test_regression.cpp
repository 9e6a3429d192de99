// fit and evaluate on a RegressionDataset; accuracy/evaluate/fit agreeing on bad labels.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

using Regressor = Seq<Dense<1, 16>, Tanh, Dense<16, 1>>;

/// y = sin(x) + noise for x uniform in [−3, 3].
RegressionDataset noisy_sine(std::size_t n, std::uint64_t seed, double noise = 0.05) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    RegressionDataset d{Matrix<float>::from_shape({n, 1}), Matrix<float>::from_shape({n, 1})};
    for (std::size_t i = 0; i < n; ++i) {
        const double x = -3.0 + 6.0 * rng.uniform(2 * i);
        d.x(i, 0) = static_cast<float>(x);
        d.y(i, 0) = static_cast<float>(std::sin(x) + noise * rng.normal(2 * i + 1));
    }
    return d;
}

RegressionFitOptions quiet(RegressionFitOptions o) {
    o.verbose = false;
    return o;
}

std::vector<float> parameters(const auto& net) { return {net.parameters().begin(), net.parameters().end()}; }

/// Mean of (y − mean y)²: the MSE of the best constant prediction.
double variance(const Matrix<float>& y) {
    double mean = 0, sum = 0;
    for (float v : y) mean += v;
    mean /= static_cast<double>(y.size());
    for (float v : y) sum += (v - mean) * (v - mean);
    return sum / static_cast<double>(y.size());
}

}  // namespace

TEST_CASE("fit on a RegressionDataset learns a noisy sine and records loss-only metrics", "[fit][regression]") {
    const RegressionDataset train = noisy_sine(256, 1), val = noisy_sine(128, 2);
    Regressor net{Seed{3}};
    const double before = evaluate(net, val, MeanSquaredError{}).loss;
    Adam opt{.lr = 0.01};
    const History h = fit(net, train, MeanSquaredError{}, opt,
                          quiet({.epochs = 40, .batch_size = 16, .validation = &val, .seed = 1}));
    REQUIRE(h.size() == 40);
    CHECK(h.back().train_loss < h[0].train_loss);
    CHECK(h.back().val_loss < before / 10);
    CHECK(h.back().val_loss < variance(val.y) / 10);  // far better than a constant
    for (const EpochRecord& r : h) {
        CHECK(std::isnan(r.train_accuracy));
        CHECK(std::isnan(r.val_accuracy));
    }
    const Evaluation e = evaluate(net, val, MeanSquaredError{});
    CHECK(e.loss == Approx(h.back().val_loss).epsilon(1e-12));
    CHECK(std::isnan(e.accuracy));
    CHECK(evaluate(net, val, MeanSquaredError{}, 7).loss == Approx(e.loss).epsilon(1e-6));  // chunking

    // Progress, CSV and plot show no accuracy rather than a made-up one.
    std::ostringstream log;
    RegressionFitOptions o{.epochs = 2, .validation = &val};
    o.log = &log;
    const History printed = fit(net, train, MeanSquaredError{}, opt, o);
    CHECK(log.str().find("val_loss") != std::string::npos);
    CHECK(log.str().find("accuracy") == std::string::npos);
    const auto dir = std::filesystem::temp_directory_path();
    const std::string csv = (dir / "typenet_test_regression_history.csv").string();
    const std::string svg = (dir / "typenet_test_regression_history.svg").string();
    printed.write_csv(csv);
    std::ifstream in(csv);
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    CHECK(header == "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds");
    CHECK(row.find(",,") != std::string::npos);  // the accuracy cells are empty
    CHECK(row.find("nan") == std::string::npos);
    plot_history_svg(printed, svg);
    std::ifstream plot(svg);
    const std::string image{std::istreambuf_iterator<char>(plot), {}};
    CHECK(image.find("Loss") != std::string::npos);
    CHECK(image.find("Accuracy") == std::string::npos);
    std::filesystem::remove(csv);
    std::filesystem::remove(svg);
}

TEST_CASE("fit with targets gathers the right rows: one full-batch epoch is one train_step", "[fit][regression]") {
    // Two outputs, an input-dependent target per output, so a wrong row or column would show.
    RegressionDataset d{Matrix<float>::from_shape({12, 3}), Matrix<float>::from_shape({12, 2})};
    const Philox rng(Seed{4}, RandomPurpose::user, 0, 0);
    for (std::size_t i = 0; i < 12; ++i) {
        for (std::size_t f = 0; f < 3; ++f) d.x(i, f) = static_cast<float>(rng.normal(i * 3 + f));
        d.y(i, 0) = d.x(i, 0) - d.x(i, 2);
        d.y(i, 1) = static_cast<float>(i);
    }
    using Net = Seq<Dense<3, 5>, Tanh, Dense<5, 2>>;
    Net fitted{Seed{5}}, stepped{Seed{5}};
    SGD a{.lr = 0.1}, b{.lr = 0.1};
    fit(fitted, d, MeanSquaredError{}, a, quiet({.epochs = 1, .batch_size = 12, .shuffle = false}));
    stepped.train_step(d.x, d.y, MeanSquaredError{}, b);
    CHECK(parameters(fitted) == parameters(stepped));
}

TEST_CASE("a RegressionDataset is shuffled and batched exactly as a Dataset of the same size", "[fit][regression]") {
    const RegressionDataset reg = noisy_sine(37, 6);
    Dataset cls{reg.x, std::vector<int>(reg.size(), 0)};
    std::vector<std::vector<std::uint64_t>> from_reg, from_cls;
    RegressionFitOptions ro{.epochs = 3, .batch_size = 8, .seed = 9, .verbose = false};
    FitOptions co{.epochs = 3, .batch_size = 8, .seed = 9, .verbose = false};
    ro.augment = [&](AugmentBatch& b) {
        CHECK(b.labels.empty());
        from_reg.emplace_back(b.samples.begin(), b.samples.end());
    };
    co.augment = [&](AugmentBatch& b) { from_cls.emplace_back(b.samples.begin(), b.samples.end()); };
    Seq<Dense<1, 1>> r{Seed{1}};
    Seq<Dense<1, 2>> c{Seed{1}};
    SGD opt;
    fit(r, reg, MeanSquaredError{}, opt, ro);
    fit(c, cls, SoftmaxCrossEntropy{}, opt, co);
    REQUIRE(from_reg.size() == 15);  // 3 epochs of 5 batches, the last of 5 rows
    CHECK(from_reg.back().size() == 5);
    CHECK(from_reg == from_cls);
}

TEST_CASE("regression fit: early stopping restores the best epoch, reduce-on-plateau, determinism, no allocation",
          "[fit][regression]") {
    const RegressionDataset train = noisy_sine(128, 7), val = noisy_sine(64, 8);
    SECTION("early stopping with restore_best puts back the best epoch's parameters") {
        Regressor net{Seed{2}};
        SGD opt{.lr = 0.05};
        std::vector<std::vector<float>> after_epoch;
        RegressionFitOptions o{.epochs = 40, .batch_size = 16, .validation = &val, .seed = 1, .verbose = false};
        o.schedule = [](std::size_t t) { return t < 5 ? 0.05 : 1.0; };  // too large from epoch 6 on
        o.early_stopping = EarlyStopping{.patience = 3, .restore_best = true};
        o.on_epoch = [&](EpochEvent&) { after_epoch.push_back(parameters(net)); };
        const History h = fit(net, train, MeanSquaredError{}, opt, o);
        CHECK(h.stop_reason == StopReason::early_stopping);
        REQUIRE(h.best_epoch >= 1);
        CHECK(h.best_epoch < h.size());
        CHECK(parameters(net) == after_epoch[h.best_epoch - 1]);
        CHECK(evaluate(net, val, MeanSquaredError{}).loss == Approx(h[h.best_epoch - 1].val_loss).epsilon(1e-12));
    }
    SECTION("reduce-on-plateau watches val_loss and stops a stalled run") {
        Regressor net{Seed{2}};
        SGD frozen{.lr = 0.0};
        const History h = fit(net, train, MeanSquaredError{}, frozen,
                              quiet({.epochs = 50, .batch_size = 32, .validation = &val,
                                     .plateau = ReduceOnPlateau{.patience = 1, .max_reductions = 1}}));
        CHECK(h.stop_reason == StopReason::plateau);
        CHECK(h.size() < 50);
    }
    SECTION("the same seed gives bitwise the same parameters, another seed others") {
        auto run = [&](std::uint64_t seed) {
            Regressor net{Seed{2}};
            Adam opt{.lr = 0.01};
            fit(net, train, MeanSquaredError{}, opt, quiet({.epochs = 3, .batch_size = 10, .seed = seed}));
            return parameters(net);
        };
        CHECK(run(1) == run(1));
        CHECK(run(1) != run(2));
    }
    SECTION("steps after the first batch do not allocate") {
        Regressor net{Seed{2}};
        Adam opt;
        RegressionFitOptions o{.epochs = 1, .batch_size = 8, .seed = 1, .verbose = false};
        std::size_t during = 1;
        o.on_batch = [&](BatchEvent& e) {
            if (e.batch == 2) testing::start_counting_allocations();
            if (e.batch == e.batches) during = testing::stop_counting_allocations();
        };
        fit(net, train, MeanSquaredError{}, opt, o);
        CHECK(during == 0);
    }
}

TEST_CASE("regression fit checks its data and options up front", "[fit][regression][errors]") {
    const RegressionDataset train = noisy_sine(20, 9);
    Regressor net{Seed{1}};
    SGD opt;
    auto run = [&](const RegressionDataset& d, RegressionFitOptions o = {.epochs = 1}) {
        o.verbose = false;
        return fit(net, d, MeanSquaredError{}, opt, o);
    };
    RegressionDataset few = train;
    few.y = Matrix<float>::from_shape({19, 1});
    CHECK_THROWS_WITH(run(few), Contains("20 samples but 19 rows of targets"));
    RegressionDataset wide{train.x, Matrix<float>::from_shape({20, 2})};
    CHECK_THROWS_AS(run(wide), shape_error);
    CHECK_THROWS_WITH(run(wide), Catch::Matchers::EndsWith("2 targets per sample, the network has 1 output"));
    RegressionDataset nan_y = train;
    nan_y.y(4, 0) = std::nanf("");
    CHECK_THROWS_WITH(run(nan_y), Contains("fit: NaN in train.y at row 4, column 0"));
    RegressionDataset nan_x = train;
    nan_x.x(3, 0) = INFINITY;
    CHECK_THROWS_WITH(run(nan_x), Contains("fit: infinite value in train.x at row 3, column 0"));
    CHECK_THROWS_WITH(run(RegressionDataset{}), Contains("fit: the training set is empty"));
    RegressionFitOptions validated{.epochs = 1, .validation = &nan_y};
    CHECK_THROWS_WITH(run(train, validated), Contains("fit: NaN in validation.y at row 4"));
    for (Monitor m : {Monitor::val_accuracy, Monitor::train_accuracy}) {
        RegressionFitOptions es{.epochs = 1, .validation = &train};
        es.early_stopping = EarlyStopping{.monitor = m};
        CHECK_THROWS_WITH(run(train, es), Contains("early stopping watches an accuracy, but a RegressionDataset"));
        RegressionFitOptions p{.epochs = 1, .validation = &train, .plateau = ReduceOnPlateau{}, .plateau_monitor = m};
        CHECK_THROWS_WITH(run(train, p), Contains("reduce-on-plateau watches an accuracy"));
    }
    CHECK_THROWS_WITH(evaluate(net, few, MeanSquaredError{}), Contains("evaluate: the dataset has 20 samples"));
    CHECK_THROWS_WITH(evaluate(net, RegressionDataset{}, MeanSquaredError{}), Contains("evaluate: the dataset is empty"));
}

TEST_CASE("BinaryCrossEntropy takes a RegressionDataset of probabilities and rejects targets outside [0, 1]",
          "[fit][regression]") {
    RegressionDataset d = noisy_sine(40, 10);
    for (float& v : d.y) v = (v + 1.2f) / 2.4f;  // into (0, 1)
    Regressor net{Seed{1}};
    SGD opt{.lr = 0.1};
    const History h = fit(net, d, BinaryCrossEntropy{}, opt, quiet({.epochs = 3, .batch_size = 8}));
    CHECK(std::isfinite(h.back().train_loss));
    d.y(13, 0) = 1.5f;
    CHECK_THROWS_WITH(fit(net, d, BinaryCrossEntropy{}, opt, quiet({.epochs = 1, .batch_size = 8, .shuffle = false})),
                      Contains("fit: epoch 1, batch 2 of 5: BinaryCrossEntropy: target 1.500000 at sample 5"));
}

TEST_CASE("accuracy, evaluate and fit refuse a label out of range with the same message", "[fit][errors]") {
    using Net = Seq<Dense<2, 3>>;
    const Net net{Seed{1}};
    Dataset d{Matrix<float>::from_shape({4, 2}), {0, 1, 3, 2}};
    std::fill(d.x.begin(), d.x.end(), 0.5f);
    const std::string problem = ".y[2] is 3; the network has 3 outputs (labels 0..2)";
    CHECK_THROWS_WITH(accuracy(net, d), Contains("accuracy: data" + problem));
    CHECK_THROWS_WITH(evaluate(net, d, SoftmaxCrossEntropy{}), Contains("evaluate: data" + problem));
    Net trained = net;
    SGD opt;
    CHECK_THROWS_WITH(fit(trained, d, SoftmaxCrossEntropy{}, opt, {.epochs = 1, .verbose = false}),
                      Contains("fit: train" + problem));
    CHECK_THROWS_WITH(accuracy(Ensemble<Net>(2, Seed{1}), d), Contains("Ensemble::accuracy: data" + problem));
    d.y[2] = -1;
    CHECK_THROWS_WITH(accuracy(net, d), Contains("accuracy: data.y[2] is -1"));
    // A one-output network reads its output as a logit: labels 0 and 1 only.
    const Seq<Dense<2, 1>> binary{Seed{1}};
    const Dataset two{d.x, {0, 1, 2, 1}};
    CHECK_THROWS_WITH(accuracy(binary, two), Contains("accuracy: data.y[2] is 2; the network has 1 output (labels 0..1)"));
}
