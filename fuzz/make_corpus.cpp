// Writes the seed corpora of the fuzz targets into the directory given as the only argument
// (fuzz/corpus): files produced by typenet itself, plus a few mutations of them.
//   clang++-14 -std=c++20 -Iinclude fuzz/make_corpus.cpp -o make_corpus -lz && ./make_corpus fuzz/corpus
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zlib.h>

#include "fuzz_common.hpp"
#include "typenet/io/checkpoint.hpp"
#include "typenet/io/read_file.hpp"
#include "typenet/loss/softmax_cross_entropy.hpp"
#include "typenet/optim/adam.hpp"
#include "typenet/optim/sgd.hpp"

namespace fs = std::filesystem;
using typenet_fuzz::Net;

namespace {
void put(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string get(const fs::path& path) { return typenet::io::read_file(path.string(), "make_corpus"); }
std::string gzip(const std::string& bytes) {
    std::vector<unsigned char> out(compressBound(bytes.size()) + 64);
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: gzip wrapper
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    deflateEnd(&z);
    return std::string(reinterpret_cast<char*>(out.data()), z.total_out);
}
std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string le32(std::uint32_t v) {
    return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
}
/// One fuzz_idx input: u32 LE size of the images file, the images file, the labels file.
std::string idx_pair(const std::string& images, const std::string& labels) {
    return le32(static_cast<std::uint32_t>(images.size())) + images + labels;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const fs::path root = argv[1];
    for (const char* t : {"native", "safetensors", "idx"}) fs::create_directories(root / t);

    Net net{typenet::Seed{3}};
    typenet::SGD opt{.lr = 0.1f, .momentum = 0.9f};
    const typenet::Matrix<float> x = {{1, 2, 3, 4}, {0, -1, 0, 1}, {2, 0, -2, 1}};
    for (int i = 0; i < 2; ++i) net.train_step(x, std::vector<int>{0, 2, 1}, typenet::SoftmaxCrossEntropy{}, opt);

    // native
    const fs::path tnet = root / "native" / "valid.tnet";
    net.save(tnet.string());
    const std::string model = get(tnet);
    put(root / "native" / "truncated.tnet", model.substr(0, model.size() / 2));
    std::string flipped = model;
    flipped[flipped.size() / 2] ^= 0x10;
    put(root / "native" / "flipped.tnet", flipped);
    std::string version = model;
    version[8] = 2;
    put(root / "native" / "version2.tnet", version);
    // A checkpoint (version 2): the network, its seed and Adam's state with all three vectors.
    typenet::Adam adam{.lr = 0.01, .amsgrad = true};
    for (int i = 0; i < 2; ++i) net.train_step(x, std::vector<int>{0, 2, 1}, typenet::SoftmaxCrossEntropy{}, adam);
    const fs::path checkpoint = root / "native" / "checkpoint.tnet";
    typenet::save_checkpoint(net, adam, checkpoint.string());
    const std::string state = get(checkpoint);
    put(root / "native" / "checkpoint_truncated.tnet", state.substr(0, state.size() - 40));

    // safetensors
    const fs::path st = root / "safetensors" / "valid.safetensors";
    net.save_safetensors(st.string());
    const std::string tensors = get(st);
    put(root / "safetensors" / "truncated.safetensors", tensors.substr(0, tensors.size() - 7));
    std::string header_cut = tensors;
    header_cut[0] = static_cast<char>(header_cut[0] - 9);  // the JSON header ends early
    put(root / "safetensors" / "short_header.safetensors", header_cut);

    // idx: 3 images of 2x2 pixels, 3 labels
    const std::string images = be32(0x0803) + be32(3) + be32(2) + be32(2) + std::string("\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xff", 12);
    const std::string labels = be32(0x0801) + be32(3) + std::string("\x00\x01\x09", 3);
    put(root / "idx" / "plain.bin", idx_pair(images, labels));
    put(root / "idx" / "gzip.bin", idx_pair(gzip(images), gzip(labels)));
    put(root / "idx" / "gzip_images_only.bin", idx_pair(gzip(images), labels));
    put(root / "idx" / "count_mismatch.bin", idx_pair(images, be32(0x0801) + be32(2) + std::string("\x00\x01", 2)));
    put(root / "idx" / "swapped.bin", idx_pair(labels, images));
    put(root / "idx" / "truncated_gzip.bin", idx_pair(gzip(images).substr(0, 20), gzip(labels)));
    return 0;
}
