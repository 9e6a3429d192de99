#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

using Net = Seq<Dense<4, 16>, ReLU, Dense<16, 3>>;

/// Three Gaussian blobs in 4-D with overlapping noise: learnable, not trivially.
Dataset blobs(std::size_t n, std::uint64_t seed, double noise = 0.8) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    const double centers[3][4] = {{1, 0, 0, 1}, {-1, 1, 0, 0}, {0, -1, 1, -1}};
    Dataset d{Matrix<float>::from_shape({n, 4}), std::vector<int>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i % 3);
        d.y[i] = c;
        for (std::size_t f = 0; f < 4; ++f)
            d.x(i, f) = static_cast<float>(centers[c][f] + noise * rng.normal(i * 4 + f));
    }
    return d;
}

FitOptions quiet(FitOptions o) {
    o.verbose = false;
    return o;
}

}  // namespace

TEST_CASE("fit trains, validates every epoch and records a history", "[fit]") {
    const Dataset train = blobs(300, 1), test = blobs(150, 2);
    Net net{Seed{3}};
    const float before = accuracy(net, test);
    SGD opt{.lr = 0.05, .momentum = 0.9};
    const History h = fit(net, train, SoftmaxCrossEntropy{}, opt,
                          quiet({.epochs = 8, .batch_size = 32, .validation = &test, .seed = 1}));
    REQUIRE(h.size() == 8);
    CHECK(h.stop_reason == StopReason::completed);
    CHECK(h.back().train_loss < h[0].train_loss);
    CHECK(h.back().val_loss < h[0].val_loss);
    CHECK(h.back().val_accuracy > 0.85);
    CHECK(h.back().val_accuracy > before);
    for (const EpochRecord& r : h) {
        CHECK(r.lr == 0.05);
        CHECK(r.seconds >= 0);
        CHECK(r.train_accuracy >= 0);
        CHECK(r.train_accuracy <= 1);
    }
    // The recorded validation numbers are those of evaluate()/accuracy() on the final network.
    const Evaluation e = evaluate(net, test, SoftmaxCrossEntropy{});
    CHECK(h.back().val_loss == Approx(e.loss).epsilon(1e-6));
    CHECK(h.back().val_accuracy == Approx(accuracy(net, test)));
    // Eval chunks do not change the result.
    CHECK(evaluate(net, test, SoftmaxCrossEntropy{}, 7).loss == Approx(e.loss).epsilon(1e-6));
    CHECK(accuracy(net, test, 7) == accuracy(net, test));
}

TEST_CASE("fit is deterministic for a seed, bit for bit, early stopping included", "[fit]") {
    const Dataset train = blobs(200, 4), test = blobs(90, 5);
    auto run = [&](std::uint64_t seed, std::size_t* stopped_at = nullptr) {
        Net net{Seed{7}};
        Adam opt{.lr = 0.02};
        const History h = fit(net, train, SoftmaxCrossEntropy{}, opt,
                              quiet({.epochs = 40, .batch_size = 16, .validation = &test, .seed = seed,
                                     .early_stopping = EarlyStopping{.patience = 3, .restore_best = true}}));
        if (stopped_at) *stopped_at = h.size();
        return std::vector<float>(net.parameters().begin(), net.parameters().end());
    };
    std::size_t a_epochs = 0, b_epochs = 0;
    const auto a = run(1, &a_epochs), b = run(1, &b_epochs), c = run(2);
    CHECK(a == b);  // bitwise
    CHECK(a_epochs == b_epochs);
    CHECK(a != c);
}

TEST_CASE("shuffling is a permutation, new every epoch, fixed by (seed, epoch)", "[fit]") {
    std::vector<std::size_t> e0, e0_again, e1, other_seed;
    shuffled_order(e0, 1000, 9, 0);
    shuffled_order(e1, 1000, 9, 1);
    shuffled_order(other_seed, 1000, 10, 0);
    shuffled_order(e0_again, 1000, 9, 0);
    std::vector<std::size_t> sorted = e0;
    std::ranges::sort(sorted);
    for (std::size_t i = 0; i < sorted.size(); ++i) REQUIRE(sorted[i] == i);
    CHECK(e0 == e0_again);
    CHECK(e0 != e1);
    CHECK(e0 != other_seed);
    // Roughly uniform: each position holds each of 4 elements about equally often over many epochs.
    std::size_t counts[4][4] = {};
    std::vector<std::size_t> small;
    for (std::uint64_t epoch = 0; epoch < 4000; ++epoch) {
        shuffled_order(small, 4, 1, epoch);
        for (std::size_t p = 0; p < 4; ++p) ++counts[p][small[p]];
    }
    for (auto& row : counts)
        for (std::size_t c : row) CHECK(c == Approx(1000).margin(150));
}

TEST_CASE("fit keeps the last partial batch and calls the batch and epoch callbacks", "[fit]") {
    const Dataset train = blobs(10, 6);
    Net net{Seed{1}};
    SGD opt{.lr = 0.01};
    std::vector<std::size_t> sizes;
    std::size_t epochs_seen = 0;
    FitOptions o{.epochs = 2, .batch_size = 4, .seed = 1};
    o.verbose = false;
    o.on_batch = [&](BatchEvent& e) {
        sizes.push_back(e.samples);
        CHECK(e.batches == 3);
        CHECK(std::isfinite(e.loss));
    };
    o.on_epoch = [&](EpochEvent& e) {
        ++epochs_seen;
        CHECK(e.record.epoch == epochs_seen);
        CHECK(e.history.size() == epochs_seen);
    };
    const History h = fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(sizes == std::vector<std::size_t>{4, 4, 2, 4, 4, 2});
    CHECK(epochs_seen == 2);
    CHECK(std::isnan(h[0].val_loss));  // no validation set

    o.on_epoch = [](EpochEvent& e) { e.stop = e.record.epoch == 1; };
    CHECK(fit(net, train, SoftmaxCrossEntropy{}, opt, o).stop_reason == StopReason::callback);
    std::size_t reported = 0;
    o.on_epoch = [&](EpochEvent&) { ++reported; };
    o.on_batch = [](BatchEvent& e) { e.stop = e.batch == 2; };
    const History stopped = fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(stopped.size() == 1);
    CHECK(reported == 1);  // the epoch cut short is still reported
    CHECK(stopped.stop_reason == StopReason::callback);
}

TEST_CASE("training steps inside fit do not allocate after the first batch", "[fit]") {
    const Dataset train = blobs(100, 7);
    Net net{Seed{1}};
    Adam opt;
    FitOptions o{.epochs = 1, .batch_size = 8, .seed = 1};
    o.verbose = false;
    std::size_t during = 0;
    o.on_batch = [&](BatchEvent& e) {
        if (e.batch == 2) testing::start_counting_allocations();  // batch 1 sized every buffer
        if (e.batch == e.batches) during = testing::stop_counting_allocations();
    };
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(during == 0);
}

TEST_CASE("fit's augment hook sees each gathered batch before its step and keeps runs reproducible", "[fit][augment]") {
    const Dataset train = blobs(50, 16);
    FitOptions o{.epochs = 2, .batch_size = 8, .seed = 3};
    o.verbose = false;
    auto parameters = [](const Net& net) { return std::vector<float>(net.parameters().begin(), net.parameters().end()); };

    // Right rows: x holds copies of train.x[samples[r]] with their labels, ids in the epoch's shuffled order.
    std::vector<std::size_t> rows_seen, order;
    std::size_t calls = 0, steps_ok = 0;
    o.augment = [&](AugmentBatch& b) {
        const std::size_t rows = b.samples.size();
        CHECK(b.x.shape(0) == rows);
        CHECK(b.labels.size() == rows);
        CHECK(b.seed == 3);
        CHECK(b.step == calls);
        steps_ok += b.step == (b.epoch - 1) * 7 + (b.batch - 1);  // 50 rows in batches of 8: 7 per epoch
        shuffled_order(order, train.size(), 3, b.epoch - 1);
        for (std::size_t r = 0; r < rows; ++r) {
            CHECK(b.samples[r] == order[(b.batch - 1) * 8 + r]);
            CHECK(b.labels[r] == train.y[b.samples[r]]);
            for (std::size_t f = 0; f < 4; ++f) CHECK(b.x(r, f) == train.x(b.samples[r], f));
        }
        rows_seen.push_back(rows);
        ++calls;
    };
    Net observed{Seed{2}};
    SGD opt{.lr = 0.05, .momentum = 0.9};
    fit(observed, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(rows_seen == std::vector<std::size_t>{8, 8, 8, 8, 8, 8, 2, 8, 8, 8, 8, 8, 8, 2});
    CHECK(steps_ok == 14);

    // A hook that only reads leaves training bitwise as without one.
    Net plain{Seed{2}};
    SGD plain_opt{.lr = 0.05, .momentum = 0.9};
    FitOptions no_hook = o;
    no_hook.augment = nullptr;
    fit(plain, train, SoftmaxCrossEntropy{}, plain_opt, no_hook);
    CHECK(parameters(plain) == parameters(observed));

    // What the hook writes is what the step trains on, and the same seed gives the same run bit for bit.
    auto augmented = [&](std::uint64_t seed) {
        FitOptions a = no_hook;
        a.seed = seed;
        a.augment = [](AugmentBatch& b) {
            const Philox rng(Seed{b.seed}, RandomPurpose::augment, 0, b.step);
            for (std::size_t r = 0; r < b.samples.size(); ++r)
                for (std::size_t f = 0; f < 4; ++f) b.x(r, f) += 0.3f * static_cast<float>(rng.normal(b.samples[r] * 4 + f));
        };
        Net net{Seed{2}};
        SGD sgd{.lr = 0.05, .momentum = 0.9};
        fit(net, train, SoftmaxCrossEntropy{}, sgd, a);
        return parameters(net);
    };
    const std::vector<float> noisy = augmented(3);
    CHECK(noisy == augmented(3));
    CHECK(noisy != parameters(plain));
    CHECK(noisy != augmented(4));

    // The training set itself is never changed.
    const Dataset copy = blobs(50, 16);
    for (std::size_t i = 0; i < train.x.size(); ++i) REQUIRE(train.x.data()[i] == copy.x.data()[i]);
}

TEST_CASE("an augment hook adds no allocation after the first batch; errors for a changed shape or a double net", "[fit][augment]") {
    const Dataset train = blobs(100, 7);
    Net net{Seed{1}};
    Adam opt;
    FitOptions o{.epochs = 1, .batch_size = 8, .seed = 1};
    o.verbose = false;
    const RandomCrop shift{.image = {2, 2, 1}, .padding = 1};
    std::vector<float> scratch(4);
    o.augment = [&](AugmentBatch& b) {
        for (std::size_t r = 0; r < b.samples.size(); ++r) {
            std::span<float> row(b.x.data() + r * 4, 4);
            const auto [dy, dx] = shift.offsets(Seed{b.seed}, b.step, b.samples[r]);
            std::copy(row.begin(), row.end(), scratch.begin());
            shift.crop(scratch, row, dy, dx);
        }
    };
    std::size_t during = 0;
    o.on_batch = [&](BatchEvent& e) {
        if (e.batch == 2) testing::start_counting_allocations();
        if (e.batch == e.batches) during = testing::stop_counting_allocations();
    };
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(during == 0);

    o.on_batch = nullptr;
    o.augment = [](AugmentBatch& b) { b.x = Matrix<float>::from_shape({1, 4}); };
    CHECK_THROWS_WITH(fit(net, train, SoftmaxCrossEntropy{}, opt, o), Catch::Contains("changed the batch's shape"));
    BasicSeq<double, Dense<4, 3>> wide{Seed{1}};
    o.augment = [](AugmentBatch&) {};
    CHECK_THROWS_WITH(fit(wide, train, SoftmaxCrossEntropy{}, opt, o), Catch::Contains("float batches"));
}

TEST_CASE("early stopping waits `patience` epochs without improvement and can restore the best weights", "[fit]") {
    const Dataset train = blobs(120, 8), test = blobs(60, 9);
    SECTION("a network that does not learn stops after patience epochs") {
        Net net{Seed{2}};
        SGD frozen{.lr = 0.0};
        const History h = fit(net, train, SoftmaxCrossEntropy{}, frozen,
                              quiet({.epochs = 50, .batch_size = 16, .validation = &test, .seed = 1,
                                     .early_stopping = EarlyStopping{.patience = 4}}));
        CHECK(h.size() == 5);  // epoch 1 is the best; 4 more without improvement
        CHECK(h.stop_reason == StopReason::early_stopping);
        CHECK(h.best_epoch == 1);
    }
    SECTION("a run that diverges late gets its best epoch back") {
        Net net{Seed{2}};
        SGD opt{.lr = 0.05};
        std::vector<std::vector<float>> after_epoch;
        FitOptions o{.epochs = 30, .batch_size = 16, .validation = &test, .seed = 1};
        o.verbose = false;
        o.schedule = [](std::size_t t) { return t < 5 ? 0.05 : 3.0; };  // far too large from epoch 6 on
        o.early_stopping = EarlyStopping{.patience = 3, .restore_best = true};
        o.on_epoch = [&](EpochEvent&) { after_epoch.emplace_back(net.parameters().begin(), net.parameters().end()); };
        const History h = fit(net, train, SoftmaxCrossEntropy{}, opt, o);
        CHECK(h.stop_reason == StopReason::early_stopping);
        REQUIRE(h.best_epoch >= 1);
        CHECK(h.best_epoch < h.size());
        const std::vector<float> now(net.parameters().begin(), net.parameters().end());
        CHECK(now == after_epoch[h.best_epoch - 1]);
        for (const EpochRecord& r : h) CHECK(r.val_loss >= h[h.best_epoch - 1].val_loss);
    }
}

TEST_CASE("fit applies a schedule per epoch or per batch, and reduce-on-plateau stops a stalled run", "[fit]") {
    const Dataset train = blobs(64, 10), test = blobs(30, 11);
    Net net{Seed{4}};
    SGD opt{.lr = 1.0};
    FitOptions o{.epochs = 6, .batch_size = 16, .seed = 1};
    o.verbose = false;
    const StepDecay decay{.initial = 0.1, .factor = 0.5, .every = 2};
    o.schedule = decay;
    const History h = fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    for (std::size_t e = 0; e < h.size(); ++e) CHECK(h[e].lr == Approx(decay(e)));

    std::vector<double> lrs;
    o.epochs = 2;
    o.schedule = warmup(4, ConstantRate{0.1}, 0.0);
    o.schedule_per_batch = true;
    o.on_batch = [&](BatchEvent& e) { lrs.push_back(e.lr); };
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    const std::vector<double> expected{0.0, 0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1};
    REQUIRE(lrs.size() == expected.size());
    for (std::size_t i = 0; i < lrs.size(); ++i) CHECK(lrs[i] == Approx(expected[i]).margin(1e-15));

    SGD frozen{.lr = 0.0};
    FitOptions p{.epochs = 100, .batch_size = 16, .validation = &test, .seed = 1};
    p.verbose = false;
    p.plateau = ReduceOnPlateau{.patience = 1, .max_reductions = 2};
    const History stalled = fit(net, train, SoftmaxCrossEntropy{}, frozen, p);
    CHECK(stalled.stop_reason == StopReason::plateau);
    CHECK(stalled.size() == 7);  // best at 1; reduce after 3 and 5; stop after 7

    SGD learning{.lr = 0.4};
    p.plateau = ReduceOnPlateau{.patience = 0, .max_reductions = 5};
    p.epochs = 20;
    const History reduced = fit(net, train, SoftmaxCrossEntropy{}, learning, p);
    bool saw_reduction = false;
    for (std::size_t e = 1; e < reduced.size(); ++e) {
        CHECK((reduced[e].lr == Approx(reduced[e - 1].lr) || reduced[e].lr == Approx(reduced[e - 1].lr * 0.1)));
        saw_reduction |= reduced[e].lr < reduced[e - 1].lr;
    }
    CHECK(saw_reduction);
}

TEST_CASE("a diverging run stops with an error naming epoch and batch and keeps the last good parameters", "[fit]") {
    const Dataset train = blobs(64, 12);
    using Regressor = Seq<Dense<4, 8>, Tanh, Dense<8, 3>>;
    Regressor net{Seed{5}};
    SGD opt{.lr = 1e6};  // explodes within a few steps
    std::vector<float> last_good;
    FitOptions o{.epochs = 5, .batch_size = 8, .seed = 1};
    o.verbose = false;
    o.on_batch = [&](BatchEvent&) { last_good.assign(net.parameters().begin(), net.parameters().end()); };
    try {
        fit(net, train, MeanSquaredError{}, opt, o);
        FAIL("fit did not report the divergence");
    } catch (const typenet::error& e) {
        const std::string what = e.what();
        INFO(what);
        CHECK(what.find("fit: epoch 1, batch ") != std::string::npos);
        CHECK(what.find("keeps its parameters") != std::string::npos);
    }
    const std::vector<float> now(net.parameters().begin(), net.parameters().end());
    CHECK(std::ranges::all_of(now, [](float v) { return std::isfinite(v); }));
    if (!last_good.empty()) CHECK(now == last_good);
}

TEST_CASE("fit checks its data and options up front", "[fit][errors]") {
    Dataset train = blobs(20, 13);
    Net net{Seed{1}};
    SGD opt;
    auto run = [&](const Dataset& d, FitOptions o = {.epochs = 1}) {
        o.verbose = false;
        return fit(net, d, SoftmaxCrossEntropy{}, opt, o);
    };
    Dataset wide{Matrix<float>::from_shape({4, 5}), std::vector<int>(4)};
    CHECK_THROWS_AS(run(wide), shape_error);
    Dataset bad_label = train;
    bad_label.y[7] = 3;
    CHECK_THROWS_WITH(run(bad_label), Catch::Contains("train.y[7] is 3; the network has 3 outputs (labels 0..2)"));
    Dataset nan_x = train;
    nan_x.x(5, 2) = std::nanf("");
    CHECK_THROWS_WITH(run(nan_x), Catch::Contains("fit: NaN in train.x at row 5, column 2"));
    CHECK_THROWS_WITH(run(train, {.epochs = 1, .batch_size = 0}), Catch::Contains("batch_size"));
    FitOptions es{.epochs = 2};
    es.early_stopping = EarlyStopping{};
    CHECK_THROWS_WITH(run(train, es), Catch::Contains("no validation set"));
    Dataset few_labels = train;
    few_labels.y.pop_back();
    CHECK_THROWS_WITH(run(few_labels), Catch::Contains("20 samples but 19 labels"));
}

TEST_CASE("fit prints one line per epoch when not on a terminal, nothing when not verbose", "[fit]") {
    const Dataset train = blobs(30, 14), test = blobs(12, 15);
    Net net{Seed{1}};
    SGD opt;
    std::ostringstream log;
    FitOptions o{.epochs = 3, .batch_size = 8, .validation = &test, .seed = 1};
    o.log = &log;
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    const std::string text = log.str();
    CHECK(std::ranges::count(text, '\n') == 3);
    CHECK(text.find("epoch 2/3  loss ") != std::string::npos);
    CHECK(text.find("val_accuracy") != std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    std::ostringstream silent;
    o.log = &silent;
    o.verbose = false;
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    CHECK(silent.str().empty());
}

TEST_CASE("History::write_csv writes one row per epoch", "[fit]") {
    const Dataset train = blobs(30, 16), test = blobs(12, 17);
    Net net{Seed{1}};
    SGD opt;
    const History h = fit(net, train, SoftmaxCrossEntropy{}, opt,
                          quiet({.epochs = 3, .batch_size = 8, .validation = &test, .seed = 1}));
    const auto path = std::filesystem::temp_directory_path() / "typenet_test_history.csv";
    h.write_csv(path.string());
    std::ifstream in(path);
    std::string header, row;
    std::getline(in, header);
    CHECK(header == "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds");
    std::size_t rows = 0;
    while (std::getline(in, row)) {
        ++rows;
        CHECK(row.rfind(std::to_string(rows) + ",", 0) == 0);
        CHECK(std::ranges::count(row, ',') == 6);
    }
    CHECK(rows == 3);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(h.write_csv("/nonexistent-dir/h.csv"), typenet::error);
}

TEST_CASE("fit trains a double network and works with every loss", "[fit]") {
    const Dataset train = blobs(90, 18);
    BasicSeq<double, Dense<4, 8>, Tanh, Dense<8, 3>> net{Seed{1}};
    RMSProp opt{.lr = 0.01};
    const History h = fit(net, train, MulticlassHinge{}, opt, quiet({.epochs = 5, .batch_size = 10, .seed = 3}));
    CHECK(h.back().train_loss < h[0].train_loss);
    Seq<Dense<4, 8>, Tanh, Dense<8, 3>> f{Seed{1}};
    AdaGrad ada{.lr = 0.1};
    CHECK(fit(f, train, MeanSquaredError{}, ada, quiet({.epochs = 3, .batch_size = 10})).size() == 3);
    CHECK(fit(f, train, BinaryCrossEntropy{}, ada, quiet({.epochs = 3, .batch_size = 10})).size() == 3);
}
