#!/usr/bin/env bash
# Text mining benchmark: TEXTMINE_MESSAGES (default 1,000,000) inbound ticket
# messages over the last 365 days, written straight into a bench database
# (sentences of French and English complaints combined), then:
#   - the whole index built by `relatio textmine --since` (goal: < 30 s),
#   - one day's refresh after a day of new messages (goal: < 1 s),
#   - the year's top terms / emerging / satisfaction queries.
# Needs build/rel/relatio (make) and the sqlite3 shell (scripts/deps.sh bench).
set -eu
cd "$(dirname "$0")/.."
OUT=bench/out; mkdir -p "$OUT"
BIN=${BIN:-build/rel/relatio}
N=${TEXTMINE_MESSAGES:-1000000}
DB=$OUT/textmine.db
export RELATIO_LOG=warn
rm -f "$DB" "$DB-wal" "$DB-shm"
row() { printf '%-52s %s\n' "$1" "$2"; }
secs() { echo "$2 - $1" | bc; }
# timed OUT CMD...: runs CMD with stdout into OUT; prints "W s wall, C s CPU" (CPU time
# is what a busy shared machine cannot inflate)
timed() {
  local out=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$OUT/textmine.time" "$@" >"$out" || return 1
  awk '{printf "%.2f s wall, %.2f s CPU", $1, $2 + $3}' "$OUT/textmine.time"
}

# an empty database with the schema (the refresh of nothing also makes the state)
$BIN textmine --db "$DB" --json >/dev/null
NOW=$(date -u +%s)
DAY0=$(date -u -d "@$((NOW - 364 * 86400))" +%F)
TODAY=$(date -u +%F)
t0=$(date +%s.%N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
CREATE TEMP TABLE phrases(id INTEGER PRIMARY KEY, txt TEXT);
INSERT INTO phrases(txt) VALUES
 ('Ma commande n''est jamais arrivée.'), ('Le colis est arrivé abîmé.'),
 ('Livraison en retard de dix jours !'), ('Le produit ne correspond pas à la description.'),
 ('Je demande le remboursement de ma commande.'), ('Le service client ne répond pas.'),
 ('La taille ne convient pas, je veux un échange.'), ('Le flacon était cassé à la réception.'),
 ('Facture incorrecte, montant prélevé deux fois.'), ('Mon code promo ne fonctionne pas.'),
 ('Le livreur a laissé le colis devant la porte.'), ('Article manquant dans le colis.'),
 ('Très déçue de la qualité du tissu.'), ('Impossible de me connecter à mon compte.'),
 ('Merci pour votre réponse rapide.'), ('La crème a provoqué une irritation.'),
 ('My order never arrived.'), ('The parcel was damaged on delivery.'),
 ('Delivery is two weeks late.'), ('I want a refund for my order.'),
 ('Customer service does not answer my emails.'), ('The size is wrong, I need an exchange.'),
 ('The invoice is wrong, I was charged twice.'), ('My discount code does not work.'),
 ('An item is missing from the box.'), ('Very disappointed with the quality.'),
 ('I cannot log in to my account.'), ('Thanks for the quick answer.'),
 ('Le point relais était fermé.'), ('Suivi du colis introuvable.'),
 ('Les frais de port sont trop élevés.'), ('Produit en rupture de stock depuis un mois.');
INSERT INTO customers(id, kind, last_name, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  SELECT i, 'person', 'Client ' || i, $NOW, $NOW FROM n;
INSERT INTO tickets(id, customer_id, kind, channel, priority, status, subject, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N / 5)
  SELECT i, 1 + (i * 7919) % 20000,
         CASE i % 4 WHEN 0 THEN 'complaint' WHEN 1 THEN 'assistance' WHEN 2 THEN 'support'
                    ELSE 'complaint' END,
         'email', 'normal', 'open', 'bench ' || i, $NOW, $NOW FROM n;
INSERT INTO ticket_messages(ticket_id, customer_id, at, direction, body)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
  SELECT t, 1 + (t * 7919) % 20000, $NOW - 364 * 86400 + (i * 2654435761) % (364 * 86400),
         'inbound',
         (SELECT txt FROM phrases WHERE id = 1 + (i * 31) % 32) || ' ' ||
         (SELECT txt FROM phrases WHERE id = 1 + (i * 17 + 5) % 32) || ' ' ||
         (SELECT txt FROM phrases WHERE id = 1 + (i * 13 + 11) % 32)
  FROM (SELECT i, 1 + (i % ($N / 5)) AS t FROM n);
SQL
t1=$(date +%s.%N)
row "generate $N ticket messages (sqlite3)" "$(secs "$t0" "$t1") s"
row "database size" "$(du -h "$DB" | cut -f1)"

t=$(timed "$OUT/textmine-full.json" $BIN textmine --db "$DB" --since "$DAY0" --until "$TODAY" --period 1d --json)
docs=$(sed -n 's/^ *"documents": \([0-9]*\),*$/\1/p' "$OUT/textmine-full.json" | head -1)
row "index $docs texts over 365 days (relatio textmine)" "$t   (goal < 30 s)"
row "index rows" "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM textmine_terms') terms, $(sqlite3 "$DB" 'SELECT COUNT(*) FROM textmine_customer_terms') customer stems"

# a day of new messages (N / 365), then the refresh of that day
sqlite3 "$DB" <<SQL
INSERT INTO ticket_messages(ticket_id, customer_id, at, direction, body)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N / 365)
  SELECT 1 + i % ($N / 5), 1 + ((1 + i % ($N / 5)) * 7919) % 20000, $NOW - (i % 3600), 'inbound',
         'Nouvelle réclamation ' || i || ' : livraison en retard, colis abîmé.' FROM n;
SQL
t=$(timed "$OUT/textmine-day.json" $BIN textmine --db "$DB" --since "$TODAY" --until "$TODAY" --period 1d --json)
row "refresh of one day ($((N / 365)) new messages), CLI" "$t   (goal < 1 s)"
t=$(timed "$OUT/textmine-start.json" $BIN textmine --db "$DB" --since 2000-01-01 --until 2000-01-01 --period 1d --json)
row "  of which the CLI's start (an empty day)" "$t"
t=$(timed "$OUT/textmine-year.json" $BIN textmine --db "$DB" --since "$TODAY" --until "$TODAY" --period 365d --json)
row "the same + terms, emerging, satisfaction over 365d" "$t"
row "load average during the run" "$(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
rm -f "$DB" "$DB-wal" "$DB-shm"
