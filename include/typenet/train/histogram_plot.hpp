#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/train/svg.hpp"

namespace typenet {

/// One panel of plot_histograms_svg: a title (e.g. "layer 3") and the values whose distribution it shows.
struct HistogramPanel {
    std::string title;
    std::vector<double> values;
};

/// Layout of plot_histograms_svg. All panels share one value range, so that distributions that shrink
/// from panel to panel (activations collapsing layer by layer) look like it.
struct HistogramOptions {
    std::string title{};
    std::size_t bins = 40;
    std::size_t columns = 5;  ///< panels per row
    /// The shared range; NaN (default): the smallest and largest finite value over all panels.
    double low = std::numeric_limits<double>::quiet_NaN();
    double high = std::numeric_limits<double>::quiet_NaN();
};

/// Writes one histogram per panel, in rows of `options.columns`, as an SVG image: bars of the fraction
/// of the panel's values in each bin, the panel's mean and standard deviation in its heading, and how
/// many values were not finite (counted, never binned). Values outside a given range are counted in
/// the first or last bin. Throws typenet::error for no panels, 0 bins or columns, or a bad range.
inline void plot_histograms_svg(const std::vector<HistogramPanel>& panels, const std::string& path,
                                const HistogramOptions& options = {}) {
    const std::string who = "plot_histograms_svg";
    if (panels.empty()) throw error(who + ": no panels to draw");
    if (options.bins == 0 || options.columns == 0) throw error(who + ": bins and columns must be at least 1");
    double low = options.low, high = options.high;
    const bool given_low = !std::isnan(low), given_high = !std::isnan(high);
    if ((given_low && !std::isfinite(low)) || (given_high && !std::isfinite(high)) ||
        (given_low && given_high && !(low < high)))
        throw error(who + ": the range must be finite with low < high, got [" + std::to_string(low) + ", " +
                    std::to_string(high) + "]");
    if (!given_low || !given_high) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (const HistogramPanel& p : panels)
            for (double v : p.values)
                if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!std::isfinite(lo)) lo = -1, hi = 1;  // nothing finite anywhere
        if (!given_low) low = lo;
        if (!given_high) high = hi;
        if (!(low < high)) low -= 0.5, high += 0.5;  // one distinct value
    }
    const double panel_w = 190, panel_h = 150, top = options.title.empty() ? 10 : 35;
    const std::size_t columns = std::min(options.columns, panels.size());
    const std::size_t rows = (panels.size() + columns - 1) / columns;
    std::string body;
    if (!options.title.empty()) body += svg::text(10, 22, options.title, 14, "start", true);
    for (std::size_t i = 0; i < panels.size(); ++i) {
        const HistogramPanel& p = panels[i];
        const double x0 = 10 + static_cast<double>(i % columns) * panel_w, y0 = top + static_cast<double>(i / columns) * panel_h;
        std::vector<std::size_t> counts(options.bins, 0);
        std::size_t finite = 0, not_finite = 0;
        double sum = 0, squares = 0;
        for (double v : p.values) {
            if (!std::isfinite(v)) {
                ++not_finite;
                continue;
            }
            ++finite;
            sum += v;
            squares += v * v;
            const double at = (v - low) / (high - low) * static_cast<double>(options.bins);
            const auto bin = static_cast<std::size_t>(std::clamp(at, 0.0, static_cast<double>(options.bins - 1)));
            ++counts[bin];
        }
        const double mean = finite ? sum / static_cast<double>(finite) : std::numeric_limits<double>::quiet_NaN();
        const double std_dev = finite ? std::sqrt(std::max(0.0, squares / static_cast<double>(finite) - mean * mean))
                                      : std::numeric_limits<double>::quiet_NaN();
        body += svg::text(x0, y0 + 12, p.title, 11, "start", true);
        body += svg::text(x0, y0 + 25, svg::format("mean %.3g, std %.3g", mean, std_dev) +
                                           (not_finite ? svg::format(", %zu not finite", not_finite) : std::string()),
                          9);
        const double plot_x = x0, plot_y = y0 + 30, plot_w = panel_w - 20, plot_h = panel_h - 55;
        body += svg::format("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#bbb'/>\n", plot_x,
                            plot_y, plot_w, plot_h);
        const std::size_t peak = *std::max_element(counts.begin(), counts.end());
        const double bar_w = plot_w / static_cast<double>(options.bins);
        for (std::size_t b = 0; b < options.bins; ++b) {
            if (counts[b] == 0) continue;
            const double h = plot_h * static_cast<double>(counts[b]) / static_cast<double>(peak);
            body += svg::format("<rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='#1f77b4'/>\n",
                                plot_x + bar_w * static_cast<double>(b), plot_y + plot_h - h, bar_w, h);
        }
        body += svg::text(plot_x, plot_y + plot_h + 11, svg::format("%.3g", low), 9);
        body += svg::text(plot_x + plot_w, plot_y + plot_h + 11, svg::format("%.3g", high), 9, "end");
        if (low < 0 && high > 0) {
            const double zero = plot_x + plot_w * (-low) / (high - low);
            body += svg::format("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#888' stroke-dasharray='2,2'/>\n",
                                zero, plot_y, zero, plot_y + plot_h);
            body += svg::text(zero, plot_y + plot_h + 11, "0", 9, "middle");
        }
    }
    svg::write(path, svg::document(20 + static_cast<double>(columns) * panel_w, top + static_cast<double>(rows) * panel_h, body));
}

}  // namespace typenet
