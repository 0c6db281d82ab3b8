/* libFuzzer driver for request bodies: any bytes parsed as JSON (as the
 * server does) are checked against a field table using every field type,
 * nested objects and lists included, on create and on update. A refusal
 * names a field or the body; nothing crashes or leaks. The OpenAPI schema
 * of the table is built each time too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct field line[] = {
    {"quantity", FT_INT, FF_REQUIRED, 10000000, NULL, NULL, NULL},
    {"unit_price_minor", FT_MONEY, 0, 0, NULL, NULL, NULL},
    {"sku", FT_STRING, FF_NULLABLE, 64, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field address[] = {
    {"line1", FT_STRING, FF_NULLABLE, 200, NULL, NULL, NULL},
    {"country", FT_COUNTRY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"primary", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};
static const struct field spec[] = {
    {"kind", FT_ENUM, FF_REQUIRED, 0, "person|organization|guest", NULL, NULL},
    {"name", FT_STRING, 0, 40, NULL, NULL, NULL},
    {"note", FT_TEXT, FF_NULLABLE, 2000, NULL, NULL, NULL},
    {"count", FT_INT, 0, 100, NULL, NULL, NULL},
    {"amount", FT_MONEY, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"ratio", FT_NUMBER, 0, 0, NULL, NULL, NULL},
    {"active", FT_BOOL, 0, 0, NULL, NULL, NULL},
    {"birth_date", FT_DATE, FF_NULLABLE, 0, NULL, NULL, NULL},
    {"at", FT_DATETIME, 0, 0, NULL, NULL, NULL},
    {"email", FT_EMAIL, 0, 0, NULL, NULL, NULL},
    {"phone", FT_PHONE, 0, 0, NULL, NULL, NULL},
    {"country", FT_COUNTRY, 0, 0, NULL, NULL, NULL},
    {"currency", FT_CURRENCY, 0, 0, NULL, NULL, NULL},
    {"customer_id", FT_ID, 0, 0, NULL, NULL, NULL},
    {"custom", FT_OBJECT, FF_NULLABLE, 4096, NULL, NULL, NULL},
    {"tags", FT_STRINGS, 0, 20, NULL, NULL, NULL},
    {"lines", FT_OBJECTS, 0, 50, NULL, line, NULL},
    {"address", FT_RECORD, 0, 0, NULL, address, NULL},
    {"id", FT_ID, FF_READONLY, 0, NULL, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!body)
        return 0; /* the server answers 400 before any check */
    for (int mode = FIELDS_CREATE; mode <= FIELDS_UPDATE; mode++) {
        struct err e = {0};
        int rc = fields_check(spec, body, mode, &e);
        if (rc && rc != ERR_INVALID && rc != ERR_BADREQ && rc != ERR_TOOLARGE)
            abort(); /* a refusal is a validation error */
        if (rc && !e.msg[0])
            abort(); /* and says why */
        if (!rc && !json_is_object(body))
            abort(); /* only an object is ever accepted */
    }
    json_decref(body);
    json_t *schema = fields_schema(spec);
    if (!schema)
        abort();
    json_decref(schema);
    return 0;
}
