#pragma once
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/finite_check.hpp"
#include "typenet/core/layer.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/checksum.hpp"
#include "typenet/io/read_file.hpp"
#include "typenet/optim/optimizer_state.hpp"

/// typenet's own model file (`.tnet`), little-endian. Version 1 (what `net.save` writes):
///   "TYPENET\0" | u32 version | u32 scalar bytes | u32 n + n bytes signature |
///   u64 parameter count | u64 buffer count | u64 train steps | parameters | buffers | u64 FNV-1a of all before
/// Version 2 (a checkpoint, `save_checkpoint`) inserts a training section before the checksum:
///   u64 network seed | u32 k + k bytes optimizer kind | u64 optimizer steps | u32 vector count |
///   per vector: u64 length (0 or the parameter count) + length f64
/// Model files stay version 1 so that older typenet builds keep reading them; the reader takes
/// both, and `net.load` of a checkpoint loads its network part.
/// The signature is the network type's (BasicSeq::signature()): loading into another type fails
/// with both signatures in the message. Loading checks everything before it changes anything.
namespace typenet::io {

static_assert(std::endian::native == std::endian::little, "typenet's file formats assume a little-endian host");

inline constexpr char native_magic[8] = {'T', 'Y', 'P', 'E', 'N', 'E', 'T', '\0'};
/// The version of model files (network only).
inline constexpr std::uint32_t native_version = 1;
/// The version of checkpoints (network + seed + optimizer state).
inline constexpr std::uint32_t native_checkpoint_version = 2;

/// Grants the loaders write access to a network's step counter and seed.
struct NativeFormatAccess {
    template <class Net>
    static void set_train_steps(Net& net, std::uint64_t steps) { net.train_steps_ = steps; }
    template <class Net, class Seed>
    static void set_seed(Net& net, Seed seed) { net.seed_ = seed; }
};

namespace native_detail {

template <class T>
void append(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

/// Reads fixed-size fields from the file's bytes, with the caller and the file name in every error.
class Reader {
public:
    Reader(const std::string& bytes, const std::string& path, std::string where = "load")
        : bytes_(bytes), path_(path), where_(std::move(where)) {}

    template <class T>
    T get(const char* field) {
        T value;
        need(sizeof(T), field);
        std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return value;
    }
    std::string get_bytes(std::size_t n, const char* field) {
        need(n, field);
        std::string s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    const char* here() const { return bytes_.data() + pos_; }
    void skip(std::size_t n, const char* field) {
        need(n, field);
        pos_ += n;
    }
    std::size_t position() const { return pos_; }
    [[noreturn]] void fail(const std::string& problem) const { throw error(where_ + ": " + path_ + ": " + problem); }

private:
    void need(std::size_t n, const char* field) const {
        if (bytes_.size() - pos_ < n)
            fail(std::string("truncated: the file ends inside the ") + field + " (" + std::to_string(bytes_.size()) +
                 " bytes)");
    }
    const std::string& bytes_;
    const std::string& path_;
    std::string where_;
    std::size_t pos_ = 0;
};

/// What a file holds, checked and staged in memory before anything is changed.
template <class T>
struct Staged {
    std::uint64_t train_steps = 0;
    std::vector<T> values;  ///< parameters, then buffers
    std::optional<std::uint64_t> seed;
    std::optional<OptimizerState> optimizer;
};

// More state vectors than any optimizer has: refused before anything is allocated for them.
inline constexpr std::uint32_t max_state_vectors = 16;

/// The file up to the buffers (the part both versions share).
template <class Net>
std::string network_part(const Net& net, std::uint32_t version, std::size_t extra) {
    using T = typename Net::scalar;
    const std::string signature = Net::signature();
    std::string out;
    out.reserve(64 + signature.size() + (Net::parameter_count + Net::buffer_count) * sizeof(T) + extra);
    out.append(native_magic, sizeof native_magic);
    append(out, version);
    append(out, static_cast<std::uint32_t>(sizeof(T)));
    append(out, static_cast<std::uint32_t>(signature.size()));
    out += signature;
    append(out, static_cast<std::uint64_t>(Net::parameter_count));
    append(out, static_cast<std::uint64_t>(Net::buffer_count));
    append(out, static_cast<std::uint64_t>(net.train_steps()));
    out.append(reinterpret_cast<const char*>(net.parameters().data()), Net::parameter_count * sizeof(T));
    out.append(reinterpret_cast<const char*>(net.buffers().data()), Net::buffer_count * sizeof(T));
    return out;
}

/// Appends the checksum and replaces `path` with the bytes atomically.
inline void write_with_checksum(std::string out, const std::string& path) {
    append(out, fnv1a64(out));
    AtomicFileWriter file(path);
    file.write(out);
    file.commit();
}

/// The message for the first non-finite value of an optimizer's state vectors, or "" if all are finite.
template <class Optimizer, class Net>
std::string non_finite_state(const Net& net, const OptimizerState& state) {
    for (std::size_t v = 0; v < state.vectors.size(); ++v) {
        const std::vector<double>& values = state.vectors[v];
        if (const std::size_t i = detail::first_non_finite(values.data(), values.size()); i < values.size())
            return detail::non_finite_in(values[i], "the " + state.kind + " state vector " +
                                                        std::string(Optimizer::state_vectors[v]) + " at index " +
                                                        std::to_string(i) + " (" + detail::locate(net, i, false) + ")");
    }
    return "";
}

/// Parses and checks a whole file for network type Net; throws typenet::error (prefixed with the
/// reader's caller and the path) on any problem. `net` only names tensors in messages.
template <class Net>
Staged<typename Net::scalar> parse(const Net& net, const std::string& bytes, Reader& in) {
    using T = typename Net::scalar;
    if (bytes.size() < sizeof native_magic || std::memcmp(bytes.data(), native_magic, sizeof native_magic) != 0)
        in.fail("not a typenet model file (wrong magic; expected \"TYPENET\")");
    in.skip(sizeof native_magic, "magic");
    const auto version = in.get<std::uint32_t>("version");
    if (version != native_version && version != native_checkpoint_version)
        in.fail("unknown format version " + std::to_string(version) + "; this typenet reads version " +
                std::to_string(native_version) + " (models) or " + std::to_string(native_checkpoint_version) +
                " (checkpoints)");
    if (const auto scalar = in.get<std::uint32_t>("scalar size"); scalar != sizeof(T))
        in.fail("the file holds " + std::to_string(scalar * 8) + "-bit parameters, this network has " +
                std::to_string(sizeof(T) * 8) + "-bit ones");
    const auto signature_size = in.get<std::uint32_t>("signature size");
    const std::string signature = in.get_bytes(signature_size, "signature");
    if (signature != Net::signature())
        in.fail("the file holds a different network.\n  file:    " + signature + "\n  network: " + Net::signature());
    if (in.get<std::uint64_t>("parameter count") != Net::parameter_count ||
        in.get<std::uint64_t>("buffer count") != Net::buffer_count)
        in.fail("parameter or buffer count differs from the network's");
    Staged<T> staged;
    staged.train_steps = in.get<std::uint64_t>("step count");
    const char* parameters = in.here();
    in.skip(Net::parameter_count * sizeof(T), "parameters");
    const char* buffers = in.here();
    in.skip(Net::buffer_count * sizeof(T), "buffers");

    if (version == native_checkpoint_version) {
        staged.seed = in.get<std::uint64_t>("seed");
        OptimizerState state;
        state.kind = in.get_bytes(in.get<std::uint32_t>("optimizer kind size"), "optimizer kind");
        state.steps = in.get<std::uint64_t>("optimizer step count");
        const auto count = in.get<std::uint32_t>("optimizer vector count");
        if (count > max_state_vectors)
            in.fail("the optimizer state claims " + std::to_string(count) + " vectors (at most " +
                    std::to_string(max_state_vectors) + "): the file is corrupt");
        state.vectors.resize(count);
        for (std::uint32_t v = 0; v < count; ++v) {
            const auto length = in.get<std::uint64_t>("optimizer vector length");
            // Checked before the skip so that a corrupt length cannot overflow length * 8.
            if (length != 0 && length != Net::parameter_count)
                in.fail("the " + state.kind + " state vector " + std::to_string(v) + " holds " +
                        std::to_string(length) + " values, the network has " + std::to_string(Net::parameter_count) +
                        " parameters");
            const char* values = in.here();
            in.skip(length * sizeof(double), "optimizer state");
            state.vectors[v].resize(length);
            if (length != 0) std::memcpy(state.vectors[v].data(), values, length * sizeof(double));
        }
        staged.optimizer = std::move(state);
    }

    const std::size_t checked_size = in.position();
    const auto checksum = in.get<std::uint64_t>("checksum");
    if (in.position() != bytes.size())
        in.fail(std::to_string(bytes.size() - in.position()) + " unexpected bytes after the checksum");
    if (checksum != fnv1a64(std::string_view(bytes.data(), checked_size)))
        in.fail("checksum mismatch: the file is corrupt");

    staged.values.resize(Net::parameter_count + Net::buffer_count);
    std::memcpy(staged.values.data(), parameters, Net::parameter_count * sizeof(T));
    std::memcpy(staged.values.data() + Net::parameter_count, buffers, Net::buffer_count * sizeof(T));
    if (const std::size_t i = detail::first_non_finite(staged.values.data(), staged.values.size());
        i < staged.values.size()) {
        const bool buffer = i >= Net::parameter_count;
        in.fail(detail::non_finite_value(net, buffer ? i - Net::parameter_count : i, buffer,
                                         static_cast<double>(staged.values[i])));
    }
    return staged;
}

/// Puts staged network values in place; cannot throw.
template <class Net>
void commit(Net& net, const Staged<typename Net::scalar>& staged) noexcept {
    std::copy_n(staged.values.begin(), Net::parameter_count, net.parameters().begin());
    std::copy(staged.values.begin() + Net::parameter_count, staged.values.end(), net.buffers().begin());
    NativeFormatAccess::set_train_steps(net, staged.train_steps);
}

}  // namespace native_detail

/// Writes the network's parameters, buffers and step count to `path` atomically (version 1). Refuses
/// (typenet::error naming the tensor and index, no file written) a network holding NaN or inf.
template <class Net>
void save_native(const Net& net, const std::string& path) {
    detail::require_finite_network(net, "save: " + path);
    native_detail::write_with_checksum(native_detail::network_part(net, native_version, 0), path);
}

/// Writes a checkpoint (version 2) atomically: the network as save_native does, its seed (dropout
/// masks are keyed on it), and the optimizer's state, so that training resumes bit for bit.
template <class Net, ResumableOptimizer Optimizer>
void save_native(const Net& net, const Optimizer& optimizer, const std::string& path) {
    const OptimizerState state = optimizer.export_state();
    // An optimizer that stepped another network would write a checkpoint no network could load.
    optim_detail::check_state(state, Optimizer::state_kind, Optimizer::state_vectors, "save_checkpoint: " + path + ": ",
                              Net::parameter_count);
    // What load refuses is not written.
    detail::require_finite_network(net, "save_checkpoint: " + path);
    if (const std::string bad = native_detail::non_finite_state<Optimizer>(net, state); !bad.empty())
        throw error("save_checkpoint: " + path + ": " + bad + "; nothing was written");
    std::size_t extra = 64 + state.kind.size();
    for (const auto& v : state.vectors) extra += 8 + v.size() * sizeof(double);
    std::string out = native_detail::network_part(net, native_checkpoint_version, extra);
    native_detail::append(out, static_cast<std::uint64_t>(net.seed().value));
    native_detail::append(out, static_cast<std::uint32_t>(state.kind.size()));
    out += state.kind;
    native_detail::append(out, state.steps);
    native_detail::append(out, static_cast<std::uint32_t>(state.vectors.size()));
    for (const auto& v : state.vectors) {
        native_detail::append(out, static_cast<std::uint64_t>(v.size()));
        out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
    }
    native_detail::write_with_checksum(std::move(out), path);
}

/// Replaces the network's parameters, buffers and step count with those of a file written by
/// save_native (a model or a checkpoint, whose optimizer part it ignores) for the same network
/// type; on any error the network is left unchanged.
template <class Net>
void load_native(Net& net, const std::string& path) {
    const std::string bytes = read_file(path, "load");
    native_detail::Reader in(bytes, path);
    native_detail::commit(net, native_detail::parse(net, bytes, in));
}

/// Loads a checkpoint: the network (parameters, buffers, step count, seed) and the optimizer's
/// state. Throws typenet::error, changing neither, for a model file without optimizer state, for
/// another optimizer's state (naming both kinds) or state of another size (naming both sizes).
template <class Net, ResumableOptimizer Optimizer>
void load_native(Net& net, Optimizer& optimizer, const std::string& path) {
    const std::string bytes = read_file(path, "load_checkpoint");
    native_detail::Reader in(bytes, path, "load_checkpoint");
    auto staged = native_detail::parse(net, bytes, in);
    if (!staged.optimizer)
        in.fail("the file holds no optimizer state (a model written by save(path), not a checkpoint; load it with "
                "load(path))");
    try {
        optim_detail::check_state(*staged.optimizer, Optimizer::state_kind, Optimizer::state_vectors, "",
                                  Net::parameter_count);
    } catch (const error& e) {
        std::string what = e.what();
        if (what.rfind("typenet: ", 0) == 0) what.erase(0, 9);
        in.fail(what);
    }
    // Checked here, not in parse: net.load of a checkpoint needs only the network part.
    if (const std::string bad = native_detail::non_finite_state<Optimizer>(net, *staged.optimizer); !bad.empty())
        in.fail(bad);
    // Nothing below throws: the optimizer takes the checked vectors by move.
    optimizer.import_state(std::move(*staged.optimizer));
    native_detail::commit(net, staged);
    NativeFormatAccess::set_seed(net, decltype(net.seed()){*staged.seed});
}

}  // namespace typenet::io
