#!/usr/bin/env bash
# Builds the unit tests (the typenet_tests target only) with clang++-14, AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: the first finding fails), and runs them.
# Usage: fuzz/sanitize_tests.sh BUILD_DIR    (TYPENET_JOBS=N, default 2; reuses BUILD_DIR if it exists)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:?usage: fuzz/sanitize_tests.sh BUILD_DIR}
jobs=${TYPENET_JOBS:-2}

echo "==== sanitizers (clang++-14, ASan + UBSan): configure, build typenet_tests, run in $dir"
# -O0: clang++-14 compiles these template-heavy tests 2.7x faster with the sanitizers at -O0 than at
# -O1 (18 s against 50 s of CPU for test_check.cpp), which decides whether CI fits its time. Debug with
# its -g emptied, because line tables are all the stack traces need.
cmake -S "$root" -B "$dir" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG= \
  -DCMAKE_CXX_COMPILER=clang++-14 -DTYPENET_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -O0 -gline-tables-only"
cmake --build "$dir" -j "$jobs" --target typenet_tests
# alloc_dealloc_mismatch=0: tests/support/allocation_counter.cpp replaces operator new(size_t) and
# delete (malloc/free) but not the nothrow/array news, which ASan intercepts itself; memory from
# std::get_temporary_buffer (nothrow new, used by std::stable_sort) then reaches free() through the
# replaced delete and ASan reports a mismatch that does not exist without ASan (test_fit_search.cpp:99).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:alloc_dealloc_mismatch=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$dir/tests/typenet_tests" --order rand --rng-seed 7
