/* SWF parsing (traces/swf.h): header fields, the 18 job fields and the
 * choices DESIGN.md makes from them, skip rules and their order, errors
 * that name the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "traces/swf.h"

static eddy_swf_t *parse (const char *text)
{
    eddy_error_t err;
    eddy_swf_t *s = eddy_swf_create ();
    assert_non_null (s);
    if (eddy_swf_feed_text (s, text, strlen (text), &err) < 0)
        fail_msg ("%s", err.text);
    return s;
}

static void header_fields_are_recorded (void **state)
{
    eddy_swf_t *s = parse ("; Version: 2.2\n"
                           ";Computer: Linux cluster (Seth)\r\n"
                           "; MaxNodes: 120\n"
                           "; MaxProcs: 240\n"
                           ";   a comment without a key\n"
                           "; Note: first\n"
                           "; Note: second  \n");
    assert_string_equal (eddy_swf_header (s, "Version"), "2.2");
    assert_string_equal (eddy_swf_header (s, "Computer"), "Linux cluster (Seth)");
    assert_string_equal (eddy_swf_header (s, "Note"), "second");
    assert_int_equal (eddy_swf_max_procs (s), 240);
    assert_int_equal (eddy_swf_max_nodes (s), 120);
    errno = 0;
    assert_null (eddy_swf_header (s, "MaxJobs"));
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_swf_lines (s), 0);
    eddy_swf_destroy (s);
}

static void job_fields_follow_the_replay_rules (void **state)
{
    /*       id submit wait run alloc cpu mem req_procs req_time ... user group
     *       ... queue */
    eddy_swf_t *s = parse ("; MaxProcs: 64\n"
                           "1 0 5 100 4 -1 -1 8 200 -1 1 7 1 -1 1 -1 -1 -1\n"
                           /* field 8 unset: procs from 5; field 9 unset: req = run */
                           "2 10 0 50.9 16 -1 -1 -1 -1 -1 1 3 9 -1 2 -1 -1 -1\n"
                           "\n"
                           /* fractions truncated; run 0 is allowed */
                           "  3\t20.7  0 0 2 -1 -1 2.5 0 -1 1 -1 1 -1 1 -1 -1 -1  \n");
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    assert_int_equal (eddy_swf_procs (s), 64);
    const struct eddy_swf_job *j = eddy_swf_jobs (s, &n);
    assert_int_equal (n, 3);
    assert_int_equal (j[0].id, 1);
    assert_true (j[0].submit == 0 && j[0].run == 100 && j[0].req == 200);
    assert_int_equal (j[0].procs, 8);
    assert_int_equal (j[0].user, 7);
    assert_int_equal (j[0].line, 2);
    assert_true (j[1].submit == 10 && j[1].run == 50 && j[1].req == 50);
    assert_int_equal (j[1].procs, 16);
    assert_true (j[1].user == 3 && j[1].group == 9 && j[1].queue == 2);
    assert_true (j[2].submit == 20 && j[2].run == 0 && j[2].req == 0);
    assert_int_equal (j[2].procs, 2);
    assert_true (j[2].user == -1 && j[2].group == 1 && j[2].queue == 1);
    assert_int_equal (j[2].line, 5);
    eddy_swf_destroy (s);
}

static void skips_are_counted_by_the_first_reason (void **state)
{
    eddy_swf_t *s =
        parse ("; MaxProcs: 8\n"
               "1 0 0 10 0 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"  /* procs 0 */
               "2 0 0 -1 -1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n" /* procs -1, run -1 */
               "3 0 0 -1 9 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"  /* too big, run -1 */
               "4 0 0 10 1 -1 -1 16 -1 -1 1 1 1 -1 1 -1 -1 -1\n"  /* too big */
               "5 0 0 -1 8 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"  /* run < 0 */
               "6 0 0 0 8 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"); /* kept */
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_PROCS), 2);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_TOO_BIG), 2);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_RUN), 1);
    assert_int_equal (eddy_swf_lines (s), 6);
    const struct eddy_swf_job *j = eddy_swf_jobs (s, &n);
    assert_int_equal (n, 1);
    assert_int_equal (j[0].id, 6);
    /* a bigger machine keeps the big ones; finish can be called again */
    assert_int_equal (eddy_swf_finish (s, 16, &err), 0);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_TOO_BIG), 0);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_RUN), 2);
    eddy_swf_jobs (s, &n);
    assert_int_equal (n, 2);
    assert_string_equal (eddy_swf_skip_name (EDDY_SWF_SKIP_TOO_BIG), "procs>P");
    eddy_swf_destroy (s);
}

static void bad_lines_are_errors_naming_the_line (void **state)
{
    static const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"1 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1",
         "line 3: 17 fields, expected 18"},
        {"1 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1 5",
         "line 3: more than 18 fields"},
        {"1 0 0 1e3 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 3: field 4: '1e3' is not a number"},
        {"1 0 0 . 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 3: field 4: '.' is not a number"},
        {"1 0 0 - 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 3: field 4: '-' is not a number"},
        {"1 0 0 99999999999999999999 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 3: field 4: '99999999999999999999' does not fit in 64 bits"},
        {"x", "line 3: field 1: 'x' is not a number"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_swf_t *s = parse ("; MaxProcs: 8\n\n");
        eddy_error_t err;
        errno = 0;
        assert_int_equal (eddy_swf_feed (s, bad[i].line, strlen (bad[i].line), &err),
                          -1);
        assert_int_equal (errno, EINVAL);
        if (bad[i].msg)
            assert_string_equal (err.text, bad[i].msg);
        /* nothing was recorded; later good lines still parse */
        assert_int_equal (eddy_swf_lines (s), 0);
        const char *good = "7 0 0 1 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1";
        assert_int_equal (eddy_swf_feed (s, good, strlen (good), &err), 0);
        assert_int_equal (eddy_swf_lines (s), 1);
        eddy_swf_destroy (s);
    }
    /* a NUL inside a line */
    eddy_swf_t *s = eddy_swf_create ();
    eddy_error_t err;
    assert_int_equal (eddy_swf_feed (s, "1\0 2", 4, &err), -1);
    assert_int_equal (eddy_swf_feed (s, NULL, 0, &err), 0);
    assert_int_equal (eddy_swf_feed (NULL, "", 0, &err), -1);
    eddy_swf_destroy (s);
}

/* Numbers past int64 are errors, never wrapped or saturated values. */
static void numbers_beyond_64_bits_are_errors (void **state)
{
    static const char *const bad[] = {
        "9223372036854775808",   "-9223372036854775809",    "99999999999999999999",
        "184467440737095516160", "-99999999999999999999.5",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        char line[200], msg[200];
        eddy_swf_t *s = eddy_swf_create ();
        eddy_error_t err;
        snprintf (line, sizeof (line), "%s 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
                  bad[i]);
        snprintf (msg, sizeof (msg), "line 1: field 1: '%s' does not fit in 64 bits",
                  bad[i]);
        errno = 0;
        assert_int_equal (eddy_swf_feed (s, line, strlen (line), &err), -1);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, msg);
        eddy_swf_destroy (s);
    }
    /* the extremes of int64 are numbers (a job id may be anything) */
    eddy_swf_t *s =
        parse ("; MaxProcs: 8\n"
               "9223372036854775807 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"
               "-9223372036854775808 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n");
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    const struct eddy_swf_job *j = eddy_swf_jobs (s, &n);
    assert_int_equal (n, 2);
    assert_true (j[0].id == INT64_MAX && j[1].id == INT64_MIN);
    eddy_swf_destroy (s);
}

/* Times a replay cannot represent or finish refuse the trace, naming the
 * line, the field, the value and the limit; the limits themselves pass.
 */
static void absurd_times_are_refused_naming_the_limit (void **state)
{
    static const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"1 4000000000 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 2 (submit) = 4000000000 is beyond the limit 536870911 s"},
        {"1 9223372036854775807 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 2 (submit) = 9223372036854775807 is beyond the limit "
         "536870911 s"},
        {"1 900000000 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 2 (submit) = 900000000 is beyond the limit 536870911 s"},
        {"1 536870912 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 2 (submit) = 536870912 is beyond the limit 536870911 s"},
        {"1 -5 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 2 (submit) = -5 is below 0"},
        {"1 0 0 9223372036854775807 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 4 (run) = 9223372036854775807 is beyond the limit 2147483647 "
         "s"},
        {"1 0 0 2147483648 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 4 (run) = 2147483648 is beyond the limit 2147483647 s"},
        {"1 0 0 10 1 -1 -1 -1 9223372036854775807 -1 1 1 1 -1 1 -1 -1 -1",
         "line 2: field 9 (req) = 9223372036854775807 is beyond the limit 2147483647 "
         "s"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_swf_t *s = parse ("; MaxProcs: 8\n");
        eddy_error_t err;
        errno = 0;
        assert_int_equal (eddy_swf_feed (s, bad[i].line, strlen (bad[i].line), &err),
                          -1);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, bad[i].msg);
        assert_int_equal (eddy_swf_lines (s), 0);
        eddy_swf_destroy (s);
    }
    /* at the limits, and with fractions truncated onto them */
    eddy_swf_t *s =
        parse ("; MaxProcs: 8\n"
               "1 536870911 0 2147483647 1 -1 -1 -1 2147483647 -1 1 1 1 -1 1 -1 -1 -1\n"
               "2 536870911.9 0 2147483647.5 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n");
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    const struct eddy_swf_job *j = eddy_swf_jobs (s, &n);
    assert_int_equal (n, 2);
    assert_true (j[0].submit == EDDY_SWF_SUBMIT_MAX && j[0].run == EDDY_SWF_TIME_MAX &&
                 j[0].req == EDDY_SWF_TIME_MAX);
    assert_true (j[1].submit == EDDY_SWF_SUBMIT_MAX && j[1].req == EDDY_SWF_TIME_MAX);
    eddy_swf_destroy (s);
}

/* A processor count past the limit is a job larger than any machine:
 * DESIGN.md's rule skips it as procs > P, the first reason that applies.
 */
static void absurd_processor_counts_are_too_big (void **state)
{
    eddy_swf_t *s =
        parse ("; MaxProcs: 8\n"
               "1 0 0 10 9223372036854775807 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n"
               "2 0 0 -1 1 -1 -1 99999999999999 -1 -1 1 1 1 -1 1 -1 -1 -1\n"
               "3 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n");
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_TOO_BIG), 2);
    assert_int_equal (eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_RUN), 0);
    eddy_swf_jobs (s, &n);
    assert_int_equal (n, 1);
    eddy_swf_destroy (s);
}

/* A machine past the limit is refused: in the header (naming the line) or
 * from the caller; the limit itself is a machine.
 */
static void absurd_machine_sizes_are_refused (void **state)
{
    static const struct {
        const char *line;
        const char *msg;
    } bad[] = {
        {"; MaxProcs: 99999999999999",
         "line 2: MaxProcs = 99999999999999 is beyond the limit 16777216"},
        {"; MaxNodes: 16777217",
         "line 2: MaxNodes = 16777217 is beyond the limit 16777216"},
        {";MaxProcs: 99999999999999999999 ",
         "line 2: MaxProcs = 99999999999999999999 is beyond the limit 16777216"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_swf_t *s = parse ("; Version: 2.2\n");
        eddy_error_t err;
        errno = 0;
        assert_int_equal (eddy_swf_feed (s, bad[i].line, strlen (bad[i].line), &err),
                          -1);
        assert_int_equal (errno, EINVAL);
        assert_string_equal (err.text, bad[i].msg);
        eddy_swf_destroy (s);
    }
    eddy_swf_t *s = parse ("; MaxProcs: 16777216\n; MaxNodes: 16777216\n"
                           "; MaxJobs: 99999999999999\n"
                           "1 0 0 10 1 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n");
    eddy_error_t err;
    assert_int_equal (eddy_swf_max_procs (s), EDDY_SWF_PROCS_MAX);
    assert_int_equal (eddy_swf_max_nodes (s), EDDY_SWF_PROCS_MAX);
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    errno = 0;
    assert_int_equal (eddy_swf_finish (s, EDDY_SWF_PROCS_MAX + 1, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (
        err.text, "a machine of 16777217 processors is beyond the limit 16777216");
    eddy_swf_destroy (s);
}

static void machine_size_comes_from_the_caller_or_the_header (void **state)
{
    eddy_swf_t *s = parse ("; MaxProcs: unknown\n"
                           "1 0 0 10 4 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n");
    eddy_error_t err;
    errno = 0;
    assert_int_equal (eddy_swf_finish (s, 0, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "MaxProcs"));
    assert_int_equal (eddy_swf_finish (s, -1, &err), -1);
    assert_int_equal (eddy_swf_finish (s, 4, &err), 0);
    assert_int_equal (eddy_swf_procs (s), 4);
    size_t n;
    eddy_swf_jobs (s, &n);
    assert_int_equal (n, 1);
    eddy_swf_destroy (s);
    eddy_swf_destroy (NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (header_fields_are_recorded),
        cmocka_unit_test (job_fields_follow_the_replay_rules),
        cmocka_unit_test (skips_are_counted_by_the_first_reason),
        cmocka_unit_test (bad_lines_are_errors_naming_the_line),
        cmocka_unit_test (machine_size_comes_from_the_caller_or_the_header),
        cmocka_unit_test (numbers_beyond_64_bits_are_errors),
        cmocka_unit_test (absurd_times_are_refused_naming_the_limit),
        cmocka_unit_test (absurd_processor_counts_are_too_big),
        cmocka_unit_test (absurd_machine_sizes_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
