/* Unit tests for util/strmap: first value kept, growth past many keys,
 * absent keys, similar keys kept apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util/strmap.h"

static void first_value_stays(void **state)
{
    (void)state;
    struct strmap m = {0};
    assert_int_equal(strmap_get(&m, "a@example.fr"), 0);
    assert_int_equal(strmap_add(&m, "a@example.fr", 7), 1);
    assert_int_equal(strmap_add(&m, "a@example.fr", 9), 0);
    assert_int_equal(strmap_get(&m, "a@example.fr"), 7);
    assert_int_equal(strmap_get(&m, "A@example.fr"), 0);
    assert_int_equal(strmap_get(&m, ""), 0);
    assert_int_equal(strmap_add(&m, "", 3), 1);
    assert_int_equal(strmap_get(&m, ""), 3);
    strmap_free(&m);
    assert_int_equal(strmap_get(&m, "a@example.fr"), 0);
}

static void grows_and_keeps_every_key(void **state)
{
    (void)state;
    struct strmap m = {0};
    char k[32];
    for (int i = 1; i <= 100000; i++) {
        snprintf(k, sizeof(k), "c%d@mail.fr", i);
        assert_int_equal(strmap_add(&m, k, i), 1);
    }
    assert_int_equal(m.n, 100000);
    for (int i = 1; i <= 100000; i++) {
        snprintf(k, sizeof(k), "c%d@mail.fr", i);
        assert_int_equal(strmap_get(&m, k), i);
    }
    snprintf(k, sizeof(k), "c%d@mail.fr", 100001);
    assert_int_equal(strmap_get(&m, k), 0);
    assert_int_equal(m.oom, 0);
    strmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_value_stays),
        cmocka_unit_test(grows_and_keeps_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
