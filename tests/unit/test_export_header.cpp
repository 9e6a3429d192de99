#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "data/exported_small_net.hpp"
#include "tools/exported_small_net_recipe.hpp"
#include "typenet/io/read_file.hpp"
#include "typenet/layers/conv2d.hpp"
#include "typenet/layers/flatten.hpp"
#include "typenet/layers/global_avg_pool_2d.hpp"
#include "typenet/layers/max_pool_2d.hpp"
#include "typenet/layers/residual.hpp"
#include "typenet/layers/spatial_dropout.hpp"

using namespace typenet;
using export_recipe::SmallNet;

namespace {
std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("typenet_test_" + name)).string();
}

/// The values of the array `name` = {...} in a generated header, read back with strtof.
std::vector<float> parse_array(const std::string& text, const std::string& name) {
    const auto at = text.find(name + " = {");
    REQUIRE(at != std::string::npos);
    const auto end = text.find("};", at);
    std::vector<float> out;
    const char* p = text.c_str() + text.find('{', at) + 1;
    const char* stop = text.c_str() + end;
    while (p < stop) {
        while (p < stop && (std::isspace(static_cast<unsigned char>(*p)) || *p == ',')) ++p;
        if (p >= stop) break;
        char* next = nullptr;
        out.push_back(std::strtof(p, &next));
        REQUIRE(next != p);
        p = next + (*next == 'f');
    }
    return out;
}
}  // namespace

TEST_CASE("the committed exported header rebuilds the network that produced it", "[export]") {
    // tests/data/exported_small_net.hpp is tests/tools/gen_exported_small_net.cpp's output. Training
    // may round differently with another compiler or -march, hence the tolerances.
    const SmallNet reference = export_recipe::trained();
    STATIC_REQUIRE(small_net_parameters.size() == SmallNet::parameter_count);
    STATIC_REQUIRE(small_net_buffers.size() == SmallNet::buffer_count);
    CHECK(std::string(small_net_signature) == SmallNet::signature());
    CHECK(small_net_train_steps == reference.train_steps());

    SmallNet net{Seed{99}};
    load_from_arrays(net, small_net_parameters, small_net_buffers, small_net_signature, small_net_train_steps);
    CHECK(net.train_steps() == 8);
    CHECK(std::ranges::equal(net.parameters(), small_net_parameters));
    CHECK(std::ranges::equal(net.buffers(), small_net_buffers));
    for (std::size_t i = 0; i < SmallNet::parameter_count; ++i)
        CHECK(net.parameters()[i] == Approx(reference.parameters()[i]).margin(1e-5).epsilon(1e-4));
    for (std::size_t i = 0; i < SmallNet::buffer_count; ++i)
        CHECK(net.buffers()[i] == Approx(reference.buffers()[i]).margin(1e-5).epsilon(1e-4));

    const Matrix<float> x = export_recipe::inputs();
    const Matrix<float> a = net.predict(x), b = reference.predict(x);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.flat(i) == Approx(b.flat(i)).margin(1e-4).epsilon(1e-4));
}

TEST_CASE("export_header prints every value so that it reads back bit for bit", "[export]") {
    SmallNet net = export_recipe::trained();
    // Awkward values: denormal, largest finite, negative zero, an integer, a value needing 9 digits.
    net.parameters()[0] = std::numeric_limits<float>::denorm_min();
    net.parameters()[1] = std::numeric_limits<float>::max();
    net.parameters()[2] = -0.0f;
    net.parameters()[3] = 5.0f;
    net.parameters()[4] = 0.1f + 1e-8f;
    const std::string path = temp_path("export.hpp");
    export_header(net, path, "roundtrip");
    const std::string text = io::read_file(path, "test");
    CHECK(text.find("inline constexpr char roundtrip_signature[] = \"" + SmallNet::signature() + "\";") !=
          std::string::npos);
    const std::vector<float> params = parse_array(text, "roundtrip_parameters");
    const std::vector<float> buffers = parse_array(text, "roundtrip_buffers");
    REQUIRE(params.size() == SmallNet::parameter_count);
    REQUIRE(buffers.size() == SmallNet::buffer_count);
    CHECK(std::memcmp(params.data(), net.parameters().data(), params.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(buffers.data(), net.buffers().data(), buffers.size() * sizeof(float)) == 0);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
    std::filesystem::remove(path);
}

TEST_CASE("load_from_arrays rejects wrong sizes, non-finite values and another network's arrays", "[export][errors]") {
    SmallNet net{Seed{1}};
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    std::vector<float> params(small_net_parameters.begin(), small_net_parameters.end());
    std::vector<float> buffers(small_net_buffers.begin(), small_net_buffers.end());

    std::vector<float> short_params(params.begin(), params.end() - 1);
    CHECK_THROWS_WITH(load_from_arrays(net, short_params, buffers),
                      Catch::Contains("got 62 parameters and 13 buffer values; the network has 63 and 13"));
    std::vector<float> long_buffers = buffers;
    long_buffers.push_back(0.0f);
    CHECK_THROWS_AS(load_from_arrays(net, params, long_buffers), typenet::error);
    params[7] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(load_from_arrays(net, params, buffers), Catch::Contains("NaN in the parameters at index 7"));
    params[7] = 0.0f;
    CHECK_THROWS_WITH(load_from_arrays(net, params, buffers, "float32 (4) -> Dense<4, 3, He>(3)", 0),
                      Catch::Contains("different network"));
    CHECK(std::ranges::equal(net.parameters(), before));

    CHECK_THROWS_WITH(export_header(net, temp_path("bad.hpp"), "9lives"), Catch::Contains("not a C++ identifier"));
    net.buffers()[0] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(export_header(net, temp_path("bad.hpp"), "ok"), Catch::Contains("infinite value in the buffers"));
}

TEST_CASE("export_header and load_from_arrays carry a convolutional network with a residual block", "[export][conv2d]") {
    using CNN = Seq<Input<2, 6, 6>, Conv2D<2, 4, 3, Padding<1>, NoBias>, BatchNorm, ReLU,
                    Residual<Conv2D<4, 4, 3, Padding<1>, Groups<2>>, BatchNorm>, MaxPool2D<2>, SpatialDropout<0.2>,
                    GlobalAvgPool2D, Flatten, Dense<4, 3>>;
    CNN net{Seed{3}};
    Matrix<float> x = Matrix<float>::from_shape({5, CNN::input_size});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.37f * static_cast<float>(i));
    const std::vector<int> labels{0, 1, 2, 1, 0};
    SGD opt{.lr = 0.1, .momentum = 0.9};
    for (int step = 0; step < 3; ++step) net.train_step(x, labels, SoftmaxCrossEntropy{}, opt);

    const std::string path = temp_path("export_cnn.hpp");
    export_header(net, path, "cnn");
    const std::string text = io::read_file(path, "test");
    std::filesystem::remove(path);
    CHECK(text.find("inline constexpr char cnn_signature[] = \"" + CNN::signature() + "\";") != std::string::npos);
    const std::vector<float> params = parse_array(text, "cnn_parameters");
    const std::vector<float> buffers = parse_array(text, "cnn_buffers");
    REQUIRE(params.size() == CNN::parameter_count);
    REQUIRE(buffers.size() == CNN::buffer_count);

    CNN loaded{Seed{8}};
    load_from_arrays(loaded, params, buffers, CNN::signature(), net.train_steps());
    CHECK(std::ranges::equal(loaded.parameters(), net.parameters()));
    CHECK(std::ranges::equal(loaded.buffers(), net.buffers()));  // running statistics, num_batches_tracked
    const Matrix<float> a = loaded.predict(x), b = net.predict(x);
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
}
