#!/usr/bin/env bash
# typenet beside the peers of shared/peers/README.md in ONE run: installs what is missing from Debian,
# builds the peers' harnesses from shared/peers (not copied) and typenet's bench_workloads / bench_w5, runs
# them interleaved (peer, typenet, peer, typenet, ...) so a change of load hits both sides of a ratio,
# saves every JSON line and prints the side-by-side table (benchmarks/peers_table.py).
#
#   benchmarks/run_peers.sh                                    defaults below (~15 min on an idle 2-core VM)
#   PEERS="ref" WORKLOADS="W1" THREADS=1 EPOCHS=2 PROC_REPS=1 SKIP_APT=1 benchmarks/run_peers.sh   a quick look
#
# Env (defaults in brackets):
#   PEERS      [ref libtorch torch dlib]  from: ref (hand-written loops + OpenBLAS), libtorch, torch (PyTorch from
#              Python), dlib, tinydnn (~20 min: opt-in). W5 needs no peer: OpenBLAS runs inside bench_w5.
#   WORKLOADS  [W1 W2 W3 W4 W5]  W2-W4 come from one "infer" process per side, so any of them runs all three.
#   THREADS    [1 2]       thread counts for W1 and W5 (W2-W4 are 1-thread workloads).
#   VARIANTS   [fused unfused]  typenet's: fused is the default Seq, unfused is set_fused(false).
#   EPOCHS [5] (epoch 1 is warm-up), REPS [5] (repetitions inside an infer / W5 process),
#   PROC_REPS  [3]         rounds: every configuration runs in this many separate processes.
#   SKIP_APT=1             never call apt-get (default: install the selected peers' packages if missing).
#   BUILD_DIR  [/tmp/typenet-peers-build]  peers' binaries; typenet's CMake build in $BUILD_DIR/typenet.
#   OUT_DIR    [benchmarks/results/<UTC time>]  *.jsonl per run, runs.tsv, run_log.txt, env.txt, table.md.
#   PEERS_DIR  [../shared/peers beside the checkout, else /work/shared/peers]
#   PEER_ENV   []          extra environment for the peers' processes only, e.g.
#              PEER_ENV="OPENBLAS_CORETYPE=Cooperlake": OpenBLAS 0.3.21 does not know Zen 5 and picks its
#              AVX2 (Haswell) kernels there, half the machine's FMA rate; this gives the peers its AVX-512 ones.
#   QUIET_MAX_WAIT [0]     seconds to wait before each run for < 10 % CPU busy (0: don't wait; the
#              CPU used by everything else is logged per run either way, as "other_load" in cores).
# torch and libtorch at 2 threads run the peers' best 2-core setting: torch's intra-op pool at 1 and
# OpenBLAS at 2 (their README, surprise 2); with both pools at 2 they oversubscribe the 2 cores.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/benchmarks/peer_run_helpers.sh"  # install_missing, busy_jiffies, wait_quiet
PEERS=${PEERS:-"ref libtorch torch dlib"}
WORKLOADS=${WORKLOADS:-"W1 W2 W3 W4 W5"}
THREADS=${THREADS:-"1 2"}
VARIANTS=${VARIANTS:-"fused unfused"}
EPOCHS=${EPOCHS:-5}
REPS=${REPS:-5}
PROC_REPS=${PROC_REPS:-3}
B=${BUILD_DIR:-/tmp/typenet-peers-build}
TB=$B/typenet
OUT=${OUT_DIR:-$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)}
if [ -z "${PEERS_DIR:-}" ]; then
  PEERS_DIR=$ROOT/../shared/peers
  [ -f "$PEERS_DIR/common.hpp" ] || PEERS_DIR=/work/shared/peers
fi
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
PY=/usr/bin/python3  # Debian's python3-torch is for the system interpreter, not a pyenv one on PATH
CXX="g++ -O3 -march=native -DNDEBUG"

has() { [[ " $2 " == *" $1 "* ]]; }
peer() { has "$1" "$PEERS"; }
wl() { has "$1" "$WORKLOADS"; }
infer_wanted() { wl W2 || wl W3 || wl W4; }
for p in $PEERS; do
  has "$p" "ref libtorch torch dlib tinydnn" || { echo "run_peers.sh: unknown peer '$p'" >&2; exit 2; }
done
for w in $WORKLOADS; do
  has "$w" "W1 W2 W3 W4 W5" || { echo "run_peers.sh: unknown workload '$w'" >&2; exit 2; }
done
for v in $VARIANTS; do
  has "$v" "fused unfused" || { echo "run_peers.sh: unknown variant '$v'" >&2; exit 2; }
done
mkdir -p "$B" "$OUT"

# ---- packages: only the missing ones of the selected peers --------------------------------------
pkgs="g++ cmake zlib1g-dev libopenblas-dev dataset-fashion-mnist libbenchmark-dev time
  libxtensor-dev liblapack-dev libxsimd-dev xtl-dev"
peer libtorch && pkgs+=" libtorch-dev"
peer torch && pkgs+=" python3-torch"
peer dlib && pkgs+=" libdlib-dev"
peer tinydnn && pkgs+=" tiny-dnn libcereal-dev libstb-dev"
# shellcheck disable=SC2086  # $pkgs is a word list
install_missing run_peers.sh $pkgs

# ---- build: typenet with CMake, the peers with their own build lines (shared/peers/run_all.sh) ---
cmake -S "$ROOT" -B "$TB" -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_BENCHMARKS=ON -DTYPENET_BUILD_TESTS=OFF \
  -DTYPENET_BUILD_EXAMPLES=OFF > "$B/cmake.log"
cmake --build "$TB" -j2 --target bench_workloads bench_w5
BW=$TB/benchmarks/bench_workloads
W5=$TB/benchmarks/bench_w5
(
  cd "$PEERS_DIR"
  if peer ref; then $CXX -std=c++20 bench_ref.cpp -o "$B/bench_ref" -lopenblas -lz; fi
  if peer libtorch; then
    $CXX -std=c++17 -I/usr/include/torch/csrc/api/include bench_libtorch.cpp -o "$B/bench_libtorch" \
      -ltorch -ltorch_cpu -lc10 -lz
  fi
  if peer dlib; then $CXX -std=c++17 bench_dlib.cpp -o "$B/bench_dlib" -ldlib -lopenblas -lz; fi
  if peer tinydnn; then
    # Debian's tiny-dnn includes "third_party/stb/*.h" but does not ship them: forward to libstb-dev.
    mkdir -p "$B/shim/third_party/stb"
    for f in stb_image stb_image_resize stb_image_write; do
      echo "#include <stb/$f.h>" > "$B/shim/third_party/stb/$f.h"
    done
    TD="$CXX -std=c++17 -I$B/shim -DCNN_NO_SERIALIZATION -DCNN_USE_AVX bench_tinydnn.cpp -lz -pthread"
    $TD -DCNN_SINGLE_THREAD -o "$B/bench_tinydnn_t1"
    $TD -o "$B/bench_tinydnn_t2"
  fi
)

# ---- what the run ran on ------------------------------------------------------------------------
{
  echo "date: $(date -u +%FT%TZ)"
  echo "typenet: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- include benchmarks || echo ' (+ uncommitted changes in include/ or benchmarks/)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), $(nproc) CPUs"
  echo "uptime before: $(uptime)"
  echo "settings: PEERS='$PEERS' WORKLOADS='$WORKLOADS' THREADS='$THREADS' VARIANTS='$VARIANTS' EPOCHS=$EPOCHS REPS=$REPS PROC_REPS=$PROC_REPS PEER_ENV='${PEER_ENV:-}'"
} > "$OUT/env.txt"

# ---- running ------------------------------------------------------------------------------------
echo -e "file\tround\tside\tpair\tthreads\twall_s\tother_load_cores" > "$OUT/runs.tsv"
seq_no=0
# run <round> <side: peer|typenet> <pair> <threads> <command...>: one JSONL file per process. <pair> names
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
  OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/time -f "%e %U %S" -o "$tf" env "${extra[@]}" "$@" > "$OUT/$file" \
    || echo "FAILED: $file: $*" | tee -a "$OUT/run_log.txt" >&2
  j1=$(busy_jiffies)
  # CPU used by everything else on the machine during the run, in cores (0 = quiet, 2 = all of it).
  local wall usr sys other
  read -r wall usr sys < <(tail -1 "$tf"); rm -f "$tf"
  other=$(awk -v b=$((j1 - j0)) -v hz="$(getconf CLK_TCK)" -v u="$usr" -v s="$sys" -v w="$wall" \
    'BEGIN { printf "%.2f", (b / hz - u - s) / w }')
  echo -e "$file\t$round\t$side\t$pair\t$t\t$wall\t$other" >> "$OUT/runs.tsv"
  echo "$(date -u +%FT%TZ) $file waited=${waited}s wall=${wall}s other_load=${other}_cores: $*" >> "$OUT/run_log.txt"
}
typenet_after() {  # typenet_after <round> <pair> <threads> <bench_workloads args...>: every variant
  local round=$1 pair=$2 t=$3 v; shift 3
  for v in $VARIANTS; do
    if [ "$v" = unfused ]; then run "$round" typenet "$pair" "$t" "$BW" "$@" --unfused
    else run "$round" typenet "$pair" "$t" "$BW" "$@"; fi
  done
}
cd /tmp  # the harnesses write nothing, but keep their working directory out of the tree

for round in $(seq "$PROC_REPS"); do
  for p in $PEERS; do
    if infer_wanted; then
      case $p in
        ref) run "$round" peer ref_infer 1 "$B/bench_ref" infer "$REPS" ;;
        libtorch) run "$round" peer libtorch_infer 1 "$B/bench_libtorch" infer "$REPS" ;;
        torch) run "$round" peer torch_infer 1 $PY "$PEERS_DIR/bench_torch.py" infer "$REPS" ;;
        dlib) run "$round" peer dlib_infer 1 "$B/bench_dlib" infer "$REPS" ;;
        tinydnn) run "$round" peer tinydnn_infer 1 "$B/bench_tinydnn_t1" infer "$REPS" ;;
      esac
      typenet_after "$round" "${p}_infer" 1 infer "$REPS"
    fi
    if wl W1; then
      for t in $THREADS; do
        # The peers' best 2-core setting for torch: intra-op pool 1, OpenBLAS t.
        intra=()
        [ "$t" -gt 1 ] && intra=(env TORCH_INTRAOP=1 "PEER_TAG=[intra-op 1, OpenBLAS $t]")
        case $p in
          ref) run "$round" peer ref_train_t$t "$t" "$B/bench_ref" train "$t" "$EPOCHS" ;;
          libtorch) run "$round" peer libtorch_train_t$t "$t" "${intra[@]}" "$B/bench_libtorch" train "$t" "$EPOCHS" ;;
          torch) run "$round" peer torch_train_t$t "$t" "${intra[@]}" $PY "$PEERS_DIR/bench_torch.py" train "$t" "$EPOCHS" ;;
          dlib) run "$round" peer dlib_train_t$t "$t" "$B/bench_dlib" train "$t" "$EPOCHS" ;;
          tinydnn)  # 20-30 s per epoch: one round only
            [ "$round" = 1 ] || continue
            run "$round" peer tinydnn_train_t$t "$t" "$B/bench_tinydnn_t$(( t > 1 ? 2 : 1 ))" train "$t" "$EPOCHS" ;;
        esac
        typenet_after "$round" "${p}_train_t$t" "$t" train "$t" "$EPOCHS"
      done
    fi
  done
  if wl W5; then
    for t in $THREADS; do
      # typenet and OpenBLAS (its own kernel pick) alternate per shape inside bench_w5; on AVX-512 machines
      # OpenBLAS runs again forced to its AVX-512 kernels, which it picks on Zen 4 but not on Zen 5.
      run "$round" typenet gemm_t$t "$t" "$W5" "$t" "$REPS" both
      if grep -qw avx512f /proc/cpuinfo; then
        run "$round" peer gemm_t$t "$t" env OPENBLAS_CORETYPE=Cooperlake "PEER_TAG=[Cooperlake]" "$W5" "$t" "$REPS" openblas
      fi
    done
  fi
done
echo "uptime after: $(uptime)" >> "$OUT/env.txt"

python3 "$ROOT/benchmarks/peers_table.py" "$OUT" | tee "$OUT/table.md"
# The peers' own table format, typenet's rows included (it reads every *.jsonl of the folder).
[ -f "$PEERS_DIR/aggregate.py" ] && python3 "$PEERS_DIR/aggregate.py" "$OUT" > "$OUT/peers_format.md" || true
echo "results: $OUT" >&2
