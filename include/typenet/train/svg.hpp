#pragma once
/// \file What every SVG writer of typenet shares: escaping text for XML, the document frame, and
/// writing it atomically (never a half-written figure on disk).
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "typenet/io/atomic_file.hpp"

namespace typenet::svg {

/// `text` with XML's five special characters as entities, so a label such as "a < b & c" stays text.
inline std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

/// A printf-formatted piece of markup (numbers only: text goes through escaped()).
template <class... Args>
std::string format(const char* pattern, Args... args) {
    char buffer[512];
    const int n = std::snprintf(buffer, sizeof buffer, pattern, args...);
    return std::string(buffer, n < 0 ? 0 : static_cast<std::size_t>(std::min<int>(n, sizeof buffer - 1)));
}

/// A `<text>` element at (x, y); `anchor` is start, middle or end.
inline std::string text(double x, double y, std::string_view content, int size = 11, std::string_view anchor = "start",
                        bool bold = false) {
    return format("<text x='%.1f' y='%.1f' font-size='%d' text-anchor='%s'%s>", x, y, size, std::string(anchor).c_str(),
                  bold ? " font-weight='bold'" : "") +
           escaped(content) + "</text>\n";
}

/// A complete document: white background, `body` inside.
inline std::string document(double width, double height, const std::string& body) {
    return format("<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif'>\n"
                  "<rect width='%.0f' height='%.0f' fill='white'/>\n",
                  width, height, width, height) +
           body + "</svg>\n";
}

/// Writes `svg` to `path` through a temporary file renamed into place; throws typenet::error naming the path.
inline void write(const std::string& path, const std::string& svg) {
    io::AtomicFileWriter file(path);
    file.write(svg);
    file.commit();
}

}  // namespace typenet::svg
