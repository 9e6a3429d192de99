#pragma once
// A strict well-formedness check of XML documents (the SVG files typenet writes): no XML library is
// among the dependencies, and what the writers produce is a small subset (elements, quoted attributes,
// text, entities, an optional prolog and comments).
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace testing {

/// "" if `xml` is a well-formed document, else what is wrong and at which byte.
inline std::string xml_problem(std::string_view xml) {
    std::size_t i = 0;
    std::vector<std::string> open;
    bool root_seen = false;
    auto fail = [&](const std::string& what) { return what + " at byte " + std::to_string(i); };
    auto name_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
    auto name_char = [&](char c) {
        return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    };
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    auto read_name = [&]() {
        const std::size_t start = i;
        if (i >= xml.size() || !name_start(xml[i])) return std::string();
        while (i < xml.size() && name_char(xml[i])) ++i;
        return std::string(xml.substr(start, i - start));
    };
    // An entity reference starting at xml[i] == '&'; advances past it.
    auto entity = [&]() {
        const std::size_t end = xml.find(';', i);
        if (end == std::string_view::npos) return false;
        const std::string_view body = xml.substr(i + 1, end - i - 1);
        bool ok = body == "lt" || body == "gt" || body == "amp" || body == "apos" || body == "quot";
        if (!ok && body.size() > 1 && body[0] == '#') {
            const bool hex = body[1] == 'x';
            ok = body.size() > (hex ? 2u : 1u);
            for (std::size_t k = hex ? 2 : 1; k < body.size(); ++k)
                ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(body[k])) : std::isdigit(static_cast<unsigned char>(body[k])));
        }
        if (ok) i = end + 1;
        return ok;
    };
    if (xml.substr(0, 5) == "<?xml") {
        const std::size_t end = xml.find("?>");
        if (end == std::string_view::npos) return fail("unterminated prolog");
        i = end + 2;
    }
    while (i < xml.size()) {
        const char c = xml[i];
        if (c == '<') {
            if (xml.substr(i, 4) == "<!--") {
                const std::size_t end = xml.find("-->", i + 4);
                if (end == std::string_view::npos) return fail("unterminated comment");
                i = end + 3;
                continue;
            }
            ++i;
            if (i < xml.size() && xml[i] == '/') {
                ++i;
                const std::string name = read_name();
                while (i < xml.size() && space(xml[i])) ++i;
                if (i >= xml.size() || xml[i] != '>') return fail("malformed end tag");
                if (open.empty() || open.back() != name)
                    return fail("end tag </" + name + "> does not close <" + (open.empty() ? "" : open.back()) + ">");
                open.pop_back();
                ++i;
                continue;
            }
            const std::string name = read_name();
            if (name.empty()) return fail("'<' not followed by a tag name");
            if (open.empty()) {
                if (root_seen) return fail("a second root element <" + name + ">");
                root_seen = true;
            }
            std::set<std::string> attributes;
            while (true) {
                const std::size_t before = i;
                while (i < xml.size() && space(xml[i])) ++i;
                if (i >= xml.size()) return fail("unterminated tag <" + name + ">");
                if (xml[i] == '>') {
                    open.push_back(name);
                    ++i;
                    break;
                }
                if (xml.substr(i, 2) == "/>") {
                    i += 2;
                    break;
                }
                if (i == before) return fail("attributes of <" + name + "> not separated by space");
                const std::string attribute = read_name();
                if (attribute.empty()) return fail("bad attribute name in <" + name + ">");
                if (!attributes.insert(attribute).second) return fail("attribute " + attribute + " repeated in <" + name + ">");
                if (i >= xml.size() || xml[i] != '=') return fail("attribute " + attribute + " without '='");
                ++i;
                if (i >= xml.size() || (xml[i] != '\'' && xml[i] != '"')) return fail("attribute " + attribute + " not quoted");
                const char quote = xml[i++];
                while (i < xml.size() && xml[i] != quote) {
                    if (xml[i] == '<') return fail("'<' in the value of attribute " + attribute);
                    if (xml[i] == '&') {
                        if (!entity()) return fail("bad entity in attribute " + attribute);
                    } else {
                        ++i;
                    }
                }
                if (i >= xml.size()) return fail("unterminated value of attribute " + attribute);
                ++i;
            }
            continue;
        }
        if (open.empty() && !space(c)) return fail("text outside the root element");
        if (c == '&') {
            if (!entity()) return fail("bad entity in text");
            continue;
        }
        if (c == '>' && xml.substr(i >= 2 ? i - 2 : 0, 3) == "]]>") return fail("']]>' in text");
        ++i;
    }
    if (!open.empty()) return fail("<" + open.back() + "> is never closed");
    if (!root_seen) return fail("no root element");
    return "";
}

}  // namespace testing
