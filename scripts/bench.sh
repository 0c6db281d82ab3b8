#!/usr/bin/env bash
# Benchmarks (not tests): prints a table of figures measured in one run.
#   BENCH_CUSTOMERS  demo size (default 1000000, about 20M orders)
#   BENCH_SECONDS    wrk duration per target (default 10)
# The demo database is kept in bench/out/ between runs (delete it to redo).
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh bench >/dev/null
N=${BENCH_CUSTOMERS:-1000000}
SECS=${BENCH_SECONDS:-10}
OUT=bench/out; mkdir -p "$OUT"
DB=$OUT/demo-$N.db
BIN=build/rel/relatio
export RELATIO_LOG=warn
cc -O2 -o "$OUT/ceiling" bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd) -lpthread || exit 1

row() { printf '%-46s %s\n' "$1" "$2"; }
echo "== relatio benchmarks ($(nproc) cores, $(date -u +%F))"

if [ ! -f "$DB" ]; then
  t0=$(date +%s.%N)
  $BIN demo --db "$DB" --customers "$N" --no-serve 2>"$OUT/demo.log" || { tail "$OUT/demo.log"; exit 1; }
  t1=$(date +%s.%N)
  row "demo --customers $N" "$(echo "$t1 - $t0" | bc) s"
else
  row "demo --customers $N" "(kept from an earlier run: $DB)"
fi
orders=$(sqlite3 "$DB" "SELECT COUNT(*) FROM orders")
row "orders in the demo database" "$orders"
row "database size" "$(du -h "$DB" | cut -f1)"

TOKEN=$($BIN token create admin@relatio.demo --db "$DB")
MAXID=$(sqlite3 "$DB" "SELECT MAX(id) FROM customers")
export TOKEN MAXID

wrk_run() { # name port [env for the lua script]
  local name=$1 port=$2
  local out="$OUT/wrk-$name.txt"
  wrk -t2 -c64 -d"${SECS}s" --latency -s bench/wrk-random.lua "http://127.0.0.1:$port" >"$out" 2>&1
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  local errs; errs=$(awk '/Non-2xx|Socket errors/ {print}' "$out" | tr '\n' ' ')
  echo "$rps $p99 $errs"
}

"$OUT/ceiling" 18181 2 & cpid=$!
sleep 0.3
read -r c_rps c_p99 _ <<<"$(wrk_run ceiling 18181)"
kill $cpid; wait $cpid 2>/dev/null
row "ceiling (constant JSON, libmicrohttpd)" "$c_rps req/s, p99 $c_p99"

$BIN serve --db "$DB" --port 18182 2>"$OUT/serve.log" & spid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:18182/healthz >/dev/null && break; sleep 0.1; done
# the analytics snapshot loads in the background at start: wait for it
t0=$(date +%s.%N)
curl -fs -o /dev/null -m 600 -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18182/api/v1/customers/1
row "server start to first 360° profile (snapshot)" "$(echo "$(date +%s.%N) - $t0" | bc) s"
read -r g_rps g_p99 g_err <<<"$(PATH_PREFIX=/api/v1/customers/ PATH_SUFFIX= wrk_run customer 18182)"
row "GET /customers/{id} (random ids)" "$g_rps req/s ($(echo "scale=1; 100*$g_rps/$c_rps" | bc) % of ceiling), p99 $g_p99 $g_err"
read -r t_rps t_p99 t_err <<<"$(PATH_PREFIX=/api/v1/customers/ PATH_SUFFIX='/timeline?limit=20' wrk_run timeline 18182)"
row "GET /customers/{id}/timeline (20 entries)" "$t_rps req/s ($(echo "scale=1; 100*$t_rps/$c_rps" | bc) % of ceiling), p99 $t_p99 $t_err"

# search and filtered lists: first page, time of each request
lat() { # url → median and max of 20 runs, ms
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18182$1"
  done | sort -n | awk '{a[NR]=$1*1000} END {printf "median %.1f ms, max %.1f ms", a[int((NR+1)/2)], a[NR]}'
}
for q in "/api/v1/customers?q=martin" "/api/v1/customers?q=hel" "/api/v1/customers?q=dupont%20lyon" \
         "/api/v1/customers?q=0612" "/api/v1/customers?lifecycle=active" \
         "/api/v1/customers?country=FR&kind=person" "/api/v1/customers?tag=vip"; do
  row "first page $q" "$(lat "$q")"
done
kill $spid; wait $spid 2>/dev/null

# sales forecast over 100,000 open deals (its own database)
bench/forecast.sh

# segments: the evaluator over 1M synthetic customers, the service on a 100k demo
bench/segments.sh

# tracking ingestion: /t/collect batches and single events (its own database)
bench/tracking.sh

# web forms: form-urlencoded submissions with the duplicate check, consents and a rule (its own database)
bench/forms.sh

# SLA breach sweep over 1,000,000 open tickets (its own database)
bench/sla.sh

# loyalty: balance lookups at 1,000,000 members, concurrent earn/redeem through the API
bench/loyalty.sh

# rules engine: events/s through the consumer with every template on (its own database)
bench/rules.sh

# imports, duplicates and exports (generated customers with known duplicates, Online Retail)
bench/quality.sh

# campaigns: 100,000 recipients through the checks into the send queue, delivery to aiosmtpd
bench/campaigns.sh

# KPIs (24 months), cohorts and the churn regression on the pure modules at 1,000,000 customers
bench/kpis.sh

# geomarketing: nearest store (index vs brute force), area aggregates over the 1M demo (a copy)
bench/geo.sh

# telephony: screen pop p99 from a posted ringing event to the card on the agent's SSE stream
bench/cti.sh

# CLV: BG/NBD + Gamma-Gamma fits on 1,000,000 simulated customers (pure modules)
bench/clv.sh

# text mining: 1,000,000 ticket messages indexed, then one day's refresh and the year's queries
bench/textmine.sh

# PostgreSQL next to SQLite: relatio migrate, the 360° read and the tracking ingest on both
bench/pg.sh

# full rescoring (RFM grid, quintiles, ABC, matrix) on the 1M demo against DuckDB SQL and SQLite SQL
RESCORE_DB="$DB" bench/rescore.sh

# web app: first screen and search as you type in headless Chromium on the 1M demo
node bench/web.mjs "$DB" 3
