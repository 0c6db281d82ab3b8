/*
 * Files compiled into the binary by tools/embed (migrations, web assets).
 * Each table ends with an entry whose name is NULL.
 */
#ifndef UTIL_EMBEDDED_H
#define UTIL_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
    const char *name;          /* path relative to the embedded root */
    const unsigned char *data; /* NUL-terminated, len bytes before the NUL */
    size_t len;
};

/* the store's SQL migrations: "sqlite/0001_init.sql", ... in order */
extern const struct embedded_file migrations_files[];

#endif
