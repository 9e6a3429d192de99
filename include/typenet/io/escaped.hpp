#pragma once
#include <string>
#include <string_view>

namespace typenet::io {

/// `text` as the body of a double-quoted string that both a C++ string literal and a JSON string read
/// back unchanged: quotes and backslashes escaped, a newline written as \n (the two grammars agree on
/// these; the signatures and tensor names written this way hold no other control character).
inline std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace typenet::io
