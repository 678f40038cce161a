/* Unit tests for sched/rlist.c: R decode/encode, allocation and free,
 * up/down, set algebra and the failure modes of each.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/rlist.h"

/* 4 ranks node[0-3], 8 cores and 2 gpus each; debug on 0-1. */
static eddy_rlist_t *pool4 (void)
{
    eddy_error_t err;
    eddy_rlist_t *rl = eddy_rlist_create ();
    char host[16];
    assert_non_null (rl);
    for (unsigned r = 0; r < 4; r++) {
        snprintf (host, sizeof (host), "node%u", r);
        assert_int_equal (eddy_rlist_add_rank (rl, r, host, "0-7", "0-1", &err), 0);
    }
    assert_int_equal (eddy_rlist_set_property (rl, "debug", "0-1", &err), 0);
    return rl;
}

static void assert_str (char *got, const char *want)
{
    assert_non_null (got);
    assert_string_equal (got, want);
    free (got);
}

static void decode_encode_round_trip (void **state)
{
    const char *R =
        "{\"version\": 1, \"execution\": {\"R_lite\": ["
        "{\"rank\": \"2-3\", \"children\": {\"core\": \"0-3\"}},"
        "{\"rank\": \"0-1\", \"children\": {\"core\": \"0-3\", \"gpu\": \"0\"}}],"
        " \"nodelist\": [\"pi[3,0]\", \"pi[1-2]\"],"
        " \"properties\": {\"8g\": \"0-2\"},"
        " \"starttime\": 10, \"expiration\": 20.5}}";
    eddy_error_t err;
    (void)state;
    eddy_rlist_t *rl = eddy_rlist_decode (R, strlen (R), EDDY_RLIST_STRICT, &err);
    assert_non_null (rl);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_RANKS), 4);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_CORES), 16);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_GPUS), 2);
    /* nodelist names ranks in ascending order */
    assert_string_equal (eddy_rlist_hostname (rl, 0), "pi3");
    assert_string_equal (eddy_rlist_hostname (rl, 3), "pi2");
    assert_null (eddy_rlist_hostname (rl, 9));
    assert_int_equal (errno, ENOENT);
    assert_str (eddy_rlist_ranks (rl), "0-3");
    assert_str (eddy_rlist_nodelist (rl), "pi[3,0-2]");
    assert_str (eddy_rlist_property_ranks (rl, "8g"), "0-2");
    assert_str (eddy_rlist_property_ranks (rl, "none"), "");
    assert_true (eddy_rlist_starttime (rl) == 10.);
    assert_true (eddy_rlist_expiration (rl) == 20.5);
    assert_str (eddy_rlist_encode (rl),
                "{\"version\":1,\"execution\":{\"R_lite\":["
                "{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\",\"gpu\":\"0\"}},"
                "{\"rank\":\"2-3\",\"children\":{\"core\":\"0-3\"}}],"
                "\"starttime\":10.0,\"expiration\":20.5,"
                "\"nodelist\":[\"pi[3,0-2]\"],\"properties\":{\"8g\":\"0-2\"}}}");
    eddy_rlist_destroy (rl);
}

static void expect_decode_error (const char *R, int flags, int errnum, const char *msg)
{
    eddy_error_t err = {{0}};
    errno = 0;
    eddy_rlist_t *rl = eddy_rlist_decode (R, strlen (R), flags, &err);
    if (rl || errno != errnum || !strstr (err.text, msg)) {
        print_message ("R %s: got '%s' errno %d, want '%s'\n", R,
                       rl ? "(accepted)" : err.text, errno, msg);
        eddy_rlist_destroy (rl);
        fail ();
    }
}

static void decode_rejects_bad_R (void **state)
{
    (void)state;
    expect_decode_error ("[]", 0, EINVAL, "R must be an object");
    expect_decode_error ("{\"version\": 2, \"execution\": {\"R_lite\": []}}", 0, EINVAL,
                         "version: must be 1");
    expect_decode_error ("{\"version\": 1}", 0, EINVAL, "execution: missing");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": []}}",
                         EDDY_RLIST_STRICT, EINVAL, "execution.nodelist: missing");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": ["
                         "{\"rank\": \"0-1\", \"children\": {\"core\": \"0\"}},"
                         "{\"rank\": \"1\", \"children\": {\"core\": \"1\"}}]}}",
                         0, EINVAL, "rank 1 appears more than once");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": ["
                         "{\"rank\": \"0\", \"children\": {\"core\": \"3-1\"}}]}}",
                         0, EINVAL, "execution.R_lite[0].children.core");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": ["
                         "{\"rank\": \"0\", \"children\": {\"disk\": \"0\"}}]}}",
                         0, EINVAL, "unknown resource type");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": ["
                         "{\"rank\": \"0-1\", \"children\": {\"core\": \"0\"}}],"
                         " \"nodelist\": [\"a[1-3]\"]}}",
                         0, EINVAL, "names at least 3 hosts for 2 ranks");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": ["
                         "{\"rank\": \"0\", \"children\": {\"core\": \"0\"}}],"
                         " \"properties\": {\"x\": \"5\"}}}",
                         0, EINVAL, "rank 5 is not in R");
    /* a rank idset that would expand past the limit is refused up front */
    expect_decode_error (
        "{\"version\": 1, \"execution\": {\"R_lite\": ["
        "{\"rank\": \"0-4000000000\", \"children\": {\"core\": \"0\"}}]}}",
        0, ERANGE, "more than");
    expect_decode_error ("{\"version\": 1, \"execution\": {\"R_lite\": [],"
                         " \"starttime\": -1}}",
                         0, EINVAL, "execution.starttime");
    expect_decode_error ("{\"version\": 1,", 0, EINVAL, "line 1");
}

static void alloc_cores_packs_first_fit (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    (void)state;
    eddy_rlist_t *a = eddy_rlist_alloc_cores (pool, 10, &err);
    assert_non_null (a);
    assert_int_equal (eddy_rlist_count (a, EDDY_RLIST_CORES), 10);
    assert_int_equal (eddy_rlist_count (a, EDDY_RLIST_GPUS), 0);
    assert_str (eddy_rlist_ranks (a), "0-1");
    assert_str (eddy_rlist_nodelist (a), "node[0-1]");
    assert_str (eddy_rlist_property_ranks (a, "debug"), "0-1");
    assert_int_equal (eddy_rlist_count (pool, EDDY_RLIST_CORES), 22);
    /* rank 1 keeps cores 2-7 */
    assert_str (eddy_rlist_encode (a),
                "{\"version\":1,\"execution\":{\"R_lite\":["
                "{\"rank\":\"0\",\"children\":{\"core\":\"0-7\"}},"
                "{\"rank\":\"1\",\"children\":{\"core\":\"0-1\"}}],"
                "\"starttime\":0.0,\"expiration\":0.0,\"nodelist\":[\"node[0-1]\"],"
                "\"properties\":{\"debug\":\"0-1\"}}}");

    /* too big: ENOSPC and the pool is untouched */
    errno = 0;
    assert_null (eddy_rlist_alloc_cores (pool, 23, &err));
    assert_int_equal (errno, ENOSPC);
    assert_int_equal (eddy_rlist_count (pool, EDDY_RLIST_CORES), 22);

    assert_int_equal (eddy_rlist_free (pool, a, &err), 0);
    assert_int_equal (eddy_rlist_count (pool, EDDY_RLIST_CORES), 32);
    /* double free is refused */
    errno = 0;
    assert_int_equal (eddy_rlist_free (pool, a, &err), -1);
    assert_int_equal (errno, EEXIST);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (pool);
}

static void alloc_nodes_exclusive_needs_idle_nodes (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    (void)state;
    eddy_rlist_t *one = eddy_rlist_alloc_cores (pool, 1, &err); /* rank 0 busy */
    assert_non_null (one);
    eddy_rlist_t *two = eddy_rlist_alloc_nodes (pool, 2, &err);
    assert_non_null (two);
    assert_str (eddy_rlist_ranks (two), "1-2");
    assert_int_equal (eddy_rlist_count (two, EDDY_RLIST_CORES), 16);
    assert_int_equal (eddy_rlist_count (two, EDDY_RLIST_GPUS), 4);
    errno = 0;
    assert_null (eddy_rlist_alloc_nodes (pool, 2, &err)); /* only rank 3 idle */
    assert_int_equal (errno, ENOSPC);
    assert_int_equal (eddy_rlist_free (pool, one, &err), 0);
    eddy_rlist_t *again = eddy_rlist_alloc_nodes (pool, 2, &err);
    assert_non_null (again);
    assert_str (eddy_rlist_ranks (again), "0,3");
    eddy_rlist_destroy (one);
    eddy_rlist_destroy (two);
    eddy_rlist_destroy (again);
    eddy_rlist_destroy (pool);
}

static void alloc_slots_per_node_and_gpus (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    (void)state;
    /* 3 slots over 2 nodes: 2 slots per node of 3 cores + 1 gpu */
    struct eddy_rlist_request req = {
        .nnodes = 2, .nslots = 3, .cores_per_slot = 3, .gpus_per_slot = 1};
    eddy_rlist_t *a = eddy_rlist_alloc (pool, &req, &err);
    assert_non_null (a);
    assert_str (eddy_rlist_ranks (a), "0-1");
    assert_int_equal (eddy_rlist_count (a, EDDY_RLIST_CORES), 12);
    assert_int_equal (eddy_rlist_count (a, EDDY_RLIST_GPUS), 4);
    /* gpus are gone on 0-1: a gpu slot must go to rank 2 */
    struct eddy_rlist_request g = {
        .nslots = 1, .cores_per_slot = 1, .gpus_per_slot = 1};
    eddy_rlist_t *b = eddy_rlist_alloc (pool, &g, &err);
    assert_non_null (b);
    assert_str (eddy_rlist_ranks (b), "2");
    /* malformed requests */
    struct eddy_rlist_request bad = {.nslots = 0, .cores_per_slot = 1};
    errno = 0;
    assert_null (eddy_rlist_alloc (pool, &bad, &err));
    assert_int_equal (errno, EINVAL);
    bad = (struct eddy_rlist_request){.nnodes = 3, .nslots = 2, .cores_per_slot = 1};
    assert_null (eddy_rlist_alloc (pool, &bad, &err));
    assert_int_equal (errno, EINVAL);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (b);
    eddy_rlist_destroy (pool);
}

static void down_ranks_are_skipped (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    (void)state;
    assert_int_equal (eddy_rlist_mark_down (pool, "0-2", &err), 0);
    assert_int_equal (eddy_rlist_count_up (pool), 1);
    eddy_rlist_t *a = eddy_rlist_alloc_cores (pool, 8, &err);
    assert_non_null (a);
    assert_str (eddy_rlist_ranks (a), "3");
    errno = 0;
    assert_null (eddy_rlist_alloc_cores (pool, 1, &err));
    assert_int_equal (errno, ENOSPC);
    assert_int_equal (eddy_rlist_mark_up (pool, "1", &err), 0);
    eddy_rlist_t *b = eddy_rlist_alloc_cores (pool, 1, &err);
    assert_non_null (b);
    assert_str (eddy_rlist_ranks (b), "1");
    assert_int_equal (eddy_rlist_mark_down (pool, "x", &err), -1);
    assert_int_equal (errno, EINVAL);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (b);
    eddy_rlist_destroy (pool);
}

/* What is down, counted and copied: the scheduler's free count leaves it
 * out, resource-status shows it; a free into a down rank keeps it down.
 */
static void down_ranks_are_counted_and_copied_apart (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    (void)state;
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_CORES), 0);
    eddy_rlist_t *a = eddy_rlist_alloc_cores (pool, 3, &err); /* from rank 0 */
    assert_non_null (a);
    assert_int_equal (eddy_rlist_mark_down (pool, "0,2", &err), 0);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_RANKS), 2);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_NODES), 2);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_CORES), 5 + 8);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_GPUS), 4);
    eddy_rlist_t *d = eddy_rlist_copy_down (pool);
    assert_non_null (d);
    assert_str (eddy_rlist_ranks (d), "0,2");
    assert_int_equal (eddy_rlist_count (d, EDDY_RLIST_CORES), 13);
    assert_int_equal (eddy_rlist_count_up (d), 0);
    eddy_rlist_destroy (d);
    /* the job on rank 0 ends: its cores come back, down */
    assert_int_equal (eddy_rlist_free (pool, a, &err), 0);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_CORES), 16);
    assert_int_equal (eddy_rlist_mark_up (pool, "0-3", &err), 0);
    assert_int_equal (eddy_rlist_count_down (pool, EDDY_RLIST_CORES), 0);
    d = eddy_rlist_copy_down (pool);
    assert_non_null (d);
    assert_int_equal (eddy_rlist_count (d, EDDY_RLIST_RANKS), 0);
    eddy_rlist_destroy (d);
    errno = 0;
    assert_null (eddy_rlist_copy_down (NULL));
    assert_int_equal (errno, EINVAL);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (pool);
}

static void remove_takes_exact_resources (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    eddy_rlist_t *r = eddy_rlist_create ();
    (void)state;
    assert_int_equal (eddy_rlist_add_rank (r, 2, NULL, "4-5", "1", &err), 0);
    assert_int_equal (eddy_rlist_remove (pool, r, &err), 0);
    assert_int_equal (eddy_rlist_count (pool, EDDY_RLIST_CORES), 30);
    errno = 0;
    assert_int_equal (eddy_rlist_remove (pool, r, &err), -1); /* not free now */
    assert_int_equal (errno, ENOENT);
    eddy_rlist_t *far = eddy_rlist_create ();
    assert_int_equal (eddy_rlist_add_rank (far, 9, NULL, "0", NULL, &err), 0);
    assert_int_equal (eddy_rlist_free (pool, far, &err), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_rlist_add_rank (far, 9, NULL, "1", NULL, &err), -1);
    assert_int_equal (errno, EEXIST);
    eddy_rlist_destroy (far);
    eddy_rlist_destroy (r);
    eddy_rlist_destroy (pool);
}

static void set_algebra (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *a = pool4 ();
    eddy_rlist_t *b = eddy_rlist_create ();
    (void)state;
    assert_int_equal (eddy_rlist_add_rank (b, 1, "node1", "4-11", NULL, &err), 0);
    assert_int_equal (eddy_rlist_add_rank (b, 7, "node7", "0", NULL, &err), 0);

    eddy_rlist_t *u = eddy_rlist_union (a, b);
    eddy_rlist_t *i = eddy_rlist_intersect (a, b);
    eddy_rlist_t *d = eddy_rlist_difference (a, b);
    assert_non_null (u);
    assert_non_null (i);
    assert_non_null (d);
    assert_str (eddy_rlist_ranks (u), "0-3,7");
    assert_int_equal (eddy_rlist_count (u, EDDY_RLIST_CORES), 32 + 4 + 1);
    assert_str (eddy_rlist_ranks (i), "1");
    assert_int_equal (eddy_rlist_count (i, EDDY_RLIST_CORES), 4);
    assert_int_equal (eddy_rlist_count (i, EDDY_RLIST_GPUS), 0);
    assert_str (eddy_rlist_property_ranks (i, "debug"), "1");
    assert_int_equal (eddy_rlist_count (d, EDDY_RLIST_CORES), 28);
    assert_str (eddy_rlist_nodelist (u), "node[0-3,7]");
    assert_null (eddy_rlist_union (a, NULL));
    assert_int_equal (errno, EINVAL);

    eddy_rlist_t *cp = eddy_rlist_copy (a);
    assert_non_null (cp);
    char *x = eddy_rlist_encode (a), *y = eddy_rlist_encode (cp);
    assert_string_equal (x, y);
    free (x);
    free (y);
    eddy_rlist_destroy (cp);
    eddy_rlist_destroy (u);
    eddy_rlist_destroy (i);
    eddy_rlist_destroy (d);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (b);
    errno = 7;
    eddy_rlist_destroy (NULL);
    assert_int_equal (errno, 7);
}

/* A rank in the result of union, intersect or difference keeps the size
 * of the node it came from: a partly free node stays busy for an
 * exclusive request, whichever operation made the set.
 */
static void set_algebra_keeps_node_sizes (void **state)
{
    eddy_error_t err;
    eddy_rlist_t *pool = pool4 ();
    eddy_rlist_t *core1 = eddy_rlist_create ();
    (void)state;
    eddy_rlist_t *busy = eddy_rlist_alloc_cores (pool, 1, &err); /* rank 0, core 0 */
    assert_non_null (busy);
    assert_non_null (core1);
    assert_int_equal (eddy_rlist_add_rank (core1, 1, "node1", "0", NULL, &err), 0);

    eddy_rlist_t *sets[] = {
        eddy_rlist_intersect (pool, pool), /* rank 0: 7 of 8 cores */
        eddy_rlist_union (pool, pool),
        eddy_rlist_difference (pool, core1), /* and rank 1: 7 of 8 */
    };
    const char *idle_first[] = {"1", "1", "2"};
    for (size_t k = 0; k < 3; k++) {
        assert_non_null (sets[k]);
        eddy_rlist_t *whole = eddy_rlist_alloc_nodes (sets[k], 1, &err);
        assert_non_null (whole);
        assert_str (eddy_rlist_ranks (whole), idle_first[k]);
        eddy_rlist_destroy (whole);
        eddy_rlist_destroy (sets[k]);
    }
    /* one core of idle rank 1, intersected with the pool: the rank keeps
     * the pool's size of 8, so that one core is not an idle node */
    eddy_rlist_t *part = eddy_rlist_intersect (pool, core1);
    assert_non_null (part);
    assert_int_equal (eddy_rlist_count (part, EDDY_RLIST_CORES), 1);
    errno = 0;
    assert_null (eddy_rlist_alloc_nodes (part, 1, &err));
    assert_int_equal (errno, ENOSPC);
    eddy_rlist_destroy (part);
    eddy_rlist_destroy (busy);
    eddy_rlist_destroy (core1);
    eddy_rlist_destroy (pool);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (decode_encode_round_trip),
        cmocka_unit_test (decode_rejects_bad_R),
        cmocka_unit_test (alloc_cores_packs_first_fit),
        cmocka_unit_test (alloc_nodes_exclusive_needs_idle_nodes),
        cmocka_unit_test (alloc_slots_per_node_and_gpus),
        cmocka_unit_test (down_ranks_are_skipped),
        cmocka_unit_test (down_ranks_are_counted_and_copied_apart),
        cmocka_unit_test (remove_takes_exact_resources),
        cmocka_unit_test (set_algebra),
        cmocka_unit_test (set_algebra_keeps_node_sizes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
