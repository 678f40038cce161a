/* Futures, continuations and timeouts, on both reactors: a handle whose
 * messages loop back to itself (a service on the same handle) through a
 * queue drained by a check watcher, as a broker's local delivery does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/future.h"
#include "engine/handle.h"
#include "sim/des.h"

struct loop {
    eddy_handle_t *h;
    eddy_watcher_t *w;
    eddy_msg_t *q[64];
    int n;
    bool drop_requests; /* a service that never answers */
};

static int loop_send (void *impl, const eddy_msg_t *msg)
{
    struct loop *l = impl;
    if (l->drop_requests && eddy_msg_type (msg) == EDDY_MSGTYPE_REQUEST)
        return 0;
    if (l->n == 64) {
        errno = EAGAIN;
        return -1;
    }
    eddy_msg_t *m = eddy_msg_copy (msg, true);
    if (!m)
        return -1;
    if (eddy_msg_type (m) == EDDY_MSGTYPE_REQUEST)
        eddy_msg_set_cred (m, 0, EDDY_ROLE_OWNER);
    l->q[l->n++] = m;
    eddy_watcher_start (l->w);
    return 0;
}

static void drain_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct loop *l = arg;
    int n = l->n;
    eddy_msg_t *q[64];
    memcpy (q, l->q, n * sizeof (q[0]));
    l->n = 0;
    for (int i = 0; i < n; i++) {
        eddy_handle_deliver (l->h, q[i]);
        eddy_msg_decref (q[i]);
    }
    if (l->n == 0)
        eddy_watcher_stop (w);
}

static const struct eddy_handle_ops loop_ops = { .send = loop_send };

/* svc.echo answers with its payload; svc.stream answers three times, then ENODATA */
static void echo_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    eddy_respond (h, msg, eddy_msg_payload (msg));
}

static void stream_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    for (int i = 1; i <= 3; i++)
        eddy_respond_pack (h, msg, "{s:i}", "n", i);
    eddy_respond_error (h, msg, ENODATA, NULL);
}

static void fail_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    eddy_respond_error (h, msg, EBUSY, "not now");
}

static const struct eddy_msg_handler_spec svc[] = {
    { EDDY_MSGTYPE_REQUEST, "svc.echo", echo_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "svc.stream", stream_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "svc.fail", fail_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

struct fixture {
    eddy_reactor_t *r;
    struct loop l;
    eddy_msg_handler_t **mh;
};

static int setup (void **state, eddy_reactor_t *r)
{
    struct fixture *fx = calloc (1, sizeof (*fx));
    fx->r = r;
    fx->l.w = eddy_check_create (r, drain_cb, &fx->l);
    fx->l.h = eddy_handle_create (r, &loop_ops, &fx->l);
    if (!fx->l.w || !fx->l.h || eddy_msg_handler_addvec (fx->l.h, svc, NULL, &fx->mh) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int setup_ev (void **state)
{
    return setup (state, eddy_reactor_create ());
}

static int setup_sim (void **state)
{
    return setup (state, eddy_sim_reactor_create (0));
}

static int teardown (void **state)
{
    struct fixture *fx = *state;
    eddy_msg_handler_delvec (fx->mh);
    eddy_handle_destroy (fx->l.h);
    for (int i = 0; i < fx->l.n; i++)
        eddy_msg_decref (fx->l.q[i]);
    eddy_watcher_destroy (fx->l.w);
    eddy_reactor_destroy (fx->r);
    free (fx);
    return 0;
}

struct result {
    int calls;
    int value;
    int errnum;
};

static void then_cb (eddy_future_t *f, void *arg)
{
    struct result *res = arg;
    res->calls++;
    if (eddy_rpc_get_unpack (f, "{s:i}", "x", &res->value) < 0)
        res->errnum = errno;
    eddy_reactor_stop (eddy_handle_reactor (eddy_future_handle (f)));
}

static void continuation_gets_the_response (void **state)
{
    struct fixture *fx = *state;
    struct result res = { 0 };
    eddy_future_t *f = eddy_rpc_pack (fx->l.h, "svc.echo", EDDY_NODEID_ANY, 0, "{s:i}", "x", 7);
    assert_non_null (f);
    assert_false (eddy_future_is_ready (f));
    assert_int_equal (eddy_future_then (f, 5.0, then_cb, &res), 0);
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    assert_int_equal (res.calls, 1);
    assert_int_equal (res.value, 7);
    eddy_future_destroy (f);
}

static void then_on_a_ready_future_runs_later (void **state)
{
    struct fixture *fx = *state;
    struct result res = { 0 };
    eddy_future_t *f = eddy_rpc_pack (fx->l.h, "svc.echo", EDDY_NODEID_ANY, 0, "{s:i}", "x", 9);
    assert_int_equal (eddy_future_wait_for (f, 5.0), 0);
    assert_true (eddy_future_is_ready (f));
    assert_int_equal (eddy_future_then (f, -1, then_cb, &res), 0);
    assert_int_equal (res.calls, 0); /* not from inside then () */
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    assert_int_equal (res.calls, 1);
    assert_int_equal (res.value, 9);
    eddy_future_destroy (f);
}

static void no_answer_times_out (void **state)
{
    struct fixture *fx = *state;
    struct result res = { 0 };
    fx->l.drop_requests = true;
    eddy_future_t *f = eddy_rpc (fx->l.h, "svc.echo", NULL, EDDY_NODEID_ANY, 0);
    double t0 = eddy_reactor_now (fx->r);
    assert_int_equal (eddy_future_then (f, 0.05, then_cb, &res), 0);
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    assert_int_equal (res.calls, 1);
    assert_int_equal (res.errnum, ETIMEDOUT);
    assert_true (eddy_reactor_now (fx->r) - t0 >= 0.049);
    eddy_future_destroy (f);
    fx->l.drop_requests = false;
}

static void wait_for_times_out_too (void **state)
{
    struct fixture *fx = *state;
    fx->l.drop_requests = true;
    eddy_future_t *f = eddy_rpc (fx->l.h, "svc.echo", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (eddy_future_wait_for (f, 0.05), -1);
    assert_int_equal (errno, ETIMEDOUT);
    eddy_future_destroy (f);
    fx->l.drop_requests = false;
}

static void errors_carry_errnum_and_text (void **state)
{
    struct fixture *fx = *state;
    eddy_future_t *f = eddy_rpc (fx->l.h, "svc.fail", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EBUSY);
    assert_string_equal (eddy_future_error_string (f), "not now");
    eddy_future_destroy (f);
    f = eddy_rpc (fx->l.h, "svc.nosuch", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOSYS);
    eddy_future_destroy (f);
}

struct streamres {
    int got[8];
    int n;
    int end;
};

static void stream_then (eddy_future_t *f, void *arg)
{
    struct streamres *s = arg;
    int v;
    if (eddy_rpc_get_unpack (f, "{s:i}", "n", &v) < 0) {
        s->end = errno;
        eddy_reactor_stop (eddy_handle_reactor (eddy_future_handle (f)));
        return;
    }
    s->got[s->n++] = v;
    eddy_future_reset (f);
}

static void streaming_responses_end_with_enodata (void **state)
{
    struct fixture *fx = *state;
    struct streamres s = { 0 };
    eddy_future_t *f = eddy_rpc (fx->l.h, "svc.stream", NULL, EDDY_NODEID_ANY, EDDY_RPC_STREAMING);
    assert_int_equal (eddy_future_then (f, 5.0, stream_then, &s), 0);
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    assert_int_equal (s.n, 3);
    assert_int_equal (s.got[0], 1);
    assert_int_equal (s.got[2], 3);
    assert_int_equal (s.end, ENODATA);
    eddy_future_destroy (f);
}

static void destroyed_future_drops_its_late_response (void **state)
{
    struct fixture *fx = *state;
    eddy_future_t *f = eddy_rpc (fx->l.h, "svc.echo", NULL, EDDY_NODEID_ANY, 0);
    eddy_future_destroy (f); /* before the answer comes back */
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    /* the tag was retired, not reused: a new RPC still works */
    f = eddy_rpc_pack (fx->l.h, "svc.echo", EDDY_NODEID_ANY, 0, "{s:i}", "x", 3);
    int x = 0;
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "x", &x), 0);
    assert_int_equal (x, 3);
    eddy_future_destroy (f);
}

static void plain_futures_are_fulfilled_by_their_owner (void **state)
{
    struct fixture *fx = *state;
    struct result res = { 0 };
    eddy_future_t *f = eddy_future_create (fx->l.h);
    eddy_future_then (f, -1, then_cb, &res);
    eddy_future_fulfill_error (f, EIO, "disk on fire");
    assert_int_equal (res.calls, 0);
    eddy_reactor_run (fx->r, EDDY_RUN_DEFAULT);
    assert_int_equal (res.calls, 1);
    assert_int_equal (res.errnum, EIO);
    assert_string_equal (eddy_future_error_string (f), "disk on fire");
    eddy_future_destroy (f);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (continuation_gets_the_response),
        cmocka_unit_test (then_on_a_ready_future_runs_later),
        cmocka_unit_test (no_answer_times_out),
        cmocka_unit_test (wait_for_times_out_too),
        cmocka_unit_test (errors_carry_errnum_and_text),
        cmocka_unit_test (streaming_responses_end_with_enodata),
        cmocka_unit_test (destroyed_future_drops_its_late_response),
        cmocka_unit_test (plain_futures_are_fulfilled_by_their_owner),
    };
    int n = sizeof (tests) / sizeof (tests[0]);
    int rc = _cmocka_run_group_tests ("future-libev", tests, n, setup_ev, teardown);
    rc += _cmocka_run_group_tests ("future-sim", tests, n, setup_sim, teardown);
    return rc ? 1 : 0;
}
