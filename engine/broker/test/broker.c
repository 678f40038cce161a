/* Broker services and overlay health, run in both worlds: attributes,
 * the module host, overlay status after a rank dies or goes silent, the
 * state machine's log, quorum only once every rank is up, and an orderly
 * shutdown.
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
#include <unistd.h>

#include "engine/broker/broker_impl.h"
#include "engine/future.h"
#include "test/support/world.h"

#define SIZE 8

static const struct world_ops *current;

static int setup (void **state)
{
    struct world *w = current->create (SIZE, 2);
    if (!w)
        return -1;
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_period", "0.1");
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_timeout", "0.5");
    }
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

static json_t *rpc (struct world *w, eddy_handle_t *h, const char *topic, json_t *req,
                    uint32_t rank, eddy_future_t **fp)
{
    json_t *o = NULL;
    eddy_future_t *f = eddy_rpc (h, topic, req, rank, 0);
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    *fp = f;
    if (eddy_rpc_get (f, &o) < 0)
        return NULL;
    return o ? o : json_null (); /* success without a payload */
}

static void attributes_get_set_and_refuse (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_future_t *f;
    const char *v;

    json_t *req = json_pack ("{s:s}", "name", "tbon.level");
    json_t *o = rpc (w, h, "attr.get", req, 7, &f);
    assert_non_null (o);
    assert_int_equal (json_unpack (o, "{s:s}", "value", &v), 0);
    assert_string_equal (v, "3");
    eddy_future_destroy (f);
    json_decref (req);

    req = json_pack ("{s:s s:s}", "name", "color", "value", "blue");
    assert_non_null (rpc (w, h, "attr.set", req, 5, &f));
    eddy_future_destroy (f);
    json_decref (req);
    assert_string_equal (eddy_broker_attr_get (w->b[5], "color"), "blue");
    assert_null (eddy_broker_attr_get (w->b[4], "color"));

    req = json_pack ("{s:s s:s}", "name", "rank", "value", "9");
    assert_null (rpc (w, h, "attr.set", req, 2, &f));
    assert_int_equal (errno, EPERM);
    eddy_future_destroy (f);
    json_decref (req);
    assert_string_equal (eddy_broker_attr_get (w->b[2], "rank"), "2");
    assert_string_equal (eddy_broker_attr_get (w->b[2], "tbon.parent"), "0");
    assert_string_equal (eddy_broker_attr_get (w->b[0], "tbon.parent"), "-1");
    assert_string_equal (eddy_broker_attr_get (w->b[6], "broker.state"), "run");
    eddy_handle_destroy (h);
}

static void who_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    eddy_respond_pack (h, msg, "{s:I s:b}", "userid", (json_int_t)eddy_msg_userid (msg), "owner",
                       (eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) != 0);
}

/* A driver's handle made as a user speaks as that guest: a service sees
 * its userid without the owner role, and owner-only services refuse it. */
static void guest_driver_handle_speaks_as_its_user (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_future_t *f;
    json_int_t uid;
    int owner;

    errno = 0;
    assert_null (eddy_broker_handle_create_as (w->b[0], "g", (uint32_t)getuid ()));
    assert_int_equal (errno, EINVAL);
    eddy_handle_t *g = eddy_broker_handle_create_as (w->b[0], "g", 4242);
    assert_non_null (g);
    assert_int_equal (eddy_service_register (h, "who"), 0);
    eddy_msg_handler_t *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_REQUEST, "who.ami", who_cb,
                                                      NULL);
    eddy_msg_handler_set_rolemask (mh, EDDY_ROLE_ALL);
    json_t *o = rpc (w, g, "who.ami", NULL, 0, &f);
    assert_non_null (o);
    assert_int_equal (json_unpack (o, "{s:I s:b}", "userid", &uid, "owner", &owner), 0);
    assert_int_equal (uid, 4242);
    assert_false (owner);
    eddy_future_destroy (f);
    o = rpc (w, h, "who.ami", NULL, 0, &f);
    assert_int_equal (json_unpack (o, "{s:I s:b}", "userid", &uid, "owner", &owner), 0);
    assert_true (owner);
    eddy_future_destroy (f);
    json_t *req = json_pack ("{s:s s:s}", "name", "color", "value", "red");
    assert_null (rpc (w, g, "attr.set", req, 0, &f));
    assert_int_equal (errno, EPERM);
    eddy_future_destroy (f);
    json_decref (req);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (g);
    eddy_handle_destroy (h);
}

static int pulses;

static void pulse_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    pulses++;
}

static bool three_pulses (void *arg)
{
    return pulses >= 3;
}

static void modules_load_list_and_remove (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[3], "t");
    eddy_future_t *f;
    json_t *mods;

    pulses = 0;
    eddy_msg_handler_t *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_EVENT, "heartbeat.*", pulse_cb, NULL);
    eddy_event_subscribe (h, "heartbeat.");

    json_t *req = json_pack ("{s:s s:{s:f}}", "name", "heartbeat", "args", "period", 0.05);
    assert_non_null (rpc (w, h, "module.load", req, 0, &f));
    eddy_future_destroy (f);
    /* loading it twice is refused */
    assert_null (rpc (w, h, "module.load", req, 0, &f));
    assert_int_equal (errno, EEXIST);
    eddy_future_destroy (f);
    json_decref (req);

    json_t *o = rpc (w, h, "module.list", NULL, 0, &f);
    assert_int_equal (json_unpack (o, "{s:o}", "modules", &mods), 0);
    assert_int_equal (json_array_size (mods), 1);
    eddy_future_destroy (f);

    /* rank 0's heartbeat reaches a subscriber on rank 3 */
    assert_int_equal (world_wait_pred (w, three_pulses, NULL, 10.0), 0);

    req = json_pack ("{s:s}", "name", "heartbeat");
    assert_non_null (rpc (w, h, "module.remove", req, 0, &f));
    eddy_future_destroy (f);
    assert_null (rpc (w, h, "module.remove", req, 0, &f));
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    json_decref (req);

    req = json_pack ("{s:s}", "name", "nosuch");
    assert_null (rpc (w, h, "module.load", req, 0, &f));
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
    json_decref (req);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (h);
}

/* status of `rank` in an overlay.status tree */
static const char *find_status (json_t *node, int rank)
{
    int r;
    const char *s;
    json_t *kids;
    if (json_unpack (node, "{s:i s:s s:o}", "rank", &r, "status", &s, "children", &kids) < 0)
        return NULL;
    if (r == rank)
        return s;
    size_t i;
    json_t *k;
    json_array_foreach (kids, i, k) {
        const char *x = find_status (k, rank);
        if (x)
            return x;
    }
    return NULL;
}

static json_t *overlay_status (struct world *w, eddy_handle_t *h, eddy_future_t **f)
{
    json_t *o = rpc (w, h, "overlay.status", NULL, 0, f);
    assert_non_null (o);
    return o;
}

static void overlay_is_full_then_lost_and_degraded (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_future_t *f;

    json_t *o = overlay_status (w, h, &f);
    for (int r = 0; r < SIZE; r++)
        assert_string_equal (find_status (o, r), "full");
    eddy_future_destroy (f);

    assert_int_equal (w->kill (w, 5), 0);
    world_run_for (w, 1.5); /* longer than the keepalive timeout */
    o = overlay_status (w, h, &f);
    assert_string_equal (find_status (o, 5), "lost");
    assert_string_equal (find_status (o, 2), "degraded");
    assert_string_equal (find_status (o, 0), "degraded");
    assert_string_equal (find_status (o, 1), "full");
    assert_string_equal (find_status (o, 6), "full");
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

/* overlay.online: rank 0 publishes the set of online ranks when it
 * changes, and answers it on request; another rank answers for its
 * subtree.
 */
struct online_seen {
    char last[64];
    int events;
    json_int_t epoch; /* the last event's; -1 if it had none */
};

static void online_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct online_seen *seen = arg;
    const char *s;
    json_int_t epoch = -1;
    if (json_unpack (eddy_msg_payload (msg), "{s:s s?I}", "online", &s, "epoch", &epoch) == 0) {
        snprintf (seen->last, sizeof (seen->last), "%s", s);
        seen->events++;
        seen->epoch = epoch;
    }
}

static bool online_is (void *arg)
{
    struct online_seen *seen = arg;
    return !strcmp (seen->last, "0-4,6-7");
}

static const char *online_of (struct world *w, eddy_handle_t *h, uint32_t rank, eddy_future_t **f)
{
    const char *s = NULL;
    json_t *o = rpc (w, h, "overlay.online", NULL, rank, f);
    assert_non_null (o);
    assert_int_equal (json_unpack (o, "{s:s}", "online", &s), 0);
    return s;
}

static void online_set_follows_losses (void **state)
{
    struct world *w = *state;
    struct online_seen seen = { "", 0, -1 };
    eddy_handle_t *h = eddy_broker_handle_create (w->b[3], "t");
    eddy_future_t *f;
    json_int_t epoch = -1;
    eddy_msg_handler_t *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_EVENT, "overlay.online",
                                                      online_cb, &seen);
    assert_non_null (mh);
    assert_int_equal (eddy_event_subscribe (h, "overlay.online"), 0);

    assert_string_equal (online_of (w, h, 0, &f), "0-7");
    /* rank 0 speaks for the instance with its epoch; rank 2 has none */
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I}", "epoch", &epoch), 0);
    assert_true (epoch > 0);
    eddy_future_destroy (f);
    assert_string_equal (online_of (w, h, 2, &f), "2,5-6");
    assert_int_not_equal (eddy_rpc_get_unpack (f, "{s:I}", "epoch", &epoch), 0);
    eddy_future_destroy (f);

    assert_int_equal (w->kill (w, 5), 0);
    assert_int_equal (world_wait_pred (w, online_is, &seen, 10.0), 0);
    assert_true (seen.events >= 1);
    assert_string_equal (online_of (w, h, 0, &f), "0-4,6-7");
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I}", "epoch", &epoch), 0);
    assert_true (seen.epoch == epoch); /* the event's is rank 0's */
    eddy_future_destroy (f);
    assert_string_equal (online_of (w, h, 2, &f), "2,6");
    eddy_future_destroy (f);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (h);
}

/* tbon.keepalive_period 0 turns keepalives and the health check off (a
 * replay models no node failures): nobody is declared lost for silence,
 * however short tbon.keepalive_timeout is, yet a rank whose link reports
 * it gone is still lost.
 */
static void keepalives_can_be_turned_off (void **state)
{
    struct world *w = current->create (SIZE, 2);
    assert_non_null (w);
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_period", "0");
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_timeout", "0.01");
    }
    assert_int_equal (world_boot (w, 30.0), 0);
    world_run_for (w, 1.5);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_future_t *f;
    json_t *o = overlay_status (w, h, &f);
    for (int r = 0; r < SIZE; r++) {
        const char *st = find_status (o, r);
        if (!st || strcmp (st, "full") != 0)
            fail_msg ("rank %d is %s, not full", r, st ? st : "missing");
    }
    eddy_future_destroy (f);

    assert_int_equal (w->kill (w, 5), 0);
    world_run_for (w, 1.0);
    o = overlay_status (w, h, &f);
    assert_non_null (find_status (o, 5));
    assert_string_equal (find_status (o, 5), "lost");
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
    world_destroy (w);
}

/* Torpid: a rank whose keepalives come later than tbon.torpid_max is
 * torpid (overlay.online names it in "torpid") while it stays online,
 * and is no longer torpid once it speaks again; only past
 * tbon.keepalive_timeout is it lost.  Rank 5 here keeps alive every 2s.
 */
struct torpid_seen {
    char online[64];
    char torpid[64];
    int torpid_events; /* events naming rank 5 torpid */
    int cleared;       /* events after those with no torpid rank */
};

static void torpid_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct torpid_seen *seen = arg;
    const char *on, *t = "?";
    if (json_unpack (eddy_msg_payload (msg), "{s:s s?s}", "online", &on, "torpid", &t) < 0)
        return;
    snprintf (seen->online, sizeof (seen->online), "%s", on);
    snprintf (seen->torpid, sizeof (seen->torpid), "%s", t);
    if (!strcmp (t, "5"))
        seen->torpid_events++;
    else if (!strcmp (t, "") && seen->torpid_events > 0)
        seen->cleared++;
}

static bool torpid_named (void *arg)
{
    return ((struct torpid_seen *)arg)->torpid_events > 0;
}

static bool torpid_cleared (void *arg)
{
    return ((struct torpid_seen *)arg)->cleared > 0;
}

static void torpid_rank_is_named_then_back (void **state)
{
    struct world *w = current->create (SIZE, 2);
    struct torpid_seen seen = { "", "", 0, 0 };
    eddy_future_t *f;
    const char *t = NULL;

    assert_non_null (w);
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_period", i == 5 ? "2" : "0.1");
        eddy_broker_attr_set (w->b[i], "tbon.keepalive_timeout", "5");
        eddy_broker_attr_set (w->b[i], "tbon.torpid_max", "0.5");
    }
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_msg_handler_t *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_EVENT, "overlay.online",
                                                      torpid_cb, &seen);
    assert_non_null (mh);
    assert_int_equal (eddy_event_subscribe (h, "overlay.online"), 0);

    assert_int_equal (world_wait_pred (w, torpid_named, &seen, 10.0), 0);
    assert_string_equal (seen.online, "0-7"); /* torpid, not lost */
    json_t *o = rpc (w, h, "overlay.online", NULL, 2, &f); /* its parent says so too */
    assert_non_null (o);
    assert_int_equal (json_unpack (o, "{s:s}", "torpid", &t), 0);
    assert_true (!strcmp (t, "5") || !strcmp (t, "")); /* "" if it spoke just now */
    eddy_future_destroy (f);
    /* its next keepalive (2s apart) brings it back */
    assert_int_equal (world_wait_pred (w, torpid_cleared, &seen, 10.0), 0);
    assert_string_equal (seen.online, "0-7");
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (h);
    world_destroy (w);
}

static bool all_exit (void *arg)
{
    struct world *w = arg;
    return world_count_state (w, EDDY_STATE_EXIT) == w->size;
}

static void shutdown_reaches_every_rank (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[4], "t");
    eddy_future_t *f;

    /* a shutdown requested anywhere is carried out from rank 0 */
    json_t *req = json_pack ("{s:i}", "exit_code", 3);
    assert_non_null (rpc (w, h, "broker.shutdown", req, EDDY_NODEID_ANY, &f));
    eddy_future_destroy (f);
    json_decref (req);
    eddy_handle_destroy (h);
    assert_int_equal (world_wait_pred (w, all_exit, w, 20.0), 0);
    for (int r = 0; r < SIZE; r++)
        assert_int_equal (eddy_broker_exit_code (w->b[r]), 3);
}

static void state_transitions_are_logged_with_durations (void **state)
{
    struct world *w = *state;
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    const char *want[] = { "join -> init", "init -> quorum", "quorum -> run" };
    int found = 0;

    eddy_future_t *f = eddy_rpc (h, "log.dmesg", NULL, 6, EDDY_RPC_STREAMING);
    json_t *o;
    for (;;) {
        assert_int_equal (world_wait (w, f, 10.0), 0);
        if (eddy_rpc_get (f, &o) < 0)
            break;
        const char *msg;
        json_unpack (o, "{s:s}", "message", &msg);
        if (found < 3 && strstr (msg, want[found]) && strstr (msg, "s)"))
            found++;
        eddy_future_reset (f);
    }
    assert_int_equal (found, 3);
    eddy_future_destroy (f);
    eddy_handle_destroy (h);
}

/* When rank's log says `what`, by the shared clock of the one process the
 * world runs in.
 */
static double logged_at (struct world *w, eddy_handle_t *h, uint32_t rank, const char *what)
{
    double t = -1;
    eddy_future_t *f = eddy_rpc (h, "log.dmesg", NULL, rank, EDDY_RPC_STREAMING);
    json_t *o;
    assert_non_null (f);
    for (;;) {
        assert_int_equal (world_wait (w, f, 10.0), 0);
        if (eddy_rpc_get (f, &o) < 0)
            break;
        const char *msg;
        double ts;
        if (json_unpack (o, "{s:s s:f}", "message", &msg, "timestamp", &ts) == 0
            && strstr (msg, what) && t < 0)
            t = ts;
        eddy_future_reset (f);
    }
    eddy_future_destroy (f);
    return t;
}

/* A broker is online once its modules are loaded (init -> quorum), and
 * rank 0 runs the instance only when all are: nothing sent to a rank at
 * the start of RUN finds its services missing.  A flat tree, so that rank
 * 0 hears every hello directly, before any child has its welcome.
 */
static void run_waits_until_every_rank_is_up (void **state)
{
    struct world *w = current->create (SIZE, SIZE);
    assert_non_null (w);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    double run = logged_at (w, h, 0, "quorum -> run");
    assert_true (run >= 0);
    for (uint32_t r = 1; r < SIZE; r++) {
        double up = logged_at (w, h, r, "init -> quorum");
        assert_true (up >= 0);
        if (up > run)
            fail_msg ("rank %u was up at %.6f, after rank 0 ran at %.6f", r, up, run);
    }
    eddy_handle_destroy (h);
    world_destroy (w);
}

/* The state log's seconds are written without printf: the same text as
 * "%.3f" for values small and large, on and near the rounding ties, and
 * random ones; a value it cannot do exactly is left to printf (0).
 */
static void seconds_are_written_as_printf_would (void **state)
{
    (void)state;
    double fixed[] = { 0, 0.0004, 0.0005, 0.00050001, 0.0015, 0.0025, 1.0005, 1.9995, 2.675,
                       0.1234, 9.9999, 59.9996, 123.456, 999999.9994, 0.000150, 1e-9, 3600.25 };
    unsigned seed = 42;
    size_t exact = 0;
    for (int i = 0; i < 200000; i++) {
        double s;
        if (i < (int)(sizeof (fixed) / sizeof (fixed[0])))
            s = fixed[i];
        else if (i % 3 == 0)
            s = (double)(rand_r (&seed) % 100000000) / 1e7; /* 0..10 s, 7 digits */
        else if (i % 3 == 1)
            s = (rand_r (&seed) % 2000000) / 2000.0 + 0.0005; /* on ties */
        else
            s = (double)rand_r (&seed) / RAND_MAX * 1e6;
        char want[64], got[64];
        snprintf (want, sizeof (want), "%.3f", s);
        size_t n = broker_put_seconds3 (got, s);
        if (n == 0)
            continue;
        got[n] = '\0';
        if (strcmp (got, want) != 0)
            fail_msg ("%.17g: %s, printf %s", s, got, want);
        exact++;
    }
    assert_true (exact > 100000);
    char buf[64];
    assert_int_equal (broker_put_seconds3 (buf, -1.0), 0);
    assert_int_equal (broker_put_seconds3 (buf, 1e6), 0);
    assert_int_equal (broker_put_seconds3 (buf, 0.0 / 0.0), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test (seconds_are_written_as_printf_would),
    cmocka_unit_test_setup_teardown (attributes_get_set_and_refuse, setup, teardown),
    cmocka_unit_test_setup_teardown (guest_driver_handle_speaks_as_its_user, setup, teardown),
    cmocka_unit_test_setup_teardown (modules_load_list_and_remove, setup, teardown),
    cmocka_unit_test_setup_teardown (overlay_is_full_then_lost_and_degraded, setup, teardown),
    cmocka_unit_test_setup_teardown (online_set_follows_losses, setup, teardown),
    cmocka_unit_test_setup_teardown (shutdown_reaches_every_rank, setup, teardown),
    cmocka_unit_test_setup_teardown (state_transitions_are_logged_with_durations, setup, teardown),
    cmocka_unit_test (run_waits_until_every_rank_is_up),
    cmocka_unit_test (keepalives_can_be_turned_off),
    cmocka_unit_test (torpid_rank_is_named_then_back),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "broker-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
