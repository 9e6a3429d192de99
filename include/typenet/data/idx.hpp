#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/detail/zlib.hpp"

namespace typenet {

namespace detail {

/// The header and payload of one IDX file of unsigned bytes.
struct IdxFile {
    std::vector<std::uint32_t> dims;
    std::vector<unsigned char> bytes;
};

inline std::string idx_hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(v));
    return buf;
}

/// Reads an IDX file whose magic must be 0x000008NN (unsigned bytes, NN = `rank` dimensions).
/// `what` names one element in messages ("pixel", "label").
inline IdxFile read_idx_bytes(const std::string& path, std::uint32_t rank, const char* what) {
    MaybeGzipReader in(path, "load_idx");
    std::array<unsigned char, 4> magic_bytes{};
    const std::size_t got_magic = in.read(magic_bytes);
    if (got_magic < magic_bytes.size())
        in.fail("truncated: expected a " + std::to_string(4 + 4 * rank) + "-byte IDX header, got " +
                std::to_string(got_magic) + " bytes");
    const std::uint32_t magic = (std::uint32_t{magic_bytes[0]} << 24) | (std::uint32_t{magic_bytes[1]} << 16) |
                                (std::uint32_t{magic_bytes[2]} << 8) | std::uint32_t{magic_bytes[3]};
    const std::uint32_t expected = 0x0800u | rank;
    if (magic != expected) {
        std::string hint;
        if (magic == 0x0801u) hint = " (that is an IDX label file: are the two arguments swapped?)";
        else if (magic == 0x0803u) hint = " (that is an IDX image file: are the two arguments swapped?)";
        else if ((magic >> 16) != 0) hint = " (not an IDX file)";
        else hint = " (an IDX file of another element type or rank; only unsigned bytes are supported)";
        in.fail("bad magic number " + idx_hex(magic) + ", expected " + idx_hex(expected) + " for an IDX file of " +
                what + "s (unsigned bytes, " + std::to_string(rank) + (rank == 1 ? " dimension)" : " dimensions)") +
                hint);
    }

    IdxFile file;
    std::vector<unsigned char> dim_bytes(4 * std::size_t{rank});
    const std::size_t got_dims = in.read(dim_bytes);
    if (got_dims < dim_bytes.size())
        in.fail("truncated: expected a " + std::to_string(4 + dim_bytes.size()) + "-byte IDX header, got " +
                std::to_string(4 + got_dims) + " bytes");
    // The declared element count is checked for overflow here, and is never allocated up front: a corrupt
    // header may declare petabytes, so memory grows only with data actually read.
    std::size_t count = 1;
    for (std::uint32_t d = 0; d < rank; ++d) {
        const unsigned char* p = &dim_bytes[4 * d];
        const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
        file.dims.push_back(n);
        if (n != 0 && count > std::numeric_limits<std::size_t>::max() / n)
            in.fail("corrupt header: the declared dimensions overflow the size of memory");
        count *= n;
    }

    const std::string declared = std::to_string(count) + " " + what + " bytes";
    constexpr std::size_t initial_reserve = std::size_t{64} << 20;
    constexpr std::size_t chunk = std::size_t{4} << 20;
    file.bytes.reserve(std::min(count, initial_reserve));
    while (file.bytes.size() < count) {
        const std::size_t old = file.bytes.size();
        const std::size_t want = std::min(chunk, count - old);
        file.bytes.resize(old + want);
        const std::size_t got = in.read(std::span<unsigned char>(file.bytes.data() + old, want));
        file.bytes.resize(old + got);
        if (got < want) break;
    }
    if (file.bytes.size() < count)
        in.fail("truncated: expected " + declared + ", got " + std::to_string(file.bytes.size()) +
                (in.cut_short() ? " (the gzip stream is cut short)" : ""));
    in.expect_end(declared);
    return file;
}

}  // namespace detail

/// Reads an MNIST-format pair of IDX files (plain or gzip, told apart by their first bytes): images
/// (magic 0x00000803: N × rows × cols unsigned bytes) and labels (magic 0x00000801: N unsigned bytes).
/// x is (N, rows·cols) with pixels scaled to [0, 1]; y holds the N labels (0–255).
/// Throws typenet::error naming the file and the problem: missing file, bad magic, truncated or extra
/// data, corrupt gzip, zero-sized images, or image and label counts that disagree.
inline Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
    const detail::IdxFile images = detail::read_idx_bytes(images_path, 3, "pixel");
    const std::size_t n = images.dims[0];
    const std::size_t rows = images.dims[1], cols = images.dims[2];
    if (rows == 0 || cols == 0)
        throw error("load_idx: " + images_path + ": images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " pixels: each image needs at least one pixel");
    const detail::IdxFile labels = detail::read_idx_bytes(labels_path, 1, "label");
    if (labels.dims[0] != n)
        throw error("load_idx: the files disagree: " + images_path + " has " + std::to_string(n) + " images but " +
                    labels_path + " has " + std::to_string(labels.dims[0]) + " labels");

    // A table rather than a division per pixel: 256 possible values, each rounded once, exactly v/255.
    std::array<float, 256> scale{};
    for (std::size_t v = 0; v < scale.size(); ++v) scale[v] = static_cast<float>(v) / 255.0f;

    Dataset data;
    data.x = Matrix<float>::from_shape({n, rows * cols});
    std::transform(images.bytes.begin(), images.bytes.end(), data.x.begin(),
                   [&scale](unsigned char v) { return scale[v]; });
    data.y.assign(labels.bytes.begin(), labels.bytes.end());
    return data;
}

}  // namespace typenet
