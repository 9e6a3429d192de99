#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/simd/arch.hpp"

namespace typenet {

/// One row of a network summary.
struct LayerSummary {
    std::string name;
    std::string output_shape;
    std::size_t parameters = 0;
};

/// A Keras-style table: per layer its index, name, output shape and parameter count; then totals and
/// the SIMD instruction set the kernels were compiled for (a build without -march=native is ~3x slower).
inline std::string format_summary(const std::string& input_shape, const std::vector<LayerSummary>& rows) {
    std::size_t name_width = 5, shape_width = 12;
    for (const auto& r : rows) {
        name_width = std::max(name_width, r.name.size());
        shape_width = std::max(shape_width, r.output_shape.size());
    }
    auto pad = [](std::string s, std::size_t w) { return s.size() < w ? s + std::string(w - s.size(), ' ') : s; };
    auto line = [&](const std::string& index, const std::string& name, const std::string& shape,
                    const std::string& params) {
        return pad(index, 4) + "  " + pad(name, name_width) + "  " + pad(shape, shape_width) + "  " + params + "\n";
    };
    const std::string rule(4 + 2 + name_width + 2 + shape_width + 2 + 10, '-');
    std::string out = line("#", "Layer", "Output shape", "Params") + rule + "\n";
    out += line("", "input", input_shape, "");
    std::size_t total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out += line(std::to_string(i), rows[i].name, rows[i].output_shape, std::to_string(rows[i].parameters));
        total += rows[i].parameters;
    }
    out += rule + "\nTotal parameters: " + std::to_string(total) + "\n";
    out += "SIMD: " + simd::architecture() + "\n";
    return out;
}

}  // namespace typenet
