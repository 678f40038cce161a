/* u64map: insert, replace, lookup and removal against a reference array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/rng.h"
#include "engine/util/u64map.h"

static void insert_replace_remove (void **state)
{
    eddy_u64map_t *m = eddy_u64map_create ();
    int a, b;
    assert_null (eddy_u64map_get (m, 7));
    assert_int_equal (eddy_u64map_put (m, 7, &a), 0);
    assert_ptr_equal (eddy_u64map_get (m, 7), &a);
    assert_int_equal (eddy_u64map_put (m, 7, &b), 0);
    assert_ptr_equal (eddy_u64map_get (m, 7), &b);
    assert_int_equal (eddy_u64map_count (m), 1);
    assert_int_equal (eddy_u64map_put (m, 8, NULL), -1);
    assert_ptr_equal (eddy_u64map_remove (m, 7), &b);
    assert_null (eddy_u64map_remove (m, 7));
    assert_int_equal (eddy_u64map_count (m), 0);
    eddy_u64map_destroy (m);
}

/* Random operations checked against a plain array of 4,096 keys. */
static void random_operations_match_a_reference (void **state)
{
    enum { N = 4096 };
    static char vals[N];
    bool present[N] = { false };
    eddy_rng_t rng;
    eddy_rng_seed (&rng, 3);
    eddy_u64map_t *m = eddy_u64map_create ();
    size_t count = 0;
    for (int step = 0; step < 200000; step++) {
        uint64_t k = eddy_rng_below (&rng, N);
        uint64_t key = k * 0x10000000001ULL; /* keys that share low bits */
        if (eddy_rng_below (&rng, 3) == 0) {
            void *v = eddy_u64map_remove (m, key);
            assert_ptr_equal (v, present[k] ? &vals[k] : NULL);
            if (present[k])
                count--;
            present[k] = false;
        }
        else {
            assert_int_equal (eddy_u64map_put (m, key, &vals[k]), 0);
            if (!present[k])
                count++;
            present[k] = true;
        }
        if (step % 1000 == 0) {
            for (int i = 0; i < N; i++)
                assert_ptr_equal (eddy_u64map_get (m, i * 0x10000000001ULL),
                                  present[i] ? &vals[i] : NULL);
        }
        assert_int_equal (eddy_u64map_count (m), count);
    }
    eddy_u64map_destroy (m);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (insert_replace_remove),
        cmocka_unit_test (random_operations_match_a_reference),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
