#!/usr/bin/env bash
# W6/W7 (network CNN-FM, shared/peers/conv/README.md): typenet beside the conv peers in ONE run, as
# benchmarks/run_peers.sh does for W1-W5. Installs what is missing from Debian (unless SKIP_APT=1), builds the
# peers' harnesses from shared/peers/conv in place (their run_conv.sh build lines) and typenet's bench_conv with
# CMake, measures the FP32 FMA peak with the peers' fma_peak.cpp, runs peers and typenet interleaved (peer,
# typenet fused, typenet unfused, peer, ...) so a change of load hits both sides of a ratio, saves every JSON
# line and prints the side-by-side table with % of the peak (benchmarks/conv_peers_table.py).
#
#   benchmarks/run_conv_peers.sh                 defaults below. Estimate on an idle 2-core VM: W6 epochs take
#                                                ~20-80 s each (peers' README), so the default (1 W6 round, 3 W7
#                                                rounds) is roughly 1.5 h; use MAX_BATCHES for a look.
#   PEERS="libtorch" THREADS=1 EPOCHS=2 MAX_BATCHES=50 REPS=1 PROC_REPS=1 SKIP_APT=1 benchmarks/run_conv_peers.sh
#                                                a quick look (~1 min)
#   PEERS= MAX_BATCHES=20 EPOCHS=2 REPS=1 PROC_REPS=1 SKIP_APT=1 benchmarks/run_conv_peers.sh   typenet alone
#
# Env (defaults in brackets):
#   PEERS      [libtorch torch dlib]  from: libtorch (C++ frontend), torch (PyTorch from Python), dlib. Empty:
#              typenet alone (its runs then carry the pair "alone_...").
#   WORKLOADS  [W6 W7]     W6 = training throughput (+ test accuracy), W7 = inference latency b=1 and throughput
#              b=256 (one "infer" process per side gives both).
#   THREADS    [1 2]       W6 thread counts (W7 is a 1-thread workload).
#   VARIANTS   [fused unfused]  typenet's: fused is the default Seq, unfused is set_fused(false).
#   EPOCHS [3] (epoch 1 is warm-up), MAX_BATCHES [unset = whole epochs, 938 steps] (--max-batches for every
#              W6 process; capped figures are tabled apart from full ones), REPS [5] (W7 repetitions per
#              process; also fma_peak's repetitions).
#   PROC_REPS  [3]         rounds; W7 runs in every round (README: 5 reps x 3 processes = 15 values per peer).
#   TRAIN_ROUNDS [1]       W6 runs in the first TRAIN_ROUNDS rounds only (the peers' TRAIN_PROC_REPS=1).
#   PEAK       [1]         build and run fma_peak (1 and 2 threads, REPS repetitions) before round 1; 0: skip.
#   SKIP_APT=1             never call apt-get (default: install the selected peers' packages if missing).
#   BUILD_DIR  [/tmp/typenet-conv-peers-build]  peers' binaries; typenet's CMake build in $BUILD_DIR/typenet.
#   OUT_DIR    [benchmarks/results/conv_<UTC time>]  *.jsonl per run, runs.tsv, run_log.txt, env.txt, table.md,
#              peers_format.md (the peers' aggregate_conv.py over the same folder).
#   PEERS_DIR  [../shared/peers/conv beside the checkout, else /work/shared/peers/conv]
#   PEER_ENV   []          extra environment for the peers' processes only (e.g. OPENBLAS_CORETYPE=...).
#   QUIET_MAX_WAIT [0]     seconds to wait before each run for < 10 % CPU busy (0: don't wait; the CPU used by
#              everything else is logged per run either way, as "other_load" in cores).
#   NICE       if set, every benchmark process runs under `nice -n $NICE` (both sides; negative needs root).
# torch and libtorch at 2 threads run the conv peers' best 2-core setting, intra-op pool 2 and OpenBLAS 1
# (their README, surprise 4; tagged "[intra-op 2, OpenBLAS 1]"); dlib runs plain (only OpenBLAS threads).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/benchmarks/peer_run_helpers.sh"  # install_missing, busy_jiffies, wait_quiet
PEERS=${PEERS-"libtorch torch dlib"}
WORKLOADS=${WORKLOADS:-"W6 W7"}
THREADS=${THREADS:-"1 2"}
VARIANTS=${VARIANTS:-"fused unfused"}
EPOCHS=${EPOCHS:-3}
REPS=${REPS:-5}
PROC_REPS=${PROC_REPS:-3}
TRAIN_ROUNDS=${TRAIN_ROUNDS:-1}
PEAK=${PEAK:-1}
MB=()
[ -n "${MAX_BATCHES:-}" ] && MB=(--max-batches "$MAX_BATCHES")
B=${BUILD_DIR:-/tmp/typenet-conv-peers-build}
TB=$B/typenet
OUT=${OUT_DIR:-$ROOT/benchmarks/results/conv_$(date -u +%Y%m%dT%H%M%SZ)}
if [ -z "${PEERS_DIR:-}" ]; then
  PEERS_DIR=$ROOT/../shared/peers/conv
  [ -f "$PEERS_DIR/conv_common.hpp" ] || PEERS_DIR=/work/shared/peers/conv
fi
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
PY=/usr/bin/python3  # Debian's python3-torch is for the system interpreter, not a pyenv one on PATH
CXX="g++ -O3 -march=native -DNDEBUG"

has() { [[ " $2 " == *" $1 "* ]]; }
peer() { has "$1" "$PEERS"; }
wl() { has "$1" "$WORKLOADS"; }
for p in $PEERS; do
  has "$p" "libtorch torch dlib" || { echo "run_conv_peers.sh: unknown peer '$p'" >&2; exit 2; }
done
for w in $WORKLOADS; do
  has "$w" "W6 W7" || { echo "run_conv_peers.sh: unknown workload '$w'" >&2; exit 2; }
done
for v in $VARIANTS; do
  has "$v" "fused unfused" || { echo "run_conv_peers.sh: unknown variant '$v'" >&2; exit 2; }
done
mkdir -p "$B" "$OUT"

# ---- packages: only the missing ones of the selected peers --------------------------------------
pkgs="g++ cmake zlib1g-dev libopenblas-dev dataset-fashion-mnist time libxtensor-dev liblapack-dev libxsimd-dev xtl-dev"
peer libtorch && pkgs+=" libtorch-dev"
peer torch && pkgs+=" python3-torch"
peer dlib && pkgs+=" libdlib-dev"
# shellcheck disable=SC2086  # $pkgs is a word list
install_missing run_conv_peers.sh $pkgs

# ---- build (one compile at a time): typenet with CMake, the peers with run_conv.sh's build lines ---
cmake -S "$ROOT" -B "$TB" -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_BENCHMARKS=ON -DTYPENET_BUILD_TESTS=OFF \
  -DTYPENET_BUILD_EXAMPLES=OFF > "$B/cmake.log"
cmake --build "$TB" -j1 --target bench_conv
BC=$TB/benchmarks/bench_conv
(
  cd "$PEERS_DIR"
  if [ "$PEAK" = 1 ]; then  # AVX-512 intrinsics: fails to build on a machine without them (then no peak)
    $CXX -std=c++20 fma_peak.cpp -o "$B/fma_peak" -lopenblas -lz -pthread \
      || { echo "run_conv_peers.sh: fma_peak did not build; no peak in the table" >&2; rm -f "$B/fma_peak"; }
  fi
  if peer libtorch; then
    $CXX -std=c++17 -I/usr/include/torch/csrc/api/include bench_conv_libtorch.cpp -o "$B/bench_conv_libtorch" \
      -ltorch -ltorch_cpu -lc10 -lz
  fi
  if peer dlib; then $CXX -std=c++17 bench_conv_dlib.cpp -o "$B/bench_conv_dlib" -ldlib -lopenblas -lz; fi
)

# ---- what the run ran on ------------------------------------------------------------------------
{
  echo "date: $(date -u +%FT%TZ)"
  echo "typenet: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- include benchmarks || echo ' (+ uncommitted changes in include/ or benchmarks/)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(nproc) CPUs"
  echo "uptime before: $(uptime)"
  echo "settings: PEERS='$PEERS' WORKLOADS='$WORKLOADS' THREADS='$THREADS' VARIANTS='$VARIANTS' EPOCHS=$EPOCHS MAX_BATCHES=${MAX_BATCHES:-} REPS=$REPS PROC_REPS=$PROC_REPS TRAIN_ROUNDS=$TRAIN_ROUNDS PEAK=$PEAK PEER_ENV='${PEER_ENV:-}' NICE=${NICE:-}"
} > "$OUT/env.txt"

# ---- running (as run_peers.sh) ------------------------------------------------------------------
echo -e "file\tround\tside\tpair\tthreads\twall_s\tother_load_cores" > "$OUT/runs.tsv"
seq_no=0
# run <round> <side: peer|typenet|peak> <pair> <threads> <command...>: one JSONL file per process. <pair> names
# the peer configuration the run belongs to; a typenet run carries the pair of the peer run just before it.
run() {
  local round=$1 side=$2 pair=$3 t=$4; shift 4
  local waited j0 j1 tf file
  tf=$(mktemp)
  seq_no=$((seq_no + 1))
  file=$(printf "r%d_%03d_%s_%s.jsonl" "$round" "$seq_no" "$pair" "$side")
  waited=$(wait_quiet)
  echo "+ [$file] OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $([ "$side" = peer ] && echo "${PEER_ENV:-}") $*" >&2
  j0=$(busy_jiffies)
  local extra=()
  [ "$side" = peer ] && [ -n "${PEER_ENV:-}" ] && read -r -a extra <<< "$PEER_ENV"
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/time -f "%e %U %S" -o "$tf" ${NICE:+nice -n "$NICE"} \
    env "${extra[@]}" "$@" > "$OUT/$file" || echo "FAILED: $file: $*" | tee -a "$OUT/run_log.txt" >&2
  j1=$(busy_jiffies)
  # CPU used by everything else on the machine during the run, in cores (0 = quiet, 2 = all of it).
  local wall usr sys other
  read -r wall usr sys < <(tail -1 "$tf"); rm -f "$tf"
  other=$(awk -v b=$((j1 - j0)) -v hz="$(getconf CLK_TCK)" -v u="$usr" -v s="$sys" -v w="$wall" \
    'BEGIN { printf "%.2f", (b / hz - u - s) / w }')
  echo -e "$file\t$round\t$side\t$pair\t$t\t$wall\t$other" >> "$OUT/runs.tsv"
  echo "$(date -u +%FT%TZ) $file waited=${waited}s nice=${NICE:-0} wall=${wall}s usr=${usr}s sys=${sys}s other_load=${other}_cores: $*" >> "$OUT/run_log.txt"
}
typenet_after() {  # typenet_after <round> <pair> <threads> <bench_conv args...>: every variant
  local round=$1 pair=$2 t=$3 v; shift 3
  for v in $VARIANTS; do
    if [ "$v" = unfused ]; then run "$round" typenet "$pair" "$t" "$BC" "$@" --unfused
    else run "$round" typenet "$pair" "$t" "$BC" "$@"; fi
  done
}
cd /tmp  # the harnesses write nothing, but keep their working directory out of the tree

if [ "$PEAK" = 1 ] && [ -x "$B/fma_peak" ]; then  # the FP32 peak of this run, for % of peak in the table
  run 1 peak peak_t1 1 "$B/fma_peak" 1 "$REPS"
  has 2 "$THREADS" && run 1 peak peak_t2 2 "$B/fma_peak" 2 "$REPS"
fi
for round in $(seq "$PROC_REPS"); do
  for p in ${PEERS:-alone}; do
    if wl W7; then
      case $p in
        libtorch) run "$round" peer libtorch_infer 1 "$B/bench_conv_libtorch" infer "$REPS" ;;
        torch) run "$round" peer torch_infer 1 $PY "$PEERS_DIR/bench_conv_torch.py" infer "$REPS" ;;
        dlib) run "$round" peer dlib_infer 1 "$B/bench_conv_dlib" infer "$REPS" ;;
      esac
      typenet_after "$round" "${p}_infer" 1 infer "$REPS"
    fi
    if wl W6 && [ "$round" -le "$TRAIN_ROUNDS" ]; then
      for t in $THREADS; do
        # The conv peers' best 2-core setting for torch: intra-op pool t, OpenBLAS 1.
        intra=()
        [ "$t" -gt 1 ] && intra=(env TORCH_INTRAOP="$t" OPENBLAS_NUM_THREADS=1 "PEER_TAG=[intra-op $t, OpenBLAS 1]")
        case $p in
          libtorch) run "$round" peer libtorch_train_t$t "$t" "${intra[@]}" "$B/bench_conv_libtorch" train "$t" "$EPOCHS" "${MB[@]}" ;;
          torch) run "$round" peer torch_train_t$t "$t" "${intra[@]}" $PY "$PEERS_DIR/bench_conv_torch.py" train "$t" "$EPOCHS" "${MB[@]}" ;;
          dlib) run "$round" peer dlib_train_t$t "$t" "$B/bench_conv_dlib" train "$t" "$EPOCHS" "${MB[@]}" ;;
        esac
        typenet_after "$round" "${p}_train_t$t" "$t" train "$t" "$EPOCHS" "${MB[@]}"
      done
    fi
  done
done
echo "uptime after: $(uptime)" >> "$OUT/env.txt"

$PY "$ROOT/benchmarks/conv_peers_table.py" "$OUT" | tee "$OUT/table.md"
# The peers' own table format, typenet's rows included (it reads every *.jsonl of the folder).
[ -f "$PEERS_DIR/aggregate_conv.py" ] && $PY "$PEERS_DIR/aggregate_conv.py" "$OUT" > "$OUT/peers_format.md" || true
echo "results: $OUT" >&2
