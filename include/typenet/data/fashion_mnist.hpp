#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

#include "typenet/core/error.hpp"
#include "typenet/data/dataset.hpp"
#include "typenet/data/idx.hpp"

namespace typenet {

namespace detail {

/// `dir/name.gz`, or `dir/name` when only the uncompressed file is there.
inline std::string fashion_mnist_file(const std::filesystem::path& dir, const std::string& name) {
    const std::filesystem::path gz = dir / (name + ".gz");
    const std::filesystem::path plain = dir / name;
    std::error_code ec;
    if (std::filesystem::exists(gz, ec)) return gz.string();
    if (std::filesystem::exists(plain, ec)) return plain.string();
    throw error("fashion_mnist: " + gz.string() +
                " not found; install it with: apt-get install dataset-fashion-mnist (or pass the directory that "
                "holds the four IDX files)");
}

inline Dataset load_fashion_mnist_split(const std::filesystem::path& dir, const std::string& prefix) {
    // Two statements: the images file is looked for (and reported missing) first.
    const std::string images = fashion_mnist_file(dir, prefix + "-images-idx3-ubyte");
    const std::string labels = fashion_mnist_file(dir, prefix + "-labels-idx1-ubyte");
    Dataset d = load_idx(images, labels);
    if (d.features() != 28 * 28)
        throw error("fashion_mnist: " + (dir / prefix).string() + " images have " + std::to_string(d.features()) +
                    " pixels, expected 28x28 = 784");
    for (std::size_t i = 0; i < d.y.size(); ++i)
        if (d.y[i] < 0 || d.y[i] >= 10)
            throw error("fashion_mnist: " + (dir / prefix).string() + " labels: label " + std::to_string(d.y[i]) +
                        " of sample " + std::to_string(i) + " is not a class in 0-9");
    return d;
}

}  // namespace detail

/// Fashion-MNIST as (train, test): 60000 and 10000 images of 28x28 = 784 pixels in [0, 1], labels 0-9.
/// Reads the four IDX files (.gz or plain) from `dir`, by default where Debian's dataset-fashion-mnist
/// package puts them. Throws typenet::error if a file is missing (saying how to install it) or invalid.
inline std::pair<Dataset, Dataset> fashion_mnist(const std::string& dir = "/usr/share/datasets/fashion-mnist") {
    Dataset train = detail::load_fashion_mnist_split(dir, "train");
    Dataset test = detail::load_fashion_mnist_split(dir, "t10k");
    return {std::move(train), std::move(test)};
}

}  // namespace typenet
