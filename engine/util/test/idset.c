/* Unit tests for engine/util/idset: RFC 22 text form and range algebra. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/idset.h"

static eddy_idset_t *dec (const char *s)
{
    eddy_error_t err;
    eddy_idset_t *ids = eddy_idset_decode (s, &err);
    if (!ids)
        fail_msg ("decode '%s': %s", s, err.text);
    return ids;
}

static void assert_encodes (const eddy_idset_t *ids, int flags, const char *want)
{
    char *s = eddy_idset_encode (ids, flags);
    assert_non_null (s);
    assert_string_equal (s, want);
    free (s);
}

static void empty_set_has_no_members (void **state)
{
    eddy_idset_t *ids = eddy_idset_create ();
    assert_non_null (ids);
    assert_int_equal (eddy_idset_count (ids), 0);
    assert_true (eddy_idset_empty (ids));
    assert_int_equal (eddy_idset_first (ids), EDDY_IDSET_INVALID_ID);
    assert_int_equal (eddy_idset_last (ids), EDDY_IDSET_INVALID_ID);
    assert_false (eddy_idset_test (ids, 0));
    assert_encodes (ids, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS, "");
    eddy_idset_destroy (ids);
    ids = dec ("[]");
    assert_true (eddy_idset_empty (ids));
    eddy_idset_destroy (ids);
}

static void decode_then_encode_with_each_flag (void **state)
{
    eddy_idset_t *ids = dec ("1-3,7-9,14,16");
    assert_int_equal (eddy_idset_count (ids), 8);
    assert_int_equal (eddy_idset_range_count (ids), 4);
    assert_encodes (ids, 0, "1,2,3,7,8,9,14,16");
    assert_encodes (ids, EDDY_IDSET_RANGE, "1-3,7-9,14,16");
    assert_encodes (ids, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS, "[1-3,7-9,14,16]");
    assert_encodes (ids, EDDY_IDSET_BRACKETS, "[1,2,3,7,8,9,14,16]");
    eddy_idset_destroy (ids);
    ids = dec ("[2]");
    assert_encodes (ids, EDDY_IDSET_RANGE | EDDY_IDSET_BRACKETS, "2");
    eddy_idset_destroy (ids);
    /* adjacent elements in the input merge into one range */
    ids = dec ("2,3,4,5");
    assert_int_equal (eddy_idset_range_count (ids), 1);
    assert_encodes (ids, EDDY_IDSET_RANGE, "2-5");
    eddy_idset_destroy (ids);
}

static void decode_rejects_malformed_strings (void **state)
{
    const char *bad[] = {
        "01,2",       "00",          "3,2",          "3-0", "2,2", "1-3,3", "[0",
        "0]",         "[[0]]",       "0,[2",         "0-",  "-5",  "4.2",   "x",
        "1,,2",       "1,",          ",1",           " 1",  "1 ",  "[",     "]",
        "4294967295", "99999999999", "1-4294967296", "0x1"};
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_error_t err = {{0}};
        errno = 0;
        eddy_idset_t *ids = eddy_idset_decode (bad[i], &err);
        if (ids)
            fail_msg ("'%s' was accepted", bad[i]);
        assert_true (errno == EINVAL || errno == ERANGE);
        assert_true (strlen (err.text) > 0);
    }
    errno = 0;
    assert_null (eddy_idset_decode (NULL, NULL));
    assert_int_equal (errno, EINVAL);
}

static void largest_id_is_uint_max_minus_one (void **state)
{
    eddy_idset_t *ids = dec ("4294967293-4294967294");
    assert_int_equal (eddy_idset_last (ids), UINT_MAX - 1);
    assert_true (eddy_idset_test (ids, UINT_MAX - 1));
    assert_false (eddy_idset_test (ids, UINT_MAX));
    assert_int_equal (eddy_idset_next (ids, UINT_MAX - 1), EDDY_IDSET_INVALID_ID);
    assert_int_equal (eddy_idset_next (ids, UINT_MAX - 2), UINT_MAX - 1);
    errno = 0;
    assert_int_equal (eddy_idset_set (ids, UINT_MAX), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_idset_range_set (ids, 0, UINT_MAX - 1), 0);
    assert_int_equal (eddy_idset_count (ids), (size_t)UINT_MAX);
    assert_int_equal (eddy_idset_range_count (ids), 1);
    eddy_idset_destroy (ids);
}

static void huge_range_is_one_range (void **state)
{
    eddy_idset_t *ids = eddy_idset_create ();
    assert_int_equal (eddy_idset_range_set (ids, 0, 1048575), 0);
    assert_int_equal (eddy_idset_range_count (ids), 1);
    assert_int_equal (eddy_idset_count (ids), 1048576);
    assert_int_equal (eddy_idset_nth (ids, 1048575), 1048575);
    assert_int_equal (eddy_idset_nth (ids, 1048576), EDDY_IDSET_INVALID_ID);
    assert_encodes (ids, EDDY_IDSET_RANGE, "0-1048575");
    /* punch a hole, then refill it */
    assert_int_equal (eddy_idset_clear (ids, 5000), 0);
    assert_int_equal (eddy_idset_range_count (ids), 2);
    assert_false (eddy_idset_test (ids, 5000));
    assert_int_equal (eddy_idset_next (ids, 4999), 5001);
    assert_int_equal (eddy_idset_set (ids, 5000), 0);
    assert_int_equal (eddy_idset_range_count (ids), 1);
    eddy_idset_destroy (ids);
}

static void set_and_clear_merge_and_split_ranges (void **state)
{
    eddy_idset_t *ids = dec ("0-9");
    assert_int_equal (eddy_idset_set (ids, 10), 0);
    assert_int_equal (eddy_idset_set (ids, 21), 0);
    assert_int_equal (eddy_idset_clear (ids, 5), 0);
    assert_encodes (ids, EDDY_IDSET_RANGE, "0-4,6-10,21");
    assert_int_equal (eddy_idset_range_set (ids, 3, 22), 0);
    assert_encodes (ids, EDDY_IDSET_RANGE, "0-22");
    assert_int_equal (eddy_idset_range_clear (ids, 0, 22), 0);
    assert_true (eddy_idset_empty (ids));
    assert_int_equal (eddy_idset_clear (ids, 7), 0); /* not a member: fine */
    errno = 0;
    assert_int_equal (eddy_idset_range_set (ids, 5, 4), -1);
    assert_int_equal (errno, EINVAL);
    eddy_idset_destroy (ids);
}

static void iteration_visits_members_in_order (void **state)
{
    eddy_idset_t *ids = dec ("0,5-6,9");
    unsigned want[] = {0, 5, 6, 9};
    size_t n = 0;
    for (unsigned id = eddy_idset_first (ids); id != EDDY_IDSET_INVALID_ID;
         id = eddy_idset_next (ids, id)) {
        assert_true (n < 4);
        assert_int_equal (id, want[n]);
        assert_int_equal (eddy_idset_nth (ids, n), want[n]);
        n++;
    }
    assert_int_equal (n, 4);
    unsigned lo, hi;
    assert_int_equal (eddy_idset_range_get (ids, 1, &lo, &hi), 0);
    assert_int_equal (lo, 5);
    assert_int_equal (hi, 6);
    assert_int_equal (eddy_idset_range_get (ids, 3, &lo, &hi), -1);
    eddy_idset_destroy (ids);
}

static void set_algebra (void **state)
{
    eddy_idset_t *a = dec ("0-10,20-30");
    eddy_idset_t *b = dec ("5-7,9-25,40");
    eddy_idset_t *u = eddy_idset_union (a, b);
    eddy_idset_t *i = eddy_idset_intersect (a, b);
    eddy_idset_t *d = eddy_idset_difference (a, b);
    eddy_idset_t *d2 = eddy_idset_difference (b, a);
    assert_encodes (u, EDDY_IDSET_RANGE, "0-30,40");
    assert_encodes (i, EDDY_IDSET_RANGE, "5-7,9-10,20-25");
    assert_encodes (d, EDDY_IDSET_RANGE, "0-4,8,26-30");
    assert_encodes (d2, EDDY_IDSET_RANGE, "11-19,40");
    /* union = intersect + both differences */
    eddy_idset_t *check = eddy_idset_copy (i);
    assert_int_equal (eddy_idset_add (check, d), 0);
    assert_int_equal (eddy_idset_add (check, d2), 0);
    assert_true (eddy_idset_equal (check, u));
    assert_int_equal (eddy_idset_subtract (check, a), 0);
    assert_true (eddy_idset_equal (check, d2));
    assert_false (eddy_idset_equal (check, a));
    errno = 0;
    assert_null (eddy_idset_union (a, NULL));
    assert_int_equal (errno, EINVAL);
    eddy_idset_destroy (check);
    eddy_idset_destroy (u);
    eddy_idset_destroy (i);
    eddy_idset_destroy (d);
    eddy_idset_destroy (d2);
    eddy_idset_destroy (a);
    eddy_idset_destroy (b);
}

/* add/subtract with an empty side (the shortcuts), and intersect_count
 * against the size of intersect over pseudo-random sets.
 */
static void in_place_algebra_with_empty_sets_and_counts (void **state)
{
    eddy_idset_t *e = eddy_idset_create (), *a = eddy_idset_create ();
    eddy_idset_t *b = dec ("3-5,9");
    uint64_t x = 88172645463325252ULL;

    (void)state;
    assert_int_equal (eddy_idset_add (a, e), 0);
    assert_true (eddy_idset_empty (a));
    assert_int_equal (eddy_idset_add (a, b), 0);
    assert_encodes (a, EDDY_IDSET_RANGE, "3-5,9");
    assert_int_equal (eddy_idset_add (a, e), 0);
    assert_int_equal (eddy_idset_subtract (a, e), 0);
    assert_encodes (a, EDDY_IDSET_RANGE, "3-5,9");
    assert_int_equal (eddy_idset_subtract (e, b), 0);
    assert_true (eddy_idset_empty (e));
    assert_int_equal (eddy_idset_subtract (a, b), 0);
    assert_true (eddy_idset_empty (a));
    assert_int_equal (eddy_idset_add (a, b), 0); /* again, into its old storage */
    assert_true (eddy_idset_equal (a, b));
    errno = 0;
    assert_int_equal (eddy_idset_add (e, NULL), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_idset_intersect_count (a, NULL), 0);
    assert_int_equal (eddy_idset_intersect_count (a, e), 0);
    assert_int_equal (eddy_idset_intersect_count (a, b), 4);
    for (int round = 0; round < 200; round++) {
        eddy_idset_t *p = eddy_idset_create (), *q = eddy_idset_create ();
        for (int k = 0; k < 40; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_int_equal (eddy_idset_set (k % 2 ? p : q, (unsigned)(x % 64)), 0);
        }
        eddy_idset_t *i = eddy_idset_intersect (p, q);
        assert_int_equal (eddy_idset_intersect_count (p, q), eddy_idset_count (i));
        assert_int_equal (eddy_idset_intersect_count (q, p), eddy_idset_count (i));
        eddy_idset_destroy (i);
        eddy_idset_destroy (p);
        eddy_idset_destroy (q);
    }
    eddy_idset_destroy (a);
    eddy_idset_destroy (b);
    eddy_idset_destroy (e);
}

/* add merges in place: it must agree with union over pseudo-random sets
 * that overlap, touch and interleave, and a set added to itself stays.
 */
static void in_place_add_matches_union (void **state)
{
    uint64_t x = 2463534242ULL;

    (void)state;
    for (int round = 0; round < 500; round++) {
        eddy_idset_t *p = eddy_idset_create (), *q = eddy_idset_create ();
        int n = round % 7 == 0 ? 1 : 30;
        for (int k = 0; k < 2 * n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_int_equal (eddy_idset_set (k % 2 ? p : q, (unsigned)(x % 96)), 0);
        }
        eddy_idset_t *u = eddy_idset_union (p, q);
        assert_int_equal (eddy_idset_add (p, q), 0);
        assert_true (eddy_idset_equal (p, u));
        /* the same canonical ranges as a set built one id at a time */
        char *s = eddy_idset_encode (p, EDDY_IDSET_RANGE);
        char *t = eddy_idset_encode (u, EDDY_IDSET_RANGE);
        assert_string_equal (s, t);
        free (s);
        free (t);
        assert_int_equal (eddy_idset_add (p, p), 0);
        assert_true (eddy_idset_equal (p, u));
        eddy_idset_destroy (u);
        eddy_idset_destroy (p);
        eddy_idset_destroy (q);
    }
    eddy_idset_t *a = dec ("0-4,10"), *b = dec ("5-9,11,4294967294");
    assert_int_equal (eddy_idset_add (a, b), 0);
    assert_encodes (a, EDDY_IDSET_RANGE, "0-11,4294967294");
    eddy_idset_destroy (a);
    eddy_idset_destroy (b);
}

/* decode_into replaces the members, and a bad string leaves the set empty. */
static void decode_into_replaces_members (void **state)
{
    eddy_idset_t *ids = dec ("0-100,200");

    (void)state;
    assert_int_equal (eddy_idset_decode_into (ids, "3,5-9", NULL), 0);
    assert_encodes (ids, EDDY_IDSET_RANGE, "3,5-9");
    assert_int_equal (eddy_idset_decode_into (ids, "[1-2]", NULL), 0);
    assert_encodes (ids, EDDY_IDSET_RANGE, "1-2");
    eddy_error_t err;
    errno = 0;
    assert_int_equal (eddy_idset_decode_into (ids, "4,2", &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_true (eddy_idset_empty (ids));
    assert_int_equal (eddy_idset_decode_into (ids, "", NULL), 0);
    assert_true (eddy_idset_empty (ids));
    errno = 0;
    assert_int_equal (eddy_idset_decode_into (NULL, "1", NULL), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_idset_decode_into (ids, NULL, NULL), -1);
    eddy_idset_destroy (ids);
}

static void destroy_null_keeps_errno (void **state)
{
    errno = ENOENT;
    eddy_idset_destroy (NULL);
    assert_int_equal (errno, ENOENT);
    assert_null (eddy_idset_encode (NULL, 0));
    eddy_idset_t *ids = eddy_idset_create ();
    assert_null (eddy_idset_encode (ids, 8));
    eddy_idset_destroy (ids);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (empty_set_has_no_members),
        cmocka_unit_test (decode_then_encode_with_each_flag),
        cmocka_unit_test (decode_rejects_malformed_strings),
        cmocka_unit_test (largest_id_is_uint_max_minus_one),
        cmocka_unit_test (huge_range_is_one_range),
        cmocka_unit_test (set_and_clear_merge_and_split_ranges),
        cmocka_unit_test (iteration_visits_members_in_order),
        cmocka_unit_test (set_algebra),
        cmocka_unit_test (in_place_algebra_with_empty_sets_and_counts),
        cmocka_unit_test (in_place_add_matches_union),
        cmocka_unit_test (decode_into_replaces_members),
        cmocka_unit_test (destroy_null_keeps_errno),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
