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
