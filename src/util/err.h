/*
 * Errors: every fallible function returns 0 or a negative error kind and fills
 * a struct err with a message and, for validation errors, the offending field.
 * The HTTP layer maps kinds to status codes in one place (http/reply.c).
 */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H

enum err_kind {
    ERR_OK = 0,
    ERR_INVALID = -1,     /* a value fails validation (422); field says which */
    ERR_BADREQ = -2,      /* malformed request: bad JSON, bad query string (400) */
    ERR_NOTFOUND = -3,    /* no such record (404) */
    ERR_EXISTS = -4,      /* unique key already taken (409) */
    ERR_CONFLICT = -5,    /* stale update or illegal state transition (409) */
    ERR_UNAUTH = -6,      /* not signed in or bad credentials (401) */
    ERR_FORBIDDEN = -7,   /* signed in but the role does not allow it (403) */
    ERR_TOOLARGE = -8,    /* body or field over its limit (413) */
    ERR_MEDIATYPE = -9,   /* unsupported content type (415) */
    ERR_THROTTLED = -10,  /* too many attempts (429) */
    ERR_INTERNAL = -11,   /* a bug or an I/O failure (500) */
    ERR_UNAVAILABLE = -12 /* a dependency is down, retry later (503) */
};

struct err {
    int kind;       /* enum err_kind */
    char field[96]; /* JSON pointer-ish name of the offending field, or "" */
    char msg[256];  /* lower-case human message */
};

/* Fills e (may be NULL) and returns kind, so callers write
 * `return err_set(e, ERR_INVALID, "email", "not an e-mail address");` */
int err_set(struct err *e, int kind, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resets e to "no error". */
void err_clear(struct err *e);

/* Short machine name of a kind: "invalid", "not-found", ... (problem type). */
const char *err_kind_name(int kind);

#endif
