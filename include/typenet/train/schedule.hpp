#pragma once
#include <cmath>
#include <concepts>
#include <cstddef>
#include <numbers>
#include <string>
#include <utility>

#include "typenet/core/error.hpp"

namespace typenet {

/// A learning-rate schedule: lr = s(t) for t = 0, 1, 2, ... (epochs in fit(), or steps if the
/// caller counts steps). Every schedule below is a small value type; compose them with warmup().
template <class S>
concept Schedule = requires(const S& s, std::size_t t) {
    { s(t) } -> std::convertible_to<double>;
};

/// α0·factor^⌊t / every⌋ (torch.optim.lr_scheduler.StepLR with step_size = every, gamma = factor).
struct StepDecay {
    double initial = 0.1;
    double factor = 0.1;
    std::size_t every = 30;

    double operator()(std::size_t t) const {
        if (every == 0) throw error("StepDecay: `every` must be > 0");
        return initial * std::pow(factor, static_cast<double>(t / every));
    }
};

/// α0·e^(−k·t). (PyTorch's ExponentialLR is α0·γᵗ, the same schedule with γ = e^(−k).)
struct ExponentialDecay {
    double initial = 0.1;
    double k = 0.1;

    double operator()(std::size_t t) const { return initial * std::exp(-k * static_cast<double>(t)); }
};

/// α0 / (1 + k·t): the 1/t decay of stochastic approximation (Robbins–Monro step sizes).
struct InverseTimeDecay {
    double initial = 0.1;
    double k = 0.1;

    double operator()(std::size_t t) const { return initial / (1.0 + k * static_cast<double>(t)); }
};

/// minimum + (α0 − minimum)·(1 + cos(π·t/period))/2, then `minimum` after the period
/// (torch.optim.lr_scheduler.CosineAnnealingLR's closed form with T_max = period, eta_min = minimum,
/// without restarts).
struct CosineDecay {
    double initial = 0.1;
    std::size_t period = 100;
    double minimum = 0.0;

    double operator()(std::size_t t) const {
        if (period == 0) throw error("CosineDecay: `period` must be > 0");
        if (t >= period) return minimum;
        const double progress = static_cast<double>(t) / static_cast<double>(period);
        return minimum + (initial - minimum) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
    }
};

/// Linear warm-up in front of another schedule: for t < length the rate grows linearly from
/// start_factor·after(0) to after(0); from then on it is after(t − length), so the schedule after
/// the warm-up starts from its own beginning (PyTorch: SequentialLR(LinearLR, after)).
template <Schedule After>
struct LinearWarmup {
    std::size_t length = 5;
    After after{};
    double start_factor = 1.0 / 3.0;  // LinearLR's default

    double operator()(std::size_t t) const {
        if (t >= length) return after(t - length);
        const double fraction = static_cast<double>(t) / static_cast<double>(length);
        return after(0) * (start_factor + (1.0 - start_factor) * fraction);
    }
};

/// `warmup(5, CosineDecay{.initial = 0.1, .period = 95})`: 5 units of linear warm-up, then the schedule.
template <Schedule After>
LinearWarmup<After> warmup(std::size_t length, After after, double start_factor = 1.0 / 3.0) {
    return {length, std::move(after), start_factor};
}

/// A constant rate (what warmup() wraps when only a warm-up is wanted).
struct ConstantRate {
    double value = 0.1;
    double operator()(std::size_t) const { return value; }
};

}  // namespace typenet
