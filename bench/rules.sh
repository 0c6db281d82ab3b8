#!/usr/bin/env bash
# Rules engine throughput (see bench/rules.c): 1,000,000 events over 100,000
# customers by default (RULES_EVENTS, RULES_CUSTOMERS to change them). Needs
# build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/rules" bench/rules.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
RELATIO_LOG=error "$OUT/rules" "$OUT/rules.db" "${RULES_EVENTS:-1000000}" "${RULES_CUSTOMERS:-100000}"
rm -f "$OUT/rules.db" "$OUT/rules.db-wal" "$OUT/rules.db-shm"
