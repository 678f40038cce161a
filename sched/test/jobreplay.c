/* Unit tests for sched/job-manager/replay.c: what a stored eventlog says
 * about a job after a restart (state, urgency, priority, resources, exit
 * status, the first fatal exception), and eventlogs that cannot be
 * replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sched/job-manager/jobmgr.h"

#define SUBMIT "{\"timestamp\":10.5,\"name\":\"submit\",\"context\":{\"userid\":1000,\"urgency\":12,\"flags\":0,\"version\":1}}\n"
#define VALIDATE "{\"timestamp\":10.6,\"name\":\"validate\"}\n"
#define DEPEND "{\"timestamp\":10.7,\"name\":\"depend\"}\n"
#define PRIORITY(p) "{\"timestamp\":10.8,\"name\":\"priority\",\"context\":{\"priority\":" #p "}}\n"
#define ALLOC "{\"timestamp\":11,\"name\":\"alloc\",\"context\":{}}\n"
#define START "{\"timestamp\":11.5,\"name\":\"start\"}\n"
#define FINISH(s) "{\"timestamp\":20,\"name\":\"finish\",\"context\":{\"status\":" #s "}}\n"
#define RELEASE "{\"timestamp\":20.1,\"name\":\"release\",\"context\":{\"ranks\":\"all\",\"final\":true}}\n"
#define FREE "{\"timestamp\":20.2,\"name\":\"free\"}\n"
#define CLEAN "{\"timestamp\":20.3,\"name\":\"clean\"}\n"
#define EXCEPTION(type, sev) "{\"timestamp\":15,\"name\":\"exception\",\"context\":{\"type\":\"" type "\",\"severity\":" #sev ",\"note\":\"n-" type "\",\"userid\":0}}\n"

static json_t *replay (const char *log, struct jobreplay *jr)
{
    eddy_error_t err;
    json_t *events = jobmgr_replay (log, jr, &err);
    if (!events)
        fail_msg ("replay: %s", err.text);
    return events;
}

static void a_submitted_job_is_back_in_depend (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE, &jr);
    assert_int_equal (json_array_size (events), 2);
    assert_int_equal (jr.state, JOB_DEPEND);
    assert_int_equal (jr.userid, 1000);
    assert_int_equal (jr.urgency, 12);
    assert_true (jr.t_submit == 10.5);
    assert_false (jr.alloc);
    json_decref (events);
}

static void a_pending_job_keeps_its_priority_and_urgency (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (12)
                             "{\"timestamp\":12,\"name\":\"urgency\",\"context\":{\"urgency\":0,\"userid\":1000}}\n"
                             PRIORITY (0), &jr);
    assert_int_equal (jr.state, JOB_SCHED);
    assert_int_equal (jr.urgency, 0);
    assert_int_equal (jr.priority, 0);
    json_decref (events);
}

static void a_running_job_holds_resources (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (16) ALLOC START, &jr);
    assert_int_equal (jr.state, JOB_RUN);
    assert_true (jr.alloc);
    assert_true (jr.started);
    assert_false (jr.finished);
    assert_false (jr.fatal);
    json_decref (events);
}

static void a_finished_job_waiting_for_free_is_in_cleanup (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (16) ALLOC START FINISH (768) RELEASE, &jr);
    assert_int_equal (jr.state, JOB_CLEANUP);
    assert_true (jr.alloc);
    assert_true (jr.finished);
    assert_int_equal (jr.status, 768);
    json_decref (events);
}

static void a_completed_job_is_inactive_with_its_status (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (16) ALLOC START FINISH (0) RELEASE FREE CLEAN,
                             &jr);
    assert_int_equal (jr.state, JOB_INACTIVE);
    assert_false (jr.alloc);
    assert_true (jr.finished);
    assert_int_equal (jr.status, 0);
    assert_true (jr.t_inactive == 20.3);
    assert_false (jr.fatal);
    json_decref (events);
}

static void the_first_fatal_exception_is_kept (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (16) EXCEPTION ("info", 3)
                             EXCEPTION ("cancel", 0) EXCEPTION ("timeout", 0) CLEAN, &jr);
    assert_int_equal (jr.state, JOB_INACTIVE);
    assert_true (jr.fatal);
    assert_string_equal (jr.exc_type, "cancel");
    assert_string_equal (jr.exc_note, "n-cancel");
    assert_false (jr.finished);
    json_decref (events);
}

static void a_fatal_exception_before_alloc_means_cleanup (void **state)
{
    struct jobreplay jr;
    json_t *events = replay (SUBMIT VALIDATE DEPEND PRIORITY (16) EXCEPTION ("cancel", 0), &jr);
    assert_int_equal (jr.state, JOB_CLEANUP);
    assert_false (jr.alloc);
    json_decref (events);
}

static void expect_invalid (const char *log, const char *why)
{
    struct jobreplay jr;
    eddy_error_t err;
    errno = 0;
    assert_null (jobmgr_replay (log, &jr, &err));
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, why))
        fail_msg ("error '%s' does not say '%s'", err.text, why);
}

static void unusable_eventlogs_are_refused_with_a_reason (void **state)
{
    struct jobreplay jr;
    eddy_error_t err;
    expect_invalid ("", "empty");
    expect_invalid ("\"not an eventlog\"", "line 1");
    expect_invalid (SUBMIT "{\"timestamp\":1,\"name\":", "line 2");
    expect_invalid (DEPEND SUBMIT, "not submit");
    expect_invalid ("{\"timestamp\":1,\"name\":\"submit\",\"context\":{\"userid\":1}}\n", "urgency");
    expect_invalid ("{\"timestamp\":1,\"name\":\"submit\",\"context\":{\"userid\":1,\"urgency\":99}}\n",
                    "urgency");
    errno = 0;
    assert_null (jobmgr_replay (NULL, &jr, &err));
    assert_int_equal (errno, EINVAL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_submitted_job_is_back_in_depend),
        cmocka_unit_test (a_pending_job_keeps_its_priority_and_urgency),
        cmocka_unit_test (a_running_job_holds_resources),
        cmocka_unit_test (a_finished_job_waiting_for_free_is_in_cleanup),
        cmocka_unit_test (a_completed_job_is_inactive_with_its_status),
        cmocka_unit_test (the_first_fatal_exception_is_kept),
        cmocka_unit_test (a_fatal_exception_before_alloc_means_cleanup),
        cmocka_unit_test (unusable_eventlogs_are_refused_with_a_reason),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
