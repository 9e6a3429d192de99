#!/usr/bin/env bash
# Builds typenet's fuzz targets with clang++-14 (libFuzzer + AddressSanitizer + UBSan) and runs each
# for SECONDS (default 60) from a scratch copy of its committed seed corpus (fuzz/corpus/<target>;
# the committed corpus never grows). Prints the executions per target; exits 1 if any target failed
# to build, crashed, leaked, or tripped a sanitizer (reproducers are kept under build-fuzz/crashes/).
# Usage: fuzz/run.sh [seconds]   (TYPENET_FUZZ_BUILD=dir: build directory; TYPENET_FUZZ_TARGETS="native idx": a subset)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
build=${TYPENET_FUZZ_BUILD:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++-14}
read -r -a targets <<< "${TYPENET_FUZZ_TARGETS:-native safetensors idx csv npy}"
declare -A max_len=([native]=4096 [safetensors]=8192 [idx]=4096 [csv]=4096 [npy]=4096)

rm -rf "$build"
mkdir -p "$build/crashes"
status=0
declare -A summary
for t in "${targets[@]}"; do
  echo "==== fuzz_$t: build"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g -std=c++20 \
    -I"$root/include" "$root/fuzz/fuzz_$t.cpp" -o "$build/fuzz_$t" -lz; then
    summary[$t]="build FAILED"
    status=1
    continue
  fi
  corpus=$build/corpus/$t
  mkdir -p "$corpus" "$build/crashes/$t"
  cp "$root/fuzz/corpus/$t/"* "$corpus/"
  echo "==== fuzz_$t: ${seconds} s"
  log=$build/fuzz_$t.log
  # -close_fd_mask=1: the library prints nothing on success; keeps the log to libFuzzer's own lines.
  "$build/fuzz_$t" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="${max_len[$t]}" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((rc != 0)) || [[ -z $execs ]] || ls "$build/crashes/$t/"* > /dev/null 2>&1; then
    summary[$t]="FAILED (exit $rc, ${execs:-?} executions; log $log; artifacts in $build/crashes/$t/)"
    grep -E -A40 'ERROR: |runtime error|==ERROR|deadly signal|Test unit written' "$log" | head -80
    status=1
  else
    summary[$t]="passed, $execs executions in $seconds s"
  fi
done

echo "==== fuzz summary"
for t in "${targets[@]}"; do echo "fuzz_$t: ${summary[$t]}"; done
exit $status
