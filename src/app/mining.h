/*
 * Data mining services over the column snapshot: k-means clusters of
 * customers (analytics/kmeans.h) and the churn score (analytics/logreg.h),
 * compared with BG/NBD's P(alive) on the same time split.
 */
#ifndef APP_MINING_H
#define APP_MINING_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "app/kpis.h"

/*
 * Clusters of the customers with a transaction up to as_of on standardised
 * features (recency_days, frequency, monetary_minor, tenure_days,
 * mean_gap_days), k-means++ seeding: {"as_of", "k", "features", "inertia",
 * "clusters": [{"cluster", "size", "share", "profile": {feature: mean}}]}.
 * Errors: ERR_BADREQ (k), ERR_INVALID (fewer customers than k).
 */
int mining_clusters(struct ctx *c, const struct kpi_query *q, json_t **out);

/*
 * Churn = no transaction in the next horizon days. A logistic regression on
 * recency, frequency, monetary, tenure, mean inter-purchase gap and trend
 * (transactions in the last horizon vs. the one before) is trained with
 * features as of T - 2h and labels on (T - 2h, T - h], then evaluated on
 * features as of T - h and labels on (T - h, T] (the held-out AUC), next to
 * 1 - P(alive) of BG/NBD fitted as of T - h; then every customer is scored as
 * of T. {"as_of", "horizon_days", "model": {coefficients, standardisation},
 * "evaluation": {"train", "test", "auc", "bgnbd_auc", "better"}, "summary":
 * {"customers", "mean_probability", "high_risk"}, "customers": [{"id",
 * "external_id", "probability", features…}] (most at risk first)}.
 * The model is cached for the 360° view. Errors: ERR_BADREQ (horizon),
 * ERR_INVALID when the history is too short to train (no positives or
 * negatives).
 */
int mining_churn(struct ctx *c, const struct kpi_query *q, json_t **out);

/* Sets scores["churn"] = {"probability", "horizon_days", "model_as_of"} for
 * customer id from the last churn model trained in this process (trains one
 * as of today on first use), or null. Never fails. */
void mining_customer_churn(struct ctx *c, int64_t id, json_t *scores);

#endif
