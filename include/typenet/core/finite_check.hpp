#pragma once
/// \file Finding, naming and refusing NaN and infinite values: the checks train_step runs on its batch
/// and its loss, the one save, save_safetensors and export_header run on the network, and the wording
/// every such message shares.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/simd/arch.hpp"

namespace typenet::detail {

/// "NaN in <where>" or "infinite value in <where>": the wording of every message about a non-finite value.
inline std::string non_finite_in(double value, const std::string& where) {
    return std::string(std::isnan(value) ? "NaN" : "infinite value") + " in " + where;
}

/// "<name> at row r, column c" for element `index` of a row-major matrix with `columns` columns.
inline std::string matrix_cell(const std::string& name, std::size_t index, std::size_t columns) {
    return name + " at row " + std::to_string(index / columns) + ", column " + std::to_string(index % columns);
}

/// Index of the first NaN or ±inf in data[0..n), or n. x·0 + acc stays 0 while every x is finite and
/// becomes NaN at the first that is not, so a chunk costs one FMA per register (eight independent
/// sums hide its latency) and one test; only a chunk that fails the test is searched element by element.
template <class T>
std::size_t first_non_finite(const T* data, std::size_t n) {
    using V = simd::batch<T>;
    constexpr std::size_t lanes = V::size, sums = 8, chunk = 8 * sums * lanes;
    const V zero(T{0});
    std::size_t i = 0;
    for (; i + chunk <= n; i += chunk) {
        V acc[sums];
        for (V& a : acc) a = zero;
        for (std::size_t j = i; j < i + chunk; j += sums * lanes)
            for (std::size_t k = 0; k < sums; ++k)
                acc[k] = xsimd::fma(V::load_unaligned(data + j + k * lanes), zero, acc[k]);
        for (std::size_t k = 1; k < sums; ++k) acc[0] += acc[k];
        if (!xsimd::all(acc[0] == acc[0])) break;
    }
    for (; i < n; ++i)
        if (!std::isfinite(data[i])) return i;
    return n;
}

/// Where element `index` of a network's parameters (or, with `buffer`, of its buffers) lies, as
/// `tensor "3.weight" at [i, j]` in PyTorch's logical indices (memory may hold the transpose).
template <class Net>
std::string locate(const Net& net, std::size_t index, bool buffer) {
    std::size_t offset = 0;
    for (const auto& t : net.named_tensors()) {
        if (t.is_buffer != buffer) continue;
        if (index < offset + t.value.size()) {
            return "tensor \"" + t.name + "\" at " + t.info.str(t.info.logical(index - offset));
        }
        offset += t.value.size();
    }
    return "no tensor";  // unreachable: index is below the network's count
}

/// The message for value v at element `index` of a network's parameters (or buffers): "NaN in the
/// parameters at index 41 (tensor "3.weight" at [1, 2])".
template <class Net>
std::string non_finite_value(const Net& net, std::size_t index, bool buffer, double v) {
    return non_finite_in(v, std::string(buffer ? "the buffers" : "the parameters") + " at index " +
                                std::to_string(index) + " (" + locate(net, index, buffer) + ")");
}

/// Throws typenet::error "<who>: NaN in the parameters at index ... ; nothing was written" if a
/// parameter or buffer of the network is not finite: what save, save_safetensors and export_header run
/// before they create a file, since load refuses such a file.
template <class Net>
void require_finite_network(const Net& net, const std::string& who) {
    for (const bool buffer : {false, true}) {
        const auto values = buffer ? net.buffers() : net.parameters();
        if (const std::size_t i = first_non_finite(values.data(), values.size()); i < values.size())
            throw error(who + ": " + non_finite_value(net, i, buffer, static_cast<double>(values[i])) +
                        "; nothing was written");
    }
}

/// Throws typenet::error "<who>: NaN in x at row r, column c; ..." unless every input is finite.
template <class T>
void require_finite_input(const T* x, std::size_t rows, std::size_t columns, const char* who) {
    if (const std::size_t i = first_non_finite(x, rows * columns); i < rows * columns)
        throw error(std::string(who) + ": " + non_finite_in(static_cast<double>(x[i]), matrix_cell("x", i, columns)) +
                    "; the batch was refused before the forward pass, nothing changed");
}

/// Throws typenet::error unless the loss of a training step is finite.
template <class T>
void require_finite_loss(T loss, const char* who) {
    if (!std::isfinite(loss))
        throw error(std::string(who) + ": the loss is " + std::to_string(loss) +
                    " (the outputs were finite: the loss overflowed, or its targets or settings are wrong); the "
                    "step was refused before backward, nothing changed");
}

/// Undoes, unless dismissed, what a train_step's forward pass changed besides the parameters: the
/// running statistics (buffers) and the step count, so a refused step leaves the network as it was.
/// The copy is of the buffers only (BatchNorm: 2 values per feature; W1 copies 2 KiB a step), into
/// per-thread storage that keeps its capacity, so steps after the first allocate nothing.
template <class T>
class StepRollback {
public:
    StepRollback(std::span<T> buffers, std::uint64_t& steps) : buffers_(buffers), steps_(steps), saved_steps_(steps) {
        saved().assign(buffers.begin(), buffers.end());
    }
    StepRollback(const StepRollback&) = delete;
    StepRollback& operator=(const StepRollback&) = delete;
    ~StepRollback() {
        if (!armed_) return;
        std::copy(saved().begin(), saved().end(), buffers_.begin());
        steps_ = saved_steps_;
    }
    /// The step went through: keep what it changed.
    void dismiss() { armed_ = false; }

private:
    static std::vector<T>& saved() {
        thread_local std::vector<T> values;
        return values;
    }
    std::span<T> buffers_;
    std::uint64_t& steps_;
    std::uint64_t saved_steps_;
    bool armed_ = true;
};

}  // namespace typenet::detail
