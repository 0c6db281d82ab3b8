/*
 * libFuzzer driver for util/csv and util/numparse: the input is read as CSV
 * with three option sets, every field goes through every parser, and the
 * reader's promises (UTF-8 fields, lengths, line numbers, progress) are checked.
 * Then it is read again through a FILE* in tiny blocks, which must give the
 * same records and errors as reading it from memory in one piece.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "util/err.h"
#include "util/numparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent strict UTF-8 check (RFC 3629 table 3-7). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3;
        else
            return 0;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
        if (n - i <= k || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

static void parse_value(const char *s, size_t idx)
{
    static const char seps[3] = {0, '.', ','};
    struct num_opts o = {.decimals = (int)(idx % 4) * 3, .decimal_sep = seps[idx % 3]};
    struct err e;
    char cur[NUM_CURRENCY_LEN];
    char id[64];
    int64_t v, w;

    if (num_parse_amount(&v, cur, s, &o, &e) == 0) {
        if (strlen(cur) > 3)
            abort();
        /* fewer decimals never fail where more succeeded */
        struct num_opts o0 = {.decimals = 0, .decimal_sep = o.decimal_sep};
        if (num_parse_amount(&w, NULL, s, &o0, &e) != 0)
            abort();
    } else if (e.msg[0] == 0) {
        abort();
    }
    if (num_parse_int(&v, s, &o, &e) == 0) {
        struct num_opts o2 = {.decimals = 0, .decimal_sep = o.decimal_sep};
        if (num_parse_amount(&w, NULL, s, &o2, &e) != 0 || w != v)
            abort();
    }
    if (num_clean_id(id, sizeof(id), s, &e) == 0 && strlen(id) > strlen(s))
        abort();
    for (int order = NUM_DMY; order <= NUM_MDY; order++) {
        if (num_parse_date(&v, s, order, &e) == 0) {
            if (v < -62135596800LL - 86400 || v > 253402300800LL + 86400)
                abort(); /* years 1..9999, give or take an offset */
        } else if (e.msg[0] == 0) {
            abort();
        }
    }
    int hint = num_date_order_hint(s);
    if (hint != -1 && hint != NUM_DMY && hint != NUM_MDY)
        abort();
}

static void run(const uint8_t *data, size_t size, const struct csv_opts *o, long max_line)
{
    struct csv_reader *r = NULL;
    struct csv_record rec;
    struct err e;
    long prev = 0;
    size_t calls = 0;

    if (csv_open_mem(&r, data, size, o, &e) < 0) {
        if (r || e.msg[0] == 0)
            abort();
        return;
    }
    /* every call consumes input: at least a byte, or a byte of inflated
     * data, of which deflate makes at most 1032 per input byte */
    size_t max_calls = csv_is_compressed(r) ? size * 1100 + 64 : size + 2;
    for (;;) {
        int rc = csv_next(r, &rec);
        if (++calls > max_calls)
            abort();
        if (rc == 0)
            break;
        const struct csv_error *x = csv_error(r);
        if (rc == 1 || rc == CSV_ERAGGED) {
            if (rec.line < 1 || rec.line < prev || (!csv_is_compressed(r) && rec.line > max_line))
                abort();
            prev = rec.line;
            if (rec.nfields == 0)
                abort();
            for (size_t i = 0; i < rec.nfields; i++) {
                if (strlen(rec.fields[i]) != rec.lens[i] ||
                    !utf8_ok((const unsigned char *)rec.fields[i], rec.lens[i]))
                    abort();
                if (o->max_field && rec.lens[i] > o->max_field)
                    abort();
                parse_value(rec.fields[i], i);
            }
        }
        if (rc != 1) {
            if (x->code != rc || x->msg[0] == 0 || x->column < 0)
                abort();
            if (csv_error_to_err(r, &e) >= 0)
                abort();
        }
        if (rc == CSV_EIO || rc == CSV_EQUOTE || rc == CSV_ENOMEM) {
            if (csv_next(r, &rec) != rc)
                abort(); /* fatal errors stay */
            break;
        }
    }
    csv_close(r);
}

/* FNV-1a over everything csv_next says, results and errors alike. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t digest(struct csv_reader *r, size_t max_calls)
{
    struct csv_record rec;
    uint64_t h = 1469598103934665603ull;
    for (size_t calls = 0; calls < max_calls; calls++) {
        int rc = csv_next(r, &rec);
        h = mix(h, &rc, sizeof(rc));
        if (rc == 0)
            break;
        if (rc == 1 || rc == CSV_ERAGGED) {
            h = mix(h, &rec.line, sizeof(rec.line));
            h = mix(h, &rec.nfields, sizeof(rec.nfields));
            for (size_t i = 0; i < rec.nfields; i++)
                h = mix(h, rec.fields[i], rec.lens[i] + 1);
        }
        if (rc != 1) {
            const struct csv_error *x = csv_error(r);
            h = mix(h, &x->line, sizeof(x->line));
            h = mix(h, &x->column, sizeof(x->column));
            h = mix(h, x->msg, strlen(x->msg));
        }
        if (rc == CSV_EIO || rc == CSV_EQUOTE || rc == CSV_ENOMEM)
            break;
    }
    return h;
}

/* Reading in blocks of 16 to 79 bytes through a FILE* must not change a
 * thing: the state machine stops and resumes anywhere. */
static void differential(const uint8_t *data, size_t size)
{
    struct csv_opts o;
    struct csv_reader *r = NULL;
    struct err e;
    size_t max_calls = size * 1100 + 64;

    if (size == 0)
        return;
    memset(&o, 0, sizeof(o));
    if (size % 2) {
        o.max_field = 16;
        o.max_record = 64;
        o.max_fields = 8;
    }
    if (csv_open_mem(&r, data, size, &o, &e) < 0)
        return;
    uint64_t want = digest(r, max_calls);
    o.delim = csv_delimiter(r); /* detection sees only the first block */
    o.encoding = csv_encoding(r);
    csv_close(r);

    o.block_size = 16 + (size_t)data[0] % 64;
    FILE *f = fmemopen((void *)(uintptr_t)data, size, "rb");
    if (!f)
        return;
    if (csv_open_stream(&r, f, &o, &e) < 0)
        abort(); /* what opened from memory opens from a stream */
    if (digest(r, max_calls) != want)
        abort();
    csv_close(r);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n' || data[i] == '\r';

    struct csv_opts def;
    memset(&def, 0, sizeof(def));
    run(data, size, &def, lines);

    struct csv_opts tiny = {
        .max_field = 16, .max_record = 64, .max_fields = 8, .encoding = CSV_ENC_CP1252};
    run(data, size, &tiny, lines);

    struct csv_opts fixed = {.delim = ';', .encoding = CSV_ENC_UTF8, .expect_fields = 3};
    run(data, size, &fixed, lines);

    differential(data, size);

    /* the whole input as one value */
    if (size <= 256) {
        char s[257];
        memcpy(s, data, size);
        s[size] = 0;
        parse_value(s, size);
    }
    return 0;
}
