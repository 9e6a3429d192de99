#include <cmath>
#include <numbers>
#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

static_assert(Schedule<StepDecay> && Schedule<ExponentialDecay> && Schedule<InverseTimeDecay> && Schedule<CosineDecay>);
static_assert(Schedule<LinearWarmup<CosineDecay>>);

TEST_CASE("step decay multiplies by the factor every `every` units", "[schedule]") {
    const StepDecay s{.initial = 0.1, .factor = 0.5, .every = 3};
    for (std::size_t t = 0; t < 12; ++t) CHECK(s(t) == Approx(0.1 * std::pow(0.5, static_cast<double>(t / 3))));
    CHECK(s(2) == s(0));
    CHECK(s(3) == Approx(0.05));
    CHECK_THROWS_AS((StepDecay{.every = 0}(1)), typenet::error);
}

TEST_CASE("exponential and 1/t decay follow their formulas", "[schedule]") {
    const ExponentialDecay e{.initial = 0.2, .k = 0.3};
    const InverseTimeDecay i{.initial = 0.2, .k = 0.3};
    for (std::size_t t = 0; t < 20; ++t) {
        const double td = static_cast<double>(t);
        CHECK(e(t) == Approx(0.2 * std::exp(-0.3 * td)));
        CHECK(i(t) == Approx(0.2 / (1 + 0.3 * td)));
    }
    CHECK(e(0) == 0.2);
    CHECK(i(10) == Approx(0.05));
}

TEST_CASE("cosine decay goes from the initial rate to the minimum over the period, then stays", "[schedule]") {
    const CosineDecay c{.initial = 1.0, .period = 10, .minimum = 0.1};
    CHECK(c(0) == Approx(1.0));
    CHECK(c(5) == Approx(0.55));  // halfway: the mean of the two
    CHECK(c(10) == Approx(0.1));
    CHECK(c(25) == Approx(0.1));
    for (std::size_t t = 0; t < 10; ++t) {
        CHECK(c(t) == Approx(0.1 + 0.9 * (1 + std::cos(std::numbers::pi * static_cast<double>(t) / 10)) / 2));
        CHECK(c(t + 1) < c(t));
    }
}

TEST_CASE("linear warm-up ramps to the wrapped schedule, which then starts from its beginning", "[schedule]") {
    const auto s = warmup(4, StepDecay{.initial = 0.8, .factor = 0.5, .every = 2}, 0.25);
    CHECK(s(0) == Approx(0.2));
    CHECK(s(1) == Approx(0.8 * (0.25 + 0.75 * 0.25)));
    CHECK(s(2) == Approx(0.8 * (0.25 + 0.75 * 0.5)));
    CHECK(s(3) == Approx(0.8 * (0.25 + 0.75 * 0.75)));
    CHECK(s(4) == Approx(0.8));  // the step decay at its own t = 0
    CHECK(s(5) == Approx(0.8));
    CHECK(s(6) == Approx(0.4));
    const auto constant = warmup(2, ConstantRate{0.3});
    CHECK(constant(0) == Approx(0.1));  // PyTorch LinearLR's default start factor 1/3
    CHECK(constant(7) == Approx(0.3));
}

TEST_CASE("reduce-on-plateau divides by 10 after more than `patience` bad epochs, then asks to stop", "[schedule]") {
    ReduceOnPlateau p{.patience = 2, .max_reductions = 2};
    double lr = 1.0;
    std::vector<PlateauAction> actions;
    // Improves for 2 epochs, then flat.
    for (double metric : {1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.91, 0.9, 0.9}) actions.push_back(p.update(metric, lr));
    using enum PlateauAction;
    const std::vector<PlateauAction> expected{keep, keep, keep, keep, reduce, keep, keep, reduce, keep, keep, stop};
    CHECK(actions == expected);
    CHECK(lr == Approx(0.01));
    CHECK(p.reductions == 2);
}

TEST_CASE("reduce-on-plateau: relative threshold, maximize, min_lr, cooldown", "[schedule]") {
    ReduceOnPlateau p{.patience = 0, .threshold = 0.1, .min_lr = 0.05, .goal = Goal::maximize};
    double lr = 1.0;
    CHECK(p.update(0.5, lr) == PlateauAction::keep);
    CHECK(p.update(0.54, lr) == PlateauAction::reduce);  // not 10% better than 0.5
    CHECK(lr == Approx(0.1));
    CHECK(p.update(0.56, lr) == PlateauAction::keep);  // 12% better
    CHECK(p.update(0.50, lr) == PlateauAction::reduce);
    CHECK(lr == Approx(0.05));  // clamped at min_lr
    ReduceOnPlateau c{.patience = 0, .cooldown = 2};
    double lr2 = 1.0;
    c.update(1.0, lr2);
    CHECK(c.update(1.0, lr2) == PlateauAction::reduce);
    CHECK(c.update(1.0, lr2) == PlateauAction::keep);  // cooling down
    CHECK(c.update(1.0, lr2) == PlateauAction::keep);
    CHECK(c.update(1.0, lr2) == PlateauAction::reduce);
    CHECK_THROWS_WITH(c.update(std::nan(""), lr2), Catch::Contains("NaN"));
}
