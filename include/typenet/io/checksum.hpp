#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace typenet::io {

/// 64-bit FNV-1a: detects flipped bytes and truncation of a model file (not an integrity seal).
constexpr std::uint64_t fnv1a64(std::string_view bytes) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace typenet::io
