#!/usr/bin/env bash
# The accuracy benchmark at full size: builds migsim (Release) if needed, then
#   bench/accuracy/run.sh [ROWS] [accuracy options]
# predicts every migration kind from slices of at most 2 % of ROWS (default
# 5,000,000) on a throwaway PostgreSQL 15 server, runs each for real on the full
# table, prints the table and writes datasets/ground-truth/accuracy-<ROWS>.csv.
# Takes about 7 minutes at 5,000,000 rows on a 2-core machine; CI runs a
# 250,000-row smoke of it (ctest -R accuracy_smoke).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROWS=${1:-5000000}
[ $# -gt 0 ] && shift
BUILD=${MIGSIM_BUILD_DIR:-$ROOT/build}
if [ ! -x "$BUILD/bench/accuracy" ]; then bash "$ROOT/scripts/dev.sh" build; fi
mkdir -p "$ROOT/datasets/ground-truth"
exec "$BUILD/bench/accuracy" --rows "$ROWS" --csv "$ROOT/datasets/ground-truth/accuracy-$ROWS.csv" "$@"
