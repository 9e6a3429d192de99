#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <utility>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catch.hpp"
#include "support/law_suite.hpp"
#include "support/poisoned_file.hpp"

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
    poisoned.parameters()[4] = 1234.5678f;  // save refuses NaN: the file gets it afterwards
    poisoned.save(path);
    testing::replace_in_file(path, 1234.5678f, std::nanf(""), true);
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

namespace {
using Dropped = Seq<Dense<8, 16>, BatchNorm, ReLU, Dropout<0.2>, Dense<16, 3>>;

/// Batch `step` of a fixed stream of (x, labels): deterministic, different every step.
std::pair<Matrix<float>, std::vector<int>> batch_for(int step) {
    Matrix<float> x = Matrix<float>::from_shape({6, 8});
    std::vector<int> y(6);
    for (std::size_t r = 0; r < 6; ++r) {
        for (std::size_t c = 0; c < 8; ++c)
            x(r, c) = static_cast<float>(std::sin(0.7 * static_cast<double>(step * 48 + static_cast<int>(r * 8 + c))));
        y[r] = static_cast<int>((r + static_cast<std::size_t>(step)) % 3);
    }
    return {x, y};
}

template <class Optimizer>
void train(Dropped& net, Optimizer& opt, int from, int steps) {
    for (int s = from; s < from + steps; ++s) {
        const auto [x, y] = batch_for(s);
        net.train_step(x, y, SoftmaxCrossEntropy{}, opt);
    }
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// 20 steps, checkpoint, 20 more; a fresh network and optimizer (another seed) loaded from the
/// checkpoint and run through the same 20 steps must end bitwise where the first did.
template <class Optimizer>
void check_resume(const Optimizer& settings, const std::string& name) {
    INFO(name);
    const std::string path = temp_path("resume_" + name + ".tnet");
    Dropped net{Seed{11}};
    Optimizer opt = settings;
    train(net, opt, 0, 20);
    save_checkpoint(net, opt, path);
    train(net, opt, 20, 20);

    Dropped resumed{Seed{12345}};
    Optimizer fresh = settings;
    load_checkpoint(resumed, fresh, path);
    CHECK(resumed.train_steps() == 20);
    CHECK(resumed.seed().value == 11);
    train(resumed, fresh, 20, 20);
    CHECK(same_bits(net.parameters(), resumed.parameters()));
    CHECK(same_bits(net.buffers(), resumed.buffers()));
    CHECK(resumed.train_steps() == net.train_steps());
    const OptimizerState a = opt.export_state(), b = fresh.export_state();
    CHECK(a.steps == b.steps);
    CHECK(a.vectors == b.vectors);
    std::remove(path.c_str());
}
}  // namespace

TEST_CASE("a checkpoint resumes training bit for bit: network, dropout masks, optimizer state",
          "[io][native][checkpoint]") {
    check_resume(Adam{.lr = 1e-2}, "adam");
    check_resume(SGD{.lr = 0.05, .momentum = 0.9, .nesterov = true}, "sgd_nesterov");
    check_resume(AdamW{.lr = 1e-2, .amsgrad = true}, "adamw_amsgrad");
    check_resume(AdaGrad{.lr = 0.05, .lr_decay = 0.01}, "adagrad");
    check_resume(RMSProp{.lr = 1e-3, .momentum = 0.5, .centered = true}, "rmsprop");
    check_resume(AdaDelta{}, "adadelta");
}

TEST_CASE("net.save(path, optimizer) and net.load(path, optimizer) are the checkpoint functions",
          "[io][native][checkpoint]") {
    const std::string path = temp_path("member_checkpoint.tnet");
    Dropped net{Seed{11}};
    SGD opt{.lr = 0.05, .momentum = 0.9};
    train(net, opt, 0, 10);
    net.save(path, opt);
    Dropped resumed{Seed{1}};
    SGD fresh{.lr = 0.05, .momentum = 0.9};
    resumed.load(path, fresh);
    train(net, opt, 10, 10);
    train(resumed, fresh, 10, 10);
    CHECK(same_bits(net.parameters(), resumed.parameters()));
    Adam wrong{};
    REQUIRE_THROWS_AS(resumed.load(path, wrong), error);
    std::remove(path.c_str());
}

TEST_CASE("net.load reads a checkpoint's network part; a model file keeps version 1", "[io][native][checkpoint]") {
    const std::string model = temp_path("model_v1.tnet"), checkpoint = temp_path("checkpoint.tnet");
    Dropped net{Seed{3}};
    Adam opt{.lr = 1e-2};
    train(net, opt, 0, 5);
    net.save(model);
    save_checkpoint(net, opt, checkpoint);
    CHECK(read_all(model)[8] == 1);
    CHECK(read_all(checkpoint)[8] == 2);
    for (const std::string& path : {model, checkpoint}) {
        Dropped loaded{Seed{4}};
        loaded.load(path);
        CHECK(same_bits(net.parameters(), loaded.parameters()));
        CHECK(same_bits(net.buffers(), loaded.buffers()));
        CHECK(loaded.train_steps() == net.train_steps());
        CHECK(loaded.seed().value == 4);  // only a checkpoint restores the seed, through load_checkpoint
    }
    std::remove(model.c_str());
    std::remove(checkpoint.c_str());
}

TEST_CASE("bad checkpoints throw typenet::error and leave network and optimizer unchanged",
          "[io][native][checkpoint][errors]") {
    const std::string path = temp_path("bad_checkpoint.tnet");
    Dropped source{Seed{1}};
    Adam source_opt{.lr = 1e-2};
    train(source, source_opt, 0, 3);

    Dropped net{Seed{2}};
    Adam opt{.lr = 1e-2};
    train(net, opt, 0, 1);
    const std::vector<float> parameters(net.parameters().begin(), net.parameters().end());
    const std::vector<float> buffers(net.buffers().begin(), net.buffers().end());
    const OptimizerState state = opt.export_state();
    auto unchanged = [&] {
        CHECK(std::ranges::equal(net.parameters(), parameters));
        CHECK(std::ranges::equal(net.buffers(), buffers));
        CHECK(net.train_steps() == 1);
        CHECK(net.seed().value == 2);
        const OptimizerState now = opt.export_state();
        CHECK(now.steps == state.steps);
        CHECK(now.vectors == state.vectors);
    };
    auto expect_error = [&](const std::string& message) {
        REQUIRE_THROWS_WITH(load_checkpoint(net, opt, path), Catch::Matchers::Contains(message));
        unchanged();
    };

    source.save(path);
    expect_error("load_checkpoint: " + path + ": the file holds no optimizer state");

    SGD sgd{.lr = 0.1, .momentum = 0.9};
    train(source, sgd, 3, 1);
    save_checkpoint(source, sgd, path);
    expect_error("the optimizer state is SGD's, the optimizer is Adam");
    AdamW adamw;
    REQUIRE_THROWS_WITH(load_checkpoint(net, adamw, path),
                        Catch::Matchers::Contains("is SGD's, the optimizer is AdamW"));

    save_checkpoint(source, source_opt, path);
    const std::string good = read_all(path);
    write_all(path, good.substr(0, good.size() - 100));
    expect_error("truncated: the file ends inside the optimizer state");
    std::string flipped = good;
    flipped[good.size() - 30] ^= 0x01;
    write_all(path, flipped);
    expect_error("checksum mismatch");

    // A state of the wrong size, with a valid checksum: what a writer for another network would give.
    std::string forged = io::native_detail::network_part(source, io::native_checkpoint_version, 0);
    io::native_detail::append(forged, std::uint64_t{1});
    io::native_detail::append(forged, std::uint32_t{4});
    forged += "Adam";
    io::native_detail::append(forged, std::uint64_t{3});
    io::native_detail::append(forged, std::uint32_t{3});
    io::native_detail::append(forged, std::uint64_t{Dropped::parameter_count + 1});
    forged.append((Dropped::parameter_count + 1) * sizeof(double), '\0');
    for (int v = 0; v < 2; ++v) io::native_detail::append(forged, std::uint64_t{0});
    io::native_detail::append(forged, io::fnv1a64(forged));
    write_all(path, forged);
    expect_error("the Adam state vector 0 holds " + std::to_string(Dropped::parameter_count + 1) +
                 " values, the network has " + std::to_string(Dropped::parameter_count) + " parameters");

    // NaN in the optimizer state is refused like NaN in the weights.
    OptimizerState poisoned = source_opt.export_state();
    poisoned.vectors[1][5] = 1234.5678;  // save_checkpoint refuses NaN: the file gets it afterwards
    Adam poisoned_opt;
    poisoned_opt.import_state(poisoned);
    save_checkpoint(source, poisoned_opt, path);
    testing::replace_in_file(path, 1234.5678, std::nan(""), true);
    expect_error("NaN in the Adam state vector v at index 5 (tensor \"0.weight\" at [5, 0])");

    Seq<Dense<8, 16>, ReLU, Dense<16, 3>> other{Seed{1}};
    const std::string sizes = std::to_string(Dropped::parameter_count) + " values, the network has " +
                              std::to_string(decltype(other)::parameter_count) + " parameters";
    REQUIRE_THROWS_WITH(save_checkpoint(other, source_opt, path),
                        Catch::Matchers::Contains("save_checkpoint: " + path + ": the Adam state vector m holds " +
                                                  sizes));
    Adam other_opt;
    save_checkpoint(other, other_opt, path);
    expect_error("the file holds a different network");

    std::remove(path.c_str());
    expect_error("cannot open");
}
