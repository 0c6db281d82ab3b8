#!/usr/bin/env bash
# Loyalty benchmarks: the service over LOYALTY_N members (default 1,000,000;
# bench/loyalty.c), then 1,000 concurrent award/redeem requests on 1,000
# members through the API (bench/loyalty.mjs). Needs make (build/rel).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/loyalty" bench/loyalty.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
RELATIO_LOG=warn RELATIO_NOW=2026-07-01T12:00:00Z "$OUT/loyalty" "$OUT/loyalty.db" "${LOYALTY_N:-1000000}"
rm -f "$OUT/loyalty.db" "$OUT/loyalty.db-wal" "$OUT/loyalty.db-shm"
echo "== loyalty through the API"
RELATIO_BIN=${RELATIO_BIN:-build/rel/relatio} RELATIO_PWHASH=fast node bench/loyalty.mjs
