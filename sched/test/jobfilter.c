/* Unit tests for sched/jobfilter.c: the states, groups and results that
 * `eddy jobs -f` takes, in any case, and the words it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sched/jobfilter.h"

static int parse (const char *s)
{
    eddy_error_t err;
    return eddy_jobfilter_parse (s, &err);
}

static void each_state_is_one_bit (void **state)
{
    assert_int_equal (parse ("depend"), EDDY_JOBF_DEPEND);
    assert_int_equal (parse ("priority"), EDDY_JOBF_PRIORITY);
    assert_int_equal (parse ("sched"), EDDY_JOBF_SCHED);
    assert_int_equal (parse ("run"), EDDY_JOBF_RUN);
    assert_int_equal (parse ("cleanup"), EDDY_JOBF_CLEANUP);
    assert_int_equal (parse ("completed"), EDDY_JOBF_COMPLETED);
    assert_int_equal (parse ("failed"), EDDY_JOBF_FAILED);
    assert_int_equal (parse ("canceled"), EDDY_JOBF_CANCELED);
    assert_int_equal (parse ("timeout"), EDDY_JOBF_TIMEOUT);
}

static void groups_cover_their_states (void **state)
{
    assert_int_equal (parse ("pending"), EDDY_JOBF_DEPEND | EDDY_JOBF_PRIORITY | EDDY_JOBF_SCHED);
    assert_int_equal (parse ("running"), EDDY_JOBF_RUN | EDDY_JOBF_CLEANUP);
    assert_int_equal (parse ("active"), EDDY_JOBF_PENDING | EDDY_JOBF_RUNNING);
    assert_int_equal (parse ("inactive"), EDDY_JOBF_COMPLETED | EDDY_JOBF_FAILED
                                              | EDDY_JOBF_CANCELED | EDDY_JOBF_TIMEOUT);
    assert_int_equal (parse ("all"), EDDY_JOBF_ACTIVE | EDDY_JOBF_INACTIVE);
}

static void lists_in_any_case (void **state)
{
    assert_int_equal (parse ("PENDING,run"), EDDY_JOBF_PENDING | EDDY_JOBF_RUN);
    assert_int_equal (parse ("Failed,Canceled"), EDDY_JOBF_FAILED | EDDY_JOBF_CANCELED);
    assert_int_equal (parse ("run,run"), EDDY_JOBF_RUN);
}

static void other_words_are_refused (void **state)
{
    eddy_error_t err;
    const char *bad[] = { "runnin", "R", "CD", "sched,,run", "sched,", ",run", "", "run ",
                          NULL };
    for (int i = 0; bad[i]; i++) {
        errno = 0;
        assert_int_equal (eddy_jobfilter_parse (bad[i], &err), -1);
        assert_int_equal (errno, EINVAL);
    }
    assert_int_equal (eddy_jobfilter_parse (NULL, &err), -1);
    eddy_jobfilter_parse ("pending,runnin", &err);
    assert_non_null (strstr (err.text, "'runnin' is not a job state"));
    eddy_jobfilter_parse ("sched,", &err);
    assert_non_null (strstr (err.text, "empty state name"));
}

static void a_job_has_the_bit_of_its_state_or_result (void **state)
{
    assert_int_equal (eddy_jobfilter_bit ("SCHED", ""), EDDY_JOBF_SCHED);
    assert_int_equal (eddy_jobfilter_bit ("CLEANUP", NULL), EDDY_JOBF_CLEANUP);
    assert_int_equal (eddy_jobfilter_bit ("INACTIVE", "TIMEOUT"), EDDY_JOBF_TIMEOUT);
    assert_int_equal (eddy_jobfilter_bit ("INACTIVE", "COMPLETED"), EDDY_JOBF_COMPLETED);
    assert_int_equal (eddy_jobfilter_bit ("INACTIVE", ""), 0);
    assert_int_equal (eddy_jobfilter_bit ("sched", ""), 0);
    assert_int_equal (eddy_jobfilter_bit (NULL, NULL), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (each_state_is_one_bit),
        cmocka_unit_test (groups_cover_their_states),
        cmocka_unit_test (lists_in_any_case),
        cmocka_unit_test (other_words_are_refused),
        cmocka_unit_test (a_job_has_the_bit_of_its_state_or_result),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
