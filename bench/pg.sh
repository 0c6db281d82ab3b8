#!/usr/bin/env bash
# PostgreSQL next to SQLite in one run (not a test): a private PostgreSQL 15
# cluster (scripts/pg.sh, reached over loopback TCP like a real server), a
# demo database made in SQLite and copied with relatio migrate (its speed is
# a figure too), then on each backend the foundation read benchmark (wrk GET
# /api/v1/customers/{id}, random ids) and the tracking ingest (POST
# /t/collect, batches of 100 events and single events).
#   BENCH_PG_CUSTOMERS  demo size (default 20000)
#   BENCH_SECONDS       wrk duration per target (default 10)
set -u
cd "$(dirname "$0")/.."
N=${BENCH_PG_CUSTOMERS:-20000}
SECS=${BENCH_SECONDS:-10}
OUT=bench/out; mkdir -p "$OUT"
BIN=${RELATIO_BIN:-build/rel/relatio}
export RELATIO_LOG=warn
row() { printf '%-52s %s\n' "$1" "$2"; }
echo "== PostgreSQL next to SQLite ($(nproc) cores, $(date -u +%F))"

env=$(scripts/pg.sh start) || { echo "skipped: no postgresql"; exit 0; }
eval "$env"
# benchmark settings, not the test cluster's: durable commits
psql "$RELATIO_TEST_PG/postgres" -qXc "ALTER SYSTEM SET fsync = on" \
  -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET full_page_writes = on" \
  -c "ALTER SYSTEM SET shared_buffers = '512MB'" >/dev/null
scripts/pg.sh restart "$PG_DIR"
PGURL=$RELATIO_TEST_PG_TCP
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  scripts/pg.sh stop "$PG_DIR"
}
trap cleanup EXIT
mkdb() { psql "$RELATIO_TEST_PG/postgres" -qXc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null; }

SQ=$OUT/pg-demo-$N.db
if [ ! -f "$SQ" ]; then
  $BIN demo --db "$SQ" --customers "$N" --no-serve 2>"$OUT/pg-demo.log" || { tail "$OUT/pg-demo.log"; exit 1; }
fi
# the token first: the copy carries it to PostgreSQL
TOKEN=$($BIN token create admin@relatio.demo --db "$SQ")
MAXID=$(sqlite3 "$SQ" "SELECT MAX(id) FROM customers")
export TOKEN MAXID
mkdb demo
t0=$(date +%s.%N)
$BIN migrate --from "$SQ" --to "$PGURL/demo" >"$OUT/pg-migrate.txt" 2>"$OUT/pg-migrate.log" ||
  { tail "$OUT/pg-migrate.log"; exit 1; }
t1=$(date +%s.%N)
rows=$(grep -oE '^[0-9]+ rows' "$OUT/pg-migrate.log" | grep -oE '[0-9]+')
row "relatio migrate, $N-customer demo ($rows rows)" \
  "$(echo "scale=1; ($t1 - $t0)/1" | bc) s, $(echo "$rows / ($t1 - $t0)" | bc) rows/s, checksums equal"

wrk_out() { # file -> "rps p50 p99 errors"
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' "$1")
  p50=$(awk '$1 == "50%" {print $2}' "$1")
  p99=$(awk '$1 == "99%" {print $2}' "$1")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' "$1" | tr '\n' ' ')
  echo "$rps $p50 $p99 $errs"
}
serve() { # db port
  $BIN serve --db "$1" --port "$2" --threads "${BENCH_THREADS:-16}" 2>>"$OUT/pg-serve.log" &
  pids+=($!)
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs -o /dev/null -m 600 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$2/api/v1/customers/1"
}
stop_last() { local p=${pids[-1]}; kill "$p"; wait "$p" 2>/dev/null; unset 'pids[-1]'; }

port=18301
for be in sqlite postgres; do
  db=$SQ; [ $be = postgres ] && db=$PGURL/demo
  serve "$db" $port
  wrk -t2 -c64 -d"${SECS}s" --latency -s bench/wrk-random.lua "http://127.0.0.1:$port" >"$OUT/pg-wrk-read-$be.txt" 2>&1
  read -r rps p50 p99 errs <<<"$(wrk_out "$OUT/pg-wrk-read-$be.txt")"
  row "GET /customers/{id}, $be" "$rps req/s, p50 $p50, p99 $p99 $errs"
  stop_last
  port=$((port + 1))
done

for be in sqlite postgres; do
  if [ $be = sqlite ]; then db=$OUT/pg-tracking.db; rm -f "$db" "$db-wal" "$db-shm"
  else mkdb tracking; db=$PGURL/tracking; fi
  echo bench-pass-1 | $BIN user add --db "$db" --email bench@relatio.bench --role admin --password-stdin >/dev/null || exit 1
  TOKEN=$($BIN token create bench@relatio.bench --db "$db")
  serve "$db" $port
  KEY=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"bench","origins":["https://shop.example"]}' "http://127.0.0.1:$port/api/v1/tracking/sites" |
    sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
  export KEY
  BATCH=100 wrk -t2 -c8 -d"${SECS}s" --latency -s bench/tracking.lua "http://127.0.0.1:$port" >"$OUT/pg-wrk-track100-$be.txt" 2>&1
  read -r rps p50 p99 errs <<<"$(wrk_out "$OUT/pg-wrk-track100-$be.txt")"
  row "POST /t/collect 100 events/batch, $be" "$(echo "$rps * 100 / 1" | bc) events/s, p50 $p50, p99 $p99 $errs"
  BATCH=1 wrk -t2 -c32 -d"${SECS}s" --latency -s bench/tracking.lua "http://127.0.0.1:$port" >"$OUT/pg-wrk-track1-$be.txt" 2>&1
  read -r rps p50 p99 errs <<<"$(wrk_out "$OUT/pg-wrk-track1-$be.txt")"
  row "POST /t/collect 1 event/request, $be" "$rps req/s, p50 $p50, p99 $p99 $errs"
  stop_last
  port=$((port + 1))
done
