#include <cstdio>
#include <filesystem>
#include <fstream>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catch.hpp"
#include "support/law_suite.hpp"

using namespace typenet;

namespace {
using Net = Seq<Dense<5, 7>, ReLU, Dense<7, 3>>;

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("typenet_test_" + name)).string();
}
std::string read_all(const std::string& path) { return io::read_file(path, "test"); }
void write_all(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

TEST_CASE("save then load restores the network exactly", "[io][native]") {
    Net trained{Seed{5}};
    SGD opt{.lr = 0.1f, .momentum = 0.9f};
    Matrix<float> x = {{1, 2, 3, 4, 5}, {0, -1, 0, 1, 0}};
    for (int i = 0; i < 3; ++i) trained.train_step(x, std::vector<int>{0, 2}, SoftmaxCrossEntropy{}, opt);
    const std::string path = temp_path("roundtrip.tnet");
    trained.save(path);
    Net loaded{Seed{99}};
    loaded.load(path);
    CHECK(std::ranges::equal(trained.parameters(), loaded.parameters()));
    CHECK(loaded.train_steps() == trained.train_steps());
    const Matrix<float> a = trained.predict(x), b = loaded.predict(x);
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
    CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
    std::remove(path.c_str());
}

TEST_CASE("loading bad files throws typenet::error and leaves the network unchanged", "[io][native][errors]") {
    Net net{Seed{1}};
    const std::string path = temp_path("bad.tnet");
    net.save(path);
    const std::string good = read_all(path);
    Net target{Seed{2}};
    const std::vector<float> before(target.parameters().begin(), target.parameters().end());
    auto expect_error = [&](const std::string& bytes, const std::string& message) {
        write_all(path, bytes);
        CHECK_THROWS_WITH(target.load(path), Catch::Contains(message));
        CHECK(std::ranges::equal(target.parameters(), before));
    };

    expect_error(good.substr(0, good.size() / 2), "truncated");
    expect_error(good.substr(0, 3), "wrong magic");
    std::string wrong_magic = good;
    wrong_magic[0] = 'X';
    expect_error(wrong_magic, "wrong magic");
    std::string version = good;
    version[8] = 7;
    expect_error(version, "unknown format version 7");
    std::string flipped = good;
    flipped[good.size() - 20] ^= 0x10;
    expect_error(flipped, "checksum mismatch");
    expect_error(good + "x", "unexpected bytes");

    Seq<Dense<5, 8>, ReLU, Dense<8, 3>> other{Seed{1}};
    other.save(path);
    CHECK_THROWS_WITH(target.load(path), Catch::Contains("Dense<5, 8, He>") && Catch::Contains("Dense<5, 7, He>"));

    BasicSeq<double, Dense<5, 7>, ReLU, Dense<7, 3>> wide{Seed{1}};
    wide.save(path);
    CHECK_THROWS_WITH(target.load(path), Catch::Contains("64-bit parameters"));

    Net poisoned{Seed{1}};
    poisoned.parameters()[4] = std::nanf("");
    poisoned.save(path);
    CHECK_THROWS_WITH(target.load(path), Catch::Contains("NaN in the parameters at index 4"));

    std::remove(path.c_str());
    CHECK_THROWS_WITH(target.load(path), Catch::Contains("cannot open") && Catch::Contains(path));
    CHECK(std::ranges::equal(target.parameters(), before));
}

TEST_CASE("a failed save leaves the previous file intact", "[io][native]") {
    const std::string path = temp_path("keep.tnet");
    Net first{Seed{1}};
    first.save(path);
    const std::string before = read_all(path);
    CHECK_THROWS_AS(first.save(temp_path("no_such_dir/x.tnet")), typenet::error);
    CHECK(read_all(path) == before);
    std::remove(path.c_str());
}

TEST_CASE("killing a process in the middle of save leaves a loadable file", "[io][native]") {
    using Big = Seq<Dense<784, 256>, ReLU, Dense<256, 10>>;
    const std::string path = temp_path("killed.tnet");
    Big original{Seed{1}};
    original.save(path);
    for (int attempt = 0; attempt < 5; ++attempt) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            Big other{Seed{static_cast<std::uint64_t>(attempt + 2)}};
            for (;;) other.save(path);
        }
        ::usleep(static_cast<useconds_t>(2000 + 3000 * attempt));
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        Big loaded{Seed{0}};
        CHECK_NOTHROW(loaded.load(path));
        std::remove((path + ".tmp." + std::to_string(child)).c_str());
    }
    std::remove(path.c_str());
}
