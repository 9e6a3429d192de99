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
/// A version-1.0 (or 2.0) .npy file: magic, version, header length, the header dict padded with spaces to
/// a multiple of 64 bytes with its '\n', then the data.
std::string npy(const std::string& dict, const std::string& data, int major = 1) {
    const std::size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
    const std::string length = le32(static_cast<std::uint32_t>(header.size()));
    out += major == 1 ? length.substr(0, 2) : length;
    return out + header + data;
}
template <class T>
std::string raw(std::initializer_list<T> values) {
    std::string out;
    for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
    return out;
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
    for (const char* t : {"native", "safetensors", "idx", "csv", "npy"}) fs::create_directories(root / t);

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

    // csv: the first byte chooses the options (see fuzz_csv.cpp), the rest is the file.
    put(root / "csv" / "labels_first.csv", std::string("\x00", 1) + "1,0.5,0.25\n0,-1,2e3\n2,+3,.5\n");
    put(root / "csv" / "header_crlf.csv", std::string("\x01", 1) + "label,a,b\r\n1,2,3\r\n\r\n0,4,5\r\n");
    put(root / "csv" / "label_last_semicolon.csv", std::string("\x0a", 1) + "0.5;1;2\n1.5;2;7\n");
    put(root / "csv" / "no_labels_tab.csv", std::string("\x16", 1) + "1\t2\n3\t4\n");
    put(root / "csv" / "bom_quoted.csv", std::string("\x00", 1) + "\xEF\xBB\xBF\"1\", \"2.5\"\n\"0\",\"-1\"\n");
    put(root / "csv" / "ragged.csv", std::string("\x00", 1) + "1,2,3\n0,,4\n1,2\n9999999999,1,1\n");

    // npy: little-endian dtypes typenet reads, C and Fortran order, version 2.0, and two bad headers.
    put(root / "npy" / "f4_2d.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                                        raw<float>({0, 0.5f, -1, 2, 3.5f, 4})));
    put(root / "npy" / "f8_fortran.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                                             raw<double>({1, 2, 3, 4})));
    put(root / "npy" / "i8_labels.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                            raw<std::int64_t>({3, 0, 9})));
    put(root / "npy" / "u1_3d.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 3), }",
                                        std::string("\x00\x14\x28\x3c\x50\xff", 6)));
    put(root / "npy" / "bool_v2.npy", npy("{'descr': '|b1', 'fortran_order': False, 'shape': (4, 1), }",
                                          std::string("\x01\x00\x00\x01", 4), 2));
    put(root / "npy" / "big_endian.npy", npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
                                             be32(1) + be32(2)));
    put(root / "npy" / "short_data.npy", npy("{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }",
                                             raw<std::int16_t>({1, 2, 3})));
    return 0;
}
