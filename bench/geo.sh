#!/usr/bin/env bash
# Geomarketing benchmark (see bench/geo.c): the nearest-store index against
# brute force over GEO_POINTS points (default 1,000,000), then the area
# aggregates through the service on the 1M-customer demo database. The demo
# database (bench/out/demo-1000000.db) is copied once to bench/out/geo-1m.db,
# since the benchmark adds stores to it. Needs build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/geo" bench/geo.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
SRC=${GEO_DEMO:-$OUT/demo-1000000.db}
DB=$OUT/geo-1m.db
if [ ! -f "$DB" ]; then
  if [ ! -f "$SRC" ]; then
    RELATIO_LOG=warn build/rel/relatio demo --db "$SRC" --customers 1000000 --no-serve \
      2>"$OUT/demo-geo.log" || { tail "$OUT/demo-geo.log"; exit 1; }
  fi
  cp --reflink=auto "$SRC" "$DB"
fi
echo "== geomarketing ($(nproc) cores, $(date -u +%F))"
RELATIO_LOG=warn "$OUT/geo" "${GEO_POINTS:-1000000}" "$DB"
