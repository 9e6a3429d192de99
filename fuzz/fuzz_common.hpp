#pragma once
/// \file Shared by typenet's fuzz targets: the small fixed network the model loaders fill, and a
/// helper that puts the fuzzer's bytes into a file (in /dev/shm when it exists, so no disk I/O).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "typenet/layers/activations/relu.hpp"
#include "typenet/layers/batch_norm.hpp"
#include "typenet/layers/dense.hpp"
#include "typenet/model/seq.hpp"

namespace typenet_fuzz {

/// Parameters and buffers (BatchNorm's running statistics and step counter) both present.
using Net = typenet::Seq<typenet::Dense<4, 5>, typenet::BatchNorm, typenet::ReLU, typenet::Dense<5, 3>>;

inline std::string scratch_path(const char* name) {
    const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/typenet_fuzz_" + std::to_string(::getpid()) + "_" + name;
}

inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
}

}  // namespace typenet_fuzz
