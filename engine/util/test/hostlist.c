/* Unit tests for engine/util/hostlist: RFC 29 decode/encode, padding,
 * suffixes, find/nth/delete, sort/uniq and iteration.
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

#include "engine/util/hostlist.h"

static eddy_hostlist_t *dec (const char *s)
{
    eddy_error_t err;
    eddy_hostlist_t *hl = eddy_hostlist_decode (s, &err);
    if (!hl)
        fail_msg ("decode '%s': %s", s, err.text);
    return hl;
}

static void assert_encodes (const eddy_hostlist_t *hl, const char *want)
{
    char *s = eddy_hostlist_encode (hl);
    assert_non_null (s);
    assert_string_equal (s, want);
    free (s);
}

static void assert_nth (const eddy_hostlist_t *hl, int n, const char *want)
{
    char *s = eddy_hostlist_nth (hl, n);
    assert_non_null (s);
    assert_string_equal (s, want);
    free (s);
}

static void empty_list (void **state)
{
    eddy_hostlist_t *hl = dec ("");
    assert_int_equal (eddy_hostlist_count (hl), 0);
    assert_encodes (hl, "");
    errno = 0;
    assert_null (eddy_hostlist_nth (hl, 0));
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_hostlist_find (hl, "foo"), -1);
    assert_int_equal (eddy_hostlist_sort (hl), 0);
    eddy_hostlist_destroy (hl);
    hl = dec (",,,");
    assert_int_equal (eddy_hostlist_count (hl), 0);
    eddy_hostlist_destroy (hl);
}

static void compress_keeps_order_and_duplicates (void **state)
{
    eddy_hostlist_t *hl = dec ("foo1,foo2,foo3,bar,foo7,foo7");
    assert_int_equal (eddy_hostlist_count (hl), 6);
    assert_encodes (hl, "foo[1-3],bar,foo[7,7]");
    assert_int_equal (eddy_hostlist_append (hl, "foo[8-9]"), 2);
    assert_encodes (hl, "foo[1-3],bar,foo[7,7-9]");
    eddy_hostlist_destroy (hl);
}

static void zero_padding_is_per_range (void **state)
{
    eddy_hostlist_t *hl = dec ("h[005,4,11-13]");
    assert_nth (hl, 0, "h005");
    assert_nth (hl, 1, "h4");
    assert_nth (hl, 2, "h11");
    eddy_hostlist_destroy (hl);
    hl = dec ("n[08-100]");
    assert_int_equal (eddy_hostlist_count (hl), 93);
    assert_nth (hl, 0, "n08");
    assert_nth (hl, 1, "n09");
    assert_nth (hl, 2, "n10");
    assert_nth (hl, -1, "n100");
    assert_encodes (hl, "n[08-100]");
    assert_int_equal (eddy_hostlist_find (hl, "n8"), -1);
    assert_int_equal (eddy_hostlist_find (hl, "n08"), 0);
    assert_int_equal (eddy_hostlist_find (hl, "n100"), 92);
    eddy_hostlist_destroy (hl);
}

static void digits_ending_the_prefix_join_the_number (void **state)
{
    /* "f00[7-8]" names f007 and f008: the same hosts as written out */
    eddy_hostlist_t *hl = dec ("f00[7-8]");
    eddy_hostlist_t *other = dec ("f007,f008");
    char *a = eddy_hostlist_encode (hl);
    char *b = eddy_hostlist_encode (other);
    assert_string_equal (a, b);
    assert_int_equal (eddy_hostlist_find (hl, "f008"), 1);
    assert_int_equal (eddy_hostlist_append_list (hl, other), 2);
    assert_int_equal (eddy_hostlist_uniq (hl), 0);
    assert_int_equal (eddy_hostlist_count (hl), 2);
    free (a);
    free (b);
    eddy_hostlist_destroy (hl);
    eddy_hostlist_destroy (other);
}

static void suffix_brackets_expand (void **state)
{
    eddy_hostlist_t *hl = dec ("foo[1-3]-bar");
    assert_int_equal (eddy_hostlist_count (hl), 3);
    assert_encodes (hl, "foo1-bar,foo2-bar,foo3-bar");
    assert_int_equal (eddy_hostlist_find (hl, "foo2-bar"), 1);
    eddy_hostlist_destroy (hl);
    /* names ending in digits after expansion compress on their own */
    hl = dec ("x[1-2]-eth2,x2-eth3");
    assert_encodes (hl, "x1-eth2,x2-eth[2-3]");
    eddy_hostlist_destroy (hl);
}

static void decode_rejects_bad_syntax (void **state)
{
    const char *bad[] = { "[]", "foo[]", "foo[", "foo[1,3", "foo[[1,3]", "foo]", "foo[x-y]",
                          "foo[0-1,2--5]", "foo[1-", "foo[3-1]", "foo[1,]", "foo[,1]",
                          "a[1]b[2]", "foo[0-1048576]", "foo[1234567890123456789]" };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        eddy_error_t err = { { 0 } };
        errno = 0;
        eddy_hostlist_t *hl = eddy_hostlist_decode (bad[i], &err);
        if (hl)
            fail_msg ("'%s' was accepted", bad[i]);
        assert_true (errno == EINVAL || errno == ERANGE);
        assert_true (strlen (err.text) > 0);
    }
    char *long_name = malloc (EDDY_HOSTLIST_NAME_MAX + 1);
    memset (long_name, 'a', EDDY_HOSTLIST_NAME_MAX);
    long_name[EDDY_HOSTLIST_NAME_MAX] = '\0';
    assert_null (eddy_hostlist_decode (long_name, NULL));
    free (long_name);
    eddy_hostlist_t *hl = dec ("foo[1-2]");
    assert_int_equal (eddy_hostlist_append (hl, "foo[3"), -1);
    assert_int_equal (eddy_hostlist_count (hl), 2); /* unchanged */
    eddy_hostlist_destroy (hl);
}

static void nth_and_find (void **state)
{
    eddy_hostlist_t *hl = dec ("foo[1-2,4,5],bar");
    assert_nth (hl, 0, "foo1");
    assert_nth (hl, 2, "foo4");
    assert_nth (hl, 4, "bar");
    assert_nth (hl, -5, "foo1");
    errno = 0;
    assert_null (eddy_hostlist_nth (hl, 5));
    assert_int_equal (errno, ENOENT);
    assert_null (eddy_hostlist_nth (hl, -6));
    assert_int_equal (eddy_hostlist_find (hl, "foo5"), 3);
    assert_int_equal (eddy_hostlist_find (hl, "bar"), 4);
    errno = 0;
    assert_int_equal (eddy_hostlist_find (hl, "foo3"), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_hostlist_find (hl, "foo05"), -1);
    eddy_hostlist_destroy (hl);
}

static void delete_first_occurrences (void **state)
{
    eddy_hostlist_t *hl = dec ("foo[0-10],foo5");
    assert_int_equal (eddy_hostlist_delete (hl, "foo5"), 1);
    assert_encodes (hl, "foo[0-4,6-10,5]");
    assert_int_equal (eddy_hostlist_delete (hl, "foo[5,5,99]"), 1);
    assert_encodes (hl, "foo[0-4,6-10]");
    assert_int_equal (eddy_hostlist_delete_nth (hl, -1), 0);
    assert_int_equal (eddy_hostlist_delete_nth (hl, 0), 0);
    assert_encodes (hl, "foo[1-4,6-9]");
    assert_int_equal (eddy_hostlist_delete (hl, "foo["), -1);
    assert_int_equal (eddy_hostlist_count (hl), 8);
    eddy_hostlist_destroy (hl);
}

static void sort_keeps_duplicates_uniq_drops_them (void **state)
{
    eddy_hostlist_t *hl = dec ("foo[0-3],foo[0-3],bar,foo,bar");
    assert_int_equal (eddy_hostlist_sort (hl), 0);
    assert_encodes (hl, "bar,bar,foo,foo[0,0-1,1-2,2-3,3]");
    assert_int_equal (eddy_hostlist_count (hl), 11);
    assert_int_equal (eddy_hostlist_uniq (hl), 0);
    assert_encodes (hl, "bar,foo,foo[0-3]");
    eddy_hostlist_destroy (hl);
    hl = dec ("n10,n9,n010,n1");
    assert_int_equal (eddy_hostlist_sort (hl), 0);
    assert_encodes (hl, "n[1,9-10,010]");
    eddy_hostlist_destroy (hl);
}

static void iterate_16k_hosts (void **state)
{
    eddy_hostlist_t *hl = dec ("node[0-16383]");
    struct eddy_hostlist_iter it;
    const char *h;
    size_t n = 0;
    char want[32];
    eddy_hostlist_iter_init (&it, hl);
    while ((h = eddy_hostlist_iter_next (&it))) {
        snprintf (want, sizeof (want), "node%zu", n);
        assert_string_equal (h, want);
        n++;
    }
    assert_int_equal (n, 16384);
    eddy_hostlist_destroy (hl);
}

static void copy_is_deep (void **state)
{
    eddy_hostlist_t *hl = dec ("a[1-3],b");
    eddy_hostlist_t *cpy = eddy_hostlist_copy (hl);
    eddy_hostlist_destroy (hl);
    assert_encodes (cpy, "a[1-3],b");
    eddy_hostlist_destroy (cpy);
    errno = EBADF;
    eddy_hostlist_destroy (NULL);
    assert_int_equal (errno, EBADF);
    assert_null (eddy_hostlist_copy (NULL));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (empty_list),
        cmocka_unit_test (compress_keeps_order_and_duplicates),
        cmocka_unit_test (zero_padding_is_per_range),
        cmocka_unit_test (digits_ending_the_prefix_join_the_number),
        cmocka_unit_test (suffix_brackets_expand),
        cmocka_unit_test (decode_rejects_bad_syntax),
        cmocka_unit_test (nth_and_find),
        cmocka_unit_test (delete_first_occurrences),
        cmocka_unit_test (sort_keeps_duplicates_uniq_drops_them),
        cmocka_unit_test (iterate_16k_hosts),
        cmocka_unit_test (copy_is_deep),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
