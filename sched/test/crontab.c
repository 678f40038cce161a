/* crontab(5) fields (sched/crontab.h): parsing and the next minute, on
 * dates worked out by hand (1970-01-01 was a Thursday; 2026-12-04 a
 * Friday, 1796342400 s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sched/crontab.h"

static double next (const char *spec, int offset, double after)
{
    struct eddy_crontab ct;
    eddy_error_t err;
    if (eddy_crontab_parse (&ct, spec, offset, &err) < 0)
        fail_msg ("%s: %s", spec, err.text);
    return eddy_crontab_next (&ct, after);
}

static void next_minutes (void **state)
{
    assert_true (next ("*/15 * * * *", 0, 420) == 900);        /* 00:07 -> 00:15 */
    assert_true (next ("* * * * *", 0, 900) == 960);           /* strictly after */
    assert_true (next ("0 12 * * *", 0, 43200) == 129600);     /* noon -> next noon */
    assert_true (next ("30 2 1 * *", 0, 0) == 9000);           /* 02:30 the 1st */
    assert_true (next ("0 0 * * mon", 0, 0) == 4 * 86400);     /* Thu -> Mon 5th */
    assert_true (next ("0 0 * * 7", 0, 0) == 3 * 86400);       /* 7 is Sunday */
    assert_true (next ("0 0 13 * fri", 0, 0) == 86400);        /* either: Fri 2nd */
    assert_true (next ("0 0 1 mar *", 0, 0) == 59 * 86400);    /* Jan 31 + Feb 28 */
    assert_true (next ("0 0 29 2 *", 0, 0) == 68169600);       /* 1972-02-29 */
    assert_true (next ("0 9 * * *", 3600, 0) == 28800);        /* 09:00 at UTC+1 */
    assert_true (next ("0 0 * * sun", 0, 1796342400) == 1796515200);
    assert_true (next ("5 0 1 1 *", 0, 1796342400) == 1798761900); /* 2027-01-01 00:05 */
    assert_true (next ("1-5/2,30 * * * *", 0, 60) == 180);     /* 1,3,5,30: 00:01 -> 00:03 */
    assert_true (next ("0 0 31 2 *", 0, 0) < 0);               /* never */
}

static void bad_fields (void **state)
{
    struct eddy_crontab ct;
    eddy_error_t err;
    const char *bad[] = { "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                          "* * *", "* * * * * *", "1- * * * *", "*/0 * * * *",
                          "a b c d e", "1,,2 * * * *", "5-1 * * * *", "1, * * * *", "" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        if (eddy_crontab_parse (&ct, bad[i], 0, &err) == 0)
            fail_msg ("'%s' was accepted", bad[i]);
    }
    assert_int_equal (eddy_crontab_parse (&ct, "61 * * * *", 0, &err), -1);
    assert_non_null (strstr (err.text, "minute"));
    assert_int_equal (eddy_crontab_parse (&ct, "* * * foo *", 0, &err), -1);
    assert_non_null (strstr (err.text, "month"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (next_minutes),
        cmocka_unit_test (bad_fields),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
