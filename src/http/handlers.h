/* Every route handler, one signature (see http.h); registered in routes.c. */
#ifndef HTTP_HANDLERS_H
#define HTTP_HANDLERS_H
#include "http/http.h"

extern const struct field user_fields[];
/* small bodies of single-purpose routes, defined in routes.c */
extern const struct field login_fields[], flag_fields[], status_fields[], reason_fields[],
    relation_fields[], token_fields[];

int h_login(struct req *r, struct resp *w);
int h_logout(struct req *r, struct resp *w);
int h_me(struct req *r, struct resp *w);
int h_users_list(struct req *r, struct resp *w);
int h_users_create(struct req *r, struct resp *w);
int h_users_get(struct req *r, struct resp *w);
int h_users_update(struct req *r, struct resp *w);
int h_tokens_create(struct req *r, struct resp *w);
int h_tokens_revoke(struct req *r, struct resp *w);

int h_customers_list(struct req *r, struct resp *w);
int h_customers_create(struct req *r, struct resp *w);
int h_customers_get(struct req *r, struct resp *w);
int h_customers_update(struct req *r, struct resp *w);
int h_customers_timeline(struct req *r, struct resp *w);
int h_customers_consents(struct req *r, struct resp *w);
int h_customers_consent_add(struct req *r, struct resp *w);
int h_customers_flag(struct req *r, struct resp *w);
int h_customers_relate(struct req *r, struct resp *w);
int h_customers_unrelate(struct req *r, struct resp *w);
int h_customers_unflag(struct req *r, struct resp *w);
int h_customers_orders(struct req *r, struct resp *w);
int h_customers_contracts(struct req *r, struct resp *w);
int h_customers_audit(struct req *r, struct resp *w);

int h_interactions_list(struct req *r, struct resp *w);
int h_interactions_create(struct req *r, struct resp *w);
int h_orders_list(struct req *r, struct resp *w);
int h_orders_create(struct req *r, struct resp *w);
int h_orders_get(struct req *r, struct resp *w);
int h_orders_update(struct req *r, struct resp *w);
int h_products_list(struct req *r, struct resp *w);
int h_products_create(struct req *r, struct resp *w);
int h_products_get(struct req *r, struct resp *w);
int h_contracts_create(struct req *r, struct resp *w);
int h_contracts_cancel(struct req *r, struct resp *w);
int h_audit_list(struct req *r, struct resp *w);

int h_analytics_rfm(struct req *r, struct resp *w);
int h_analytics_abc(struct req *r, struct resp *w);
int h_analytics_clv(struct req *r, struct resp *w);
int h_analytics_matrix(struct req *r, struct resp *w);
/* analytics: KPIs, cohorts, geography, costs, churn, clusters, recommendations
 * (h_analytics.c, which also holds the table) */
extern const struct route analytics_routes[];
int h_analytics_kpis(struct req *r, struct resp *w);
int h_analytics_cohorts(struct req *r, struct resp *w);
int h_analytics_geo(struct req *r, struct resp *w);
int h_analytics_costs_add(struct req *r, struct resp *w);
int h_analytics_costs_list(struct req *r, struct resp *w);
int h_analytics_churn(struct req *r, struct resp *w);
int h_analytics_clusters(struct req *r, struct resp *w);
int h_products_also_bought(struct req *r, struct resp *w);
int h_customers_recommendations(struct req *r, struct resp *w);

/* loyalty programme and surveys (h_loyalty.c, h_surveys.c hold their tables) */
extern const struct route loyalty_routes[];
extern const struct route surveys_routes[];

/* web forms and lead capture, staff and public sides (h_forms.c) */
extern const struct route forms_routes[];

/* web tracking and the customer portal (h_tracking.c, h_portal.c) */
extern const struct route tracking_routes[];
extern const struct route portal_routes[];

/* segments and targeting groups (h_segments.c holds the table) */
extern const struct route segments_routes[];

/* rules engine (h_rules.c) */
extern const struct route rules_routes[];

/* sales pipeline, leads, objectives, forecast (h_sales.c); tasks and the
 * iCalendar feed (h_tasks.c) */
extern const struct route sales_routes[];
extern const struct route tasks_routes[];

/* service desk, SLA, support mailbox (h_tickets.c); knowledge base (h_kb.c) */
extern const struct route tickets_routes[];
extern const struct route kb_routes[];

/* campaigns, channel settings, suppressions, sources, newsletters and the
 * public links in messages (h_campaigns.c) */
extern const struct route campaigns_routes[];

int h_healthz(struct req *r, struct resp *w);
int h_openapi(struct req *r, struct resp *w);

/* duplicates, merges, exports, quality (h_quality.c) */
extern const struct route quality_routes[];
extern const struct route privacy_routes[];

/* telephony: call-event webhook, call-card stream, calls, click-to-call (h_cti.c) */
extern const struct route cti_routes[];

/* geomarketing: areas, stores, shapes, a customer's place (h_geo.c) */
extern const struct route geo_routes[];

/* h_settings.c: analytics settings */
extern const struct route settings_routes[];

/* text mining: terms, emerging topics, low-satisfaction words, refresh (h_textmining.c) */
extern const struct route textmining_routes[];

#endif
