#!/usr/bin/env bash
# Compile-time budget of a typical network (target: <= 10 s wall and <= 1 GB peak memory per
# translation unit). Compiles FILE (default examples/card_network.cpp) to an object file with g++ and
# clang++-14 at -O2 -march=native (the flags of a Release example build), RUNS times each, and prints
# the median wall time, median CPU time and the largest peak RSS, measured by /usr/bin/time -v.
# Usage: benchmarks/compile_time.sh [FILE] [RUNS]     Exit status 1 if a compiler exceeds the budget.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
file=${1:-$root/examples/card_network.cpp}
runs=${2:-3}
budget_seconds=10
budget_kb=$((1024 * 1024))

if [[ ! -x /usr/bin/time ]]; then
  echo "compile_time.sh: /usr/bin/time is missing (apt-get install -y time)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# "h:mm:ss" or "m:ss.cc" -> seconds
to_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; ++i) s = s * 60 + $i; print s }'; }

echo "file: ${file#"$root"/}   runs: $runs   load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
printf '%-12s %-10s %14s %14s %14s  %s\n' compiler version "median wall s" "median cpu s" "peak RSS MB" budget
status=0
for cxx in g++ clang++-14; do
  if ! command -v "$cxx" > /dev/null; then
    echo "$cxx: not installed, skipped"
    continue
  fi
  : > "$work/wall"; : > "$work/cpu"; : > "$work/rss"
  for ((run = 1; run <= runs; ++run)); do
    /usr/bin/time -v -o "$work/time.txt" \
      "$cxx" -std=c++20 -O2 -march=native -I"$root/include" -c "$file" -o "$work/out.o"
    grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{ print $NF }' | to_seconds >> "$work/wall"
    awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt" >> "$work/cpu"
    awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt" >> "$work/rss"
  done
  wall=$(median < "$work/wall")
  cpu=$(median < "$work/cpu")
  rss=$(sort -g "$work/rss" | tail -1)
  verdict=ok
  if awk -v w="$wall" -v b="$budget_seconds" 'BEGIN { exit !(w > b) }' || ((rss > budget_kb)); then
    verdict="OVER (<= ${budget_seconds} s, <= 1024 MB)"
    status=1
  fi
  printf '%-12s %-10s %14.2f %14.2f %14.0f  %s\n' "$cxx" "$("$cxx" -dumpversion)" "$wall" "$cpu" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$verdict"
done
exit $status
