/* Reactor behaviour, run against both backends: libev and the simulator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/reactor.h"
#include "sim/des.h"

struct log {
    char buf[256];
    int n;
};

static void note (struct log *l, char c)
{
    if (l->n < (int)sizeof (l->buf) - 1)
        l->buf[l->n++] = c;
}

static int setup_ev (void **state)
{
    *state = eddy_reactor_create ();
    return *state ? 0 : -1;
}

static int setup_sim (void **state)
{
    *state = eddy_sim_reactor_create (1000.0);
    return *state ? 0 : -1;
}

static int teardown (void **state)
{
    eddy_reactor_destroy (*state);
    return 0;
}

struct tagged {
    struct log *log;
    char tag;
};

static void tag_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct tagged *t = arg;
    note (t->log, t->tag);
}

static void timers_fire_in_due_order (void **state)
{
    eddy_reactor_t *r = *state;
    struct log log = { 0 };
    struct tagged a = { &log, 'a' }, b = { &log, 'b' }, c = { &log, 'c' };
    eddy_watcher_t *wc = eddy_timer_create (r, 0.030, 0, tag_cb, &c);
    eddy_watcher_t *wa = eddy_timer_create (r, 0.010, 0, tag_cb, &a);
    eddy_watcher_t *wb = eddy_timer_create (r, 0.020, 0, tag_cb, &b);
    assert_non_null (wa);
    eddy_watcher_start (wc);
    eddy_watcher_start (wa);
    eddy_watcher_start (wb);
    double t0 = eddy_reactor_now (r);
    assert_int_equal (eddy_reactor_run (r, EDDY_RUN_DEFAULT), 0);
    assert_string_equal (log.buf, "abc");
    assert_true (eddy_reactor_now (r) - t0 >= 0.029);
    assert_false (eddy_watcher_is_active (wa));
    eddy_watcher_destroy (wa);
    eddy_watcher_destroy (wb);
    eddy_watcher_destroy (wc);
}

struct rep {
    int count;
    int stop_at;
};

static void rep_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct rep *rp = arg;
    if (++rp->count == rp->stop_at)
        eddy_watcher_stop (w);
}

static void repeating_timer_repeats_until_stopped (void **state)
{
    eddy_reactor_t *r = *state;
    struct rep rp = { 0, 5 };
    eddy_watcher_t *w = eddy_timer_create (r, 0.001, 0.001, rep_cb, &rp);
    eddy_watcher_start (w);
    eddy_watcher_start (w); /* idempotent */
    assert_int_equal (eddy_reactor_run (r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (rp.count, 5);
    eddy_watcher_destroy (w);
}

static void stopped_timer_never_fires (void **state)
{
    eddy_reactor_t *r = *state;
    struct log log = { 0 };
    struct tagged a = { &log, 'a' }, b = { &log, 'b' };
    eddy_watcher_t *wa = eddy_timer_create (r, 0.005, 0, tag_cb, &a);
    eddy_watcher_t *wb = eddy_timer_create (r, 0.001, 0, tag_cb, &b);
    eddy_watcher_start (wa);
    eddy_watcher_start (wb);
    eddy_watcher_stop (wa);
    eddy_watcher_stop (wa); /* idempotent */
    eddy_reactor_run (r, EDDY_RUN_DEFAULT);
    assert_string_equal (log.buf, "b");
    eddy_watcher_destroy (wa);
    eddy_watcher_destroy (wb);
}

/* Three timers at one instant and a check watcher: the check runs once,
 * after all three.
 */
struct batch {
    struct log log;
    eddy_watcher_t *check;
};

static void batch_timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct batch *b = arg;
    note (&b->log, 't');
    eddy_watcher_start (b->check);
}

static void batch_check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct batch *b = arg;
    note (&b->log, 'C');
    eddy_watcher_stop (w);
}

static void check_runs_once_per_iteration_after_events (void **state)
{
    eddy_reactor_t *r = *state;
    struct batch b = { 0 };
    b.check = eddy_check_create (r, batch_check_cb, &b);
    eddy_watcher_t *t[3];
    /* zero-delay timers are all due in the first iteration */
    for (int i = 0; i < 3; i++) {
        t[i] = eddy_timer_create (r, 0, 0, batch_timer_cb, &b);
        eddy_watcher_start (t[i]);
    }
    eddy_reactor_run (r, EDDY_RUN_DEFAULT);
    assert_string_equal (b.log.buf, "tttC");
    for (int i = 0; i < 3; i++)
        eddy_watcher_destroy (t[i]);
    eddy_watcher_destroy (b.check);
}

struct counter {
    int n;
    int limit;
};

static void count_check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct counter *c = arg;
    if (++c->n == c->limit)
        eddy_watcher_stop (w);
}

static void active_check_keeps_reactor_from_blocking (void **state)
{
    eddy_reactor_t *r = *state;
    struct counter c = { 0, 3 };
    eddy_watcher_t *w = eddy_check_create (r, count_check_cb, &c);
    /* a far timer would block the loop for a minute without the check */
    struct log log = { 0 };
    struct tagged a = { &log, 'a' };
    eddy_watcher_t *far = eddy_timer_create (r, 60.0, 0, tag_cb, &a);
    eddy_watcher_start (far);
    eddy_watcher_start (w);
    for (int i = 0; i < 3; i++)
        eddy_reactor_run (r, EDDY_RUN_ONCE);
    assert_int_equal (c.n, 3);
    assert_int_equal (log.n, 0);
    eddy_watcher_destroy (far);
    eddy_watcher_destroy (w);
}

/* An idle watcher runs after the instant's events and check watchers; if
 * it starts more work, it runs again once that work is done.
 */
struct settle {
    struct log log;
    eddy_watcher_t *check, *idle, *again;
    int idles;
};

static void settle_timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct settle *s = arg;
    note (&s->log, 't');
    eddy_watcher_start (s->check);
    eddy_watcher_start (s->idle);
}

static void settle_check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct settle *s = arg;
    note (&s->log, 'C');
    eddy_watcher_stop (w);
}

static void settle_idle_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct settle *s = arg;
    note (&s->log, 'I');
    if (++s->idles == 1)
        eddy_watcher_start (s->again); /* more work at this instant */
    else
        eddy_watcher_stop (w);
}

static void idle_runs_when_the_instant_has_settled (void **state)
{
    eddy_reactor_t *r = *state;
    struct settle s = { 0 };
    s.check = eddy_check_create (r, settle_check_cb, &s);
    s.idle = eddy_idle_create (r, settle_idle_cb, &s);
    s.again = eddy_timer_create (r, 0, 0, settle_timer_cb, &s);
    eddy_watcher_t *t[2];
    for (int i = 0; i < 2; i++) {
        t[i] = eddy_timer_create (r, 0.001, 0, settle_timer_cb, &s);
        eddy_watcher_start (t[i]);
    }
    eddy_reactor_run (r, EDDY_RUN_DEFAULT);
    assert_string_equal (s.log.buf, "ttCItCI");
    for (int i = 0; i < 2; i++)
        eddy_watcher_destroy (t[i]);
    eddy_watcher_destroy (s.again);
    eddy_watcher_destroy (s.idle);
    eddy_watcher_destroy (s.check);
}

static void stop_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    if (arg)
        eddy_reactor_stop_error (r);
    else
        eddy_reactor_stop (r);
}

static void stop_and_stop_error_end_run (void **state)
{
    eddy_reactor_t *r = *state;
    eddy_watcher_t *forever = eddy_timer_create (r, 0.001, 0.001, rep_cb, &(struct rep){ 0, -1 });
    eddy_watcher_t *s = eddy_timer_create (r, 0.003, 0, stop_cb, NULL);
    eddy_watcher_start (forever);
    eddy_watcher_start (s);
    assert_int_equal (eddy_reactor_run (r, EDDY_RUN_DEFAULT), 0);
    eddy_watcher_destroy (s);
    s = eddy_timer_create (r, 0.003, 0, stop_cb, (void *)1);
    eddy_watcher_start (s);
    assert_int_equal (eddy_reactor_run (r, EDDY_RUN_DEFAULT), -1);
    eddy_watcher_destroy (s);
    eddy_watcher_destroy (forever);
}

static void bad_arguments_fail_with_einval (void **state)
{
    eddy_reactor_t *r = *state;
    errno = 0;
    assert_null (eddy_timer_create (r, -1, 0, tag_cb, NULL));
    assert_int_equal (errno, EINVAL);
    errno = 0;
    assert_null (eddy_check_create (r, NULL, NULL));
    assert_int_equal (errno, EINVAL);
    eddy_watcher_destroy (NULL);
}

/* Simulator only: virtual time jumps, ties break by start order, posted
 * events interleave with timers on (time, sequence).
 */
static void sim_time_is_virtual_and_ties_are_fifo (void **state)
{
    eddy_reactor_t *r = eddy_sim_reactor_create (0);
    struct log log = { 0 };
    struct tagged t[4] = { { &log, 'a' }, { &log, 'b' }, { &log, 'c' }, { &log, 'd' } };
    eddy_watcher_t *w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = eddy_timer_create (r, 86400.0 * 365, 0, tag_cb, &t[i]);
        eddy_watcher_start (w[i]);
    }
    assert_true (eddy_reactor_is_sim (r));
    assert_int_equal (eddy_reactor_run (r, EDDY_RUN_DEFAULT), 0);
    assert_string_equal (log.buf, "abcd");
    assert_true (eddy_reactor_now (r) == 86400.0 * 365);
    assert_int_equal (eddy_sim_events (r), 4);
    for (int i = 0; i < 4; i++)
        eddy_watcher_destroy (w[i]);
    eddy_reactor_destroy (r);
}

static void post_cb (eddy_reactor_t *r, void *a, void *b)
{
    note (a, *(char *)b);
}

static void sim_posts_and_timers_share_one_order (void **state)
{
    eddy_reactor_t *r = eddy_sim_reactor_create (0);
    struct log log = { 0 };
    struct tagged tt = { &log, 'T' };
    char p1 = '1', p2 = '2';
    eddy_watcher_t *w = eddy_timer_create (r, 5, 0, tag_cb, &tt);
    assert_int_equal (eddy_sim_post (r, 5, post_cb, &log, &p1), 0);
    eddy_watcher_start (w);
    assert_int_equal (eddy_sim_post (r, 5, post_cb, &log, &p2), 0);
    assert_int_equal (eddy_sim_post (r, -1, post_cb, &log, &p2), -1);
    assert_int_equal (eddy_sim_pending (r), 3);
    eddy_reactor_run (r, EDDY_RUN_DEFAULT);
    assert_string_equal (log.buf, "1T2");
    assert_null (eddy_fd_create (r, 0, EDDY_POLLIN, tag_cb, NULL));
    assert_int_equal (errno, ENOSYS);
    eddy_watcher_destroy (w);
    eddy_reactor_destroy (r);
}

static int drops;

static void count_drop (void *b)
{
    drops++;
    free (b);
}

/* What an owned post carries is freed by its event or, if the reactor
 * goes first, by its drop function; a run event is not dropped again.
 */
static void sim_owned_posts_are_dropped_at_destroy (void **state)
{
    (void)state;
    eddy_reactor_t *r = eddy_sim_reactor_create (0);
    struct log log = { { 0 }, 0 };
    static char p1 = '1';
    assert_int_equal (eddy_sim_post_owned (r, 1, post_cb, &log, &p1, NULL), 0);
    assert_int_equal (eddy_sim_post_owned (r, 9, post_cb, &log, malloc (1), count_drop), 0);
    assert_int_equal (eddy_sim_post_owned (r, 9, post_cb, &log, malloc (1), count_drop), 0);
    drops = 0;
    eddy_reactor_run (r, EDDY_RUN_ONCE);
    assert_string_equal (log.buf, "1");
    assert_int_equal (drops, 0);
    eddy_reactor_destroy (r);
    assert_int_equal (drops, 2);
}

/* Check watchers of a pass, for the test below: each notes its tag and
 * may start or destroy another.
 */
struct pass {
    struct log log;
    eddy_watcher_t *w[6];
    struct tagged t[6];
};

static void pass_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct tagged *t = arg;
    struct pass *p = (struct pass *)((char *)t->log - offsetof (struct pass, log));
    note (t->log, t->tag);
    eddy_watcher_stop (w);
    if (t->tag == 'b') {
        eddy_watcher_start (p->w[0]); /* created before b: waits for the next pass */
        eddy_watcher_start (p->w[4]); /* created after b: runs in this pass */
        eddy_watcher_destroy (p->w[3]); /* started, not yet run: never runs */
        p->w[3] = NULL;
    }
}

/* The simulator runs the active check watchers of a pass in creation
 * order whatever order they were started in; one started during the pass
 * runs in it if it was created after the one running; a watcher destroyed
 * before its turn does not run.
 */
static void sim_checks_run_in_creation_order (void **state)
{
    (void)state;
    eddy_reactor_t *r = eddy_sim_reactor_create (0);
    struct pass p = { 0 };
    for (int i = 0; i < 6; i++) {
        p.t[i] = (struct tagged){ &p.log, (char)('a' + i) };
        p.w[i] = eddy_check_create (r, pass_cb, &p.t[i]);
    }
    eddy_watcher_start (p.w[5]);
    eddy_watcher_start (p.w[3]);
    eddy_watcher_start (p.w[1]);
    eddy_watcher_start (p.w[2]);
    eddy_reactor_run (r, EDDY_RUN_ONCE);
    assert_string_equal (p.log.buf, "bcef");
    eddy_reactor_run (r, EDDY_RUN_ONCE);
    assert_string_equal (p.log.buf, "bcefa");
    for (int i = 0; i < 6; i++)
        eddy_watcher_destroy (p.w[i]);
    eddy_reactor_destroy (r);
}

/* The work counters start at zero and count what components add. */
static int shared_freed;

static void shared_free (void *arg)
{
    shared_freed++;
    free (arg);
}

static void other_free (void *arg)
{
}

static int order_seen[EDDY_REACTOR_SHARED_MAX], norder;

static void free_1 (void *arg)
{
    order_seen[norder++] = 1;
    free (arg);
}
static void free_2 (void *arg)
{
    order_seen[norder++] = 2;
    free (arg);
}
static void free_3 (void *arg)
{
    order_seen[norder++] = 3;
    free (arg);
}

/* The shared slots: a value found by its destructor, one per destructor,
 * EDDY_REACTOR_SHARED_MAX of them, freed with the reactor (the last set
 * first; r itself is destroyed by teardown, counted in the next test).
 */
static void shared_value_is_found_by_its_destructor (void **state)
{
    eddy_reactor_t *r = *state;
    int *v = malloc (sizeof (*v)), w;

    assert_non_null (v);
    assert_null (eddy_reactor_shared_get (r, shared_free));
    assert_int_equal (eddy_reactor_shared_set (r, v, shared_free), 0);
    assert_ptr_equal (eddy_reactor_shared_get (r, shared_free), v);
    assert_null (eddy_reactor_shared_get (r, other_free));
    assert_null (eddy_reactor_shared_get (r, NULL));
    errno = 0;
    assert_int_equal (eddy_reactor_shared_set (r, NULL, shared_free), -1);
    assert_int_equal (errno, EEXIST);
    assert_ptr_equal (eddy_reactor_shared_get (r, shared_free), v);
    errno = 0;
    assert_int_equal (eddy_reactor_shared_set (r, NULL, NULL), -1);
    assert_int_equal (errno, EINVAL);
    /* a second value beside the first */
    assert_int_equal (eddy_reactor_shared_set (r, &w, other_free), 0);
    assert_ptr_equal (eddy_reactor_shared_get (r, other_free), &w);
    assert_ptr_equal (eddy_reactor_shared_get (r, shared_free), v);

    int before = shared_freed;
    eddy_reactor_t *r2 = eddy_sim_reactor_create (0.0);
    norder = 0;
    assert_int_equal (eddy_reactor_shared_set (r2, malloc (1), free_1), 0);
    assert_int_equal (eddy_reactor_shared_set (r2, malloc (1), free_2), 0);
    assert_int_equal (eddy_reactor_shared_set (r2, malloc (1), free_3), 0);
    assert_int_equal (eddy_reactor_shared_set (r2, malloc (1), shared_free), 0);
    errno = 0;
    assert_int_equal (eddy_reactor_shared_set (r2, NULL, other_free), -1);
    assert_int_equal (errno, ENOSPC);
    eddy_reactor_destroy (r2);
    assert_int_equal (shared_freed, before + 1);
    assert_int_equal (norder, 3);
    assert_int_equal (order_seen[0], 3);
    assert_int_equal (order_seen[1], 2);
    assert_int_equal (order_seen[2], 1);
}

static void stats_start_at_zero_and_count (void **state)
{
    eddy_reactor_t *r = *state;
    struct eddy_stats *st = eddy_reactor_stats (r);
    assert_true (st->msgs == 0 && st->commits == 0 && st->hashes == 0 && st->hash_bytes == 0);
    eddy_reactor_count_hash (r, 100);
    eddy_reactor_count_hash (r, 28);
    eddy_reactor_count_hash (NULL, 5);
    assert_true (st->hashes == 2 && st->hash_bytes == 128);
}

/* On a real machine a loop that never runs dry (a check watcher always
 * active, as while a client streams submissions) still runs an idle
 * watcher, within a few milliseconds, not once the stream stops.
 */
struct busy {
    eddy_watcher_t *idle, *end;
    int idles;
    double t0, t_idle;
};

static void busy_check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    /* stays active: every iteration has work */
    eddy_reactor_now_update (r);
}

static void busy_idle_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct busy *b = arg;
    if (b->idles++ == 0)
        b->t_idle = eddy_reactor_now (r) - b->t0;
    eddy_watcher_stop (w);
}

static void busy_end_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_reactor_stop (r);
}

static void idle_is_not_starved_by_a_busy_loop (void **state)
{
    eddy_reactor_t *r = *state;
    struct busy b = { 0 };
    eddy_watcher_t *check = eddy_check_create (r, busy_check_cb, &b);
    b.idle = eddy_idle_create (r, busy_idle_cb, &b);
    b.end = eddy_timer_create (r, 0.2, 0, busy_end_cb, &b);
    eddy_reactor_now_update (r);
    b.t0 = eddy_reactor_now (r);
    eddy_watcher_start (check);
    eddy_watcher_start (b.idle);
    eddy_watcher_start (b.end);
    eddy_reactor_run (r, EDDY_RUN_DEFAULT);
    assert_int_equal (b.idles, 1);
    assert_true (b.t_idle < 0.1);
    eddy_watcher_destroy (b.end);
    eddy_watcher_destroy (b.idle);
    eddy_watcher_destroy (check);
}

#define BOTH(fn) cmocka_unit_test (fn)

int main (void)
{
    const struct CMUnitTest common[] = {
        BOTH (timers_fire_in_due_order),
        BOTH (repeating_timer_repeats_until_stopped),
        BOTH (stopped_timer_never_fires),
        BOTH (check_runs_once_per_iteration_after_events),
        BOTH (active_check_keeps_reactor_from_blocking),
        BOTH (idle_runs_when_the_instant_has_settled),
        BOTH (stop_and_stop_error_end_run),
        BOTH (bad_arguments_fail_with_einval),
        BOTH (stats_start_at_zero_and_count),
        BOTH (shared_value_is_found_by_its_destructor),
    };
    const struct CMUnitTest libev_only[] = {
        cmocka_unit_test_setup_teardown (idle_is_not_starved_by_a_busy_loop, setup_ev, teardown),
    };
    const struct CMUnitTest sim_only[] = {
        cmocka_unit_test (sim_time_is_virtual_and_ties_are_fifo),
        cmocka_unit_test (sim_posts_and_timers_share_one_order),
        cmocka_unit_test (sim_owned_posts_are_dropped_at_destroy),
        cmocka_unit_test (sim_checks_run_in_creation_order),
    };
    int rc = 0;
    rc += _cmocka_run_group_tests ("reactor-libev", common, 9, setup_ev, teardown);
    rc += _cmocka_run_group_tests ("reactor-sim", common, 9, setup_sim, teardown);
    rc += cmocka_run_group_tests_name ("reactor-libev-only", libev_only, NULL, NULL);
    rc += cmocka_run_group_tests_name ("reactor-sim-only", sim_only, NULL, NULL);
    return rc ? 1 : 0;
}
