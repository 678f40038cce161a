/* Unit tests of the blob table (blobtab.c): adds, lookups by digest (the
 * algorithm is part of the key), and filtering that keeps the rest
 * findable.
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
#include "kvs/blobtab.h"

static bool keep_even (const struct eddy_blob *b, void *arg)
{
    return b->epoch % 2 == 0;
}

static void blobtab_filter_keeps_the_rest_findable (void **state)
{
    eddy_blobtab_t *t = eddy_blobtab_create ();
    static struct eddy_digest d[5000];
    char text[32];
    bool added;

    (void)state;
    for (int i = 0; i < 5000; i++) {
        snprintf (text, sizeof (text), "blob %d", i);
        eddy_digest_hash (i % 3 ? EDDY_HASH_SHA256 : EDDY_HASH_BLAKE2B, text, strlen (text), &d[i]);
        struct eddy_blob *b = eddy_blobtab_add (t, &d[i], text, strlen (text), &added);
        assert_non_null (b);
        assert_true (added);
        b->epoch = (uint64_t)i;
    }
    assert_non_null (eddy_blobtab_add (t, &d[7], "x", 1, &added));
    assert_false (added);
    assert_int_equal (eddy_blobtab_count (t), 5000);
    assert_int_equal (eddy_blobtab_filter (t, keep_even, NULL), 2500);
    assert_int_equal (eddy_blobtab_count (t), 2500);
    for (int i = 0; i < 5000; i++) {
        struct eddy_blob *b = eddy_blobtab_get (t, &d[i]);
        if (i % 2) {
            assert_null (b);
            continue;
        }
        snprintf (text, sizeof (text), "blob %d", i);
        assert_non_null (b);
        assert_int_equal (b->len, strlen (text));
        assert_string_equal (b->data, text);
        assert_true (eddy_digest_equal (&b->digest, &d[i]));
    }
    eddy_blobtab_destroy (t);
}

static void the_algorithm_is_part_of_the_key (void **state)
{
    eddy_blobtab_t *t = eddy_blobtab_create ();
    struct eddy_digest a, b;
    bool added;

    (void)state;
    eddy_digest_hash (EDDY_HASH_SHA256, "same", 4, &a);
    b = a;
    b.alg = EDDY_HASH_BLAKE2B; /* the same 32 bytes, another name */
    assert_non_null (eddy_blobtab_add (t, &a, "A", 1, &added));
    assert_true (added);
    assert_null (eddy_blobtab_get (t, &b));
    assert_non_null (eddy_blobtab_add (t, &b, "B", 1, &added));
    assert_true (added);
    assert_string_equal (eddy_blobtab_get (t, &a)->data, "A");
    assert_string_equal (eddy_blobtab_get (t, &b)->data, "B");
    assert_int_equal (eddy_blobtab_count (t), 2);
    eddy_blobtab_destroy (t);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (blobtab_filter_keeps_the_rest_findable),
        cmocka_unit_test (the_algorithm_is_part_of_the_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
