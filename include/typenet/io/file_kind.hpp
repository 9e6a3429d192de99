#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "typenet/io/native_format.hpp"

namespace typenet::io {

/// What a file's first bytes say it is, for a loader's error on a file of another format: "empty",
/// "a typenet model file (...)", "a gzip file", "a zip archive (...)", "a NumPy .npy file", "a text file
/// starting with "..."", or "" when they say nothing.
inline std::string describe_file_kind(std::string_view bytes) {
    if (bytes.empty()) return "empty";
    if (bytes.starts_with(std::string_view(native_magic, sizeof native_magic)))
        return "a typenet model file (native format: load it with net.load)";
    if (bytes.starts_with("\x1f\x8b")) return "a gzip file";
    // torch.save writes a zip archive of pickles; safetensors.torch.save_file converts a state_dict.
    if (bytes.starts_with("PK\x03\x04")) return "a zip archive (PyTorch's torch.save format?)";
    if (bytes.starts_with("\x93NUMPY")) return "a NumPy .npy file";
    const std::string_view start = bytes.substr(0, 64);
    for (const char c : start)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') return "";
    const std::string_view line = start.substr(0, std::min(start.find_first_of("\r\n"), std::size_t{40}));
    return "a text file starting with \"" + std::string(line) + (line.size() < bytes.size() ? "...\"" : "\"");
}

}  // namespace typenet::io
