#!/usr/bin/env bash
# Builds typenet's fuzz targets with clang++-14 (libFuzzer + AddressSanitizer + UBSan) and runs each
# for SECONDS (default 60) from a scratch copy of its committed seed corpus (fuzz/corpus/<target>;
# the committed corpus never grows). TYPENET_JOBS targets (default 2) build and run at a time, each on
# one core, so that no core idles. Prints the executions per target; exits 1 if any target failed to
# build, crashed, leaked, or tripped a sanitizer (reproducers are kept under build-fuzz/crashes/).
# Usage: fuzz/run.sh [seconds]   (TYPENET_FUZZ_BUILD=dir: build directory; TYPENET_FUZZ_TARGETS="native idx": a subset)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${TYPENET_FUZZ_BUILD:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++-14}
jobs=${TYPENET_JOBS:-2}
read -r -a targets <<< "${TYPENET_FUZZ_TARGETS:-native safetensors idx csv npy}"
declare -A max_len=([native]=4096 [safetensors]=8192 [idx]=4096 [csv]=4096 [npy]=4096)

rm -rf "$build"
mkdir -p "$build/crashes"

# Builds and runs target $1; its output goes to $build/fuzz_$1.out, its one-line result to .result.
fuzz_one() {
  local t=$1 out=$build/fuzz_$1.out result=$build/fuzz_$1.result
  exec > "$out" 2>&1
  echo "==== fuzz_$t: build"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g -std=c++20 \
    -I"$root/include" "$root/fuzz/fuzz_$t.cpp" -o "$build/fuzz_$t" -lz; then
    echo "build FAILED" > "$result"
    return
  fi
  local corpus=$build/corpus/$t
  mkdir -p "$corpus" "$build/crashes/$t"
  cp "$root/fuzz/corpus/$t/"* "$corpus/"
  echo "==== fuzz_$t: ${seconds} s"
  local log=$build/fuzz_$t.log
  # -close_fd_mask=1: the library prints nothing on success; keeps the log to libFuzzer's own lines.
  "$build/fuzz_$t" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="${max_len[$t]}" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" > "$log" 2>&1
  local rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((rc != 0)) || [[ -z $execs ]] || ls "$build/crashes/$t/"* > /dev/null 2>&1; then
    echo "FAILED (exit $rc, ${execs:-?} executions; log $log; artifacts in $build/crashes/$t/)" > "$result"
    grep -E -A40 'ERROR: |runtime error|==ERROR|deadly signal|Test unit written' "$log" | head -80
  else
    echo "passed, $execs executions in $seconds s" > "$result"
  fi
}

for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n; done
  fuzz_one "$t" &
done
wait

status=0
for t in "${targets[@]}"; do cat "$build/fuzz_$t.out"; done
echo "==== fuzz summary"
for t in "${targets[@]}"; do
  result=$(cat "$build/fuzz_$t.result" 2> /dev/null || echo "no result (the job died)")
  echo "fuzz_$t: $result"
  [[ $result == passed* ]] || status=1
done
exit $status
