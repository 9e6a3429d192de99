#!/usr/bin/env bash
# W5 side by side: typenet's GEMM kernels against OpenBLAS sgemm on the shapes of shared/peers/README.md,
# one thread, median of REPS repetitions (Google Benchmark aggregates), as a markdown table.
#   benchmarks/gemm_table.sh [BENCH_BINARY] [REPS]
# BENCH_BINARY defaults to build/benchmarks/bench_gemm (cmake -DTYPENET_BUILD_BENCHMARKS=ON). OpenBLAS is
# run twice: with the kernels it picks for this CPU, and, when the CPU has AVX-512, forced to its
# Cooperlake (AVX-512) kernels, the ones it picked on the Zen 4 host of the peers' table; the ratio is
# typenet over the faster of the two. GFLOP/s are Google Benchmark's rate counters (CPU time);
# the "wall/CPU" column shows how much of the wall time the process had the CPU (1.00 = idle machine).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${1:-$root/build/benchmarks/bench_gemm}
reps=${2:-5}
if [[ ! -x $bench ]]; then
  echo "gemm_table.sh: $bench not found; build it with" >&2
  echo "  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_BENCHMARKS=ON && cmake --build build -j2 --target bench_gemm" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true --benchmark_format=json)

load_before=$(cut -d' ' -f1 /proc/loadavg)
OPENBLAS_NUM_THREADS=1 "$bench" "${args[@]}" >"$work/default.json" 2>/dev/null
if grep -qw avx512f /proc/cpuinfo; then
  OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Cooperlake "$bench" "${args[@]}" --benchmark_filter=openblas \
    >"$work/avx512.json" 2>/dev/null
else
  echo '{"benchmarks": []}' >"$work/avx512.json"
fi
load_after=$(cut -d' ' -f1 /proc/loadavg)

python3 - "$work/default.json" "$work/avx512.json" "$load_before" "$load_after" <<'EOF'
import json, sys

def medians(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].split("/min_time")[0]
        out[name] = (b["GFLOP/s"], b["real_time"], b["cpu_time"])
    return out

default, avx512 = medians(sys.argv[1]), medians(sys.argv[2])
context = json.load(open(sys.argv[1]))["context"]
shapes = []
for name in default:
    shape = name.split("/")[0]
    if shape != "peak" and shape not in shapes:
        shapes.append(shape)

def cell(d, key):
    return f"{d[key][0]:.1f}" if key in d else "-"

peak = default.get("peak/fma", (float("nan"), 1, 1))[0]
print(f"Machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz (as reported), "
      f"load average {sys.argv[3]} before, {sys.argv[4]} after; FMA peak measured {peak:.1f} GFLOP/s (1 core).")
print()
print("| shape (M×N×K) | typenet, W as Wᵀ (Dense) | typenet, W as (out, in) | OpenBLAS, own pick | OpenBLAS, AVX-512 kernels | "
      "typenet / best OpenBLAS | typenet % of peak | wall/CPU |")
print("|---|---|---|---|---|---|---|---|")
for shape in shapes:
    ours = default.get(f"{shape}/typenet")
    outin = f"{shape}/typenet_outin"
    blas = [v[0] for v in (default.get(f"{shape}/openblas"), avx512.get(f"{shape}/openblas")) if v]
    best = max(blas) if blas else float("nan")
    ratio = f"{ours[0] / best:.2f}" if ours and blas else "-"
    pct = f"{100 * ours[0] / peak:.0f} %" if ours else "-"
    wall = f"{ours[1] / ours[2]:.2f}" if ours else "-"
    print(f"| {shape} | {cell(default, shape + '/typenet')} | {cell(default, outin)} | "
          f"{cell(default, shape + '/openblas')} | {cell(avx512, shape + '/openblas')} | {ratio} | {pct} | {wall} |")
extras = [n for n in default if n.split("/")[1] not in ("typenet", "typenet_outin", "openblas") and not n.startswith("peak")]
if extras:
    print()
    print("| variant | GFLOP/s |")
    print("|---|---|")
    for n in extras:
        print(f"| {n} | {default[n][0]:.1f} |")
EOF
