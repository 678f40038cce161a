/* Output line buffering and entry encoding: whole lines leave together,
 * partial lines wait, over-long lines are cut at a character boundary,
 * the rest leaves at EOF, and non-UTF-8 output travels as base64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec/iobuf.h"

static const char *data_of (json_t *out, size_t i)
{
    return json_string_value (json_object_get (json_array_get (out, i), "data"));
}

static void complete_lines_leave_partial_lines_wait (void **state)
{
    eddy_iobuf_t *b = eddy_iobuf_create ("stdout", 3);
    json_t *out = json_array ();

    assert_int_equal (eddy_iobuf_write (b, "hel", 3, out), 0);
    assert_int_equal (json_array_size (out), 0);
    assert_int_equal (eddy_iobuf_write (b, "lo\nwor", 6, out), 0);
    assert_int_equal (json_array_size (out), 1);
    assert_string_equal (data_of (out, 0), "hello\n");
    const char *stream, *rank, *data;
    assert_int_equal (json_unpack (json_array_get (out, 0), "{s:s s:s s:s !}", "stream", &stream,
                                   "rank", &rank, "data", &data), 0);
    assert_string_equal (stream, "stdout");
    assert_string_equal (rank, "3");
    /* two lines in one write leave as one entry */
    assert_int_equal (eddy_iobuf_write (b, "ld\na\nb", 6, out), 0);
    assert_int_equal (json_array_size (out), 2);
    assert_string_equal (data_of (out, 1), "world\na\n");
    assert_false (eddy_iobuf_eof (b));
    assert_int_equal (eddy_iobuf_close (b, out), 0);
    assert_true (eddy_iobuf_eof (b));
    assert_int_equal (json_array_size (out), 3);
    assert_string_equal (data_of (out, 2), "b");
    /* closing twice is harmless, writing after close is not allowed */
    assert_int_equal (eddy_iobuf_close (b, out), 0);
    assert_int_equal (json_array_size (out), 3);
    assert_int_equal (eddy_iobuf_write (b, "x", 1, out), -1);
    assert_int_equal (errno, EINVAL);
    eddy_iobuf_destroy (b);
    json_decref (out);
}

static void empty_stream_emits_nothing (void **state)
{
    eddy_iobuf_t *b = eddy_iobuf_create ("stderr", 0);
    json_t *out = json_array ();
    assert_int_equal (eddy_iobuf_close (b, out), 0);
    assert_int_equal (json_array_size (out), 0);
    eddy_iobuf_destroy (b);
    json_decref (out);
}

static void long_lines_are_cut_at_a_character_boundary (void **state)
{
    size_t n = EDDY_IOBUF_LINE_MAX + 10;
    char *big = malloc (n);
    memset (big, 'x', n);
    /* a 3-byte character straddling the limit */
    memcpy (big + EDDY_IOBUF_LINE_MAX - 1, "\xe2\x82\xac", 3);
    eddy_iobuf_t *b = eddy_iobuf_create ("stdout", 0);
    json_t *out = json_array ();
    assert_int_equal (eddy_iobuf_write (b, big, n, out), 0);
    assert_int_equal (json_array_size (out), 1);
    assert_int_equal (strlen (data_of (out, 0)), EDDY_IOBUF_LINE_MAX - 1);
    assert_int_equal (eddy_iobuf_close (b, out), 0);
    assert_int_equal (json_array_size (out), 2);
    assert_memory_equal (data_of (out, 1), "\xe2\x82\xac", 3);
    assert_int_equal (strlen (data_of (out, 1)), 11);
    eddy_iobuf_destroy (b);
    json_decref (out);
    free (big);
}

static void binary_output_is_base64 (void **state)
{
    json_t *e = eddy_output_entry ("stdout", 1, "a\xff\n", 3);
    const char *data, *enc;
    assert_non_null (e);
    assert_int_equal (json_unpack (e, "{s:s s:s}", "data", &data, "encoding", &enc), 0);
    assert_string_equal (enc, "base64");
    assert_string_equal (data, "Yf8K");
    json_decref (e);
    e = eddy_output_entry ("stdout", 1, "ab", 2);
    assert_null (json_object_get (e, "encoding"));
    json_decref (e);
    e = eddy_output_entry ("stdout", 1, "abcd", 4);
    json_decref (e);
    e = eddy_output_entry ("stdout", 1, "\xc3", 1);
    assert_int_equal (json_unpack (e, "{s:s}", "data", &data), 0);
    assert_string_equal (data, "ww==");
    json_decref (e);
}

static void utf8_is_checked_strictly (void **state)
{
    assert_true (eddy_utf8_valid ("", 0));
    assert_true (eddy_utf8_valid ("plain", 5));
    assert_true (eddy_utf8_valid ("\xc6\x92", 2));             /* U+0192 */
    assert_true (eddy_utf8_valid ("\xf0\x9f\x98\x80", 4));     /* U+1F600 */
    assert_false (eddy_utf8_valid ("\xc0\xaf", 2));            /* overlong */
    assert_false (eddy_utf8_valid ("\xed\xa0\x80", 3));        /* surrogate */
    assert_false (eddy_utf8_valid ("\xf4\x90\x80\x80", 4));    /* > U+10FFFF */
    assert_false (eddy_utf8_valid ("\xe2\x82", 2));            /* truncated */
    assert_false (eddy_utf8_valid ("\x80", 1));                /* stray continuation */
}

static void bad_arguments (void **state)
{
    assert_null (eddy_iobuf_create (NULL, 0));
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_iobuf_create ("stdoutttttt", 0));
    assert_null (eddy_iobuf_create ("stdout", -1));
    assert_int_equal (eddy_iobuf_write (NULL, "x", 1, NULL), -1);
    assert_int_equal (eddy_iobuf_close (NULL, NULL), -1);
    eddy_iobuf_destroy (NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (complete_lines_leave_partial_lines_wait),
        cmocka_unit_test (empty_stream_emits_nothing),
        cmocka_unit_test (long_lines_are_cut_at_a_character_boundary),
        cmocka_unit_test (binary_output_is_base64),
        cmocka_unit_test (utf8_is_checked_strictly),
        cmocka_unit_test (bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
