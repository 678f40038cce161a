/* Unit tests for cmd/jobfmt.c: RUNTIME as elapsed time, ISO local
 * timestamps, and --since's durations and dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/jobfmt.h"

static const char *el (double s)
{
    static char buf[64];
    return jobfmt_elapsed (s, buf, sizeof (buf));
}

static void seconds_with_tenths_below_a_minute (void **state)
{
    assert_string_equal (el (0), "0.0s");
    assert_string_equal (el (1.5), "1.5s");
    assert_string_equal (el (1.59), "1.5s");
    assert_string_equal (el (59.99), "59.9s");
    assert_string_equal (el (-3), "0.0s");
    assert_string_equal (el (NAN), "0.0s");
}

static void two_units_above (void **state)
{
    assert_string_equal (el (60), "1m0s");
    assert_string_equal (el (123), "2m3s");
    assert_string_equal (el (3599.9), "59m59s");
    assert_string_equal (el (3600), "1h0m");
    assert_string_equal (el (3720), "1h2m");
    assert_string_equal (el (86399), "23h59m");
    assert_string_equal (el (86400 + 3 * 3600 + 59), "1d3h");
    assert_string_equal (el (400 * 86400.0), "400d0h");
}

static void iso_local_time (void **state)
{
    char buf[64];
    setenv ("TZ", "UTC", 1);
    tzset ();
    assert_string_equal (jobfmt_iso (1780000000.7, buf, sizeof (buf)), "2026-05-28T20:26:40");
    assert_string_equal (jobfmt_iso (0, buf, sizeof (buf)), "");
    setenv ("TZ", "EST5", 1);
    tzset ();
    assert_string_equal (jobfmt_iso (1780000000, buf, sizeof (buf)), "2026-05-28T15:26:40");
}

static void since_a_duration_ago (void **state)
{
    eddy_error_t err;
    double t = 0;
    assert_int_equal (jobfmt_parse_since ("-1h", 10000, &t, &err), 0);
    assert_true (t == 10000 - 3600);
    assert_int_equal (jobfmt_parse_since ("1d", 100000, &t, &err), 0);
    assert_true (t == 100000 - 86400);
    assert_int_equal (jobfmt_parse_since ("90s", 100, &t, &err), 0);
    assert_true (t == 10);
}

static void since_a_local_date (void **state)
{
    eddy_error_t err;
    double t = 0;
    setenv ("TZ", "UTC", 1);
    tzset ();
    assert_int_equal (jobfmt_parse_since ("2026-05-28T20:26:40", 0, &t, &err), 0);
    assert_true (t == 1780000000);
    assert_int_equal (jobfmt_parse_since ("2026-05-28 20:26", 0, &t, &err), 0);
    assert_true (t == 1780000000 - 40);
    assert_int_equal (jobfmt_parse_since ("2026-05-28", 0, &t, &err), 0);
    assert_true (t == 1780000000 - 20 * 3600 - 26 * 60 - 40);
}

static void since_refuses_other_text (void **state)
{
    const char *bad[] = { "", "yesterday", "1x", "--1h", "2026-13-01", "2026-05-28T25:00",
                          "2026-05-28T20:26:40Z", "inf", "-", NULL };
    eddy_error_t err;
    double t = 42;
    for (int i = 0; bad[i]; i++) {
        errno = 0;
        assert_int_equal (jobfmt_parse_since (bad[i], 1000, &t, &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_true (t == 42);
    }
    jobfmt_parse_since ("yesterday", 1000, &t, &err);
    assert_non_null (strstr (err.text, "'yesterday' is neither"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (seconds_with_tenths_below_a_minute),
        cmocka_unit_test (two_units_above),
        cmocka_unit_test (iso_local_time),
        cmocka_unit_test (since_a_duration_ago),
        cmocka_unit_test (since_a_local_date),
        cmocka_unit_test (since_refuses_other_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
