#!/usr/bin/env bash
# The accuracy benchmark at full size: builds migsim (Release) if needed, then
#   bench/accuracy/run.sh [ROWS] [accuracy options]
# predicts every migration kind from slices of at most 1 % of ROWS (default
# 5,000,000; --slice-fraction 0.02 for 2 %), extrapolating about 100 times, on a
# throwaway PostgreSQL 15 server, runs each for real on the full
# table, prints the table and writes datasets/ground-truth/accuracy-<ROWS>.csv
# (accuracy-events-<ROWS>.csv with --dataset events).
# Takes about 9 minutes at 5,000,000 rows on a 2-core machine; CI runs a
# 250,000-row smoke of it (ctest -R accuracy_smoke).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROWS=${1:-5000000}
[ $# -gt 0 ] && shift
BUILD=${MIGSIM_BUILD_DIR:-$ROOT/build}
if [ ! -x "$BUILD/bench/accuracy" ]; then bash "$ROOT/scripts/dev.sh" build; fi
# orders' CSV is accuracy-<ROWS>.csv, another dataset's accuracy-<dataset>-<ROWS>.csv.
NAME=accuracy-$ROWS.csv
ARGS=("$@")
for i in "${!ARGS[@]}"; do
  case "${ARGS[$i]}" in
    --dataset=*) DATASET=${ARGS[$i]#--dataset=} ;;
    --dataset) DATASET=${ARGS[$((i + 1))]:-} ;;
  esac
done
if [ -n "${DATASET:-}" ] && [ "$DATASET" != orders ]; then NAME=accuracy-$DATASET-$ROWS.csv; fi
mkdir -p "$ROOT/datasets/ground-truth"
exec "$BUILD/bench/accuracy" --rows "$ROWS" --csv "$ROOT/datasets/ground-truth/$NAME" "$@"
