/*
 * Customers: persons, organisations and guests (anonymous buyers/visitors)
 * with their e-mails, phones, addresses, socio-demographics, firmographics,
 * tags, interests, provenance, preferences and purchase aggregates; search by
 * folded prefix terms; lifecycle derived from purchases and contracts.
 */
#ifndef APP_CUSTOMERS_H
#define APP_CUSTOMERS_H
#include <jansson.h>
#include <stdint.h>

#include "app/app.h"
#include "util/fields.h"

/* The accepted input fields (validation and OpenAPI). */
extern const struct field customer_fields[];

/* Creates a customer from a JSON object (validated against customer_fields).
 * *out (may be NULL) gets the full customer; *id (may be NULL) its id. */
int customer_create(struct ctx *c, const json_t *in, int64_t *id, json_t **out);
/* The full customer (the 360° profile): profile, stats, flags, consents. */
int customer_get(struct ctx *c, int64_t id, json_t **out);
/* The stored profile without computed scores (cheaper; for comparisons). */
int customer_profile(struct ctx *c, int64_t id, json_t **out);
/* Partial update: fields present replace the stored ones (arrays replace the
 * whole list). if_version > 0 must equal the stored version (ERR_CONFLICT). */
int customer_update(struct ctx *c, int64_t id, const json_t *in, int64_t if_version, json_t **out);
/* Bulk creation (imports), inside the caller's transaction:
 * customer_batch_add validates and normalises a customer exactly as
 * customer_create does and writes its row at once (*id gets the id; a row
 * refused writes nothing); its e-mails, phones, addresses, tags, interests
 * and search terms are written with multi-row statements when the batch is
 * full or flushed, with ONE audit entry per batch (action "import", entity
 * "customer", entity_id 0) naming the file, the count, the lines and every
 * customer id created. Flush before reading a queued customer back and
 * before the commit. */
struct customer_batch;
int customer_batch_new(struct ctx *c, const char *file, int size, struct customer_batch **out);
int customer_batch_add(struct customer_batch *b, const json_t *in, long line, int64_t *id);
/* 1 when id was created by the batch and its child rows are not written. */
int customer_batch_holds(const struct customer_batch *b, int64_t id);
int customer_batch_flush(struct customer_batch *b);
void customer_batch_free(struct customer_batch *b);

/* Finds a customer id by external id or e-mail; 0 when none. */
int customer_find(struct ctx *c, const char *external_id, const char *email, int64_t *id);

struct customer_query {
    const char *q;         /* search words, folded prefix match, all must match */
    const char *kind;      /* person|organization|guest */
    const char *lifecycle; /* prospect|new|active|inactive|former */
    const char *country;   /* of the primary address */
    const char *postal_code;
    const char *tag;
    int64_t owner_id;
    int64_t after; /* keyset cursor: ids below this one */
    int limit;     /* 1..500 */
};
/* {"items":[summary…],"next_cursor":"…"|null}, newest first. */
int customer_list(struct ctx *c, const struct customer_query *q, json_t **out);

/* Lifecycle word for purchase aggregates and contracts at now. */
const char *customer_lifecycle(const struct config *cfg, int64_t now, int64_t orders,
                               int64_t first_at, int64_t last_at, int all_contracts_cancelled);

/* Sets or clears a flag ("at_risk") with its reason; audited. */
int customer_flag(struct ctx *c, int64_t id, const char *flag, const char *reason, int on);

/* Links two customers (household, referral, employee_of, contact_of), or
 * removes the link (on = 0); audited. */
int customer_relate(struct ctx *c, int64_t id, int64_t related_id, const char *kind, int on);

/* 0 when the customer exists (and is not merged away), else ERR_NOTFOUND. */
int customer_exists(struct ctx *c, int64_t id);

#endif
