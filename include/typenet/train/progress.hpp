#pragma once
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <string>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "typenet/train/history.hpp"

namespace typenet {

/// True when standard output is a terminal (so a redrawn progress bar reads well).
inline bool stdout_is_terminal() {
#if __has_include(<unistd.h>)
    return ::isatty(STDOUT_FILENO) != 0;
#else
    return false;
#endif
}

/// fit()'s progress output: on a terminal, one progress bar per epoch redrawn in place (samples/s,
/// ETA, running loss) and kept as the epoch's summary line; elsewhere (logs, CI, pipes) only one
/// plain line per epoch, so log files are not flooded with carriage returns.
class ProgressReporter {
public:
    ProgressReporter(std::ostream& out, bool bar, std::size_t epochs)
        : out_(out), bar_(bar), epochs_(epochs) {}

    void begin_epoch(std::size_t epoch, std::size_t samples) {
        epoch_ = epoch;
        samples_ = samples;
        start_ = last_draw_ = clock::now();
    }

    /// After each batch; redraws at most ~10 times a second.
    void batch_done(std::size_t samples_done, double running_loss) {
        if (!bar_) return;
        const auto now = clock::now();
        if (samples_done < samples_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        const double elapsed = seconds_since(start_, now);
        const double rate = elapsed > 0 ? static_cast<double>(samples_done) / elapsed : 0.0;
        const double eta = rate > 0 ? static_cast<double>(samples_ - samples_done) / rate : 0.0;
        constexpr std::size_t width = 30;
        const std::size_t filled = samples_ ? width * samples_done / samples_ : width;
        std::string bar(filled, '=');
        if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
        char line[256];
        std::snprintf(line, sizeof line, "\repoch %zu/%zu [%s] %zu/%zu  %.0f samples/s  ETA %s  loss %.4f", epoch_,
                      epochs_, bar.c_str(), samples_done, samples_, rate, clock_text(eta).c_str(), running_loss);
        out_ << line << std::flush;
    }

    /// The epoch's summary line; an accuracy that is NaN (regression: no classes) is left out.
    void end_epoch(const EpochRecord& r) {
        char line[256];
        std::size_t n = 0;
        auto add = [&](const char* format, auto... values) {
            if (n >= sizeof line) return;
            const int written = std::snprintf(line + n, sizeof line - n, format, values...);
            if (written > 0) n += static_cast<std::size_t>(written);
        };
        add("epoch %zu/%zu  loss %.4f", r.epoch, epochs_, r.train_loss);
        if (!std::isnan(r.train_accuracy)) add("  accuracy %.4f", r.train_accuracy);
        if (!std::isnan(r.val_loss)) add("  val_loss %.4f", r.val_loss);
        if (!std::isnan(r.val_accuracy)) add("  val_accuracy %.4f", r.val_accuracy);
        add("  lr %.3g  %.1fs", r.lr, r.seconds);
        // On a terminal the summary overwrites the bar (\r, then clear to the end of the line).
        if (bar_) out_ << "\r\x1b[K";
        out_ << line << '\n' << std::flush;
    }

    void message(const std::string& text) { out_ << text << '\n' << std::flush; }

private:
    using clock = std::chrono::steady_clock;
    static double seconds_since(clock::time_point a, clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    }
    static std::string clock_text(double seconds) {
        const auto s = static_cast<long long>(std::llround(seconds));
        char text[32];
        if (s >= 3600) std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
        else std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
        return text;
    }

    std::ostream& out_;
    bool bar_;
    std::size_t epochs_, epoch_ = 0, samples_ = 0;
    clock::time_point start_{}, last_draw_{};
};

}  // namespace typenet
