/* Unit tests for sched/rstate.c: the rank states from their idsets, and
 * drain targets (idsets, hostlists, and what is refused).
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

#include "sched/rstate.h"

static eddy_idset_t *ids (const char *s)
{
    eddy_idset_t *x = eddy_idset_decode (s, NULL);
    assert_non_null (x);
    return x;
}

static void assert_ids (const eddy_idset_t *x, const char *want)
{
    char *got = eddy_idset_encode (x, EDDY_IDSET_RANGE);
    assert_non_null (got);
    assert_string_equal (got, want);
    free (got);
}

/* ranks 0-7; 6-7 down (7 was online once); 1-2 allocated; 0 excluded;
 * 2-3 and 6 drained */
static void states_of_eight_ranks (void **state)
{
    eddy_idset_t *all = ids ("0-7"), *down = ids ("6-7"), *alloc = ids ("1-2"),
                 *excl = ids ("0"), *drained = ids ("2-3,6"), *lost = ids ("7,9");
    struct eddy_rstate_input in = {all, down, alloc, excl, drained, lost, NULL};
    eddy_idset_t *out[EDDY_RSTATE_COUNT];

    assert_int_equal (eddy_rstate_compute (&in, out), 0);
    assert_ids (out[EDDY_RSTATE_AVAIL], "1,4-5");
    assert_ids (out[EDDY_RSTATE_ONLINE], "0-5");
    assert_ids (out[EDDY_RSTATE_OFFLINE], "6-7");
    assert_ids (out[EDDY_RSTATE_EXCLUDE], "0");
    assert_ids (out[EDDY_RSTATE_DRAIN], "2-3,6");
    assert_ids (out[EDDY_RSTATE_DRAINING], "2");
    assert_ids (out[EDDY_RSTATE_DRAINED], "3,6");
    assert_ids (out[EDDY_RSTATE_ALLOCATED], "1-2");
    assert_ids (out[EDDY_RSTATE_LOST], "7"); /* 9 is not a rank of R */
    assert_ids (out[EDDY_RSTATE_TORPID], "");
    eddy_rstate_free (out);
    assert_null (out[0]);

    /* nothing but all: every rank avail and online */
    struct eddy_rstate_input bare = {.all = all};
    assert_int_equal (eddy_rstate_compute (&bare, out), 0);
    assert_ids (out[EDDY_RSTATE_AVAIL], "0-7");
    assert_ids (out[EDDY_RSTATE_DRAIN], "");
    eddy_rstate_free (out);

    struct eddy_rstate_input none = {.down = down};
    errno = 0;
    assert_int_equal (eddy_rstate_compute (&none, out), -1);
    assert_int_equal (errno, EINVAL);
    eddy_idset_destroy (all);
    eddy_idset_destroy (down);
    eddy_idset_destroy (alloc);
    eddy_idset_destroy (excl);
    eddy_idset_destroy (drained);
    eddy_idset_destroy (lost);
}

/* torpid ranks are online but not avail; a torpid rank that is offline
 * (a stale report) is not torpid */
static void torpid_is_online_not_avail (void **state)
{
    eddy_idset_t *all = ids ("0-3"), *down = ids ("3"), *torpid = ids ("1,3");
    struct eddy_rstate_input in = {.all = all, .down = down, .torpid = torpid};
    eddy_idset_t *out[EDDY_RSTATE_COUNT];

    assert_int_equal (eddy_rstate_compute (&in, out), 0);
    assert_ids (out[EDDY_RSTATE_TORPID], "1");
    assert_ids (out[EDDY_RSTATE_ONLINE], "0-2");
    assert_ids (out[EDDY_RSTATE_AVAIL], "0,2");
    eddy_rstate_free (out);
    eddy_idset_destroy (all);
    eddy_idset_destroy (down);
    eddy_idset_destroy (torpid);
}

static void names_round_trip (void **state)
{
    for (int i = 0; i < EDDY_RSTATE_COUNT; i++) {
        const char *n = eddy_rstate_name (i);
        assert_non_null (n);
        assert_non_null (eddy_rstate_help (i));
        assert_int_equal (eddy_rstate_lookup (n, strlen (n)), i);
    }
    assert_int_equal (eddy_rstate_lookup ("drai", 4), -1);
    assert_int_equal (eddy_rstate_lookup ("drained,avail", 7), EDDY_RSTATE_DRAINED);
    assert_int_equal (eddy_rstate_lookup ("bogus", 5), -1);
    assert_null (eddy_rstate_name (EDDY_RSTATE_COUNT));
}

/* node0..node3 on ranks 0-3; ranks 4-5 share the host "twin" */
static eddy_rlist_t *six (void)
{
    eddy_rlist_t *rl = eddy_rlist_create ();
    eddy_error_t err;
    char host[16];
    assert_non_null (rl);
    for (unsigned r = 0; r < 6; r++) {
        snprintf (host, sizeof (host), r < 4 ? "node%u" : "twin", r);
        assert_int_equal (eddy_rlist_add_rank (rl, r, host, "0-1", NULL, &err), 0);
    }
    return rl;
}

static void targets_ranks_and_hosts (void **state)
{
    eddy_rlist_t *rl = six ();
    eddy_error_t err;
    eddy_idset_t *x;

    assert_non_null ((x = eddy_rstate_targets (rl, "1-2", &err)));
    assert_ids (x, "1-2");
    eddy_idset_destroy (x);
    assert_non_null ((x = eddy_rstate_targets (rl, "[0,3]", &err)));
    assert_ids (x, "0,3");
    eddy_idset_destroy (x);
    assert_non_null ((x = eddy_rstate_targets (rl, "node[3,1]", &err)));
    assert_ids (x, "1,3");
    eddy_idset_destroy (x);
    assert_non_null ((x = eddy_rstate_targets (rl, "twin", &err)));
    assert_ids (x, "4-5");
    eddy_idset_destroy (x);
    eddy_rlist_destroy (rl);
}

static void targets_refused (void **state)
{
    eddy_rlist_t *rl = six ();
    eddy_error_t err;
    static const struct {
        const char *in, *text;
    } bad[] = {
        {"", "no targets"},
        {"6", "rank 6 is not in this instance (its ranks: 0-5)"},
        {"4-9", "ranks 6-9 are not in this instance"},
        {"node9", "host node9 is not a host of this instance"},
        {"node[1,7]", "host node7 is not a host"},
        {"node[", "neither an idset of ranks nor a hostlist"},
        {"3-1", "'3-1' is not an idset of ranks"},
        {"1,,2", "is not an idset of ranks"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        err.text[0] = '\0';
        errno = 0;
        assert_null (eddy_rstate_targets (rl, bad[i].in, &err));
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, bad[i].text))
            fail_msg ("'%s': got '%s', wanted '%s'", bad[i].in, err.text, bad[i].text);
    }
    errno = 0;
    assert_null (eddy_rstate_targets (NULL, "1", &err));
    assert_int_equal (errno, EINVAL);
    eddy_rlist_destroy (rl);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (states_of_eight_ranks),
        cmocka_unit_test (torpid_is_online_not_avail),
        cmocka_unit_test (names_round_trip),
        cmocka_unit_test (targets_ranks_and_hosts),
        cmocka_unit_test (targets_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
