#!/usr/bin/env bash
# KPI, cohort and churn benchmark on the pure modules (see bench/kpis.c):
# 1,000,000 customers by default, KPIS_CUSTOMERS to change it. Needs
# build/rel/librelatio.a (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/kpis" bench/kpis.c ${LIB:-build/rel/librelatio.a} \
  $(make -s print-flags)
"$OUT/kpis" "${KPIS_CUSTOMERS:-1000000}"
