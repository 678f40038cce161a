/* The overlay's tree shapes as tables: k-ary agrees with the arithmetic,
 * flat, binomial, explicit parents, and shapes that are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/broker/topology.h"

static void kary_table_matches_the_arithmetic (void **state)
{
    eddy_error_t err;
    for (int k = 1; k <= 4; k++) {
        char spec[16];
        snprintf (spec, sizeof (spec), "kary:%d", k);
        eddy_topo_t *t = eddy_topo_create (spec, 23, &err);
        assert_non_null (t);
        assert_int_equal (eddy_topo_get_fanout (t), k);
        for (uint32_t r = 0; r < 23; r++) {
            assert_int_equal (eddy_topo_get_parent (t, r), eddy_topo_parent (r, 23, k));
            assert_int_equal (eddy_topo_get_level (t, r), eddy_topo_level (r, 23, k));
            assert_int_equal (eddy_topo_get_subtree_size (t, r), eddy_topo_subtree_size (r, 23, k));
            uint32_t n, first = eddy_topo_first_child (r, 23, k, &n);
            const uint32_t *list;
            assert_int_equal (eddy_topo_get_children (t, r, &list), n);
            for (uint32_t i = 0; i < n; i++)
                assert_int_equal (list[i], first + i);
            for (uint32_t x = 0; x < 23; x++)
                assert_int_equal (eddy_topo_get_child_toward (t, r, x),
                                  eddy_topo_child_toward (r, x, 23, k));
        }
        assert_int_equal (eddy_topo_get_maxlevel (t), eddy_topo_maxlevel (23, k));
        eddy_topo_destroy (t);
    }
}

static void kary_2_of_7_is_a_full_binary_tree (void **state)
{
    eddy_topo_t *t = eddy_topo_create ("kary:2", 7, NULL);
    const uint32_t want[] = { EDDY_RANK_NONE, 0, 0, 1, 1, 2, 2 };
    for (uint32_t r = 0; r < 7; r++)
        assert_int_equal (eddy_topo_get_parent (t, r), want[r]);
    assert_int_equal (eddy_topo_get_maxlevel (t), 2);
    assert_string_equal (eddy_topo_spec (t), "kary:2");
    eddy_topo_destroy (t);
}

static void flat_puts_every_rank_under_rank_0 (void **state)
{
    eddy_topo_t *t = eddy_topo_create ("flat", 16, NULL);
    const uint32_t *list;
    assert_non_null (t);
    assert_int_equal (eddy_topo_get_children (t, 0, &list), 15);
    for (uint32_t r = 1; r < 16; r++) {
        assert_int_equal (eddy_topo_get_parent (t, r), 0);
        assert_int_equal (list[r - 1], r);
        assert_int_equal (eddy_topo_get_children (t, r, NULL), 0);
    }
    assert_int_equal (eddy_topo_get_subtree_size (t, 0), 16);
    assert_int_equal (eddy_topo_get_maxlevel (t), 1);
    assert_int_equal (eddy_topo_get_fanout (t), 0);
    eddy_topo_destroy (t);
}

static void binomial_clears_the_lowest_bit (void **state)
{
    eddy_topo_t *t = eddy_topo_create ("binomial", 16, NULL);
    const uint32_t *list;
    assert_non_null (t);
    /* parents: 1->0 2->0 3->2 4->0 5->4 6->4 7->6 8->0 ... 15->14 */
    const uint32_t want[16] = { EDDY_RANK_NONE, 0, 0, 2, 0, 4, 4, 6, 0, 8, 8, 10, 8, 12, 12, 14 };
    for (uint32_t r = 0; r < 16; r++)
        assert_int_equal (eddy_topo_get_parent (t, r), want[r]);
    assert_int_equal (eddy_topo_get_children (t, 0, &list), 4);
    assert_int_equal (list[0], 1);
    assert_int_equal (list[1], 2);
    assert_int_equal (list[2], 4);
    assert_int_equal (list[3], 8);
    assert_int_equal (eddy_topo_get_subtree_size (t, 8), 8);
    assert_int_equal (eddy_topo_get_subtree_size (t, 4), 4);
    assert_int_equal (eddy_topo_get_maxlevel (t), 4); /* 15 -> 14 -> 12 -> 8 -> 0 */
    assert_int_equal (eddy_topo_get_child_toward (t, 0, 15), 8);
    assert_int_equal (eddy_topo_get_child_toward (t, 8, 15), 12);
    assert_int_equal (eddy_topo_get_child_toward (t, 4, 15), EDDY_RANK_NONE);
    assert_int_equal (eddy_topo_get_fanout (t), -1);
    eddy_topo_destroy (t);
}

static void explicit_parents_make_any_tree (void **state)
{
    /* 0 <- 3 <- {1, 2}, 0 <- 4 */
    const uint32_t parents[] = { 0, 3, 3, 0, 0 };
    eddy_topo_t *t = eddy_topo_create_parents (parents, 5, NULL);
    const uint32_t *list;
    assert_non_null (t);
    assert_string_equal (eddy_topo_spec (t), "custom");
    assert_int_equal (eddy_topo_get_parent (t, 0), EDDY_RANK_NONE);
    assert_int_equal (eddy_topo_get_parent (t, 1), 3);
    assert_int_equal (eddy_topo_get_children (t, 3, &list), 2);
    assert_int_equal (list[0], 1);
    assert_int_equal (list[1], 2);
    assert_int_equal (eddy_topo_get_children (t, 0, &list), 2);
    assert_int_equal (list[0], 3);
    assert_int_equal (list[1], 4);
    assert_int_equal (eddy_topo_get_subtree_size (t, 3), 3);
    assert_int_equal (eddy_topo_get_level (t, 2), 2);
    assert_int_equal (eddy_topo_get_child_toward (t, 0, 2), 3);
    assert_int_equal (eddy_topo_get_child_toward (t, 3, 2), 2);
    assert_int_equal (eddy_topo_get_child_toward (t, 4, 2), EDDY_RANK_NONE);
    eddy_topo_destroy (t);
}

static void refused (const char *spec)
{
    eddy_error_t err = { .text = "" };
    errno = 0;
    assert_null (eddy_topo_create (spec, 8, &err));
    assert_int_equal (errno, EINVAL);
    assert_true (strlen (err.text) > 0);
}

static void bad_shapes_are_refused (void **state)
{
    refused ("kary:0");
    refused ("kary:");
    refused ("kary:x");
    refused ("kary:-2");
    refused ("kary:2x");
    refused ("binary");
    refused ("");
    refused (NULL);
    eddy_error_t err;
    assert_null (eddy_topo_create ("flat", 0, &err));
    assert_int_equal (errno, EINVAL);
}

static void bad_parents_are_refused (void **state)
{
    eddy_error_t err;
    const uint32_t out_of_range[] = { 0, 0, 9 };
    const uint32_t self[] = { 0, 1, 0 };
    const uint32_t cycle[] = { 0, 0, 3, 2 };
    assert_null (eddy_topo_create_parents (out_of_range, 3, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "rank 2"));
    assert_null (eddy_topo_create_parents (self, 3, &err));
    assert_non_null (strstr (err.text, "own parent"));
    assert_null (eddy_topo_create_parents (cycle, 4, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "cycle"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (kary_table_matches_the_arithmetic),
        cmocka_unit_test (kary_2_of_7_is_a_full_binary_tree),
        cmocka_unit_test (flat_puts_every_rank_under_rank_0),
        cmocka_unit_test (binomial_clears_the_lowest_bit),
        cmocka_unit_test (explicit_parents_make_any_tree),
        cmocka_unit_test (bad_shapes_are_refused),
        cmocka_unit_test (bad_parents_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
