// The GEMM kernels against naive double-precision loops, for shapes that exercise every tile and tail.
// The templates only run kernels and convert results to double; every check is in plain functions, so
// each new shape costs the compiler the kernels, not another copy of the Catch2 assertions.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "typenet/simd/gemm.hpp"

namespace {

using namespace typenet::simd;

constexpr std::size_t batch_sizes[] = {0, 1, 3, 7, 64, 65};
// Written after every output array: a kernel storing past its last column or row would change it.
constexpr double guard_value = 12345.0;
constexpr std::size_t guard = 64;

// An exact (double) sum and the sum of the magnitudes of its terms, which bounds the rounding error.
struct Sum {
    double value = 0, magnitude = 0;
    void add(double p) {
        value += p;
        magnitude += std::fabs(p);
    }
};

// A sum of `terms` products computed in a type with unit roundoff u is within (terms + 2)·u·Σ|products|
// of the exact value (the classic γ_n bound, with slack for the final conversion).
double tolerance(double u, std::size_t terms, double magnitude) {
    return (static_cast<double>(terms) + 2.0) * u * magnitude + 1e-300;
}

void check_sums(const std::vector<double>& got, const std::vector<Sum>& want, std::size_t terms, double u) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0, first_bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!(std::fabs(got[i] - want[i].value) <= tolerance(u, terms, want[i].magnitude)) && bad++ == 0)
            first_bad = i;
    if (bad != 0) {
        INFO("element " << first_bad << ": got " << got[first_bad] << ", want " << want[first_bad].value
                        << " (magnitude " << want[first_bad].magnitude << ")");
        CHECK(bad == 0);
    }
}

void check_guard(const std::vector<double>& tail) {
    CHECK(std::all_of(tail.begin(), tail.end(), [](double v) { return v == guard_value; }));
}

void check_equal(const std::vector<double>& got, const std::vector<double>& want) { CHECK(got == want); }

template <class T>
std::vector<T> random_vector(std::size_t n, std::mt19937& gen) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<T> v(n + guard, static_cast<T>(guard_value));
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(u(gen));
    return v;
}

template <class T>
std::vector<T> guarded(std::size_t n, T fill) {
    std::vector<T> v(n + guard, static_cast<T>(guard_value));
    std::fill_n(v.begin(), n, fill);
    return v;
}

template <class T>
std::vector<double> to_double(const std::vector<T>& v, std::size_t from, std::size_t to) {
    return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to));
}

template <class T>
std::vector<double> body(const std::vector<T>& v, std::size_t n) {
    return to_double(v, 0, n);
}

template <class T>
std::vector<double> tail(const std::vector<T>& v, std::size_t n) {
    return to_double(v, n, v.size());
}

template <class T>
constexpr double unit_roundoff = std::numeric_limits<T>::epsilon();

// W (N, K) and its transpose Wᵀ (K, N), both in double for the references.
template <class T>
std::vector<T> transposed(const std::vector<T>& w, std::size_t rows, std::size_t cols) {
    auto t = guarded<T>(rows * cols, T{0});
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) t[c * rows + r] = w[r * cols + c];
    return t;
}

enum class Layout { in_out, out_in };

// Runs the forward product with W given in `layout`.
template <class T, std::size_t K, std::size_t N, class Ep>
void forward(Layout layout, std::size_t m, const std::vector<T>& x, const std::vector<T>& w,
             const std::vector<T>& wt, std::vector<T>& y, Ep&& ep, const ColumnStats<T>& stats) {
    if (layout == Layout::in_out) {
        gemm_forward<T, K, N>(m, x.data(), InOut<const T>{wt.data()}, y.data(), ep, stats);
    } else {
        auto scratch = guarded<T>(transposed_slab_size<T, K>, T{0});
        gemm_forward<T, K, N>(m, x.data(), OutIn<const T>{w.data()}, y.data(), scratch.data(), ep, stats);
        check_guard(tail(scratch, transposed_slab_size<T, K>));
    }
}

template <class T, std::size_t K, std::size_t N, bool WithBiasEpilogue>
void check_forward(Layout layout, std::size_t m, std::mt19937& gen) {
    const auto x = random_vector<T>(m * K, gen);
    const auto w = random_vector<T>(N * K, gen);
    const auto wt = transposed(w, N, K);
    const auto b = random_vector<T>(N, gen);
    std::vector<Sum> product(m * N);
    for (std::size_t r = 0; r < m; ++r)
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t k = 0; k < K; ++k)
                product[r * N + n].add(static_cast<double>(x[r * K + k]) * static_cast<double>(w[n * K + k]));
    auto with_bias = product;
    for (std::size_t i = 0; i < m * N; ++i) with_bias[i].add(static_cast<double>(b[i % N]));

    SECTION("plain product") {
        auto y = guarded<T>(m * N, T{0});
        forward<T, K, N>(layout, m, x, w, wt, y, NoEpilogue{}, {});
        check_guard(tail(y, m * N));
        check_sums(body(y, m * N), product, K, unit_roundoff<T>);
    }
    SECTION("bias and ReLU in the epilogue, column sums of what is stored") {
        auto y = guarded<T>(m * N, T{0});
        auto sum = guarded<T>(N, T{0}), sumsq = guarded<T>(N, T{0});
        // How often the epilogue was shown each element; every RegisterSpan must stay inside Y.
        std::vector<double> seen(m * N, 0.0);
        std::size_t outside = 0;
        auto relu_bias = [&](const batch<T>& acc, const RegisterSpan<T>& at) {
            if (at.row >= m || at.count == 0 || at.count > lanes<T> || at.col + at.count > N) ++outside;
            else
                for (std::size_t c = 0; c < at.count; ++c) seen[at.row * N + at.col + c] += 1;
            // select, not xsimd::max: g++ 12 warns inside _mm512_max_ps (its _mm512_undefined_ps).
            const batch<T> v = acc + at.load(b.data());
            return xsimd::select(v > batch<T>(T{0}), v, batch<T>(T{0}));
        };
        forward<T, K, N>(layout, m, x, w, wt, y, relu_bias, ColumnStats<T>{sum.data(), sumsq.data()});
        CHECK(outside == 0);
        check_equal(seen, std::vector<double>(m * N, 1.0));
        check_guard(tail(y, m * N));
        check_guard(tail(sum, N));
        check_guard(tail(sumsq, N));
        // |max(a, 0) - max(b, 0)| <= |a - b|: the same tolerance holds after the ReLU.
        auto want = with_bias;
        for (auto& s : want) s.value = std::max(s.value, 0.0);
        check_sums(body(y, m * N), want, K + 1, unit_roundoff<T>);
        std::vector<Sum> col_sum(N), col_sumsq(N);
        for (std::size_t i = 0; i < m * N; ++i) {
            const double v = static_cast<double>(y[i]);
            col_sum[i % N].add(v);
            col_sumsq[i % N].add(v * v);
        }
        check_sums(body(sum, N), col_sum, m, unit_roundoff<T>);
        check_sums(body(sumsq, N), col_sumsq, m + 1, unit_roundoff<T>);
    }
    if constexpr (WithBiasEpilogue) {
        SECTION("BiasEpilogue, and stats add to what is there") {
            auto y = guarded<T>(m * N, T{0});
            auto sum = guarded<T>(N, T{1});
            forward<T, K, N>(layout, m, x, w, wt, y, BiasEpilogue<T>{b.data()}, ColumnStats<T>{sum.data(), nullptr});
            check_guard(tail(y, m * N));
            check_guard(tail(sum, N));
            check_sums(body(y, m * N), with_bias, K + 1, unit_roundoff<T>);
            std::vector<Sum> col_sum(N);
            for (auto& s : col_sum) s.add(1.0);
            for (std::size_t i = 0; i < m * N; ++i) col_sum[i % N].add(static_cast<double>(y[i]));
            check_sums(body(sum, N), col_sum, m + 1, unit_roundoff<T>);
        }
    }
}

template <class T, std::size_t K, std::size_t N>
void check_input_gradient(Layout layout, std::size_t m, std::mt19937& gen) {
    const auto dy = random_vector<T>(m * N, gen);
    const auto w = random_vector<T>(N * K, gen);
    const auto wt = transposed(w, N, K);
    auto dx = random_vector<T>(m * K, gen);
    const auto before = dx;
    const Update update = GENERATE(Update::overwrite, Update::accumulate);
    if (layout == Layout::out_in) {
        gemm_input_gradient<T, K, N>(m, dy.data(), OutIn<const T>{w.data()}, dx.data(), update);
    } else {
        auto scratch = guarded<T>(transposed_slab_size<T, N>, T{0});
        gemm_input_gradient<T, K, N>(m, dy.data(), InOut<const T>{wt.data()}, dx.data(), scratch.data(), update);
        check_guard(tail(scratch, transposed_slab_size<T, N>));
    }
    std::vector<Sum> want(m * K);
    for (std::size_t r = 0; r < m; ++r)
        for (std::size_t k = 0; k < K; ++k) {
            Sum& s = want[r * K + k];
            if (update == Update::accumulate) s.add(static_cast<double>(before[r * K + k]));
            for (std::size_t n = 0; n < N; ++n)
                s.add(static_cast<double>(dy[r * N + n]) * static_cast<double>(w[n * K + k]));
        }
    check_guard(tail(dx, m * K));
    check_sums(body(dx, m * K), want, N + 1, unit_roundoff<T>);
}

template <class T, std::size_t K, std::size_t N>
void check_weight_gradient(Layout layout, std::size_t m, std::mt19937& gen) {
    const auto dy = random_vector<T>(m * N, gen);
    const auto x = random_vector<T>(m * K, gen);
    const auto before = random_vector<T>(N * K, gen);
    const Update update = GENERATE(Update::accumulate, Update::overwrite);
    auto dw = before;                     // (N, K)
    auto dwt = transposed(before, N, K);  // (K, N)
    if (layout == Layout::out_in)
        gemm_weight_gradient<T, K, N>(m, dy.data(), x.data(), OutIn<T>{dw.data()}, update);
    else
        gemm_weight_gradient<T, K, N>(m, dy.data(), x.data(), InOut<T>{dwt.data()}, update);
    check_guard(tail(dw, N * K));
    check_guard(tail(dwt, N * K));
    const auto got = layout == Layout::out_in ? dw : transposed(dwt, K, N);
    std::vector<Sum> want(N * K);
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t k = 0; k < K; ++k) {
            Sum& s = want[n * K + k];
            if (update == Update::accumulate) s.add(static_cast<double>(before[n * K + k]));
            for (std::size_t r = 0; r < m; ++r)
                s.add(static_cast<double>(dy[r * N + n]) * static_cast<double>(x[r * K + k]));
        }
    check_sums(body(got, N * K), want, m + 1, unit_roundoff<T>);
}

template <class T, std::size_t N>
void check_prologue(std::size_t m, std::mt19937& gen) {
    const auto dy = random_vector<T>(m * N, gen);
    const auto y = random_vector<T>(m * N, gen);
    auto out = guarded<T>(m * N, T{0});
    auto db = guarded<T>(N, T{0.5}), sq = guarded<T>(N, T{0});
    // ReLU's derivative, read from the saved forward output.
    auto relu_derivative = [&](const batch<T>& g, const RegisterSpan<T>& at) {
        return xsimd::select(at.load(y.data(), N) > batch<T>(T{0}), g, batch<T>(T{0}));
    };
    apply_prologue<T, N>(m, dy.data(), out.data(), relu_derivative, ColumnStats<T>{db.data(), sq.data()});
    std::vector<double> want(m * N);
    std::vector<Sum> col_sum(N), col_sumsq(N);
    for (auto& s : col_sum) s.add(0.5);
    for (std::size_t i = 0; i < m * N; ++i) {
        want[i] = y[i] > T{0} ? static_cast<double>(dy[i]) : 0.0;
        col_sum[i % N].add(want[i]);
        col_sumsq[i % N].add(want[i] * want[i]);
    }
    check_guard(tail(out, m * N));
    check_guard(tail(db, N));
    check_guard(tail(sq, N));
    check_equal(body(out, m * N), want);
    check_sums(body(db, N), col_sum, m + 1, unit_roundoff<T>);
    check_sums(body(sq, N), col_sumsq, m + 1, unit_roundoff<T>);
}

// WithBiasEpilogue instantiates the forward once more per layout; a few shapes suffice for that.
template <class T, std::size_t K, std::size_t N, bool WithBiasEpilogue = false>
void check_all(const char* label) {
    std::mt19937 gen(static_cast<unsigned>(K * 1000 + N));
    for (std::size_t m : batch_sizes)
        for (Layout layout : {Layout::in_out, Layout::out_in}) {
            DYNAMIC_SECTION(label << " M=" << m << " K=" << K << " N=" << N
                                  << (layout == Layout::in_out ? " W as InOut" : " W as OutIn")) {
                SECTION("forward") { check_forward<T, K, N, WithBiasEpilogue>(layout, m, gen); }
                SECTION("input gradient") { check_input_gradient<T, K, N>(layout, m, gen); }
                SECTION("weight gradient") { check_weight_gradient<T, K, N>(layout, m, gen); }
            }
        }
    for (std::size_t m : batch_sizes)
        DYNAMIC_SECTION(label << " prologue M=" << m << " N=" << N) { check_prologue<T, N>(m, gen); }
}

template <class T>
void check_transpose() {
    constexpr std::size_t n = lanes<T>;
    batch<T> r[n];
    alignas(64) T row[n];
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) row[j] = static_cast<T>(i * 100 + j);
        r[i] = batch<T>::load_aligned(row);
    }
    detail::transpose<T>(r);
    std::vector<double> got, want;
    for (std::size_t i = 0; i < n; ++i) {
        r[i].store_aligned(row);
        for (std::size_t j = 0; j < n; ++j) {
            got.push_back(static_cast<double>(row[j]));
            want.push_back(static_cast<double>(j * 100 + i));
        }
    }
    check_equal(got, want);
}

}  // namespace

TEST_CASE("Register transposes", "[gemm]") {
    check_transpose<float>();
    check_transpose<double>();
}

TEST_CASE("GEMM products on the MLP's shapes", "[gemm]") {
    check_all<float, 784, 256, true>("float");
    check_all<float, 256, 10, true>("float");
    check_all<float, 10, 256>("float");
    check_all<float, 8, 32>("float");
}

TEST_CASE("GEMM products on odd and prime shapes (every tail)", "[gemm]") {
    check_all<float, 1, 1>("float");
    check_all<float, 3, 5>("float");
    check_all<float, 17, 31>("float");
    check_all<float, 97, 13>("float");
    check_all<float, 33, 65>("float");
}

TEST_CASE("GEMM products in double", "[gemm]") {
    check_all<double, 1, 1>("double");
    check_all<double, 37, 29, true>("double");
    check_all<double, 784, 10>("double");
}
