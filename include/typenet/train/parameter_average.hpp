#pragma once
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "typenet/core/error.hpp"

namespace typenet {

/// A running average of a network's parameters (and, by default, running statistics), updated after
/// each optimizer step and evaluated by swapping it into the network:
/// - EMA (decay d in (0, 1)): avg ← d·avg + (1 − d)·θ, as PyTorch's AveragedModel with
///   get_ema_multi_avg_fn(d);
/// - Polyak / SWA (decay 0): the equal-weight mean of every θ passed to update().
/// The first update copies θ. The average is kept in double (a float EMA with d = 0.999 would round
/// away most of each update).
template <class Net>
class ParameterAverage {
public:
    using scalar = typename Net::scalar;

    /// decay 0: Polyak (equal weights); 0 < decay < 1: exponential moving average.
    explicit ParameterAverage(double decay = 0.0, bool include_buffers = true)
        : decay_(decay), include_buffers_(include_buffers) {
        if (!(decay >= 0.0 && decay < 1.0))
            throw error("ParameterAverage: decay is " + std::to_string(decay) + ", it must be in [0, 1)");
    }

    /// Folds the network's current parameters into the average (allocation-free after the first call).
    void update(const Net& net) {
        if (values_.empty()) {
            values_.resize(Net::parameter_count + (include_buffers_ ? Net::buffer_count : 0));
            stash_.resize(values_.size());
        }
        ++count_;
        // Polyak: the running mean, weight 1/n for the n-th value; EMA: fixed weight 1 − decay.
        const double w = count_ == 1 ? 1.0 : decay_ == 0.0 ? 1.0 / static_cast<double>(count_) : 1.0 - decay_;
        std::size_t i = 0;
        for (const auto v : net.parameters()) values_[i] += w * (static_cast<double>(v) - values_[i]), ++i;
        if (include_buffers_)
            for (const auto v : net.buffers()) values_[i] += w * (static_cast<double>(v) - values_[i]), ++i;
    }

    /// Number of update() calls so far.
    std::size_t count() const { return count_; }
    /// The averaged parameters followed (if included) by the averaged buffers.
    std::span<const double> values() const { return values_; }

    /// Puts the average into `net`, keeping the network's own values aside for swap_out().
    void swap_in(Net& net) {
        if (count_ == 0) throw error("ParameterAverage::swap_in: no update() yet, there is nothing to swap in");
        if (swapped_) throw error("ParameterAverage::swap_in: the average is already swapped in");
        std::size_t i = 0;
        for (auto& v : net.parameters()) stash_[i] = v, v = static_cast<scalar>(values_[i]), ++i;
        if (include_buffers_)
            for (auto& v : net.buffers()) stash_[i] = v, v = static_cast<scalar>(values_[i]), ++i;
        swapped_ = true;
    }

    /// Gives `net` back the values swap_in() set aside (exactly).
    void swap_out(Net& net) {
        if (!swapped_) throw error("ParameterAverage::swap_out: swap_in() was not called");
        std::size_t i = 0;
        for (auto& v : net.parameters()) v = stash_[i++];
        if (include_buffers_)
            for (auto& v : net.buffers()) v = stash_[i++];
        swapped_ = false;
    }

    /// Writes the average into `net` for good (e.g. at the end of training).
    void copy_to(Net& net) const {
        if (count_ == 0) throw error("ParameterAverage::copy_to: no update() yet");
        std::size_t i = 0;
        for (auto& v : net.parameters()) v = static_cast<scalar>(values_[i++]);
        if (include_buffers_)
            for (auto& v : net.buffers()) v = static_cast<scalar>(values_[i++]);
    }

    /// Calls f(net) with the average swapped in, and swaps it out again even if f throws.
    template <class F>
    decltype(auto) with_average(Net& net, F&& f) {
        swap_in(net);
        struct Restore {
            ParameterAverage& self;
            Net& net;
            ~Restore() { self.swap_out(net); }
        } restore{*this, net};
        return f(net);
    }

private:
    double decay_;
    bool include_buffers_;
    std::size_t count_ = 0;
    bool swapped_ = false;
    std::vector<double> values_;
    std::vector<scalar> stash_;
};

}  // namespace typenet
