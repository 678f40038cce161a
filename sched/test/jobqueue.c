/* Unit tests for sched/job-manager/queue.c: what [queues.NAME] and
 * [policy] may say, which queue a job goes to, the admission checks, and
 * the states as they are stored and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sched/job-manager/queue.h"

static json_t *J (const char *text)
{
    json_t *o = json_loads (text, 0, NULL);
    assert_non_null (o);
    return o;
}

/* parse queues (and policy) and expect a failure whose text has want */
static void refused (const char *queues, const char *policy, const char *want)
{
    struct jmq_set set;
    eddy_error_t err = { .text = "" };
    json_t *q = queues ? J (queues) : NULL, *p = policy ? J (policy) : NULL;

    assert_int_equal (jmq_set_parse (&set, q, p, &err), -1);
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, want))
        fail_msg ("'%s' does not say '%s'", err.text, want);
    json_decref (q);
    json_decref (p);
}

static void no_queues_is_one_anonymous_default (void **state)
{
    struct jmq_set set;
    eddy_error_t err;
    char text[256];

    assert_int_equal (jmq_set_parse (&set, NULL, NULL, &err), 0);
    assert_int_equal (set.n, 1);
    assert_int_equal (set.def, 0);
    assert_true (set.q[0].enabled && set.q[0].started);
    assert_string_equal (jmq_display_name (&set.q[0]), "default");
    assert_ptr_equal (jmq_lookup (&set, NULL, text, sizeof (text)), &set.q[0]);
    assert_null (jmq_lookup (&set, "batch", text, sizeof (text)));
    assert_non_null (strstr (text, "'batch' does not exist"));
    assert_null (jmq_lookup (&set, "", text, sizeof (text)));
    jmq_set_clear (&set);
}

static void named_queues_in_name_order_with_limits (void **state)
{
    struct jmq_set set;
    eddy_error_t err;
    json_t *q = J ("{\"debug\":{\"resources\":\"2-3\",\"policy\":{\"limits\":{\"duration\":\"1m\","
                   "\"job-size\":{\"max\":{\"nnodes\":1,\"ncores\":2}}}}},"
                   "\"batch\":{\"default\":true,\"requires\":[\"big\"]}}");

    assert_int_equal (jmq_set_parse (&set, q, NULL, &err), 0);
    assert_int_equal (set.n, 2);
    assert_string_equal (set.q[0].name, "batch");
    assert_string_equal (set.q[1].name, "debug");
    assert_int_equal (set.def, 0);
    assert_int_equal (set.q[1].max_nnodes, 1);
    assert_int_equal (set.q[1].max_ncores, 2);
    assert_true (set.q[1].max_duration == 60.0);
    assert_string_equal (set.q[1].resources, "2-3");
    assert_null (set.q[0].resources);
    assert_string_equal (json_string_value (json_array_get (set.q[0].requires, 0)), "big");
    jmq_set_clear (&set);
    json_decref (q);
}

static void policy_names_the_default (void **state)
{
    struct jmq_set set;
    eddy_error_t err;
    char text[256];
    json_t *q = J ("{\"a\":{},\"b\":{}}");
    json_t *p = J ("{\"jobspec\":{\"defaults\":{\"system\":{\"queue\":\"b\"}}}}");

    assert_int_equal (jmq_set_parse (&set, q, p, &err), 0);
    assert_int_equal (set.def, 1);
    assert_string_equal (jmq_lookup (&set, NULL, text, sizeof (text))->name, "b");
    jmq_set_clear (&set);
    /* without a default, a job must name its queue */
    assert_int_equal (jmq_set_parse (&set, q, NULL, &err), 0);
    assert_int_equal (set.def, -1);
    assert_null (jmq_lookup (&set, NULL, text, sizeof (text)));
    assert_non_null (strstr (text, "no default queue"));
    jmq_set_clear (&set);
    json_decref (q);
    json_decref (p);
}

static void bad_tables_are_refused_with_the_key (void **state)
{
    refused ("{\"a\":{\"default\":1}}", NULL, "queues.a.default: expected a boolean");
    refused ("{\"a\":{\"resources\":\"x[\"}}", NULL, "queues.a.resources");
    refused ("{\"a\":{\"resources\":3}}", NULL, "queues.a.resources: expected a string");
    refused ("{\"a\":{\"requires\":\"big\"}}", NULL, "queues.a.requires");
    refused ("{\"a\":{\"policy\":{\"limits\":{\"duration\":\"soon\"}}}}", NULL,
             "queues.a.policy.limits.duration");
    refused ("{\"a\":{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"nnodes\":0}}}}}}", NULL,
             "job-size.max.nnodes: expected an integer >= 1, or -1 for none");
    refused ("{\"a\":{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"nslots\":1}}}}}}", NULL,
             "job-size.max.nslots: unknown key");
    refused ("{\"a\":{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"ngpus\":-2}}}}}}", NULL,
             "job-size.max.ngpus: expected an integer >= 1, or -1");
    refused ("{\"a\":{\"default\":true},\"b\":{\"default\":true}}", NULL,
             "both a and b are the default");
    refused ("{\"a b\":{}}", NULL, "a queue's name");
    refused ("{\"a\":{}}", "{\"jobspec\":{\"defaults\":{\"system\":{\"queue\":\"z\"}}}}",
             "'z' is not a queue");
    refused (NULL, "{\"jobspec\":{\"defaults\":{\"system\":{\"queue\":\"z\"}}}}",
             "no [queues] table");
    refused ("{\"a\":[]}", NULL, "queues.a: expected a table");
}

static void admission_checks_state_and_limits (void **state)
{
    struct jmq_set set;
    eddy_error_t err;
    char text[256];
    json_t *q = J ("{\"d\":{\"policy\":{\"limits\":{\"duration\":60,"
                   "\"job-size\":{\"max\":{\"nnodes\":2,\"ncores\":4,\"ngpus\":2}}}}},"
                   "\"u\":{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"nnodes\":-1}}}}}}");

    assert_int_equal (jmq_set_parse (&set, q, NULL, &err), 0);
    struct jmq *d = &set.q[0];
    assert_int_equal (jmq_admit (d, 2, 4, 0, 60, text, sizeof (text)), 0);
    assert_int_equal (jmq_admit (d, 3, 4, 0, 60, text, sizeof (text)), -1);
    assert_non_null (strstr (text, "3 nodes exceed its limit of 2"));
    assert_int_equal (jmq_admit (d, 1, 5, 0, 60, text, sizeof (text)), -1);
    assert_non_null (strstr (text, "5 cores exceed its limit of 4"));
    assert_int_equal (jmq_admit (d, 1, 1, 3, 60, text, sizeof (text)), -1);
    assert_non_null (strstr (text, "3 GPUs exceed its limit of 2"));
    assert_int_equal (jmq_admit (d, 1, 1, 2, 60, text, sizeof (text)), 0);
    assert_int_equal (jmq_admit (d, 1, 1, 0, 61, text, sizeof (text)), -1);
    assert_non_null (strstr (text, "exceeds its limit of 60s"));
    assert_int_equal (jmq_admit (d, 1, 1, 0, 0, text, sizeof (text)), -1);
    assert_non_null (strstr (text, "needs a time limit"));
    struct jmq *u = jmq_lookup (&set, "u", text, sizeof (text));
    assert_non_null (u);
    assert_int_equal (jmq_admit (u, 100000, 1, 0, 0, text, sizeof (text)), 0); /* -1: none */
    assert_int_equal (jmq_set_state (d, "disable", "maintenance"), 0);
    assert_int_equal (jmq_admit (d, 1, 1, 0, 10, text, sizeof (text)), -1);
    assert_string_equal (text, "queue d is disabled: maintenance");
    assert_int_equal (jmq_set_state (d, "enable", NULL), 0);
    assert_null (d->disable_reason);
    assert_int_equal (jmq_admit (d, 1, 1, 0, 10, text, sizeof (text)), 0);
    assert_int_equal (jmq_set_state (d, "pause", NULL), -1);
    assert_int_equal (errno, EINVAL);
    jmq_set_clear (&set);
    json_decref (q);
}

static void states_round_trip_and_survive_a_reload (void **state)
{
    struct jmq_set set, again, reloaded;
    eddy_error_t err;
    json_t *q = J ("{\"a\":{},\"b\":{}}"), *q2 = J ("{\"b\":{},\"c\":{}}");

    assert_int_equal (jmq_set_parse (&set, q, NULL, &err), 0);
    assert_int_equal (jmq_set_state (&set.q[0], "stop", "drained for the weekend"), 0);
    assert_int_equal (jmq_set_state (&set.q[1], "disable", NULL), 0);
    json_t *s = jmq_states_json (&set);
    assert_non_null (s);

    /* read back, as after a restart */
    assert_int_equal (jmq_set_parse (&again, q, NULL, &err), 0);
    assert_int_equal (jmq_states_apply (&again, s), 0);
    assert_false (again.q[0].started);
    assert_string_equal (again.q[0].stop_reason, "drained for the weekend");
    assert_true (again.q[0].enabled);
    assert_false (again.q[1].enabled);
    assert_null (again.q[1].disable_reason);

    /* a reload keeps the states of the queues that stay */
    assert_int_equal (jmq_set_parse (&reloaded, q2, NULL, &err), 0);
    jmq_set_keep_states (&reloaded, &again);
    assert_false (reloaded.q[0].enabled); /* b */
    assert_true (reloaded.q[1].enabled && reloaded.q[1].started); /* c is new */

    json_t *bad = J ("{\"a\":{\"enabled\":\"yes\"}}");
    assert_int_equal (jmq_states_apply (&again, bad), -1);
    json_decref (bad);
    json_decref (s);
    json_decref (q);
    json_decref (q2);
    jmq_set_clear (&set);
    jmq_set_clear (&again);
    jmq_set_clear (&reloaded);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (no_queues_is_one_anonymous_default),
        cmocka_unit_test (named_queues_in_name_order_with_limits),
        cmocka_unit_test (policy_names_the_default),
        cmocka_unit_test (bad_tables_are_refused_with_the_key),
        cmocka_unit_test (admission_checks_state_and_limits),
        cmocka_unit_test (states_round_trip_and_survive_a_reload),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
