/* Unit tests for the TOML 1.0 parser (engine/util/toml.c): the JSON mapping,
 * table rules, numbers and dates at their limits, and error positions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/toml.h"

/* Parse text that must be valid. */
static json_t *parse_ok (const char *text, size_t len)
{
    eddy_error_t err = {""};
    json_t *o = eddy_toml_parse (text, len, "t", &err);
    if (!o)
        fail_msg ("rejected valid TOML: %s\n--- input:\n%.*s", err.text, (int)len,
                  text);
    assert_true (json_is_object (o));
    return o;
}

#define OK(text) parse_ok ((text), strlen (text))

/* Parse text that must be invalid, with exactly this message. */
static void parse_fails (const char *text, size_t len, const char *want)
{
    eddy_error_t err = {""};
    errno = 0;
    json_t *o = eddy_toml_parse (text, len, "t", &err);
    if (o) {
        json_decref (o);
        fail_msg ("accepted invalid TOML:\n%.*s", (int)len, text);
    }
    assert_int_equal (errno, EINVAL);
    if (want)
        assert_string_equal (err.text, want);
}

#define FAILS(text, want) parse_fails ((text), strlen (text), (want))

static json_int_t int_of (const char *text)
{
    json_t *o = OK (text);
    json_t *v = json_object_get (o, "v");
    assert_true (json_is_integer (v));
    json_int_t i = json_integer_value (v);
    json_decref (o);
    return i;
}

/* The kind of the date/time in `v = ...`, its normalized text in out. */
static const char *datetime_of (const char *text, char *out, size_t size)
{
    json_t *o = OK (text);
    const char *t, *kind = eddy_toml_datetime (json_object_get (o, "v"), &t);
    assert_non_null (kind);
    snprintf (out, size, "%s", t);
    json_decref (o);
    return kind;
}

static void maps_scalars_to_json (void **state)
{
    json_t *o = OK ("s = \"str\"\n"
                    "i = -42\n"
                    "f = 6.25e-1\n"
                    "t = true\n"
                    "n = false\n"
                    "a = [1, \"two\", [3.0]]\n"
                    "tab = { x = 1 }\n");
    assert_string_equal (json_string_value (json_object_get (o, "s")), "str");
    assert_int_equal (json_integer_value (json_object_get (o, "i")), -42);
    assert_true (json_is_real (json_object_get (o, "f")));
    assert_true (json_real_value (json_object_get (o, "f")) == 0.625);
    assert_true (json_is_true (json_object_get (o, "t")));
    assert_true (json_is_false (json_object_get (o, "n")));
    json_t *a = json_object_get (o, "a");
    assert_int_equal (json_array_size (a), 3);
    assert_string_equal (json_string_value (json_array_get (a, 1)), "two");
    assert_true (json_real_value (json_array_get (json_array_get (a, 2), 0)) == 3.0);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (o, "tab"), "x")), 1);
    assert_null (eddy_toml_datetime (json_object_get (o, "tab"), NULL));
    assert_false (eddy_toml_float (json_object_get (o, "tab"), NULL));
    assert_false (eddy_toml_float (json_object_get (o, "i"), NULL));
    json_decref (o);
}

static void represents_inf_and_nan (void **state)
{
    json_t *o = OK ("a = inf\nb = -inf\nc = +inf\nd = nan\ne = -nan\nf = 1.5\n");
    double d;
    assert_true (eddy_toml_float (json_object_get (o, "a"), &d));
    assert_true (isinf (d) && d > 0);
    assert_true (eddy_toml_float (json_object_get (o, "b"), &d));
    assert_true (isinf (d) && d < 0);
    assert_true (eddy_toml_float (json_object_get (o, "c"), &d));
    assert_true (isinf (d) && d > 0);
    assert_true (eddy_toml_float (json_object_get (o, "d"), &d));
    assert_true (isnan (d));
    assert_true (eddy_toml_float (json_object_get (o, "e"), &d));
    assert_true (isnan (d));
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (o, "e"), "toml-float")),
        "-nan");
    assert_true (eddy_toml_float (json_object_get (o, "f"), &d));
    assert_true (d == 1.5);
    json_decref (o);
    FAILS ("v = Inf\n", "t:1:5: invalid value 'Inf'");
    FAILS ("v = in\n", "t:1:5: invalid float 'in'");
}

static void integers_at_the_int64_limits (void **state)
{
    assert_true (int_of ("v = 9223372036854775807") == INT64_MAX);
    assert_true (int_of ("v = -9223372036854775808") == INT64_MIN);
    assert_true (int_of ("v = 9_223_372_036_854_775_807") == INT64_MAX);
    assert_true (int_of ("v = 0x7FFF_ffff_FFFF_ffff") == INT64_MAX);
    assert_true (int_of ("v = 0o777777777777777777777") == INT64_MAX);
    assert_true (int_of ("v = 0b"
                         "1111111111111111111111111111111"
                         "11111111111111111111111111111111") == INT64_MAX);
    assert_true (int_of ("v = 0x0000000000000000000000001") == 1);
    assert_true (int_of ("v = -0") == 0);
    assert_true (int_of ("v = +17") == 17);
    FAILS ("v = 9223372036854775808",
           "t:1:5: integer '9223372036854775808' is out of range");
    FAILS ("v = -9223372036854775809",
           "t:1:5: integer '-9223372036854775809' is out of range");
    FAILS ("v = 0x8000000000000000",
           "t:1:5: integer '0x8000000000000000' is out of range");
    FAILS ("v = 99999999999999999999999999999999999999999999", NULL);
    FAILS ("v = 0b"
           "1111111111111111111111111111111111111111111111111111111111111111",
           NULL);
    FAILS ("v = 012", "t:1:5: invalid integer '012'");
    FAILS ("v = 1__2", "t:1:5: invalid integer '1__2'");
    FAILS ("v = _1", "t:1:5: invalid value '_1'");
    FAILS ("v = 1_", "t:1:5: invalid integer '1_'");
    FAILS ("v = -0x1", "t:1:5: invalid integer '-0x1'");
    FAILS ("v = 0X1", "t:1:5: invalid integer '0X1'");
    FAILS ("v = 0o8", "t:1:5: invalid integer '0o8'");
    FAILS ("v = 0x", "t:1:5: invalid integer '0x'");
    FAILS ("v = +", "t:1:5: invalid value '+'");
}

static void floats_follow_the_grammar (void **state)
{
    json_t *o =
        OK ("a = 1_000.5\nb = 1e-400\nc = 0.0\nd = -0e0\ne = 3E+02\nf = 1e0_1\n");
    assert_true (json_real_value (json_object_get (o, "a")) == 1000.5);
    assert_true (json_real_value (json_object_get (o, "b")) == 0.0);
    assert_true (json_real_value (json_object_get (o, "e")) == 300.0);
    assert_true (json_real_value (json_object_get (o, "f")) == 10.0);
    json_decref (o);
    FAILS ("v = 1e400", "t:1:5: float '1e400' is out of range");
    FAILS ("v = 1.", "t:1:5: invalid float '1.'");
    FAILS ("v = .5", "t:1:5: invalid value '.5'");
    FAILS ("v = 1.e5", "t:1:5: invalid float '1.e5'");
    FAILS ("v = 01.5", "t:1:5: invalid float '01.5'");
    FAILS ("v = 1e", "t:1:5: invalid float '1e'");
    FAILS ("v = 1_.5", "t:1:5: invalid float '1_.5'");
    FAILS ("v = 1.5_", "t:1:5: invalid float '1.5_'");
    FAILS ("v = 1.2.3", "t:1:5: invalid float '1.2.3'");
}

static void dates_and_times_keep_kind_and_text (void **state)
{
    char t[64];
    assert_string_equal (datetime_of ("v = 1979-05-27T07:32:00Z", t, sizeof (t)),
                         "datetime");
    assert_string_equal (t, "1979-05-27T07:32:00Z");
    assert_string_equal (
        datetime_of ("v = 1979-05-27t07:32:00.999999-07:00", t, sizeof (t)),
        "datetime");
    assert_string_equal (t, "1979-05-27T07:32:00.999999-07:00");
    assert_string_equal (datetime_of ("v = 1979-05-27 07:32:00z", t, sizeof (t)),
                         "datetime");
    assert_string_equal (t, "1979-05-27T07:32:00Z");
    assert_string_equal (datetime_of ("v = 1979-05-27T00:32:00", t, sizeof (t)),
                         "datetime-local");
    assert_string_equal (t, "1979-05-27T00:32:00");
    assert_string_equal (datetime_of ("v = 1979-05-27 # c", t, sizeof (t)),
                         "date-local");
    assert_string_equal (t, "1979-05-27");
    assert_string_equal (datetime_of ("v = 00:32:00.5", t, sizeof (t)), "time-local");
    assert_string_equal (t, "00:32:00.5");
    json_t *o = OK ("a = [1979-05-27, 07:32:00]\n");
    assert_string_equal (
        eddy_toml_datetime (json_array_get (json_object_get (o, "a"), 1), NULL),
        "time-local");
    json_decref (o);
}

static void dates_are_real_calendar_days (void **state)
{
    char t[64];
    datetime_of ("v = 2000-02-29", t, sizeof (t)); /* divisible by 400 */
    datetime_of ("v = 2024-02-29", t, sizeof (t)); /* divisible by 4 */
    datetime_of ("v = 0000-02-29", t, sizeof (t)); /* year 0 is a leap year */
    datetime_of ("v = 9999-12-31T23:59:59Z", t, sizeof (t));
    datetime_of ("v = 0001-01-01T00:00:00Z", t, sizeof (t));
    datetime_of ("v = 1990-12-31T23:59:60Z", t, sizeof (t)); /* leap second */
    datetime_of ("v = 1979-05-27T07:32:00+23:59", t, sizeof (t));
    datetime_of ("v = 1979-04-30", t, sizeof (t));
    FAILS ("v = 1900-02-29", "t:1:5: no such date '1900-02-29'");
    FAILS ("v = 2023-02-29", "t:1:5: no such date '2023-02-29'");
    FAILS ("v = 2024-02-30", "t:1:5: no such date '2024-02-30'");
    FAILS ("v = 1979-04-31", "t:1:5: no such date '1979-04-31'");
    FAILS ("v = 1979-13-01", "t:1:5: no such date '1979-13-01'");
    FAILS ("v = 1979-00-01", "t:1:5: no such date '1979-00-01'");
    FAILS ("v = 1979-01-00", "t:1:5: no such date '1979-01-00'");
    FAILS ("v = 1979-01-32T00:00:00", "t:1:5: no such date '1979-01-32'");
    FAILS ("v = 1979-5-27", "t:1:5: invalid date/time '1979-5-27'");
    FAILS ("v = 19790-05-27", "t:1:5: invalid integer '19790-05-27'");
}

static void times_are_real_clock_times (void **state)
{
    FAILS ("v = 24:00:00", "t:1:5: no such time '24:00:00'");
    FAILS ("v = 23:60:00", "t:1:5: no such time '23:60:00'");
    FAILS ("v = 23:59:61", "t:1:5: no such time '23:59:61'");
    FAILS ("v = 1979-05-27T24:00:00Z", "t:1:5: no such time '1979-05-27T24:00:00'");
    FAILS ("v = 1979-05-27T07:32Z", "t:1:5: invalid date/time '1979-05-27T07:32Z'");
    FAILS ("v = 07:32", "t:1:5: invalid date/time '07:32'");
    FAILS ("v = 07:32:00Z", "t:1:5: invalid date/time '07:32:00Z'");
    FAILS ("v = 07:32:00.", "t:1:5: invalid date/time '07:32:00.'");
    FAILS ("v = 1979-05-27T07:32:00+24:00",
           "t:1:5: no such UTC offset in '1979-05-27T07:32:00+24:00'");
    FAILS ("v = 1979-05-27T07:32:00-00:60",
           "t:1:5: no such UTC offset in '1979-05-27T07:32:00-00:60'");
    FAILS ("v = 1979-05-27T07:32:00+0700", NULL);
    FAILS ("v = 1979-05-27T", "t:1:5: invalid date/time '1979-05-27T'");
    FAILS ("v = 1979-05-27X07:32:00", "t:1:5: invalid date/time '1979-05-27X07:32:00'");
}

static void strings_of_every_kind (void **state)
{
    json_t *o = OK ("a = \"tab\\there \\u00E9 \\U0001F600 \\\"q\\\" \\\\\"\n"
                    "b = 'C:\\no\\escape'\n"
                    "c = \"\"\"\nline1\r\nline2 \\\n   \n   joined\"\"\"\n"
                    "d = '''\n'quoted' \"\"\" ''''\n"
                    "e = \"\"\"\"\"\"\"\"\n"
                    "f = \"nul\\u0000byte\"\n"
                    "\"k\\u0000ey\" = 1\n");
    assert_string_equal (json_string_value (json_object_get (o, "a")),
                         "tab\there \xC3\xA9 \xF0\x9F\x98\x80 \"q\" \\");
    assert_string_equal (json_string_value (json_object_get (o, "b")),
                         "C:\\no\\escape");
    assert_string_equal (json_string_value (json_object_get (o, "c")),
                         "line1\nline2 joined");
    assert_string_equal (json_string_value (json_object_get (o, "d")),
                         "'quoted' \"\"\" '");
    assert_string_equal (json_string_value (json_object_get (o, "e")), "\"\"");
    json_t *f = json_object_get (o, "f");
    assert_int_equal (json_string_length (f), 8);
    assert_memory_equal (json_string_value (f), "nul\0byte", 8);
    assert_non_null (json_object_getn (o, "k\0ey", 4));
    json_decref (o);
}

static void bad_strings_are_errors (void **state)
{
    FAILS ("v = \"\\ud800\"", "t:1:6: \\u escape U+D800 is not a Unicode scalar value");
    FAILS ("v = \"\\U00110000\"",
           "t:1:6: \\U escape U+110000 is not a Unicode scalar value");
    FAILS ("v = \"\\u12\"", "t:1:6: \\u escape needs 4 hex digits");
    FAILS ("v = \"\\x41\"", "t:1:6: invalid escape sequence: backslash then 'x'");
    FAILS ("v = \"\\ \"", "t:1:6: invalid escape sequence: backslash then space");
    FAILS ("v = \"\"\"a\\ b\"\"\"",
           "t:1:9: only whitespace may follow a line-ending backslash");
    FAILS ("v = \"abc\n\"", "t:1:9: newline in a single-line string");
    FAILS ("v = \"abc", "t:1:5: unterminated string");
    FAILS ("v = '''abc''", "t:1:5: unterminated string");
    FAILS ("v = \"a\tb\x01\"", "t:1:9: control character U+0001 in string");
    FAILS ("v = \"\"\"a\rb\"\"\"",
           "t:1:9: carriage return without line feed in string");
    FAILS ("v = \"a\x7f\"", "t:1:7: control character U+007F in string");
    FAILS ("\"\"\"k\"\"\" = 1", "t:1:1: a multi-line string cannot be a key");
    /* at most two quotes may precede the closing three */
    json_decref (OK ("v = \"\"\"\"\"\"\"\n"));
    FAILS ("v = \"\"\"\"\"\"\"\"\"", "t:1:13: expected end of line, found '\"'");
}

static void error_positions_count_lines_and_characters (void **state)
{
    FAILS ("a = 1\nb = \n", "t:2:5: expected a value, found newline");
    FAILS ("a = 1\r\nb = ?\r\n", "t:2:5: expected a value, found '?'");
    /* columns count characters, not bytes: é is two bytes */
    FAILS ("x = \"\xC3\xA9\\q\"", "t:1:7: invalid escape sequence: backslash then 'q'");
    /* a BOM is not a column */
    FAILS ("\xEF\xBB\xBF"
           "a = ?",
           "t:1:5: expected a value, found '?'");
    FAILS ("# comment\n\n  [a]\n  x = 1\n  x = 2\n", "t:5:3: duplicate key 'x'");
    FAILS ("a = 1 b = 2\n", "t:1:7: expected end of line, found 'b'");
    FAILS ("a = [1,\n     2,\n     3\n", "t:1:5: unterminated array");
    FAILS ("a = { b = 1,\n c = 2 }",
           "t:1:13: newline in inline table (TOML 1.0 allows none)");
    FAILS ("a = { b = 1, }", "t:1:14: trailing comma in inline table");
    FAILS ("# \x01\n", "t:1:3: control character U+0001 in comment");
    FAILS ("a = 1\r", "t:1:6: expected end of line, found carriage return");
    FAILS ("a = 1\n\xff", "t:2:1: invalid UTF-8 byte 0xFF");
    FAILS ("a = \"\xed\xa0\x80\"", "t:1:6: invalid UTF-8 sequence"); /* surrogate */
    FAILS ("a = \"\xc0\xaf\"", "t:1:6: invalid UTF-8 byte 0xC0");    /* overlong */
    FAILS ("a = \"\xe2\x82", "t:1:6: truncated UTF-8 sequence");
    FAILS ("= 1", "t:1:1: expected a key, found '='");
    FAILS ("a.\n", "t:1:3: expected a key, found newline");
    FAILS ("[a", "t:1:3: expected ']' to close the header, found end of input");
    FAILS ("[[a]", "t:1:5: expected ']]' to close the header, found end of input");
    FAILS ("a = \xe2\x80\x83", "t:1:5: expected a value, found U+2003");
    parse_fails ("a = 1\0", 6,
                 "t:1:6: expected end of line, found control character U+0000");
}

static void table_definition_rules (void **state)
{
    json_t *o = OK ("[a.b.c]\nx = 1\n[a]\ny = 2\n"); /* implicit, then defined */
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (o, "a"), "y")), 2);
    json_decref (o);
    o = OK ("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n");
    json_decref (o);
    o = OK ("[[p]]\nn = 1\n[p.sub]\nm = 1\n[[p]]\nn = 2\n");
    assert_int_equal (json_array_size (json_object_get (o, "p")), 2);
    json_decref (o);
    o = OK ("a = {b.c = 1, b.d = 2}\n");
    json_decref (o);

    FAILS ("[a]\n[a]\n", "t:2:2: table 'a' is already defined");
    FAILS ("[a.b]\n[a]\n[a.b]\n", "t:3:4: table 'a.b' is already defined");
    FAILS ("[fruit]\napple.color = 1\n[fruit.apple]\n",
           "t:3:8: table 'fruit.apple' is already defined");
    FAILS ("[a.b.c]\n[a]\nb.c.t = 1\n", "t:3:1: table 'b' is already defined");
    FAILS ("a = 1\n[a]\n", "t:2:2: key 'a' is already defined");
    FAILS ("a = 1\na.b = 2\n", "t:2:1: 'a' is a value, not a table");
    FAILS ("[[a]]\n[a]\n", "t:2:2: array of tables 'a' is already defined");
    FAILS ("[a]\n[[a]]\n", "t:2:3: 'a' is already defined as a table");
    FAILS ("a = []\n[[a]]\n", "t:2:3: 'a' is already defined as a static array");
    FAILS ("a = [{}]\n[a.b]\n", "t:2:2: 'a' is not a table");
    FAILS ("a = {}\n[a.b]\n", "t:2:2: 'a' is an inline table and cannot be extended");
    FAILS ("a = {b = 1}\na.c = 2\n",
           "t:2:1: table 'a' is already defined as an inline table");
    FAILS ("a = {b = 1, b.c = 2}\n", "t:1:13: 'b' is a value, not a table");
    FAILS ("[[t.arr]]\n[t]\narr.x = 1\n", "t:3:1: 'arr' is an array, not a table");
}

/* n levels of nested arrays as the value of v. */
static char *nested_arrays (int n)
{
    char *s = malloc ((size_t)n * 2 + 8);
    assert_non_null (s);
    strcpy (s, "v = ");
    memset (s + 4, '[', (size_t)n);
    memset (s + 4 + n, ']', (size_t)n);
    s[4 + 2 * n] = '\0';
    return s;
}

static void nesting_depth_is_limited (void **state)
{
    char msg[64];
    /* the root table is level 1, so 127 nested arrays reach the limit */
    char *s = nested_arrays (EDDY_TOML_MAX_DEPTH - 1);
    json_decref (OK (s));
    free (s);
    s = nested_arrays (EDDY_TOML_MAX_DEPTH);
    snprintf (msg, sizeof (msg), "t:1:%d: nesting deeper than %d levels",
              4 + EDDY_TOML_MAX_DEPTH, EDDY_TOML_MAX_DEPTH);
    FAILS (s, msg);
    free (s);
    /* far deeper input fails the same way, without exhausting the stack */
    s = nested_arrays (1000000);
    FAILS (s, NULL);
    free (s);

    /* dotted keys, headers and inline tables count the same levels */
    char buf[4096];
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf (buf + n, sizeof (buf) - n, "%sk", i ? "." : "");
    snprintf (buf + n, sizeof (buf) - n, " = 1\n");
    FAILS (buf, "t:1:255: nesting deeper than 128 levels");
    buf[0] = '[';
    n = 1;
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf (buf + n, sizeof (buf) - n, "%sk", i ? "." : "");
    snprintf (buf + n, sizeof (buf) - n, "]\n");
    FAILS (buf, "t:1:256: nesting deeper than 128 levels");
    n = (size_t)snprintf (buf, sizeof (buf), "v = ");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf (buf + n, sizeof (buf) - n, "{a = ");
    FAILS (buf, "t:1:640: nesting deeper than 128 levels");
}

static void every_prefix_of_a_document_is_handled (void **state)
{
    const char *doc =
        "# config\n"
        "[bootstrap]\n"
        "hosts = [ { host = \"test[1-16]\" }, { host = 'x', port = 0x1F } ]\n"
        "[[resource.config]]\n"
        "cores = \"\"\"0-3\\\n  \"\"\"\n"
        "when = 1979-05-27 07:32:00.5+01:00\n"
        "f = -1_0.5e+3\n";
    size_t len = strlen (doc);
    for (size_t i = 0; i <= len; i++) {
        eddy_error_t err;
        json_t *o = eddy_toml_parse (doc, i, "t", &err);
        if (o)
            json_decref (o);
        else
            assert_int_equal (errno, EINVAL);
    }
    json_decref (parse_ok (doc, len));
}

static void failure_has_no_side_effects (void **state)
{
    errno = 0;
    assert_null (eddy_toml_parse ("a = ", 4, NULL, NULL));
    assert_int_equal (errno, EINVAL);
    eddy_error_t err;
    assert_null (eddy_toml_parse ("a = ", 4, NULL, &err));
    assert_string_equal (err.text, "<input>:1:5: expected a value, found end of input");
    assert_null (eddy_toml_parse (NULL, 1, "t", &err));
    assert_int_equal (errno, EINVAL);
    json_t *o = eddy_toml_parse (NULL, 0, "t", &err);
    assert_non_null (o);
    assert_int_equal (json_object_size (o), 0);
    json_decref (o);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (maps_scalars_to_json),
        cmocka_unit_test (represents_inf_and_nan),
        cmocka_unit_test (integers_at_the_int64_limits),
        cmocka_unit_test (floats_follow_the_grammar),
        cmocka_unit_test (dates_and_times_keep_kind_and_text),
        cmocka_unit_test (dates_are_real_calendar_days),
        cmocka_unit_test (times_are_real_clock_times),
        cmocka_unit_test (strings_of_every_kind),
        cmocka_unit_test (bad_strings_are_errors),
        cmocka_unit_test (error_positions_count_lines_and_characters),
        cmocka_unit_test (table_definition_rules),
        cmocka_unit_test (nesting_depth_is_limited),
        cmocka_unit_test (every_prefix_of_a_document_is_handled),
        cmocka_unit_test (failure_has_no_side_effects),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
