#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/checksum.hpp"
#include "typenet/io/read_file.hpp"

/// typenet's own model file (`.tnet`), version 1, little-endian:
///   "TYPENET\0" | u32 version | u32 scalar bytes | u32 n + n bytes signature |
///   u64 parameter count | u64 buffer count | u64 train steps | parameters | buffers | u64 FNV-1a of all before
/// The signature is the network type's (BasicSeq::signature()): loading into another type fails
/// with both signatures in the message. Loading checks everything before it changes the network.
namespace typenet::io {

static_assert(std::endian::native == std::endian::little, "typenet's file formats assume a little-endian host");

inline constexpr char native_magic[8] = {'T', 'Y', 'P', 'E', 'N', 'E', 'T', '\0'};
inline constexpr std::uint32_t native_version = 1;

/// Grants the loader write access to a network's step counter.
struct NativeFormatAccess {
    template <class Net>
    static void set_train_steps(Net& net, std::uint64_t steps) { net.train_steps_ = steps; }
};

namespace native_detail {

template <class T>
void append(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

/// Reads fixed-size fields from the file's bytes, with the file name in every error.
class Reader {
public:
    Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}

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
    [[noreturn]] void fail(const std::string& problem) const { throw error("load: " + path_ + ": " + problem); }

private:
    void need(std::size_t n, const char* field) const {
        if (bytes_.size() - pos_ < n)
            fail(std::string("truncated: the file ends inside the ") + field + " (" + std::to_string(bytes_.size()) +
                 " bytes)");
    }
    const std::string& bytes_;
    const std::string& path_;
    std::size_t pos_ = 0;
};

}  // namespace native_detail

/// Writes the network's parameters, buffers and step count to `path` atomically.
template <class Net>
void save_native(const Net& net, const std::string& path) {
    using T = typename Net::scalar;
    const std::string signature = Net::signature();
    std::string out;
    out.reserve(64 + signature.size() + (Net::parameter_count + Net::buffer_count) * sizeof(T));
    out.append(native_magic, sizeof native_magic);
    native_detail::append(out, native_version);
    native_detail::append(out, static_cast<std::uint32_t>(sizeof(T)));
    native_detail::append(out, static_cast<std::uint32_t>(signature.size()));
    out += signature;
    native_detail::append(out, static_cast<std::uint64_t>(Net::parameter_count));
    native_detail::append(out, static_cast<std::uint64_t>(Net::buffer_count));
    native_detail::append(out, static_cast<std::uint64_t>(net.train_steps()));
    out.append(reinterpret_cast<const char*>(net.parameters().data()), Net::parameter_count * sizeof(T));
    out.append(reinterpret_cast<const char*>(net.buffers().data()), Net::buffer_count * sizeof(T));
    native_detail::append(out, fnv1a64(out));
    AtomicFileWriter file(path);
    file.write(out);
    file.commit();
}

/// Replaces the network's parameters, buffers and step count with those of a file written by
/// save_native for the same network type; on any error the network is left unchanged.
template <class Net>
void load_native(Net& net, const std::string& path) {
    using T = typename Net::scalar;
    const std::string bytes = read_file(path, "load");
    native_detail::Reader in(bytes, path);
    if (bytes.size() < sizeof native_magic || std::memcmp(bytes.data(), native_magic, sizeof native_magic) != 0)
        in.fail("not a typenet model file (wrong magic; expected \"TYPENET\")");
    in.skip(sizeof native_magic, "magic");
    if (const auto version = in.get<std::uint32_t>("version"); version != native_version)
        in.fail("unknown format version " + std::to_string(version) + "; this typenet reads version " +
                std::to_string(native_version));
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
    const auto steps = in.get<std::uint64_t>("step count");
    const char* parameters = in.here();
    in.skip(Net::parameter_count * sizeof(T), "parameters");
    const char* buffers = in.here();
    in.skip(Net::buffer_count * sizeof(T), "buffers");
    const std::size_t checked_size = in.position();
    const auto checksum = in.get<std::uint64_t>("checksum");
    if (in.position() != bytes.size())
        in.fail(std::to_string(bytes.size() - in.position()) + " unexpected bytes after the checksum");
    if (checksum != fnv1a64(std::string_view(bytes.data(), checked_size)))
        in.fail("checksum mismatch: the file is corrupt");

    std::vector<T> values(Net::parameter_count + Net::buffer_count);
    std::memcpy(values.data(), parameters, Net::parameter_count * sizeof(T));
    std::memcpy(values.data() + Net::parameter_count, buffers, Net::buffer_count * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]))
            in.fail(std::string(std::isnan(values[i]) ? "NaN" : "infinite value") + " in the " +
                    (i < Net::parameter_count ? "parameters at index " + std::to_string(i)
                                              : "buffers at index " + std::to_string(i - Net::parameter_count)));
    std::copy_n(values.begin(), Net::parameter_count, net.parameters().begin());
    std::copy(values.begin() + Net::parameter_count, values.end(), net.buffers().begin());
    NativeFormatAccess::set_train_steps(net, steps);
}

}  // namespace typenet::io
