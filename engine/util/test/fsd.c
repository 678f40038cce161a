/* Unit tests for engine/util/fsd: RFC 23 duration parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "engine/util/fsd.h"

static double parse (const char *s)
{
    double d = -1;
    eddy_error_t err;
    if (eddy_fsd_parse (s, &d, &err) < 0)
        fail_msg ("'%s': %s", s, err.text);
    return d;
}

static void units_scale_the_number (void **state)
{
    assert_true (parse ("30") == 30.);
    assert_true (parse ("30s") == 30.);
    assert_true (parse ("1.5m") == 90.);
    assert_true (parse ("2h") == 7200.);
    assert_true (parse ("1d") == 86400.);
    assert_true (fabs (parse ("500ms") - 0.5) < 1e-12);
    assert_true (parse ("1e3") == 1000.);
    assert_true (parse (".5s") == 0.5);
    assert_true (isinf (parse ("inf")));
    assert_true (isinf (parse ("INFINITY")));
}

static void bad_strings_are_rejected_untouched (void **state)
{
    const char *bad[] = {"",       "-1",  "+1",    " 1",     "1 ",   "1x",
                         "1.0sec", "nan", "NaNs",  "infs",   "0x10", ".",
                         "1..2",   "1e",  "1e999", "1e308d", "s"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        double d = 42;
        eddy_error_t err = {{0}};
        errno = 0;
        if (eddy_fsd_parse (bad[i], &d, &err) == 0)
            fail_msg ("'%s' accepted as %g", bad[i], d);
        assert_true (errno == EINVAL || errno == ERANGE);
        assert_true (d == 42);
        assert_true (strlen (err.text) > 0);
    }
}

static void format_picks_the_largest_unit (void **state)
{
    char buf[32];
    struct {
        double secs;
        const char *want;
    } cases[] = {{0, "0s"},         {0.001, "1ms"},        {59.5, "59.5s"},
                 {62, "1.03333m"},  {3600, "1h"},          {86400, "1d"},
                 {1e6, "11.5741d"}, {INFINITY, "infinity"}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        assert_true (eddy_fsd_format (buf, sizeof (buf), cases[i].secs) > 0);
        assert_string_equal (buf, cases[i].want);
    }
    assert_true (eddy_fsd_format_ex (buf, sizeof (buf), 62, 1) > 0);
    assert_string_equal (buf, "1m");
    errno = 0;
    assert_int_equal (eddy_fsd_format (buf, sizeof (buf), -1), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_fsd_format (buf, sizeof (buf), NAN), -1);
}

static void format_then_parse_round_trips (void **state)
{
    double v[] = {0.25, 1, 45, 90, 5400, 172800};
    for (size_t i = 0; i < sizeof (v) / sizeof (v[0]); i++) {
        char buf[32];
        eddy_fsd_format (buf, sizeof (buf), v[i]);
        assert_true (fabs (parse (buf) - v[i]) < 1e-9);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (units_scale_the_number),
        cmocka_unit_test (bad_strings_are_rejected_untouched),
        cmocka_unit_test (format_picks_the_largest_unit),
        cmocka_unit_test (format_then_parse_round_trips),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
