#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "typenet/core/error.hpp"
#include "typenet/core/random.hpp"
#include "typenet/train/reduce_on_plateau.hpp"

namespace typenet {

/// One sampled point of a RandomSearch: `trial["lr"]`, `trial.integer("batch_size")`.
struct Trial {
    std::size_t index = 0;
    /// A seed for this trial's network and fit() (derived from the search seed), so trials differ
    /// in initialization too and a trial can be re-run alone.
    std::uint64_t seed = 0;
    std::vector<std::pair<std::string, double>> values;

    double operator[](std::string_view name) const {
        for (const auto& [n, v] : values)
            if (n == name) return v;
        throw error("Trial: no hyperparameter named '" + std::string(name) + "'");
    }
    /// The value as an integer (batch sizes, layer widths).
    long long integer(std::string_view name) const { return std::llround((*this)[name]); }
};

/// A trial and the score the user's callable returned for it.
struct TrialResult {
    Trial trial;
    double score = 0;
};

/// The trials of a search, best first (NaN scores — failed trials — last).
struct SearchResults {
    std::vector<TrialResult> rows;
    Goal goal = Goal::maximize;

    const TrialResult& best() const {
        if (rows.empty()) throw error("SearchResults::best: no trials");
        return rows.front();
    }
    /// A fixed-width table: rank, trial, score, then every hyperparameter.
    std::string table() const {
        std::string out = "rank  trial  score       ";
        if (!rows.empty())
            for (const auto& [name, v] : rows.front().trial.values) out += pad(name, 14);
        out += '\n';
        char cell[64];
        for (std::size_t r = 0; r < rows.size(); ++r) {
            std::snprintf(cell, sizeof cell, "%-4zu  %-5zu  %-10.5g  ", r + 1, rows[r].trial.index, rows[r].score);
            out += cell;
            for (const auto& [name, v] : rows[r].trial.values) {
                std::snprintf(cell, sizeof cell, "%-.6g", v);
                out += pad(cell, 14);
            }
            out += '\n';
        }
        return out;
    }
    /// `rank,trial,score,<hyperparameters...>` via a temporary file renamed into place.
    void write_csv(const std::string& path) const {
        const std::string temporary = path + ".tmp";
        {
            std::ofstream out(temporary, std::ios::trunc);
            if (!out) throw error("SearchResults::write_csv: cannot open '" + temporary + "' for writing");
            out << "rank,trial,score";
            if (!rows.empty())
                for (const auto& [name, v] : rows.front().trial.values) out << ',' << name;
            out << '\n';
            char cell[64];
            for (std::size_t r = 0; r < rows.size(); ++r) {
                std::snprintf(cell, sizeof cell, "%.9g", rows[r].score);
                out << r + 1 << ',' << rows[r].trial.index << ',' << cell;
                for (const auto& [name, v] : rows[r].trial.values) {
                    std::snprintf(cell, sizeof cell, "%.9g", v);
                    out << ',' << cell;
                }
                out << '\n';
            }
            if (!out.flush()) throw error("SearchResults::write_csv: writing '" + temporary + "' failed");
        }
        std::error_code ec;
        std::filesystem::rename(temporary, path, ec);
        if (ec) throw error("SearchResults::write_csv: cannot move the file into place at '" + path + "'");
    }

private:
    static std::string pad(std::string s, std::size_t width) {
        if (s.size() < width) s.append(width - s.size(), ' ');
        else s += "  ";
        return s;
    }
};

/// Random hyperparameter search (Bergstra & Bengio 2012): each trial draws every hyperparameter
/// independently — uniform, log-uniform (learning rates, weight decay), integers (batch sizes, on a
/// log scale if asked), or one of a list (a dropout rate among those compiled in) — and the user's
/// callable trains and scores it. Trial i's values are a pure function of (seed, i), so a search is
/// reproducible and can be extended with more trials without changing the earlier ones.
class RandomSearch {
public:
    explicit RandomSearch(std::uint64_t seed = 0) : seed_(seed) {}

    /// Uniform in [low, high].
    RandomSearch& uniform(std::string name, double low, double high) {
        return add({std::move(name), Kind::uniform, low, high, {}});
    }
    /// Log-uniform in [low, high], both > 0: as many draws in [1e-4, 1e-3] as in [1e-3, 1e-2].
    RandomSearch& log_uniform(std::string name, double low, double high) {
        if (!(low > 0)) throw error("RandomSearch: log_uniform '" + name + "' needs low > 0");
        return add({std::move(name), Kind::log_uniform, low, high, {}});
    }
    /// An integer in [low, high], uniform, or log-uniform (then rounded) with `log_scale`.
    RandomSearch& integer(std::string name, long long low, long long high, bool log_scale = false) {
        if (log_scale && low <= 0) throw error("RandomSearch: integer '" + name + "' on a log scale needs low > 0");
        return add({std::move(name), log_scale ? Kind::log_integer : Kind::integer, static_cast<double>(low),
                    static_cast<double>(high), {}});
    }
    /// One of the given values, each equally likely.
    RandomSearch& choice(std::string name, std::vector<double> values) {
        if (values.empty()) throw error("RandomSearch: choice '" + name + "' has no values");
        return add({std::move(name), Kind::choice, 0, 0, std::move(values)});
    }

    /// Trial i (deterministic for the seed).
    Trial trial(std::size_t i) const {
        Trial t{i, derived_seed(i), {}};
        const Philox rng(Seed{seed_}, RandomPurpose::user, search_stream, i);
        for (std::size_t k = 0; k < parameters_.size(); ++k) {
            const Parameter& p = parameters_[k];
            const double u = rng.uniform(k);
            double v = 0;
            switch (p.kind) {
                case Kind::uniform: v = p.low + u * (p.high - p.low); break;
                case Kind::log_uniform: v = std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low))); break;
                case Kind::integer:
                    v = std::min(p.high, std::floor(p.low + u * (p.high - p.low + 1)));
                    break;
                case Kind::log_integer:
                    v = std::clamp(std::round(std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)))),
                                   p.low, p.high);
                    break;
                case Kind::choice:
                    v = p.choices[std::min(p.choices.size() - 1, static_cast<std::size_t>(u * static_cast<double>(p.choices.size())))];
                    break;
            }
            t.values.emplace_back(p.name, v);
        }
        return t;
    }

    /// Runs `trials` trials, `score = objective(trial)` each, and returns them sorted best first.
    template <class Objective>
    SearchResults run(std::size_t trials, Objective&& objective, Goal goal = Goal::maximize) const {
        SearchResults results;
        results.goal = goal;
        for (std::size_t i = 0; i < trials; ++i) {
            Trial t = trial(i);
            const double score = static_cast<double>(objective(static_cast<const Trial&>(t)));
            results.rows.push_back({std::move(t), score});
        }
        std::stable_sort(results.rows.begin(), results.rows.end(), [goal](const TrialResult& a, const TrialResult& b) {
            if (std::isnan(a.score) || std::isnan(b.score)) return !std::isnan(a.score) && std::isnan(b.score);
            return goal == Goal::maximize ? a.score > b.score : a.score < b.score;
        });
        return results;
    }

private:
    enum class Kind { uniform, log_uniform, integer, log_integer, choice };
    struct Parameter {
        std::string name;
        Kind kind;
        double low, high;
        std::vector<double> choices;
    };
    static constexpr std::uint32_t search_stream = 0x5EA;

    RandomSearch& add(Parameter p) {
        if (p.kind != Kind::choice && !(p.low <= p.high))
            throw error("RandomSearch: '" + p.name + "' has low > high");
        for (const auto& q : parameters_)
            if (q.name == p.name) throw error("RandomSearch: '" + p.name + "' is declared twice");
        parameters_.push_back(std::move(p));
        return *this;
    }
    std::uint64_t derived_seed(std::size_t i) const {
        const auto b = Philox(Seed{seed_}, RandomPurpose::user, search_stream + 1, i)(0);
        return (std::uint64_t{b[0]} << 32) | b[1];
    }

    std::uint64_t seed_;
    std::vector<Parameter> parameters_;
};

}  // namespace typenet
