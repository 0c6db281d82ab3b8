#!/usr/bin/env bash
# Forecast benchmark (see bench/forecast.c): 100,000 open deals by default,
# FORECAST_DEALS to change it. Needs build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/forecast" bench/forecast.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
RELATIO_LOG=warn "$OUT/forecast" "$OUT/forecast.db" "${FORECAST_DEALS:-100000}"
[ -n "${FORECAST_KEEP:-}" ] || rm -f "$OUT/forecast.db" "$OUT/forecast.db-wal" "$OUT/forecast.db-shm"
