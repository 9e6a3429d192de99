#include <cmath>
#include <numeric>
#include <vector>

#include "catch.hpp"
#include <typenet/train/average_checkpoints.hpp>
#include <typenet/train/ensemble.hpp>
#include <typenet/train/parameter_average.hpp>
#include <typenet/typenet.hpp>

using namespace typenet;

namespace {

using Tiny = BasicSeq<double, Dense<1, 1, Zeros>>;

Tiny with_weight(double w, double b) {
    Tiny net;
    net.parameters()[0] = w;
    net.parameters()[1] = b;
    return net;
}

/// A contiguous slice of a dataset.
Dataset slice(const Dataset& d, std::size_t first, std::size_t n) {
    Dataset s{Matrix<float>::from_shape({n, d.features()}),
              std::vector<int>(d.y.begin() + static_cast<std::ptrdiff_t>(first),
                               d.y.begin() + static_cast<std::ptrdiff_t>(first + n))};
    std::copy_n(d.x.data() + first * d.features(), n * d.features(), s.x.data());
    return s;
}

}  // namespace

TEST_CASE("EMA and Polyak averages follow their formulas; swap in/out restores exactly", "[ensemble]") {
    ParameterAverage<Tiny> ema(0.9), polyak;
    const std::vector<double> ws{1.0, 2.0, 4.0, -1.0};
    double expected_ema = 0;
    for (std::size_t k = 0; k < ws.size(); ++k) {
        const Tiny net = with_weight(ws[k], 0.5);
        ema.update(net);
        polyak.update(net);
        expected_ema = k == 0 ? ws[0] : 0.9 * expected_ema + 0.1 * ws[k];
    }
    CHECK(ema.count() == 4);
    CHECK(ema.values()[0] == Approx(expected_ema));
    CHECK(polyak.values()[0] == Approx(1.5));  // (1 + 2 + 4 − 1) / 4
    CHECK(polyak.values()[1] == Approx(0.5));

    Tiny net = with_weight(7.0, -3.0);
    polyak.swap_in(net);
    CHECK(net.parameters()[0] == Approx(1.5));
    CHECK_THROWS_AS(polyak.swap_in(net), typenet::error);
    polyak.swap_out(net);
    CHECK(net.parameters()[0] == 7.0);
    CHECK(net.parameters()[1] == -3.0);
    const double inside = polyak.with_average(net, [](Tiny& n) { return n.parameters()[0]; });
    CHECK(inside == Approx(1.5));
    CHECK(net.parameters()[0] == 7.0);
    CHECK_THROWS_AS(ParameterAverage<Tiny>(1.0), typenet::error);
    ParameterAverage<Tiny> empty;
    CHECK_THROWS_WITH(empty.swap_in(net), Catch::Contains("no update()"));
}

TEST_CASE("Polyak averaging of noisy SGD iterates beats the last iterate", "[ensemble]") {
    // Logistic regression on noisy data with a large constant learning rate: the iterates bounce
    // around the optimum and their average sits closer to it (Polyak & Juditsky 1992).
    const Philox rng(Seed{3}, RandomPurpose::user, 0, 0);
    auto make = [&](std::size_t n, std::size_t offset) {
        Dataset d{Matrix<float>::from_shape({n, 2}), std::vector<int>(n)};
        for (std::size_t i = 0; i < n; ++i) {
            d.y[i] = static_cast<int>(i % 2);
            d.x(i, 0) = static_cast<float>((d.y[i] ? 0.7 : -0.7) + rng.normal(2 * (i + offset)));
            d.x(i, 1) = static_cast<float>(rng.normal(2 * (i + offset) + 1));
        }
        return d;
    };
    const Dataset train = make(400, 0), test = make(2000, 1000);
    using Logistic = Seq<Dense<2, 2, Zeros>>;
    Logistic net;
    SGD opt{.lr = 2.0};
    ParameterAverage<Logistic> average;
    FitOptions o{.epochs = 6, .batch_size = 4, .seed = 2};
    o.verbose = false;
    o.on_batch = [&](BatchEvent& e) {
        if (e.epoch >= 3) average.update(net);
    };
    fit(net, train, SoftmaxCrossEntropy{}, opt, o);
    const double last = evaluate(net, test, SoftmaxCrossEntropy{}).loss;
    const double averaged = average.with_average(net, [&](Logistic& n) { return evaluate(n, test, SoftmaxCrossEntropy{}).loss; });
    INFO("last iterate " << last << ", Polyak average " << averaged);
    CHECK(averaged < last);
}

TEST_CASE("checkpoint averaging is the element-wise mean of parameters and buffers", "[ensemble]") {
    const std::vector<Tiny> nets{with_weight(1, 2), with_weight(3, -2), with_weight(5, 3)};
    const Tiny mean = average_checkpoints(nets);
    CHECK(mean.parameters()[0] == Approx(3.0));
    CHECK(mean.parameters()[1] == Approx(1.0));
    using WithBN = Seq<Dense<2, 3>, BatchNorm, Dense<3, 2>>;
    std::vector<WithBN> bn{WithBN{Seed{1}}, WithBN{Seed{2}}};
    bn[0].buffers()[0] = 1.0f;
    bn[1].buffers()[0] = 2.0f;
    CHECK(average_checkpoints(bn).buffers()[0] == Approx(1.5f));
    CHECK(average_checkpoints(bn).parameters()[4] == Approx((bn[0].parameters()[4] + bn[1].parameters()[4]) / 2));
    CHECK_THROWS_AS(average_checkpoints(std::vector<Tiny>{}), typenet::error);
}

TEST_CASE("an ensemble combines probabilities or votes", "[ensemble]") {
    using Net = BasicSeq<double, Dense<1, 3, Zeros>>;
    // Three members with fixed biases (logits independent of x).
    std::vector<Net> members(3);
    const double biases[3][3] = {{2, 0, 0}, {0, 2.2, 0}, {0, 2.1, 0}};
    for (std::size_t m = 0; m < 3; ++m) {
        auto t = members[m].named_tensors();
        for (std::size_t c = 0; c < 3; ++c) t[1].at(c) = biases[m][c];
    }
    const Ensemble<Net> e(members);
    const Matrix<double> x = {{0.0}, {1.0}};
    const Matrix<double> p = e.predict(x);
    double sum = 0;
    for (std::size_t c = 0; c < 3; ++c) sum += p(0, c);
    CHECK(sum == Approx(1.0));
    CHECK(e.predict_classes(x, Combine::majority_vote)[0] == 1);  // two votes for class 1
    CHECK(e.predict_classes(x)[0] == 1);
    // Tie in votes (one each among two members): the higher mean probability wins.
    const Ensemble<Net> two({members[0], members[1]});
    CHECK(two.predict_classes(x, Combine::majority_vote)[0] == 1);
    CHECK(Ensemble<Net>{}.size() == 0);
    CHECK_THROWS_WITH(Ensemble<Net>{}.predict(x), Catch::Contains("no members"));
}

TEST_CASE("on a Fashion-MNIST split, an ensemble of 5 seeds is at least as accurate as its mean member",
          "[ensemble][data]") {
    // The 10000 test images of Fashion-MNIST (Debian's dataset-fashion-mnist, installed by .ci/install-deps):
    // 3000 to train on, 2000 to evaluate.
    const std::string dir = "/usr/share/datasets/fashion-mnist";
    const Dataset all = load_idx(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    REQUIRE(all.size() == 10000);
    const Dataset train = slice(all, 0, 3000), test = slice(all, 3000, 2000);
    using Net = Seq<Dense<784, 32>, ReLU, Dense<32, 10>>;
    Ensemble<Net> ensemble(5, Seed{100});
    std::vector<double> member_accuracy;
    for (std::size_t m = 0; m < ensemble.size(); ++m) {
        Adam opt;
        fit(ensemble[m], train, SoftmaxCrossEntropy{}, opt,
            {.epochs = 3, .batch_size = 32, .seed = 10 + m, .verbose = false});
        member_accuracy.push_back(accuracy(ensemble[m], test));
    }
    const double mean = std::accumulate(member_accuracy.begin(), member_accuracy.end(), 0.0) / 5;
    const double averaged = accuracy(ensemble, test);
    const double voted = ensemble.accuracy(test, Combine::majority_vote);
    INFO("members: " << member_accuracy[0] << " " << member_accuracy[1] << " " << member_accuracy[2] << " "
                     << member_accuracy[3] << " " << member_accuracy[4] << "; mean " << mean << "; ensemble "
                     << averaged << " (vote " << voted << ")");
    CHECK(mean > 0.7);  // the members did learn
    CHECK(averaged >= mean);
    CHECK(voted >= mean - 0.01);
    WARN("Fashion-MNIST 3000/2000: members mean " << mean << ", ensemble " << averaged << ", vote " << voted);
}
