#!/usr/bin/env bash
# Soak test (make soak): a mix of reads and writes (bench/soak.lua) from wrk
# at 64 connections for SOAK_SECONDS (default 60) against a demo database of
# SOAK_CUSTOMERS (default 20000). Passes when there is no error answer and
# the server's heap (RssAnon) grew by less than 5 % between the end of a
# warm-up and the end of the run; then checks that SIGTERM lets requests in
# flight finish. Prints requests, errors, latency percentiles and RSS.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh bench >/dev/null
N=${SOAK_CUSTOMERS:-20000}
SECS=${SOAK_SECONDS:-60}
OUT=build/soak; mkdir -p "$OUT"
DB=$OUT/soak.db
BIN=build/rel/relatio
export RELATIO_LOG=warn
rm -f "$DB" "$DB-wal" "$DB-shm"
$BIN demo --db "$DB" --customers "$N" --no-serve >"$OUT/demo.log" 2>&1
TOKEN=$($BIN token create admin@relatio.demo --db "$DB")
MAXID=$(sqlite3 "$DB" "SELECT MAX(id) FROM customers")
export TOKEN MAXID
PORT=18390
$BIN serve --db "$DB" --port $PORT 2>"$OUT/serve.log" & pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/RssAnon/ {print $2}' "/proc/$pid/status"; } # heap: file pages of a growing database are not a leak
# warm-up: caches, the analytics snapshot, statement caches
wrk -t2 -c64 -d20s -s bench/soak.lua "http://127.0.0.1:$PORT" >"$OUT/warmup.txt" 2>&1
rss0=$(rss)
wrk -t2 -c64 -d"${SECS}s" --latency -s bench/soak.lua "http://127.0.0.1:$PORT" >"$OUT/soak.txt" 2>&1
rss1=$(rss)
reqs=$(awk '/requests in/ {print $1}' "$OUT/soak.txt")
errs=$(awk '/Non-2xx or 3xx responses/ {print $5} /Socket errors/ {s=$4+$6+$8+$10} END {print s+0}' "$OUT/soak.txt" | paste -sd+ | bc)
p50=$(awk '$1 == "50%" {print $2}' "$OUT/soak.txt")
p99=$(awk '$1 == "99%" {print $2}' "$OUT/soak.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/soak.txt")
drift=$(echo "scale=2; 100 * ($rss1 - $rss0) / $rss0" | bc)
echo "soak: ${SECS}s, 64 connections: $reqs requests ($rps/s), $errs errors, p50 $p50, p99 $p99"
echo "soak: RSS ${rss0} kB after warm-up, ${rss1} kB at the end: ${drift} % drift"
# graceful shutdown: a request in flight when SIGTERM arrives still gets its
# whole answer (an export of every customer takes a few hundred ms here)
( curl -s -o "$OUT/inflight.csv" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/export/customers?format=csv" >"$OUT/inflight.code" ) & cpid=$!
sleep 0.15
kill -TERM $pid
wait $pid; code=$?
wait $cpid || true
rows=$(($(wc -l <"$OUT/inflight.csv") - 1))
live=$(sqlite3 "$DB" "SELECT COUNT(*) FROM customers WHERE merged_into IS NULL AND erased_at IS NULL")
echo "soak: SIGTERM: exit $code, request in flight answered $(cat "$OUT/inflight.code") with $rows of $live customers"
trap - EXIT
fail=0
[ "$errs" -eq 0 ] || { echo "soak: FAIL: $errs error answers"; fail=1; }
[ "$(echo "$drift < 5" | bc)" -eq 1 ] || { echo "soak: FAIL: memory grew ${drift} %"; fail=1; }
[ "$code" -eq 0 ] || { echo "soak: FAIL: exit $code after SIGTERM"; fail=1; }
[ "$(cat "$OUT/inflight.code")" = 200 ] && [ "$rows" = "$live" ] || { echo "soak: FAIL: the request in flight was cut"; fail=1; }
exit $fail
