#include <cstddef>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {

/// Two classes of 3-channel 10x10 images: a bright bar across the top half in channel 0, or down the
/// left half in channel 2, over noise; rows in PyTorch's (C, H, W) order.
Dataset bars(std::size_t n, std::uint64_t seed) {
    Dataset d{Matrix<float>::from_shape({n, 3 * 10 * 10}), std::vector<int>(n)};
    const Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const int label = static_cast<int>(s % 2);
        d.y[s] = label;
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t h = 0; h < 10; ++h)
                for (std::size_t w = 0; w < 10; ++w) {
                    const std::size_t i = c * 100 + h * 10 + w;
                    const bool bar = label == 0 ? (c == 0 && h < 5) : (c == 2 && w < 5);
                    d.x(s, i) = static_cast<float>(rng.uniform(s * 300 + i)) * 0.5f + (bar ? 0.8f : 0.0f);
                }
    }
    return d;
}

}  // namespace

TEST_CASE("A CNN with pooling and a residual block trains through fit", "[conv2d][residual][fit]") {
    using Net = Seq<Input<3, 10, 10>, Conv2D<3, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU, MaxPool2D<2>,
                    Residual<Conv2D<8, 8, 3, Padding<1>, NoBias>, BatchNorm, ReLU>, GlobalAvgPool2D, Dense<8, 2>>;
    const Dataset train = bars(200, 1), test = bars(100, 2);
    Net net{Seed{3}};
    Adam opt{.lr = 0.01f};
    const History h = fit(net, train, SoftmaxCrossEntropy{}, opt, {.epochs = 8, .batch_size = 20, .validation = &test, .seed = 5});
    REQUIRE(!h.epochs.empty());
    CHECK(accuracy(net, test) >= 0.95f);

    // The same run again: bitwise the same parameters.
    Net again{Seed{3}};
    Adam opt2{.lr = 0.01f};
    fit(again, train, SoftmaxCrossEntropy{}, opt2, {.epochs = 8, .batch_size = 20, .validation = &test, .seed = 5});
    CHECK(std::ranges::equal(net.parameters(), again.parameters()));
}
