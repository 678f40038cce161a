/* Unit tests of the KVS's JSON check (jsoncheck.c): it must agree with
 * jansson's json_loadb (JSON_DECODE_ANY) on every text, the ones its own
 * scan decides and the ones it hands over, including random mutations of
 * valid documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "kvs/jsoncheck.h"

static bool jansson_accepts (const char *s, size_t len)
{
    json_t *v = json_loadb (s, len, JSON_DECODE_ANY, NULL);
    bool ok = v != NULL;
    json_decref (v);
    return ok;
}

static void agree (const char *s, size_t len)
{
    bool mine = eddy_json_check (s, len), theirs = jansson_accepts (s, len);
    if (mine != theirs)
        fail_msg ("eddy_json_check says %s, jansson says %s, for [%.*s]", mine ? "valid" : "invalid",
                  theirs ? "valid" : "invalid", (int)len, s);
}

static void agree_str (const char *s)
{
    agree (s, strlen (s));
}

static const char *valid[] = {
    "0", "-0", "1", "-17", "123456789012345678", "-123456789012345678", "0.5", "-0.25",
    "3.14159", "1234.5678", "true", "false", "null", "\"\"", "\"abc\"", " \"a b\" ",
    "\"q\\\"q\\\\/\\/\\b\\f\\n\\r\\t\"", "[]", "[ ]", "{}", "{ }", "[1,2,3]", " [ 1 , 2 ] \n",
    "{\"a\":1}", "{\"a\":1,\"a\":2}", "{\"\":null}", "{\"a\":{\"b\":[true,false,null,\"x\"]}}",
    "[[[[[]]]]]", "[{},{},[]]", "\t{\r\n\"k\" : [ 0.0 , -1.5 ] }\r\n",
    "{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":4,\"with\":[{\"type\":\"core\","
    "\"count\":1}],\"label\":\"task\"}],\"attributes\":{\"system\":{\"duration\":3600.0}}}",
    /* handed to jansson: still valid */
    "1e5", "1E+5", "-2.5e-3", "1234567890123456789", "\"\\u00e9\"", "\"\xc3\xa9\"", "\"\x7f\"",
    "[\"\\ud83d\\ude00\"]",
};

static const char *invalid[] = {
    "", " ", "\n", "-", "+1", "01", "-01", "1.", ".5", "1.e5", "1e", "1e+", "0x10", "1 2",
    "tru", "truex", "nul", "nulll", "True", "NaN", "Infinity", "\"", "\"abc", "\"a\\\"",
    "\"a\\x\"", "\"\\u12\"", "\"\\u0000\"", "\"tab\there\"", "\"nl\nhere\"", "\"\xff\"",
    "\"\xc3\"", "[", "]", "[1,]", "[,1]", "[1 2]", "{", "}", "{\"a\"}", "{\"a\":}",
    "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{1:2}", "[}", "{]", "[1]]", "{}}", "[1] x",
    "99999999999999999999999", "1e999", "-1e999", "[\"\\ud800\"]",
};

static void valid_texts_are_valid (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof (valid) / sizeof (valid[0]); i++) {
        assert_true (jansson_accepts (valid[i], strlen (valid[i])));
        agree_str (valid[i]);
    }
}

static void invalid_texts_are_invalid (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof (invalid) / sizeof (invalid[0]); i++) {
        assert_false (jansson_accepts (invalid[i], strlen (invalid[i])));
        agree_str (invalid[i]);
    }
}

static void a_nul_byte_inside_is_refused (void **state)
{
    (void)state;
    agree ("\"a\0b\"", 5);
    assert_false (eddy_json_check ("\"a\0b\"", 5));
    agree ("[1]\0", 4);
    assert_false (eddy_json_check ("[1]\0", 4));
    assert_false (eddy_json_check (NULL, 0));
}

/* The length is the text: a valid prefix is not enough. */
static void the_length_bounds_the_text (void **state)
{
    (void)state;
    assert_true (eddy_json_check ("[1,2]xyz", 5));
    assert_false (eddy_json_check ("[1,2]", 4));
    assert_false (eddy_json_check ("\"abc\"", 4));
    assert_false (eddy_json_check ("true", 3));
}

/* Nesting past the scan's own depth goes to jansson, which allows 2048. */
static void deep_nesting_agrees (void **state)
{
    (void)state;
    size_t depths[] = {1, 511, 512, 513, 2000, 2048, 2049, 3000};
    for (size_t k = 0; k < sizeof (depths) / sizeof (depths[0]); k++) {
        size_t d = depths[k];
        char *s = malloc (2 * d + 1);
        assert_non_null (s);
        memset (s, '[', d);
        memset (s + d, ']', d);
        s[2 * d] = '\0';
        agree (s, 2 * d);
        memset (s, '{', 1); /* broken: an object holding an array */
        agree (s, 2 * d);
        free (s);
    }
}

/* Every valid text with one byte changed, dropped or duplicated, in
 * every position, from a fixed pseudo-random source.
 */
static void mutations_agree (void **state)
{
    static const char bytes[] = "{}[]\",:.-+eE0123456789 \t\n\\/utfnlrbx\x01\x7f\xc3\xa9";
    uint64_t x = 0x2545f4914f6cdd1dULL;
    char buf[512];

    (void)state;
    for (size_t i = 0; i < sizeof (valid) / sizeof (valid[0]); i++) {
        size_t len = strlen (valid[i]);
        for (size_t pos = 0; pos < len; pos++) {
            for (int rep = 0; rep < 8; rep++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char b = bytes[x % (sizeof (bytes) - 1)];
                memcpy (buf, valid[i], len);
                buf[pos] = b; /* changed */
                agree (buf, len);
                memcpy (buf, valid[i], pos); /* dropped */
                memcpy (buf + pos, valid[i] + pos + 1, len - pos - 1);
                agree (buf, len - 1);
                memcpy (buf, valid[i], pos + 1); /* inserted */
                buf[pos + 1] = b;
                memcpy (buf + pos + 2, valid[i] + pos + 1, len - pos - 1);
                agree (buf, len + 1);
            }
        }
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (valid_texts_are_valid),
        cmocka_unit_test (invalid_texts_are_invalid),
        cmocka_unit_test (a_nul_byte_inside_is_refused),
        cmocka_unit_test (the_length_bounds_the_text),
        cmocka_unit_test (deep_nesting_agrees),
        cmocka_unit_test (mutations_agree),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
