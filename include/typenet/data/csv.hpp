#pragma once
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"

namespace typenet {

/// How load_csv reads a file.
struct CsvOptions {
    /// The column holding the integer class label: 0 is the first, −1 the last; std::nullopt when the
    /// file has no labels (y is then empty).
    std::optional<long> label_column = 0;
    /// Skip the first line (column names).
    bool has_header = false;
    /// The field separator.
    char delimiter = ',';
};

namespace detail {

class CsvLine {
public:
    CsvLine(const std::string& path, std::size_t line) : path_(path), line_(line) {}
    [[noreturn]] void fail(std::size_t column, const std::string& problem) const {
        throw error("load_csv: " + path_ + ":" + std::to_string(line_) + ": column " + std::to_string(column + 1) +
                    ": " + problem);
    }
    [[noreturn]] void fail(const std::string& problem) const {
        throw error("load_csv: " + path_ + ":" + std::to_string(line_) + ": " + problem);
    }

private:
    const std::string& path_;
    std::size_t line_;
};

/// The field without surrounding blanks (other than the delimiter itself) and without one pair of quotes.
inline std::string_view csv_trim(std::string_view f, char delimiter) {
    auto blank = [delimiter](char c) { return c != delimiter && (c == ' ' || c == '\t'); };
    while (!f.empty() && blank(f.front())) f.remove_prefix(1);
    while (!f.empty() && blank(f.back())) f.remove_suffix(1);
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    return f;
}

inline std::string csv_show(std::string_view f) {
    constexpr std::size_t longest = 40;
    // Appended piece by piece: GCC 12 -O3 reports a false -Wrestrict for "literal" + std::string&&.
    std::string out = "'";
    out.append(f.substr(0, longest));
    out += f.size() > longest ? "...'" : "'";
    return out;
}

}  // namespace detail

/// Reads a delimited text file of numbers, one sample per line: the label column (see CsvOptions) as
/// integer class labels into y, every other column as float features into x (N, columns − 1).
/// Blank lines are skipped; "\r\n" line ends and a UTF-8 byte-order mark are accepted; a field may be
/// wrapped in double quotes, but quoted delimiters are not supported.
/// Throws typenet::error with file, line and column for: a missing file, an empty field, a field that is
/// not a finite number, a label that is not an integer or does not fit in int, a row whose column count
/// differs from the first row's, a label column outside the row, or a file with no data rows.
inline Dataset load_csv(const std::string& path, const CsvOptions& options = {}) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error("load_csv: " + path + ": cannot open (missing file or no permission)");

    std::vector<float> values;
    std::vector<int> labels;
    std::size_t columns = 0;  // of the first data row; every row must match
    std::size_t label_index = 0;
    std::size_t rows = 0;
    std::string text;
    std::vector<std::string_view> fields;
    for (std::size_t line = 1; std::getline(in, text); ++line) {
        std::string_view view = text;
        if (line == 1 && view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);
        if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
        if (line == 1 && options.has_header) continue;
        if (view.find_first_not_of(" \t") == std::string_view::npos) continue;
        const detail::CsvLine where(path, line);

        fields.clear();
        for (std::size_t start = 0;;) {
            const std::size_t end = view.find(options.delimiter, start);
            fields.push_back(detail::csv_trim(view.substr(start, end - start), options.delimiter));
            if (end == std::string_view::npos) break;
            start = end + 1;
        }

        if (columns == 0) {
            columns = fields.size();
            if (options.label_column) {
                const long c = *options.label_column;
                const long n = static_cast<long>(columns);
                if (c >= n || c < -n)
                    where.fail("label_column " + std::to_string(c) + " is outside the row's " + std::to_string(n) +
                               " columns");
                label_index = static_cast<std::size_t>(c < 0 ? c + n : c);
                if (columns < 2) where.fail("a row needs at least one feature besides the label");
            }
        } else if (fields.size() != columns) {
            where.fail("expected " + std::to_string(columns) + " columns (as on the first data row), found " +
                       std::to_string(fields.size()));
        }

        for (std::size_t c = 0; c < fields.size(); ++c) {
            std::string_view f = fields[c];
            if (f.empty()) where.fail(c, "empty field");
            if (f.front() == '+') f.remove_prefix(1);
            const char* first = f.data();
            const char* last = f.data() + f.size();
            if (options.label_column && c == label_index) {
                long long label = 0;
                const auto [end, ec] = std::from_chars(first, last, label);
                if (ec == std::errc::result_out_of_range || (ec == std::errc{} && end == last &&
                                                             (label < std::numeric_limits<int>::min() ||
                                                              label > std::numeric_limits<int>::max())))
                    where.fail(c, "label " + detail::csv_show(fields[c]) + " does not fit in int");
                if (ec != std::errc{} || end != last)
                    where.fail(c, "label " + detail::csv_show(fields[c]) + " is not an integer" +
                                      (line == 1 && !options.has_header ? " (if the first line holds column names, set "
                                                                          "has_header = true)"
                                                                        : ""));
                labels.push_back(static_cast<int>(label));
            } else {
                float v = 0;
                const auto [end, ec] = std::from_chars(first, last, v);
                if (ec != std::errc{} || end != last || !std::isfinite(v))
                    where.fail(c, detail::csv_show(fields[c]) + " is not a finite number" +
                                      (line == 1 && !options.has_header ? " (if the first line holds column names, set "
                                                                          "has_header = true)"
                                                                        : ""));
                values.push_back(v);
            }
        }
        ++rows;
    }
    if (in.bad()) throw error("load_csv: " + path + ": read error");
    if (rows == 0) throw error("load_csv: " + path + ": no data rows");

    const std::size_t features = options.label_column ? columns - 1 : columns;
    Dataset data;
    data.x = Matrix<float>::from_shape({rows, features});
    std::copy(values.begin(), values.end(), data.x.begin());
    data.y = std::move(labels);
    return data;
}

}  // namespace typenet
