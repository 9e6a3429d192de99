#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/finite_check.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/escaped.hpp"
#include "typenet/io/file_kind.hpp"
#include "typenet/io/json_reader.hpp"
#include "typenet/io/read_file.hpp"

/// safetensors (Hugging Face's format) with PyTorch nn.Sequential keys and layouts: "0.weight" (out, in),
/// "0.bias", "1.running_mean", ..., "1.num_batches_tracked" as a 0-dimensional int64, so that
/// `model.load_state_dict(safetensors.torch.load_file(path))` works on the PyTorch side, and back.
namespace typenet::io {

namespace safetensors_detail {

inline bool is_step_counter(std::string_view key) { return key.ends_with("num_batches_tracked"); }

inline std::string shape_json(const std::vector<std::size_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

inline std::size_t dtype_size(std::string_view dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "F64" || dtype == "I64") return 8;
    return 0;
}

}  // namespace safetensors_detail

/// Writes every parameter and buffer of the network to `path` as safetensors, atomically. Refuses
/// (typenet::error naming the tensor and index, no file written) a network holding NaN or inf.
template <class Net>
void save_safetensors(const Net& net, const std::string& path) {
    using T = typename Net::scalar;
    detail::require_finite_network(net, "save_safetensors: " + path);
    std::string header = "{\"__metadata__\":{\"format\":\"pt\",\"typenet_signature\":\"" +
                         io::escaped(Net::signature()) + "\"}";
    std::string data;
    for (const auto& t : net.named_tensors()) {
        std::string dtype = sizeof(T) == 4 ? "F32" : "F64";
        std::vector<std::size_t> shape(t.info.dims.begin(), t.info.dims.begin() + t.info.rank);
        const std::size_t begin = data.size();
        if (safetensors_detail::is_step_counter(t.name)) {
            dtype = "I64";
            shape.clear();
            const auto count = static_cast<std::int64_t>(t.value[0]);
            data.append(reinterpret_cast<const char*>(&count), sizeof count);
        } else {
            // File order is PyTorch's row-major order of the logical shape.
            for (std::size_t k = 0; k < t.info.size(); ++k) {
                const T v = t.value[t.info.offset(t.info.unflatten(k))];
                data.append(reinterpret_cast<const char*>(&v), sizeof v);
            }
        }
        header += ",\"" + io::escaped(t.name) + "\":{\"dtype\":\"" + dtype +
                  "\",\"shape\":" + safetensors_detail::shape_json(shape) + ",\"data_offsets\":[" +
                  std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
    const std::uint64_t header_size = header.size();
    AtomicFileWriter file(path);
    file.write(&header_size, sizeof header_size);
    file.write(header);
    file.write(data);
    file.commit();
}

/// Loads a safetensors file with exactly this network's keys and shapes (float32 or float64 values;
/// num_batches_tracked as int64). Checks everything before changing the network.
template <class Net>
void load_safetensors(Net& net, const std::string& path) {
    using T = typename Net::scalar;
    const std::string bytes = read_file(path, "load_safetensors");
    auto fail = [&](const std::string& problem) -> void {
        throw error("load_safetensors: " + path + ": " + problem);
    };
    std::uint64_t header_size = 0;
    if (bytes.size() >= 8) std::memcpy(&header_size, bytes.data(), 8);
    // A safetensors file is a u64 header size, then a JSON object: anything else is another format.
    if (bytes.size() < 8 || header_size > bytes.size() - 8 || bytes[8] != '{')
        if (const std::string kind = describe_file_kind(bytes); !kind.empty())
            fail("not a safetensors file: it is " + kind);
    if (bytes.size() < 8) fail("truncated: " + std::to_string(bytes.size()) + " bytes, not even a header size");
    if (header_size > bytes.size() - 8)
        fail("not a safetensors file, or a truncated one: the header claims " + std::to_string(header_size) +
             " bytes, the file has " + std::to_string(bytes.size() - 8) + " after the size field");
    const JsonValue root = JsonReader(std::string_view(bytes).substr(8, header_size), "load_safetensors: " + path).parse();
    const JsonValue::Object* entries = root.object();
    if (!entries) fail("the header is not a JSON object");
    const std::string_view data = std::string_view(bytes).substr(8 + header_size);

    auto tensors = net.named_tensors();
    std::vector<T> staged;
    for (const auto& t : tensors) staged.resize(staged.size() + t.value.size());
    std::size_t staged_at = 0, matched = 0;  // every network key found once
    for (const auto& t : tensors) {
        const auto found = entries->find(t.name);
        if (found == entries->end()) fail("missing tensor \"" + t.name + "\" (" + Net::signature() + ")");
        ++matched;
        const JsonValue::Object* entry = found->second.object();
        const std::string* dtype = entry && entry->contains("dtype") ? entry->at("dtype").string() : nullptr;
        const JsonValue::Array* shape = entry && entry->contains("shape") ? entry->at("shape").array() : nullptr;
        const JsonValue::Array* offsets =
            entry && entry->contains("data_offsets") ? entry->at("data_offsets").array() : nullptr;
        if (!dtype || !shape || !offsets || offsets->size() != 2 || !(*offsets)[0].integer() || !(*offsets)[1].integer())
            fail("tensor \"" + t.name + "\" lacks a dtype, shape or data_offsets");
        const std::size_t element_size = safetensors_detail::dtype_size(*dtype);
        const bool counter = safetensors_detail::is_step_counter(t.name);
        if (element_size == 0 || (*dtype == "I64") != counter)
            fail("tensor \"" + t.name + "\" has dtype " + *dtype + "; expected " +
                 (counter ? "I64" : "F32 or F64"));
        std::vector<std::size_t> dims;
        for (const JsonValue& d : *shape) {
            if (!d.integer()) fail("tensor \"" + t.name + "\" has a non-integer dimension");
            dims.push_back(static_cast<std::size_t>(*d.integer()));
        }
        const std::vector<std::size_t> expected =
            counter ? std::vector<std::size_t>{}
                    : std::vector<std::size_t>(t.info.dims.begin(), t.info.dims.begin() + t.info.rank);
        if (dims != expected && !(counter && dims == std::vector<std::size_t>{1}))
            fail("tensor \"" + t.name + "\" has shape " + safetensors_detail::shape_json(dims) + ", the network's is " +
                 safetensors_detail::shape_json(expected));
        const std::uint64_t begin = *(*offsets)[0].integer(), end = *(*offsets)[1].integer();
        if (begin > end || end > data.size() || end - begin != t.value.size() * element_size)
            fail("tensor \"" + t.name + "\" has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] that do not fit its shape or the file (" + std::to_string(data.size()) + " data bytes)");
        for (std::size_t i = 0; i < t.value.size(); ++i) {
            const char* at = data.data() + begin + i * element_size;
            double v;
            if (*dtype == "F32") { float f; std::memcpy(&f, at, 4); v = f; }
            else if (*dtype == "F64") std::memcpy(&v, at, 8);
            else { std::int64_t n; std::memcpy(&n, at, 8); v = static_cast<double>(n); }
            if (!std::isfinite(v))
                fail(detail::non_finite_in(v, "tensor \"" + t.name + "\" at " + t.info.str(t.info.unflatten(i))));
            // File order is the logical row-major order; memory may hold another order.
            staged[staged_at + t.info.offset(t.info.unflatten(i))] = static_cast<T>(v);
        }
        staged_at += t.value.size();
    }
    if (matched + (entries->contains("__metadata__") ? 1 : 0) != entries->size())
        for (const auto& [key, value] : *entries) {
            bool known = key == "__metadata__";
            for (const auto& t : tensors) known = known || t.name == key;
            if (!known) fail("unexpected tensor \"" + key + "\": the network " + Net::signature() + " has no such key");
        }
    staged_at = 0;
    for (auto& t : tensors) {
        std::copy_n(staged.begin() + static_cast<std::ptrdiff_t>(staged_at), t.value.size(), t.value.begin());
        staged_at += t.value.size();
    }
}

}  // namespace typenet::io
