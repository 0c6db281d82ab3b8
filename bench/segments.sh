#!/usr/bin/env bash
# Segment benchmark (see bench/segments.c): the evaluator alone over
# SEG_SYNTHETIC synthetic customers (default 1,000,000), then the service on a
# demo database of SEG_CUSTOMERS customers (default 100,000, generated once
# into bench/out/) against the same count in plain SQL.
# Needs build/rel/librelatio.a and build/rel/relatio (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/segments" bench/segments.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
N=${SEG_CUSTOMERS:-100000}
DB=$OUT/demo-seg-$N.db
if [ ! -f "$DB" ]; then
  RELATIO_LOG=warn build/rel/relatio demo --db "$DB" --customers "$N" --no-serve 2>"$OUT/demo-seg.log" \
    || { tail "$OUT/demo-seg.log"; exit 1; }
fi
echo "== segments ($(nproc) cores, $(date -u +%F))"
RELATIO_LOG=warn "$OUT/segments" "${SEG_SYNTHETIC:-1000000}" "$DB"
