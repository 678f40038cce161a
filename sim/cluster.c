/* cluster.c - build and drive a virtual cluster of brokers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "sim/cluster.h"
#include "sim/des.h"
#include "sim/nest.h"

struct eddy_sim_cluster {
    eddy_reactor_t *r;
    eddy_simnet_t *net;
    uint32_t size;
    eddy_broker_t **brokers;
    uint32_t nstate[EDDY_STATE_EXIT + 1];
    uint32_t event_target;
    uint32_t nevent;
    bool own_reactor;
    struct eddy_sim_nest_world *world; /* nesting on our reactor, if we own it */
    eddy_sim_cluster_state_f on_state;
    void *on_state_arg;
    /* what a restarted rank's new broker is given: the parameters, the
     * attributes set on every rank (name -> value, in order) and those set
     * on one ("RANK" -> {name: value}) */
    int fanout;
    const struct eddy_module *const *modules;
    char *uri;
    json_t *attrs;
    json_t *rank_attrs;
    uint32_t restarts;
    void (*freed) (void *arg); /* eddy_sim_cluster_retire () */
    void *freed_arg;
};

static void state_cb (eddy_broker_t *b, eddy_broker_state_t state, void *arg)
{
    eddy_sim_cluster_t *c = arg;
    c->nstate[state]++;
    if (c->on_state)
        c->on_state (c, state, c->nstate[state], c->on_state_arg);
}

static void event_cb (eddy_broker_t *b, const eddy_msg_t *ev, void *arg)
{
    eddy_sim_cluster_t *c = arg;
    if (eddy_msg_seq (ev) == c->event_target)
        c->nevent++;
}

/* Rank's broker, on its port, as the cluster makes every one (not started). */
static eddy_broker_t *new_broker (eddy_sim_cluster_t *c, uint32_t rank, eddy_error_t *err)
{
    eddy_broker_t *b = eddy_broker_create (c->r, rank, c->size, c->fanout, err);
    if (!b)
        return NULL;
    eddy_broker_set_overlay (b, &eddy_simnet_ops, eddy_simnet_port (c->net, rank));
    eddy_simnet_attach (c->net, rank, eddy_broker_overlay_cb (), b);
    eddy_broker_set_module_table (b, c->modules);
    eddy_broker_set_state_cb (b, state_cb, c);
    eddy_broker_set_event_cb (b, event_cb, c);
    eddy_broker_attr_set (b, "hostname", "sim");
    eddy_broker_attr_set (b, "local-uri", c->uri);
    return b;
}

/* The attributes recorded for every rank, then rank's own. */
static int apply_attrs (eddy_sim_cluster_t *c, eddy_broker_t *b, uint32_t rank)
{
    char key[16];
    const char *name;
    json_t *v, *own;

    json_object_foreach (c->attrs, name, v)
        if (eddy_broker_attr_set (b, name, json_string_value (v)) < 0)
            return -1;
    snprintf (key, sizeof (key), "%u", rank);
    if ((own = json_object_get (c->rank_attrs, key)))
        json_object_foreach (own, name, v)
            if (eddy_broker_attr_set (b, name, json_string_value (v)) < 0)
                return -1;
    return 0;
}

eddy_sim_cluster_t *eddy_sim_cluster_create (const struct eddy_sim_cluster_params *p,
                                             eddy_error_t *err)
{
    eddy_sim_cluster_t *c;

    if (!p || p->size == 0 || p->fanout < 0 || !(p->latency >= 0) || !(p->jitter >= 0)) {
        errno = EINVAL;
        eddy_error_set (err, "invalid cluster parameters");
        return NULL;
    }
    if (!(c = calloc (1, sizeof (*c))))
        goto nomem;
    c->size = p->size;
    c->fanout = p->fanout;
    c->modules = p->modules;
    if (!(c->uri = strdup (p->uri ? p->uri : "sim:/")) || !(c->attrs = json_object ())
        || !(c->rank_attrs = json_object ()))
        goto nomem;
    c->on_state = p->on_state;
    c->on_state_arg = p->on_state_arg;
    if (p->reactor)
        c->r = p->reactor;
    else {
        struct eddy_sim_nest_params np = {
            .fanout = p->fanout, .latency = p->latency, .jitter = p->jitter, .seed = p->seed,
            .modules = p->modules, .policy = p->nest_policy ? p->nest_policy : "fcfs",
            .record_jobs = p->nest_record_jobs, .uri = p->uri ? p->uri : "sim:/",
        };
        if (!(c->r = eddy_sim_reactor_create (0.0)))
            goto nomem;
        c->own_reactor = true;
        if (!(c->world = eddy_sim_nest_world_create (c->r, &np)))
            goto nomem;
    }
    if (!(c->net = eddy_simnet_create (c->r, p->size, p->fanout, p->latency, p->jitter, p->seed)))
        goto nomem;
    if (!(c->brokers = calloc (p->size, sizeof (c->brokers[0]))))
        goto nomem;
    for (uint32_t i = 0; i < p->size; i++) {
        eddy_broker_t *b = eddy_broker_create (c->r, i, p->size, p->fanout, err);
        if (!b)
            goto error;
        c->brokers[i] = b;
        eddy_broker_set_overlay (b, &eddy_simnet_ops, eddy_simnet_port (c->net, i));
        eddy_simnet_attach (c->net, i, eddy_broker_overlay_cb (), b);
        eddy_broker_set_module_table (b, p->modules);
        eddy_broker_set_state_cb (b, state_cb, c);
        eddy_broker_set_event_cb (b, event_cb, c);
        eddy_broker_attr_set (b, "hostname", "sim");
        eddy_broker_attr_set (b, "local-uri", p->uri ? p->uri : "sim:/");
    }
    return c;
nomem:
    eddy_error_set (err, "out of memory");
    errno = ENOMEM;
error:
    eddy_sim_cluster_destroy (c);
    return NULL;
}

void eddy_sim_cluster_destroy (eddy_sim_cluster_t *c)
{
    if (!c)
        return;
    int saved_errno = errno;
    if (c->brokers) {
        for (uint32_t i = 0; i < c->size; i++)
            eddy_broker_destroy (c->brokers[i]);
        free (c->brokers);
    }
    /* nested instances still alive go with the world (the reactor ends) */
    eddy_sim_nest_world_destroy (c->world);
    eddy_simnet_destroy (c->net);
    if (c->own_reactor)
        eddy_reactor_destroy (c->r);
    json_decref (c->attrs);
    json_decref (c->rank_attrs);
    free (c->uri);
    free (c);
    errno = saved_errno;
}

static void retired (void *arg)
{
    eddy_sim_cluster_t *c = arg;
    void (*freed) (void *) = c->freed;
    void *freed_arg = c->freed_arg;
    eddy_sim_cluster_destroy (c);
    if (freed)
        freed (freed_arg);
}

void eddy_sim_cluster_retire (eddy_sim_cluster_t *c, void (*freed) (void *arg), void *arg)
{
    for (uint32_t i = 0; i < c->size; i++) {
        eddy_broker_destroy (c->brokers[i]);
        c->brokers[i] = NULL;
    }
    c->freed = freed;
    c->freed_arg = arg;
    eddy_simnet_close (c->net, retired, c);
}

json_t *eddy_sim_cluster_nest_report (eddy_sim_cluster_t *c)
{
    return c->world ? eddy_sim_nest_report (c->world) : NULL;
}

int eddy_sim_cluster_start (eddy_sim_cluster_t *c)
{
    for (uint32_t i = 0; i < c->size; i++)
        if (eddy_broker_start (c->brokers[i]) < 0)
            return -1;
    return 0;
}

eddy_reactor_t *eddy_sim_cluster_reactor (eddy_sim_cluster_t *c)
{
    return c->r;
}

eddy_simnet_t *eddy_sim_cluster_net (eddy_sim_cluster_t *c)
{
    return c->net;
}

eddy_broker_t *eddy_sim_cluster_broker (eddy_sim_cluster_t *c, uint32_t rank)
{
    return rank < c->size ? c->brokers[rank] : NULL;
}

uint32_t eddy_sim_cluster_size (eddy_sim_cluster_t *c)
{
    return c->size;
}

int eddy_sim_cluster_attr_set (eddy_sim_cluster_t *c, const char *name, const char *value)
{
    if (json_object_set_new (c->attrs, name, json_string (value)) < 0) {
        errno = ENOMEM;
        return -1;
    }
    for (uint32_t i = 0; i < c->size; i++)
        if (eddy_broker_attr_set (c->brokers[i], name, value) < 0)
            return -1;
    return 0;
}

int eddy_sim_cluster_rank_attr_set (eddy_sim_cluster_t *c,
                                    uint32_t rank,
                                    const char *name,
                                    const char *value)
{
    char key[16];
    json_t *own;

    if (rank >= c->size) {
        errno = EINVAL;
        return -1;
    }
    snprintf (key, sizeof (key), "%u", rank);
    if (!(own = json_object_get (c->rank_attrs, key))
        && (!(own = json_object ()) || json_object_set_new (c->rank_attrs, key, own) < 0)) {
        errno = ENOMEM;
        return -1;
    }
    if (json_object_set_new (own, name, json_string (value)) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return eddy_broker_attr_set (c->brokers[rank], name, value);
}

/* ---- restart ---- */

struct restart {
    eddy_sim_cluster_t *c;
    uint32_t rank;
};

static void restart_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct restart *rs = b;
    eddy_sim_cluster_t *c = rs->c;
    uint32_t rank = rs->rank;
    eddy_error_t err;
    eddy_broker_t *nb;

    free (rs);
    /* only a dead rank restarts: a live one (never killed, or killed
     * later) keeps its broker */
    if (!c->brokers[rank] || eddy_simnet_alive (c->net, rank))
        return;
    /* the killed broker was silent since; it goes now, and its port
     * carries the new one's messages */
    eddy_broker_destroy (c->brokers[rank]);
    c->brokers[rank] = NULL;
    if (!(nb = new_broker (c, rank, &err)) || apply_attrs (c, nb, rank) < 0) {
        eddy_broker_destroy (nb);
        return; /* the rank stays dead; its port attached to nobody */
    }
    c->brokers[rank] = nb;
    (void)eddy_simnet_revive (c->net, rank);
    c->restarts++;
    /* a new instance id (its start's virtual time): the parent knows it
     * restarted; it says hello as any booting broker does */
    if (eddy_broker_start (nb) < 0)
        eddy_broker_log (nb, LOG_ERR, "sim", "restarted broker does not start");
}

int eddy_sim_cluster_restart (eddy_sim_cluster_t *c, uint32_t rank, double at)
{
    struct restart *rs;

    if (rank == 0 || rank >= c->size) {
        errno = EINVAL;
        return -1;
    }
    if (!(rs = malloc (sizeof (*rs))))
        return -1;
    *rs = (struct restart){ c, rank };
    double d = at - eddy_reactor_now (c->r);
    if (eddy_sim_post_owned (c->r, d > 0 ? d : 0, restart_cb, NULL, rs, free) < 0) {
        free (rs);
        return -1;
    }
    return 0;
}

uint32_t eddy_sim_cluster_restarts (eddy_sim_cluster_t *c)
{
    return c->restarts;
}

uint32_t eddy_sim_cluster_count_state (eddy_sim_cluster_t *c, eddy_broker_state_t state)
{
    return state <= EDDY_STATE_EXIT ? c->nstate[state] : 0;
}

uint32_t eddy_sim_cluster_count_event (eddy_sim_cluster_t *c, uint32_t seq)
{
    return seq == c->event_target ? c->nevent : 0;
}

typedef bool (*pred_f) (eddy_sim_cluster_t *c, void *arg);

/* Run reactor iterations until pred holds, the deadline passes, or the
 * simulation runs out of work.
 */
static int run_until (eddy_sim_cluster_t *c, pred_f pred, void *arg, double timeout)
{
    double deadline = eddy_reactor_now (c->r) + timeout;

    while (!pred (c, arg)) {
        if (eddy_sim_pending (c->r) == 0) {
            /* no timers or messages: let check and idle work finish */
            eddy_reactor_run (c->r, EDDY_RUN_DEFAULT);
            if (!pred (c, arg) && eddy_sim_pending (c->r) == 0) {
                errno = EDEADLK; /* nothing left to happen */
                return -1;
            }
            continue;
        }
        eddy_reactor_run (c->r, EDDY_RUN_ONCE);
        if (!pred (c, arg) && eddy_reactor_now (c->r) > deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return 0;
}

static uint32_t live (eddy_sim_cluster_t *c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->size; i++)
        if (eddy_simnet_alive (c->net, i))
            n++;
    return n;
}

static bool all_run (eddy_sim_cluster_t *c, void *arg)
{
    return c->nstate[EDDY_STATE_RUN] >= c->size;
}

int eddy_sim_cluster_boot (eddy_sim_cluster_t *c, double timeout)
{
    for (uint32_t i = 0; i < c->size; i++)
        if (eddy_broker_start (c->brokers[i]) < 0)
            return -1;
    return run_until (c, all_run, NULL, timeout);
}

static bool all_exit (eddy_sim_cluster_t *c, void *arg)
{
    return c->nstate[EDDY_STATE_EXIT] >= *(uint32_t *)arg;
}

int eddy_sim_cluster_shutdown (eddy_sim_cluster_t *c, double timeout)
{
    uint32_t n = live (c);
    eddy_broker_shutdown (c->brokers[0], 0);
    return run_until (c, all_exit, &n, timeout);
}

static bool future_ready (eddy_sim_cluster_t *c, void *arg)
{
    return eddy_future_is_ready (arg);
}

int eddy_sim_cluster_run_until_ready (eddy_sim_cluster_t *c, eddy_future_t *f, double timeout)
{
    return run_until (c, future_ready, f, timeout);
}

static bool all_event (eddy_sim_cluster_t *c, void *arg)
{
    return c->nevent >= *(uint32_t *)arg;
}

int eddy_sim_cluster_run_until_event (eddy_sim_cluster_t *c, uint32_t seq, double timeout)
{
    uint32_t n = live (c);
    if (c->event_target != seq) {
        c->event_target = seq;
        c->nevent = 0;
        for (uint32_t i = 0; i < c->size; i++)
            if (eddy_broker_event_seq (c->brokers[i]) >= seq)
                c->nevent++;
    }
    return run_until (c, all_event, &n, timeout);
}
