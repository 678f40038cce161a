/* Unit tests for engine/util/eventlog: RFC 18 entries and whole logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/eventlog.h"

static void create_encode_decode_entry (void **state)
{
    json_t *ctx = json_pack ("{s:i}", "urgency", 16);
    json_t *e = eddy_eventlog_entry_create (42.5, "submit", ctx);
    json_decref (ctx); /* borrowed: the entry keeps its own reference */
    assert_non_null (e);
    char *s = eddy_eventlog_entry_encode (e);
    assert_string_equal (
        s, "{\"timestamp\":42.5,\"name\":\"submit\",\"context\":{\"urgency\":16}}\n");
    json_t *back = eddy_eventlog_entry_decode (s, NULL);
    assert_true (json_equal (e, back));
    double ts;
    const char *name;
    json_t *context;
    assert_int_equal (eddy_eventlog_entry_parse (back, &ts, &name, &context), 0);
    assert_true (ts == 42.5);
    assert_string_equal (name, "submit");
    assert_int_equal (json_integer_value (json_object_get (context, "urgency")), 16);
    free (s);
    json_decref (e);
    json_decref (back);
    errno = 0;
    assert_null (eddy_eventlog_entry_create (NAN, "x", NULL));
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_eventlog_entry_create (1, "", NULL));
}

static void entries_need_exactly_one_newline (void **state)
{
    const char *bad[] = {"",
                         "\n",
                         "{\"timestamp\":1,\"name\":\"a\"}",
                         "{\"timestamp\":1,\"name\":\"a\"}\n\n",
                         "{\"timestamp\":1,\"name\":\"a\"} x\n",
                         "{\"timestamp\":1}\n",
                         "{\"name\":\"a\"}\n",
                         "{\"timestamp\":\"1\",\"name\":\"a\"}\n",
                         "{\"timestamp\":1,\"name\":\"a\",\"context\":[]}\n",
                         "[1]\n",
                         "{\"timestamp\":1,\"name\":\"\\u0000\"}\n"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_error_t err = {{0}};
        json_t *e = eddy_eventlog_entry_decode (bad[i], &err);
        if (e)
            fail_msg ("accepted '%s'", bad[i]);
        assert_true (strlen (err.text) > 0);
    }
}

static void logs_decode_line_by_line (void **state)
{
    const char *text = "{\"timestamp\":1.0,\"name\":\"a\"}\n"
                       "{\"timestamp\":2.0,\"name\":\"b\",\"context\":{\"x\":1}}\n";
    eddy_error_t err;
    json_t *log = eddy_eventlog_decode (text, &err);
    assert_non_null (log);
    assert_int_equal (json_array_size (log), 2);
    json_t *e = eddy_eventlog_entry_create (3.0, "c", NULL);
    assert_int_equal (eddy_eventlog_append (log, e, NULL), 0);
    json_decref (e);
    json_t *empty = json_object ();
    assert_int_equal (eddy_eventlog_append (log, empty, &err), -1);
    json_decref (empty);
    char *s = eddy_eventlog_encode (log);
    assert_string_equal (s, "{\"timestamp\":1.0,\"name\":\"a\"}\n"
                            "{\"timestamp\":2.0,\"name\":\"b\",\"context\":{\"x\":1}}\n"
                            "{\"timestamp\":3.0,\"name\":\"c\"}\n");
    free (s);
    json_decref (log);
    log = eddy_eventlog_decode ("", NULL);
    assert_int_equal (json_array_size (log), 0);
    json_decref (log);
}

static void log_errors_name_the_line (void **state)
{
    eddy_error_t err;
    json_t *log = eddy_eventlog_decode ("{\"timestamp\":1,\"name\":\"a\"}\n\n", &err);
    assert_null (log);
    assert_non_null (strstr (err.text, "line 2"));
    log = eddy_eventlog_decode ("{\"timestamp\":1,\"name\":\"a\"}\n{\"name\":\"b\"}\n",
                                &err);
    assert_null (log);
    assert_non_null (strstr (err.text, "line 2"));
    assert_null (eddy_eventlog_decode ("{\"timestamp\":1,\"name\":\"a\"}", &err));
    assert_int_equal (errno, EINVAL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (create_encode_decode_entry),
        cmocka_unit_test (entries_need_exactly_one_newline),
        cmocka_unit_test (logs_decode_line_by_line),
        cmocka_unit_test (log_errors_name_the_line),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
