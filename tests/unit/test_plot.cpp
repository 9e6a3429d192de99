#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/xml_check.hpp"
#include "typenet/typenet.hpp"

using namespace typenet;

namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("typenet_test_plot_" + name)).string();
}

std::string read_and_remove(const std::string& path) {
    std::string text;
    {
        std::ifstream in(path);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::filesystem::remove(path);
    return text;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("the XML check accepts well-formed documents and names what is wrong with others", "[plot]") {
    CHECK(testing::xml_problem("<svg a='1' b=\"2\"><g><text>a &amp; b &#60; &#x3c;</text></g><rect/></svg>\n").empty());
    CHECK(testing::xml_problem("<?xml version='1.0'?><!-- c --><svg/>").empty());
    CHECK(testing::xml_problem("<svg><g></svg>").find("does not close") != std::string::npos);
    CHECK(testing::xml_problem("<svg><text>a & b</text></svg>").find("bad entity") != std::string::npos);
    CHECK(testing::xml_problem("<svg><text>a < b</text></svg>").find("tag name") != std::string::npos);
    CHECK(testing::xml_problem("<svg a=1/>").find("not quoted") != std::string::npos);
    CHECK(testing::xml_problem("<svg a='1' a='2'/>").find("repeated") != std::string::npos);
    CHECK(testing::xml_problem("<svg/><svg/>").find("second root") != std::string::npos);
    CHECK(testing::xml_problem("<svg>").find("never closed") != std::string::npos);
    CHECK(testing::xml_problem("<svg a='<'/>").find("'<'") != std::string::npos);
    CHECK(testing::xml_problem("").find("no root") != std::string::npos);
}

TEST_CASE("svg::escaped turns XML's special characters into entities", "[plot]") {
    CHECK(svg::escaped("a<b>&'\"c") == "a&lt;b&gt;&amp;&apos;&quot;c");
    CHECK(testing::xml_problem("<t>" + svg::escaped("<&>'\"") + "</t>").empty());
}

TEST_CASE("plot_history_svg writes well-formed SVG, with and without accuracies and with NaN", "[plot]") {
    History h;
    for (std::size_t e = 1; e <= 4; ++e)
        h.epochs.push_back({.epoch = e, .train_loss = 1.0 / e, .train_accuracy = 0.5 + 0.1 * e, .val_loss = e == 2 ? not_a_number : 1.1 / e,
                            .val_accuracy = 0.4 + 0.1 * e, .lr = 0.1, .seconds = 1});
    const std::string path = temp_path("history.svg");
    plot_history_svg(h, path);
    const std::string svg = read_and_remove(path);
    CHECK(testing::xml_problem(svg).empty());
    CHECK(count(svg, "<polyline") == 4);
    for (auto& e : h.epochs) e.train_accuracy = e.val_accuracy = not_a_number;
    plot_history_svg(h, path);
    const std::string loss_only = read_and_remove(path);
    CHECK(testing::xml_problem(loss_only).empty());
    CHECK(count(loss_only, "<polyline") == 2);
}

TEST_CASE("plot_histograms_svg: a panel per input, bars that add up, statistics, shared range", "[plot]") {
    std::vector<HistogramPanel> panels;
    for (int layer = 0; layer < 7; ++layer) {
        HistogramPanel p{"layer " + std::to_string(layer) + " <tanh & co>", {}};
        for (int i = 0; i < 1000; ++i) p.values.push_back(std::sin(i * 0.37) / (1 + layer));
        panels.push_back(p);
    }
    panels[3].values.push_back(not_a_number);
    panels[3].values.push_back(infinity);
    const std::string path = temp_path("histograms.svg");
    plot_histograms_svg(panels, path, {.title = "activations", .bins = 20, .columns = 3});
    const std::string svg = read_and_remove(path);
    INFO(testing::xml_problem(svg));
    CHECK(testing::xml_problem(svg).empty());
    CHECK(count(svg, "layer 0 &lt;tanh &amp; co&gt;") == 1);
    CHECK(count(svg, "2 not finite") == 1);
    CHECK(svg.find("width='590' height='485'") != std::string::npos);  // 3 columns, 3 rows, a title
    // Each panel's own statistics; the range (and so the axis labels) is shared: layer 0's, the widest.
    const double mean0 = std::accumulate(panels[0].values.begin(), panels[0].values.end(), 0.0) / 1000;
    CHECK(svg.find(svg::format("mean %.3g, std ", mean0)) != std::string::npos);
    const double low = *std::min_element(panels[0].values.begin(), panels[0].values.end());
    CHECK(count(svg, svg::format(">%.3g</text>", low)) == 7);

    SECTION("a given range clamps outliers into the edge bins") {
        plot_histograms_svg({{"one", {-10, 0.5, 10}}}, path, {.bins = 4, .low = 0, .high = 1});
        const std::string one = read_and_remove(path);
        CHECK(testing::xml_problem(one).empty());
        CHECK(count(one, "fill='#1f77b4'") == 3);  // bins 0 (−10), 2 (0.5), 3 (10)
    }
    SECTION("only non-finite values, or one value, still draw") {
        plot_histograms_svg({{"not_a_number", {not_a_number, not_a_number}}, {"const", {2, 2, 2}}}, path);
        const std::string odd = read_and_remove(path);
        CHECK(testing::xml_problem(odd).empty());
        CHECK(odd.find("mean nan") != std::string::npos);
        CHECK(odd.find("mean 2, std 0") != std::string::npos);
    }
    SECTION("errors") {
        CHECK_THROWS_WITH(plot_histograms_svg({}, path), Catch::Contains("no panels"));
        CHECK_THROWS_WITH(plot_histograms_svg(panels, path, {.bins = 0}), Catch::Contains("at least 1"));
        CHECK_THROWS_WITH(plot_histograms_svg(panels, path, {.low = 1, .high = 0}), Catch::Contains("low < high"));
        CHECK_THROWS_WITH(plot_histograms_svg(panels, path, {.low = -infinity}), Catch::Contains("finite"));
        CHECK_THROWS_WITH(plot_histograms_svg(panels, "/nonexistent-dir/x.svg"), Catch::Contains("/nonexistent-dir/x.svg"));
        CHECK_FALSE(std::filesystem::exists(path));
    }
}

TEST_CASE("plot_trajectories_svg: contour lines where f crosses its levels, trajectories clipped, NaN breaks a line",
          "[plot]") {
    auto bowl = [](double x, double y) { return x * x + y * y; };
    const std::string path = temp_path("trajectories.svg");
    std::vector<Trajectory> paths{{"SGD & momentum", {{0.9, 0.9}, {0.5, 0.4}, {0.1, 0.05}}},
                                  {"diverges", {{-0.5, 0.5}, {-2, 2}, {not_a_number, not_a_number}, {0.2, 0.2}}}};
    plot_trajectories_svg(bowl, paths, path, {.title = "a bowl", .levels = 6, .grid = 40});
    const std::string svg = read_and_remove(path);
    INFO(testing::xml_problem(svg));
    CHECK(testing::xml_problem(svg).empty());
    CHECK(count(svg, "<path fill='none' stroke='#ccc'") == 6);
    CHECK(count(svg, "<polyline") == 3);  // the second trajectory is cut by its NaN point
    CHECK(svg.find("SGD &amp; momentum") != std::string::npos);

    SECTION("contour points lie on their level") {
        // A linear f has straight contour lines: every endpoint of the level's segments has f = level.
        auto plane = [](double x, double y) { return x + 2 * y; };
        plot_trajectories_svg(plane, {}, path, {.x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1, .levels = 1, .grid = 10});
        const std::string flat = read_and_remove(path);
        CHECK(testing::xml_problem(flat).empty());
        const std::size_t d = flat.find(" d='M");
        REQUIRE(d != std::string::npos);
        // Pixel (px, py) back to (x, y): x = (px − 50)/480, y = (15 + 480 − py)/480.
        double px = 0, py = 0, qx = 0, qy = 0;
        REQUIRE(std::sscanf(flat.c_str() + d + 4, "M%lf %lfL%lf %lf", &px, &py, &qx, &qy) == 4);
        const double level1 = (px - 50) / 480 + 2 * (495 - py) / 480, level2 = (qx - 50) / 480 + 2 * (495 - qy) / 480;
        CHECK(level1 == Approx(level2).margin(0.01));
        CHECK(level1 == Approx(1.5).margin(0.02));  // the median of x + 2y over the unit square
    }
    SECTION("a saddle gets crossing lines, a function that is NaN somewhere still draws") {
        plot_trajectories_svg([](double x, double y) { return x * x - y * y; }, paths, path, {.levels = 5});
        CHECK(testing::xml_problem(read_and_remove(path)).empty());
        plot_trajectories_svg([](double x, double y) { return x > 0 ? std::log(x) + y : not_a_number; }, paths, path);
        CHECK(testing::xml_problem(read_and_remove(path)).empty());
    }
    SECTION("errors") {
        CHECK_THROWS_WITH(plot_trajectories_svg(bowl, paths, path, {.x_min = 1, .x_max = 1}), Catch::Contains("window"));
        CHECK_THROWS_WITH(plot_trajectories_svg(bowl, paths, path, {.y_max = not_a_number}), Catch::Contains("window"));
        CHECK_THROWS_WITH(plot_trajectories_svg(bowl, paths, path, {.grid = 1}), Catch::Contains("grid"));
        CHECK_FALSE(std::filesystem::exists(path));
    }
}

TEST_CASE("the committed figures of docs/tricks.md parse as XML", "[plot]") {
    const std::filesystem::path dir = std::filesystem::path(TYPENET_TEST_DATA_DIR) / ".." / ".." / "docs" / "tricks";
    std::size_t figures = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".svg") continue;
        std::ifstream in(entry.path());
        const std::string svg{std::istreambuf_iterator<char>(in), {}};
        INFO(entry.path().string() << ": " << testing::xml_problem(svg));
        CHECK(testing::xml_problem(svg).empty());
        ++figures;
    }
    CHECK(figures >= 8);
}
