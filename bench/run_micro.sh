#!/usr/bin/env bash
# Runs every Google Benchmark program in a build (bench/*_bench.cc) and
# writes one JSON file per program into an output directory, plus the usual
# console table on stdout.
#
#   bench/run_micro.sh [BUILD_DIR] [OUT_DIR] [extra benchmark flags...]
#   e.g. bench/run_micro.sh build bench-results --benchmark_filter=Chunker
#
# Build them first: cmake --build BUILD_DIR --target chunker_bench index_bench
# primitives_bench pipeline_bench (they are built when COFFER_BUILD_BENCH is ON).
set -euo pipefail
build=${1:-build}
out=${2:-bench-results}
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$out"
found=0
for exe in "$build"/bench/*_bench; do
  [ -x "$exe" ] || continue
  found=1
  name=$(basename "$exe")
  echo "== $name"
  "$exe" --benchmark_out="$out/$name.json" --benchmark_out_format=json "$@"
done
if [ "$found" = 0 ]; then
  echo "run_micro.sh: no *_bench programs in $build/bench (build them first)" >&2
  exit 2
fi
echo "JSON results in $out/"
