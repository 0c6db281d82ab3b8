#!/usr/bin/env bash
# Tracking ingestion benchmark (not a test): a fresh database, one site,
# wrk POSTing /t/collect batches of 100 events and single events from 20,000
# anonymous visitors. Every acknowledged event is committed (WAL, synchronous
# NORMAL: survives a crash of the process) before the 200 answer. Every
# shipped rule template is switched on, so the rules engine evaluates the
# events as they arrive (its consumer runs in the server).
#   BENCH_SECONDS  wrk duration per run (default 10)
#   BENCH_RULES    off: leave the templates off
set -u
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-10}
OUT=bench/out; mkdir -p "$OUT"
DB=$OUT/tracking.db
BIN=${RELATIO_BIN:-build/rel/relatio}
PORT=${BENCH_PORT:-18190}
export RELATIO_LOG=warn
rm -f "$DB" "$DB-wal" "$DB-shm"
row() { printf '%-46s %s\n' "$1" "$2"; }
echo "== tracking ingestion ($(nproc) cores, $(date -u +%F))"
echo bench-pass-1 | $BIN user add --db "$DB" --email bench@relatio.bench --role admin --password-stdin >/dev/null || exit 1
TOKEN=$($BIN token create bench@relatio.bench --db "$DB")
$BIN serve --db "$DB" --port "$PORT" --threads "${BENCH_THREADS:-16}" 2>"$OUT/tracking-serve.log" & spid=$!
trap 'kill $spid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
KEY=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"bench","origins":["https://shop.example"]}' "http://127.0.0.1:$PORT/api/v1/tracking/sites" |
  sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
[ -n "$KEY" ] || { echo "no site key"; exit 1; }
export KEY
rules_on=0
if [ "${BENCH_RULES:-on}" != off ]; then
  for id in $(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/rules" |
    grep -o '"id":[0-9]*' | cut -d: -f2 | sort -un); do
    curl -fs -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/rules/$id/enable" \
      >/dev/null && rules_on=$((rules_on + 1))
  done
fi
row "rule templates switched on" "$rules_on"

cpu() { awk '{print $14 + $15}' "/proc/$spid/stat"; } # server CPU time, clock ticks
TICKS=$(getconf CLK_TCK)
run() { # name batch connections
  local out="$OUT/wrk-tracking-$1.txt"
  local c0; c0=$(cpu)
  BATCH=$2 wrk -t2 -c"$3" -d"${SECS}s" --latency -s bench/tracking.lua "http://127.0.0.1:$PORT" >"$out" 2>&1
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' "$out" | tr '\n' ' ')
  local reqs; reqs=$(awk '/requests in/ {print $1}' "$out")
  # the machine may be shared: requests per second of server CPU time as well
  local per_cpu; per_cpu=$(echo "$reqs * $TICKS / ($(cpu) - $c0 + 1)" | bc)
  echo "$rps $p50 $p99 $per_cpu $errs"
}
before=$(sqlite3 "$DB" "SELECT COUNT(*) FROM web_events")
read -r b_rps b_p50 b_p99 b_cpu b_err <<<"$(run batch100 100 8)"
row "POST /t/collect, 100 events per batch" "$b_rps req/s = $(echo "$b_rps * 100 / 1" | bc) events/s, p50 $b_p50, p99 $b_p99 $b_err"
row "  per second of server CPU" "$(echo "$b_cpu * 100" | bc) events"
read -r s_rps s_p50 s_p99 s_cpu s_err <<<"$(run single 1 32)"
row "POST /t/collect, 1 event per request" "$s_rps req/s, p50 $s_p50, p99 $s_p99 $s_err"
row "  per second of server CPU" "$s_cpu requests"
row "load average during the run" "$(cut -d' ' -f1-3 /proc/loadavg)"
after=$(sqlite3 "$DB" "SELECT COUNT(*) FROM web_events")
logged=$(sqlite3 "$DB" "SELECT COUNT(*) FROM events")
row "web events stored / event-log rows (with the rules' own)" "$((after - before)) / $logged"
lagq="SELECT (SELECT MAX(id) FROM events) - COALESCE((SELECT last_id FROM event_cursors WHERE consumer = 'rules'), 0)"
lag0=$(sqlite3 "$DB" "$lagq") waited=0
while [ "$waited" -lt 120 ]; do # the rules engine catches up
  lag=$(sqlite3 "$DB" "$lagq")
  [ "$lag" -le 0 ] 2>/dev/null && break
  sleep 1
  waited=$((waited + 1))
done
row "rules: backlog when the load stopped" "$lag0 events, evaluated within ${waited} s (left: $lag)"
row "rules: runs started, actions done" "$(sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM rule_runs) || ', ' || (SELECT COUNT(*) FROM rule_firings WHERE status = 'done')")"
row "database size" "$(du -h "$DB" | cut -f1)"
