/* Unit tests for util/csv: RFC 4180 details, detection, encodings, limits,
 * error positions, gzip, and the two real data files read end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "util/csv.h"
#include "util/err.h"
#include "util/numparse.h"

#define RETAIL "../shared/data/online-retail/online_retail.csv.gz"
#define HEXASMAL "../shared/data/geo-fr/laposte_hexasmal.csv.gz"

static struct csv_reader *open_str(const char *s, size_t len, const struct csv_opts *o)
{
    struct csv_reader *r = NULL;
    struct err e;
    err_clear(&e);
    assert_int_equal(csv_open_mem(&r, s, len, o, &e), 0);
    assert_non_null(r);
    return r;
}

#define OPEN(lit, o) open_str((lit), sizeof(lit) - 1, (o))

static void expect_rec(struct csv_reader *r, long line, size_t n, ...)
{
    struct csv_record rec;
    va_list ap;
    int rc = csv_next(r, &rec);
    if (rc != 1)
        fail_msg("csv_next = %d (%s) at line %ld", rc, csv_error(r)->msg, line);
    assert_int_equal(rec.line, line);
    assert_int_equal(rec.nfields, n);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        assert_string_equal(rec.fields[i], want);
        assert_int_equal(rec.lens[i], strlen(want));
    }
    va_end(ap);
}

static void expect_err(struct csv_reader *r, int code, long line, int column)
{
    struct csv_record rec;
    int rc = csv_next(r, &rec);
    if (rc != code)
        fail_msg("csv_next = %d, want %d (%s)", rc, code, csv_error(r)->msg);
    assert_int_equal(csv_error(r)->code, code);
    assert_int_equal(csv_error(r)->line, line);
    assert_int_equal(csv_error(r)->column, column);
}

static void expect_eof(struct csv_reader *r)
{
    struct csv_record rec;
    assert_int_equal(csv_next(r, &rec), 0);
    assert_int_equal(csv_next(r, &rec), 0);
}

/* ---- syntax ---- */

static void test_quoting(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("a,b,c\n"
                                "x,\"y,1\",\"say \"\"hi\"\"\"\n"
                                "\"\",,\"\"\"\"\n"
                                "5\" tall,\"ab\"c,end\n",
                                NULL);
    assert_int_equal(csv_delimiter(r), ',');
    expect_rec(r, 1, 3, "a", "b", "c");
    expect_rec(r, 2, 3, "x", "y,1", "say \"hi\"");
    expect_rec(r, 3, 3, "", "", "\"");
    expect_rec(r, 4, 3, "5\" tall", "abc", "end"); /* lenient on stray quotes */
    expect_eof(r);
    csv_close(r);
}

static void test_embedded_newlines(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("id,note\n"
                                "1,\"first line\nsecond \"\"quoted\"\"\nthird\"\n"
                                "2,\"crlf\r\ninside\"\r\n"
                                "3,plain\n",
                                NULL);
    expect_rec(r, 1, 2, "id", "note");
    expect_rec(r, 2, 2, "1", "first line\nsecond \"quoted\"\nthird");
    expect_rec(r, 5, 2, "2", "crlf\r\ninside");
    expect_rec(r, 7, 2, "3", "plain");
    expect_eof(r);
    csv_close(r);
}

static void test_line_ends_and_blank_lines(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("a,b\r\n1,2\r\n\r\n3,4\r\n", NULL);
    expect_rec(r, 1, 2, "a", "b");
    expect_rec(r, 2, 2, "1", "2");
    expect_rec(r, 4, 2, "3", "4");
    expect_eof(r);
    csv_close(r);

    r = OPEN("a,b\r1,2\r\r3,4", NULL); /* old Mac line ends, no final line end */
    expect_rec(r, 1, 2, "a", "b");
    expect_rec(r, 2, 2, "1", "2");
    expect_rec(r, 4, 2, "3", "4");
    expect_eof(r);
    csv_close(r);

    r = OPEN("a,b,c\n1,2,\n\n\n4,5,", NULL); /* trailing delimiters: empty last field */
    expect_rec(r, 1, 3, "a", "b", "c");
    expect_rec(r, 2, 3, "1", "2", "");
    expect_rec(r, 5, 3, "4", "5", "");
    expect_eof(r);
    csv_close(r);

    r = OPEN("", NULL);
    expect_eof(r);
    csv_close(r);
    r = OPEN("\n\r\n", NULL);
    expect_eof(r);
    csv_close(r);
}

static void test_bom(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("\xEF\xBB\xBFnom;ville\nDupont;Paris\n", NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_UTF8);
    assert_int_equal(csv_delimiter(r), ';');
    expect_rec(r, 1, 2, "nom", "ville");
    expect_rec(r, 2, 2, "Dupont", "Paris");
    expect_eof(r);
    csv_close(r);

    struct csv_reader *r2 = NULL;
    struct err e;
    assert_int_equal(csv_open_mem(&r2, "\xFF\xFEn\0o\0", 6, NULL, &e), ERR_INVALID);
    assert_null(r2);
    assert_non_null(strstr(e.msg, "UTF-16"));
}

static void test_delimiter_detection(void **state)
{
    (void)state;
    /* commas inside data (decimal commas, a quoted field) must not win */
    struct csv_reader *r = OPEN("nom;prix;note\nA;1,5;\"x;y\"\nB;2,25;z\n", NULL);
    assert_int_equal(csv_delimiter(r), ';');
    expect_rec(r, 1, 3, "nom", "prix", "note");
    expect_rec(r, 2, 3, "A", "1,5", "x;y");
    csv_close(r);

    r = OPEN("a\tb\tc\n1\t2,5\t3\n", NULL);
    assert_int_equal(csv_delimiter(r), '\t');
    expect_rec(r, 1, 3, "a", "b", "c");
    expect_rec(r, 2, 3, "1", "2,5", "3");
    csv_close(r);

    r = OPEN("a|b\n1|2\n", NULL);
    assert_int_equal(csv_delimiter(r), '|');
    csv_close(r);

    r = OPEN("\"a,b\";c;d\n1;2;3\n", NULL); /* a comma in a quoted header */
    assert_int_equal(csv_delimiter(r), ';');
    csv_close(r);

    r = OPEN("single\nvalue\n", NULL);
    assert_int_equal(csv_delimiter(r), ',');
    expect_rec(r, 1, 1, "single");
    csv_close(r);

    struct csv_opts o = {.delim = ';'};
    r = OPEN("a,b;c\n", &o);
    assert_int_equal(csv_delimiter(r), ';');
    expect_rec(r, 1, 2, "a,b", "c");
    csv_close(r);
}

/* ---- encodings ---- */

static void test_latin1_and_cp1252(void **state)
{
    (void)state;
    struct csv_reader *r =
        OPEN("nom;prix\nH\xE9l\xE8ne;\x80 5\n\x8C\x75vre \x93x\x94;\x9C\n", NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_CP1252);
    expect_rec(r, 1, 2, "nom", "prix");
    expect_rec(r, 2, 2, "H\xC3\xA9l\xC3\xA8ne", "\xE2\x82\xAC 5");
    expect_rec(r, 3, 2, "\xC5\x92uvre \xE2\x80\x9Cx\xE2\x80\x9D", "\xC5\x93");
    expect_eof(r);
    csv_close(r);

    /* undefined cp1252 bytes become the C1 controls; 0xA0..0xFF are Latin-1 */
    r = OPEN("\x81\xA0\xFF\n", NULL);
    expect_rec(r, 1, 1, "\xC2\x81\xC2\xA0\xC3\xBF");
    csv_close(r);
}

static void test_utf8_kept_and_checked(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("nom\nH\xC3\xA9l\xC3\xA8ne\n\xE2\x82\xAC\n", NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_UTF8);
    expect_rec(r, 1, 1, "nom");
    expect_rec(r, 2, 1, "H\xC3\xA9l\xC3\xA8ne");
    expect_rec(r, 3, 1, "\xE2\x82\xAC");
    csv_close(r);

    /* a file already taken as UTF-8: a Latin-1 record is reported, then go on */
    struct csv_opts o = {.encoding = CSV_ENC_UTF8};
    r = OPEN("a,b\n\xC3\xA9,1\nok,H\xE9l\xE8ne\nz,\xED\xA0\x80\nlast,2\n", &o);
    expect_rec(r, 1, 2, "a", "b");
    expect_rec(r, 2, 2, "\xC3\xA9", "1");
    expect_err(r, CSV_EENCODING, 3, 2);
    expect_err(r, CSV_EENCODING, 4, 2); /* an encoded surrogate is not UTF-8 */
    expect_rec(r, 5, 2, "last", "2");
    expect_eof(r);
    csv_close(r);

    /* ASCII first block: the decision waits for the first non-ASCII record */
    size_t n = 300 * 1024;
    char *big = malloc(n + 32);
    assert_non_null(big);
    for (size_t i = 0; i < n; i += 4)
        memcpy(big + i, "abc\n", 4);
    memcpy(big + n, "H\xE9l\xE8ne\n", 8);
    r = open_str(big, n + 8, NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_AUTO);
    struct csv_record rec;
    long count = 0;
    int rc = csv_next(r, &rec);
    while (rc == 1 && strcmp(rec.fields[0], "abc") == 0) {
        count++;
        rc = csv_next(r, &rec);
    }
    assert_int_equal(rc, 1);
    assert_int_equal(count, (long)(n / 4));
    assert_string_equal(rec.fields[0], "H\xC3\xA9l\xC3\xA8ne");
    assert_int_equal(csv_encoding(r), CSV_ENC_CP1252);
    csv_close(r);

    /* the first 256 KiB block ends inside a UTF-8 sequence: what comes
     * before decides */
    size_t block = 256 * 1024;
    memcpy(big, "\xC3\xA9\n", 3);
    memset(big + 3, 'a', block - 4);
    memcpy(big + block - 1, "\xC3\xA9\n", 3);
    r = open_str(big, block + 2, NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_UTF8);
    csv_close(r);
    big[0] = 'x';
    big[1] = 'x';
    r = open_str(big, block + 2, NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_AUTO); /* ASCII before the cut */
    expect_rec(r, 1, 1, "xx");
    csv_close(r);
    big[1] = '\xE9';
    r = open_str(big, block + 2, NULL);
    assert_int_equal(csv_encoding(r), CSV_ENC_CP1252);
    csv_close(r);
    free(big);
}

/* ---- errors ---- */

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char in[] = "a,b\n1,x\0y\n\"q\0\",2\n3,4\n";
    struct csv_reader *r = open_str(in, sizeof(in) - 1, NULL);
    expect_rec(r, 1, 2, "a", "b");
    expect_err(r, CSV_ENUL, 2, 2);
    expect_err(r, CSV_ENUL, 3, 1);
    expect_rec(r, 4, 2, "3", "4");
    expect_eof(r);
    csv_close(r);
}

static void test_limits(void **state)
{
    (void)state;
    /* a 3 MiB line between good records: rejected by the field limit with
     * the defaults, by the record limit when fields are short */
    size_t big = 3u << 20;
    char *buf = malloc(big + 64);
    assert_non_null(buf);
    size_t n = 0;
    memcpy(buf, "h1,h2\n", 6);
    n = 6;
    for (size_t i = 0; i < big; i++)
        buf[n++] = i % 100 == 99 ? ',' : 'x';
    memcpy(buf + n, "\nok,1\n", 6);
    n += 6;
    struct csv_opts many = {.max_fields = 100000};
    struct csv_reader *r = open_str(buf, n, &many);
    expect_rec(r, 1, 2, "h1", "h2");
    expect_err(r, CSV_ETOOLONG, 2, (1 << 20) / 99 + 1); /* the field crossing 1 MiB */
    assert_non_null(strstr(csv_error(r)->msg, "record longer than 1048576"));
    expect_rec(r, 3, 2, "ok", "1");
    expect_eof(r);
    csv_close(r);

    r = open_str(buf, n, NULL); /* default max_fields: 4096 */
    expect_rec(r, 1, 2, "h1", "h2");
    expect_err(r, CSV_ETOOLONG, 2, 4097);
    expect_rec(r, 3, 2, "ok", "1");
    csv_close(r);

    memset(buf + 6, 'y', big); /* one 3 MiB field */
    r = open_str(buf, n, NULL);
    expect_rec(r, 1, 2, "h1", "h2");
    expect_err(r, CSV_ETOOLONG, 2, 1);
    assert_non_null(strstr(csv_error(r)->msg, "field longer than 262144"));
    expect_rec(r, 3, 2, "ok", "1");
    expect_eof(r);
    csv_close(r);
    free(buf);

    struct csv_opts o = {.max_field = 8, .max_record = 20, .max_fields = 4};
    r = OPEN("a,b\n123456789,1\n12345678,1\n1234567,1234567,1234567\n1,2,3,4,5\n\"x\",y\n", &o);
    expect_rec(r, 1, 2, "a", "b");
    expect_err(r, CSV_ETOOLONG, 2, 1);
    assert_non_null(strstr(csv_error(r)->msg, "field longer than 8"));
    expect_rec(r, 3, 2, "12345678", "1");
    expect_err(r, CSV_ETOOLONG, 4, 3);
    expect_err(r, CSV_ETOOLONG, 5, 5);
    assert_non_null(strstr(csv_error(r)->msg, "more than 4 fields"));
    expect_rec(r, 6, 2, "x", "y");
    expect_eof(r);
    csv_close(r);

    /* conversion to UTF-8 may grow a field over its limit */
    struct csv_opts o2 = {.max_field = 4, .encoding = CSV_ENC_CP1252};
    r = OPEN("\xE9\xE9\xE9\n\xE9\xE9\n", &o2);
    expect_err(r, CSV_ETOOLONG, 1, 1);
    expect_rec(r, 2, 1, "\xC3\xA9\xC3\xA9");
    csv_close(r);
}

static void test_unbalanced_quote(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("a,b,c\n1,2,3\n4,\"open,\nstill open\n5,6,7\n", NULL);
    expect_rec(r, 1, 3, "a", "b", "c");
    expect_rec(r, 2, 3, "1", "2", "3");
    expect_err(r, CSV_EQUOTE, 3, 2);
    assert_non_null(strstr(csv_error(r)->msg, "opened at line 3"));
    expect_err(r, CSV_EQUOTE, 3, 2); /* fatal: stays */

    struct err e;
    assert_int_equal(csv_error_to_err(r, &e), ERR_INVALID);
    assert_string_equal(e.msg, "line 3, column 2: quoted field opened at line 3 is not closed at "
                               "the end of the input");
    csv_close(r);

    /* the record started on line 2, the quote opened on line 3 */
    r = OPEN("a,b\n\"x\ny\",\"z\n", NULL);
    expect_rec(r, 1, 2, "a", "b");
    expect_err(r, CSV_EQUOTE, 2, 2);
    assert_non_null(strstr(csv_error(r)->msg, "opened at line 3"));
    csv_close(r);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    struct csv_reader *r = OPEN("a,b,c\n1,2\n1,2,3,4\n5,6,7\n", NULL);
    struct csv_record rec;
    expect_rec(r, 1, 3, "a", "b", "c");
    assert_int_equal(csv_next(r, &rec), CSV_ERAGGED);
    assert_int_equal(rec.nfields, 2); /* delivered all the same */
    assert_string_equal(rec.fields[1], "2");
    assert_int_equal(csv_error(r)->line, 2);
    assert_int_equal(csv_error(r)->column, 3);
    assert_string_equal(csv_error(r)->msg, "record has 2 fields, header has 3");
    expect_err(r, CSV_ERAGGED, 3, 4);
    expect_rec(r, 4, 3, "5", "6", "7");
    expect_eof(r);
    csv_close(r);

    struct csv_opts o = {.expect_fields = 2};
    r = OPEN("a,b,c\n", &o);
    expect_err(r, CSV_ERAGGED, 1, 3);
    assert_string_equal(csv_error(r)->msg, "record has 3 fields, expected 2");
    csv_close(r);
}

/* ---- sources ---- */

static size_t gzip_mem(const char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static void test_gzip(void **state)
{
    (void)state;
    static const char csv1[] = "id;nom\n1;H\xC3\xA9l\xC3\xA8ne\n";
    static const char csv2[] = "2;\"a\nb\"\n";
    unsigned char gz[512];
    size_t n1 = gzip_mem(csv1, sizeof(csv1) - 1, gz, sizeof(gz));
    size_t n2 = gzip_mem(csv2, sizeof(csv2) - 1, gz + n1, sizeof(gz) - n1);

    /* in memory, two concatenated members */
    struct csv_reader *r = open_str((const char *)gz, n1 + n2, NULL);
    assert_int_equal(csv_is_compressed(r), 1);
    assert_int_equal(csv_delimiter(r), ';');
    expect_rec(r, 1, 2, "id", "nom");
    expect_rec(r, 2, 2, "1", "H\xC3\xA9l\xC3\xA8ne");
    expect_rec(r, 3, 2, "2", "a\nb");
    expect_eof(r);
    csv_close(r);

    /* truncated */
    r = open_str((const char *)gz, n1 - 5, NULL);
    expect_rec(r, 1, 2, "id", "nom");
    struct csv_record rec;
    int rc = csv_next(r, &rec);
    if (rc == 1)
        rc = csv_next(r, &rec);
    assert_int_equal(rc, CSV_EIO);
    assert_non_null(strstr(csv_error(r)->msg, "truncated"));
    csv_close(r);

    /* truncated, read in 16-byte blocks: zlib may hold decoded bytes back
     * when the output block is full; they must all come out */
    static char text[4096];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = i % 64 == 63 ? '\n' : (i % 64 == 10 ? ',' : 'a' + (char)(i % 64 % 7));
    unsigned char tgz[4096];
    size_t tn = gzip_mem(text, sizeof(text), tgz, sizeof(tgz));
    long want_rows = 0;
    r = open_str((const char *)tgz, tn - 9, NULL); /* cut in the deflate data */
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec))
        want_rows++;
    assert_int_equal(rc, CSV_EIO);
    assert_true(want_rows > 50);
    csv_close(r);
    FILE *tf = fmemopen(tgz, tn - 9, "rb");
    struct csv_opts tiny = {.block_size = 16};
    struct err te;
    long rows = 0;
    assert_int_equal(csv_open_stream(&r, tf, &tiny, &te), 0);
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec))
        rows++;
    assert_int_equal(rc, CSV_EIO);
    assert_int_equal(rows, want_rows);
    csv_close(r);
    fclose(tf);

    /* trailing garbage */
    memcpy(gz + n1, "junk", 4);
    r = open_str((const char *)gz, n1 + 4, NULL);
    expect_rec(r, 1, 2, "id", "nom");
    expect_rec(r, 2, 2, "1", "H\xC3\xA9l\xC3\xA8ne");
    assert_int_equal(csv_next(r, &rec), CSV_EIO);
    csv_close(r);

    /* a .csv.gz file written with gzopen, read by path */
    char path[] = "/tmp/test_csv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzputs(g, "a,b\n1,\"x,y\"\n"), 12);
    assert_int_equal(gzclose(g), Z_OK);
    struct err e;
    assert_int_equal(csv_open_file(&r, path, NULL, &e), 0);
    assert_int_equal(csv_is_compressed(r), 1);
    expect_rec(r, 1, 2, "a", "b");
    expect_rec(r, 2, 2, "1", "x,y");
    expect_eof(r);
    csv_close(r);
    unlink(path);
}

static void test_open_errors(void **state)
{
    (void)state;
    struct csv_reader *r = (struct csv_reader *)1;
    struct err e;
    err_clear(&e);
    assert_int_equal(csv_open_file(&r, "/nonexistent/x.csv", NULL, &e), ERR_NOTFOUND);
    assert_null(r);
    assert_non_null(strstr(e.msg, "/nonexistent/x.csv"));
    struct csv_opts o = {.delim = '"'};
    assert_int_equal(csv_open_mem(&r, "a", 1, &o, &e), ERR_INVALID);
    assert_null(r);
    csv_close(NULL);
}

/* A pseudo-random CSV over several blocks, with quotes, CRLF and newlines
 * inside fields placed across block boundaries; every source must agree. */
static char *make_big(size_t *len, long *nrec)
{
    size_t cap = 3u << 20, n = 0;
    char *b = malloc(cap);
    uint32_t x = 12345;
    long recs = 0;
    assert_non_null(b);
    while (n < cap - 200) {
        for (int f = 0; f < 4; f++) {
            x = x * 1103515245u + 12345u;
            int kind = (int)(x >> 16) % 5;
            int w = (int)(x >> 8) % 40;
            if (kind == 0) {
                static const char alpha[] = "ab,\"\n\r c;";
                b[n++] = '"';
                for (int i = 0; i < w; i++) {
                    b[n++] = alpha[i % 9];
                    if (alpha[i % 9] == '"')
                        b[n++] = '"';
                }
                b[n++] = '"';
            } else {
                for (int i = 0; i < w; i++)
                    b[n++] = (char)('a' + (x >> (i % 16)) % 26);
            }
            if (f < 3)
                b[n++] = ',';
        }
        if (x & 0x100000)
            b[n++] = '\r';
        b[n++] = '\n';
        recs++;
    }
    *len = n;
    *nrec = recs;
    return b;
}

static uint64_t digest(struct csv_reader *r, long *count)
{
    struct csv_record rec;
    uint64_t h = 1469598103934665603ull;
    int rc;
    *count = 0;
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec)) {
        (*count)++;
        h = (h ^ (uint64_t)rec.line) * 1099511628211ull;
        for (size_t i = 0; i < rec.nfields; i++) {
            for (size_t j = 0; j < rec.lens[i]; j++)
                h = (h ^ (unsigned char)rec.fields[i][j]) * 1099511628211ull;
            h = (h ^ 0x100) * 1099511628211ull;
        }
    }
    if (rc != 0)
        fail_msg("error %d at line %ld: %s", rc, csv_error(r)->line, csv_error(r)->msg);
    return h;
}

static void test_sources_agree(void **state)
{
    (void)state;
    size_t len;
    long nrec, count;
    char *big = make_big(&len, &nrec);
    struct csv_opts o = {.delim = ','};
    struct err e;

    struct csv_reader *r = open_str(big, len, &o);
    uint64_t want = digest(r, &count);
    assert_int_equal(count, nrec);
    csv_close(r);

    char path[] = "/tmp/test_csv_big_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, len), (ssize_t)len);

    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(csv_open_fd(&r, fd, &o, &e), 0);
    assert_true(digest(r, &count) == want);
    csv_close(r);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* still open: the caller's */
    close(fd);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(csv_open_stream(&r, f, &o, &e), 0);
    assert_true(digest(r, &count) == want);
    csv_close(r);
    fclose(f);

    /* tiny blocks: every state is cut somewhere */
    struct csv_opts small = o;
    small.block_size = 37;
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(csv_open_stream(&r, f, &small, &e), 0);
    assert_true(digest(r, &count) == want);
    csv_close(r);
    fclose(f);

    gzFile g = gzopen(path, "wb1");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, big, (unsigned)len), (int)len);
    gzclose(g);
    assert_int_equal(csv_open_file(&r, path, &o, &e), 0);
    assert_int_equal(csv_is_compressed(r), 1);
    assert_true(digest(r, &count) == want);
    csv_close(r);
    small.block_size = 16;
    assert_int_equal(csv_open_file(&r, path, &small, &e), 0);
    assert_true(digest(r, &count) == want);
    csv_close(r);
    unlink(path);
    free(big);
}

/* ---- real data ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_online_retail(void **state)
{
    (void)state;
    if (access(RETAIL, R_OK) != 0) {
        print_message("skipped: %s is absent\n", RETAIL);
        skip();
    }
    struct csv_reader *r;
    struct csv_record rec;
    struct err e;
    long rows = 0;
    int rc;

    /* pass 1: reading only, timed */
    double t0 = now_s();
    assert_int_equal(csv_open_file(&r, RETAIL, NULL, &e), 0);
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec))
        rows++;
    double t1 = now_s();
    assert_int_equal(rc, 0);
    assert_int_equal(rows, 541910);
    csv_close(r);
    print_message("online_retail: %ld records read in %.3f s\n", rows - 1, t1 - t0);

    /* pass 2: every value parsed */
    struct num_opts mills = {.decimals = 3, .decimal_sep = '.'};
    int64_t sum = 0, first = INT64_MAX, last = INT64_MIN;
    long no_customer = 0, gbp = 0;
    rows = 0;
    assert_int_equal(csv_open_file(&r, RETAIL, NULL, &e), 0);
    assert_int_equal(csv_next(r, &rec), 1);
    assert_string_equal(rec.fields[0], "InvoiceNo");
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec)) {
        int64_t q = 0, p = 0, t = 0;
        char id[32];
        rows++;
        assert_int_equal(rec.nfields, 8);
        if (num_parse_int(&q, rec.fields[3], NULL, &e) < 0 ||
            num_parse_amount(&p, NULL, rec.fields[5], &mills, &e) < 0 ||
            num_parse_date(&t, rec.fields[4], NUM_DMY, &e) < 0)
            fail_msg("line %ld: %s", rec.line, e.msg);
        sum += q * p;
        first = t < first ? t : first;
        last = t > last ? t : last;
        if (rec.lens[6] == 0)
            no_customer++;
        else if (num_clean_id(id, sizeof(id), rec.fields[6], &e) < 0 || strchr(id, '.'))
            fail_msg("line %ld: bad id '%s'", rec.line, rec.fields[6]);
        gbp += strstr(rec.fields[2], "\xC2\xA3") != NULL;
    }
    assert_int_equal(rc, 0);
    double t2 = now_s();
    assert_int_equal(rows, 541909);
    /* exactly 9,747,747.934, which the data README rounds to 9,747,747.93 */
    assert_int_equal(sum, 9747747934LL);
    assert_int_equal((sum + 5) / 10, 974774793LL);
    assert_int_equal(no_customer, 135080);
    assert_int_equal(gbp, 32);
    assert_int_equal(csv_encoding(r), CSV_ENC_UTF8);
    int64_t d0, d1;
    assert_int_equal(num_parse_date(&d0, "2010-12-01 08:26", NUM_DMY, &e), 0);
    assert_int_equal(num_parse_date(&d1, "9/12/2011 12:50", NUM_DMY, &e), 0);
    assert_int_equal(first, d0);
    assert_int_equal(last, d1);
    csv_close(r);
    print_message("online_retail: %ld rows, sum(Quantity x UnitPrice) = %lld.%03lld, "
                  "read and parsed in %.3f s\n",
                  rows, (long long)(sum / 1000), (long long)(sum % 1000), t2 - t1);
}

static void test_hexasmal(void **state)
{
    (void)state;
    if (access(HEXASMAL, R_OK) != 0) {
        print_message("skipped: %s is absent\n", HEXASMAL);
        skip();
    }
    struct csv_reader *r;
    struct csv_record rec;
    struct err e;
    long rows = 0, no_gps = 0;
    int rc;
    assert_int_equal(csv_open_file(&r, HEXASMAL, NULL, &e), 0);
    assert_int_equal(csv_delimiter(r), ';');
    assert_int_equal(csv_next(r, &rec), 1);
    assert_int_equal(rec.nfields, 6);
    assert_string_equal(rec.fields[4], "Libell\xC3\xA9_d_acheminement");
    for (rc = csv_next(r, &rec); rc == 1; rc = csv_next(r, &rec)) {
        rows++;
        assert_int_equal(rec.nfields, 6);
        no_gps += rec.lens[5] == 0;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rows, 39192);
    assert_int_equal(no_gps, 270);
    csv_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_embedded_newlines),
        cmocka_unit_test(test_line_ends_and_blank_lines),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_delimiter_detection),
        cmocka_unit_test(test_latin1_and_cp1252),
        cmocka_unit_test(test_utf8_kept_and_checked),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unbalanced_quote),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_sources_agree),
        cmocka_unit_test(test_online_retail),
        cmocka_unit_test(test_hexasmal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
