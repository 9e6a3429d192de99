#pragma once
/// \file NumPy .npy files, decoded by xtensor's xnpy after typenet has validated them.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xnpy.hpp>

#include "typenet/core/error.hpp"
#include "typenet/core/tensor.hpp"
#include "typenet/data/dataset.hpp"

namespace typenet {

namespace detail {

/// What a validated .npy header says.
struct NpyHeader {
    char kind = 'f';         // f, i, u or b
    std::size_t word = 4;    // bytes per element
    bool fortran = false;    // column-major data
    std::vector<std::size_t> shape;
    std::size_t count = 1;   // elements
    std::size_t data_offset = 0;
};

class NpyParser {
public:
    NpyParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

    [[noreturn]] void fail(const std::string& problem) const {
        throw error("load_npy: " + path_ + ": " + problem);
    }

    void blanks() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_;
    }
    bool eat(char c) {
        blanks();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("malformed header: expected '") + c + "' at byte " + std::to_string(i_));
    }
    std::string quoted() {
        blanks();
        if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"'))
            fail("malformed header: expected a quoted string at byte " + std::to_string(i_));
        const char q = s_[i_++];
        const std::size_t end = s_.find(q, i_);
        if (end == std::string_view::npos) fail("malformed header: unterminated string");
        std::string out(s_.substr(i_, end - i_));
        i_ = end + 1;
        return out;
    }
    bool word(std::string_view w) {
        blanks();
        if (s_.substr(i_, w.size()) == w) {
            i_ += w.size();
            return true;
        }
        return false;
    }
    std::size_t integer() {
        blanks();
        std::size_t v = 0;
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
            const auto digit = static_cast<std::size_t>(s_[i_] - '0');
            if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("corrupt header: dimension too large");
            v = v * 10 + digit;
            ++i_;
        }
        if (i_ == start) fail("malformed header: expected a dimension at byte " + std::to_string(i_));
        if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2's long literal, written by old NumPy
        return v;
    }
    bool at_end() {
        blanks();
        return i_ == s_.size();
    }

private:
    std::string_view s_;
    const std::string& path_;
    std::size_t i_ = 0;
};

inline std::uint32_t npy_little_endian(const std::string& b, std::size_t at, std::size_t n) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= std::uint32_t{static_cast<unsigned char>(b[at + k])} << (8 * k);
    return v;
}

/// Checks everything about the file that xnpy would trust: magic, version, header syntax, dtype, and
/// that the data is exactly as long as the shape says.
inline NpyHeader parse_npy_header(const std::string& bytes, const std::string& path) {
    NpyParser p("", path);
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        p.fail(bytes.size() < 10 && std::string_view(bytes).substr(0, 6) == std::string_view("\x93NUMPY").substr(0, bytes.size())
                   ? "truncated: the file ends inside the .npy header"
                   : "not a .npy file (missing the \\x93NUMPY magic)");
    const auto major = static_cast<unsigned char>(bytes[6]);
    if (major != 1 && major != 2)
        p.fail("unsupported .npy format version " + std::to_string(major) + "." +
               std::to_string(static_cast<unsigned char>(bytes[7])) + " (versions 1.0 and 2.0 are supported)");
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + len_bytes) p.fail("truncated: the file ends inside the .npy header");
    const std::size_t header_len = npy_little_endian(bytes, 8, len_bytes);
    const std::size_t start = 8 + len_bytes;
    if (header_len > bytes.size() - start)
        p.fail("truncated: the header declares " + std::to_string(header_len) + " bytes, the file has " +
               std::to_string(bytes.size() - start) + " after the preamble");

    NpyHeader h;
    h.data_offset = start + header_len;
    NpyParser q(std::string_view(bytes).substr(start, header_len), path);
    if (header_len == 0 || bytes[h.data_offset - 1] != '\n') q.fail("malformed header: it must end with a newline");
    std::string descr;
    bool has_descr = false, has_order = false, has_shape = false;
    q.expect('{');
    while (!q.eat('}')) {
        const std::string key = q.quoted();
        q.expect(':');
        if (key == "descr") {
            q.blanks();
            if (q.eat('[')) q.fail("structured dtypes (records) are not supported");
            descr = q.quoted();
            has_descr = true;
        } else if (key == "fortran_order") {
            if (q.word("True")) h.fortran = true;
            else if (q.word("False")) h.fortran = false;
            else q.fail("malformed header: fortran_order must be True or False");
            has_order = true;
        } else if (key == "shape") {
            q.expect('(');
            while (!q.eat(')')) {
                h.shape.push_back(q.integer());
                if (!q.eat(',')) {
                    q.expect(')');
                    break;
                }
            }
            has_shape = true;
        } else {
            q.fail("malformed header: unknown key '" + key + "'");
        }
        if (!q.eat(',')) {
            q.expect('}');
            break;
        }
    }
    if (!q.at_end()) q.fail("malformed header: unexpected text after the dictionary");
    if (!has_descr || !has_order || !has_shape) q.fail("malformed header: it needs descr, fortran_order and shape");

    const std::string supported = " (supported: float32/64, int8/16/32/64, uint8/16/32/64, bool)";
    if (descr.size() < 3) q.fail("unsupported dtype '" + descr + "'" + supported);
    const char order = descr[0];
    h.kind = descr[1];
    const std::string size_text = descr.substr(2);
    h.word = size_text == "1" ? 1 : size_text == "2" ? 2 : size_text == "4" ? 4 : size_text == "8" ? 8 : 0;
    const bool known = (h.kind == 'f' && (h.word == 4 || h.word == 8)) ||
                       ((h.kind == 'i' || h.kind == 'u') && h.word != 0) || (h.kind == 'b' && h.word == 1);
    if (!known || (order != '<' && order != '>' && order != '|' && order != '='))
        q.fail("unsupported dtype '" + descr + "'" + supported);
    if (h.word > 1 && order == '>')
        q.fail("big-endian data ('" + descr + "') is not supported: save it as '<" + descr.substr(1) + "'");
    if (std::endian::native != std::endian::little) q.fail("reading .npy files needs a little-endian machine");

    // Zeros are left out of the overflow check so that (0, huge, huge) cannot wrap when the feature count
    // (the product of all but the first dimension) is computed.
    std::size_t nonzero = 1;
    for (const std::size_t d : h.shape) {
        if (d != 0 && nonzero > std::numeric_limits<std::size_t>::max() / d)
            q.fail("corrupt header: the shape overflows the size of memory");
        nonzero *= d == 0 ? 1 : d;
        h.count *= d;
    }
    if (h.count > std::numeric_limits<std::size_t>::max() / h.word)
        q.fail("corrupt header: the shape overflows the size of memory");
    const std::size_t expected = h.count * h.word;
    const std::size_t actual = bytes.size() - h.data_offset;
    if (actual < expected)
        q.fail("truncated: expected " + std::to_string(expected) + " data bytes, got " + std::to_string(actual));
    if (actual > expected)
        q.fail("unexpected data: " + std::to_string(actual - expected) + " bytes after the " +
               std::to_string(expected) + " data bytes");
    if (h.kind == 'b')
        for (std::size_t k = h.data_offset; k < bytes.size(); ++k)
            if (bytes[k] != 0 && bytes[k] != 1) q.fail("corrupt data: a bool element is neither 0 nor 1");
    return h;
}

inline std::string read_whole_file(const std::string& path, const char* who) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(std::string(who) + ": " + path + ": cannot open (missing file or no permission)");
    std::string bytes;
    // One read of the known size where the file can seek (byte-wise iteration is several times slower
    // on large arrays); pipes and other unseekable files are read byte by byte.
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size >= 0 && in) {
        bytes.resize(static_cast<std::size_t>(size));
        in.read(bytes.data(), size);
        bytes.resize(static_cast<std::size_t>(in.gcount()));
    } else {
        in.clear();
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (in.bad()) throw error(std::string(who) + ": " + path + ": read error");
    return bytes;
}

/// Calls f(T{}) with the C++ type of the validated dtype.
template <class F>
decltype(auto) visit_npy_type(const NpyHeader& h, F&& f) {
    switch (h.kind) {
        case 'f': return h.word == 4 ? f(float{}) : f(double{});
        case 'b': return f(bool{});
        case 'i':
            return h.word == 1   ? f(std::int8_t{})
                   : h.word == 2 ? f(std::int16_t{})
                   : h.word == 4 ? f(std::int32_t{})
                                 : f(std::int64_t{});
        default:
            return h.word == 1   ? f(std::uint8_t{})
                   : h.word == 2 ? f(std::uint16_t{})
                   : h.word == 4 ? f(std::uint32_t{})
                                 : f(std::uint64_t{});
    }
}

/// Decodes a validated file with xt::load_npy and hands the array (shape h.shape, any layout) to
/// `use`. xnpy trusts its input (it allocates what the header declares and does not check reads), and
/// it misreads header lengths whose low byte is ≥ 0x80 or keys in another order, so it is given a
/// canonical version-1.0 header, written over the end of the original one, in front of the checked data.
template <class T, class Use>
void load_npy_with_xnpy(std::string bytes, const NpyHeader& h, const std::string& path, Use&& use) {
    std::string dict = "{'descr':'";
    dict += (sizeof(T) == 1 ? '|' : '<');
    dict += h.kind;
    dict += std::to_string(sizeof(T));
    dict += std::string("','fortran_order':") + (h.fortran ? "True" : "False") + ",'shape':(";
    for (const std::size_t d : h.shape) dict += std::to_string(d) + ",";
    dict += ")}";
    std::size_t header_len = std::min<std::size_t>(h.data_offset - 10, 0xFFFF);
    while (header_len > dict.size() && (header_len & 0x80) != 0) --header_len;
    if (header_len < dict.size() + 1 || (header_len & 0x80) != 0)
        throw error("load_npy: " + path + ": the header is too short to be re-read");
    const std::size_t at = h.data_offset - 10 - header_len;
    std::string preamble = "\x93NUMPY";
    preamble += '\x01';
    preamble += '\x00';
    preamble += static_cast<char>(header_len & 0xFF);
    preamble += static_cast<char>(header_len >> 8);
    preamble += dict;
    preamble.append(header_len - dict.size() - 1, ' ');
    preamble += '\n';
    bytes.replace(at, preamble.size(), preamble);

    std::istringstream stream(std::move(bytes));
    stream.seekg(static_cast<std::streamoff>(at));
    try {
        auto array = xt::load_npy<T>(stream);
        use(array);
    } catch (const error&) {
        throw;
    } catch (const std::exception& e) {
        throw error("load_npy: " + path + ": " + e.what());
    }
}

inline NpyHeader open_npy(const std::string& path, std::string& bytes) {
    bytes = read_whole_file(path, "load_npy");
    return parse_npy_header(bytes, path);
}

}  // namespace detail

/// Reads a .npy array (float32/64, int8–64, uint8–64 or bool; C or Fortran order) as float samples:
/// shape (N) becomes (N, 1), (N, F) stays, (N, d1, d2, ...) becomes (N, d1·d2·...). Values are converted,
/// not scaled (uint8 images stay 0–255: divide by 255 if you want [0, 1]).
/// Throws typenet::error naming the file for: a missing file, not a .npy file, an unsupported version
/// or dtype (big-endian, complex, float16, structured), a malformed header, a 0-dimensional array, or
/// data shorter or longer than the shape declares.
inline Matrix<float> load_npy(const std::string& path) {
    std::string bytes;
    const detail::NpyHeader h = detail::open_npy(path, bytes);
    if (h.shape.empty()) throw error("load_npy: " + path + ": a 0-dimensional array is not a set of samples");
    std::size_t features = 1;
    for (std::size_t d = 1; d < h.shape.size(); ++d) features *= h.shape[d];  // checked in the header
    Matrix<float> out = Matrix<float>::from_shape({h.shape[0], features});
    detail::visit_npy_type(h, [&](auto tag) {
        using T = decltype(tag);
        detail::load_npy_with_xnpy<T>(std::move(bytes), h, path, [&](const auto& array) {
            // xtensor iterates in row-major order whatever the storage layout.
            if (!h.fortran)
                std::transform(array.data(), array.data() + h.count, out.begin(),
                               [](T v) { return static_cast<float>(v); });
            else
                std::transform(array.begin(), array.end(), out.begin(), [](T v) { return static_cast<float>(v); });
        });
    });
    return out;
}

/// Reads a .npy array of class labels, shape (N) or (N, 1), integer or float with integral values, each
/// fitting in int. Throws typenet::error naming the file (and the index of a bad label).
inline std::vector<int> load_npy_labels(const std::string& path) {
    std::string bytes;
    const detail::NpyHeader h = detail::open_npy(path, bytes);
    if (h.shape.empty() || h.shape.size() > 2 || (h.shape.size() == 2 && h.shape[1] != 1))
        throw error("load_npy: " + path + ": labels must have shape (N) or (N, 1)");
    std::vector<int> labels(h.count);
    detail::visit_npy_type(h, [&](auto tag) {
        using T = decltype(tag);
        detail::load_npy_with_xnpy<T>(std::move(bytes), h, path, [&](const auto& array) {
            for (std::size_t i = 0; i < h.count; ++i) {
                const T v = array.data()[i];
                const auto bad = [&](const char* why) {
                    std::ostringstream s;
                    s << "load_npy: " << path << ": label " << +v << " at index " << i << " " << why;
                    throw error(s.str());
                };
                if constexpr (std::is_floating_point_v<T>) {
                    if (!std::isfinite(v) || std::trunc(v) != v) bad("is not an integer");
                    // Compared in double, where both ends of int's range are exact.
                    const double d = static_cast<double>(v);
                    if (!(d >= -2147483648.0 && d < 2147483648.0)) bad("does not fit in int");
                } else if constexpr (!std::is_same_v<T, bool>) {
                    if (std::cmp_less(v, std::numeric_limits<int>::min()) ||
                        std::cmp_greater(v, std::numeric_limits<int>::max()))
                        bad("does not fit in int");
                }
                labels[i] = static_cast<int>(v);
            }
        });
    });
    return labels;
}

/// Features from one .npy file (see load_npy) and labels from another (see load_npy_labels).
/// Throws typenet::error if either is invalid or their sample counts differ.
inline Dataset load_npy(const std::string& features_path, const std::string& labels_path) {
    Dataset data{load_npy(features_path), load_npy_labels(labels_path)};
    if (data.y.size() != data.size())
        throw error("load_npy: the files disagree: " + features_path + " has " + std::to_string(data.size()) +
                    " samples but " + labels_path + " has " + std::to_string(data.y.size()) + " labels");
    return data;
}

}  // namespace typenet
