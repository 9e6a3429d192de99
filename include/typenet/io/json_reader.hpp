#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet::io {

/// A JSON value as far as safetensors headers need: objects, arrays, strings, non-negative integers.
struct JsonValue {
    using Object = std::map<std::string, JsonValue, std::less<>>;
    using Array = std::vector<JsonValue>;
    std::variant<std::nullptr_t, std::uint64_t, std::string, std::shared_ptr<Array>, std::shared_ptr<Object>> value;

    const Object* object() const {
        auto* p = std::get_if<std::shared_ptr<Object>>(&value);
        return p ? p->get() : nullptr;
    }
    const Array* array() const {
        auto* p = std::get_if<std::shared_ptr<Array>>(&value);
        return p ? p->get() : nullptr;
    }
    const std::string* string() const { return std::get_if<std::string>(&value); }
    const std::uint64_t* integer() const { return std::get_if<std::uint64_t>(&value); }
};

/// Parses the restricted JSON of safetensors headers; malformed text → typenet::error with the offset.
class JsonReader {
public:
    JsonReader(std::string_view text, std::string context) : text_(text), context_(std::move(context)) {}

    JsonValue parse() {
        JsonValue v = value(0);
        skip_space();
        if (pos_ != text_.size()) fail("unexpected text after the JSON value");
        return v;
    }

private:
    static constexpr int max_depth = 16;

    [[noreturn]] void fail(const std::string& what) const {
        throw error(context_ + ": malformed JSON header at byte " + std::to_string(pos_) + ": " + what);
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' ||
                                       text_[pos_] == '\t'))
            ++pos_;
    }
    char peek() {
        skip_space();
        if (pos_ >= text_.size()) fail("unexpected end");
        return text_[pos_];
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }

    JsonValue value(int depth) {
        if (depth > max_depth) fail("nested too deeply");
        const char c = peek();
        if (c == '{') return {object(depth)};
        if (c == '[') return {array(depth)};
        if (c == '"') return {string()};
        if (c >= '0' && c <= '9') return {integer()};
        if (text_.substr(pos_, 4) == "null") {
            pos_ += 4;
            return {nullptr};
        }
        fail("unsupported value");
    }
    std::shared_ptr<JsonValue::Object> object(int depth) {
        auto out = std::make_shared<JsonValue::Object>();
        expect('{');
        if (peek() == '}') return ++pos_, out;
        for (;;) {
            if (peek() != '"') fail("expected a key");
            std::string key = string();
            expect(':');
            if (!out->emplace(std::move(key), value(depth + 1)).second) fail("duplicate key");
            if (peek() == ',') { ++pos_; continue; }
            expect('}');
            return out;
        }
    }
    std::shared_ptr<JsonValue::Array> array(int depth) {
        auto out = std::make_shared<JsonValue::Array>();
        expect('[');
        if (peek() == ']') return ++pos_, out;
        for (;;) {
            out->push_back(value(depth + 1));
            if (peek() == ',') { ++pos_; continue; }
            expect(']');
            return out;
        }
    }
    std::uint64_t integer() {
        std::uint64_t v = 0;
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const std::uint64_t digit = static_cast<std::uint64_t>(text_[pos_] - '0');
            if (v > (UINT64_MAX - digit) / 10) fail("integer too large");
            v = v * 10 + digit;
            ++pos_;
        }
        if (pos_ - start > 1 && text_[start] == '0') fail("leading zero");
        if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
            fail("only integers are expected here");
        return v;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != '"') {
            char c = text_[pos_++];
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c == '\\') {
                if (pos_ >= text_.size()) fail("unexpected end in an escape");
                const char e = text_[pos_++];
                switch (e) {
                    case '"': case '\\': case '/': out += e; break;
                    case 'b': out += '\b'; break;
                    case 'f': out += '\f'; break;
                    case 'n': out += '\n'; break;
                    case 'r': out += '\r'; break;
                    case 't': out += '\t'; break;
                    case 'u': out += unicode_escape(); break;
                    default: fail("unknown escape");
                }
            } else {
                out += c;
            }
        }
        if (pos_ >= text_.size()) fail("unterminated string");
        ++pos_;
        return out;
    }
    std::string unicode_escape() {
        if (text_.size() - pos_ < 4) fail("short \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = text_[pos_++];
            code = code * 16 + static_cast<unsigned>(h >= '0' && h <= '9'   ? h - '0'
                                                     : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                     : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                            : (fail("bad hex digit"), 0));
        }
        // Keys in model files are ASCII; other code points are kept as UTF-8 (surrogates are not paired).
        std::string out;
        if (code < 0x80) out += static_cast<char>(code);
        else if (code < 0x800) out += {static_cast<char>(0xC0 | (code >> 6)), static_cast<char>(0x80 | (code & 0x3F))};
        else out += {static_cast<char>(0xE0 | (code >> 12)), static_cast<char>(0x80 | ((code >> 6) & 0x3F)),
                     static_cast<char>(0x80 | (code & 0x3F))};
        return out;
    }

    std::string_view text_;
    std::string context_;
    std::size_t pos_ = 0;
};

}  // namespace typenet::io
