#!/usr/bin/env bash
# Campaign benchmark (see bench/campaigns.c): a campaign to the 100,000
# persons of a demo database (generated once into bench/out/, copied fresh
# for each run), then delivery to aiosmtpd on loopback for CAMP_SECONDS (10).
# Needs build/rel/librelatio.a and build/rel/relatio (make).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
cc -std=c11 -O2 -D_GNU_SOURCE -Isrc -o "$OUT/campaigns" bench/campaigns.c build/rel/librelatio.a \
  $(make -s print-flags)
N=${CAMP_CUSTOMERS:-100000}
SRC=$OUT/demo-camp-$N.db
if [ ! -f "$SRC" ]; then
  RELATIO_LOG=warn build/rel/relatio demo --db "$SRC" --customers "$N" --no-serve 2>"$OUT/demo-camp.log" \
    || { tail "$OUT/demo-camp.log"; exit 1; }
fi
DB=$OUT/camp-run.db
rm -f "$DB" "$DB-wal" "$DB-shm" "$OUT/camp-mail.jsonl"
cp "$SRC" "$DB"
PORT=$((20000 + RANDOM % 20000))
PYTHONPATH=tests /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$PORT" -c smtp_sink.Sink "$OUT/camp-mail.jsonl" &
SPID=$!
trap 'kill $SPID 2>/dev/null; rm -f "$DB" "$DB-wal" "$DB-shm"' EXIT
sleep 1
echo "== campaigns ($(nproc) cores, $(date -u +%F))"
RELATIO_LOG=error "$OUT/campaigns" "$DB" "smtp://127.0.0.1:$PORT" "${CAMP_SECONDS:-10}"
echo "messages held by the SMTP server: $(wc -l < "$OUT/camp-mail.jsonl")"
