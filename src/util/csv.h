/*
 * Streaming CSV reader (RFC 4180 plus what real exports do): plain or gzip
 * input from a path, a file descriptor, a FILE* or memory; delimiter and
 * encoding detection; bounded memory whatever the input.
 */
#ifndef UTIL_CSV_H
#define UTIL_CSV_H
#include <stddef.h>
#include <stdio.h>

struct err;

/*
 * What the reader accepts:
 * - gzip input is recognised by its magic bytes (1f 8b) and decompressed on
 *   the fly, whatever the source; concatenated gzip members are read in turn;
 *   anything else after the gzip data is an error. A corrupt or truncated
 *   stream gives CSV_EIO after the records decoded before the damage.
 * - A UTF-8 byte order mark is skipped (and fixes the encoding to UTF-8).
 * - Fields are separated by the delimiter, records end at LF, CRLF or a lone
 *   CR. A field starting with `"` is quoted: it may hold delimiters, line ends
 *   and `""` for one quote. Leniencies, as in most readers: a quote inside an
 *   unquoted field is a literal character, and text after a closing quote is
 *   appended to the field (`"ab"c` reads `abc`).
 * - Empty lines (no byte at all between two line ends) are skipped; they are
 *   counted in line numbers.
 * - Encoding: valid UTF-8 is kept; otherwise the input is Windows-1252 (a
 *   superset of the printable Latin-1) and is converted to UTF-8. With
 *   CSV_ENC_AUTO the choice is made once, on the first block read (up to
 *   256 KiB), or when that block is pure ASCII, on the first record holding a
 *   non-ASCII byte; it then holds for the whole input, so a later record that
 *   is not valid UTF-8 in a file taken as UTF-8 is an error (CSV_EENCODING).
 * - Every field handed out is NUL-terminated valid UTF-8 without NUL bytes
 *   (a NUL in the input is an error), so strlen(fields[i]) == lens[i].
 * - Memory: two blocks (one for memory input) and the record,
 *   at most 4 x max_record bytes plus 3 pointers a field, whatever the input
 *   (a 2 GB line costs no more than a 2 MB one: CSV_ETOOLONG comes as soon
 *   as the limit is crossed, and the next call skips the rest of the line).
 */

enum csv_encoding {
    CSV_ENC_AUTO = 0, /* detect (see above); csv_encoding() tells the result */
    CSV_ENC_UTF8,     /* input is UTF-8: invalid sequences are errors */
    CSV_ENC_CP1252    /* input is Windows-1252 / Latin-1: always converted */
};

/* Options; a zeroed struct (or NULL) means the defaults shown. */
struct csv_opts {
    char delim;           /* 0: detect among , ; TAB | from the first records */
    int encoding;         /* enum csv_encoding, default CSV_ENC_AUTO */
    size_t max_field;     /* bytes per field after conversion, default 256 KiB */
    size_t max_record;    /* bytes per record after conversion, default 1 MiB */
    size_t max_fields;    /* fields per record, default 4096 */
    size_t expect_fields; /* fields per record; 0: as many as the first record */
    size_t block_size;    /* bytes read (or inflated) at a time from files, default
                             256 KiB, at least 16; the delimiter is detected
                             within the first block */
};

#define CSV_DEFAULT_MAX_FIELD (256u * 1024u)
#define CSV_DEFAULT_MAX_RECORD (1024u * 1024u)
#define CSV_DEFAULT_MAX_FIELDS 4096u
#define CSV_DEFAULT_BLOCK_SIZE (256u * 1024u)

/* Results of csv_next(). "Skipped" errors drop one record and the next call
 * goes on with the following one; "fatal" errors end the reading (every later
 * call returns the same error). */
enum csv_code {
    CSV_EIO = -1,       /* fatal: read error, corrupt or truncated gzip */
    CSV_EQUOTE = -2,    /* fatal: a quoted field still open at end of input */
    CSV_ENOMEM = -3,    /* fatal: out of memory */
    CSV_ETOOLONG = -4,  /* skipped: field, record or field count over its limit */
    CSV_ENUL = -5,      /* skipped: NUL byte in the record */
    CSV_EENCODING = -6, /* skipped: invalid UTF-8 in input taken as UTF-8 */
    CSV_ERAGGED = -7    /* record delivered all the same: field count differs
                           from the header's (or opts.expect_fields) */
};

/* Where and what went wrong. line is the 1-based physical line where the
 * record starts (0 before the first record); column the 1-based field index,
 * 0 when the error is not about one field. msg has no position in it. */
struct csv_error {
    int code; /* enum csv_code, 0 when no error */
    long line;
    int column;
    char msg[200];
};

/* One record. Owned by the reader: valid until the next csv_next() or
 * csv_close(); copy what must outlive it. */
struct csv_record {
    size_t nfields;
    const char *const *fields; /* NUL-terminated UTF-8 */
    const size_t *lens;        /* byte lengths, without the NUL */
    long line;                 /* 1-based physical line where it starts */
};

struct csv_reader;

/*
 * Opening. *out receives a reader the caller frees with csv_close(); opts may
 * be NULL. The first block is read at once, so the delimiter and (usually)
 * the encoding are known on return. Errors: ERR_NOTFOUND (no such file),
 * ERR_INVALID (bad options, UTF-16 input), ERR_INTERNAL (I/O, corrupt gzip,
 * memory), message in e; *out is then NULL.
 *   csv_open_file   opens and owns path ("-" is standard input).
 *   csv_open_fd     reads fd, which stays the caller's (not closed).
 *   csv_open_stream reads f with fread, which stays the caller's.
 *   csv_open_mem    reads len bytes at data, which must outlive the reader
 *                   (not copied).
 */
int csv_open_file(struct csv_reader **out, const char *path, const struct csv_opts *opts,
                  struct err *e);
int csv_open_fd(struct csv_reader **out, int fd, const struct csv_opts *opts, struct err *e);
int csv_open_stream(struct csv_reader **out, FILE *f, const struct csv_opts *opts, struct err *e);
int csv_open_mem(struct csv_reader **out, const void *data, size_t len, const struct csv_opts *opts,
                 struct err *e);

/*
 * Reads the next record into *rec (the header is the first record, nothing
 * special). Returns 1 with a record, 0 at end of input, or a negative
 * enum csv_code with the details in csv_error(r). On CSV_ERAGGED *rec is
 * filled; on other errors it is not. After a skipped error, calling again
 * goes on with the next record, so a dry run can report every problem.
 */
int csv_next(struct csv_reader *r, struct csv_record *rec);

/* The last error of csv_next (code 0 when the last call succeeded). */
const struct csv_error *csv_error(const struct csv_reader *r);

/* Copies the last error into e (may be NULL) as "line L, column C: msg", kind
 * ERR_TOOLARGE for CSV_ETOOLONG, ERR_INTERNAL for I/O and memory, otherwise
 * ERR_INVALID, and returns the kind; 0 when there is no error. e->field is
 * left empty: the caller knows the column's name. */
int csv_error_to_err(const struct csv_reader *r, struct err *e);

/* Writing. A cell for a CSV file (RFC 4180 quoting), appended to b after
 * a comma unless first. safe: text from people, neutralised so a
 * spreadsheet shows it as text and never runs it as a formula (a leading
 * ' before = + - @ tab or CR). */
struct sbuf;
void csv_put_cell(struct sbuf *b, const char *v, int safe, int first);
/* The neutralised text of in into out (len bytes). */
void csv_cell_safe(const char *in, char *out, size_t len);

/* The delimiter in use (detected or given). */
char csv_delimiter(const struct csv_reader *r);
/* The encoding decided so far: CSV_ENC_AUTO while the input was pure ASCII. */
int csv_encoding(const struct csv_reader *r);
/* 1 when the input was gzip or zlib compressed. */
int csv_is_compressed(const struct csv_reader *r);

/* Frees the reader and closes what it opened. NULL is accepted. */
void csv_close(struct csv_reader *r);

#endif
