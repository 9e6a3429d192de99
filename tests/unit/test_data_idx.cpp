// load_idx and fashion_mnist: values, gzip detected by content, and every kind of bad file as an error.
#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <typenet/data/fashion_mnist.hpp>
#include <typenet/data/idx.hpp>

#include "catch.hpp"

using namespace typenet;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("typenet_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

using Bytes = std::vector<unsigned char>;

void put_u32(Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(v >> shift));
}

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
    Bytes b;
    put_u32(b, 0x803);
    put_u32(b, n);
    put_u32(b, rows);
    put_u32(b, cols);
    b.insert(b.end(), pixels.begin(), pixels.end());
    return b;
}

Bytes idx_labels(const Bytes& labels, std::uint32_t declared) {
    Bytes b;
    put_u32(b, 0x801);
    put_u32(b, declared);
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

void write_plain(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_gz(const std::string& path, const Bytes& b) { detail::write_gzip(path, b, "test"); }

Bytes read_plain(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// 3 images of 2x4 pixels whose values are 0, 7, 14, ... (mod 256), labels 2, 0, 255.
struct Sample {
    Bytes pixels;
    Bytes labels{2, 0, 255};
    Sample() {
        for (int i = 0; i < 24; ++i) pixels.push_back(static_cast<unsigned char>((i * 7 + (i == 23 ? 94 : 0)) % 256));
    }
};

void check_sample(const Dataset& d, const Sample& s) {
    REQUIRE(d.x.shape(0) == 3);
    REQUIRE(d.x.shape(1) == 8);
    REQUIRE(d.y == std::vector<int>{2, 0, 255});
    for (std::size_t i = 0; i < s.pixels.size(); ++i) CHECK(d.x.data()[i] == static_cast<float>(s.pixels[i]) / 255.0f);
}

}  // namespace

TEST_CASE("load_idx reads plain and gzip files, scaling pixels to 0..1", "[data]") {
    TempDir dir;
    const Sample s;
    REQUIRE(s.pixels.back() == 255);  // the sample covers both ends of the range
    REQUIRE(s.pixels.front() == 0);
    write_plain(dir.file("img"), idx_images(3, 2, 4, s.pixels));
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));
    check_sample(load_idx(dir.file("img"), dir.file("lab")), s);

    write_gz(dir.file("img.gz"), idx_images(3, 2, 4, s.pixels));
    write_gz(dir.file("lab.gz"), idx_labels(s.labels, 3));
    check_sample(load_idx(dir.file("img.gz"), dir.file("lab.gz")), s);

    const Dataset d = load_idx(dir.file("img.gz"), dir.file("lab.gz"));
    CHECK(d.x(0, 0) == 0.0f);
    CHECK(d.x(2, 7) == 1.0f);
}

TEST_CASE("load_idx tells gzip from plain by the first bytes, not by the name", "[data]") {
    TempDir dir;
    const Sample s;
    write_gz(dir.file("images.idx"), idx_images(3, 2, 4, s.pixels));        // compressed, no .gz
    write_plain(dir.file("labels.gz"), idx_labels(s.labels, 3));            // plain, named .gz
    check_sample(load_idx(dir.file("images.idx"), dir.file("labels.gz")), s);
    CHECK(detail::MaybeGzipReader(dir.file("images.idx"), "t").compressed());
    CHECK_FALSE(detail::MaybeGzipReader(dir.file("labels.gz"), "t").compressed());
}

TEST_CASE("load_idx accepts an empty data set", "[data]") {
    TempDir dir;
    write_gz(dir.file("i"), idx_images(0, 28, 28, {}));
    write_gz(dir.file("l"), idx_labels({}, 0));
    const Dataset d = load_idx(dir.file("i"), dir.file("l"));
    CHECK(d.size() == 0);
    CHECK(d.features() == 784);
    CHECK(d.y.empty());
}

TEST_CASE("load_idx: a missing file is an error naming it", "[data]") {
    TempDir dir;
    const Sample s;
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));
    REQUIRE_THROWS_WITH(load_idx(dir.file("nope.gz"), dir.file("lab")),
                        Contains("load_idx: " + dir.file("nope.gz") + ": cannot open") &&
                            Contains("No such file"));
    REQUIRE_THROWS_AS(load_idx(dir.file("nope.gz"), dir.file("lab")), typenet::error);
    REQUIRE_THROWS_WITH(load_idx(dir.path.string(), dir.file("lab")), Contains("Is a directory"));
}

TEST_CASE("load_idx: bad magic numbers, and swapped arguments, are errors", "[data]") {
    TempDir dir;
    const Sample s;
    write_gz(dir.file("img.gz"), idx_images(3, 2, 4, s.pixels));
    write_gz(dir.file("lab.gz"), idx_labels(s.labels, 3));
    REQUIRE_THROWS_WITH(load_idx(dir.file("lab.gz"), dir.file("img.gz")),
                        Contains(dir.file("lab.gz")) && Contains("bad magic number 0x00000801, expected 0x00000803") &&
                            Contains("swapped"));
    Bytes floats = idx_images(3, 2, 4, s.pixels);
    floats[2] = 0x0D;  // IDX float elements
    write_plain(dir.file("float"), floats);
    REQUIRE_THROWS_WITH(load_idx(dir.file("float"), dir.file("lab.gz")),
                        Contains("bad magic number 0x00000D03") && Contains("only unsigned bytes"));
    write_plain(dir.file("text"), Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!'});
    REQUIRE_THROWS_WITH(load_idx(dir.file("text"), dir.file("lab.gz")), Contains("not an IDX file"));
}

TEST_CASE("load_idx: truncated headers and data are errors that say how much was expected", "[data]") {
    TempDir dir;
    const Sample s;
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));

    Bytes short_data = idx_images(3, 2, 4, s.pixels);
    short_data.resize(16 + 10);
    write_plain(dir.file("img"), short_data);
    REQUIRE_THROWS_WITH(load_idx(dir.file("img"), dir.file("lab")),
                        Contains(dir.file("img") + ": truncated: expected 24 pixel bytes, got 10"));
    write_gz(dir.file("img.gz"), short_data);
    REQUIRE_THROWS_WITH(load_idx(dir.file("img.gz"), dir.file("lab")),
                        Contains(dir.file("img.gz") + ": truncated: expected 24 pixel bytes, got 10"));

    Bytes short_header = idx_images(3, 2, 4, s.pixels);
    short_header.resize(7);
    write_plain(dir.file("hdr"), short_header);
    REQUIRE_THROWS_WITH(load_idx(dir.file("hdr"), dir.file("lab")),
                        Contains("truncated: expected a 16-byte IDX header, got 7 bytes"));
    write_plain(dir.file("two"), Bytes{0, 0});
    REQUIRE_THROWS_WITH(load_idx(dir.file("two"), dir.file("lab")),
                        Contains("truncated: expected a 16-byte IDX header, got 2 bytes"));

    Bytes labels = idx_labels(s.labels, 3);
    labels.pop_back();
    write_plain(dir.file("lab2"), labels);
    write_plain(dir.file("img_ok"), idx_images(3, 2, 4, s.pixels));
    REQUIRE_THROWS_WITH(load_idx(dir.file("img_ok"), dir.file("lab2")),
                        Contains(dir.file("lab2") + ": truncated: expected 3 label bytes, got 2"));
}

TEST_CASE("load_idx: bytes beyond the declared size are an error", "[data]") {
    TempDir dir;
    const Sample s;
    Bytes extra = idx_images(3, 2, 4, s.pixels);
    extra.push_back(1);
    extra.push_back(2);
    write_gz(dir.file("img"), extra);
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));
    REQUIRE_THROWS_WITH(load_idx(dir.file("img"), dir.file("lab")),
                        Contains("unexpected data: 2 bytes after the 24 pixel bytes"));
}

TEST_CASE("load_idx: image and label counts that disagree are an error naming both files", "[data]") {
    TempDir dir;
    const Sample s;
    write_plain(dir.file("img"), idx_images(3, 2, 4, s.pixels));
    write_plain(dir.file("lab"), idx_labels({1, 2}, 2));
    REQUIRE_THROWS_WITH(load_idx(dir.file("img"), dir.file("lab")),
                        Contains(dir.file("img") + " has 3 images but " + dir.file("lab") + " has 2 labels"));
}

TEST_CASE("load_idx: a huge declared size fails on the data, without allocating it", "[data]") {
    TempDir dir;
    const Sample s;
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));
    // (2^32 - 1) images of 65536x65537 pixels: more bytes than a 64-bit size can count.
    write_gz(dir.file("huge"), idx_images(0xFFFFFFFFu, 0x10000u, 0x10001u, s.pixels));
    REQUIRE_THROWS_WITH(load_idx(dir.file("huge"), dir.file("lab")), Contains("overflow"));
    // Large but representable: must end as truncated, not as bad_alloc.
    write_gz(dir.file("big"), idx_images(0x7FFFFFFFu, 0x100u, 0x100u, s.pixels));
    REQUIRE_THROWS_WITH(load_idx(dir.file("big"), dir.file("lab")),
                        Contains("truncated: expected 140737488289792 pixel bytes, got 24"));
    write_gz(dir.file("biglabels"), idx_labels(s.labels, 0xFFFFFFFFu));
    write_plain(dir.file("img"), idx_images(3, 2, 4, s.pixels));
    REQUIRE_THROWS_WITH(load_idx(dir.file("img"), dir.file("biglabels")),
                        Contains("truncated: expected 4294967295 label bytes, got 3"));
}

TEST_CASE("load_idx: images without pixels are an error", "[data]") {
    TempDir dir;
    write_plain(dir.file("img"), idx_images(3, 0, 4, {}));
    write_plain(dir.file("lab"), idx_labels({1, 2, 3}, 3));
    REQUIRE_THROWS_WITH(load_idx(dir.file("img"), dir.file("lab")), Contains("at least one pixel"));
}

TEST_CASE("load_idx: corrupt or cut gzip streams are errors", "[data]") {
    TempDir dir;
    const Sample s;
    write_plain(dir.file("lab"), idx_labels(s.labels, 3));
    // A larger image, so that the compressed stream is long enough to cut in several places.
    Bytes pixels(56000);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<unsigned char>((i * 2654435761u) >> 24);
    write_gz(dir.file("full.gz"), idx_images(1, 56, 1000, pixels));
    write_plain(dir.file("lab1"), idx_labels({4}, 1));
    REQUIRE(load_idx(dir.file("full.gz"), dir.file("lab1")).x.size() == 56000);
    const Bytes gz = read_plain(dir.file("full.gz"));

    Bytes half(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
    write_plain(dir.file("half.gz"), half);
    REQUIRE_THROWS_WITH(load_idx(dir.file("half.gz"), dir.file("lab1")),
                        Contains("truncated: expected 56000 pixel bytes, got") && Contains("cut short"));

    Bytes no_trailer(gz.begin(), gz.end() - 4);  // the data is complete, the length field is not
    write_plain(dir.file("notrailer.gz"), no_trailer);
    REQUIRE_THROWS_WITH(load_idx(dir.file("notrailer.gz"), dir.file("lab1")),
                        Contains("notrailer.gz: truncated: the gzip stream ends before"));

    Bytes bad_crc = gz;
    bad_crc[bad_crc.size() - 6] ^= 0xFF;  // inside the CRC-32 of the trailer
    write_plain(dir.file("crc.gz"), bad_crc);
    REQUIRE_THROWS_WITH(load_idx(dir.file("crc.gz"), dir.file("lab1")),
                        Contains(dir.file("crc.gz") + ": corrupt gzip data: incorrect data check"));

    Bytes garbage = gz;
    for (std::size_t i = 20; i < 60; ++i) garbage[i] = static_cast<unsigned char>(i * 37);
    write_plain(dir.file("garbage.gz"), garbage);
    REQUIRE_THROWS_AS(load_idx(dir.file("garbage.gz"), dir.file("lab1")), typenet::error);
}

TEST_CASE("fashion_mnist: a directory without the files says how to install them", "[data]") {
    TempDir dir;
    REQUIRE_THROWS_WITH(fashion_mnist(dir.path.string()),
                        Contains("train-images-idx3-ubyte.gz not found") &&
                            Contains("install it with: apt-get install dataset-fashion-mnist"));
}

TEST_CASE("fashion_mnist: reads plain files too, and checks the image size and the classes", "[data]") {
    TempDir dir;
    Bytes pixels(2 * 784, 255);
    write_plain(dir.file("train-images-idx3-ubyte"), idx_images(2, 28, 28, pixels));
    write_plain(dir.file("train-labels-idx1-ubyte"), idx_labels({9, 0}, 2));
    write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(1, 28, 28, Bytes(784, 0)));
    write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels({3}, 1));
    auto [tr, te] = fashion_mnist(dir.path.string());
    CHECK(tr.size() == 2);
    CHECK(te.size() == 1);
    CHECK(tr.y == std::vector<int>{9, 0});
    CHECK(tr.x(1, 783) == 1.0f);

    write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels({10}, 1));
    REQUIRE_THROWS_WITH(fashion_mnist(dir.path.string()), Contains("label 10 of sample 0 is not a class in 0-9"));
    write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels({3}, 1));
    write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(1, 27, 28, Bytes(27 * 28, 0)));
    REQUIRE_THROWS_WITH(fashion_mnist(dir.path.string()), Contains("have 756 pixels, expected 28x28 = 784"));
}

TEST_CASE("fashion_mnist loads the Debian package's data", "[data][fashion]") {
    const fs::path dir = "/usr/share/datasets/fashion-mnist";
    if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) {
        FAIL("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
    }
    auto [tr, te] = fashion_mnist();
    REQUIRE(tr.size() == 60000);
    REQUIRE(te.size() == 10000);
    REQUIRE(tr.features() == 784);
    REQUIRE(te.features() == 784);
    tr.check("test");
    te.check("test");
    // Both splits are balanced over the 10 classes (6000 and 1000 per class), as the data set's
    // documentation states; pixels span the whole [0, 1] range.
    std::array<int, 10> train_counts{}, test_counts{};
    for (int y : tr.y) ++train_counts.at(static_cast<std::size_t>(y));
    for (int y : te.y) ++test_counts.at(static_cast<std::size_t>(y));
    for (int c : train_counts) CHECK(c == 6000);
    for (int c : test_counts) CHECK(c == 1000);
    CHECK(*std::min_element(tr.x.begin(), tr.x.end()) == 0.0f);
    CHECK(*std::max_element(tr.x.begin(), tr.x.end()) == 1.0f);
}
