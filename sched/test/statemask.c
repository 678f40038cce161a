/* Unit tests for sched/job-manager/statemask.c: Flux's job state names
 * and groups, in any case, and the words that are not states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sched/job-manager/jobmgr.h"
#include "sched/job-manager/statemask.h"

static int parse (const char *s)
{
    eddy_error_t err;
    return jobmgr_statemask_parse (s, &err);
}

static void names_are_the_states_bits (void **state)
{
    assert_int_equal (parse ("depend"), 1 << JOB_DEPEND);
    assert_int_equal (parse ("priority"), 1 << JOB_PRIORITY);
    assert_int_equal (parse ("sched"), 1 << JOB_SCHED);
    assert_int_equal (parse ("run"), 1 << JOB_RUN);
    assert_int_equal (parse ("cleanup"), 1 << JOB_CLEANUP);
    assert_int_equal (parse ("inactive"), 1 << JOB_INACTIVE);
}

static void groups_and_lists_in_any_case (void **state)
{
    assert_int_equal (parse ("pending"),
                      (1 << JOB_DEPEND) | (1 << JOB_PRIORITY) | (1 << JOB_SCHED));
    assert_int_equal (parse ("RUNNING"), (1 << JOB_RUN) | (1 << JOB_CLEANUP));
    assert_int_equal (parse ("active"), JOB_MASK_PENDING | JOB_MASK_RUNNING);
    assert_int_equal (parse ("Sched,run"), (1 << JOB_SCHED) | (1 << JOB_RUN));
    assert_int_equal (parse ("pending,inactive"), JOB_MASK_PENDING | JOB_MASK_INACTIVE);
}

static void other_words_are_refused (void **state)
{
    eddy_error_t err;
    assert_int_equal (jobmgr_statemask_parse ("runnin", &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "'runnin' is not a job state"));
    assert_int_equal (jobmgr_statemask_parse ("sched,,run", &err), -1);
    assert_non_null (strstr (err.text, "'' is not a job state"));
    assert_int_equal (jobmgr_statemask_parse ("sched,", &err), -1);
    assert_int_equal (jobmgr_statemask_parse ("", &err), -1);
    assert_int_equal (jobmgr_statemask_parse (NULL, &err), -1);
    assert_int_equal (jobmgr_statemask_parse ("R", &err), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (names_are_the_states_bits),
        cmocka_unit_test (groups_and_lists_in_any_case),
        cmocka_unit_test (other_words_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
