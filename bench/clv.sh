#!/usr/bin/env bash
# CLV fit benchmark on the pure modules (see bench/clv.c): BG/NBD and
# Gamma-Gamma fitted on 1,000,000 simulated customers by default,
# CLV_CUSTOMERS to change it. Needs build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/clv" bench/clv.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
"$OUT/clv" "${CLV_CUSTOMERS:-1000000}"
