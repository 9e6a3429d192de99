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
#include "typenet/data/regression_dataset.hpp"

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

/// How load_regression_csv reads a file: `{.target_columns = {-2, -1}, .has_header = true}`.
struct RegressionCsvOptions {
    /// The columns holding the real-valued targets, anywhere in the row, in the order they fill y's
    /// columns: 0 is the first, −1 the last. Every other column is a feature.
    std::vector<long> target_columns = {-1};
    /// Skip the first line (column names).
    bool has_header = false;
    /// The field separator.
    char delimiter = ',';
};

namespace detail {

class CsvLine {
public:
    CsvLine(const char* who, const std::string& path, std::size_t line) : who_(who), path_(path), line_(line) {}
    [[noreturn]] void fail(std::size_t column, const std::string& problem) const {
        fail("column " + std::to_string(column + 1) + ": " + problem);
    }
    [[noreturn]] void fail(const std::string& problem) const {
        throw error(std::string(who_) + ": " + path_ + ":" + std::to_string(line_) + ": " + problem);
    }
    std::size_t line() const { return line_; }

private:
    const char* who_;
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

inline std::string csv_separator_name(char c) { return c == '\t' ? "'\\t'" : std::string("'") + c + "'"; }

/// The separator, other than `delimiter`, that occurs most often in `text` ('\0' if none does): a
/// file written with another one reads as a single column or as fields such as '1;2'.
inline char csv_other_separator(std::string_view text, char delimiter) {
    char best = '\0';
    std::size_t most = 0;
    for (char c : {',', ';', '\t', '|'}) {
        const auto n = static_cast<std::size_t>(std::ranges::count(text, c));
        if (c != delimiter && n > most) best = c, most = n;
    }
    return best;
}

/// The hint appended to a message about `field` when it holds another separator.
inline std::string csv_separator_hint(std::string_view field, char delimiter) {
    const char other = csv_other_separator(field, delimiter);
    if (other == '\0') return "";
    return " (the file seems to use " + csv_separator_name(other) + " as separator: set delimiter = " +
           csv_separator_name(other) + ")";
}

/// `column` (0 = first, −1 = last) as an index into a row of `columns`, or an error naming `option`.
inline std::size_t csv_column_index(long column, std::size_t columns, const std::string& option, const CsvLine& where) {
    const long n = static_cast<long>(columns);
    if (column >= n || column < -n)
        where.fail(option + " " + std::to_string(column) + " is outside the row's " + std::to_string(n) + " columns");
    return static_cast<std::size_t>(column < 0 ? column + n : column);
}

/// Why `text` on line 1 may not be a number: another separator, or column names.
inline std::string csv_hint(std::string_view text, char delimiter, bool may_be_header) {
    const std::string separator = csv_separator_hint(text, delimiter);
    if (!separator.empty() || !may_be_header) return separator;
    return " (if the first line holds column names, set has_header = true)";
}

/// A field that must be a finite float.
inline float csv_number(std::string_view f, std::size_t c, const CsvLine& where, bool may_be_header, char delimiter) {
    const std::string_view text = f;
    if (f.front() == '+') f.remove_prefix(1);
    float v = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    const bool parsed = ec == std::errc{} && end == f.data() + f.size();
    if (!parsed || !std::isfinite(v))  // "nan", "inf" and overflow parse, but are no data
        where.fail(c, csv_show(text) + " is not a finite number" + csv_hint(text, delimiter, may_be_header && !parsed));
    return v;
}

/// Reads the data rows of a delimited text file: calls `first_row(columns, where)` on the first one,
/// then `field(column, text, where)` for every field of every row, in order. Returns the number of
/// rows. Blank lines, a UTF-8 byte-order mark and "\r\n" ends are handled here, and so are the
/// errors every reader shares: a missing file, a ragged row, an empty field, a file without data.
template <class FirstRow, class Field>
std::size_t csv_rows(const char* who, const std::string& path, bool has_header, char delimiter, FirstRow&& first_row,
                     Field&& field) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(std::string(who) + ": " + path + ": cannot open (missing file or no permission)");

    std::size_t columns = 0;  // of the first data row; every row must match
    std::size_t rows = 0, lines = 0;
    std::string text;
    std::vector<std::string_view> fields;
    for (std::size_t line = 1; std::getline(in, text); ++line) {
        lines = line;
        std::string_view view = text;
        if (line == 1 && view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);
        if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
        if (line == 1 && has_header) continue;
        if (view.find_first_not_of(" \t") == std::string_view::npos) continue;
        const CsvLine where(who, path, line);

        fields.clear();
        for (std::size_t start = 0;;) {
            const std::size_t end = view.find(delimiter, start);
            fields.push_back(csv_trim(view.substr(start, end - start), delimiter));
            if (end == std::string_view::npos) break;
            start = end + 1;
        }

        if (columns == 0) {
            columns = fields.size();
            if (columns == 1 && csv_other_separator(fields[0], delimiter) != '\0') {
                const std::string other = csv_separator_name(csv_other_separator(fields[0], delimiter));
                where.fail("line " + std::to_string(line) + " has 1 column separated by " +
                           csv_separator_name(delimiter) + "; the file seems to use " + other +
                           " as separator (set delimiter = " + other + ")");
            }
            first_row(columns, where);
        } else if (fields.size() != columns) {
            where.fail("expected " + std::to_string(columns) + " columns (as on the first data row), found " +
                       std::to_string(fields.size()) +
                       (fields.size() < columns ? " (column " + std::to_string(fields.size() + 1) + " is missing)"
                                                : " (column " + std::to_string(columns + 1) + " is extra)"));
        }
        for (std::size_t c = 0; c < fields.size(); ++c) {
            if (fields[c].empty()) where.fail(c, "empty field");
            field(c, fields[c], where);
        }
        ++rows;
    }
    if (in.bad()) throw error(std::string(who) + ": " + path + ": read error");
    if (rows == 0)
        throw error(std::string(who) + ": " + path + ": no data rows" +
                    (lines == 0 ? " (the file is empty)" : " (" + std::to_string(lines) + " line" +
                                                               (lines == 1 ? "" : "s") + ", blank or a header)"));
    return rows;
}

}  // namespace detail

/// Reads a delimited text file of numbers, one sample per line: the label column (see CsvOptions) as
/// integer class labels into y, every other column as float features into x (N, columns − 1).
/// Blank lines are skipped; "\r\n" line ends and a UTF-8 byte-order mark are accepted; a field may be
/// wrapped in double quotes, but quoted delimiters are not supported.
/// Throws typenet::error with file, line and column for: a missing file, an empty field, a field that is
/// not a finite number, a label that is not an integer or does not fit in int, a row whose column count
/// differs from the first row's, a label column outside the row, a file that seems to use another
/// separator, or a file with no data rows.
inline Dataset load_csv(const std::string& path, const CsvOptions& options = {}) {
    std::vector<float> values;
    std::vector<int> labels;
    std::size_t label_index = 0;
    const bool labelled = options.label_column.has_value();
    auto first_row = [&](std::size_t columns, const detail::CsvLine& where) {
        if (!labelled) return;
        label_index = detail::csv_column_index(*options.label_column, columns, "label_column", where);
        if (columns < 2) where.fail("a row needs at least one feature besides the label");
    };
    auto field = [&](std::size_t c, std::string_view f, const detail::CsvLine& where) {
        const bool may_be_header = where.line() == 1 && !options.has_header;
        if (!labelled || c != label_index) {
            values.push_back(detail::csv_number(f, c, where, may_be_header, options.delimiter));
            return;
        }
        const std::string_view text = f;
        if (f.front() == '+') f.remove_prefix(1);
        long long label = 0;
        const char* last = f.data() + f.size();
        const auto [end, ec] = std::from_chars(f.data(), last, label);
        if (ec == std::errc::result_out_of_range ||
            (ec == std::errc{} && end == last &&
             (label < std::numeric_limits<int>::min() || label > std::numeric_limits<int>::max())))
            where.fail(c, "label " + detail::csv_show(text) + " does not fit in int");
        if (ec != std::errc{} || end != last)
            where.fail(c, "label " + detail::csv_show(text) + " is not an integer" +
                              detail::csv_hint(text, options.delimiter, may_be_header));
        labels.push_back(static_cast<int>(label));
    };
    const std::size_t rows = detail::csv_rows("load_csv", path, options.has_header, options.delimiter, first_row, field);

    Dataset data;
    data.x = Matrix<float>::from_shape({rows, values.size() / rows});
    std::copy(values.begin(), values.end(), data.x.begin());
    data.y = std::move(labels);
    return data;
}

/// Reads a delimited text file of numbers for regression, one sample per line: the target columns
/// (RegressionCsvOptions::target_columns, in that order) as floats into y (N, targets), every other
/// column, in file order, as float features into x (N, columns − targets). The format and the errors
/// are load_csv's, with file, line and column; the targets must be finite numbers too, and
/// `target_columns` must name distinct columns inside the row and leave at least one feature.
inline RegressionDataset load_regression_csv(const std::string& path, const RegressionCsvOptions& options = {}) {
    std::vector<float> features, targets;
    std::vector<std::size_t> target_of;  // per column: its position in y, or `feature`
    constexpr std::size_t feature = static_cast<std::size_t>(-1);
    auto first_row = [&](std::size_t columns, const detail::CsvLine& where) {
        if (options.target_columns.empty()) where.fail("target_columns is empty: name at least one column");
        target_of.assign(columns, feature);
        for (std::size_t t = 0; t < options.target_columns.size(); ++t) {
            const std::size_t c = detail::csv_column_index(options.target_columns[t], columns, "target_columns entry",
                                                           where);
            if (target_of[c] != feature)
                where.fail("target_columns names column " + std::to_string(c + 1) + " twice");
            target_of[c] = t;
        }
        if (options.target_columns.size() >= columns) where.fail("a row needs at least one feature besides the targets");
    };
    const std::size_t outputs = options.target_columns.size();
    auto field = [&](std::size_t c, std::string_view f, const detail::CsvLine& where) {
        const float v = detail::csv_number(f, c, where, where.line() == 1 && !options.has_header, options.delimiter);
        if (c == 0) targets.resize(targets.size() + outputs);  // this row's, in target_columns' order
        if (target_of[c] == feature) features.push_back(v);
        else targets[targets.size() - outputs + target_of[c]] = v;
    };
    const std::size_t rows =
        detail::csv_rows("load_regression_csv", path, options.has_header, options.delimiter, first_row, field);

    RegressionDataset data;
    data.x = Matrix<float>::from_shape({rows, features.size() / rows});
    std::copy(features.begin(), features.end(), data.x.begin());
    data.y = Matrix<float>::from_shape({rows, outputs});
    std::copy(targets.begin(), targets.end(), data.y.begin());
    return data;
}

}  // namespace typenet
