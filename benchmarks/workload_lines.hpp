#pragma once
// What bench_workloads.cpp (W1–W4) and bench_conv.cpp (W6–W7) share: the peers' timing method and their
// JSON lines (shared/peers/README.md), so that both print exactly what the peer harnesses print.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

namespace bench {

/// --unfused: set once in main, before any measurement; names the lines "typenet_unfused".
inline bool unfused = false;

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
/// CPU time of the whole process (all threads), in seconds.
inline double cpu_s() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
/// The peers' JSON line (peer, workload, threads, batch, metric, value, unit, rep, + cpu_s), then "simd" and
/// `extra` (already JSON, e.g. `"steps":938`).
inline void emit(const char* workload, int threads, int batch, const char* metric, double value, const char* unit,
                 int rep, double cpu = -1, const std::string& extra = "") {
    char c[64] = "";
    if (cpu >= 0) std::snprintf(c, sizeof c, ",\"cpu_s\":%.4g", cpu);
    static const std::string simd = typenet::simd::architecture();
    std::printf("{\"peer\":\"%s\",\"variant\":\"%s\",\"workload\":\"%s\",\"threads\":%d,\"batch\":%d,\"metric\":\"%s\","
                "\"value\":%.6g,\"unit\":\"%s\",\"rep\":%d%s,\"simd\":\"%s\"%s%s}\n",
                unfused ? "typenet_unfused" : "typenet", unfused ? "unfused" : "fused", workload, threads, batch, metric,
                value, unit, rep, c, simd.c_str(), extra.empty() ? "" : ",", extra.c_str());
    std::fflush(stdout);
}
/// Median over blocks of (block time / block size), in seconds — the peers' timing method.
template <class F>
double block_median_latency(F&& call, int calls, int block) {
    std::vector<double> per_call;
    for (int done = 0; done < calls; done += block) {
        const double t0 = now_s();
        for (int i = 0; i < block; ++i) call();
        per_call.push_back((now_s() - t0) / block);
    }
    return median(per_call);
}

}  // namespace bench
