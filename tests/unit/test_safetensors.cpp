#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "support/poisoned_file.hpp"
#include "support/law_suite.hpp"
#include "typenet/layers/batch_norm.hpp"

using namespace typenet;

namespace {
const std::string data_dir = std::string(TYPENET_TEST_DATA_DIR);

std::map<std::string, Matrix<float>> read_io(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::map<std::string, Matrix<float>> out;
    std::string name;
    std::size_t rows, cols;
    while (in >> name >> rows >> cols) {
        Matrix<float> m = Matrix<float>::from_shape({rows, cols});
        for (auto& v : m) in >> v;
        out[name] = m;
    }
    return out;
}

template <class Net>
void check_matches_torch(const std::string& stem) {
    Net net{Seed{123}};
    net.load_safetensors(data_dir + "/" + stem + ".safetensors");
    auto io = read_io(data_dir + "/" + stem + "_io.txt");
    const Matrix<float> logits = net.predict(io["input"]);
    REQUIRE(logits.shape(1) == io["logits"].shape(1));
    for (std::size_t i = 0; i < logits.size(); ++i)
        CHECK(logits.data()[i] == Approx(io["logits"].data()[i]).epsilon(1e-5).margin(1e-5));

    // And back: what we write loads into a fresh network and predicts the same.
    const std::string path = (std::filesystem::temp_directory_path() / (stem + "_again.safetensors")).string();
    net.save_safetensors(path);
    Net again{Seed{7}};
    again.load_safetensors(path);
    CHECK(std::ranges::equal(net.parameters(), again.parameters()));
    CHECK(std::ranges::equal(net.buffers(), again.buffers()));
    std::remove(path.c_str());
}

std::string file_bytes(const std::string& path) { return io::read_file(path, "test"); }
}  // namespace

TEST_CASE("a PyTorch nn.Sequential MLP loads from safetensors and predicts the same logits", "[io][safetensors]") {
    check_matches_torch<Seq<Dense<5, 7, TorchDefault>, ReLU, Dense<7, 3, TorchDefault>>>("torch_mlp");
}

TEST_CASE("a PyTorch MLP with BatchNorm1d loads with its running statistics", "[io][safetensors]") {
    check_matches_torch<Seq<Dense<6, 8>, BatchNorm, ReLU, Dense<8, 3>>>("torch_bn_mlp");
}

TEST_CASE("a file of another format is reported as not a safetensors file, and what it is", "[io][safetensors][errors]") {
    using Net = Seq<Dense<5, 7>, ReLU, Dense<7, 3>>;
    Net net{Seed{1}};
    const std::string path = (std::filesystem::temp_directory_path() / "typenet_not.safetensors").string();
    auto expect_error = [&](const std::string& bytes, const std::string& message) {
        std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        CHECK_THROWS_WITH(net.load_safetensors(path), Catch::Contains(path + ": not a safetensors file: it is " + message));
    };
    net.save(path);  // the native format, whose magic read as a size is 23720100516354388 bytes
    CHECK_THROWS_WITH(net.load_safetensors(path), Catch::Contains("not a safetensors file: it is a typenet model file"));
    expect_error(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10), "a gzip file");
    expect_error("label,x0,x1\n1,0.5,0.25\n", "a text file starting with \"label,x0,x1...\"");
    expect_error("", "empty");
    std::remove(path.c_str());
}

TEST_CASE("bad safetensors files throw typenet::error and change nothing", "[io][safetensors][errors]") {
    using Net = Seq<Dense<5, 7>, ReLU, Dense<7, 3>>;
    Net net{Seed{1}};
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    const std::string good = file_bytes(data_dir + "/torch_mlp.safetensors");
    const std::string path = (std::filesystem::temp_directory_path() / "typenet_bad.safetensors").string();
    auto expect_error = [&](const std::string& bytes, const std::string& message) {
        std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        CHECK_THROWS_WITH(net.load_safetensors(path), Catch::Contains(message));
        CHECK(std::ranges::equal(net.parameters(), before));
    };
    auto with_header = [&](std::string header) {
        header.append((8 - header.size() % 8) % 8, ' ');
        const std::uint64_t n = header.size();
        return std::string(reinterpret_cast<const char*>(&n), 8) + header + good.substr(8 + [&] {
                   std::uint64_t m;
                   std::memcpy(&m, good.data(), 8);
                   return m;
               }());
    };
    expect_error(good.substr(0, 5), "truncated");
    expect_error(good.substr(0, good.size() - 4), "data_offsets");
    std::string huge = good;
    huge[7] = 0x7f;
    expect_error(huge, "the header claims");
    expect_error(with_header("{\"0.weight\": [1, 2"), "malformed JSON");
    expect_error(with_header("{}"), "missing tensor \"0.weight\"");
    std::string header = good.substr(8, 400);
    expect_error(with_header(R"({"0.weight":{"dtype":"F32","shape":[7,4],"data_offsets":[0,112]}})"),
                 "has shape [7,4], the network's is [7,5]");
    expect_error(with_header(R"({"0.weight":{"dtype":"BF16","shape":[7,5],"data_offsets":[0,70]}})"), "dtype BF16");

    Net other{Seed{2}};
    other.named_tensors()[0].at(3, 1) = 1234.5678f;  // save refuses inf: the file gets it afterwards
    other.save_safetensors(path);
    testing::replace_in_file(path, 1234.5678f, std::numeric_limits<float>::infinity(), false);
    CHECK_THROWS_WITH(net.load_safetensors(path), Catch::Contains("infinite value in tensor \"0.weight\" at [3, 1]"));

    Seq<Dense<5, 7>, ReLU, Dense<7, 3>, ReLU, Dense<3, 3>> bigger{Seed{3}};
    bigger.save_safetensors(path);
    CHECK_THROWS_WITH(net.load_safetensors(path), Catch::Contains("unexpected tensor \"4."));
    std::remove(path.c_str());
    CHECK(std::ranges::equal(net.parameters(), before));
}
