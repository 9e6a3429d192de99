#pragma once
/// \file The shared law suite every layer passes (DESIGN §1.6): the Layer concept, output shapes,
/// gradients of the input and of every parameter tensor against central differences in double with a
/// non-uniform upstream gradient, in both modes; eval consistency; determinism; state round trip.
/// Use: `typenet::testing::check_laws<typenet::Input<6>, typenet::ReLU>();`
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <typenet/typenet.hpp>

#include "catch.hpp"

namespace typenet::testing {

/// How a law-suite run draws its data.
struct LawOptions {
    std::size_t batch = 5;
    std::uint64_t seed = 7;
    /// Inputs are drawn from ±[input_min, input_max]; keeping them off 0 keeps ReLU-like kinks away
    /// from the finite-difference stencil.
    double input_min = 0.1, input_max = 1.0;
    double step = 1e-6;
    /// Per element: |analytic − numeric| ≤ tolerance·max(|analytic|, |numeric|) + floor·(largest |numeric| of the tensor).
    double tolerance = 1e-6;
    double floor = 1e-9;
    /// Also check gradients after a forward in Mode::Eval.
    bool check_eval_gradients = true;
    /// Whether another seed gives other initial parameters; false when every parameter starts at a fixed
    /// value (BatchNorm: γ = 1, β = 0, as in PyTorch), and then the law is that the seed does not matter.
    bool random_initialization = true;
    /// Parameter tensors ("0.bias") whose train-mode gradient is zero by construction: the bias of a Dense
    /// right before BatchNorm, whose shift the normalization removes. Central differences of a constant
    /// are rounding noise, so for them the law is that both gradients vanish.
    std::vector<std::string> zero_gradient_in_train{};
};

/// A deterministic (rows, cols) matrix with entries in ±[lo, hi], signs mixed.
inline Matrix<double> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed, double lo, double hi) {
    Philox rng(Seed{seed}, RandomPurpose::user, 0, 0);
    Matrix<double> m = Matrix<double>::from_shape({rows, cols});
    for (std::size_t i = 0; i < m.size(); ++i) {
        const double u = rng.uniform(2 * i), s = rng.uniform(2 * i + 1);
        m.data()[i] = (s < 0.5 ? -1.0 : 1.0) * (lo + (hi - lo) * u);
    }
    return m;
}

/// Σ upstream ⊙ output: the scalar whose gradient w.r.t. the output is `upstream`.
inline double weighted_sum(const Matrix<double>& output, const Matrix<double>& upstream) {
    double s = 0;
    for (std::size_t i = 0; i < output.size(); ++i) s += output.data()[i] * upstream.data()[i];
    return s;
}

/// Central differences of f with respect to every element of `values`.
template <class F>
std::vector<double> central_differences(std::span<double> values, F&& f, const LawOptions& o) {
    std::vector<double> numeric(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double saved = values[i];
        values[i] = saved + o.step;
        const double up = f();
        values[i] = saved - o.step;
        const double down = f();
        values[i] = saved;
        numeric[i] = (up - down) / (2 * o.step);
    }
    return numeric;
}

/// Compares an analytic gradient with central differences of f at every element of `values`.
template <class F>
void check_against_central_differences(const std::string& what, std::span<double> values,
                                       std::span<const double> analytic, F&& f, const LawOptions& o) {
    const std::vector<double> numeric = central_differences(values, f, o);
    double scale = 0;
    for (double n : numeric) scale = std::max(scale, std::abs(n));
    INFO(what << ": largest |numeric gradient| = " << scale);
    // A gradient that is zero everywhere proves nothing (tiny-dnn's check passed vacuously for years).
    CHECK(scale > 1e-9);
    double worst = 0;
    std::size_t worst_at = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double err = std::abs(analytic[i] - numeric[i]);
        const double allowed = o.tolerance * std::max(std::abs(analytic[i]), std::abs(numeric[i])) + o.floor * scale;
        if (err / allowed > worst) worst = err / allowed, worst_at = i;
    }
    INFO(what << ": worst element " << worst_at << " analytic " << analytic[worst_at] << " numeric "
              << numeric[worst_at] << " (error / allowed = " << worst << ")");
    CHECK(worst <= 1.0);
}

/// For a gradient that is zero by construction: the analytic one is zero up to rounding, and central
/// differences see no change beyond rounding noise (so a tensor listed by mistake fails).
template <class F>
void check_zero_gradient(const std::string& what, std::span<double> values, std::span<const double> analytic, F&& f,
                         const LawOptions& o) {
    const std::vector<double> numeric = central_differences(values, f, o);
    double largest_numeric = 0, largest_analytic = 0;
    for (double n : numeric) largest_numeric = std::max(largest_numeric, std::abs(n));
    for (double a : analytic) largest_analytic = std::max(largest_analytic, std::abs(a));
    INFO(what << " should vanish: largest |analytic| = " << largest_analytic << ", largest |numeric| = "
              << largest_numeric);
    CHECK(largest_analytic <= 1e-12);
    CHECK(largest_numeric <= 1e-7);
}

/// Gradient laws for one mode: input gradient and every parameter tensor.
template <class Net>
void check_gradients(const Net& fresh, const Matrix<double>& x0, const Matrix<double>& upstream, Mode mode,
                     const LawOptions& o) {
    const std::string mode_name = mode == Mode::Train ? "train" : "eval";
    Net analytic = fresh;
    analytic.forward(x0, mode);
    analytic.zero_grad();
    const Matrix<double> dx = analytic.backward(upstream);

    // Each probe starts from the same state (same step, hence the same dropout masks).
    Matrix<double> x = x0;
    auto loss_at_x = [&] {
        Net probe = fresh;
        return weighted_sum(probe.forward(x, mode), upstream);
    };
    check_against_central_differences("d/dx (" + mode_name + ")", {x.data(), x.size()}, {dx.data(), dx.size()},
                                      loss_at_x, o);

    Net perturbed = fresh;
    auto loss_at_params = [&] {
        Net probe = perturbed;
        return weighted_sum(probe.forward(x0, mode), upstream);
    };
    auto analytic_tensors = analytic.named_tensors();
    auto perturbed_tensors = perturbed.named_tensors();
    for (std::size_t t = 0; t < perturbed_tensors.size(); ++t) {
        if (perturbed_tensors[t].is_buffer) continue;
        const auto& a = analytic_tensors[t].gradient;
        const std::string what = "d/d " + perturbed_tensors[t].name + " (" + mode_name + ")";
        if (mode == Mode::Train && std::ranges::count(o.zero_gradient_in_train, perturbed_tensors[t].name) > 0)
            check_zero_gradient(what, perturbed_tensors[t].value, {a.data(), a.size()}, loss_at_params, o);
        else
            check_against_central_differences(what, perturbed_tensors[t].value, {a.data(), a.size()}, loss_at_params,
                                              o);
    }
}

/// Every law for the network Seq<Specs...>, over double (gradients) and float (shapes).
template <class... Specs>
void check_laws(const LawOptions& o = {}) {
    using NetD = BasicSeq<double, Specs...>;
    using NetF = BasicSeq<float, Specs...>;
    const std::string name = NetD::summary();
    INFO("network:\n" << name);

    // The Layer concept holds for every bound layer.
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        static_assert((Layer<std::remove_cvref_t<decltype(std::declval<NetD&>().template layer<I>())>> && ...));
    }(std::make_index_sequence<NetD::layer_count>{});

    const Matrix<double> x = random_matrix(o.batch, NetD::input_size, o.seed, o.input_min, o.input_max);
    // Non-uniform upstream gradient: an all-ones upstream hides errors that cancel in sums.
    const Matrix<double> upstream = random_matrix(o.batch, NetD::output_size, o.seed + 1, 0.2, 2.0);

    SECTION("shapes") {
        NetD net{Seed{o.seed}};
        const Matrix<double> y = net.forward(x, Mode::Train);
        CHECK(y.shape(0) == o.batch);
        CHECK(y.shape(1) == NetD::output_size);
        CHECK(net.backward(upstream).shape(1) == NetD::input_size);
        CHECK(net.predict(x).shape(1) == NetD::output_size);
        NetF netf{Seed{o.seed}};
        CHECK(netf.predict(Matrix<float>::from_shape({3, NetF::input_size})).shape(1) == NetF::output_size);
        CHECK(net.predict(Matrix<double>::from_shape({0, NetD::input_size})).shape(0) == 0);
        CHECK_THROWS_AS(net.predict(Matrix<double>::from_shape({2, NetD::input_size + 1})), typenet::error);
    }

    SECTION("gradients, train mode") {
        NetD net{Seed{o.seed}};
        net.forward(x, Mode::Train);  // running statistics away from their initial values
        check_gradients(net, x, upstream, Mode::Train, o);
    }

    SECTION("gradients, eval mode") {
        if (o.check_eval_gradients) {
            NetD net{Seed{o.seed}};
            net.forward(x, Mode::Train);
            check_gradients(net, x, upstream, Mode::Eval, o);
        }
    }

    SECTION("predict is forward in eval mode, row by row") {
        NetD net{Seed{o.seed}};
        net.forward(x, Mode::Train);
        const Matrix<double> p = net.predict(x);
        const Matrix<double> f = net.forward(x, Mode::Eval);
        for (std::size_t r = 0; r < o.batch; ++r) {
            std::array<double, NetD::input_size> row;
            std::copy_n(x.data() + r * NetD::input_size, NetD::input_size, row.begin());
            const auto single = net.predict(row);
            for (std::size_t c = 0; c < NetD::output_size; ++c) {
                CHECK(p(r, c) == Approx(f(r, c)).epsilon(1e-12).margin(1e-12));
                CHECK(single[c] == Approx(p(r, c)).epsilon(1e-12).margin(1e-12));
            }
        }
    }

    SECTION("deterministic for a seed") {
        NetD a{Seed{o.seed}}, b{Seed{o.seed}};
        CHECK(std::ranges::equal(a.parameters(), b.parameters()));
        CHECK(std::ranges::equal(a.buffers(), b.buffers()));
        const Matrix<double> ya = a.forward(x, Mode::Train), yb = b.forward(x, Mode::Train);
        CHECK(std::equal(ya.begin(), ya.end(), yb.begin()));
        if constexpr (NetD::parameter_count > 0) {
            NetD c{Seed{o.seed + 1}};
            CHECK(std::ranges::equal(a.parameters(), c.parameters()) != o.random_initialization);
        }
    }

    SECTION("fused stages == the per-layer reference") {
        for (const Mode mode : {Mode::Train, Mode::Eval}) {
            NetD fused{Seed{o.seed}}, reference{Seed{o.seed}};
            reference.set_fused(false);
            fused.forward(x, Mode::Train);
            reference.forward(x, Mode::Train);
            const Matrix<double> yf = fused.forward(x, mode), yr = reference.forward(x, mode);
            fused.zero_grad();
            reference.zero_grad();
            const Matrix<double> dxf = fused.backward(upstream), dxr = reference.backward(upstream);
            const auto close = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); };
            CHECK(std::equal(yf.begin(), yf.end(), yr.begin(), close));
            CHECK(std::equal(dxf.begin(), dxf.end(), dxr.begin(), close));
            CHECK(std::ranges::equal(fused.gradients(), reference.gradients(), close));
            CHECK(std::ranges::equal(fused.buffers(), reference.buffers(), close));
            const Matrix<double> pf = fused.predict(x), pr = reference.predict(x);
            CHECK(std::equal(pf.begin(), pf.end(), pr.begin(), close));
        }
    }

    SECTION("state round trip") {
        NetD trained{Seed{o.seed}};
        trained.forward(x, Mode::Train);
        NetD copy{Seed{o.seed + 99}};
        std::ranges::copy(trained.parameters(), copy.parameters().begin());
        std::ranges::copy(trained.buffers(), copy.buffers().begin());
        const Matrix<double> a = trained.predict(x), b = copy.predict(x);
        CHECK(std::equal(a.begin(), a.end(), b.begin()));
    }
}

}  // namespace typenet::testing
