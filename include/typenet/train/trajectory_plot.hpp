#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/train/svg.hpp"

namespace typenet {

/// A path through a 2-D parameter space, e.g. the iterates of an optimizer, drawn by plot_trajectories_svg.
struct Trajectory {
    std::string label;
    std::vector<std::array<double, 2>> points;
};

/// The window and contour lines of plot_trajectories_svg.
struct TrajectoryPlotOptions {
    std::string title{};
    double x_min = -1, x_max = 1, y_min = -1, y_max = 1;
    /// Contour lines at this many quantiles of f over the grid (so a deep valley and a flat plateau both
    /// get lines where the function changes).
    std::size_t levels = 15;
    std::size_t grid = 120;  ///< cells per side of the grid f is sampled on
};

namespace trajectory_plot_detail {

/// The point where f crosses `level` between two grid corners, by linear interpolation.
inline std::array<double, 2> crossing(std::array<double, 2> a, double fa, std::array<double, 2> b, double fb, double level) {
    const double t = fa == fb ? 0.5 : (level - fa) / (fb - fa);
    return {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])};
}

}  // namespace trajectory_plot_detail

/// Writes the contour lines of f(x, y) over the window and each trajectory on top of them (a dot at its
/// start, a ring at its end, a legend) as an SVG image; points outside the window are clipped, and
/// non-finite points end a segment (a diverging run shows where it left). Contours by marching squares.
/// Throws typenet::error for an empty or non-finite window, fewer than 2 grid cells, or no levels.
template <class F>
void plot_trajectories_svg(F&& f, const std::vector<Trajectory>& trajectories, const std::string& path,
                           const TrajectoryPlotOptions& o = {}) {
    const std::string who = "plot_trajectories_svg";
    if (!(std::isfinite(o.x_min) && std::isfinite(o.x_max) && std::isfinite(o.y_min) && std::isfinite(o.y_max) &&
          o.x_min < o.x_max && o.y_min < o.y_max))
        throw error(who + ": the window must be finite with x_min < x_max and y_min < y_max");
    if (o.grid < 2 || o.levels == 0) throw error(who + ": grid must be at least 2 and levels at least 1");
    const std::size_t n = o.grid;
    const double size = 480, margin = 50, top = o.title.empty() ? 15 : 35;
    auto px = [&](double x) { return margin + size * (x - o.x_min) / (o.x_max - o.x_min); };
    auto py = [&](double y) { return top + size * (o.y_max - y) / (o.y_max - o.y_min); };
    auto at = [&](std::size_t i, std::size_t j) -> std::array<double, 2> {
        return {o.x_min + (o.x_max - o.x_min) * static_cast<double>(i) / static_cast<double>(n),
                o.y_min + (o.y_max - o.y_min) * static_cast<double>(j) / static_cast<double>(n)};
    };
    std::vector<double> values((n + 1) * (n + 1));
    std::vector<double> finite_values;
    for (std::size_t j = 0; j <= n; ++j)
        for (std::size_t i = 0; i <= n; ++i) {
            const auto p = at(i, j);
            const double v = static_cast<double>(f(p[0], p[1]));
            values[j * (n + 1) + i] = v;
            if (std::isfinite(v)) finite_values.push_back(v);
        }
    std::sort(finite_values.begin(), finite_values.end());
    std::string body;
    if (!o.title.empty()) body += svg::text(margin, 22, o.title, 14, "start", true);
    body += svg::format("<defs><clipPath id='window'><rect x='%.1f' y='%.1f' width='%.1f' height='%.1f'/></clipPath></defs>\n",
                        margin, top, size, size);
    body += svg::format("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#888'/>\n", margin, top,
                        size, size);
    for (std::size_t k = 0; k < o.levels && !finite_values.empty(); ++k) {
        const double q = (static_cast<double>(k) + 0.5) / static_cast<double>(o.levels);
        const double level = finite_values[static_cast<std::size_t>(q * static_cast<double>(finite_values.size() - 1))];
        std::string d;
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t i = 0; i < n; ++i) {
                const std::array<std::array<double, 2>, 4> corner{at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)};
                const std::array<double, 4> v{values[j * (n + 1) + i], values[j * (n + 1) + i + 1],
                                              values[(j + 1) * (n + 1) + i + 1], values[(j + 1) * (n + 1) + i]};
                if (!std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); })) continue;
                // Edge e joins corner e and e + 1; f crosses the level on the edges whose corners differ in side.
                std::vector<std::array<double, 2>> cut;
                for (std::size_t e = 0; e < 4; ++e) {
                    const std::size_t e1 = (e + 1) % 4;
                    if ((v[e] >= level) != (v[e1] >= level))
                        cut.push_back(trajectory_plot_detail::crossing(corner[e], v[e], corner[e1], v[e1], level));
                }
                // Four crossings: a saddle cell; pair them by the side of the centre (its mean value).
                if (cut.size() == 4 && ((v[0] + v[1] + v[2] + v[3]) / 4 >= level) != (v[0] >= level))
                    std::rotate(cut.begin(), cut.begin() + 1, cut.end());
                for (std::size_t c = 0; c + 1 < cut.size(); c += 2)
                    d += svg::format("M%.1f %.1fL%.1f %.1f", px(cut[c][0]), py(cut[c][1]), px(cut[c + 1][0]), py(cut[c + 1][1]));
            }
        if (!d.empty()) body += "<path fill='none' stroke='#ccc' stroke-width='1' d='" + d + "'/>\n";
    }
    static constexpr std::array<const char*, 8> colors{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                       "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    double legend_y = top + 15;
    for (std::size_t t = 0; t < trajectories.size(); ++t) {
        const Trajectory& tr = trajectories[t];
        const char* color = colors[t % colors.size()];
        std::string points;
        auto flush = [&] {
            if (!points.empty())
                body += std::string("<polyline clip-path='url(#window)' fill='none' stroke-width='1.5' stroke='") + color +
                        "' points='" + points + "'/>\n";
            points.clear();
        };
        const std::array<double, 2>* last = nullptr;
        for (const auto& p : tr.points) {
            if (!std::isfinite(p[0]) || !std::isfinite(p[1])) {
                flush();
                continue;
            }
            points += svg::format("%.1f,%.1f ", px(p[0]), py(p[1]));
            last = &p;
        }
        flush();
        if (!tr.points.empty() && std::isfinite(tr.points[0][0]) && std::isfinite(tr.points[0][1]))
            body += svg::format("<circle clip-path='url(#window)' cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", px(tr.points[0][0]),
                                py(tr.points[0][1]), color);
        if (last != nullptr)
            body += svg::format("<circle clip-path='url(#window)' cx='%.1f' cy='%.1f' r='4' fill='none' stroke='%s'/>\n",
                                px((*last)[0]), py((*last)[1]), color);
        body += svg::format("<rect x='%.1f' y='%.1f' width='12' height='3' fill='%s'/>", margin + size + 15, legend_y - 4, color);
        body += svg::text(margin + size + 31, legend_y, tr.label, 11);
        legend_y += 15;
    }
    body += svg::text(margin, top + size + 14, svg::format("%.3g", o.x_min), 10, "middle");
    body += svg::text(margin + size, top + size + 14, svg::format("%.3g", o.x_max), 10, "middle");
    body += svg::text(margin - 4, top + size, svg::format("%.3g", o.y_min), 10, "end");
    body += svg::text(margin - 4, top + 8, svg::format("%.3g", o.y_max), 10, "end");
    svg::write(path, svg::document(margin + size + 200, top + size + 30, body));
}

}  // namespace typenet
