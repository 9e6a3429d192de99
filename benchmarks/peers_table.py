#!/usr/bin/env python3
"""Side-by-side tables from one benchmarks/run_peers.sh results folder (runs.tsv + one *.jsonl per process).

Cells read median [min - max] over every value of the cell (W1: timed epochs x processes; W2-W5:
repetitions x processes). typenet's cell in a peer's row holds only the typenet runs interleaved with that
peer (each ran right after one of its processes), so both sides of a ratio saw the same stretch of load.
"ratio" is typenet's median over the peer's; "per round" is the range of that ratio taken round by round."""
import collections
import csv
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."

# (workload, metric) -> (label, unit, whether higher is better)
WORKLOADS = [
    ("W1_train", "samples_per_s", "W1 train", "samples/s", True),
    ("W1_train", "samples_per_cpu_s", "W1 train per CPU-second (all threads)", "samples/CPU-s", True),
    ("W1_train", "test_acc_after_epochs", "W1 test accuracy after the last epoch", "%", None),
    ("W2_infer_latency", "median_latency", "W2 latency, batch 1", "us", False),
    ("W3_infer_throughput", "samples_per_s", "W3 throughput, batch 256", "samples/s", True),
    ("W4_tiny_latency", "median_latency", "W4 tiny-net latency, batch 1", "ns", False),
]

runs = []  # (run row, json line)
with open(os.path.join(out, "runs.tsv")) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        path = os.path.join(out, row["file"])
        lines = [json.loads(l) for l in open(path) if l.startswith("{")] if os.path.exists(path) else []
        # W1 per CPU-second: on a loaded machine a process gets only part of a core, and its CPU time says
        # what the work costs where its wall time says how much CPU the others left it.
        rate = {(j["threads"], j["rep"]): j["value"] for j in lines if j["metric"] == "samples_per_s"}
        for j in list(lines):
            if j["metric"] == "epoch_time" and j.get("cpu_s", 0) > 0 and (j["threads"], j["rep"]) in rate:
                samples = rate[(j["threads"], j["rep"])] * j["value"]
                lines.append(dict(j, metric="samples_per_cpu_s", value=samples / j["cpu_s"], unit="samples/CPU-s"))
        for line in lines:
            runs.append((row, line))
        row["n_lines"] = len(lines)
run_rows = {}
for row, _ in runs:
    run_rows[row["file"]] = row


def fmt(v):
    return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"


def cell(v):
    if not v:
        return "-"
    if len(v) == 1:
        return f"{fmt(v[0])} (n=1)"
    return f"{fmt(statistics.median(v))} [{fmt(min(v))} - {fmt(max(v))}] (n={len(v)})"


def ratio_cells(ours, theirs):
    """ours/theirs: {round: [values]} -> (ratio of medians, range of per-round ratios)."""
    a = [x for v in ours.values() for x in v]
    b = [x for v in theirs.values() for x in v]
    if not a or not b:
        return "-", "-"
    whole = statistics.median(a) / statistics.median(b)
    per = [statistics.median(ours[r]) / statistics.median(theirs[r]) for r in ours if r in theirs]
    span = f"{min(per):.2f} - {max(per):.2f}" if len(per) > 1 else "-"
    return f"**{whole:.2f}**", span


def select(side=None, pair=None, peer=None, peer_prefix=None, workload=None, metric=None, threads=None):
    """{round: [values]} of the JSON lines matching every given field."""
    got = collections.defaultdict(list)
    for row, j in runs:
        if side and row["side"] != side:
            continue
        if pair and row["pair"] != pair:
            continue
        if peer and j["peer"] != peer:
            continue
        if peer_prefix and not j["peer"].startswith(peer_prefix):
            continue
        if workload and j["workload"] != workload:
            continue
        if metric and j["metric"] != metric:
            continue
        if threads is not None and j["threads"] != threads:
            continue
        got[row["round"]].append(j["value"])
    return got


def flat(d):
    return [x for v in d.values() for x in v]


print("## typenet beside the peers (same run, interleaved)\n")
env = os.path.join(out, "env.txt")
if os.path.exists(env):
    print("```")
    print(open(env).read().rstrip())
    print("```\n")
loads = [float(r["other_load_cores"]) for r in run_rows.values() if r["other_load_cores"] not in ("", "nan")]
if loads:
    print(f"CPU used by other processes during the runs (cores of 2; /proc/stat minus the run's own): "
          f"median {statistics.median(loads):.2f}, max {max(loads):.2f} over {len(loads)} processes.\n")

# Peers in the order they ran (PEERS' order), each peer's configurations together.
pairs = []
for r in run_rows.values():
    if not r["pair"].startswith("gemm") and r["pair"] not in pairs:
        pairs.append(r["pair"])
threads_seen = sorted({j["threads"] for _, j in runs if j["workload"] == "W1_train"})
# Compact: one row per workload, the peers as columns.
def short(v):
    return fmt(statistics.median(v)) if v else "-"


peer_names = {}
for pair in pairs:
    peer_names[pair] = sorted({j["peer"] for row, j in runs if row["pair"] == pair and row["side"] == "peer"})
peer_cols = []  # peers in run order, by the harness they are ("ref", "libtorch", ...)
for pair in pairs:
    if pair.split("_")[0] not in peer_cols:
        peer_cols.append(pair.split("_")[0])
print("| workload | better | typenet, all runs | " + " | ".join(f"{p}: median (typenet / {p})" for p in peer_cols) + " |")
print("|---|---|---|" + "---|" * len(peer_cols))
for workload, metric, label, unit, higher in WORKLOADS:
    if higher is None:
        continue
    for t in (threads_seen if workload == "W1_train" else [1]):
        ours_all = flat(select(side="typenet", peer="typenet", workload=workload, metric=metric, threads=t))
        if not ours_all:
            continue
        w = f"{label}, {t} thr ({unit})" if workload == "W1_train" else f"{label} ({unit})"
        line = f"| {w} | {'higher' if higher else 'lower'} | {cell(ours_all)} |"
        for p in peer_cols:
            got = "-"
            for pair in pairs:
                if pair.split("_")[0] != p:
                    continue
                theirs = select(side="peer", pair=pair, workload=workload, metric=metric, threads=t)
                ours = select(side="typenet", pair=pair, peer="typenet", workload=workload, metric=metric, threads=t)
                if flat(theirs) and flat(ours):
                    got = f"{short(flat(theirs))} ({ratio_cells(ours, theirs)[0]})"
            line += f" {got} |"
        print(line)
print("\nRatios are typenet's median over the peer's, typenet taken from the runs interleaved with that peer "
      "(>1 is typenet faster where higher is better, <1 where lower is better). Per peer and round:\n")
print("| workload | better | peer | peer: median [min - max] (n) | typenet, same rounds | typenet / peer | per round |")
print("|---|---|---|---|---|---|---|")
for workload, metric, label, unit, higher in WORKLOADS:
    for t in (threads_seen if workload == "W1_train" else [1]):
        for pair in pairs:
            theirs = select(side="peer", pair=pair, workload=workload, metric=metric, threads=t)
            ours = select(side="typenet", pair=pair, peer="typenet", workload=workload, metric=metric, threads=t)
            if not flat(theirs) or not flat(ours):
                continue
            names = sorted({j["peer"] for row, j in runs if row["pair"] == pair and row["side"] == "peer"})
            w = f"{label}, {t} thr ({unit})" if workload == "W1_train" else f"{label} ({unit})"
            better = "-" if higher is None else ("higher: >1 = typenet faster" if higher else "lower: <1 = typenet faster")
            if higher is None:
                r, span = "-", "-"
            else:
                r, span = ratio_cells(ours, theirs)
            print(f"| {w} | {better} | {', '.join(names)} | {cell(flat(theirs))} | {cell(flat(ours))} | {r} | {span} |")

# Fused against unfused: every typenet run, whichever peer it was interleaved with.
if any(j["peer"] == "typenet_unfused" for _, j in runs):
    print("\n### typenet fused (default) vs unfused (`set_fused(false)`), all typenet runs\n")
    print("| workload | better | fused | unfused | fused / unfused |")
    print("|---|---|---|---|---|")
    for workload, metric, label, unit, higher in WORKLOADS:
        for t in (threads_seen if workload == "W1_train" else [1]):
            f_ = select(peer="typenet", workload=workload, metric=metric, threads=t)
            u_ = select(peer="typenet_unfused", workload=workload, metric=metric, threads=t)
            if not flat(f_) or not flat(u_):
                continue
            w = f"{label}, {t} thr ({unit})" if workload == "W1_train" else f"{label} ({unit})"
            r = "-" if higher is None else ratio_cells(f_, u_)[0]
            better = "-" if higher is None else ("higher" if higher else "lower")
            print(f"| {w} | {better} | {cell(flat(f_))} | {cell(flat(u_))} | {r} |")

# W5: typenet's kernels and OpenBLAS alternate shape by shape in one bench_w5 process.
shapes = []
for _, j in runs:
    if j["workload"] == "W5_gemm" and j["metric"] not in shapes:
        shapes.append(j["metric"])
if shapes:
    blas_names = sorted({j["peer"] for _, j in runs if j["workload"] == "W5_gemm" and j["peer"].startswith("openblas")})
    print("\n### W5: GEMM on the network's shapes (GFLOP/s, higher is better; ratio >1 = typenet faster)\n")
    head = "| shape (M x N x K, row-major) | threads | typenet |"
    for b in blas_names:
        head += f" {b} | typenet / {b} |"
    print(head)
    print("|---|---|---|" + "---|---|" * len(blas_names))
    for t in sorted({j["threads"] for _, j in runs if j["workload"] == "W5_gemm"}):
        for s in shapes:
            ours = select(peer="typenet_gemm", workload="W5_gemm", metric=s, threads=t)
            line = f"| {s} | {t} | {cell(flat(ours))} |"
            for b in blas_names:
                theirs = select(peer=b, workload="W5_gemm", metric=s, threads=t)
                line += f" {cell(flat(theirs))} | {ratio_cells(ours, theirs)[0]} |"
            print(line)

failed = [r["file"] for r in csv.DictReader(open(os.path.join(out, "runs.tsv")), delimiter="\t")
          if not any(row["file"] == r["file"] for row, _ in runs)]
if failed:
    print(f"\nRuns that printed no JSON line: {', '.join(failed)} (see run_log.txt).")
