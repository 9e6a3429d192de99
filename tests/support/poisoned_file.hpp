#pragma once
/// \file Files holding a value that save refuses to write (NaN, inf), for the tests of what load refuses.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "catch.hpp"
#include <typenet/io/checksum.hpp>

namespace typenet::testing {

/// Replaces, in the file at `path`, the bytes of `sentinel` (which must occur exactly once) by those of
/// `value`; with `native`, also recomputes the trailing FNV-1a checksum of typenet's own format.
template <class T>
void replace_in_file(const std::string& path, T sentinel, T value, bool native) {
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::string from(sizeof(T), '\0'), to(sizeof(T), '\0');
    std::memcpy(from.data(), &sentinel, sizeof(T));
    std::memcpy(to.data(), &value, sizeof(T));
    const std::size_t at = bytes.find(from);
    REQUIRE(at != std::string::npos);
    REQUIRE(bytes.find(from, at + 1) == std::string::npos);
    bytes.replace(at, sizeof(T), to);
    if (native) {
        const std::uint64_t sum = typenet::io::fnv1a64(std::string_view(bytes).substr(0, bytes.size() - 8));
        std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace typenet::testing
