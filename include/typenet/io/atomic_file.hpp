#pragma once
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <unistd.h>

#include "typenet/core/error.hpp"

namespace typenet::io {

/// Writes a file so that readers see either the previous content or the complete new content:
/// the bytes go to a temporary file beside the target, which is flushed, synced and renamed over the
/// target on commit(). Destroyed without commit(), it removes the temporary file.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::string path)
        : path_(std::move(path)), temp_path_(path_ + ".tmp." + std::to_string(::getpid())) {
        file_ = std::fopen(temp_path_.c_str(), "wb");
        if (!file_) throw error("save: cannot create " + temp_path_ + ": " + std::strerror(errno));
    }
    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
    ~AtomicFileWriter() {
        if (file_) {
            std::fclose(file_);
            std::remove(temp_path_.c_str());
        }
    }

    void write(const void* data, std::size_t size) {
        if (size != 0 && std::fwrite(data, 1, size, file_) != size)
            throw error("save: writing " + temp_path_ + " failed: " + std::strerror(errno));
    }
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

    /// Makes the new content visible under the target name, all at once.
    void commit() {
        const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
        const int saved_errno = errno;
        std::fclose(file_);
        file_ = nullptr;
        if (!flushed) {
            std::remove(temp_path_.c_str());
            throw error("save: flushing " + temp_path_ + " failed: " + std::strerror(saved_errno));
        }
        if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
            const int rename_errno = errno;
            std::remove(temp_path_.c_str());
            throw error("save: cannot rename " + temp_path_ + " to " + path_ + ": " + std::strerror(rename_errno));
        }
    }

private:
    std::string path_, temp_path_;
    std::FILE* file_ = nullptr;
};

}  // namespace typenet::io
