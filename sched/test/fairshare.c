/* The classic fair-share factor (sched/fairshare.h) on trees worked out
 * by hand, decay, and malformed trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "sched/fairshare.h"

#define NEAR(a, b) assert_true (fabs ((a) - (b)) < 1e-12)

/* root; banks A and B (1 share each); alice and bob in A (1 each), carol
 * in B.  Shares of the machine: alice 1/4, bob 1/4, carol 1/2.  Usage
 * 300, 100, 0 of 400: alice 3/4 -> 2^-3, bob 1/4 -> 2^-1, carol 1.
 */
static void two_banks_three_users (void **state)
{
    struct eddy_fs_node t[] = {
        { .name = "root", .parent = -1, .shares = 1 },
        { .name = "A", .parent = 0, .shares = 1 },
        { .name = "B", .parent = 0, .shares = 1 },
        { .name = "alice", .parent = 1, .shares = 1, .usage = 300, .user = true },
        { .name = "bob", .parent = 1, .shares = 1, .usage = 100, .user = true },
        { .name = "carol", .parent = 2, .shares = 1, .usage = 0, .user = true },
    };
    assert_int_equal (eddy_fairshare_compute (t, 6, NULL), 0);
    NEAR (t[3].norm_shares, 0.25);
    NEAR (t[5].norm_shares, 0.5);
    NEAR (t[3].norm_usage, 0.75);
    NEAR (t[3].factor, 0.125);
    NEAR (t[4].factor, 0.5);
    NEAR (t[5].factor, 1.0);
    NEAR (t[1].usage, 400); /* a bank's usage is its users' */
    NEAR (t[1].factor, exp2 (-1.0 / 0.5)); /* A: all the usage, half the shares */
    NEAR (t[2].factor, 1.0);
    NEAR (t[0].factor, 0.5);
}

/* Unequal shares: bank A 3, bank B 1; dave (2) and erin (1) in A; frank in
 * B.  dave 3/4 * 2/3 = 1/2, erin 1/4, frank 1/4.  Usage 50/50/0 of 100:
 * dave 2^-(0.5/0.5) = 1/2, erin 2^-(0.5/0.25) = 1/4, frank 1.
 */
static void unequal_shares (void **state)
{
    struct eddy_fs_node t[] = {
        { .name = "root", .parent = -1, .shares = 1 },
        { .name = "A", .parent = 0, .shares = 3 },
        { .name = "B", .parent = 0, .shares = 1 },
        { .name = "dave", .parent = 1, .shares = 2, .usage = 50, .user = true },
        { .name = "erin", .parent = 1, .shares = 1, .usage = 50, .user = true },
        { .name = "frank", .parent = 2, .shares = 1, .user = true },
    };
    assert_int_equal (eddy_fairshare_compute (t, 6, NULL), 0);
    NEAR (t[3].norm_shares, 0.5);
    NEAR (t[4].norm_shares, 0.25);
    NEAR (t[3].factor, 0.5);
    NEAR (t[4].factor, 0.25);
    NEAR (t[5].factor, 1.0);
}

static void nothing_ran_everyone_is_one (void **state)
{
    struct eddy_fs_node t[] = {
        { .name = "root", .parent = -1, .shares = 1 },
        { .name = "u", .parent = 0, .shares = 1, .user = true },
        { .name = "v", .parent = 0, .shares = 0, .user = true },
    };
    assert_int_equal (eddy_fairshare_compute (t, 3, NULL), 0);
    NEAR (t[1].factor, 1.0);
    NEAR (t[2].factor, 0.0); /* no shares: no claim */
}

static void decay_halves_per_half_life (void **state)
{
    NEAR (eddy_fairshare_decay (800, 7 * 86400, 7 * 86400), 400);
    NEAR (eddy_fairshare_decay (800, 21 * 86400, 7 * 86400), 100);
    NEAR (eddy_fairshare_decay (800, 0, 7 * 86400), 800);
    NEAR (eddy_fairshare_decay (800, 100, 0), 800);
}

static void malformed_trees_are_refused (void **state)
{
    eddy_error_t err;
    struct eddy_fs_node two_roots[] = {
        { .name = "r1", .parent = -1, .shares = 1 },
        { .name = "r2", .parent = -1, .shares = 1 },
    };
    assert_int_equal (eddy_fairshare_compute (two_roots, 2, &err), -1);
    struct eddy_fs_node order[] = {
        { .name = "root", .parent = -1, .shares = 1 },
        { .name = "u", .parent = 2, .shares = 1 },
        { .name = "b", .parent = 0, .shares = 1 },
    };
    assert_int_equal (eddy_fairshare_compute (order, 3, &err), -1);
    struct eddy_fs_node negative[] = {
        { .name = "root", .parent = -1, .shares = 1 },
        { .name = "u", .parent = 0, .shares = -1 },
    };
    assert_int_equal (eddy_fairshare_compute (negative, 2, &err), -1);
    assert_int_equal (eddy_fairshare_compute (NULL, 0, &err), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (two_banks_three_users),
        cmocka_unit_test (unequal_shares),
        cmocka_unit_test (nothing_ran_everyone_is_one),
        cmocka_unit_test (decay_halves_per_half_life),
        cmocka_unit_test (malformed_trees_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
