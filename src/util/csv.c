/*
 * Streaming CSV reader (see csv.h): input in blocks (256 KiB), inflated when
 * gzip, parsed by a byte state machine that can stop and resume anywhere, so
 * memory stays bounded by the record limits whatever the input.
 */
#include "util/csv.h"
#include "util/sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/err.h"

#define MIN_BLOCK 16u
#define SNIFF_ENC_BYTES (256u * 1024u)
#define SNIFF_BYTES (64u * 1024u)
#define SNIFF_RECORDS 20

enum src_kind { SRC_MEM, SRC_FD, SRC_STREAM };

/* Parser states: before a record, at the start of a field, inside an
 * unquoted field, inside a quoted field, just after a quote in a quoted one. */
enum pstate { ST_REC, ST_FIELD, ST_UNQ, ST_QUO, ST_QQ };

/* 1 means "stop the fast scan here". */
#define SPECIAL 1

struct csv_reader {
    struct csv_opts o;

    /* raw source */
    int src;
    int fd;
    int own_fd;
    FILE *fp;
    const unsigned char *mem;
    size_t memlen, memoff;
    int src_eof;
    size_t block;       /* opts.block_size */
    unsigned char *raw; /* block bytes, file sources only */

    /* gzip */
    int gz;
    int gz_member_end;
    int z_ready;
    z_stream z;
    unsigned char *out; /* block bytes of inflated data */
    char z_bad[128];    /* a gzip error held back until the data before it is read */

    /* parse window and state */
    const unsigned char *p, *end;
    int eof;
    unsigned char cls[256];  /* SPECIAL outside quotes: delim " CR LF NUL */
    unsigned char qcls[256]; /* SPECIAL inside quotes: " CR LF NUL */
    char delim;
    int enc;
    int st;
    int last_cr;
    long line;
    long rec_line;
    long field_line;
    int col; /* 1-based index of the current field, counted even when discarding */
    int discard;
    int nonascii;
    int fatal;
    size_t want;

    /* the record being built: field bytes, each followed by a NUL */
    unsigned char *buf;
    size_t len, cap;
    size_t fstart;
    size_t rec_bytes;
    size_t *offs;
    size_t *lens;
    const char **fields;
    size_t nf, fcap;
    unsigned char *cbuf; /* conversion target, swapped with buf */
    size_t ccap;

    struct csv_error err;
};

/* ---- errors ------------------------------------------------------------ */

static int fail(struct csv_reader *r, int code, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct csv_reader *r, int code, int column, const char *fmt, ...)
{
    va_list ap;
    r->err.code = code;
    r->err.line = r->rec_line;
    r->err.column = column;
    va_start(ap, fmt);
    vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
    va_end(ap);
    if (code == CSV_EIO || code == CSV_EQUOTE || code == CSV_ENOMEM)
        r->fatal = 1;
    return code;
}

/* An error in the middle of a record: the rest of it is read and dropped. */
static int fail_nul(struct csv_reader *r)
{
    r->discard = 1;
    return fail(r, CSV_ENUL, r->col, "NUL byte in field %d", r->col);
}

static int fail_long(struct csv_reader *r, const char *what, size_t limit)
{
    r->discard = 1;
    return fail(r, CSV_ETOOLONG, r->col, "%s longer than %zu bytes", what, limit);
}

/* ---- raw input --------------------------------------------------------- */

/* Reads up to cap bytes, looping over short reads; *got 0 means end. */
static int raw_read(struct csv_reader *r, unsigned char *dst, size_t cap, size_t *got)
{
    size_t n = 0;
    *got = 0;
    if (r->src == SRC_STREAM) {
        n = fread(dst, 1, cap, r->fp);
        if (n < cap && ferror(r->fp))
            return fail(r, CSV_EIO, 0, "read error: %s", strerror(errno));
        *got = n;
        return 0;
    }
    while (n < cap) {
        ssize_t k = read(r->fd, dst + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return fail(r, CSV_EIO, 0, "read error: %s", strerror(errno));
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *got = n;
    return 0;
}

/* Gives zlib more compressed input; sets src_eof when there is none. */
static int z_refill(struct csv_reader *r)
{
    if (r->src == SRC_MEM) {
        size_t left = r->memlen - r->memoff;
        size_t n = left > (size_t)1 << 30 ? (size_t)1 << 30 : left;
        r->z.next_in = (unsigned char *)(uintptr_t)(r->mem + r->memoff);
        r->z.avail_in = (uInt)n;
        r->memoff += n;
        if (n == 0)
            r->src_eof = 1;
        return 0;
    }
    size_t got;
    int rc = raw_read(r, r->raw, r->block, &got);
    if (rc < 0)
        return rc;
    r->z.next_in = r->raw;
    r->z.avail_in = (uInt)got;
    if (got == 0)
        r->src_eof = 1;
    return 0;
}

/* Inflates up to r->block bytes into r->out; *got 0 means the end. A gzip
 * error after some output is reported by the next call, so the records
 * before a damaged or truncated end are still read. */
static int z_block(struct csv_reader *r, size_t *got)
{
    if (r->z_bad[0])
        return fail(r, CSV_EIO, 0, "%s", r->z_bad);
    r->z.next_out = r->out;
    r->z.avail_out = (uInt)r->block;
    while (r->z.avail_out > 0) {
        if (r->z.avail_in == 0 && !r->src_eof) {
            int rc = z_refill(r);
            if (rc < 0)
                return rc;
            continue;
        }
        if (r->gz_member_end) {
            if (r->z.avail_in == 0)
                break; /* src_eof: clean end after a whole member */
            if (r->z.next_in[0] != 0x1f) {
                snprintf(r->z_bad, sizeof(r->z_bad), "unexpected data after the gzip stream");
                break;
            }
            if (inflateReset(&r->z) != Z_OK) {
                snprintf(r->z_bad, sizeof(r->z_bad), "cannot reset the gzip decompressor");
                break;
            }
            r->gz_member_end = 0;
            continue;
        }
        /* called even without input left: a small output block may leave
         * decoded bytes pending inside zlib */
        uInt before = r->z.avail_out;
        int zrc = inflate(&r->z, Z_NO_FLUSH);
        if (zrc == Z_STREAM_END) {
            r->gz_member_end = 1;
            continue;
        }
        if (zrc == Z_BUF_ERROR && r->z.avail_in == 0 && r->src_eof) {
            snprintf(r->z_bad, sizeof(r->z_bad), "gzip data is truncated");
            break;
        }
        if (zrc == Z_OK && (r->z.avail_in > 0 || !r->src_eof || r->z.avail_out < before))
            continue;
        if (zrc == Z_OK) {
            snprintf(r->z_bad, sizeof(r->z_bad), "gzip data is truncated");
            break;
        }
        snprintf(r->z_bad, sizeof(r->z_bad), "corrupt gzip data: %s",
                 r->z.msg ? r->z.msg : "inflate failed");
        break;
    }
    *got = r->block - r->z.avail_out;
    if (r->z_bad[0] && *got == 0)
        return fail(r, CSV_EIO, 0, "%s", r->z_bad);
    return 0;
}

/* Moves the parse window to the next block: 1 data, 0 end of input, <0 error. */
static int fill(struct csv_reader *r)
{
    size_t got = 0;
    int rc;
    if (r->eof)
        return 0;
    if (r->gz) {
        rc = z_block(r, &got);
        if (rc < 0)
            return rc;
        r->p = r->out;
    } else if (r->src == SRC_MEM) {
        got = 0; /* the whole buffer was the first window */
    } else {
        rc = raw_read(r, r->raw, r->block, &got);
        if (rc < 0)
            return rc;
        r->p = r->raw;
    }
    if (got == 0) {
        r->eof = 1;
        r->p = r->end = NULL;
        return 0;
    }
    r->end = r->p + got;
    return 1;
}

/* ---- detection ---------------------------------------------------------- */

/* Length of the longest valid UTF-8 prefix of s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return i;
        }
        if (k >= n - i)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
        i += k + 1;
    }
    return n;
}

/* Encoding of a sample: CSV_ENC_AUTO when it is ASCII (or too short to
 * tell), else UTF-8 or CP1252. A sequence cut by the end of a sample that
 * does not end the input does not count against UTF-8. */
static int sniff_encoding(const unsigned char *s, size_t n, int whole)
{
    size_t i = 0;
    int high = 0;
    while (i < n && !high) {
        high = s[i] >= 0x80;
        i++;
    }
    if (!high)
        return CSV_ENC_AUTO;
    size_t ok = utf8_valid_prefix(s, n);
    if (ok == n)
        return CSV_ENC_UTF8;
    if (whole || n - ok > 3 || s[ok] < 0xC2 || s[ok] > 0xF4)
        return CSV_ENC_CP1252;
    for (size_t j = ok + 1; j < n; j++)
        if ((s[j] & 0xC0) != 0x80)
            return CSV_ENC_CP1252;
    /* only a sequence cut by the end of the sample: judge what comes before */
    return sniff_encoding(s, ok, 1);
}

/* Picks the delimiter from the first records of a sample: the candidate seen
 * the same (non-zero) number of times outside quotes on every record, the
 * most frequent such one; else the most frequent on the first record; else
 * a comma. */
static char detect_delim(const unsigned char *s, size_t n)
{
    static const char cand[4] = {',', ';', '\t', '|'};
    size_t cnt[SNIFF_RECORDS][4];
    int inq = 0, has = 0, nrec = 0;
    memset(cnt, 0, sizeof(cnt));
    for (size_t i = 0; i < n && nrec < SNIFF_RECORDS; i++) {
        unsigned char c = s[i];
        if (c == '"') {
            inq = !inq;
            has = 1;
        } else if (!inq && (c == '\n' || c == '\r')) {
            if (has)
                nrec++;
            has = 0;
        } else {
            has = 1;
            if (!inq)
                for (int k = 0; k < 4; k++)
                    cnt[nrec][k] += c == (unsigned char)cand[k];
        }
    }
    if (has && nrec == 0)
        nrec = 1; /* a single unterminated line */
    int best = -1;
    for (int k = 0; k < 4; k++) {
        size_t h = cnt[0][k];
        int same = h > 0;
        for (int j = 1; j < nrec && same; j++)
            same = cnt[j][k] == h;
        if (same && (best < 0 || h > cnt[0][best]))
            best = k;
    }
    if (best < 0)
        for (int k = 0; k < 4; k++)
            if (cnt[0][k] > 0 && (best < 0 || cnt[0][k] > cnt[0][best]))
                best = k;
    return best < 0 ? ',' : cand[best];
}

/* ---- record building ---------------------------------------------------- */

static int grow_buf(struct csv_reader *r, size_t need)
{
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < need)
        cap *= 2;
    unsigned char *nb = realloc(r->buf, cap);
    if (!nb)
        return fail(r, CSV_ENOMEM, r->col, "out of memory");
    r->buf = nb;
    r->cap = cap;
    return 0;
}

static int grow_fields(struct csv_reader *r)
{
    size_t n = r->fcap ? r->fcap * 2 : 32;
    size_t *no = realloc(r->offs, n * sizeof(*no));
    if (!no)
        return fail(r, CSV_ENOMEM, r->col, "out of memory");
    r->offs = no;
    size_t *nl = realloc(r->lens, n * sizeof(*nl));
    if (!nl)
        return fail(r, CSV_ENOMEM, r->col, "out of memory");
    r->lens = nl;
    const char **nfp = realloc(r->fields, n * sizeof(*nfp));
    if (!nfp)
        return fail(r, CSV_ENOMEM, r->col, "out of memory");
    r->fields = nfp;
    r->fcap = n;
    return 0;
}

static void rec_reset(struct csv_reader *r)
{
    r->len = 0;
    r->nf = 0;
    r->fstart = 0;
    r->rec_bytes = 0;
    r->col = 0;
    r->nonascii = 0;
}

static int field_begin(struct csv_reader *r)
{
    r->col++;
    if (r->discard)
        return 0;
    if (r->nf >= r->o.max_fields) {
        r->discard = 1;
        return fail(r, CSV_ETOOLONG, r->col, "record has more than %zu fields", r->o.max_fields);
    }
    if (r->nf >= r->fcap && grow_fields(r))
        return CSV_ENOMEM;
    r->fstart = r->len;
    return 0;
}

static int field_end(struct csv_reader *r)
{
    if (r->discard)
        return 0;
    if (r->len + 1 > r->cap && grow_buf(r, r->len + 1))
        return CSV_ENOMEM;
    r->offs[r->nf] = r->fstart;
    r->lens[r->nf] = r->len - r->fstart;
    r->buf[r->len++] = 0;
    r->nf++;
    return 0;
}

static int append(struct csv_reader *r, const unsigned char *s, size_t n)
{
    if (r->discard)
        return 0;
    size_t froom = r->o.max_field - (r->len - r->fstart);
    size_t rroom = r->o.max_record - r->rec_bytes;
    /* the limit crossed at the earlier byte wins, however the input is cut */
    if (n > froom || n > rroom)
        return froom <= rroom ? fail_long(r, "field", r->o.max_field)
                              : fail_long(r, "record", r->o.max_record);
    if (r->len + n + 1 > r->cap && grow_buf(r, r->len + n + 1))
        return CSV_ENOMEM;
    memcpy(r->buf + r->len, s, n);
    r->len += n;
    r->rec_bytes += n;
    return 0;
}

/* ---- the state machine --------------------------------------------------- */

/* Parses the window from r->p: 1 at the end of a record, 0 when the window is
 * used up, negative on an error (the record is then being discarded). */
static int parse(struct csv_reader *r)
{
    const unsigned char *p = r->p, *end = r->end;
    const unsigned char *cls = r->cls, *qcls = r->qcls;
    const unsigned char delim = (unsigned char)r->delim;
    int rc = 0;

    while (p < end) {
        switch (r->st) {
        case ST_REC:
            if (*p == '\n') {
                if (!r->last_cr)
                    r->line++;
                r->last_cr = 0;
                p++;
                break;
            }
            if (*p == '\r') {
                r->line++;
                r->last_cr = 1;
                p++;
                break;
            }
            r->last_cr = 0;
            r->rec_line = r->line;
            r->st = ST_FIELD;
            break;

        case ST_FIELD:
            rc = field_begin(r);
            if (*p == '"') {
                p++;
                r->field_line = r->line;
                r->st = ST_QUO;
            } else {
                r->st = ST_UNQ;
            }
            if (rc)
                goto out;
            break;

        case ST_UNQ: {
            const unsigned char *q = p;
            unsigned acc = 0;
            while (q < end && !cls[*q])
                acc |= *q++;
            r->nonascii |= (acc & 0x80) != 0;
            rc = q > p ? append(r, p, (size_t)(q - p)) : 0;
            p = q;
            if (rc || p == end)
                goto out;
            unsigned char c = *p++;
            if (c == delim) {
                rc = field_end(r);
                r->st = ST_FIELD;
                if (rc)
                    goto out;
            } else if (c == '\n' || c == '\r') {
                r->line++;
                r->last_cr = c == '\r';
                r->st = ST_REC;
                rc = field_end(r);
                if (rc == 0)
                    rc = 1;
                goto out;
            } else if (c == '"') {
                rc = append(r, &c, 1);
                if (rc)
                    goto out;
            } else if (!r->discard) { /* NUL */
                rc = fail_nul(r);
                goto out;
            }
            break;
        }

        case ST_QUO: {
            const unsigned char *q = p;
            unsigned acc = 0;
            while (q < end && !qcls[*q])
                acc |= *q++;
            r->nonascii |= (acc & 0x80) != 0;
            if (q > p) {
                r->last_cr = 0;
                rc = append(r, p, (size_t)(q - p));
            }
            p = q;
            if (rc || p == end)
                goto out;
            unsigned char c = *p++;
            if (c == '"') {
                r->last_cr = 0;
                r->st = ST_QQ;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' || !r->last_cr)
                    r->line++;
                r->last_cr = c == '\r';
                rc = append(r, &c, 1);
                if (rc)
                    goto out;
            } else if (!r->discard) { /* NUL */
                rc = fail_nul(r);
                goto out;
            }
            break;
        }

        case ST_QQ:
            if (*p == '"') {
                rc = append(r, p, 1);
                p++;
                r->st = ST_QUO;
                if (rc)
                    goto out;
            } else {
                r->st = ST_UNQ; /* lenient: text after the closing quote is kept */
            }
            break;
        }
    }
out:
    r->p = p;
    return rc;
}

/* End of input: closes the record in progress. 1 record, 0 none, <0 error. */
static int at_eof(struct csv_reader *r)
{
    int rc = 0;
    switch (r->st) {
    case ST_REC:
        return 0;
    case ST_QUO:
        return fail(r, CSV_EQUOTE, r->col,
                    "quoted field opened at line %ld is not closed at the end of the input",
                    r->field_line);
    case ST_FIELD:
        rc = field_begin(r);
        if (rc == 0)
            rc = field_end(r);
        break;
    default:
        rc = field_end(r);
        break;
    }
    r->st = ST_REC;
    return rc < 0 ? rc : 1;
}

/* ---- encoding ---------------------------------------------------------- */

/* Windows-1252 0x80..0x9F; the five undefined bytes map to the C1 controls
 * of the same value, as the WHATWG Encoding Standard does. */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Writes code point cp (0x80..0xFFFF) as UTF-8. */
static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (unsigned char)(0xE0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Rewrites the record from Windows-1252 to UTF-8 (at most 3 bytes a byte). */
static int convert_cp1252(struct csv_reader *r)
{
    size_t need = r->len * 3 + 1;
    if (need > r->ccap) {
        unsigned char *nb = realloc(r->cbuf, need);
        if (!nb)
            return fail(r, CSV_ENOMEM, 0, "out of memory");
        r->cbuf = nb;
        r->ccap = need;
    }
    size_t o = 0, total = 0;
    for (size_t f = 0; f < r->nf; f++) {
        const unsigned char *s = r->buf + r->offs[f];
        size_t start = o;
        for (size_t i = 0; i < r->lens[f]; i++) {
            unsigned c = s[i];
            if (c < 0x80)
                r->cbuf[o++] = (unsigned char)c;
            else
                o += put_utf8(r->cbuf + o, c < 0xA0 ? cp1252_hi[c - 0x80] : c);
        }
        r->offs[f] = start;
        r->lens[f] = o - start;
        r->cbuf[o++] = 0;
        total += r->lens[f];
        if (r->lens[f] > r->o.max_field)
            return fail(r, CSV_ETOOLONG, (int)f + 1, "field longer than %zu bytes", r->o.max_field);
    }
    if (total > r->o.max_record)
        return fail(r, CSV_ETOOLONG, 0, "record longer than %zu bytes", r->o.max_record);
    unsigned char *t = r->buf;
    size_t tc = r->cap;
    r->buf = r->cbuf;
    r->cap = r->ccap;
    r->cbuf = t;
    r->ccap = tc;
    r->len = o;
    return 0;
}

static int fix_encoding(struct csv_reader *r)
{
    if (r->enc == CSV_ENC_CP1252)
        return convert_cp1252(r);
    size_t ok = utf8_valid_prefix(r->buf, r->len);
    if (ok == r->len) {
        r->enc = CSV_ENC_UTF8;
        return 0;
    }
    if (r->enc == CSV_ENC_AUTO) {
        r->enc = CSV_ENC_CP1252;
        return convert_cp1252(r);
    }
    size_t f = 0;
    while (f + 1 < r->nf && r->offs[f + 1] <= ok)
        f++;
    return fail(r, CSV_EENCODING, (int)f + 1,
                "invalid UTF-8 (byte 0x%02X at offset %zu of the field) in a UTF-8 file",
                r->buf[ok], ok - r->offs[f]);
}

/* A complete record: encoding, pointers, field count. */
static int finish(struct csv_reader *r, struct csv_record *rec)
{
    if (r->nonascii) {
        int rc = fix_encoding(r);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < r->nf; i++)
        r->fields[i] = (const char *)r->buf + r->offs[i];
    rec->nfields = r->nf;
    rec->fields = r->fields;
    rec->lens = r->lens;
    rec->line = r->rec_line;
    if (r->want == 0) {
        r->want = r->nf;
        return 1;
    }
    if (r->nf != r->want) {
        int col = (int)(r->nf < r->want ? r->nf : r->want) + 1;
        return fail(r, CSV_ERAGGED, col, "record has %zu fields, %s %zu", r->nf,
                    r->o.expect_fields ? "expected" : "header has", r->want);
    }
    return 1;
}

/* ---- public ------------------------------------------------------------ */

int csv_next(struct csv_reader *r, struct csv_record *rec)
{
    if (r->fatal)
        return r->err.code;
    memset(&r->err, 0, sizeof(r->err));
    if (!r->discard)
        rec_reset(r);
    for (;;) {
        int rc;
        if (r->p == r->end) {
            rc = fill(r);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                int discarding = r->discard;
                rc = at_eof(r);
                r->discard = 0;
                if (rc <= 0 || discarding)
                    return rc < 0 ? rc : 0;
                return finish(r, rec);
            }
        }
        rc = parse(r);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            if (r->discard) {
                r->discard = 0;
                rec_reset(r);
                continue;
            }
            return finish(r, rec);
        }
    }
}

const struct csv_error *csv_error(const struct csv_reader *r)
{
    return &r->err;
}

int csv_error_to_err(const struct csv_reader *r, struct err *e)
{
    const struct csv_error *x = &r->err;
    int kind;
    if (x->code == 0)
        return 0;
    if (x->code == CSV_ETOOLONG)
        kind = ERR_TOOLARGE;
    else if (x->code == CSV_EIO || x->code == CSV_ENOMEM)
        kind = ERR_INTERNAL;
    else
        kind = ERR_INVALID;
    if (x->column > 0)
        return err_set(e, kind, NULL, "line %ld, column %d: %s", x->line, x->column, x->msg);
    if (x->line > 0)
        return err_set(e, kind, NULL, "line %ld: %s", x->line, x->msg);
    return err_set(e, kind, NULL, "%s", x->msg);
}

char csv_delimiter(const struct csv_reader *r)
{
    return r->delim;
}

int csv_encoding(const struct csv_reader *r)
{
    return r->enc;
}

int csv_is_compressed(const struct csv_reader *r)
{
    return r->gz;
}

void csv_close(struct csv_reader *r)
{
    if (!r)
        return;
    if (r->z_ready)
        inflateEnd(&r->z);
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    free(r->raw);
    free(r->out);
    free(r->buf);
    free(r->cbuf);
    free(r->offs);
    free(r->lens);
    free(r->fields);
    free(r);
}

/* ---- opening ----------------------------------------------------------- */

static int new_reader(struct csv_reader **out, const struct csv_opts *opts, struct err *e)
{
    struct csv_reader *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r)
        return err_set(e, ERR_INTERNAL, NULL, "out of memory");
    if (opts)
        r->o = *opts;
    if (r->o.max_field == 0)
        r->o.max_field = CSV_DEFAULT_MAX_FIELD;
    if (r->o.max_record == 0)
        r->o.max_record = CSV_DEFAULT_MAX_RECORD;
    if (r->o.max_fields == 0)
        r->o.max_fields = CSV_DEFAULT_MAX_FIELDS;
    if (r->o.block_size == 0)
        r->o.block_size = CSV_DEFAULT_BLOCK_SIZE;
    r->block = r->o.block_size < MIN_BLOCK ? MIN_BLOCK : r->o.block_size;
    r->fd = -1;
    r->line = 1;
    r->enc = r->o.encoding;
    r->want = r->o.expect_fields;
    *out = r;
    if (r->o.encoding < CSV_ENC_AUTO || r->o.encoding > CSV_ENC_CP1252)
        return err_set(e, ERR_INVALID, NULL, "unknown encoding %d", r->o.encoding);
    if (r->o.max_fields > INT_MAX)
        return err_set(e, ERR_INVALID, NULL, "max_fields is too large");
    if (r->o.block_size > (size_t)1 << 30)
        return err_set(e, ERR_INVALID, NULL, "block_size is too large");
    if (r->o.delim == '"' || r->o.delim == '\r' || r->o.delim == '\n')
        return err_set(e, ERR_INVALID, NULL, "delimiter cannot be a quote or a line end");
    return 0;
}

/* Reads the first block, recognises gzip, BOM, delimiter and encoding. */
static int start(struct csv_reader *r, struct err *e)
{
    int rc = 0;
    size_t got = 0;
    const unsigned char *first;

    if (r->src == SRC_MEM) {
        first = r->mem;
        got = r->memlen;
    } else {
        r->raw = malloc(r->block);
        if (!r->raw)
            return err_set(e, ERR_INTERNAL, NULL, "out of memory");
        if (raw_read(r, r->raw, r->block, &got) < 0)
            return err_set(e, ERR_INTERNAL, NULL, "%s", r->err.msg);
        first = r->raw;
    }
    if (got >= 2 && first[0] == 0x1f && first[1] == 0x8b) {
        r->gz = 1;
        r->out = malloc(r->block);
        if (!r->out)
            return err_set(e, ERR_INTERNAL, NULL, "out of memory");
        if (inflateInit2(&r->z, 15 + 16) != Z_OK)
            return err_set(e, ERR_INTERNAL, NULL, "cannot start the gzip decompressor");
        r->z_ready = 1;
        if (r->src == SRC_MEM) {
            rc = z_refill(r);
        } else {
            r->z.next_in = r->raw;
            r->z.avail_in = (uInt)got;
            if (got == 0)
                r->src_eof = 1;
        }
        if (rc == 0)
            rc = fill(r);
        if (rc < 0)
            return err_set(e, ERR_INVALID, NULL, "%s", r->err.msg);
    } else if (got == 0) {
        r->eof = 1;
    } else {
        r->p = first;
        r->end = first + got;
        if (r->src == SRC_MEM)
            r->memoff = r->memlen;
    }

    size_t n = r->p ? (size_t)(r->end - r->p) : 0;
    if (n >= 3 && r->p[0] == 0xEF && r->p[1] == 0xBB && r->p[2] == 0xBF) {
        r->p += 3;
        n -= 3;
        if (r->enc == CSV_ENC_AUTO)
            r->enc = CSV_ENC_UTF8;
    } else if (n >= 2 &&
               ((r->p[0] == 0xFF && r->p[1] == 0xFE) || (r->p[0] == 0xFE && r->p[1] == 0xFF))) {
        return err_set(e, ERR_INVALID, NULL, "UTF-16 input is not supported: save it as UTF-8");
    }
    if (r->o.delim)
        r->delim = r->o.delim;
    else
        r->delim = detect_delim(r->p, n < SNIFF_BYTES ? n : SNIFF_BYTES);
    if (r->enc == CSV_ENC_AUTO) {
        size_t s = n < SNIFF_ENC_BYTES ? n : SNIFF_ENC_BYTES;
        int whole = (r->src == SRC_MEM && !r->gz) ? s == n : n < r->block;
        r->enc = sniff_encoding(r->p, s, whole);
    }
    memset(r->cls, 0, sizeof(r->cls));
    memset(r->qcls, 0, sizeof(r->qcls));
    r->cls[(unsigned char)r->delim] = SPECIAL;
    r->cls['"'] = r->cls['\r'] = r->cls['\n'] = r->cls[0] = SPECIAL;
    r->qcls['"'] = r->qcls['\r'] = r->qcls['\n'] = r->qcls[0] = SPECIAL;
    r->st = ST_REC;
    return 0;
}

static int open_common(struct csv_reader **out, struct csv_reader *r, struct err *e)
{
    int rc = start(r, e);
    if (rc < 0) {
        csv_close(r);
        *out = NULL;
        return rc;
    }
    *out = r;
    return 0;
}

int csv_open_file(struct csv_reader **out, const char *path, const struct csv_opts *opts,
                  struct err *e)
{
    struct csv_reader *r;
    int rc = new_reader(&r, opts, e);
    if (rc < 0)
        goto fail;
    r->src = SRC_FD;
    if (strcmp(path, "-") == 0) {
        r->fd = STDIN_FILENO;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            int en = errno;
            rc = err_set(e, en == ENOENT ? ERR_NOTFOUND : ERR_INTERNAL, NULL,
                         "cannot open '%s': %s", path, strerror(en));
            goto fail;
        }
        r->own_fd = 1;
    }
    return open_common(out, r, e);
fail:
    csv_close(r);
    *out = NULL;
    return rc;
}

int csv_open_fd(struct csv_reader **out, int fd, const struct csv_opts *opts, struct err *e)
{
    struct csv_reader *r;
    int rc = new_reader(&r, opts, e);
    if (rc < 0) {
        csv_close(r);
        *out = NULL;
        return rc;
    }
    if (fd < 0) {
        rc = err_set(e, ERR_INVALID, NULL, "bad file descriptor %d", fd);
        csv_close(r);
        *out = NULL;
        return rc;
    }
    r->src = SRC_FD;
    r->fd = fd;
    return open_common(out, r, e);
}

int csv_open_stream(struct csv_reader **out, FILE *f, const struct csv_opts *opts, struct err *e)
{
    struct csv_reader *r;
    int rc = new_reader(&r, opts, e);
    if (rc < 0) {
        csv_close(r);
        *out = NULL;
        return rc;
    }
    r->src = SRC_STREAM;
    r->fp = f;
    return open_common(out, r, e);
}

int csv_open_mem(struct csv_reader **out, const void *data, size_t len, const struct csv_opts *opts,
                 struct err *e)
{
    struct csv_reader *r;
    int rc = new_reader(&r, opts, e);
    if (rc < 0) {
        csv_close(r);
        *out = NULL;
        return rc;
    }
    r->src = SRC_MEM;
    r->mem = data;
    r->memlen = data ? len : 0;
    return open_common(out, r, e);
}

/* ------------------------------------------------------------------ writing */

void csv_cell_safe(const char *in, char *out, size_t len)
{
    if (!len)
        return;
    size_t n = 0;
    if (in && in[0] && strchr("=+-@\t\r", in[0]))
        out[n++] = '\'';
    for (; in && *in && n + 1 < len; in++)
        out[n++] = *in;
    out[n] = 0;
}

void csv_put_cell(struct sbuf *b, const char *v, int safe, int first)
{
    if (!first)
        sbuf_put(b, ",", 1);
    if (!v)
        return;
    char neutral[4096];
    if (safe) {
        csv_cell_safe(v, neutral, sizeof(neutral));
        v = neutral;
    }
    if (!strpbrk(v, ",\"\r\n")) {
        sbuf_puts(b, v);
        return;
    }
    sbuf_put(b, "\"", 1);
    for (; *v; v++) {
        if (*v == '"')
            sbuf_put(b, "\"", 1);
        sbuf_put(b, v, 1);
    }
    sbuf_put(b, "\"", 1);
}
