/* Spec-driven JSON validation and schema output (see fields.h). */
#include "util/fields.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"
#include "util/timeu.h"
#include "util/validate.h"

int enum_has(const char *enums, const char *value)
{
    size_t vl = strlen(value);
    const char *p = enums;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && strncmp(p, value, l) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int check_value(const struct field *f, const json_t *v, const char *path, int mode,
                       struct err *e);

static int check_object(const struct field *spec, const json_t *obj, const char *prefix, int mode,
                        struct err *e)
{
    if (!json_is_object(obj))
        return err_set(e, ERR_INVALID, prefix[0] ? prefix : "body", "must be a JSON object");
    const char *key;
    json_t *v;
    char path[96];
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct field *f = spec;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
        if (!f->name)
            return err_set(e, ERR_INVALID, path, "unknown field");
        if (f->flags & FF_READONLY)
            return err_set(e, ERR_INVALID, path, "read-only field");
        int rc = check_value(f, v, path, mode, e);
        if (rc)
            return rc;
    }
    if (mode == FIELDS_CREATE) {
        for (const struct field *f = spec; f->name; f++) {
            if (!(f->flags & FF_REQUIRED))
                continue;
            json_t *rv = json_object_get(obj, f->name);
            if (!rv || json_is_null(rv)) {
                snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", f->name);
                return err_set(e, ERR_INVALID, path, "required field is missing");
            }
        }
    }
    return 0;
}

static int check_string(const struct field *f, const char *s, const char *path, struct err *e)
{
    size_t len = strlen(s);
    long max = f->max > 0 ? f->max : (f->type == FT_TEXT ? 20000 : 200);
    if (f->type == FT_STRING || f->type == FT_TEXT) {
        if ((long)len > max)
            return err_set(e, ERR_INVALID, path, "too long (at most %ld bytes)", max);
        if (!utf8_valid(s, len))
            return err_set(e, ERR_INVALID, path, "not valid UTF-8 text");
        return 0;
    }
    char buf[255];
    int32_t day;
    int64_t t;
    switch (f->type) {
    case FT_DATE:
        if (date_parse(s, &day))
            return err_set(e, ERR_INVALID, path, "not a valid date (YYYY-MM-DD)");
        return 0;
    case FT_DATETIME:
        if (time_parse(s, &t))
            return err_set(e, ERR_INVALID, path, "not a valid ISO 8601 date-time");
        return 0;
    case FT_EMAIL:
        if (email_normalize(s, buf))
            return err_set(e, ERR_INVALID, path, "not a valid e-mail address");
        return 0;
    case FT_PHONE: {
        /* syntax only: the service normalises to E.164 with the address's country */
        int digits = 0;
        for (const char *p = s; *p; p++) {
            if (*p >= '0' && *p <= '9')
                digits++;
            else if (!strchr("+ .-()/", *p))
                return err_set(e, ERR_INVALID, path, "not a valid phone number");
        }
        if (len > 40 || digits < 6 || digits > 15)
            return err_set(e, ERR_INVALID, path, "not a valid phone number");
        return 0;
    }
    case FT_ENUM:
        if (!enum_has(f->enums, s))
            return err_set(e, ERR_INVALID, path, "must be one of: %s", f->enums);
        return 0;
    case FT_COUNTRY:
        if (!country_valid(s))
            return err_set(e, ERR_INVALID, path, "not an ISO 3166-1 alpha-2 country code");
        return 0;
    case FT_CURRENCY:
        if (len != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < 'A' ||
            s[2] > 'Z')
            return err_set(e, ERR_INVALID, path, "not an ISO 4217 currency code");
        return 0;
    default:
        return err_set(e, ERR_INVALID, path, "must not be a string");
    }
}

static const char *type_word(int type)
{
    switch (type) {
    case FT_INT:
    case FT_MONEY:
    case FT_ID:
        return "an integer";
    case FT_NUMBER:
        return "a number";
    case FT_BOOL:
        return "true or false";
    case FT_OBJECT:
    case FT_RECORD:
        return "an object";
    case FT_STRINGS:
    case FT_OBJECTS:
        return "an array";
    default:
        return "a string";
    }
}

static int check_value(const struct field *f, const json_t *v, const char *path, int mode,
                       struct err *e)
{
    if (json_is_null(v)) {
        if (f->flags & (FF_NULLABLE))
            return 0;
        return err_set(e, ERR_INVALID, path, "must not be null");
    }
    switch (f->type) {
    case FT_INT:
    case FT_MONEY:
    case FT_ID: {
        if (!json_is_integer(v))
            return err_set(e, ERR_INVALID, path, "must be %s", type_word(f->type));
        json_int_t n = json_integer_value(v);
        if (f->type == FT_ID && n <= 0)
            return err_set(e, ERR_INVALID, path, "must be a positive id");
        if (f->type == FT_MONEY && (n > 999999999999999LL || n < -999999999999999LL))
            return err_set(e, ERR_INVALID, path, "amount out of range");
        if (f->type == FT_INT && f->max > 0 && (n < 0 || n > f->max))
            return err_set(e, ERR_INVALID, path, "must be between 0 and %ld", f->max);
        return 0;
    }
    case FT_NUMBER:
        return json_is_number(v) ? 0 : err_set(e, ERR_INVALID, path, "must be a number");
    case FT_BOOL:
        return json_is_boolean(v) ? 0 : err_set(e, ERR_INVALID, path, "must be true or false");
    case FT_OBJECT: {
        if (!json_is_object(v))
            return err_set(e, ERR_INVALID, path, "must be an object");
        char *dump = json_dumps(v, JSON_COMPACT);
        size_t n = dump ? strlen(dump) : 0;
        free(dump);
        long max = f->max > 0 ? f->max : 16384;
        return (long)n > max ? err_set(e, ERR_INVALID, path, "too large (at most %ld bytes)", max)
                             : 0;
    }
    case FT_STRINGS:
    case FT_OBJECTS: {
        if (!json_is_array(v))
            return err_set(e, ERR_INVALID, path, "must be an array");
        long max = f->max > 0 ? f->max : 50;
        if ((long)json_array_size(v) > max)
            return err_set(e, ERR_INVALID, path, "too many items (at most %ld)", max);
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it)
        {
            char ipath[96];
            snprintf(ipath, sizeof(ipath), "%.70s[%zu]", path, i);
            int rc;
            if (f->type == FT_STRINGS) {
                static const struct field item = {"item", FT_STRING, 0, 100, NULL, NULL, NULL};
                if (!json_is_string(it))
                    return err_set(e, ERR_INVALID, ipath, "must be a string");
                if (json_string_length(it) == 0)
                    return err_set(e, ERR_INVALID, ipath, "must not be empty");
                rc = check_string(&item, json_string_value(it), ipath, e);
            } else {
                rc = check_object(f->sub, it, ipath, FIELDS_CREATE, e);
            }
            if (rc)
                return rc;
        }
        return 0;
    }
    case FT_RECORD:
        return check_object(f->sub, v, path, mode, e);
    default:
        if (!json_is_string(v))
            return err_set(e, ERR_INVALID, path, "must be %s", type_word(f->type));
        return check_string(f, json_string_value(v), path, e);
    }
}

int fields_check(const struct field *spec, const json_t *obj, int mode, struct err *e)
{
    if (!obj)
        return err_set(e, ERR_BADREQ, "body", "a JSON object body is required");
    return check_object(spec, obj, "", mode, e);
}

json_t *fields_schema(const struct field *spec)
{
    json_t *props = json_object(), *req = json_array();
    for (const struct field *f = spec; f->name; f++) {
        json_t *p = json_object();
        switch (f->type) {
        case FT_INT:
        case FT_MONEY:
        case FT_ID:
            json_object_set_new(p, "type", json_string("integer"));
            break;
        case FT_NUMBER:
            json_object_set_new(p, "type", json_string("number"));
            break;
        case FT_BOOL:
            json_object_set_new(p, "type", json_string("boolean"));
            break;
        case FT_OBJECT:
            json_object_set_new(p, "type", json_string("object"));
            break;
        case FT_STRINGS:
            json_object_set_new(p, "type", json_string("array"));
            json_object_set_new(p, "items", json_pack("{s:s}", "type", "string"));
            break;
        case FT_OBJECTS:
            json_object_set_new(p, "type", json_string("array"));
            json_object_set_new(p, "items", fields_schema(f->sub));
            break;
        case FT_RECORD:
            json_decref(p);
            p = fields_schema(f->sub);
            break;
        default:
            json_object_set_new(p, "type", json_string("string"));
            break;
        }
        static const char *const formats[] = {[FT_DATE] = "date",
                                              [FT_DATETIME] = "date-time",
                                              [FT_EMAIL] = "email",
                                              [FT_PHONE] = "phone"};
        if (f->type < (int)(sizeof(formats) / sizeof(formats[0])) && formats[f->type])
            json_object_set_new(p, "format", json_string(formats[f->type]));
        if (f->type == FT_ENUM && f->enums) {
            json_t *en = json_array();
            const char *s = f->enums;
            while (s && *s) {
                const char *bar = strchr(s, '|');
                size_t l = bar ? (size_t)(bar - s) : strlen(s);
                json_array_append_new(en, json_stringn(s, l));
                s = bar ? bar + 1 : NULL;
            }
            json_object_set_new(p, "enum", en);
        }
        if ((f->type == FT_STRING || f->type == FT_TEXT) && f->max > 0)
            json_object_set_new(p, "maxLength", json_integer(f->max));
        if (f->flags & FF_READONLY)
            json_object_set_new(p, "readOnly", json_true());
        if (f->doc)
            json_object_set_new(p, "description", json_string(f->doc));
        if (f->flags & FF_NULLABLE) {
            json_t *t = json_object_get(p, "type");
            if (t)
                json_object_set_new(p, "type", json_pack("[Os]", t, "null"));
        }
        json_object_set_new(props, f->name, p);
        if (f->flags & FF_REQUIRED)
            json_array_append_new(req, json_string(f->name));
    }
    json_t *o = json_pack("{s:s,s:o}", "type", "object", "properties", props);
    if (json_array_size(req))
        json_object_set_new(o, "required", req);
    else
        json_decref(req);
    return o;
}
