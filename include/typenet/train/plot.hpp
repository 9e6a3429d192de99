#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "typenet/train/history.hpp"
#include "typenet/train/svg.hpp"

namespace typenet {

namespace plot_detail {

struct Series {
    std::string label, color;
    std::vector<double> values;
};

/// One chart: axes, a light grid, one polyline per series, a legend. (x, y) is the chart's top left.
inline std::string chart(double x, double y, double w, double h, const std::string& title,
                         const std::vector<Series>& series, bool percent) {
    double lo = INFINITY, hi = -INFINITY;
    std::size_t n = 0;
    for (const auto& s : series)
        for (double v : s.values)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v), n = std::max(n, s.values.size());
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) hi = lo + 1;
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
    char buf[256];
    std::string out;
    auto px = [&](std::size_t i) { return x + 50 + (n > 1 ? (w - 60) * static_cast<double>(i) / static_cast<double>(n - 1) : 0); };
    auto py = [&](double v) { return y + 20 + (h - 50) * (hi - v) / (hi - lo); };
    out += svg::text(x + 50, y + 12, title, 14, "start", true);
    for (int g = 0; g <= 4; ++g) {
        const double v = lo + (hi - lo) * g / 4.0;
        std::snprintf(buf, sizeof buf,
                      "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>"
                      "<text x='%.1f' y='%.1f' font-size='10' text-anchor='end'>%.*f%s</text>\n",
                      x + 50, py(v), x + w - 10, py(v), x + 45, py(v) + 3, percent ? 1 : 3, percent ? 100 * v : v,
                      percent ? "%" : "");
        out += buf;
    }
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle'>%zu</text>\n", px(i),
                      y + h - 15, i + 1);
        out += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>epoch</text>\n",
                  x + w / 2, y + h);
    out += buf;
    double legend_y = y + 30;
    for (const auto& s : series) {
        std::string points;
        for (std::size_t i = 0; i < s.values.size(); ++i)
            if (std::isfinite(s.values[i])) {
                std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(i), py(s.values[i]));
                points += buf;
            }
        if (points.empty()) continue;
        out += "<polyline fill='none' stroke-width='2' stroke='" + s.color + "' points='" + points + "'/>\n";
        out += svg::format("<rect x='%.1f' y='%.1f' width='12' height='3' fill='%s'/>", x + w - 120, legend_y - 4,
                           s.color.c_str());
        out += svg::text(x + w - 104, legend_y, s.label, 11);
        legend_y += 15;
    }
    return out;
}

}  // namespace plot_detail

/// Writes the loss and accuracy curves of a fit() history (train and validation) as an SVG image;
/// a history without accuracies (regression) gets the loss chart only.
inline void plot_history_svg(const History& history, const std::string& path) {
    using plot_detail::Series;
    Series train_loss{"train loss", "#1f77b4", {}}, val_loss{"validation loss", "#ff7f0e", {}};
    Series train_acc{"train accuracy", "#1f77b4", {}}, val_acc{"validation accuracy", "#ff7f0e", {}};
    bool has_accuracy = false;
    for (const auto& e : history) {
        train_loss.values.push_back(e.train_loss);
        val_loss.values.push_back(e.val_loss);
        train_acc.values.push_back(e.train_accuracy);
        val_acc.values.push_back(e.val_accuracy);
        has_accuracy |= !std::isnan(e.train_accuracy) || !std::isnan(e.val_accuracy);
    }
    std::string body = plot_detail::chart(0, 10, 450, 300, "Loss", {train_loss, val_loss}, false);
    if (has_accuracy) body += plot_detail::chart(450, 10, 450, 300, "Accuracy", {train_acc, val_acc}, true);
    svg::write(path, svg::document(has_accuracy ? 900 : 450, 320, body));
}

}  // namespace typenet
