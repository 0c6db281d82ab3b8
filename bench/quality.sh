#!/usr/bin/env bash
# Import and data-quality benchmarks: QUALITY_CUSTOMERS (default 1,000,000)
# generated customers with ~2 % known duplicates imported from CSV (with
# validation and the duplicate check), a full duplicate scan with its
# precision and recall against the known truth, and the Online Retail
# file (541,909 rows) when ../shared/data holds it.
set -eu
cd "$(dirname "$0")/.."
N=${QUALITY_CUSTOMERS:-1000000}
OUT=bench/out; mkdir -p "$OUT"
BIN=build/rel/relatio
export RELATIO_LOG=warn
row() { printf '%-46s %s\n' "$1" "$2"; }
secs() { echo "$(date +%s.%N) - $1" | bc; }

node bench/people.mjs "$N" > "$OUT/people.csv"
DB=$OUT/quality.db; rm -f "$DB" "$DB-wal" "$DB-shm"
t0=$(date +%s.%N)
# the process's own CPU time too: wall time on a shared machine says little
/usr/bin/time -o "$OUT/import.cpu" -f "%U %S" \
  $BIN import customers "$OUT/people.csv" --db "$DB" --skip-bad --json > "$OUT/import.json"
row "import $N customers from CSV (+ duplicate check)" "$(secs "$t0") s wall, $(awk '{print $1 + $2}' "$OUT/import.cpu") s CPU, $(jq -c '{created,rejected,possible_duplicates}' "$OUT/import.json")"
t0=$(date +%s.%N)
$BIN duplicates scan --db "$DB" > "$OUT/scan.json" 2>/dev/null
row "duplicate scan over $N customers" "$(secs "$t0") s, $(jq -c '{pairs}' "$OUT/scan.json")"
# truth: records sharing the identity prefix of their external id
read -r found right <<<"$(sqlite3 -separator ' ' "$DB" "SELECT COUNT(*), SUM(substr(a.external_id, 1, instr(a.external_id, '-')) = substr(b.external_id, 1, instr(b.external_id, '-'))) FROM duplicate_pairs p JOIN customers a ON a.id = p.a JOIN customers b ON b.id = p.b")"
truth=$(sqlite3 "$DB" "SELECT COALESCE(SUM(n * (n - 1) / 2), 0) FROM (SELECT COUNT(*) AS n FROM customers WHERE external_id IS NOT NULL GROUP BY substr(external_id, 1, instr(external_id, '-')))")
row "duplicate precision / recall (known truth)" "$(echo "scale=3; $right / $found" | bc) / $(echo "scale=3; $right / $truth" | bc) ($right of $found found, $truth true pairs)"
rm -f "$DB" "$DB-wal" "$DB-shm" "$OUT/people.csv"

RETAIL=../shared/data/online-retail/online_retail.csv.gz
if [ -f "$RETAIL" ]; then
  DB=$OUT/retail.db; rm -f "$DB" "$DB-wal" "$DB-shm"
  t0=$(date +%s.%N)
  $BIN import orders "$RETAIL" --db "$DB" --skip-bad --currency GBP --map InvoiceNo=order_id \
    --map StockCode=sku --map Description=description --map Quantity=quantity \
    --map InvoiceDate=order_date --map UnitPrice=unit_price --map CustomerID=customer_external_id \
    --map Country=country --json > "$OUT/retail.json" 2>/dev/null || true
  row "Online Retail import (541,909 rows)" "$(secs "$t0") s, $(jq -c '{rows,created,rejected}' "$OUT/retail.json")"
  rm -f "$DB" "$DB-wal" "$DB-shm"
fi
