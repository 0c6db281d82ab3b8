/*
 * libFuzzer driver for analytics/segexpr: any input is compiled against a
 * catalogue with every field type; a refusal must name a position inside the
 * input with a message; an expression that compiles must evaluate over a few
 * customers (missing values included, across a word boundary) without reading
 * or writing out of bounds or leaving bits set past the last customer.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/segexpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct segx_field fields[] = {
    {"kind", SEGX_STR, "person|organization|guest", NULL},
    {"city", SEGX_STR, NULL, NULL},
    {"revenue", SEGX_NUM, NULL, NULL},
    {"last_purchase", SEGX_DATE, NULL, NULL},
    {"tags", SEGX_SET, NULL, NULL},
    {"at_risk", SEGX_BOOL, NULL, NULL},
    {"consent.email", SEGX_STR, "granted|denied", NULL},
};
#define NF (sizeof(fields) / sizeof(fields[0]))
#define N 70 /* two bitset words */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = 0;
    size_t len = strlen(src);
    struct segx *x = NULL;
    struct segx_error e;
    if (segx_compile(src, fields, NF, 20635, &x, &e)) {
        if (x || !e.msg[0] || (len <= SEGX_MAX_LEN && e.pos > len))
            abort();
        free(src);
        return 0;
    }
    static const char *const kinds[] = {NULL, "person", "organization", "guest"};
    static const char *const words[] = {NULL, "Paris", "vip", "", "granted", "denied"};
    uint32_t code[N], kcode[N], ccode[N], start[N + 1], items[2 * N];
    double num[N];
    int32_t day[N];
    uint8_t flag[N];
    size_t k = 0;
    for (size_t i = 0; i < N; i++) {
        kcode[i] = (uint32_t)(i % 4);
        code[i] = (uint32_t)(i % 6);
        ccode[i] = (uint32_t)(i % 3 ? 4 + i % 2 : 0);
        num[i] = i % 7 ? (double)i * 10 - 100 : NAN;
        day[i] = i % 5 ? 20635 - (int32_t)(i * 13) : INT32_MIN;
        flag[i] = (uint8_t)(i & 1);
        start[i] = (uint32_t)k;
        for (size_t j = 0; j < i % 3; j++)
            items[k++] = (uint32_t)(1 + (i + j) % 5);
    }
    start[N] = (uint32_t)k;
    struct segx_column cols[NF] = {
        {.code = kcode, .dict = kinds, .ndict = 4},
        {.code = code, .dict = words, .ndict = 6},
        {.num = num},
        {.day = day},
        {.start = start, .items = items, .dict = words, .ndict = 6},
        {.flag = flag},
        {.code = ccode, .dict = words, .ndict = 6},
    };
    uint64_t bits[SEGX_WORDS(N)];
    if (segx_eval(x, cols, N, bits) == 0 && (bits[SEGX_WORDS(N) - 1] >> (N % 64)) != 0)
        abort();
    segx_free(x);
    free(src);
    return 0;
}
