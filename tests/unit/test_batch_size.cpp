#include <algorithm>
// What docs/design.md ("Batch size and the last bits") promises about predictions and the batch size:
// bitwise the same for the same batch, within 1e-5·(1 + |y|) across batch sizes (the one-row kernel
// of the leftover rows sums in another order), bitwise across batch sizes that are multiples of 24.
#include <array>
#include <cmath>
#include <cstddef>
#include <random>

#include "catch.hpp"
#include "typenet/typenet.hpp"

using namespace typenet;

namespace {

template <class Net>
Matrix<float> random_rows(std::size_t rows) {
    std::mt19937 gen(11);
    std::normal_distribution<float> normal;
    Matrix<float> x = Matrix<float>::from_shape({rows, Net::input_size});
    for (auto& v : x) v = normal(gen);
    return x;
}

Matrix<float> first_rows(const Matrix<float>& x, std::size_t rows) { return xt::view(x, xt::range(0, rows), xt::all()); }

template <class Net>
void check_batch_sizes() {
    Net net{Seed{5}};
    constexpr std::size_t out = Net::output_size;
    const Matrix<float> x = random_rows<Net>(72);
    const Matrix<float> reference = net.predict(x);
    std::size_t differing_rows = 0;
    for (std::size_t m = 1; m <= 72; ++m) {
        const Matrix<float> xs = first_rows(x, m);
        const Matrix<float> y = net.predict(xs);
        const Matrix<float> again = net.predict(xs);
        CHECK(std::equal(y.begin(), y.end(), again.begin()));  // the same batch: bitwise
        for (std::size_t r = 0; r < m; ++r) {
            bool same = true;
            for (std::size_t c = 0; c < out; ++c) {
                CHECK(std::abs(y(r, c) - reference(r, c)) <= 1e-5f * (1 + std::abs(reference(r, c))));
                same = same && y(r, c) == reference(r, c);
            }
            // Batches of 24 and 48 take the same kernels as 72 for every row.
            if (m % 24 == 0) CHECK(same);
            differing_rows += !same;
        }
    }
    // Not a promise, a sanity check of the test: the kernels do differ somewhere, or the tolerance
    // above would be untested.
    CHECK(differing_rows > 0);

    std::array<float, Net::input_size> sample;
    for (std::size_t i = 0; i < sample.size(); ++i) sample[i] = x(0, i);
    const std::array<float, out> one = net.predict(sample);
    const Matrix<float> batch_of_one = net.predict(first_rows(x, 1));
    for (std::size_t c = 0; c < out; ++c) CHECK(one[c] == batch_of_one(0, c));  // a batch of 1: bitwise
}

}  // namespace

TEST_CASE("predictions agree across batch sizes within the documented tolerance", "[seq][determinism]") {
    check_batch_sizes<Seq<Dense<784, 256>, ReLU, Dense<256, 10>>>();      // the card network
    check_batch_sizes<Seq<Dense<20, 70>, BatchNorm, Tanh, Dense<70, 3>>>();  // fewer outputs than lanes
    check_batch_sizes<Seq<Dense<13, 33>, ReLU, Dense<33, 1>>>();          // one output
}
