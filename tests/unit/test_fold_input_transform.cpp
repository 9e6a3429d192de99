// fold_input_transform: an affine preprocessing folded into the first Dense gives the same outputs on
// raw input; anything else is refused and changes nothing.
#include <algorithm>
#include <cmath>
#include <vector>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

Matrix<float> samples(std::size_t rows, std::size_t cols, std::uint64_t seed, double offset) {
    const Matrix<double> d = testing::random_matrix(rows, cols, seed, 0.0, 2.0);
    Matrix<float> x = Matrix<float>::from_shape({rows, cols});
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)  // correlated features with offsets, as pixels are
            x(r, c) = static_cast<float>(offset * double(c + 1) + d(r, c) + 0.5 * d(r, (c + 1) % cols));
    return x;
}

double max_difference(const Matrix<float>& a, const Matrix<float>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::abs(a.data()[i] - b.data()[i])));
    return worst;
}

using Net = Seq<Dense<7, 9>, BatchNorm, ReLU, Dense<9, 3>>;

}  // namespace

TEST_CASE("a folded standardization and ZCA whitening give the same outputs on raw input", "[fold]") {
    const Matrix<float> train = samples(200, 7, 1, 3.0), raw = samples(40, 7, 2, 3.0);
    Standardize standardize;
    standardize.fit(train);
    Matrix<float> standardized = train;
    standardize.apply(standardized);
    ZCAWhitening whiten(0.1);
    whiten.fit(standardized);
    auto preprocess = [&](Matrix<float>& x) {
        standardize.apply(x);
        whiten.apply(x);
    };

    Net net{Seed{3}};
    Matrix<float> preprocessed = raw;
    preprocess(preprocessed);
    const Matrix<float> expected = net.predict(preprocessed);
    fold_input_transform(net, preprocess);
    CHECK(max_difference(net.predict(raw), expected) < 1e-4);
    // Not vacuous: the raw input through the original network differs.
    CHECK(max_difference(Net{Seed{3}}.predict(raw), expected) > 1e-2);
}

TEST_CASE("fold_input_transform refuses what it cannot fold and leaves the network unchanged", "[fold]") {
    Net net{Seed{4}};
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    REQUIRE_THROWS_WITH(fold_input_transform(net, [](Matrix<float>& x) { x = x * x; }),
                        Contains("the transform is not affine"));
    REQUIRE_THROWS_WITH(fold_input_transform(net, [](Matrix<float>& x) { x = Matrix<float>::from_shape({1, 7}); }),
                        Contains("changed the shape"));
    CHECK(std::ranges::equal(net.parameters(), before));
    Seq<Input<4>, ReLU, Dense<4, 2>> not_dense;
    REQUIRE_THROWS_WITH(fold_input_transform(not_dense, [](Matrix<float>&) {}), Contains("is not a Dense"));
}
