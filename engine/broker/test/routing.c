/* Routing through the broker tree, run in both worlds (simulator and
 * libev + ZeroMQ): requests up to rank 0, to a rank, responses back along
 * the route, errors, streaming, and events in order with no gaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/broker/broker_impl.h"
#include "engine/broker/topology.h"
#include "engine/future.h"
#include "test/support/world.h"

#define SIZE 8
#define FANOUT 2

static const struct world_ops *current;

static int setup (void **state)
{
    struct world *w = current->create (SIZE, FANOUT);
    if (!w)
        return -1;
    if (world_boot (w, 30.0) < 0) {
        world_destroy (w);
        return -1;
    }
    *state = w;
    return 0;
}

static int teardown (void **state)
{
    world_destroy (*state);
    return 0;
}

/* An "echo" service on a rank: answers with its rank and the request. */
static void echo_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    json_t *p = eddy_msg_payload (msg);
    eddy_respond_pack (h, msg, "{s:i s:O}", "rank", (json_int_t)eddy_handle_rank (h), "echo",
                       p ? p : json_null ());
}

static eddy_handle_t *echo_service (struct world *w, uint32_t rank, eddy_msg_handler_t **mh)
{
    eddy_handle_t *h = eddy_broker_handle_create (w->b[rank], "echo");
    assert_non_null (h);
    *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_REQUEST, "echo.*", echo_cb, NULL);
    assert_non_null (*mh);
    assert_int_equal (eddy_service_register (h, "echo"), 0);
    return h;
}

static void request_any_goes_up_to_the_service (void **state)
{
    struct world *w = *state;
    eddy_msg_handler_t *mh;
    eddy_handle_t *svc = echo_service (w, 0, &mh);
    eddy_handle_t *leaf = eddy_broker_handle_create (w->b[SIZE - 1], "client");
    int rank = -1, x = 0;

    eddy_future_t *f = eddy_rpc_pack (leaf, "echo.hello", EDDY_NODEID_ANY, 0, "{s:i}", "x", 42);
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i s:{s:i}}", "rank", &rank, "echo", "x", &x), 0);
    assert_int_equal (rank, 0);
    assert_int_equal (x, 42);
    eddy_future_destroy (f);
    eddy_handle_destroy (leaf);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (svc);
}

static void nearest_service_wins_and_upstream_skips_it (void **state)
{
    struct world *w = *state;
    eddy_msg_handler_t *mh0, *mh1;
    eddy_handle_t *s0 = echo_service (w, 0, &mh0);
    eddy_handle_t *s1 = echo_service (w, 1, &mh1);
    eddy_handle_t *c = eddy_broker_handle_create (w->b[3], "client"); /* child of 1 */
    int rank;

    /* let the registrations land before asking */
    world_run_for (w, 0.01);
    eddy_future_t *f = eddy_rpc (c, "echo.a", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "rank", &rank), 0);
    assert_int_equal (rank, 1);
    eddy_future_destroy (f);

    /* from rank 1 itself, UPSTREAM skips rank 1's echo */
    eddy_handle_t *c1 = eddy_broker_handle_create (w->b[1], "client");
    f = eddy_rpc (c1, "echo.b", NULL, EDDY_NODEID_UPSTREAM, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "rank", &rank), 0);
    assert_int_equal (rank, 0);
    eddy_future_destroy (f);

    eddy_handle_destroy (c1);
    eddy_handle_destroy (c);
    eddy_msg_handler_destroy (mh1);
    eddy_msg_handler_destroy (mh0);
    eddy_handle_destroy (s1);
    eddy_handle_destroy (s0);
}

static void request_to_a_rank_crosses_the_tree_and_back (void **state)
{
    struct world *w = *state;
    /* every pair of (from, to): hops = path length in the tree */
    for (uint32_t from = 0; from < SIZE; from++) {
        eddy_handle_t *h = eddy_broker_handle_create (w->b[from], "client");
        for (uint32_t to = 0; to < SIZE; to++) {
            int rank = -1, hops = -1;
            eddy_future_t *f = eddy_rpc (h, "broker.ping", NULL, to, 0);
            assert_int_equal (world_wait (w, f, 10.0), 0);
            assert_int_equal (eddy_rpc_get_unpack (f, "{s:i s:i}", "rank", &rank, "hops", &hops), 0);
            assert_int_equal (rank, to);
            /* distance through the lowest common ancestor */
            uint32_t a = from, b = to;
            int d = 0;
            while (a != b) {
                if (a > b)
                    a = eddy_topo_parent (a, SIZE, FANOUT);
                else
                    b = eddy_topo_parent (b, SIZE, FANOUT);
                d++;
            }
            assert_int_equal (hops, d);
            eddy_future_destroy (f);
        }
        eddy_handle_destroy (h);
    }
}

static void errors_come_back_with_text (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[4], "client");

    eddy_future_t *f = eddy_rpc (h, "nosuch.thing", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOSYS);
    assert_non_null (strstr (eddy_future_error_string (f), "nosuch.thing"));
    eddy_future_destroy (f);

    f = eddy_rpc (h, "broker.ping", NULL, SIZE + 5, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_future_destroy (f);

    f = eddy_rpc (h, "attr.get", NULL, 6, 0); /* no payload */
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EPROTO);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

static void streaming_responses_end_with_enodata (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    json_t *o;
    int n = 0;

    eddy_future_t *f = eddy_rpc (h, "log.dmesg", NULL, 5, EDDY_RPC_STREAMING);
    for (;;) {
        assert_int_equal (world_wait (w, f, 10.0), 0);
        if (eddy_rpc_get (f, &o) < 0)
            break;
        int rank;
        assert_int_equal (json_unpack (o, "{s:i}", "rank", &rank), 0);
        assert_int_equal (rank, 5);
        n++;
        eddy_future_reset (f);
    }
    assert_int_equal (errno, ENODATA);
    assert_true (n > 0); /* at least its state transitions */
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

struct evlog {
    int n;
    uint32_t seqs[256];
    int xs[256];
};

static void ev_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct evlog *log = arg;
    int x = -1;
    json_unpack (eddy_msg_payload (msg), "{s:i}", "x", &x);
    if (log->n < 256) {
        log->seqs[log->n] = eddy_msg_seq (msg);
        log->xs[log->n] = x;
        log->n++;
    }
}

static bool got_all (void *arg)
{
    return ((struct evlog *)arg)->n >= 100;
}

static void events_reach_subscribers_in_order_without_gaps (void **state)
{
    struct world *w = *state;
    struct evlog log = { 0 };
    eddy_handle_t *sub = eddy_broker_handle_create (w->b[7], "sub");
    eddy_handle_t *pub = eddy_broker_handle_create (w->b[6], "pub");
    eddy_msg_handler_t *mh = eddy_msg_handler_create (sub, EDDY_MSGTYPE_EVENT, "test.*", ev_cb, &log);
    assert_int_equal (eddy_event_subscribe (sub, "test."), 0);
    world_run_for (w, 0.01);
    uint32_t base = eddy_broker_event_seq (w->b[7]);

    for (int i = 0; i < 100; i++) {
        json_t *o = json_pack ("{s:i}", "x", i);
        assert_int_equal (eddy_event_publish (pub, i % 2 ? "test.odd" : "test.even", o), 0);
        json_decref (o);
    }
    /* an event outside the prefix is not delivered */
    assert_int_equal (eddy_event_publish (pub, "other.topic", NULL), 0);
    assert_int_equal (world_wait_pred (w, got_all, &log, 10.0), 0);
    world_run_for (w, 0.01);
    assert_int_equal (log.n, 100);
    for (int i = 0; i < 100; i++) {
        assert_int_equal (log.seqs[i], base + 1 + i);
        assert_int_equal (log.xs[i], i);
    }
    /* every rank saw every event, including the last one */
    for (uint32_t r = 0; r < SIZE; r++)
        assert_int_equal (eddy_broker_event_seq (w->b[r]), base + 101);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (pub);
    eddy_handle_destroy (sub);
}


/* A "hold" service: keeps every request unanswered (a streaming one gets
 * one response first), as a rank does whose answer is still to come.
 */
struct hold {
    int n;
    const eddy_msg_t *held[8];
};

static void hold_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct hold *hd = arg;
    if (eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)
        eddy_respond_pack (h, msg, "{s:i}", "first", 1);
    if (hd->n < 8)
        hd->held[hd->n++] = eddy_msg_incref (msg);
}

static eddy_handle_t *hold_service (struct world *w, uint32_t rank, struct hold *hd,
                                    eddy_msg_handler_t **mh)
{
    eddy_handle_t *h = eddy_broker_handle_create (w->b[rank], "hold");
    assert_non_null (h);
    *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_REQUEST, "hold.*", hold_cb, hd);
    assert_non_null (*mh);
    assert_int_equal (eddy_service_register (h, "hold"), 0);
    return h;
}

static void hold_release (struct hold *hd, eddy_msg_handler_t *mh, eddy_handle_t *h)
{
    for (int i = 0; i < hd->n; i++)
        eddy_msg_decref (hd->held[i]);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (h);
}

static bool held_two (void *arg)
{
    return ((struct hold *)arg)->n >= 2;
}

/* f fails with EHOSTUNREACH, saying which rank was gone. */
static void fails_unreachable (struct world *w, eddy_future_t *f, const char *text)
{
    assert_int_equal (world_wait (w, f, 20.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    assert_non_null (strstr (eddy_future_error_string (f), text));
}

static size_t tracked_everywhere (struct world *w)
{
    size_t n = 0;
    for (uint32_t r = 0; r < SIZE; r++)
        n += broker_track_count (w->b[r]);
    return n;
}

/* A request out to a rank that is disconnected (by request) before it
 * answers is answered EHOSTUNREACH by the broker that lost it; so is a
 * stream after its first response.
 */
static void a_request_out_to_a_disconnected_rank_fails (void **state)
{
    struct world *w = *state;
    struct hold hd = {0};
    eddy_msg_handler_t *mh;
    eddy_handle_t *svc = hold_service (w, 7, &hd, &mh);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "client");
    json_t *o;

    eddy_future_t *f = eddy_rpc (h, "hold.one", NULL, 7, 0);
    eddy_future_t *s = eddy_rpc (h, "hold.stream", NULL, 7, EDDY_RPC_STREAMING);
    assert_int_equal (world_wait_pred (w, held_two, &hd, 10.0), 0);
    assert_int_equal (world_wait (w, s, 10.0), 0);
    assert_int_equal (eddy_rpc_get (s, &o), 0); /* its first response */
    eddy_future_reset (s);
    assert_true (tracked_everywhere (w) >= 2);

    eddy_future_t *d = eddy_rpc_pack (h, "overlay.disconnect", 3, 0, "{s:i}", "rank", 7);
    assert_int_equal (world_wait (w, d, 10.0), 0);
    assert_int_equal (eddy_rpc_get (d, NULL), 0);
    fails_unreachable (w, f, "rank 7 was lost");
    fails_unreachable (w, s, "rank 7 was lost");
    assert_int_equal (tracked_everywhere (w), 0);
    eddy_future_destroy (d);
    eddy_future_destroy (f);
    eddy_future_destroy (s);
    eddy_handle_destroy (h);
    hold_release (&hd, mh, svc);
}

/* A broker that vanishes with requests through it: its parent answers
 * those going down, its child those going up.
 */
static void requests_through_a_vanished_rank_fail_both_ways (void **state)
{
    struct world *w = *state;
    struct hold down = {0}, up = {0};
    eddy_msg_handler_t *mh_down, *mh_up;
    eddy_handle_t *svc_down = hold_service (w, 7, &down, &mh_down);
    eddy_handle_t *h0 = eddy_broker_handle_create (w->b[0], "client");
    eddy_handle_t *h7 = eddy_broker_handle_create (w->b[7], "client");

    eddy_future_t *f1 = eddy_rpc (h0, "hold.a", NULL, 7, 0);
    eddy_future_t *f2 = eddy_rpc (h0, "hold.b", NULL, 7, 0);
    assert_int_equal (world_wait_pred (w, held_two, &down, 10.0), 0);
    eddy_handle_t *svc_up = hold_service (w, 0, &up, &mh_up);
    eddy_future_t *g1 = eddy_rpc (h7, "hold.c", NULL, 0, 0);
    eddy_future_t *g2 = eddy_rpc (h7, "hold.d", NULL, 0, 0);
    assert_int_equal (world_wait_pred (w, held_two, &up, 10.0), 0);

    assert_int_equal (w->kill (w, 3), 0);
    fails_unreachable (w, f1, "rank 3 was lost");
    fails_unreachable (w, f2, "rank 3 was lost");
    fails_unreachable (w, g1, "rank 3 (the parent) was lost");
    fails_unreachable (w, g2, "rank 3 (the parent) was lost");
    assert_int_equal (broker_track_count (w->b[0]) + broker_track_count (w->b[7]), 0);
    /* rank 1 still waits for rank 0's answers to the two going up; they
     * come (with nowhere to go past rank 1) and it forgets them */
    assert_int_equal (broker_track_count (w->b[1]), 2);
    for (int i = 0; i < up.n; i++)
        assert_int_equal (eddy_respond_error (svc_up, up.held[i], ENOENT, "late"), 0);
    world_run_for (w, 0.5);
    assert_int_equal (broker_track_count (w->b[1]), 0);
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
    eddy_future_destroy (g1);
    eddy_future_destroy (g2);
    eddy_handle_destroy (h0);
    eddy_handle_destroy (h7);
    hold_release (&down, mh_down, svc_down);
    hold_release (&up, mh_up, svc_up);
}

/* Answered requests, streams that ended and requests that want no answer
 * leave nothing remembered on any broker.
 */
static void answered_requests_leave_nothing_tracked (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[SIZE - 1], "client");
    json_t *o;

    for (uint32_t to = 0; to < SIZE; to++) {
        eddy_future_t *f = eddy_rpc (h, "broker.ping", NULL, to, 0);
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get (f, NULL), 0);
        eddy_future_destroy (f);
        f = eddy_rpc (h, "broker.nosuch", NULL, to, 0); /* answered with an error */
        assert_int_equal (world_wait (w, f, 10.0), 0);
        assert_int_equal (eddy_rpc_get (f, NULL), -1);
        eddy_future_destroy (f);
    }
    eddy_future_t *s = eddy_rpc (h, "log.dmesg", NULL, 5, EDDY_RPC_STREAMING);
    for (;;) {
        assert_int_equal (world_wait (w, s, 10.0), 0);
        if (eddy_rpc_get (s, &o) < 0)
            break;
        eddy_future_reset (s);
    }
    assert_int_equal (errno, ENODATA);
    eddy_future_destroy (s);
    errno = 0;
    assert_null (eddy_rpc (h, "broker.ping", NULL, 0, EDDY_RPC_NORESPONSE));
    assert_int_equal (errno, 0);
    world_run_for (w, 0.5);
    assert_int_equal (tracked_everywhere (w), 0);
    eddy_handle_destroy (h);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (request_any_goes_up_to_the_service, setup, teardown),
    cmocka_unit_test_setup_teardown (nearest_service_wins_and_upstream_skips_it, setup, teardown),
    cmocka_unit_test_setup_teardown (request_to_a_rank_crosses_the_tree_and_back, setup, teardown),
    cmocka_unit_test_setup_teardown (errors_come_back_with_text, setup, teardown),
    cmocka_unit_test_setup_teardown (streaming_responses_end_with_enodata, setup, teardown),
    cmocka_unit_test_setup_teardown (events_reach_subscribers_in_order_without_gaps, setup, teardown),
    cmocka_unit_test_setup_teardown (a_request_out_to_a_disconnected_rank_fails, setup, teardown),
    cmocka_unit_test_setup_teardown (requests_through_a_vanished_rank_fail_both_ways, setup, teardown),
    cmocka_unit_test_setup_teardown (answered_requests_leave_nothing_tracked, setup, teardown),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "routing-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
