-- Full rescoring in SQL, the peer of bench/rescore.c: the seed's RFM grid,
-- quintile RFM with segments, ABC by share of customers and the loyalty x
-- profitability matrix, as of a day, over every customer. Placeholders, set
-- by bench/rescore.sh / bench/rescore_duckdb.mjs: :asof (day number), :c3,
-- :c6, :c12, :c24 (the band cut-off days). The table o(customer_id, day,
-- kind, status, total_minor, margin_minor) is the orders with their day.
WITH t AS (
  SELECT customer_id AS c, day,
         CASE WHEN kind = 'refund' THEN -total_minor ELSE total_minor END AS amt,
         CASE WHEN kind <> 'refund' AND total_minor > 0 THEN 1 ELSE 0 END AS txn,
         margin_minor AS margin
  FROM o
  WHERE day <= :asof AND (kind = 'refund' OR status NOT IN ('cancelled', 'refunded'))
),
g AS (
  SELECT c,
    SUM(CASE WHEN txn = 1 AND day > :c24 THEN
          CASE WHEN day > :c3 THEN 20 WHEN day > :c6 THEN 5 WHEN day > :c12 THEN 3 ELSE 1 END
        ELSE 0 END) AS r,
    LEAST(20, 4 * SUM(CASE WHEN txn = 1 AND day > :c24 THEN 1 ELSE 0 END)) AS f,
    LEAST(20, 0.1 * SUM(CASE WHEN day > :c24 THEN amt ELSE 0 END) / 100.0) AS m,
    MIN(CASE WHEN txn = 1 THEN day END) AS first_day,
    MAX(CASE WHEN txn = 1 THEN day END) AS last_day,
    SUM(txn) AS freq, SUM(amt) AS net,
    SUM(margin) AS margin, COUNT(margin) = COUNT(*) AS has_margin
  FROM t GROUP BY c
),
s AS (
  SELECT c, 5 * r + 3 * f + 2 * m AS score, freq, net, first_day, last_day, margin, has_margin,
    NTILE(5) OVER (ORDER BY last_day) AS qr,
    NTILE(5) OVER (ORDER BY freq) AS qf,
    NTILE(5) OVER (ORDER BY net) AS qm,
    ROW_NUMBER() OVER (ORDER BY net DESC, c) AS rank_net,
    COUNT(*) OVER () AS n
  FROM g WHERE last_day IS NOT NULL
),
q AS (
  SELECT *, (qf + qm - (qf + qm) % 2) / 2 AS fm FROM s
),
k AS (
  SELECT c, score,
    CASE
      WHEN qr BETWEEN 4 AND 5 AND fm BETWEEN 4 AND 5 THEN 'champions'
      WHEN qr BETWEEN 3 AND 5 AND fm BETWEEN 3 AND 5 THEN 'loyal'
      WHEN qr BETWEEN 4 AND 5 AND fm BETWEEN 2 AND 3 THEN 'potential_loyalists'
      WHEN qr BETWEEN 5 AND 5 AND fm BETWEEN 1 AND 1 THEN 'new'
      WHEN qr BETWEEN 4 AND 4 AND fm BETWEEN 1 AND 1 THEN 'promising'
      WHEN qr BETWEEN 3 AND 3 AND fm BETWEEN 2 AND 3 THEN 'need_attention'
      WHEN qr BETWEEN 3 AND 3 AND fm BETWEEN 1 AND 2 THEN 'about_to_sleep'
      WHEN qr BETWEEN 1 AND 2 AND fm BETWEEN 3 AND 5 THEN 'at_risk'
      WHEN qr BETWEEN 1 AND 1 AND fm BETWEEN 4 AND 5 THEN 'cant_lose_them'
      WHEN qr BETWEEN 2 AND 2 AND fm BETWEEN 1 AND 2 THEN 'hibernating'
      WHEN qr BETWEEN 1 AND 1 AND fm BETWEEN 1 AND 2 THEN 'lost'
      ELSE 'other' END AS segment,
    CASE WHEN rank_net - 1 < 0.05 * n THEN 'A' WHEN rank_net - 1 < 0.20 * n THEN 'B'
         ELSE 'C' END AS abc,
    last_day - first_day AS duration,
    CASE WHEN (SELECT MIN(CAST(has_margin AS INTEGER)) FROM s) = 1 THEN margin ELSE net END AS profit
  FROM q
),
med AS (
  SELECT (SELECT duration FROM k ORDER BY duration LIMIT 1 OFFSET (SELECT COUNT(*) FROM k) / 2) AS d,
         (SELECT profit FROM k ORDER BY profit LIMIT 1 OFFSET (SELECT COUNT(*) FROM k) / 2) AS p
)
SELECT 'segment' AS what, segment AS name, COUNT(*) AS customers, ROUND(AVG(score), 2) AS mean_score FROM k GROUP BY segment
UNION ALL
SELECT 'abc', abc, COUNT(*), NULL FROM k GROUP BY abc
UNION ALL
SELECT 'quadrant',
  CASE WHEN duration > (SELECT d FROM med) THEN
         CASE WHEN profit > (SELECT p FROM med) THEN 'true_friends' ELSE 'barnacles' END
       ELSE CASE WHEN profit > (SELECT p FROM med) THEN 'butterflies' ELSE 'strangers' END END,
  COUNT(*), NULL
FROM k GROUP BY 2
ORDER BY 1, 2;
