#!/usr/bin/env bash
# Web form submissions benchmark (not a test): a fresh database with KNOWN
# existing customers, one contact form (e-mail duplicate check, consent box,
# interest, hidden campaign; rate limits off since wrk posts from one
# address), a rule on form.submitted that tags the customer (the server's
# rules scheduler runs it while wrk posts), and wrk POSTing plain HTML form
# bodies. Every 200 is committed before it is answered.
#   BENCH_SECONDS  wrk duration (default 10)   KNOWN  existing customers (20000)
set -u
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-10}
KNOWN=${KNOWN:-20000}
OUT=bench/out; mkdir -p "$OUT"
DB=$OUT/forms.db
BIN=${RELATIO_BIN:-build/rel/relatio}
PORT=${BENCH_PORT:-18191}
export RELATIO_LOG=warn
rm -f "$DB" "$DB-wal" "$DB-shm"
row() { printf '%-52s %s\n' "$1" "$2"; }
echo "== web form submissions ($(nproc) cores, $(date -u +%F))"
echo bench-pass-1 | $BIN user add --db "$DB" --email bench@relatio.bench --role admin --password-stdin >/dev/null || exit 1
TOKEN=$($BIN token create bench@relatio.bench --db "$DB")
CSV=$OUT/forms-customers.csv
{ echo "email,first_name,last_name,postal_code,country"
  for i in $(seq 1 "$KNOWN"); do echo "bench-$i@example.com,Known,K$i,75011,FR"; done; } > "$CSV"
$BIN import customers "$CSV" --db "$DB" >/dev/null 2>&1 || { echo "import failed"; exit 1; }
$BIN serve --db "$DB" --port "$PORT" --threads "${BENCH_THREADS:-16}" 2>"$OUT/forms-serve.log" & spid=$!
trap 'kill $spid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
api() { curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
KEY=$(api -d '{"name":"bench contact","kind":"contact","max_per_ip":0,"max_per_email":0,
  "fields":[{"name":"email","label":"E-mail","type":"email","maps_to":"email","required":true},
   {"name":"first_name","label":"Prénom","maps_to":"first_name"},
   {"name":"last_name","label":"Nom","maps_to":"last_name","required":true},
   {"name":"zip","label":"Code postal","maps_to":"postal_code"},
   {"name":"topic","label":"Sujet","type":"select","options":["Spa","Voyage","Golf"],"maps_to":"interest"},
   {"name":"message","label":"Message","type":"textarea","maps_to":"message"}],
  "consents":[{"name":"optin","channel":"email","purpose":"marketing","wording":"J accepte les offres par e-mail"}],
  "hidden":[{"name":"campaign","value":"bench"}]}' "http://127.0.0.1:$PORT/api/v1/forms" |
  sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
[ -n "$KEY" ] || { echo "no form"; exit 1; }
RULE=$(api -d '{"name":"tag form leads","enabled":true,"definition":{"trigger":{"type":"event","event":"form.submitted"},"steps":[{"action":"tag","tag":"web-lead"}]}}' \
  "http://127.0.0.1:$PORT/api/v1/rules" | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
[ -n "$RULE" ] || { echo "no rule"; exit 1; }
export KEY POOL=$((KNOWN * 2))

cpu() { awk '{print $14 + $15}' "/proc/$spid/stat"; }
TICKS=$(getconf CLK_TCK)
run() { # label
  local c0 out rps p50 p99 reqs errs per_cpu
  c0=$(cpu)
  out="$OUT/wrk-forms-$1.txt"
  wrk -t2 -c"${BENCH_CONNS:-16}" -d"${SECS}s" --latency -s bench/forms.lua "http://127.0.0.1:$PORT" >"$out" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  reqs=$(awk '/requests in/ {print $1}' "$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' "$out" | tr '\n' ' ')
  per_cpu=$(echo "$reqs * $TICKS / ($(cpu) - $c0 + 1)" | bc)
  row "POST /f/{key} form-urlencoded, $1" "$rps submissions/s, p50 $p50, p99 $p99 ${errs}"
  row "  per second of server CPU (rules included)" "$per_cpu submissions"
}
q() { sqlite3 "$DB" "$1"; }
run "rule on form.submitted on"
subs=$(q "SELECT COUNT(*) FROM form_submissions")
created=$(q "SELECT COUNT(*) FROM form_submissions WHERE created = 1")
row "  submissions stored (new prospects / completed)" "$subs ($created / $((subs - created)))"
row "  consents recorded" "$(q "SELECT COUNT(*) FROM consents")"
# the rules scheduler reads the event log forward: wait until it caught up
t0=$(date +%s.%N)
for _ in $(seq 1200); do
  fired=$(q "SELECT COUNT(*) FROM rule_firings")
  [ "$fired" -ge "$subs" ] && break
  sleep 0.1
done
row "  rule firings (tag web-lead) / submissions" "$fired / $subs, caught up $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s after the run"
curl -fs -X PATCH -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"enabled":false}' \
  "http://127.0.0.1:$PORT/api/v1/rules/$RULE" >/dev/null || echo "could not switch the rule off"
run "no rule"
row "load average after the runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
row "customers with an e-mail (before: $KNOWN)" "$(q "SELECT COUNT(DISTINCT customer_id) FROM customer_emails")"
row "database size" "$(du -h "$DB" | cut -f1)"
