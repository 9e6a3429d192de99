#pragma once
/// \file The only include of zlib: reading files that may be gzip-compressed, and writing gzip files.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>

#include "typenet/core/error.hpp"

namespace typenet::detail {

/// A file read front to back; decompressed on the fly when it starts with the gzip magic bytes
/// (1f 8b), read as is otherwise, whatever its name. Errors name `who` and the path.
class MaybeGzipReader {
public:
    MaybeGzipReader(const std::string& path, std::string who) : path_(path), who_(std::move(who)) {
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (file_ == nullptr)
            fail(std::string("cannot open: ") + (errno != 0 ? std::strerror(errno) : "out of memory"));
        // A larger buffer than zlib's 8 KiB default: inflate runs in long stretches, which is what makes
        // Fashion-MNIST load in a fraction of a second. Must precede the first read.
        gzbuffer(file_, 1u << 18);
        // Looks at the first bytes (the magic), so that compressed() is known before any read.
        compressed_ = gzdirect(file_) == 0;
    }
    ~MaybeGzipReader() {
        if (file_ != nullptr) gzclose_r(file_);
    }
    MaybeGzipReader(const MaybeGzipReader&) = delete;
    MaybeGzipReader& operator=(const MaybeGzipReader&) = delete;

    /// True if the file is gzip-compressed.
    bool compressed() const { return compressed_; }
    /// The file's path, for messages.
    const std::string& path() const { return path_; }

    /// Reads up to `out.size()` bytes and returns how many were read: fewer only at the end of the data.
    /// A read error or a corrupt compressed stream throws.
    std::size_t read(std::span<unsigned char> out) {
        std::size_t done = 0;
        while (done < out.size()) {
            // gzread takes an unsigned and returns an int: stay below INT_MAX per call.
            const auto want = static_cast<unsigned>(std::min<std::size_t>(out.size() - done, 1u << 30));
            const int got = gzread(file_, out.data() + done, want);
            if (got < 0) fail_from_zlib();
            done += static_cast<std::size_t>(got);
            if (static_cast<unsigned>(got) < want) break;
        }
        return done;
    }

    /// True if the data ended because a compressed stream was cut short (rather than at its proper end).
    bool cut_short() const {
        int code = Z_OK;
        gzerror(file_, &code);
        return code == Z_BUF_ERROR;
    }

    /// Throws unless the data ends here: no bytes beyond what the format declared, and (for gzip) a
    /// complete stream whose checksum matches.
    void expect_end(const std::string& what_was_expected) {
        unsigned char extra[4096];
        const std::size_t got = read(extra);
        if (got != 0) {
            std::size_t total = got;
            while (true) {
                const std::size_t more = read(extra);
                if (more == 0) break;
                total += more;
            }
            fail("unexpected data: " + std::to_string(total) + " bytes after the " + what_was_expected);
        }
        if (cut_short()) fail("truncated: the gzip stream ends before its end marker and checksum");
    }

    [[noreturn]] void fail(const std::string& problem) const { throw error(who_ + ": " + path_ + ": " + problem); }

private:
    [[noreturn]] void fail_from_zlib() const {
        int code = Z_OK;
        const char* message = gzerror(file_, &code);
        if (code == Z_ERRNO) fail(std::string("read error: ") + std::strerror(errno));
        std::string text = message ? message : "unknown";
        // zlib prefixes its messages with the path, which fail() already gives.
        if (text.starts_with(path_ + ": ")) text.erase(0, path_.size() + 2);
        fail(std::string(compressed_ ? "corrupt gzip data: " : "read error: ") + text);
    }

    std::string path_;
    std::string who_;
    gzFile file_ = nullptr;
    bool compressed_ = false;
};

/// Writes `bytes` to `path` as a gzip file (level 6). Throws typenet::error naming `who` and the path.
inline void write_gzip(const std::string& path, std::span<const unsigned char> bytes, const std::string& who) {
    errno = 0;
    gzFile file = gzopen(path.c_str(), "wb6");
    if (file == nullptr)
        throw error(who + ": " + path + ": cannot create: " + (errno != 0 ? std::strerror(errno) : "out of memory"));
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < bytes.size()) {
        const auto want = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
        const int wrote = gzwrite(file, bytes.data() + done, want);
        ok = wrote > 0;
        done += ok ? static_cast<std::size_t>(wrote) : 0;
    }
    const bool closed = gzclose_w(file) == Z_OK;
    if (!ok || !closed) throw error(who + ": " + path + ": write failed");
}

}  // namespace typenet::detail
