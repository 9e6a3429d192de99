#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "typenet/core/error.hpp"

namespace typenet::io {

/// The whole content of a file, or a typenet::error naming the file and the reason.
inline std::string read_file(const std::string& path, const char* where) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw error(std::string(where) + ": cannot open " + path + ": " + std::strerror(errno));
    std::string content;
    char chunk[1 << 16];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) content.append(chunk, n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw error(std::string(where) + ": reading " + path + " failed");
    return content;
}

}  // namespace typenet::io
