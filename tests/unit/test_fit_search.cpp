#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "catch.hpp"
#include <typenet/train/choose.hpp>
#include <typenet/train/random_search.hpp>
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {
RandomSearch space(std::uint64_t seed) {
    RandomSearch s(seed);
    s.log_uniform("lr", 1e-4, 1e-1)
        .uniform("momentum", 0.5, 0.99)
        .integer("batch_size", 16, 256, true)
        .choice("dropout", {0.0, 0.25, 0.5});
    return s;
}

Dataset blobs(std::size_t n, std::uint64_t seed) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    Dataset d{Matrix<float>::from_shape({n, 4}), std::vector<int>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        d.y[i] = static_cast<int>(i % 3);
        for (std::size_t f = 0; f < 4; ++f)
            d.x(i, f) = static_cast<float>((f == i % 3 ? 1.5 : 0.0) + rng.normal(i * 4 + f));
    }
    return d;
}
}  // namespace

TEST_CASE("random search draws each hyperparameter in its range and scale, deterministically", "[fit][search]") {
    const RandomSearch s = space(7);
    CHECK(s.trial(3).values == space(7).trial(3).values);
    CHECK(s.trial(3).values != space(8).trial(3).values);
    CHECK(s.trial(3).values != s.trial(4).values);
    CHECK(s.trial(3).seed != s.trial(4).seed);
    std::vector<double> log_lr;
    std::set<double> dropouts;
    std::set<long long> batches;
    for (std::size_t i = 0; i < 2000; ++i) {
        const Trial t = s.trial(i);
        REQUIRE(t["lr"] >= 1e-4);
        REQUIRE(t["lr"] <= 1e-1);
        REQUIRE(t["momentum"] >= 0.5);
        REQUIRE(t["momentum"] <= 0.99);
        REQUIRE(t["batch_size"] == std::round(t["batch_size"]));
        REQUIRE(t.integer("batch_size") >= 16);
        REQUIRE(t.integer("batch_size") <= 256);
        log_lr.push_back(std::log10(t["lr"]));
        dropouts.insert(t["dropout"]);
        batches.insert(t.integer("batch_size"));
    }
    std::ranges::sort(log_lr);
    CHECK(log_lr[1000] == Approx(-2.5).margin(0.1));  // log-uniform: the median is the geometric mean
    CHECK(log_lr[500] == Approx(-3.25).margin(0.1));
    CHECK(dropouts == std::set<double>{0.0, 0.25, 0.5});
    CHECK(batches.size() > 100);
    CHECK_THROWS_WITH(s.trial(0)["nope"], Catch::Contains("no hyperparameter named 'nope'"));
    RandomSearch bad;
    CHECK_THROWS_AS(bad.log_uniform("lr", 0.0, 1.0), typenet::error);
    CHECK_THROWS_AS(bad.uniform("x", 2.0, 1.0), typenet::error);
    bad.uniform("x", 0, 1);
    CHECK_THROWS_WITH(bad.uniform("x", 0, 1), Catch::Contains("declared twice"));
}

TEST_CASE("search results are sorted best first, failed (NaN) trials last", "[fit][search]") {
    const RandomSearch s = space(1);
    auto objective = [](const Trial& t) { return t.index == 2 ? std::nan("") : -std::abs(std::log10(t["lr"]) + 2); };
    const SearchResults up = s.run(8, objective);
    REQUIRE(up.rows.size() == 8);
    for (std::size_t r = 1; r + 1 < up.rows.size(); ++r) CHECK(up.rows[r - 1].score >= up.rows[r].score);
    CHECK(std::isnan(up.rows.back().score));
    CHECK(up.best().score == Approx(-std::abs(std::log10(up.best().trial["lr"]) + 2)));
    const SearchResults down = s.run(8, objective, Goal::minimize);
    CHECK(down.rows.front().score <= down.rows[1].score);
    const std::string table = up.table();
    CHECK(std::ranges::count(table, '\n') == 9);
    CHECK(table.find("lr") != std::string::npos);
    CHECK(table.find("batch_size") != std::string::npos);
}

TEST_CASE("with_choice maps a sampled dropout rate to a network type", "[fit][search]") {
    auto rate_of = [](double p) {
        return with_choice<0.0, 0.25, 0.5>(p, [&]<Real P>() {
            using Net = Seq<Dense<4, 8>, ReLU, Dropout<P>, Dense<8, 3>>;
            return Net::layer_count == 4 ? P.value() : -1.0;
        });
    };
    CHECK(rate_of(0.0) == 0.0);
    CHECK(rate_of(0.25) == 0.25);
    CHECK(rate_of(0.5) == 0.5);
    CHECK_THROWS_WITH(rate_of(0.3), Catch::Contains("not one of the compiled-in choices"));
}

TEST_CASE("a full search: lr, weight decay, dropout and batch size, scored by validation accuracy", "[fit][search]") {
    const Dataset train = blobs(240, 1), validation = blobs(120, 2);
    RandomSearch s(42);
    s.log_uniform("lr", 1e-3, 1e-1).log_uniform("weight_decay", 1e-6, 1e-2).choice("dropout", {0.0, 0.5})
        .integer("batch_size", 8, 64, true);
    auto objective = [&](const Trial& t) {
        return with_choice<0.0, 0.5>(t["dropout"], [&]<Real P>() {
            Seq<Dense<4, 16>, ReLU, Dropout<P>, Dense<16, 3>> net{Seed{t.seed}};
            Adam opt{.lr = t["lr"], .weight_decay = t["weight_decay"]};
            FitOptions o{.epochs = 4, .batch_size = static_cast<std::size_t>(t.integer("batch_size")),
                         .validation = &validation, .seed = t.seed};
            o.verbose = false;
            return fit(net, train, SoftmaxCrossEntropy{}, opt, o).back().val_accuracy;
        });
    };
    const SearchResults a = s.run(4, objective), b = s.run(4, objective);
    REQUIRE(a.rows.size() == 4);
    for (std::size_t r = 0; r < 4; ++r) {
        CHECK(a.rows[r].score == b.rows[r].score);  // same seed: the same trials and the same training
        CHECK(a.rows[r].trial.index == b.rows[r].trial.index);
    }
    CHECK(a.best().score > 0.6);
    CHECK(a.rows.front().score >= a.rows.back().score);
}
