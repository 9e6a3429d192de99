#pragma once
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <string>

namespace typenet {

/// A floating-point constant usable as a template argument (`Dropout<0.5>`), also with clang 14,
/// which has no floating-point template parameters: the value is kept as its bit pattern.
struct Real {
    std::uint64_t bits;
    consteval Real(double v) : bits(std::bit_cast<std::uint64_t>(v)) {}  // NOLINT: implicit on purpose
    /// `Dropout<0>` and `LeakyReLU<1>` read as the doubles they mean.
    consteval Real(int v) : Real(static_cast<double>(v)) {}  // NOLINT: implicit on purpose
    constexpr double value() const { return std::bit_cast<double>(bits); }
};

/// Appears in diagnostics as a Real's value, Numerator / Denominator: compilers print a Real template
/// argument as its bit pattern (g++: `Dropout<typenet::Real{4632233691727265792}>` for 50).
/// `fraction<0, 0>` stands for a value with no short decimal form (NaN, infinities, huge or tiny).
template <long long Numerator, unsigned long long Denominator>
struct fraction {};

namespace real_detail {

struct Fraction {
    long long numerator;
    unsigned long long denominator;
};

/// The shortest decimal n / 10^k (k ≤ 15) that reads back as v, reduced; {0, 0} if there is none.
consteval Fraction to_fraction(double v) {
    double power = 1;
    for (int k = 0; k <= 15; ++k, power *= 10) {
        // Beyond 2^53 n would not be exact; tested before multiplying (and false for NaN), because
        // clang rejects constant evaluation that produces a NaN or an infinity.
        if (!(v > -9e15 / power && v < 9e15 / power)) break;
        const double scaled = v * power;
        const auto n = static_cast<long long>(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
        if (static_cast<double>(n) / power != v) continue;
        auto d = static_cast<unsigned long long>(power);
        unsigned long long a = static_cast<unsigned long long>(n < 0 ? -n : n), b = d;
        while (b != 0) {
            const unsigned long long t = a % b;
            a = b;
            b = t;
        }
        return {n / static_cast<long long>(a), d / a};
    }
    return {0, 0};
}

}  // namespace real_detail

/// The fraction<...> that shows R's value in a diagnostic.
template <Real R>
using fraction_of =
    fraction<real_detail::to_fraction(R.value()).numerator, real_detail::to_fraction(R.value()).denominator>;

/// Shortest text that reads back as the same value ("0.5", "1e-05").
inline std::string to_string(Real r) {
    char text[32];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, r.value());
        if (std::strtod(text, nullptr) == r.value()) break;
    }
    return text;
}

}  // namespace typenet
