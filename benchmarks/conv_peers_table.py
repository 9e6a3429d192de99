#!/usr/bin/env python3
"""Side-by-side W6/W7 (CNN-FM) tables from one benchmarks/run_conv_peers.sh results folder (runs.tsv + one
*.jsonl per process); the W1-W5 counterpart is peers_table.py, whose conventions this follows.

Cells read median [min - max] (n) over every value of the cell (W6: timed epochs x processes; W7: repetitions
x processes). typenet's cell in a peer's row holds only the typenet runs interleaved with that peer (each ran
right after one of its processes), so both sides of a ratio saw the same stretch of load. "ratio" is typenet's
median over the peer's; "per round" is the range of that ratio taken round by round. W6 figures from epochs
capped by --max-batches are tabled under their step count, never mixed with whole epochs (938 steps).
% of peak: GFLOP/s from the conv README's FLOPs per sample (dense counting, zero-padded taps included) over
the median FMA-loop rate fma_peak.cpp measured in the same run (the faster of its AVX-512 and AVX2 loops)."""
import collections
import csv
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
FULL_STEPS = 938
TRAIN_FLOP = 24_995_328  # per sample: forward + dW + dX (no dX for conv1); README "FLOPs per sample"
FWD_FLOP = 8_482_304     # per sample, forward

# (workload, metric, label, unit, whether higher is better)
WORKLOADS = [
    ("W6_train", "samples_per_s", "W6 train", "samples/s", True),
    ("W6_train", "samples_per_cpu_s", "W6 train per CPU-second (all threads)", "samples/CPU-s", True),
    ("W6_train", "test_acc_after_epochs", "W6 test accuracy after the last epoch", "%", None),
    ("W7_infer_latency", "median_latency", "W7 latency, batch 1", "us", False),
    ("W7_infer_throughput", "samples_per_s", "W7 throughput, batch 256", "samples/s", True),
]

runs = []  # (run row, json line)
run_rows = {}
with open(os.path.join(out, "runs.tsv")) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        path = os.path.join(out, row["file"])
        lines = [json.loads(l) for l in open(path) if l.startswith("{")] if os.path.exists(path) else []
        # W6 per CPU-second: on a loaded machine a process gets only part of a core.
        rate = {(j["threads"], j["rep"]): j["value"] for j in lines
                if j["workload"] == "W6_train" and j["metric"] == "samples_per_s"}
        for j in list(lines):
            if j["metric"] == "epoch_time" and j.get("cpu_s", 0) > 0 and (j["threads"], j["rep"]) in rate:
                samples = rate[(j["threads"], j["rep"])] * j["value"]
                lines.append(dict(j, metric="samples_per_cpu_s", value=samples / j["cpu_s"], unit="samples/CPU-s"))
        for line in lines:
            runs.append((row, line))
        run_rows[row["file"]] = row


def fmt(v):
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def cell(v):
    if not v:
        return "-"
    if len(v) == 1:
        return f"{fmt(v[0])} (n=1)"
    return f"{fmt(statistics.median(v))} [{fmt(min(v))} - {fmt(max(v))}] (n={len(v)})"


def flat(d):
    return [x for v in d.values() for x in v]


def ratio_cells(ours, theirs):
    """ours/theirs: {round: [values]} -> (ratio of medians, range of per-round ratios)."""
    a, b = flat(ours), flat(theirs)
    if not a or not b:
        return "-", "-"
    whole = statistics.median(a) / statistics.median(b)
    per = [statistics.median(ours[r]) / statistics.median(theirs[r]) for r in ours if r in theirs]
    span = f"{min(per):.2f} - {max(per):.2f}" if len(per) > 1 else "-"
    return f"**{whole:.2f}**", span


def select(side=None, pair=None, peer=None, workload=None, metric=None, threads=None, steps=None):
    """{round: [values]} of the JSON lines matching every given field."""
    got = collections.defaultdict(list)
    for row, j in runs:
        if side and row["side"] != side:
            continue
        if pair and row["pair"] != pair:
            continue
        if peer and j["peer"] != peer:
            continue
        if workload and j["workload"] != workload:
            continue
        if metric and j["metric"] != metric:
            continue
        if threads is not None and j["threads"] != threads:
            continue
        if steps is not None and j.get("steps", FULL_STEPS) != steps:
            continue
        got[row["round"]].append(j["value"])
    return got


def configs(workload):
    """(threads, steps) combinations seen for a workload; W7 is (1, None)."""
    if workload != "W6_train":
        return [(1, None)]
    return sorted({(j["threads"], j.get("steps", FULL_STEPS)) for _, j in runs if j["workload"] == workload})


def label(workload, lab, unit, t, steps):
    if workload != "W6_train":
        return f"{lab} ({unit})"
    capped = "" if steps == FULL_STEPS else f", {steps} steps/epoch (capped)"
    return f"{lab}, {t} thr{capped} ({unit})"


print("## W6/W7 (CNN-FM): typenet beside the conv peers (same run, interleaved)\n")
env = os.path.join(out, "env.txt")
if os.path.exists(env):
    print("```")
    print(open(env).read().rstrip())
    print("```\n")
loads = [float(r["other_load_cores"]) for r in run_rows.values() if r["other_load_cores"] not in ("", "nan")]
if loads:
    print(f"CPU used by other processes during the runs (cores; /proc/stat minus the run's own): "
          f"median {statistics.median(loads):.2f}, max {max(loads):.2f} over {len(loads)} processes.\n")

pairs = []
for r in run_rows.values():
    if r["side"] != "peak" and r["pair"] not in pairs:
        pairs.append(r["pair"])
peer_cols = []  # harnesses in run order ("libtorch", "torch", "dlib"); "alone" = typenet without a peer
for pair in pairs:
    h = pair.split("_")[0]
    if h != "alone" and h not in peer_cols:
        peer_cols.append(h)

print("| workload | better | typenet, all runs |" + "".join(f" {p}: median (typenet / {p}) |" for p in peer_cols))
print("|---|---|---|" + "---|" * len(peer_cols))
for workload, metric, lab, unit, higher in WORKLOADS:
    for t, steps in configs(workload):
        ours_all = flat(select(side="typenet", peer="typenet", workload=workload, metric=metric, threads=t, steps=steps))
        if not ours_all:
            continue
        line = f"| {label(workload, lab, unit, t, steps)} | {'-' if higher is None else ('higher' if higher else 'lower')} | {cell(ours_all)} |"
        for p in peer_cols:
            got = "-"
            for pair in pairs:
                if pair.split("_")[0] != p:
                    continue
                theirs = select(side="peer", pair=pair, workload=workload, metric=metric, threads=t, steps=steps)
                ours = select(side="typenet", pair=pair, peer="typenet", workload=workload, metric=metric, threads=t,
                              steps=steps)
                if flat(theirs) and flat(ours):
                    r = "-" if higher is None else ratio_cells(ours, theirs)[0]
                    got = f"{fmt(statistics.median(flat(theirs)))} ({r})"
            line += f" {got} |"
        print(line)

print("\nRatios are typenet's median over the peer's, typenet taken from the runs interleaved with that peer "
      "(>1 is typenet faster where higher is better, <1 where lower is better). Per peer and round:\n")
print("| workload | better | peer | peer: median [min - max] (n) | typenet, same rounds | typenet / peer | per round |")
print("|---|---|---|---|---|---|---|")
for workload, metric, lab, unit, higher in WORKLOADS:
    for t, steps in configs(workload):
        for pair in pairs:
            theirs = select(side="peer", pair=pair, workload=workload, metric=metric, threads=t, steps=steps)
            ours = select(side="typenet", pair=pair, peer="typenet", workload=workload, metric=metric, threads=t,
                          steps=steps)
            if not flat(theirs) or not flat(ours):
                continue
            names = sorted({j["peer"] for row, j in runs if row["pair"] == pair and row["side"] == "peer"
                            and j["workload"] != "config"})
            better = "-" if higher is None else ("higher: >1 = typenet faster" if higher else "lower: <1 = typenet faster")
            r, span = ("-", "-") if higher is None else ratio_cells(ours, theirs)
            print(f"| {label(workload, lab, unit, t, steps)} | {better} | {', '.join(names)} | {cell(flat(theirs))} | "
                  f"{cell(flat(ours))} | {r} | {span} |")

if any(j["peer"] == "typenet_unfused" for _, j in runs):
    print("\n### typenet fused (default) vs unfused (`set_fused(false)`), all typenet runs\n")
    print("| workload | better | fused | unfused | fused / unfused |")
    print("|---|---|---|---|---|")
    for workload, metric, lab, unit, higher in WORKLOADS:
        for t, steps in configs(workload):
            f_ = select(peer="typenet", workload=workload, metric=metric, threads=t, steps=steps)
            u_ = select(peer="typenet_unfused", workload=workload, metric=metric, threads=t, steps=steps)
            if not flat(f_) or not flat(u_):
                continue
            r = "-" if higher is None else ratio_cells(f_, u_)[0]
            better = "-" if higher is None else ("higher" if higher else "lower")
            print(f"| {label(workload, lab, unit, t, steps)} | {better} | {cell(flat(f_))} | {cell(flat(u_))} | {r} |")

# FP32 peak of this run (fma_peak.cpp) and the share of it each side reaches.
peak = {}
peak_rows = []
for t in sorted({j["threads"] for _, j in runs if j["workload"] == "peak"}):
    best = None
    for m in ("fma_loop_avx512", "fma_loop_avx2", "clock_est_dependent_adds"):
        v = flat(select(workload="peak", metric=m, threads=t))
        if not v:
            continue
        unit = "GHz" if m.startswith("clock") else "GFLOP/s"
        peak_rows.append((m, t, v, unit))
        if unit == "GFLOP/s":
            best = max(best or 0, statistics.median(v))
    if best:
        peak[t] = best
if peak_rows:
    print("\n### FP32 peak, measured in this run (`fma_peak.cpp` of the conv peers)\n")
    print("| measure | threads | value |")
    print("|---|---|---|")
    for m, t, v, unit in peak_rows:
        print(f"| {m} | {t} | {cell(v)} {unit} |")
    gemm = []
    for _, j in runs:
        if j["workload"] == "W67_gemm" and j["metric"] not in gemm:
            gemm.append(j["metric"])
    if gemm:
        ts = sorted({j["threads"] for _, j in runs if j["workload"] == "W67_gemm"})
        print("\n| OpenBLAS sgemm on CNN-FM's shapes (GFLOP/s) | " + " | ".join(f"{t} thr" for t in ts) + " |")
        print("|---|" + "---|" * len(ts))
        for m in gemm:
            print(f"| {m} | " + " | ".join(cell(flat(select(workload='W67_gemm', metric=m, threads=t))) for t in ts) + " |")

    print("\n### Share of the FMA peak (FLOPs per sample from the README: training 24.995 MFLOP, forward 8.482 "
          "MFLOP; W7 runs on 1 thread)\n")
    print("| peer | workload | median | GFLOP/s | % of peak |")
    print("|---|---|---|---|---|")
    names = sorted({j["peer"] for _, j in runs if j["workload"] in ("W6_train", "W7_infer_latency", "W7_infer_throughput")},
                   key=lambda p: (not p.startswith("typenet"), p))
    shares = [("W6_train", "samples_per_s", TRAIN_FLOP), ("W7_infer_latency", "median_latency", FWD_FLOP),
              ("W7_infer_throughput", "samples_per_s", FWD_FLOP)]
    for name in names:
        for workload, metric, flop in shares:
            for t, steps in configs(workload):
                v = flat(select(peer=name, workload=workload, metric=metric, threads=t, steps=steps))
                if not v or t not in peak:
                    continue
                med = statistics.median(v)
                gflops = (flop / (med * 1e-6) if metric == "median_latency" else flop * med) / 1e9
                unit = "us" if metric == "median_latency" else "samples/s"
                w = label(workload, workload, unit, t, steps)
                print(f"| {name} | {w} | {fmt(med)} | {gflops:.1f} | {100 * gflops / peak[t]:.1f} % of {peak[t]:.0f} |")

failed = [r["file"] for r in run_rows.values() if not any(row["file"] == r["file"] for row, _ in runs)]
if failed:
    print(f"\nRuns that printed no JSON line: {', '.join(failed)} (see run_log.txt).")
