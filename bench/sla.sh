#!/usr/bin/env bash
# SLA breach-sweep benchmark (see bench/sla.c): 1,000,000 open tickets by
# default, SLA_TICKETS to change it. Needs build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/sla" bench/sla.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
RELATIO_LOG=warn "$OUT/sla" "$OUT/sla.db" "${SLA_TICKETS:-1000000}"
rm -f "$OUT/sla.db" "$OUT/sla.db-wal" "$OUT/sla.db-shm"
