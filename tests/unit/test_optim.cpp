#include <vector>

#include "catch.hpp"
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {
using Net = BasicSeq<double, Dense<1, 1, Zeros>>;

/// θ0 = 1 and a constant gradient g on the weight (the bias stays at 0 with gradient 0).
template <class Optimizer>
std::vector<double> trace(Optimizer& opt, double g, int steps) {
    Net net;
    net.parameters()[0] = 1.0;
    std::vector<double> out;
    for (int s = 0; s < steps; ++s) {
        net.gradients()[0] = g;
        net.gradients()[1] = 0;
        opt.step(net);
        out.push_back(net.parameters()[0]);
    }
    return out;
}
}  // namespace

TEST_CASE("optimizer defaults are PyTorch's", "[optim]") {
    CHECK(SGD{}.lr == 0.01);
    CHECK(SGD{}.momentum == 0.0);
    CHECK(AdaGrad{}.lr == 0.01);
    CHECK(AdaGrad{}.eps == 1e-10);
    CHECK(AdaGrad{}.initial_accumulator == 0.0);
    CHECK(AdaGrad{}.lr_decay == 0.0);
    CHECK(RMSProp{}.lr == 0.01);
    CHECK(RMSProp{}.alpha == 0.99);
    CHECK(RMSProp{}.eps == 1e-8);
    CHECK_FALSE(RMSProp{}.centered);
    CHECK(AdaDelta{}.lr == 1.0);
    CHECK(AdaDelta{}.rho == 0.9);
    CHECK(AdaDelta{}.eps == 1e-6);
    CHECK(Adam{}.lr == 1e-3);
    CHECK(Adam{}.betas[0] == 0.9);
    CHECK(Adam{}.betas[1] == 0.999);
    CHECK(Adam{}.eps == 1e-8);
    CHECK(Adam{}.weight_decay == 0.0);
    CHECK(AdamW{}.weight_decay == 1e-2);
}

TEST_CASE("Adam's first step moves every parameter by lr whatever the gradient's scale", "[optim]") {
    for (double g : {1e-6, 1.0, 1e4}) {
        Adam opt{.lr = 0.01, .eps = 0};
        CHECK(trace(opt, g, 1)[0] == Approx(1 - 0.01).epsilon(1e-12));
    }
}

TEST_CASE("AdamW decays the weights even where the gradient is zero, Adam with weight decay does not the same way",
          "[optim]") {
    AdamW w{.lr = 0.1, .weight_decay = 0.5};
    CHECK(trace(w, 0.0, 1)[0] == Approx(1 - 0.1 * 0.5));  // only the decoupled shrink
    Adam a{.lr = 0.1, .weight_decay = 0.5};
    CHECK(trace(a, 0.0, 1)[0] == Approx(1 - 0.1).epsilon(1e-6));  // decay enters the gradient: a full Adam step
}

TEST_CASE("the L1 penalty pushes toward zero by l1·lr per SGD step", "[optim]") {
    SGD opt{.lr = 0.1, .l1 = 0.5};
    const auto t = trace(opt, 0.0, 3);
    CHECK(t[2] == Approx(1 - 3 * 0.05));
    Net net;  // sign(0) = 0: a zero parameter stays at zero, as with autograd's |x|
    opt.step(net);
    CHECK(net.parameters()[1] == 0.0);
}

TEST_CASE("optimizer steps do not allocate after the first and keep state per network size", "[optim]") {
    Adam opt;
    trace(opt, 1.0, 3);
    const double* m = opt.state.m.data();
    trace(opt, 1.0, 3);
    CHECK(opt.state.m.data() == m);  // same network size: state kept, not reallocated
    CHECK(opt.state.steps == 6);
    opt.reset();
    CHECK(opt.state.steps == 0);
    BasicSeq<double, Dense<2, 2, Zeros>> bigger;
    opt.step(bigger);  // another network: fresh state of the right size
    CHECK(opt.state.m.size() == bigger.parameter_count);
    CHECK(opt.state.steps == 1);
}

TEST_CASE("optimizers reject invalid hyperparameters with a clear message", "[optim][errors]") {
    Net net;
    SGD nesterov{.lr = 0.1, .nesterov = true};
    CHECK_THROWS_WITH(nesterov.step(net), Catch::Contains("nesterov needs a momentum > 0"));
    SGD negative{.lr = -1};
    CHECK_THROWS_WITH(negative.step(net), Catch::Contains("SGD: lr is -1"));
    Adam betas{.betas = {0.9, 1.0}};
    CHECK_THROWS_WITH(betas.step(net), Catch::Contains("Adam: betas[1] is 1"));
    AdaDelta rho{.rho = 1.5};
    CHECK_THROWS_AS(rho.step(net), typenet::error);
    RMSProp eps{.eps = -1e-8};
    CHECK_THROWS_WITH(eps.step(net), Catch::Contains("RMSProp: eps"));
}

TEST_CASE("RMSProp with alpha 0.9 is the classic rule", "[optim]") {
    RMSProp opt{.lr = 0.01, .alpha = 0.9, .eps = 0};
    const auto t = trace(opt, 2.0, 2);
    const double s1 = 0.1 * 4, s2 = 0.9 * s1 + 0.1 * 4;
    CHECK(t[0] == Approx(1 - 0.01 * 2 / std::sqrt(s1)));
    CHECK(t[1] == Approx(t[0] - 0.01 * 2 / std::sqrt(s2)));
}

namespace {
/// Two optimizers of one kind stepped from the same point, one of them after an export/import into a
/// fresh copy halfway, end in bitwise the same place.
template <class Optimizer>
void check_state_round_trip(Optimizer opt) {
    static_assert(ResumableOptimizer<Optimizer>);
    const std::vector<double> straight = trace(opt, 0.3, 6);
    Optimizer first = opt;
    first.reset();
    Net net;
    net.parameters()[0] = 1.0;
    auto run = [&](Optimizer& o, int steps, std::vector<double>& out) {
        for (int s = 0; s < steps; ++s) {
            net.gradients()[0] = 0.3;
            net.gradients()[1] = 0;
            o.step(net);
            out.push_back(net.parameters()[0]);
        }
    };
    std::vector<double> resumed;
    run(first, 3, resumed);
    const OptimizerState saved = first.export_state();
    CHECK(saved.kind == Optimizer::state_kind);
    CHECK(saved.vectors.size() == Optimizer::state_vectors.size());
    Optimizer second = opt;
    second.reset();
    second.import_state(saved);
    run(second, 3, resumed);
    CHECK(resumed == straight);
    CHECK(second.export_state().steps == (saved.steps == 0 ? 0u : 6u));
}
}  // namespace

TEST_CASE("every optimizer's state exports and imports exactly, so a run resumes bit for bit", "[optim][checkpoint]") {
    check_state_round_trip(SGD{.lr = 0.1, .momentum = 0.9, .nesterov = true});
    check_state_round_trip(SGD{.lr = 0.1, .momentum = 0.5, .dampening = 0.1});
    check_state_round_trip(AdaGrad{.lr = 0.1, .lr_decay = 0.01, .initial_accumulator = 0.1});
    check_state_round_trip(RMSProp{.lr = 0.01, .momentum = 0.9, .centered = true});
    check_state_round_trip(AdaDelta{.lr = 1.0});
    check_state_round_trip(Adam{.lr = 0.01, .amsgrad = true});
    check_state_round_trip(AdamW{.lr = 0.01});
}

TEST_CASE("importing another optimizer's state, or vectors of unequal length, throws and changes nothing",
          "[optim][checkpoint][errors]") {
    Adam adam{.lr = 0.01};
    trace(adam, 0.3, 2);
    const OptimizerState before = adam.export_state();
    SGD sgd{.lr = 0.1, .momentum = 0.9};
    trace(sgd, 0.3, 2);
    REQUIRE_THROWS_WITH(
        adam.import_state(sgd.export_state()),
        Catch::Matchers::Contains("Adam::import_state: the optimizer state is SGD's, the optimizer is Adam"));
    REQUIRE_THROWS_WITH(AdamW{}.import_state(before), Catch::Matchers::Contains("is Adam's, the optimizer is AdamW"));
    OptimizerState uneven = before;
    uneven.vectors[1].push_back(0.0);
    REQUIRE_THROWS_WITH(adam.import_state(uneven),
                        Catch::Matchers::Contains("the Adam state vector v holds 3 values, another vector holds 2"));
    OptimizerState short_list = before;
    short_list.vectors.pop_back();
    REQUIRE_THROWS_WITH(adam.import_state(short_list),
                        Catch::Matchers::Contains("the Adam state has 2 vectors, Adam has 3"));
    const OptimizerState after = adam.export_state();
    CHECK(after.steps == before.steps);
    CHECK(after.vectors == before.vectors);
}
