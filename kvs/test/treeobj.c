/* Unit tests of tree object encoding (treeobj.c): the exact bytes of every
 * kind of object, and the slot digits of the hdir rule.  The expected
 * texts and blobrefs were computed before the encoder was optimised; a
 * stored tree's blobrefs are hashes of these bytes, so they must never
 * change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/blobref.h"
#include "kvs/treeobj.h"

#define REF0 "sha256-0000000000000000000000000000000000000000000000000000000000000000"
#define REF1 "sha256-0000000000000000000000000000000000000000000000000000000000000001"
#define REFFF "sha256-00000000000000000000000000000000000000000000000000000000000000ff"

struct golden {
    const char *in;       /* JSON text, keys in no particular order */
    const char *out;      /* its canonical encoding */
    const char *blobref;  /* sha256 of out */
};

static const struct golden golden[] = {
    { "{\"type\":\"val\",\"ver\":1,\"data\":\"eyJhIjoxfQ==\"}",
      "{\"data\":\"eyJhIjoxfQ==\",\"type\":\"val\",\"ver\":1}",
      "sha256-869d9a5ba07a7dcc93a67536c94bddc29600c277e047455af0d99eb1a3ae120b" },
    { "{\"ver\":1,\"data\":[\"" REF1 "\",\"" REFFF "\",\"" REF1 "\"],\"type\":\"valref\"}",
      "{\"data\":[\"" REF1 "\",\"" REFFF "\",\"" REF1 "\"],\"type\":\"valref\",\"ver\":1}",
      "sha256-67ef44087250234aa0ded19df27249fda5466e43e0f583e29b1c4639b548d6d8" },
    { "{\"data\":[\"sha256-abcdef0000000000000000000000000000000000000000000000000000000009\"],"
      "\"type\":\"dirref\",\"ver\":1}",
      "{\"data\":[\"sha256-abcdef0000000000000000000000000000000000000000000000000000000009\"],"
      "\"type\":\"dirref\",\"ver\":1}",
      "sha256-7a70c00d1bbb7990f2b0191e99fc416c7fb7486efbf05b154aee22e9ed2078aa" },
    { "{\"ver\":1,\"type\":\"dir\",\"data\":{}}",
      "{\"data\":{},\"type\":\"dir\",\"ver\":1}",
      "sha256-61b85efa2a76db9377692c700b4e1edfc480bf224e0e9764b76f8082159d0ca0" },
    /* names that need escaping, UTF-8, and an order strcmp decides */
    { "{\"ver\":1,\"type\":\"dir\",\"data\":{"
      "\"zz\":{\"ver\":1,\"type\":\"val\",\"data\":\"\"},"
      "\"q\\\"uote\":{\"ver\":1,\"type\":\"val\",\"data\":\"MQ==\"},"
      "\"back\\\\slash\":{\"ver\":1,\"type\":\"val\",\"data\":\"Mg==\"},"
      "\"ctl\\u0001x\\u001f\":{\"ver\":1,\"type\":\"val\",\"data\":\"Mw==\"},"
      "\"tab\\there\":{\"ver\":1,\"type\":\"val\",\"data\":\"NA==\"},"
      "\"utf8 \\u00e9\\u2603\":{\"ver\":1,\"type\":\"val\",\"data\":\"NQ==\"},"
      "\"A\":{\"ver\":1,\"type\":\"dirref\",\"data\":"
      "[\"sha256-1111111111111111111111111111111111111111111111111111111111111111\"]},"
      "\"a\":{\"ver\":1,\"type\":\"valref\",\"data\":"
      "[\"sha256-2222222222222222222222222222222222222222222222222222222222222222\"]},"
      "\"a b\":{\"ver\":1,\"type\":\"val\",\"data\":\"Ng==\"},"
      "\"aa\":{\"ver\":1,\"type\":\"val\",\"data\":\"Nw==\"}}}",
      "{\"data\":{\"A\":{\"data\":[\"sha256-1111111111111111111111111111111111111111111111111111111111111111\"],"
      "\"type\":\"dirref\",\"ver\":1},"
      "\"a\":{\"data\":[\"sha256-2222222222222222222222222222222222222222222222222222222222222222\"],"
      "\"type\":\"valref\",\"ver\":1},"
      "\"a b\":{\"data\":\"Ng==\",\"type\":\"val\",\"ver\":1},"
      "\"aa\":{\"data\":\"Nw==\",\"type\":\"val\",\"ver\":1},"
      "\"back\\\\slash\":{\"data\":\"Mg==\",\"type\":\"val\",\"ver\":1},"
      "\"ctl\\u0001x\\u001f\":{\"data\":\"Mw==\",\"type\":\"val\",\"ver\":1},"
      "\"q\\\"uote\":{\"data\":\"MQ==\",\"type\":\"val\",\"ver\":1},"
      "\"tab\\u0009here\":{\"data\":\"NA==\",\"type\":\"val\",\"ver\":1},"
      "\"utf8 \xc3\xa9\xe2\x98\x83\":{\"data\":\"NQ==\",\"type\":\"val\",\"ver\":1},"
      "\"zz\":{\"data\":\"\",\"type\":\"val\",\"ver\":1}},\"type\":\"dir\",\"ver\":1}",
      "sha256-8dcf0fe60555da2103dba4d7074e30f1cec99545736b70055b3fadb8d150b391" },
    { "{\"level\":5,\"ver\":1,\"type\":\"hdir\",\"data\":{"
      "\"f\":{\"ver\":1,\"type\":\"dirref\",\"data\":"
      "[\"sha256-ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"]},"
      "\"0\":{\"ver\":1,\"type\":\"dirref\",\"data\":[\"" REF0 "\"]},"
      "\"a\":{\"ver\":1,\"type\":\"dirref\",\"data\":"
      "[\"sha256-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}}}",
      "{\"data\":{\"0\":{\"data\":[\"" REF0 "\"],\"type\":\"dirref\",\"ver\":1},"
      "\"a\":{\"data\":[\"sha256-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"],"
      "\"type\":\"dirref\",\"ver\":1},"
      "\"f\":{\"data\":[\"sha256-ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"],"
      "\"type\":\"dirref\",\"ver\":1}},\"level\":5,\"type\":\"hdir\",\"ver\":1}",
      "sha256-546d0229c300938c972327d1a4f7e22f85f2cea30f67e0ea1f79366ba37f54f8" },
    /* a working tree: inline dir and hdir entries are encoded in place */
    { "{\"ver\":1,\"type\":\"dir\",\"data\":{"
      "\"sub\":{\"ver\":1,\"type\":\"dir\",\"data\":{\"x\":{\"ver\":1,\"type\":\"val\",\"data\":\"eA==\"}}},"
      "\"shard\":{\"ver\":1,\"type\":\"hdir\",\"level\":0,\"data\":{"
      "\"3\":{\"ver\":1,\"type\":\"dir\",\"data\":{\"n\":{\"ver\":1,\"type\":\"val\",\"data\":\"\"}}},"
      "\"c\":{\"ver\":1,\"type\":\"hdir\",\"level\":1,\"data\":{}}}}}}",
      "{\"data\":{\"shard\":{\"data\":{\"3\":{\"data\":{\"n\":{\"data\":\"\",\"type\":\"val\",\"ver\":1}},"
      "\"type\":\"dir\",\"ver\":1},\"c\":{\"data\":{},\"level\":1,\"type\":\"hdir\",\"ver\":1}},"
      "\"level\":0,\"type\":\"hdir\",\"ver\":1},"
      "\"sub\":{\"data\":{\"x\":{\"data\":\"eA==\",\"type\":\"val\",\"ver\":1}},\"type\":\"dir\",\"ver\":1}},"
      "\"type\":\"dir\",\"ver\":1}",
      "sha256-5370974fcdff0a8aecc0d31d871d54ab41f2c59e51fe4992174108763d4f130a" },
};

static void encodings_are_byte_identical (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof (golden) / sizeof (golden[0]); i++) {
        json_error_t jerr;
        json_t *o = json_loads (golden[i].in, 0, &jerr);
        char ref[EDDY_BLOBREF_SIZE];
        size_t len;
        char *s;

        if (!o)
            fail_msg ("golden %zu: %s", i, jerr.text);
        assert_non_null (s = eddy_treeobj_encode (o, &len));
        assert_string_equal (s, golden[i].out);
        assert_int_equal (len, strlen (golden[i].out));
        eddy_blobref_hash (s, len, ref);
        assert_string_equal (ref, golden[i].blobref);
        free (s);
        json_decref (o);
    }
}

/* 40 entries made in descending order, with names whose byte order
 * differs from their numeric order.
 */
static void a_large_dir_encodes_in_strcmp_order (void **state)
{
    json_t *d = eddy_treeobj_dir ();
    json_t *data = json_object_get (d, "data");
    char ref[EDDY_BLOBREF_SIZE];
    size_t len;
    char *s;

    (void)state;
    for (int i = 39; i >= 0; i--) {
        char k[32];
        snprintf (k, sizeof (k), "k%d%s", (i * 7919) % 101, i % 3 ? "x" : "");
        assert_int_equal (json_object_set_new (data, k, eddy_treeobj_val (k, strlen (k))), 0);
    }
    assert_non_null (s = eddy_treeobj_encode (d, &len));
    assert_int_equal (len, 1865);
    eddy_blobref_hash (s, len, ref);
    assert_string_equal (ref, "sha256-51edae3669bfa7ddb71a506e72589702236626011b4ea15bcd22297f4865d07c");
    free (s);
    json_decref (d);
}

static void encode_rejects_what_is_not_a_tree_object (void **state)
{
    json_t *o = json_pack ("{s:i s:s s:s}", "ver", 1, "type", "frob", "data", "");
    (void)state;
    assert_null (eddy_treeobj_encode (o, NULL));
    assert_int_equal (errno, EINVAL);
    json_decref (o);
}

/* The escaping of the encoder before it was optimised, byte by byte. */
static void reference_escape (char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char)c;
        }
        else if (c < 0x20) {
            memcpy (out, "\\u00", 4);
            out[4] = hex[c >> 4];
            out[5] = hex[c & 15];
            out += 6;
        }
        else
            *out++ = (char)c;
    }
    *out++ = '"';
    *out = '\0';
}

static void check_escape (const char *s, size_t n)
{
    char want[48 * 6 + 64];
    const char *prefix = "{\"data\":";
    json_t *o = json_pack ("{s:i s:s s:o}", "ver", 1, "type", "val", "data", json_stringn_nocheck (s, n));
    size_t len;
    char *enc;

    assert_non_null (o);
    assert_non_null (enc = eddy_treeobj_encode (o, &len));
    strcpy (want, prefix);
    reference_escape (want + strlen (prefix), s, n);
    strcat (want, ",\"type\":\"val\",\"ver\":1}");
    assert_int_equal (len, strlen (want));
    assert_memory_equal (enc, want, len);
    free (enc);
    json_decref (o);
}

/* Strings of every length up to 40 with a byte that needs escaping (or
 * one near that set) at every position, then random mixes.
 */
static void strings_are_escaped_as_before (void **state)
{
    static const unsigned char special[] = { 0x00, 0x01, 0x09, 0x1f, 0x20, 0x21, '"', 0x23, '\\',
                                             0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff };
    const size_t nspecial = sizeof (special);
    char s[48];
    unsigned seed = 12345;

    (void)state;
    for (size_t n = 0; n <= 40; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t k = 0; k < nspecial; k++) {
                memset (s, 'a', n);
                s[pos] = (char)special[k];
                check_escape (s, n);
            }
        }
    }
    for (int round = 0; round < 5000; round++) {
        size_t n = (seed = seed * 1103515245 + 12345) >> 16 & 31;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            if ((seed >> 16) % 3)
                s[i] = (char)('a' + (seed >> 20) % 26);
            else
                s[i] = (char)special[(seed >> 8) % nspecial];
        }
        check_escape (s, n);
    }
}

static unsigned next (unsigned *seed)
{
    *seed = *seed * 1103515245 + 12345;
    return *seed >> 16;
}

/* A random entry: a val, or a valref/dirref to a made-up blob. */
static json_t *random_entry (unsigned *seed)
{
    char text[32], ref[EDDY_BLOBREF_SIZE];
    snprintf (text, sizeof (text), "v%u", next (seed));
    switch (next (seed) % 3) {
    case 0:
        return eddy_treeobj_val (text, strlen (text));
    case 1:
        eddy_blobref_hash (text, strlen (text), ref);
        return eddy_treeobj_valref (ref);
    default:
        eddy_blobref_hash (text, strlen (text), ref);
        return eddy_treeobj_dirref (ref);
    }
}

static void random_name (unsigned *seed, char *name, size_t size, bool odd)
{
    static const char *odd_bytes[] = { "\"", "\\", "\x01", "\t", "\xc3\xa9" };
    snprintf (name, size, "n%u%s", next (seed) % 97, odd ? odd_bytes[next (seed) % 5] : "");
}

/* Random directories (flat, and hdirs of random level) changed at random:
 * the update from the old encoding is the full encoding of the new
 * version, or EINVAL when an old name is escaped.
 */
/* A working tree's directory that carries the ref of its blob is written
 * as a dirref to it (in a full encoding and in an update alike), and no
 * hidden member ('.' names) is ever written; obj itself is always
 * encoded whole.
 */
static void inline_dirs_with_a_ref_encode_as_dirrefs (void **state)
{
    (void)state;
    json_t *top = eddy_treeobj_dir (), *sub = eddy_treeobj_dir (), *h = eddy_treeobj_hdir (1);
    json_object_set_new (json_object_get (sub, "data"), "v", eddy_treeobj_val ("1", 1));
    json_object_set_new (sub, EDDY_TREEOBJ_REF_KEY, json_string (REF1));
    json_object_set_new (sub, ".written", json_integer (7));
    json_object_set_new (h, EDDY_TREEOBJ_REF_KEY, json_string (REFFF));
    json_object_set_new (json_object_get (top, "data"), "sub", sub);
    json_object_set_new (json_object_get (top, "data"), "h", h);
    json_object_set_new (top, EDDY_TREEOBJ_REF_KEY, json_string (REF0));
    json_object_set_new (top, ".changed", json_pack ("[s]", "sub"));
    const char *want = "{\"data\":{\"h\":{\"data\":[\"" REFFF "\"],\"type\":\"dirref\",\"ver\":1},"
                       "\"sub\":{\"data\":[\"" REF1 "\"],\"type\":\"dirref\",\"ver\":1}},"
                       "\"type\":\"dir\",\"ver\":1}";
    size_t len;
    char *s = eddy_treeobj_encode (top, &len);
    assert_non_null (s);
    assert_string_equal (s, want);
    assert_int_equal (len, strlen (want));
    /* an update from the text with sub inline and without its ref */
    json_t *plain = eddy_treeobj_dir ();
    json_object_set_new (json_object_get (plain, "data"), "h", eddy_treeobj_dirref (REFFF));
    json_object_set_new (json_object_get (plain, "data"), "sub", eddy_treeobj_dirref (REF0));
    char *base = eddy_treeobj_encode (plain, NULL);
    json_t *changed = json_pack ("[s]", "sub");
    char *u = eddy_treeobj_encode_update (top, base, strlen (base), changed, &len);
    assert_non_null (u);
    assert_string_equal (u, want);
    free (u);
    /* one changed name may come as a string rather than an array */
    json_t *one = json_string ("sub");
    u = eddy_treeobj_encode_update (top, base, strlen (base), one, &len);
    assert_non_null (u);
    assert_string_equal (u, want);
    free (u);
    json_decref (one);
    json_t *num = json_integer (1);
    errno = 0;
    assert_null (eddy_treeobj_encode_update (top, base, strlen (base), num, &len));
    assert_int_equal (errno, EINVAL);
    json_decref (num);
    free (base);
    free (s);
    json_decref (changed);
    json_decref (plain);
    json_decref (top);
}

static void updates_equal_full_encodings (void **state)
{
    unsigned seed = 4242;
    int updated = 0, refused = 0;

    (void)state;
    for (int round = 0; round < 400; round++) {
        bool hdir = round % 4 == 3, odd = round % 5 == 4;
        json_t *d = hdir ? eddy_treeobj_hdir ((int)(next (&seed) % 64)) : eddy_treeobj_dir ();
        json_t *data = json_object_get (d, "data"), *changed = json_array ();
        char name[32];
        size_t n = next (&seed) % 40, blen, len;

        for (size_t i = 0; i < n; i++) {
            random_name (&seed, name, sizeof (name), odd && next (&seed) % 8 == 0);
            json_object_set_new (data, name, random_entry (&seed));
        }
        char *base = eddy_treeobj_encode (d, &blen);
        assert_non_null (base);
        for (int c = (int)(next (&seed) % 6); c >= 0; c--) {
            random_name (&seed, name, sizeof (name), false);
            switch (next (&seed) % 4) {
            case 0:
                json_object_del (data, name);
                break;
            case 1: /* named as changed but not changed */
                break;
            default:
                json_object_set_new (data, name, random_entry (&seed));
            }
            json_array_append_new (changed, json_string (name));
            if (next (&seed) % 4 == 0) /* a repeat */
                json_array_append_new (changed, json_string (name));
        }
        char *full = eddy_treeobj_encode (d, &len);
        char *up = eddy_treeobj_encode_update (d, base, blen, changed, &len);
        if (up) {
            assert_string_equal (up, full);
            assert_int_equal (len, strlen (full));
            updated++;
        }
        else {
            assert_int_equal (errno, EINVAL);
            assert_non_null (strchr (base, '\\'));
            refused++;
        }
        free (up);
        free (full);
        free (base);
        json_decref (changed);
        json_decref (d);
    }
    assert_true (updated > 300);
    assert_true (refused > 10);
}

/* A base that is not the encoding of an earlier version of the object. */
static void updates_refuse_a_base_of_another_shape (void **state)
{
    json_t *d = eddy_treeobj_hdir (3), *changed = json_array ();
    json_t *other = eddy_treeobj_hdir (4);
    size_t blen, olen, len;
    json_object_set_new (json_object_get (d, "data"), "a", eddy_treeobj_val ("x", 1));
    json_object_set_new (json_object_get (other, "data"), "a", eddy_treeobj_val ("x", 1));
    char *base = eddy_treeobj_encode (d, &blen);
    char *obase = eddy_treeobj_encode (other, &olen);
    const char *bad[] = { "", "{}", "{\"data\":{", "{\"data\":{\"a\":{\"data\":\"eA==\"", "{\"data\":{}}",
                          "{\"data\":{\"a\":1 \"b\":2},\"level\":3,\"type\":\"hdir\",\"ver\":1}" };

    (void)state;
    char *up = eddy_treeobj_encode_update (d, base, blen, changed, &len);
    assert_non_null (up);
    assert_string_equal (up, base);
    free (up);
    assert_null (eddy_treeobj_encode_update (d, obase, olen, changed, &len)); /* another level */
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_treeobj_encode_update (d, base, blen - 1, changed, &len)); /* truncated */
    assert_int_equal (errno, EINVAL);
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        assert_null (eddy_treeobj_encode_update (d, bad[i], strlen (bad[i]), changed, &len));
        assert_int_equal (errno, EINVAL);
    }
    json_t *val = eddy_treeobj_val ("x", 1);
    assert_null (eddy_treeobj_encode_update (val, base, blen, changed, &len)); /* not a directory */
    assert_int_equal (errno, EINVAL);
    json_decref (val);
    free (base);
    free (obase);
    json_decref (changed);
    json_decref (other);
    json_decref (d);
}

/* Slot digits are the hex digits of sha256 (name), level 0 first. */
static void slots_follow_the_digest (void **state)
{
    static const struct {
        const char *name, *digits;
    } slots[] = {
        { "a", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" },
        { "key42", "d8e1e2f31344c975c9ddcdf79c5418b44afc6c8dbb440fdcc80cfdbc96d070b5" },
        { "k00001", "c763b6fd9be8a151dbdbd658b88b8020241b431b75d6008a8283ed15dfe94482" },
        { "\xc3\xa9t\xc3\xa9", "bd010c64132bf5cae8aea89f6762515727dcf68a5dd1de813c87f50a16c4513c" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof (slots) / sizeof (slots[0]); i++) {
        unsigned char digest[EDDY_TREEOBJ_DIGEST];
        eddy_treeobj_name_digest (slots[i].name, digest);
        for (int level = 0; level <= EDDY_TREEOBJ_LEVEL_MAX; level++) {
            char digit = "0123456789abcdef"[eddy_treeobj_slot (slots[i].name, level)];
            if (digit != slots[i].digits[level])
                fail_msg ("%s at level %d: %c", slots[i].name, level, digit);
            assert_int_equal (eddy_treeobj_digest_slot (digest, level), eddy_treeobj_slot (slots[i].name, level));
        }
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (encodings_are_byte_identical),
        cmocka_unit_test (a_large_dir_encodes_in_strcmp_order),
        cmocka_unit_test (encode_rejects_what_is_not_a_tree_object),
        cmocka_unit_test (strings_are_escaped_as_before),
        cmocka_unit_test (inline_dirs_with_a_ref_encode_as_dirrefs),
        cmocka_unit_test (updates_equal_full_encodings),
        cmocka_unit_test (updates_refuse_a_base_of_another_shape),
        cmocka_unit_test (slots_follow_the_digest),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
