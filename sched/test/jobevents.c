/* Unit tests for sched/job-manager/events.c: an active job's entries kept
 * as eventlog text, appended one by one or set from a restart's array, and
 * decoded back to what was appended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine/util/eventlog.h"
#include "sched/job-manager/jobmgr.h"

static json_t *entry (double t, const char *name, json_t *ctx)
{
    json_t *e = eddy_eventlog_entry_create (t, name, ctx);
    json_decref (ctx);
    assert_non_null (e);
    return e;
}

static void a_new_job_has_no_entries (void **state)
{
    struct job job = { 0 };
    json_t *a = job_events (&job);
    assert_non_null (a);
    assert_int_equal (json_array_size (a), 0);
    assert_int_equal (job_events_count (&job), 0);
    json_decref (a);
    job_events_free (&job);
}

static void appended_entries_decode_in_order_and_equal (void **state)
{
    struct job job = { 0 };
    json_t *want = json_array ();
    /* enough entries to grow the buffer several times */
    for (int i = 0; i < 200; i++) {
        json_t *e = entry (10.0 + i, i % 2 ? "priority" : "urgency",
                           json_pack ("{s:i}", i % 2 ? "priority" : "urgency", i));
        assert_int_equal (job_events_append (&job, e), 0);
        json_array_append_new (want, e);
    }
    assert_int_equal (job_events_count (&job), 200);
    json_t *got = job_events (&job);
    assert_non_null (got);
    assert_true (json_equal (got, want));
    /* the text is the eventlog the KVS holds */
    char *text = eddy_eventlog_encode (want);
    assert_string_equal (job.evlog, text);
    free (text);
    json_decref (got);
    json_decref (want);
    job_events_free (&job);
    assert_null (job.evlog);
    assert_int_equal (job_events_count (&job), 0);
}

static void set_replaces_every_entry (void **state)
{
    struct job job = { 0 };
    json_t *e = entry (1, "submit", json_pack ("{s:i}", "userid", 5));
    assert_int_equal (job_events_append (&job, e), 0);
    json_t *log = json_pack ("[o o]", entry (2, "validate", NULL), entry (3, "depend", NULL));
    assert_int_equal (job_events_set (&job, log), 0);
    assert_int_equal (job_events_count (&job), 2);
    json_t *got = job_events (&job);
    assert_true (json_equal (got, log));
    json_decref (got);
    json_decref (log);
    json_decref (e);
    job_events_free (&job);
}

static void an_invalid_entry_is_refused_and_the_log_unchanged (void **state)
{
    struct job job = { 0 };
    json_t *e = entry (1, "submit", NULL);
    assert_int_equal (job_events_append (&job, e), 0);
    json_t *bad = json_pack ("{s:s}", "name", "no timestamp");
    assert_int_equal (job_events_append (&job, bad), -1);
    assert_int_equal (job_events_count (&job), 1);
    json_t *got = job_events (&job);
    assert_int_equal (json_array_size (got), 1);
    json_decref (got);
    json_decref (bad);
    json_decref (e);
    job_events_free (&job);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_new_job_has_no_entries),
        cmocka_unit_test (appended_entries_decode_in_order_and_equal),
        cmocka_unit_test (set_replaces_every_entry),
        cmocka_unit_test (an_invalid_entry_is_refused_and_the_log_unchanged),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
