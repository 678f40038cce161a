/* state.c - the broker state machine:
 *   join -> init -> quorum -> run -> cleanup -> shutdown -> exit
 * Each transition is logged with the time spent in the state it leaves.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker_impl.h"
#include "engine/broker/quorum.h"
#include "engine/util/idset.h"

static const char *const state_names[] = {
    "none", "join", "init", "quorum", "run", "cleanup", "shutdown", "exit",
};

const char *eddy_broker_state_name (eddy_broker_state_t s)
{
    return s <= EDDY_STATE_EXIT ? state_names[s] : "unknown";
}

static int state_parse (const char *s)
{
    for (int i = 0; i <= EDDY_STATE_EXIT; i++)
        if (!strcmp (state_names[i], s))
            return i;
    return -1;
}

/* A wait for run (or an earlier state) that the broker skipped on its
 * way to shutdown, e.g. because a module failed to load: an error, not
 * an answer that says the broker got there.
 */
static bool never_reached (eddy_broker_t *b, int state)
{
    return b->state >= EDDY_STATE_CLEANUP && state <= EDDY_STATE_RUN && state > EDDY_STATE_INIT
           && !b->reached_run;
}

static void respond_waiters (eddy_broker_t *b)
{
    int k = 0;
    for (int i = 0; i < b->nwaiters; i++) {
        struct waiter *w = &b->waiters[i];
        if (never_reached (b, w->state)) {
            broker_respond_error (b, w->req, ECONNRESET, "the broker is shutting down (%s) without "
                                  "having reached %s", eddy_broker_state_name (b->state),
                                  eddy_broker_state_name (w->state));
            eddy_msg_decref (w->req);
        }
        else if ((int)b->state >= w->state) {
            json_t *o = json_pack ("{s:s}", "state", eddy_broker_state_name (b->state));
            broker_respond (b, w->req, o);
            json_decref (o);
            eddy_msg_decref (w->req);
        }
        else
            b->waiters[k++] = *w;
    }
    b->nwaiters = k;
}

static void load_initial_modules (eddy_broker_t *b)
{
    for (int i = 0; i < b->ninitial; i++) {
        eddy_error_t err;
        if (broker_module_load (b, b->initial[i].name, b->initial[i].args, &err) < 0) {
            eddy_broker_log (b, LOG_ERR, "broker", "%s", err.text);
            b->exit_code = 1;
        }
    }
}

static void shutdown_timeout_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_broker_t *b = arg;
    uint32_t n = overlay_connected_children (b);
    eddy_broker_log (b, LOG_ERR, "broker", "shutdown: %u children did not leave in time", n);
    for (uint32_t i = 0; i < b->nchildren; i++)
        if (b->children[i].connected)
            overlay_child_gone (b, b->children[i].rank, EDDY_SUBTREE_LOST, "shutdown timeout");
    state_check_shutdown (b);
}

/* "OLD -> NEW (S.sssS)", as "%s -> %s (%.3fs)" would write it, without
 * printf: every broker logs each of its transitions, and on a million
 * virtual ranks formatting the seconds was a tenth of the boot.
 */
size_t broker_put_seconds3 (char *p, double s)
{
    if (!(s >= 0 && s < 1e6))
        return 0;
    double x = s * 1000.0, f = x - floor (x);
    if (fabs (f - 0.5) < 1e-5)
        return 0; /* near a tie, where x's rounding may differ from printf's */
    unsigned ms = (unsigned)(x + 0.5);
    size_t n = eddy_idset_put_id (p, ms / 1000);
    p[n++] = '.';
    p[n++] = (char)('0' + ms / 100 % 10);
    p[n++] = (char)('0' + ms / 10 % 10);
    p[n++] = (char)('0' + ms % 10);
    return n;
}

static void log_transition (eddy_broker_t *b, eddy_broker_state_t old, eddy_broker_state_t state, double s)
{
    char text[128];
    const char *from = eddy_broker_state_name (old), *to = eddy_broker_state_name (state);
    size_t lf = strlen (from), lt = strlen (to), n = 0, k;

    if (lf + lt + 32 <= sizeof (text)) {
        memcpy (text, from, lf);
        n += lf;
        memcpy (text + n, " -> ", 4);
        n += 4;
        memcpy (text + n, to, lt);
        n += lt;
        text[n++] = ' ';
        text[n++] = '(';
        if ((k = broker_put_seconds3 (text + n, s)) > 0) {
            n += k;
            text[n++] = 's';
            text[n++] = ')';
            text[n] = '\0';
            broker_log_text (b, LOG_INFO, "broker", text);
            return;
        }
    }
    eddy_broker_log (b, LOG_INFO, "broker", "%s -> %s (%.3fs)", from, to, s);
}

void state_enter (eddy_broker_t *b, eddy_broker_state_t state)
{
    double now = eddy_reactor_now (b->r);
    eddy_broker_state_t old = b->state;

    if (state == old)
        return;
    if (old != EDDY_STATE_NONE)
        log_transition (b, old, state, now - b->state_since);
    b->state = state;
    b->state_since = now;
    if (state == EDDY_STATE_RUN)
        b->reached_run = true;
    if (state == EDDY_STATE_QUORUM)
        overlay_state_changed (b); /* this broker is online now */
    if (state == EDDY_STATE_RUN && b->rank == 0)
        overlay_state_changed (b); /* rank 0 publishes the set from now on */
    respond_waiters (b);
    if (b->state_cb)
        b->state_cb (b, state, b->state_arg);
    if (b->state != state)
        return; /* the callback moved us on */

    switch (state) {
    case EDDY_STATE_JOIN:
        if (b->parent == EDDY_RANK_NONE)
            state_enter (b, EDDY_STATE_INIT);
        else
            overlay_send_hello (b);
        break;
    case EDDY_STATE_INIT:
        load_initial_modules (b);
        if (b->exit_code != 0)
            eddy_broker_shutdown (b, b->exit_code);
        else
            state_enter (b, EDDY_STATE_QUORUM);
        break;
    case EDDY_STATE_QUORUM:
        if (b->rank == 0)
            state_check_quorum (b);
        else
            state_enter (b, EDDY_STATE_RUN);
        break;
    case EDDY_STATE_CLEANUP:
        broker_modules_unload_all (b);
        state_enter (b, EDDY_STATE_SHUTDOWN);
        break;
    case EDDY_STATE_SHUTDOWN: {
        json_t *o;
        for (uint32_t i = 0; i < b->nchildren; i++) {
            if (b->children[i].connected) {
                o = json_pack ("{s:i}", "exit_code", b->exit_code);
                broker_control_to_child (b, b->children[i].rank, "overlay.shutdown", o);
            }
        }
        double t = overlay_attr_double (b, "tbon.shutdown_timeout", 10.0);
        if (overlay_connected_children (b) > 0
            && (b->shutdown_w = eddy_timer_create (b->r, t, 0, shutdown_timeout_cb, b)))
            eddy_watcher_start (b->shutdown_w);
        state_check_shutdown (b);
        break;
    }
    case EDDY_STATE_EXIT:
        eddy_watcher_stop (b->keepalive_w);
        eddy_watcher_stop (b->health_w);
        eddy_watcher_stop (b->hello_w);
        eddy_watcher_stop (b->shutdown_w);
        break;
    default:
        break;
    }
}

void state_check_quorum (eddy_broker_t *b)
{
    if (b->state != EDDY_STATE_QUORUM || b->rank != 0)
        return;
    if (!b->quorum) {
        const char *text = attr_get (b, "broker.quorum");
        eddy_error_t err;
        char all[16];
        if (text && !(b->quorum = eddy_quorum_parse (text, b->size, &err)))
            eddy_broker_log (b, LOG_ERR, "broker", "%s: waiting for every rank", err.text);
        snprintf (all, sizeof (all), "%u", b->size);
        if (!b->quorum && !(b->quorum = eddy_quorum_parse (all, b->size, &err)))
            return;
    }
    eddy_idset_t *online = overlay_online_set (b);
    bool met = eddy_quorum_met (b->quorum, online);
    eddy_idset_destroy (online);
    if (met)
        state_enter (b, EDDY_STATE_RUN);
}

void state_check_shutdown (eddy_broker_t *b)
{
    if (b->state != EDDY_STATE_SHUTDOWN || overlay_connected_children (b) > 0)
        return;
    if (b->parent != EDDY_RANK_NONE && b->joined)
        broker_control_to_parent (b, "overlay.goodbye", NULL);
    state_enter (b, EDDY_STATE_EXIT);
}

void state_wait_request (eddy_broker_t *b, const eddy_msg_t *req)
{
    const char *name;
    int s;
    json_t *o = eddy_msg_payload (req);

    if (!o || json_unpack (o, "{s:s}", "state", &name) < 0 || (s = state_parse (name)) < 0) {
        broker_respond_error (b, req, EPROTO, "broker.state-wait: expected {state: NAME}");
        return;
    }
    if (never_reached (b, s)) {
        broker_respond_error (b, req, ECONNRESET, "the broker is shutting down (%s) without "
                              "having reached %s", eddy_broker_state_name (b->state),
                              eddy_broker_state_name (s));
        return;
    }
    if ((int)b->state >= s) {
        json_t *r = json_pack ("{s:s}", "state", eddy_broker_state_name (b->state));
        broker_respond (b, req, r);
        json_decref (r);
        return;
    }
    struct waiter *p = realloc (b->waiters, (b->nwaiters + 1) * sizeof (*p));
    if (!p) {
        broker_respond_error (b, req, ENOMEM, NULL);
        return;
    }
    b->waiters = p;
    p[b->nwaiters].req = eddy_msg_incref (req);
    p[b->nwaiters].state = s;
    b->nwaiters++;
}

int eddy_broker_start (eddy_broker_t *b)
{
    if (b->state != EDDY_STATE_NONE) {
        errno = EINVAL;
        return -1;
    }
    b->state_since = eddy_reactor_now (b->r);
    state_enter (b, EDDY_STATE_JOIN);
    return 0;
}

void eddy_broker_shutdown (eddy_broker_t *b, int exit_code)
{
    if (b->state >= EDDY_STATE_CLEANUP)
        return;
    b->exit_code = exit_code;
    if (b->state == EDDY_STATE_NONE) {
        b->state = EDDY_STATE_EXIT;
        return;
    }
    state_enter (b, EDDY_STATE_CLEANUP);
}
