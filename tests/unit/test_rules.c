/* Unit tests for app/rules, app/rules_engine and app/actions: validation paths,
 * placeholders, the depth cut (the backstop behind the loop refusal), bad
 * scores, and windows/waits on a real database with RELATIO_NOW. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/actions.h"
#include "app/customers.h"
#include "app/events.h"
#include "app/rules.h"
#include "app/rules_engine.h"
#include "store/store.h"
#include "util/timeu.h"
#undef fail /* app.h's shorthand; cmocka has its own */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct fx {
    char dir[64], db[96];
    struct app app;
    struct ctx c;
    int64_t cid;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/relatio-rules-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
    setenv("RELATIO_NOW", "2026-06-01T10:00:00Z", 1);
    struct err e = {0};
    assert_int_equal(app_init(&f->app, f->db, &e), 0);
    assert_int_equal(ctx_init(&f->c, &f->app, NULL), 0);
    json_t *p =
        json_pack("{s:s,s:s,s:s}", "kind", "person", "first_name", "Ada", "last_name", "Lovelace");
    assert_int_equal(customer_create(&f->c, p, &f->cid, NULL), 0);
    json_decref(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    app_release(&f->app);
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", f->db, suffix[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Validates def (JSON text); returns the error field ("" when valid). */
static const char *check(struct fx *f, const char *text)
{
    static char field[96];
    json_t *def = json_loads(text, 0, NULL);
    assert_non_null(def);
    err_clear(&f->c.err);
    int rc = rule_validate(&f->c, def, 0, 1);
    json_decref(def);
    snprintf(field, sizeof(field), "%s", rc ? f->c.err.field : "");
    return field;
}

static void test_validation_paths(void **state)
{
    struct fx *f = *state;
    assert_string_equal(check(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"order.placed\"},"
                                 "\"steps\":[{\"action\":\"tag\",\"tag\":\"x\"}]}"),
                        "");
    assert_string_equal(check(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"x.y\"},"
                                 "\"steps\":[{\"action\":\"tag\",\"tag\":\"x\"}]}"),
                        "definition.trigger.event");
    assert_string_equal(check(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"order.placed\"},"
                                 "\"steps\":[{\"wait\":{\"hours\":2}},{\"action\":\"webhook\"}]}"),
                        "definition.steps[1].url");
    assert_string_equal(
        check(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"survey.answered\"},"
                 "\"conditions\":[{\"field\":\"event.data.score\",\"op\":\"bad_score\"},"
                 "{\"field\":\"customer.shoe\",\"op\":\"eq\",\"value\":1}],"
                 "\"steps\":[{\"action\":\"flag\",\"flag\":\"at_risk\"}]}"),
        "definition.conditions[1].field");
    assert_string_equal(check(f, "{\"trigger\":{\"type\":\"schedule\",\"audience\":\"sleepy\"},"
                                 "\"steps\":[{\"action\":\"tag\",\"tag\":\"x\"}]}"),
                        "definition.trigger.audience");
    assert_string_equal(check(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"customer.tagged\"},"
                                 "\"steps\":[{\"action\":\"tag\",\"tag\":\"again\"}]}"),
                        "definition.steps[0].action"); /* would loop on itself */
    assert_string_equal(check(f, "[]"), "definition");
}

static void test_expand(void **state)
{
    (void)state;
    json_t *ctxj = json_pack("{s:{s:s,s:{s:s,s:i,s:f}}}", "event", "type", "interest.noted", "data",
                             "offer", "Box Beauté", "score", 2, "ratio", 0.5);
    struct action_env env = {7, 9, 42, "My rule", 0, ctxj};
    char *s =
        action_expand(&env, "{{ event.data.offer }} for {{customer.id}} ({{event.type}}, "
                            "{{event.data.score}}, {{event.data.ratio}}, {{rule.name}}){{x}}");
    assert_string_equal(s, "Box Beauté for 42 (interest.noted, 2, 0.5, My rule)");
    free(s);
    s = action_expand(&env, "no placeholder {{ unterminated");
    assert_string_equal(s, "no placeholder {{ unterminated");
    free(s);
    json_decref(ctxj);
}

static int64_t add_rule(struct fx *f, const char *def)
{
    json_t *in = json_pack("{s:s,s:b,s:o}", "name", "t", "enabled", 1, "definition",
                           json_loads(def, 0, NULL));
    json_t *out = NULL;
    assert_int_equal(rule_create(&f->c, in, &out), 0);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(in);
    json_decref(out);
    return id;
}

static int64_t count(struct fx *f, const char *sql, int64_t id)
{
    int64_t n = -1;
    assert_int_equal(store_int(f->c.st, &n, &f->c.err, sql, "i", id), 0);
    return n;
}

static void emit(struct fx *f, const char *type, int64_t cid, json_t *data)
{
    assert_int_equal(store_begin(f->c.st, &f->c.err), 0);
    assert_int_equal(event_emit(&f->c, type, cid, NULL, 0, data, NULL), 0);
    assert_int_equal(store_commit(f->c.st, &f->c.err), 0);
    json_decref(data);
}

static void test_depth_cut(void **state)
{
    struct fx *f = *state;
    int64_t r = add_rule(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"customer.flagged\"},"
                            "\"steps\":[{\"action\":\"tag\",\"tag\":\"seen\"}]}");
    /* an event already RULES_MAX_DEPTH hops deep (a chain through services the
     * static check cannot see) is cut, not acted on */
    emit(f, "customer.flagged", f->cid,
         json_pack("{s:s,s:i}", "flag", "x", "depth", RULES_MAX_DEPTH));
    emit(f, "customer.flagged", f->cid, json_pack("{s:s,s:i}", "flag", "y", "depth", 1));
    struct rules_stats st = {0};
    assert_int_equal(rules_consume(&f->c, 100, &st), 0);
    assert_int_equal(st.cut, 1);
    assert_int_equal(st.runs, 1);
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM rule_firings WHERE rule_id = ? AND status = 'cut'", r), 1);
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM rule_firings WHERE rule_id = ? AND status = 'done'", r), 1);
    /* the tag it added emitted customer.tagged one hop deeper */
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM events WHERE type = 'customer.tagged' AND data "
                           "LIKE '%\"depth\":2%' AND customer_id = ?",
                           f->cid),
                     1);
}

static void test_bad_score_and_window(void **state)
{
    struct fx *f = *state;
    int64_t r =
        add_rule(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"survey.answered\"},"
                    "\"conditions\":[{\"field\":\"event.data.score\",\"op\":\"bad_score\"}],"
                    "\"steps\":[{\"action\":\"flag\",\"flag\":\"at_risk\"}],"
                    "\"once_per\":{\"days\":30}}");
    emit(f, "survey.answered", f->cid,
         json_pack("{s:s,s:i,s:i}", "kind", "csat", "score", 3, "scale_max", 5));
    emit(f, "survey.answered", f->cid,
         json_pack("{s:s,s:i,s:i}", "kind", "nps", "score", 7, "scale_max", 10));
    emit(f, "survey.answered", f->cid,
         json_pack("{s:s,s:i,s:i}", "kind", "csat", "score", 4, "scale_max", 10)); /* 2 of 5 */
    emit(f, "survey.answered", f->cid,
         json_pack("{s:s,s:i,s:i}", "kind", "nps", "score", 2, "scale_max", 10));
    struct rules_stats st = {0};
    assert_int_equal(rules_consume(&f->c, 100, &st), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM rule_runs WHERE rule_id = ?", r),
                     1); /* window */
    setenv("RELATIO_NOW", "2026-07-02T10:00:00Z", 1);
    emit(f, "survey.answered", f->cid,
         json_pack("{s:s,s:i,s:i}", "kind", "nps", "score", 0, "scale_max", 10));
    assert_int_equal(rules_consume(&f->c, 100, &st), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM rule_runs WHERE rule_id = ?", r),
                     2); /* next window */
    setenv("RELATIO_NOW", "2026-06-01T10:00:00Z", 1);
}

static void test_wait_resumes_once(void **state)
{
    struct fx *f = *state;
    int64_t r = add_rule(f, "{\"trigger\":{\"type\":\"event\",\"event\":\"interest.noted\"},"
                            "\"steps\":[{\"wait\":{\"hours\":5}},{\"action\":\"tag\",\"tag\":\"{{"
                            "event.data.offer}}\"}]}");
    emit(f, "interest.noted", f->cid, json_pack("{s:s,s:s}", "offer", "spa", "channel", "store"));
    struct rules_stats st = {0};
    assert_int_equal(rules_tick(&f->c, 1, &st), 0);
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM rule_runs WHERE rule_id = ? AND status = 'waiting'", r), 1);
    setenv("RELATIO_NOW", "2026-06-01T14:59:59Z", 1);
    assert_int_equal(rules_tick(&f->c, 1, &st), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM rule_firings WHERE rule_id = ?", r), 0);
    setenv("RELATIO_NOW", "2026-06-01T15:00:00Z", 1);
    assert_int_equal(rules_tick(&f->c, 1, &st), 0);
    assert_int_equal(rules_tick(&f->c, 1, &st), 0);
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM rule_firings WHERE rule_id = ? AND action = 'tag'", r), 1);
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM customer_tags WHERE tag = 'spa' AND customer_id = ?",
              f->cid),
        1);
    setenv("RELATIO_NOW", "2026-06-01T10:00:00Z", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_validation_paths, setup, teardown),
        cmocka_unit_test(test_expand),
        cmocka_unit_test_setup_teardown(test_depth_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_score_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_resumes_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
