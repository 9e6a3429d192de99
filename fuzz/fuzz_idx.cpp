// Fuzz target: load_idx (plain and gzip IDX). The input is split into two files:
//   u32 little-endian n | n bytes of the images file | the rest: the labels file
// (n is clamped to the input's size). Any outcome other than success or a typenet::error is a bug.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "fuzz_common.hpp"
#include "typenet/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string images = typenet_fuzz::scratch_path("images.idx");
    static const std::string labels = typenet_fuzz::scratch_path("labels.idx");
    std::uint32_t n = 0;
    if (size >= 4) std::memcpy(&n, data, 4);
    const std::uint8_t* rest = data + std::min<std::size_t>(size, 4);
    const std::size_t rest_size = size - std::min<std::size_t>(size, 4);
    const std::size_t split = std::min<std::size_t>(n, rest_size);
    typenet_fuzz::write_file(images, rest, split);
    typenet_fuzz::write_file(labels, rest + split, rest_size - split);
    try {
        const typenet::Dataset d = typenet::load_idx(images, labels);
        d.check("fuzz_idx");
    } catch (const typenet::error&) {
    }
    return 0;
}
