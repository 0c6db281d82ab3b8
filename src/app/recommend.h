/*
 * Recommendations: item-to-item collaborative filtering ("customers who
 * bought this also bought", analytics/cofilter.h) over customer x product
 * co-occurrence in order lines, for a product and for a customer (products
 * they do not own yet and whose offer they have not refused).
 */
#ifndef APP_RECOMMEND_H
#define APP_RECOMMEND_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"

#define RECOMMEND_MAX 100 /* most products returned by one call */

/*
 * Up to n (1..RECOMMEND_MAX) products for customer_id, best first:
 * *out = {"customer_id", "products": [{"id", "sku", "name", "category",
 * "price_minor", "currency", "score", "because": [product ids owned that
 * led to it]}]}. Products the customer already bought are left out, and so
 * are those named (by sku, name or category) in an interaction with outcome
 * "offer_refused". A customer with no purchase gets the best sellers.
 * Caller owns *out. Errors: ERR_NOTFOUND (no such customer), ERR_BADREQ
 * (n out of range), those of the store.
 */
int recommend_for_customer(struct ctx *c, int64_t customer_id, int n, json_t **out);

/*
 * "Also bought" for product_id: up to n products by cosine similarity of
 * their buyer sets, *out = {"product_id", "buyers", "products": [{"id",
 * "sku", "name", "similarity", "common_buyers"}]}. Caller owns *out.
 * Errors: ERR_NOTFOUND, ERR_BADREQ, those of the store.
 */
int recommend_also_bought(struct ctx *c, int64_t product_id, int n, json_t **out);

#endif
