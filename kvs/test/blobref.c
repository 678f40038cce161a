/* Unit tests of blobrefs (blobref.c): both hash functions against known
 * digests and an independent implementation, the exact text form, parsing
 * and formatting, checks, and the scan garbage collection relies on.
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
#include <jansson.h>
#include <sodium.h>

#include "kvs/blobref.h"

static void known_digests_of_both_hashes (void **state)
{
    char ref[EDDY_BLOBREF_SIZE];

    (void)state;
    eddy_blobref_hash ("abc", 3, ref);
    assert_string_equal (ref, "sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, NULL, 0, ref);
    assert_string_equal (ref, "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, "abc", 3, ref);
    assert_string_equal (ref, "blake2b-bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, NULL, 0, ref);
    assert_string_equal (ref, "blake2b-0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    assert_int_equal (strlen (ref), EDDY_BLOBREF_SIZE - 1);
}

/* The fast SHA-256 (libcrypto, SHA extensions where the CPU has them)
 * against libsodium's portable one, over every length that crosses a
 * block boundary and a few large ones.
 */
static void sha256_agrees_with_a_second_implementation (void **state)
{
    static unsigned char buf[70000];
    static const size_t big[] = { 4096, 4097, 65535, sizeof (buf) };
    unsigned char want[crypto_hash_sha256_BYTES];
    struct eddy_digest d;

    (void)state;
    for (size_t i = 0; i < sizeof (buf); i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 8));
    for (size_t n = 0; n < 300 + sizeof (big) / sizeof (big[0]); n++) {
        size_t len = n < 300 ? n : big[n - 300];
        crypto_hash_sha256 (want, buf, len);
        eddy_digest_hash (EDDY_HASH_SHA256, buf, len, &d);
        assert_int_equal (d.alg, EDDY_HASH_SHA256);
        assert_memory_equal (d.bytes, want, sizeof (want));
    }
}

static void hash_names_parse_both_ways (void **state)
{
    eddy_hash_t alg = EDDY_HASH_BLAKE2B;

    (void)state;
    assert_int_equal (eddy_hash_parse ("sha256", &alg), 0);
    assert_int_equal (alg, EDDY_HASH_SHA256);
    assert_int_equal (eddy_hash_parse ("blake2b", &alg), 0);
    assert_int_equal (alg, EDDY_HASH_BLAKE2B);
    assert_string_equal (eddy_hash_name (EDDY_HASH_BLAKE2B), "blake2b");
    assert_string_equal (eddy_hash_name (EDDY_HASH_SHA256), "sha256");
    assert_null (eddy_hash_name ((eddy_hash_t)7));
    static const char *bad[] = { "", "sha1", "SHA256", "sha256 ", "blake2", "blake2b-256", NULL };
    for (int i = 0; bad[i]; i++) {
        errno = 0;
        assert_int_equal (eddy_hash_parse (bad[i], &alg), -1);
        assert_int_equal (errno, EINVAL);
    }
    assert_int_equal (eddy_hash_parse (NULL, &alg), -1);
}

/* Every digit position of a good ref, for each prefix: bytes next to the
 * hex ranges, a NUL (short), one digit more (long).
 */
static void check_exact_form (const char *good)
{
    /* bytes just outside the hex ranges, and digits with the high bit set */
    static const char near[] = "/:`g@GAF\xb0\xb9\xe1\xe6\x80\xff\x01";
    size_t n = strlen (good), plen = n - 64;
    char ref[EDDY_BLOBREF_SIZE + 1];
    struct eddy_digest d;

    assert_true (eddy_blobref_valid (good));
    for (size_t i = plen; i < n; i++) {
        for (const char *c = near; *c; c++) {
            memcpy (ref, good, n + 1);
            ref[i] = *c;
            assert_false (eddy_blobref_valid (ref));
            errno = 0;
            assert_int_equal (eddy_blobref_parse (ref, &d), -1);
            assert_int_equal (errno, EINVAL);
        }
        memcpy (ref, good, n + 1);
        ref[i] = '\0';
        assert_false (eddy_blobref_valid (ref));
    }
    memcpy (ref, good, n);
    memcpy (ref + n, "0", 2);
    assert_false (eddy_blobref_valid (ref));
    for (size_t i = 0; i < plen; i++) { /* the prefix, byte by byte */
        memcpy (ref, good, n + 1);
        ref[i] = 'x';
        assert_false (eddy_blobref_valid (ref));
    }
}

static void blobrefs_are_checked_exactly (void **state)
{
    static const char *sha = "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static const char *b2b = "blake2b-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    struct eddy_digest d, e;
    char back[EDDY_BLOBREF_SIZE];

    (void)state;
    check_exact_form (sha);
    check_exact_form (b2b);
    assert_false (eddy_blobref_valid (NULL));
    assert_false (eddy_blobref_valid (""));
    assert_false (eddy_blobref_valid ("sha256-"));
    assert_false (eddy_blobref_valid ("blake2b-0123"));
    assert_false (eddy_blobref_valid ("sha1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    /* the right length for the other prefix is wrong for this one */
    assert_false (eddy_blobref_valid ("sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"));
    assert_false (eddy_blobref_valid ("blake2b-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"));

    assert_int_equal (eddy_blobref_parse (sha, &d), 0);
    assert_int_equal (d.alg, EDDY_HASH_SHA256);
    assert_int_equal (d.bytes[0], 0x01);
    assert_int_equal (d.bytes[7], 0xef);
    eddy_blobref_format (&d, back);
    assert_string_equal (back, sha);
    /* the same 32 bytes under the other name: a different blob */
    assert_int_equal (eddy_blobref_parse (b2b, &e), 0);
    assert_int_equal (e.alg, EDDY_HASH_BLAKE2B);
    assert_memory_equal (d.bytes, e.bytes, EDDY_BLOBREF_DIGEST);
    assert_false (eddy_digest_equal (&d, &e));
    assert_int_equal (eddy_digest_key (&d), eddy_digest_key (&e));
    eddy_blobref_format (&e, back);
    assert_string_equal (back, b2b);
}

/* Parsing against a plain reading of the hex, over refs of random digits
 * (each of the 16 at every position, in both prefixes).
 */
static void parse_reads_every_digit (void **state)
{
    static const char hex[] = "0123456789abcdef";
    unsigned x = 1;

    (void)state;
    for (int round = 0; round < 2000; round++) {
        char ref[EDDY_BLOBREF_SIZE];
        unsigned char want[EDDY_BLOBREF_DIGEST];
        struct eddy_digest d;
        size_t plen = round % 2 ? 8 : 7;
        memcpy (ref, round % 2 ? "blake2b-" : "sha256-", plen);
        for (int i = 0; i < EDDY_BLOBREF_DIGEST; i++) {
            x = x * 1103515245u + 12345u;
            want[i] = (unsigned char)(x >> 16);
            ref[plen + 2 * i] = hex[want[i] >> 4];
            ref[plen + 2 * i + 1] = hex[want[i] & 15];
        }
        ref[plen + 64] = '\0';
        assert_int_equal (eddy_blobref_parse (ref, &d), 0);
        assert_memory_equal (d.bytes, want, sizeof (want));
        assert_int_equal (d.alg, round % 2 ? EDDY_HASH_BLAKE2B : EDDY_HASH_SHA256);
    }
}

static void check_hashes_by_the_refs_own_function (void **state)
{
    char sha[EDDY_BLOBREF_SIZE], b2b[EDDY_BLOBREF_SIZE];

    (void)state;
    eddy_blobref_hash_alg (EDDY_HASH_SHA256, "blob", 4, sha);
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, "blob", 4, b2b);
    assert_true (eddy_blobref_check (sha, "blob", 4));
    assert_true (eddy_blobref_check (b2b, "blob", 4));
    assert_false (eddy_blobref_check (sha, "blob", 3));
    assert_false (eddy_blobref_check (b2b, "blob!", 5));
    /* the other function's digest under this name does not pass */
    char swapped[EDDY_BLOBREF_SIZE + 8];
    snprintf (swapped, sizeof (swapped), "blake2b-%s", sha + 7);
    assert_false (eddy_blobref_check (swapped, "blob", 4));
    assert_false (eddy_blobref_check ("bogus", "blob", 4));
    assert_false (eddy_blobref_check (NULL, "blob", 4));
}

static int count_ref (const struct eddy_digest *d, void *arg)
{
    char ref[EDDY_BLOBREF_SIZE];
    json_t *seen = arg;
    eddy_blobref_format (d, ref);
    json_array_append_new (seen, json_string (ref));
    return 0;
}

static int stop_at_first (const struct eddy_digest *d, void *arg)
{
    (*(int *)arg)++;
    return -1;
}

static void blobref_scan_finds_exact_refs_of_both_kinds (void **state)
{
    char a[EDDY_BLOBREF_SIZE], b[EDDY_BLOBREF_SIZE], c[EDDY_BLOBREF_SIZE], text[1024];
    json_t *seen = json_array ();
    int calls = 0;

    (void)state;
    eddy_blobref_hash ("a", 1, a);
    eddy_blobref_hash ("b", 1, b);
    eddy_blobref_hash_alg (EDDY_HASH_BLAKE2B, "c", 1, c);
    /* a, a run of 65 hex digits (not a ref), an unknown prefix, c, a
     * prefix cut short, b at the very end */
    snprintf (text, sizeof (text), "{\"data\":[\"%s\"]} sha256-%s0 md5-%s -%s blake2b-00 x%s", a, b + 7, b + 7, c, b);
    assert_int_equal (eddy_blobref_scan (text, strlen (text), count_ref, seen), 0);
    assert_int_equal (json_array_size (seen), 3);
    assert_string_equal (json_string_value (json_array_get (seen, 0)), a);
    assert_string_equal (json_string_value (json_array_get (seen, 1)), c);
    assert_string_equal (json_string_value (json_array_get (seen, 2)), b);
    /* cut short: no ref */
    json_array_clear (seen);
    assert_int_equal (eddy_blobref_scan (a, strlen (a) - 1, count_ref, seen), 0);
    assert_int_equal (eddy_blobref_scan (c, strlen (c) - 1, count_ref, seen), 0);
    assert_int_equal (json_array_size (seen), 0);
    /* exactly one ref and nothing else */
    assert_int_equal (eddy_blobref_scan (c, strlen (c), count_ref, seen), 0);
    assert_int_equal (json_array_size (seen), 1);
    assert_int_equal (eddy_blobref_scan (NULL, 10, count_ref, seen), 0);
    /* the callback stops it */
    assert_int_equal (eddy_blobref_scan (text, strlen (text), stop_at_first, &calls), -1);
    assert_int_equal (calls, 1);
    json_decref (seen);
}

/* libsodium's base64 (constant time, written apart from ours) is the
 * second implementation: the same text for every length, and the same
 * verdict and bytes for every text, valid or mutated.
 */
static int sodium_decode (const char *s, size_t slen, unsigned char *out, size_t cap, size_t *n)
{
    const char *end = NULL;
    if (sodium_base642bin (out, cap, s, slen, NULL, n, &end, sodium_base64_VARIANT_ORIGINAL) != 0
        || end != s + slen)
        return -1;
    return 0;
}

static void base64_agrees_with_libsodium (void **state)
{
    static const char alphabet[] = "AQgw/+9z=-_ \n.";
    unsigned char data[200], want[200];
    char ref[300];
    uint32_t seed = 12345;

    for (size_t len = 0; len < sizeof (data); len++) {
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = (unsigned char)(seed >> 16);
        }
        char *s = eddy_base64_encode (data, len);
        assert_non_null (s);
        sodium_bin2base64 (ref, sizeof (ref), data, len, sodium_base64_VARIANT_ORIGINAL);
        assert_string_equal (s, ref);
        size_t n;
        unsigned char *back = eddy_base64_decode (s, strlen (s), &n);
        assert_non_null (back);
        assert_int_equal (n, len);
        assert_memory_equal (back, data, len);
        assert_int_equal (back[n], '\0');
        free (back);
        /* mutations: one character changed, or the text cut short */
        size_t slen = strlen (s);
        for (int m = 0; m < 40 && slen > 0; m++) {
            char t[300];
            memcpy (t, s, slen + 1);
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % slen, tlen = slen;
            if (m % 5 == 4)
                tlen = at;
            else
                t[at] = alphabet[(seed >> 20) % (sizeof (alphabet) - 1)];
            size_t wn = 0, gn = 0;
            int wrc = sodium_decode (t, tlen, want, sizeof (want), &wn);
            unsigned char *got = eddy_base64_decode (t, tlen, &gn);
            if (wrc < 0) {
                if (got)
                    fail_msg ("accepted what libsodium refuses: '%.*s'", (int)tlen, t);
                assert_int_equal (errno, EINVAL);
            }
            else {
                if (!got)
                    fail_msg ("refused what libsodium accepts: '%.*s'", (int)tlen, t);
                assert_int_equal (gn, wn);
                assert_memory_equal (got, want, wn);
            }
            free (got);
        }
        free (s);
    }
    /* unused bits set: "QR==" is not canonical, "QQ==" is "A" */
    size_t n;
    assert_null (eddy_base64_decode ("QR==", 4, &n));
    assert_null (eddy_base64_decode ("QUJ=", 4, &n));
    assert_null (eddy_base64_decode ("Q===", 4, &n));
    assert_null (eddy_base64_decode ("QQ==QQ==", 8, &n));
    unsigned char *a = eddy_base64_decode ("QQ==", 4, &n);
    assert_non_null (a);
    assert_int_equal (n, 1);
    assert_int_equal (a[0], 'A');
    free (a);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (known_digests_of_both_hashes),
        cmocka_unit_test (sha256_agrees_with_a_second_implementation),
        cmocka_unit_test (hash_names_parse_both_ways),
        cmocka_unit_test (blobrefs_are_checked_exactly),
        cmocka_unit_test (parse_reads_every_digit),
        cmocka_unit_test (check_hashes_by_the_refs_own_function),
        cmocka_unit_test (blobref_scan_finds_exact_refs_of_both_kinds),
        cmocka_unit_test (base64_agrees_with_libsodium),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
