#!/usr/bin/env bash
# Full rescoring (issue 3): relatio's services (bench/rescore.c) against the
# same computation in DuckDB SQL and SQLite SQL (bench/rescore_peers.mjs,
# bench/rescore.sql) on one demo database, in the same run.
#   RESCORE_DB (default bench/out/demo-1000000.db, made by scripts/bench.sh)
#   RESCORE_RUNS (5), RESCORE_SQLITE_RUNS (1: one SQLite run takes minutes at 1M)
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
DB=${RESCORE_DB:-$OUT/demo-1000000.db}
[ -f "$DB" ] || { echo "rescore: no database $DB (run make bench once)"; exit 1; }
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/rescore" bench/rescore.c build/rel/librelatio.a $(make -s print-flags)
[ -d bench/node_modules/@duckdb/node-api ] || (cd bench && npm ci --no-audit --no-fund >/dev/null)
echo "== full rescoring ($(nproc) cores, $(date -u +%F), $DB)"
RELATIO_LOG=warn "$OUT/rescore" "$DB" "${RESCORE_RUNS:-5}"
node bench/rescore_peers.mjs "$DB" "${RESCORE_RUNS:-5}" "${RESCORE_SQLITE_RUNS:-1}"
