/* The PMI exchange tree: every rank ends each barrier with every rank's
 * puts, whatever order the messages arrive in, each rank sending one
 * message up per barrier; requests out of turn are refused, and a failure
 * reaches the subtree below it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/pmi_xchg.h"

#define MAXN 64

struct msg {
    int kind; /* 0: a request up, 1: an answer down */
    int to, from, seq;
    json_t *kvs; /* NULL in an answer: failed */
    char why[64];
};

struct world {
    int n, fanout;
    pmi_xchg_t *x[MAXN];
    struct node {
        struct world *w;
        int index;
        int ups; /* requests sent up */
        int dones;
        json_t *all; /* the last barrier's result */
        char why[64];
        bool fail_up;
    } nodes[MAXN];
    struct msg q[4 * MAXN];
    int nq;
};

static int w_up (void *arg, int parent, int seq, json_t *kvs)
{
    struct node *nd = arg;
    struct world *w = nd->w;
    if (nd->fail_up)
        return -1;
    nd->ups++;
    assert_int_equal (parent, pmi_xchg_parent (nd->index, w->fanout));
    w->q[w->nq++] = (struct msg){ 0, parent, nd->index, seq, json_deep_copy (kvs), "" };
    return 0;
}

static void w_down (void *arg, void *handle, json_t *all, const char *why)
{
    struct node *nd = arg;
    struct world *w = nd->w;
    int child = (int)(intptr_t)handle;
    struct msg m = { 1, child, nd->index, 0, all ? json_deep_copy (all) : NULL, "" };
    if (why)
        snprintf (m.why, sizeof (m.why), "%s", why);
    w->q[w->nq++] = m;
}

static void w_done (void *arg, json_t *all, const char *why)
{
    struct node *nd = arg;
    nd->dones++;
    json_decref (nd->all);
    nd->all = all ? json_deep_copy (all) : NULL;
    snprintf (nd->why, sizeof (nd->why), "%s", why ? why : "");
}

static const struct pmi_xchg_ops wops = { w_up, w_down, w_done };

static void world_init (struct world *w, int n, int fanout)
{
    memset (w, 0, sizeof (*w));
    w->n = n;
    w->fanout = fanout;
    for (int i = 0; i < n; i++) {
        w->nodes[i].w = w;
        w->nodes[i].index = i;
        assert_non_null (w->x[i] = pmi_xchg_create (i, n, fanout, &wops, &w->nodes[i]));
    }
}

static void world_fini (struct world *w)
{
    for (int i = 0; i < w->n; i++) {
        pmi_xchg_destroy (w->x[i]);
        json_decref (w->nodes[i].all);
    }
    for (int i = 0; i < w->nq; i++)
        json_decref (w->q[i].kvs);
}

/* Deliver queued messages until none are left: the oldest first, or
 * (lifo) the newest first.
 */
static void world_run (struct world *w, bool lifo)
{
    while (w->nq > 0) {
        struct msg m;
        if (lifo)
            m = w->q[--w->nq];
        else {
            m = w->q[0];
            memmove (w->q, w->q + 1, --w->nq * sizeof (w->q[0]));
        }
        if (m.kind == 0)
            assert_int_equal (pmi_xchg_child (w->x[m.to], m.from, m.seq, m.kvs,
                                              (void *)(intptr_t)m.from), 0);
        else
            pmi_xchg_answer (w->x[m.to], m.kvs, m.kvs ? NULL : m.why);
        json_decref (m.kvs);
    }
}

static void enter (struct world *w, int i, int barrier)
{
    char key[32], val[32];
    snprintf (key, sizeof (key), "card%d.%d", i, barrier);
    snprintf (val, sizeof (val), "v%d", i);
    json_t *puts = json_pack ("{s:s}", key, val);
    assert_int_equal (pmi_xchg_local (w->x[i], puts), 0);
    json_decref (puts);
}

static void check_all (struct world *w, int barrier)
{
    for (int i = 0; i < w->n; i++) {
        assert_int_equal (w->nodes[i].dones, barrier + 1);
        assert_string_equal (w->nodes[i].why, "");
        assert_int_equal (json_object_size (w->nodes[i].all), w->n);
        for (int k = 0; k < w->n; k++) {
            char key[32], val[32];
            snprintf (key, sizeof (key), "card%d.%d", k, barrier);
            snprintf (val, sizeof (val), "v%d", k);
            assert_string_equal (json_string_value (json_object_get (w->nodes[i].all, key)), val);
        }
        /* one message up per barrier, none from the root */
        assert_int_equal (w->nodes[i].ups, i == 0 ? 0 : barrier + 1);
    }
}

static void the_tree_has_its_shape (void **state)
{
    assert_int_equal (pmi_xchg_parent (0, 8), -1);
    assert_int_equal (pmi_xchg_parent (8, 8), 0);
    assert_int_equal (pmi_xchg_parent (9, 8), 1);
    assert_int_equal (pmi_xchg_nchildren (0, 64, 8), 8);
    assert_int_equal (pmi_xchg_nchildren (7, 64, 8), 7); /* 57..63 */
    assert_int_equal (pmi_xchg_nchildren (8, 64, 8), 0);
    assert_int_equal (pmi_xchg_nchildren (0, 1, 8), 0);
}

static void every_rank_gets_every_put (void **state)
{
    static const int shapes[][2] = { { 1, 8 }, { 2, 8 }, { 8, 8 }, { 20, 3 }, { 64, 8 }, { 33, 2 } };
    for (size_t s = 0; s < sizeof (shapes) / sizeof (shapes[0]); s++) {
        for (int lifo = 0; lifo < 2; lifo++) {
            struct world w;
            world_init (&w, shapes[s][0], shapes[s][1]);
            for (int barrier = 0; barrier < 2; barrier++) {
                /* ranks enter in an order unlike the tree's */
                for (int i = w.n - 1; i >= 0; i -= 2)
                    enter (&w, i, barrier);
                world_run (&w, lifo);
                for (int i = w.n - 2; i >= 0; i -= 2)
                    enter (&w, i, barrier);
                world_run (&w, lifo);
                check_all (&w, barrier);
                for (int i = 0; i < w.n; i++)
                    assert_int_equal (pmi_xchg_seq (w.x[i]), barrier + 1);
            }
            world_fini (&w);
        }
    }
}

static void requests_out_of_turn_are_refused (void **state)
{
    struct world w;
    json_t *kvs = json_object ();
    world_init (&w, 20, 3);
    /* 1's children are 4, 5 and 6 */
    assert_int_equal (pmi_xchg_child (w.x[1], 7, 0, kvs, (void *)7), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (pmi_xchg_child (w.x[1], 4, 1, kvs, (void *)4), -1); /* not this barrier */
    assert_int_equal (pmi_xchg_child (w.x[1], 4, 0, kvs, (void *)4), 0);
    assert_int_equal (pmi_xchg_child (w.x[1], 4, 0, kvs, (void *)4), -1); /* twice */
    assert_int_equal (pmi_xchg_local (w.x[2], kvs), 0);
    assert_int_equal (pmi_xchg_local (w.x[2], kvs), -1); /* its tasks, twice */
    json_decref (kvs);
    world_fini (&w); /* 1 answers 4: "the job's PMI ended" */
}

static void a_failure_reaches_the_subtree (void **state)
{
    struct world w;
    world_init (&w, 13, 3); /* 1 has children 4, 5, 6; 4 has 13.. (none) */
    w.nodes[1].fail_up = true;
    for (int i = 0; i < w.n; i++)
        enter (&w, i, 0);
    world_run (&w, false);
    for (int i = 4; i <= 6; i++) {
        assert_int_equal (w.nodes[i].dones, 1);
        assert_null (w.nodes[i].all);
        assert_string_equal (w.nodes[i].why, "cannot send the PMI exchange to the parent rank");
    }
    assert_int_equal (w.nodes[1].dones, 1);
    assert_int_equal (w.nodes[0].dones, 0); /* the root still waits: the job fails elsewhere */
    world_fini (&w);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (the_tree_has_its_shape),
        cmocka_unit_test (every_rank_gets_every_put),
        cmocka_unit_test (requests_out_of_turn_are_refused),
        cmocka_unit_test (a_failure_reaches_the_subtree),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
