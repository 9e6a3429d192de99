// Preprocessors (statistics from the training split only) and train_validation_split.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <set>
#include <vector>

#include <typenet/data/mean_subtraction.hpp>
#include <typenet/data/min_max_scale.hpp>
#include <typenet/data/pca_whitening.hpp>
#include <typenet/data/split.hpp>
#include <typenet/data/standardize.hpp>
#include <typenet/data/zca_whitening.hpp>

#include "catch.hpp"

using namespace typenet;
using Catch::Matchers::Contains;

namespace {

Matrix<float> rows_of(std::initializer_list<std::initializer_list<float>> rows) {
    Matrix<float> m = Matrix<float>::from_shape({rows.size(), rows.begin()->size()});
    std::size_t i = 0;
    for (const auto& r : rows)
        for (float v : r) m.data()[i++] = v;
    return m;
}

/// Gaussian (n, d) data mixed by a fixed random matrix and offset: correlated, of varied scales.
Matrix<float> correlated(std::size_t n, std::size_t d, std::uint64_t seed, bool mix = true) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 1, 0);
    const Philox mix_rng(Seed{1234}, RandomPurpose::user, 2, 0);
    Matrix<double> a = Matrix<double>::from_shape({d, d});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = mix ? mix_rng.normal(i) : (i % (d + 1) == 0 ? 1.0 : 0.0);
    Matrix<float> x = Matrix<float>::from_shape({n, d});
    std::vector<double> z(d);
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t k = 0; k < d; ++k) z[k] = rng.normal(r * d + k);
        for (std::size_t c = 0; c < d; ++c) {
            double v = 3.0 * static_cast<double>(c) - 2.0;  // offset
            for (std::size_t k = 0; k < d; ++k) v += z[k] * a(k, c);
            x(r, c) = static_cast<float>(v);
        }
    }
    return x;
}

/// Population covariance of the columns, in double.
Matrix<double> covariance(const Matrix<float>& x) {
    const std::size_t n = x.shape(0), d = x.shape(1);
    std::vector<double> mean(d, 0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < d; ++c) mean[c] += x(r, c) / static_cast<double>(n);
    Matrix<double> cov = Matrix<double>::from_shape({d, d});
    cov.fill(0.0);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = 0; j < d; ++j) cov(i, j) += (x(r, i) - mean[i]) * (x(r, j) - mean[j]) / static_cast<double>(n);
    return cov;
}

double max_abs_deviation_from_identity(const Matrix<double>& m) {
    double worst = 0;
    for (std::size_t i = 0; i < m.shape(0); ++i)
        for (std::size_t j = 0; j < m.shape(1); ++j) worst = std::max(worst, std::abs(m(i, j) - (i == j ? 1.0 : 0.0)));
    return worst;
}

/// Mean squared distance between the rows of a and b.
double mean_sq_distance(const Matrix<float>& a, const Matrix<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a.data()[i] - b.data()[i]) * (a.data()[i] - b.data()[i]);
    return s / static_cast<double>(a.shape(0));
}

/// A random orthogonal (d, d) matrix (Gram-Schmidt of a Gaussian matrix, in double).
Matrix<double> random_rotation(std::size_t d, std::uint64_t seed) {
    const Philox rng(Seed{seed}, RandomPurpose::user, 3, 0);
    Matrix<double> q = Matrix<double>::from_shape({d, d});
    for (std::size_t i = 0; i < q.size(); ++i) q.data()[i] = rng.normal(i);
    for (std::size_t j = 0; j < d; ++j) {
        for (std::size_t k = 0; k < j; ++k) {
            double dot = 0;
            for (std::size_t i = 0; i < d; ++i) dot += q(i, j) * q(i, k);
            for (std::size_t i = 0; i < d; ++i) q(i, j) -= dot * q(i, k);
        }
        double norm = 0;
        for (std::size_t i = 0; i < d; ++i) norm += q(i, j) * q(i, j);
        for (std::size_t i = 0; i < d; ++i) q(i, j) /= std::sqrt(norm);
    }
    return q;
}

Matrix<float> times(const Matrix<float>& x, const Matrix<double>& q) {
    Matrix<float> out = Matrix<float>::from_shape({x.shape(0), q.shape(1)});
    for (std::size_t r = 0; r < x.shape(0); ++r)
        for (std::size_t j = 0; j < q.shape(1); ++j) {
            double s = 0;
            for (std::size_t k = 0; k < q.shape(0); ++k) s += x(r, k) * q(k, j);
            out(r, j) = static_cast<float>(s);
        }
    return out;
}

}  // namespace

// ---- contract shared by every preprocessor -------------------------------------------------------

TEMPLATE_TEST_CASE("preprocessors: apply before fit, wrong width, empty or non-finite data are errors", "[preprocess]",
                   MeanSubtraction, Standardize, MinMaxScale, PCAWhitening, ZCAWhitening) {
    TestType p;
    Matrix<float> x = correlated(20, 3, 1);
    REQUIRE_FALSE(p.fitted());
    REQUIRE_THROWS_WITH(p.apply(x), Contains("not fitted: call fit(train.x) first"));
    REQUIRE_THROWS_AS(p.transform(x), typenet::error);

    REQUIRE_THROWS_WITH(p.fit(Matrix<float>::from_shape({0, 3})), Contains("fit: the data is empty"));
    Matrix<float> bad = x;
    bad(4, 2) = std::nanf("");
    REQUIRE_THROWS_WITH(p.fit(bad), Contains("fit: NaN in x at row 4, column 2"));
    bad(4, 2) = INFINITY;
    REQUIRE_THROWS_WITH(p.fit(bad), Contains("infinite value in x at row 4, column 2"));

    p.fit(x);
    REQUIRE(p.fitted());
    Matrix<float> wide = correlated(5, 4, 2);
    REQUIRE_THROWS_WITH(p.apply(wide), Contains("x has 4 features, but fit saw 3"));
    REQUIRE_THROWS_AS(p.apply(wide), typenet::shape_error);
    CHECK(wide(0, 0) == correlated(5, 4, 2)(0, 0));  // untouched by the failed apply

    // transform == apply on a copy, and leaves its argument alone.
    const Matrix<float> before = x;
    const Matrix<float> t = p.transform(x);
    CHECK(std::equal(x.begin(), x.end(), before.begin()));
    p.apply(x);
    REQUIRE(t.shape() == x.shape());
    CHECK(std::equal(t.begin(), t.end(), x.begin()));
}

// ---- mean subtraction, standardization, min-max --------------------------------------------------

TEST_CASE("MeanSubtraction subtracts the training means from other data", "[preprocess]") {
    MeanSubtraction m;
    m.fit(rows_of({{1, 10}, {3, 20}, {8, 30}}));  // means 4, 20
    Matrix<float> test = rows_of({{0, 0}, {4, 25}});
    m.apply(test);
    CHECK(test(0, 0) == -4.0f);
    CHECK(test(0, 1) == -20.0f);
    CHECK(test(1, 0) == 0.0f);
    CHECK(test(1, 1) == 5.0f);
}

TEST_CASE("Standardize: test data is scaled with the training statistics", "[preprocess]") {
    // Column 0: mean 2.5, population variance 1.25; column 1 constant; column 2: mean 1, variance 5.
    const Matrix<float> train = rows_of({{1, 10, -2}, {2, 10, 0}, {3, 10, 2}, {4, 10, 4}});
    Matrix<float> test = rows_of({{10, 7, 1}, {2.5f, 10, -4}});
    Standardize s;
    s.fit(train);
    CHECK(s.mean()(0) == 2.5f);
    CHECK(s.stddev()(0) == Approx(std::sqrt(1.25)).epsilon(1e-7));
    CHECK(s.stddev()(1) == 1.0f);  // constant: divided by 1, not 0
    CHECK(s.stddev()(2) == Approx(std::sqrt(5.0)).epsilon(1e-7));
    s.apply(test);
    CHECK(test(0, 0) == Approx(7.5 / std::sqrt(1.25)).epsilon(1e-6));
    CHECK(test(0, 1) == -3.0f);
    CHECK(test(0, 2) == 0.0f);
    CHECK(test(1, 0) == 0.0f);
    CHECK(test(1, 1) == 0.0f);
    CHECK(test(1, 2) == Approx(-5.0 / std::sqrt(5.0)).epsilon(1e-6));
}

TEST_CASE("Standardize: training columns come out with mean 0 and std 1, constant ones as 0", "[preprocess]") {
    Matrix<float> x = correlated(1000, 6, 3);
    for (std::size_t r = 0; r < x.shape(0); ++r) {
        x(r, 1) *= 1000.0f;  // varied scales
        x(r, 4) = 7.25f;     // constant
    }
    Standardize s;
    s.fit(x);
    s.apply(x);
    for (std::size_t c = 0; c < x.shape(1); ++c) {
        double mean = 0, sq = 0;
        for (std::size_t r = 0; r < x.shape(0); ++r) mean += x(r, c);
        mean /= static_cast<double>(x.shape(0));
        for (std::size_t r = 0; r < x.shape(0); ++r) sq += (x(r, c) - mean) * (x(r, c) - mean);
        const double sd = std::sqrt(sq / static_cast<double>(x.shape(0)));
        CHECK(std::abs(mean) < 1e-6);
        if (c == 4) {
            for (std::size_t r = 0; r < x.shape(0); ++r) CHECK(x(r, c) == 0.0f);
        } else {
            CHECK(sd == Approx(1.0).epsilon(1e-5));
        }
    }
}

TEST_CASE("Standardize global: one mean and std over every value", "[preprocess]") {
    const Matrix<float> train = rows_of({{0, 2}, {4, 6}});  // mean 3, population variance 5
    Standardize s{Standardize::global};
    s.fit(train);
    CHECK(s.scope() == Standardize::Scope::global);
    CHECK(s.mean()(0) == 3.0f);
    CHECK(s.mean()(1) == 3.0f);
    CHECK(s.stddev()(1) == Approx(std::sqrt(5.0)).epsilon(1e-7));
    Matrix<float> test = rows_of({{3, 8}});
    s.apply(test);
    CHECK(test(0, 0) == 0.0f);
    CHECK(test(0, 1) == Approx(5.0 / std::sqrt(5.0)).epsilon(1e-6));

    Standardize constant{Standardize::global};
    constant.fit(rows_of({{2, 2}, {2, 2}}));
    CHECK(constant.stddev()(0) == 1.0f);
}

TEST_CASE("MinMaxScale maps the training range onto -1..1 and extrapolates beyond it", "[preprocess]") {
    const Matrix<float> train = rows_of({{0, -5, 3}, {10, 5, 3}, {5, 0, 3}});
    MinMaxScale m;
    m.fit(train);
    Matrix<float> t = m.transform(train);
    CHECK(t(0, 0) == -1.0f);
    CHECK(t(1, 0) == Approx(1.0f));
    CHECK(t(2, 0) == Approx(0.0f).margin(1e-6));  // FMA contraction may leave a last-bit residue
    CHECK(t(0, 1) == -1.0f);
    CHECK(t(1, 1) == Approx(1.0f));
    CHECK(t(2, 2) == 0.0f);  // constant feature: the middle of the range
    Matrix<float> test = rows_of({{20, -10, 100}});
    m.apply(test);
    CHECK(test(0, 0) == Approx(3.0f));
    CHECK(test(0, 1) == Approx(-2.0f));
    CHECK(test(0, 2) == 0.0f);

    MinMaxScale unit{0.0f, 1.0f};
    unit.fit(train);
    CHECK(unit.transform(train)(2, 0) == Approx(0.5f));
    REQUIRE_THROWS_WITH(MinMaxScale(1.0f, 1.0f), Contains("needs lo < hi"));

    MinMaxScale huge;
    huge.fit(rows_of({{-3e38f}, {3e38f}}));  // the range overflows float
    CHECK(huge.transform(rows_of({{0.0f}}))(0, 0) == Approx(0.0f).margin(1e-6));
}

// ---- whitening -----------------------------------------------------------------------------------

TEST_CASE("PCAWhitening: whitened training covariance is the identity; components are orthonormal", "[preprocess]") {
    const Matrix<float> x = correlated(4000, 5, 4);
    PCAWhitening pca{1e-9};
    pca.fit(x);
    const Matrix<float> y = pca.transform(x);
    REQUIRE(y.shape(1) == 5);
    CHECK(max_abs_deviation_from_identity(covariance(y)) < 1e-4);
    for (std::size_t j = 1; j < 5; ++j) CHECK(pca.eigenvalues()(j - 1) >= pca.eigenvalues()(j));
    const Matrix<float>& u = pca.components();
    for (std::size_t a = 0; a < 5; ++a)
        for (std::size_t b = 0; b < 5; ++b) {
            double dot = 0;
            for (std::size_t i = 0; i < 5; ++i) dot += u(i, a) * u(i, b);
            CHECK(dot == Approx(a == b ? 1.0 : 0.0).margin(1e-5));
        }
    // The eigenvalues are the variances along the components.
    const Matrix<double> cx = covariance(x);
    for (std::size_t j = 0; j < 5; ++j) {
        double v = 0;
        for (std::size_t a = 0; a < 5; ++a)
            for (std::size_t b = 0; b < 5; ++b) v += u(a, j) * cx(a, b) * u(b, j);
        CHECK(pca.eigenvalues()(j) == Approx(v).epsilon(1e-4));
    }
}

TEST_CASE("PCAWhitening: epsilon shrinks the variance to lambda / (lambda + epsilon)", "[preprocess]") {
    const Matrix<float> x = correlated(3000, 4, 5);
    PCAWhitening pca{0.5};
    pca.fit(x);
    const Matrix<double> c = covariance(pca.transform(x));
    for (std::size_t j = 0; j < 4; ++j) {
        const double lambda = pca.eigenvalues()(j);
        CHECK(c(j, j) == Approx(lambda / (lambda + 0.5)).epsilon(1e-3));
    }
}

TEST_CASE("PCAWhitening with fewer components reduces the width", "[preprocess]") {
    const Matrix<float> x = correlated(2000, 6, 6);
    PCAWhitening pca{1e-9, 2};
    pca.fit(x);
    Matrix<float> y = x;
    pca.apply(y);
    REQUIRE(y.shape(0) == 2000);
    REQUIRE(y.shape(1) == 2);
    CHECK(max_abs_deviation_from_identity(covariance(y)) < 1e-4);
    PCAWhitening too_many{1e-5, 7};
    REQUIRE_THROWS_WITH(too_many.fit(x), Contains("7 components asked of data with 6 features"));
    REQUIRE_THROWS_WITH(PCAWhitening(-1.0), Contains("epsilon must be finite and >= 0"));
}

TEST_CASE("Whitening applies the training mean and matrix to test data", "[preprocess]") {
    const Matrix<float> train = correlated(1500, 4, 7);
    const Matrix<float> test = correlated(10, 4, 8);
    ZCAWhitening zca{1e-3};
    zca.fit(train);
    const Matrix<float> y = zca.transform(test);
    const Matrix<float>& w = zca.matrix();
    for (std::size_t r = 0; r < test.shape(0); ++r)
        for (std::size_t j = 0; j < 4; ++j) {
            double expected = 0;
            for (std::size_t k = 0; k < 4; ++k) expected += (test(r, k) - zca.mean()(k)) * w(k, j);
            CHECK(y(r, j) == Approx(expected).epsilon(1e-5).margin(1e-5));
        }
    // The means are the training ones, not the test data's.
    for (std::size_t c = 0; c < 4; ++c) {
        double m = 0;
        for (std::size_t r = 0; r < train.shape(0); ++r) m += train(r, c);
        CHECK(zca.mean()(c) == Approx(m / 1500.0).epsilon(1e-6));
    }
}

TEST_CASE("ZCAWhitening whitens, and of all whitenings stays closest to the input", "[preprocess]") {
    const Matrix<float> x = correlated(4000, 5, 9);
    ZCAWhitening zca{1e-9};
    zca.fit(x);
    const Matrix<float> z = zca.transform(x);
    CHECK(max_abs_deviation_from_identity(covariance(z)) < 1e-4);
    const Matrix<float>& w = zca.matrix();
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 5; ++j) CHECK(w(i, j) == Approx(w(j, i)).epsilon(1e-5));

    MeanSubtraction centre;
    centre.fit(x);
    const Matrix<float> xc = centre.transform(x);
    PCAWhitening pca{1e-9};
    pca.fit(x);
    const Matrix<float> p = pca.transform(x);
    const double zca_distance = mean_sq_distance(xc, z);
    CHECK(zca_distance < mean_sq_distance(xc, p));
    // Every whitening is a rotation of another: none of these may come closer than ZCA.
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const Matrix<float> rotated = times(z, random_rotation(5, seed));
        CHECK(zca_distance <= mean_sq_distance(xc, rotated) + 1e-9);
    }
}

TEST_CASE("ZCAWhitening leaves already white data almost unchanged; PCA rotates it", "[preprocess]") {
    const Matrix<float> x = correlated(20000, 4, 10, false);  // independent unit normals
    ZCAWhitening zca{0.0};
    zca.fit(x);
    MeanSubtraction centre;
    centre.fit(x);
    const Matrix<float> xc = centre.transform(x);
    CHECK(mean_sq_distance(xc, zca.transform(x)) < 0.01 * 4);
    PCAWhitening pca{0.0};
    pca.fit(x);
    CHECK(mean_sq_distance(xc, pca.transform(x)) > 0.1);
}

TEST_CASE("Whitening rank-deficient data gives no NaN", "[preprocess]") {
    Matrix<float> x = correlated(500, 4, 11);
    for (std::size_t r = 0; r < x.shape(0); ++r) {
        x(r, 3) = x(r, 0);  // duplicate column
        x(r, 2) = 1.0f;     // constant column
    }
    for (double eps : {0.0, 1e-5}) {
        ZCAWhitening zca{eps};
        zca.fit(x);
        PCAWhitening pca{eps};
        pca.fit(x);
        const Matrix<float> a = zca.transform(x), b = pca.transform(x);
        CHECK(std::all_of(a.begin(), a.end(), [](float v) { return std::isfinite(v); }));
        CHECK(std::all_of(b.begin(), b.end(), [](float v) { return std::isfinite(v); }));
        CHECK(pca.eigenvalues()(3) == Approx(0.0).margin(1e-5));
    }
}

// ---- train/validation split ----------------------------------------------------------------------

namespace {
Dataset indexed(std::size_t n) {
    Dataset d;
    d.x = Matrix<float>::from_shape({n, 2});
    for (std::size_t i = 0; i < n; ++i) {
        d.x(i, 0) = static_cast<float>(i);
        d.x(i, 1) = -static_cast<float>(i);
        d.y.push_back(static_cast<int>(i % 7));
    }
    return d;
}
std::vector<std::size_t> ids(const Dataset& d) {
    std::vector<std::size_t> out;
    for (std::size_t r = 0; r < d.size(); ++r) out.push_back(static_cast<std::size_t>(d.x(r, 0)));
    return out;
}
}  // namespace

TEST_CASE("train_validation_split: sizes, a partition, rows and labels kept together", "[preprocess]") {
    const Dataset d = indexed(1000);
    const auto [train, validation] = train_validation_split(d, 0.2, Seed{5});
    REQUIRE(validation.size() == 200);
    REQUIRE(train.size() == 800);
    std::vector<std::size_t> all = ids(train);
    const std::vector<std::size_t> v = ids(validation);
    all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    std::vector<std::size_t> expected(1000);
    std::iota(expected.begin(), expected.end(), std::size_t{0});
    CHECK(all == expected);
    for (const Dataset* part : {&train, &validation})
        for (std::size_t r = 0; r < part->size(); ++r) {
            CHECK(part->x(r, 1) == -part->x(r, 0));
            CHECK(part->y[r] == static_cast<int>(static_cast<std::size_t>(part->x(r, 0)) % 7));
        }
    CHECK(std::is_sorted(v.begin(), v.end()));
    // A random choice, not a block: the validation part reaches into every tenth of the data.
    std::set<std::size_t> tenths;
    for (std::size_t i : v) tenths.insert(i / 100);
    CHECK(tenths.size() == 10);
}

TEST_CASE("train_validation_split is deterministic by seed", "[preprocess]") {
    const Dataset d = indexed(500);
    const auto a = train_validation_split(d, 0.3, Seed{42});
    const auto b = train_validation_split(d, 0.3, Seed{42});
    const auto c = train_validation_split(d, 0.3, Seed{43});
    CHECK(ids(a.validation) == ids(b.validation));
    CHECK(ids(a.train) == ids(b.train));
    CHECK(ids(a.validation) != ids(c.validation));
}

TEST_CASE("train_validation_split: edge fractions, unlabelled data, errors", "[preprocess]") {
    const Dataset d = indexed(10);
    CHECK(train_validation_split(d, 0.0, Seed{1}).validation.size() == 0);
    CHECK(train_validation_split(d, 1.0, Seed{1}).train.size() == 0);
    CHECK(train_validation_split(d, 0.25, Seed{1}).validation.size() == 3);  // round(2.5) = 3
    Dataset unlabelled{d.x, {}};
    const auto u = train_validation_split(unlabelled, 0.5, Seed{1});
    CHECK(u.train.size() == 5);
    CHECK(u.train.y.empty());
    REQUIRE_THROWS_WITH(train_validation_split(d, 1.5, Seed{1}), Contains("validation_fraction must be in [0, 1]"));
    REQUIRE_THROWS_WITH(train_validation_split(d, std::nan(""), Seed{1}), Contains("validation_fraction"));
    Dataset mismatched{d.x, {1, 2, 3}};
    REQUIRE_THROWS_WITH(train_validation_split(mismatched, 0.5, Seed{1}), Contains("10 samples but 3 labels"));
}
