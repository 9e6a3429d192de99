// load_csv and load_npy: values, options, and malformed files as errors naming file and line.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <typenet/data/csv.hpp>
#include <typenet/data/npy.hpp>

#include "catch.hpp"

using namespace typenet;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("typenet_text_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& content) const {
        const std::string p = (path / name).string();
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
};

const fs::path fixtures = fs::path(__FILE__).parent_path().parent_path() / "data";

/// The value data_make_npy.py stores at row-major element k.
float ramp(std::size_t k) { return static_cast<float>(k) * 0.5f - 1.0f; }

/// A version-1.0 .npy file written here, for the malformed variants NumPy would never produce.
std::string npy(const std::string& descr, const std::string& shape, const std::string& data,
                const std::string& fortran = "False", std::size_t pad_to = 128) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    const std::size_t header_len = pad_to - 10;
    dict.append(header_len - dict.size() - 1, ' ');
    dict += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header_len & 0xFF);
    out += static_cast<char>(header_len >> 8);
    return out + dict + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
    std::string s(v.size() * sizeof(T), '\0');
    std::memcpy(s.data(), v.data(), s.size());
    return s;
}

}  // namespace

// ---- CSV -----------------------------------------------------------------------------------------

TEST_CASE("load_csv reads labels from the first column by default", "[data]") {
    TempDir dir;
    const Dataset d = load_csv(dir.write("a.csv", "1, 0.5,2\n0,-3e2, 4.25\r\n\n7,\"1\",0\n"));
    REQUIRE(d.x.shape(0) == 3);
    REQUIRE(d.x.shape(1) == 2);
    CHECK(d.y == std::vector<int>{1, 0, 7});
    CHECK(d.x(0, 0) == 0.5f);
    CHECK(d.x(0, 1) == 2.0f);
    CHECK(d.x(1, 0) == -300.0f);
    CHECK(d.x(1, 1) == 4.25f);
    CHECK(d.x(2, 0) == 1.0f);
}

TEST_CASE("load_csv options: header, delimiter, label column from the end, no labels", "[data]") {
    TempDir dir;
    const std::string p = dir.write("b.tsv", "\xEF\xBB\xBF" "a\tb\tclass\n1.5\t2\t3\n4\t5\t-6\n");
    const Dataset d = load_csv(p, {.label_column = -1, .has_header = true, .delimiter = '\t'});
    CHECK(d.y == std::vector<int>{3, -6});
    REQUIRE(d.features() == 2);
    CHECK(d.x(0, 0) == 1.5f);
    CHECK(d.x(1, 1) == 5.0f);

    const Dataset middle = load_csv(p, {.label_column = 1, .has_header = true, .delimiter = '\t'});
    CHECK(middle.y == std::vector<int>{2, 5});
    CHECK(middle.x(1, 1) == -6.0f);

    const Dataset all = load_csv(p, {.label_column = std::nullopt, .has_header = true, .delimiter = '\t'});
    CHECK(all.features() == 3);
    CHECK(all.y.empty());
    CHECK(all.x(1, 2) == -6.0f);
}

TEST_CASE("load_csv: malformed input is an error naming file, line and column", "[data]") {
    TempDir dir;
    const auto throws = [&](const std::string& content, const std::string& expected, const CsvOptions& o = {}) {
        const std::string p = dir.write("bad.csv", content);
        REQUIRE_THROWS_AS(load_csv(p, o), typenet::error);
        REQUIRE_THROWS_WITH(load_csv(p, o), Contains("load_csv: " + p + ":") && Contains(expected));
    };
    throws("1,2,3\n0,4\n", ":2: expected 3 columns (as on the first data row), found 2");
    throws("1,2,3\n0,4,5,6\n", ":2: expected 3 columns");
    throws("1,2,3\n\n0,4,x\n", ":3: column 3: 'x' is not a finite number");
    throws("1,2,3\n0,,5\n", ":2: column 2: empty field");
    throws("1,2,nan\n", ":1: column 3: 'nan' is not a finite number");
    throws("1,2,1e60\n", ":1: column 3: '1e60' is not a finite number");
    throws("1.5,2,3\n", ":1: column 1: label '1.5' is not an integer");
    throws("3000000000,2,3\n", ":1: column 1: label '3000000000' does not fit in int");
    throws("label,pixel\n1,2\n", "set has_header = true");
    throws("1,2\n", "label_column 5 is outside the row's 2 columns", {.label_column = 5});
    throws("1,2\n", "label_column -3 is outside", {.label_column = -3});
    throws("1\n", "at least one feature besides the label");
    throws("", "no data rows");
    throws("a,b\n", "no data rows", {.has_header = true});
    REQUIRE_THROWS_WITH(load_csv((dir.path / "missing.csv").string()), Contains("missing.csv: cannot open"));
}

TEST_CASE("load_csv names the separator a file seems to use instead of the delimiter", "[data]") {
    TempDir dir;
    const std::string semicolons = dir.write("semi.csv", "1;0.5;2\n0;3;4\n");
    REQUIRE_THROWS_WITH(load_csv(semicolons), Contains(semicolons + ":1: line 1 has 1 column separated by ','; the "
                                                       "file seems to use ';' as separator (set delimiter = ';')"));
    const Dataset d = load_csv(semicolons, {.delimiter = ';'});
    CHECK(d.y == std::vector<int>{1, 0});
    REQUIRE_THROWS_WITH(load_csv(dir.write("tabs.csv", "1\t2\t3\n")), Contains("seems to use '\\t' as separator"));
    // Decimal commas with ';' between fields split into fields such as '5;2'.
    REQUIRE_THROWS_WITH(load_csv(dir.write("decimal.csv", "1,5;2,3\n")),
                        Contains(":1: column 2: '5;2' is not a finite number (the file seems to use ';' as separator"));
    REQUIRE_THROWS_WITH(load_csv(dir.write("empty.csv", "")), Contains("no data rows (the file is empty)"));
}

TEST_CASE("load_regression_csv reads target columns anywhere in the row, in the order given", "[data][regression]") {
    TempDir dir;
    const std::string p = dir.write("motor.csv", "speed,torque,temp,current,load\n1,2,3,4,5\n6,7,8,9,10\n");
    const RegressionDataset d = load_regression_csv(p, {.target_columns = {-1, 1}, .has_header = true});
    REQUIRE(d.size() == 2);
    REQUIRE(d.features() == 3);
    REQUIRE(d.outputs() == 2);
    CHECK(d.y(0, 0) == 5.0f);  // load, then torque
    CHECK(d.y(0, 1) == 2.0f);
    CHECK(d.y(1, 0) == 10.0f);
    CHECK(d.y(1, 1) == 7.0f);
    CHECK(d.x(0, 0) == 1.0f);  // speed, temp, current: file order
    CHECK(d.x(0, 1) == 3.0f);
    CHECK(d.x(1, 2) == 9.0f);

    const RegressionDataset last = load_regression_csv(dir.write("last.csv", "0.5;-1\n2;3e2\n"), {.delimiter = ';'});
    REQUIRE(last.outputs() == 1);
    CHECK(last.y(1, 0) == 300.0f);
    CHECK(last.x(0, 0) == 0.5f);
}

TEST_CASE("load_regression_csv: bad files and options are errors naming file, line and column", "[data][regression]") {
    TempDir dir;
    const auto throws = [&](const std::string& content, const std::string& expected,
                            const RegressionCsvOptions& o = {}) {
        const std::string p = dir.write("bad.csv", content);
        REQUIRE_THROWS_AS(load_regression_csv(p, o), typenet::error);
        REQUIRE_THROWS_WITH(load_regression_csv(p, o), Contains("load_regression_csv: " + p + ":") && Contains(expected));
    };
    throws("1,2,3\n4,5\n", ":2: expected 3 columns (as on the first data row), found 2 (column 3 is missing)");
    throws("1,2,3\n4,5,6,7\n", ":2: expected 3 columns (as on the first data row), found 4 (column 4 is extra)");
    throws("1,2,3\n4,x,6\n", ":2: column 2: 'x' is not a finite number");
    throws("1,2,3\n4,5,nan\n", ":2: column 3: 'nan' is not a finite number");  // a target
    throws("1,NaN,3\n", ":1: column 2: 'NaN' is not a finite number");
    throws("1,2,\n", ":1: column 3: empty field");
    throws("x,y\n1,2\n", ":1: column 1: 'x' is not a finite number (if the first line holds column names");
    throws("1;2;3\n", ":1: line 1 has 1 column separated by ','; the file seems to use ';' as separator");
    throws("", "no data rows (the file is empty)");
    throws("x,y\n\n", "no data rows (2 lines, blank or a header)", {.has_header = true});
    throws("1,2\n", ":1: target_columns entry 2 is outside the row's 2 columns", {.target_columns = {2}});
    throws("1,2,3\n", ":1: target_columns names column 3 twice", {.target_columns = {2, -1}});
    throws("1,2\n", ":1: a row needs at least one feature besides the targets", {.target_columns = {0, 1}});
    throws("1,2\n", ":1: target_columns is empty", {.target_columns = {}});
    REQUIRE_THROWS_WITH(load_regression_csv((dir.path / "missing.csv").string()), Contains("missing.csv: cannot open"));
}

// ---- NPY -----------------------------------------------------------------------------------------

TEST_CASE("load_npy reads files written by NumPy: dtypes, Fortran order, flattening", "[data]") {
    const Matrix<float> f4 = load_npy((fixtures / "data_f4_2d.npy").string());
    REQUIRE(f4.shape(0) == 3);
    REQUIRE(f4.shape(1) == 4);
    for (std::size_t k = 0; k < 12; ++k) CHECK(f4.data()[k] == ramp(k));

    // Stored column-major; read back in the same row-major order.
    const Matrix<float> f8 = load_npy((fixtures / "data_f8_fortran.npy").string());
    REQUIRE(f8.shape(0) == 3);
    REQUIRE(f8.shape(1) == 4);
    for (std::size_t k = 0; k < 12; ++k) CHECK(f8.data()[k] == ramp(k));

    const Matrix<float> u1 = load_npy((fixtures / "data_u1_3d.npy").string());  // (2, 2, 3) -> (2, 6)
    REQUIRE(u1.shape(0) == 2);
    REQUIRE(u1.shape(1) == 6);
    for (std::size_t k = 0; k < 12; ++k) CHECK(u1.data()[k] == static_cast<float>(k * 20));

    const Matrix<float> i2 = load_npy((fixtures / "data_i2_1d.npy").string());  // (5) -> (5, 1)
    REQUIRE(i2.shape(0) == 5);
    REQUIRE(i2.shape(1) == 1);
    for (std::size_t k = 0; k < 5; ++k)
        CHECK(i2.data()[k] == static_cast<float>(static_cast<std::int16_t>(ramp(k)) * 1000 + 7));
}

TEST_CASE("load_npy reads a 182-byte header, whose length xnpy alone misreads", "[data]") {
    const Matrix<float> m = load_npy((fixtures / "data_long_header.npy").string());
    REQUIRE(m.shape(0) == 2);
    REQUIRE(m.shape(1) == 1);
    CHECK(m(0, 0) == ramp(0));
    CHECK(m(1, 0) == ramp(1));
}

TEST_CASE("load_npy with labels: a Dataset, counts checked", "[data]") {
    const std::string x = (fixtures / "data_f4_2d.npy").string();
    const Dataset d = load_npy(x, (fixtures / "data_labels_i8.npy").string());
    CHECK(d.y == std::vector<int>{3, 0, 9});
    CHECK(d.features() == 4);
    REQUIRE_THROWS_WITH(load_npy(x, (fixtures / "data_i2_1d.npy").string()),
                        Contains("has 3 samples but") && Contains("has 5 labels"));
}

TEST_CASE("load_npy_labels: integers or integral floats that fit in int", "[data]") {
    TempDir dir;
    CHECK(load_npy_labels(dir.write("a.npy", npy("<f8", "(3,)", raw<double>({1, -2, 7})))) == std::vector<int>{1, -2, 7});
    CHECK(load_npy_labels(dir.write("b.npy", npy("|u1", "(2, 1)", raw<std::uint8_t>({200, 3})))) ==
          std::vector<int>{200, 3});
    REQUIRE_THROWS_WITH(load_npy_labels(dir.write("c.npy", npy("<f4", "(2,)", raw<float>({1, 2.5f})))),
                        Contains("label 2.5 at index 1 is not an integer"));
    REQUIRE_THROWS_WITH(load_npy_labels(dir.write("d.npy", npy("<i8", "(2,)", raw<std::int64_t>({1, 1LL << 40})))),
                        Contains("at index 1 does not fit in int"));
    REQUIRE_THROWS_WITH(load_npy_labels(dir.write("e.npy", npy("<f8", "(2,)", raw<double>({1, 2147483648.0})))),
                        Contains("does not fit in int"));
    REQUIRE_THROWS_WITH(load_npy_labels(dir.write("f.npy", npy("<i4", "(2, 2)", raw<std::int32_t>({1, 2, 3, 4})))),
                        Contains("labels must have shape (N) or (N, 1)"));
}

TEST_CASE("load_npy: malformed files are errors naming the file and the problem", "[data]") {
    TempDir dir;
    const std::string twelve = raw<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    const auto throws = [&](const std::string& content, const std::string& expected) {
        const std::string p = dir.write("bad.npy", content);
        REQUIRE_THROWS_AS(load_npy(p), typenet::error);
        REQUIRE_THROWS_WITH(load_npy(p), Contains("load_npy: " + p + ": ") && Contains(expected));
    };
    // A hand-made file that is valid, so the failures below are due to the one thing changed.
    REQUIRE(load_npy(dir.write("ok.npy", npy("<f4", "(3, 4)", twelve)))(2, 3) == 11.0f);

    throws(npy("<f4", "(3, 4)", twelve.substr(0, 40)), "truncated: expected 48 data bytes, got 40");
    throws(npy("<f4", "(3, 4)", twelve + "xy"), "unexpected data: 2 bytes after the 48 data bytes");
    throws(npy("<f4", "(3, 4)", twelve).substr(0, 60), "truncated: the header declares 118 bytes");
    throws(npy("<f4", "(3, 4)", twelve).substr(0, 7), "truncated: the file ends inside the .npy header");
    throws("PK\x03\x04 this is a zip", "not a .npy file");
    throws(npy(">f4", "(3, 4)", twelve), "big-endian data ('>f4') is not supported");
    throws(npy("<f2", "(3, 4)", twelve.substr(0, 24)), "unsupported dtype '<f2'");
    throws(npy("<c8", "(3, 2)", twelve), "unsupported dtype '<c8'");
    throws(npy("<U3", "(4,)", twelve), "unsupported dtype '<U3'");
    throws(npy("<f4", "(3, 4", twelve), "malformed header");
    throws(npy("<f4", "(3, x)", twelve), "malformed header: expected a dimension");
    throws(npy("<f4", "(3, 4)", twelve, "Maybe"), "fortran_order must be True or False");
    throws(npy("<f4", "()", raw<float>({1})), "0-dimensional");
    throws(npy("<f4", "(99999999999999999999999, 4)", twelve), "dimension too large");
    throws(npy("<f4", "(4294967296, 4294967296, 4294967296)", twelve), "overflows");
    throws(npy("|b1", "(3,)", std::string("\x00\x01\x02", 3)), "a bool element is neither 0 nor 1");
    std::string version3 = npy("<f4", "(3, 4)", twelve);
    version3[6] = '\x03';
    throws(version3, "unsupported .npy format version 3.0");
    std::string no_newline = npy("<f4", "(3, 4)", twelve);
    no_newline[127] = ' ';
    throws(no_newline, "must end with a newline");
    std::string structured = npy("<f4", "(3, 4)", twelve);
    structured.replace(structured.find("'<f4'"), 5, "[('a'");
    throws(structured, "structured dtypes");
    REQUIRE_THROWS_WITH(load_npy((dir.path / "missing.npy").string()), Contains("missing.npy: cannot open"));
}

TEST_CASE("load_npy: keys in any order, any header length, bool and zero-length arrays", "[data]") {
    TempDir dir;
    std::string reordered = "{'shape': (2, 2), 'fortran_order': True, 'descr': '<i4'}";
    reordered.append(117 - reordered.size(), ' ');
    reordered += '\n';
    std::string file = std::string("\x93NUMPY\x01\x00", 8) + std::string("\x76\x00", 2) + reordered +
                       raw<std::int32_t>({1, 2, 3, 4});
    const Matrix<float> m = load_npy(dir.write("r.npy", file));  // column-major (2, 2): [[1, 3], [2, 4]]
    CHECK(m(0, 0) == 1.0f);
    CHECK(m(0, 1) == 3.0f);
    CHECK(m(1, 0) == 2.0f);
    CHECK(m(1, 1) == 4.0f);

    for (std::size_t total : {std::size_t{192}, std::size_t{256}, std::size_t{400}}) {
        const Matrix<float> p = load_npy(dir.write("p.npy", npy("<f4", "(2, 1)", raw<float>({5, 6}), "False", total)));
        CHECK(p(1, 0) == 6.0f);
    }
    const Matrix<float> b = load_npy(dir.write("b.npy", npy("|b1", "(3,)", std::string("\x01\x00\x01", 3))));
    CHECK(b(0, 0) == 1.0f);
    CHECK(b(1, 0) == 0.0f);
    const Matrix<float> e = load_npy(dir.write("e.npy", npy("<f4", "(0, 5)", "")));
    CHECK(e.shape(0) == 0);
    CHECK(e.shape(1) == 5);
}
