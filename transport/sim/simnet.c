/* simnet.c - simulated overlay links on the discrete-event reactor. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/broker/topology.h"
#include "engine/rng.h"
#include "sim/des.h"
#include "transport/sim/simnet.h"

struct port {
    eddy_simnet_t *net;
    uint32_t rank;
    uint32_t parent;
    const struct eddy_overlay_cb *cb;
    void *arg;
    bool alive;
    bool cut;        /* the link to the parent */
    double extra;    /* injected delay on the link to the parent */
    double up_due;   /* last delivery time toward the parent (FIFO) */
    double down_due; /* last delivery time from the parent */
};

struct eddy_simnet {
    eddy_reactor_t *r;
    uint32_t size;
    double latency;
    double jitter;
    eddy_rng_t rng;
    uint64_t delivered;
    struct port *ports;
    uint64_t inflight;             /* messages on the wire */
    bool closed;                   /* eddy_simnet_close () */
    void (*drained) (void *arg);
    void *drained_arg;
};

eddy_simnet_t *eddy_simnet_create (eddy_reactor_t *r,
                                   uint32_t size,
                                   int fanout,
                                   double latency,
                                   double jitter,
                                   uint64_t seed)
{
    eddy_simnet_t *net;

    if (!r || !eddy_reactor_is_sim (r) || size == 0 || !(latency >= 0) || !(jitter >= 0)) {
        errno = EINVAL;
        return NULL;
    }
    if (!(net = calloc (1, sizeof (*net))) || !(net->ports = calloc (size, sizeof (struct port)))) {
        free (net);
        return NULL;
    }
    net->r = r;
    net->size = size;
    net->latency = latency;
    net->jitter = jitter;
    eddy_rng_seed (&net->rng, seed);
    for (uint32_t i = 0; i < size; i++) {
        struct port *p = &net->ports[i];
        p->net = net;
        p->rank = i;
        p->parent = eddy_topo_parent (i, size, fanout);
        p->alive = true;
    }
    return net;
}

void eddy_simnet_destroy (eddy_simnet_t *net)
{
    if (net) {
        free (net->ports);
        free (net);
    }
}

static void check_drained (eddy_simnet_t *net)
{
    if (net->closed && net->inflight == 0 && net->drained) {
        void (*cb) (void *) = net->drained;
        net->drained = NULL;
        cb (net->drained_arg); /* may destroy net */
    }
}

void eddy_simnet_close (eddy_simnet_t *net, void (*drained) (void *arg), void *arg)
{
    net->closed = true;
    net->drained = drained;
    net->drained_arg = arg;
    check_drained (net);
}

void *eddy_simnet_port (eddy_simnet_t *net, uint32_t rank)
{
    return rank < net->size ? &net->ports[rank] : NULL;
}

int eddy_simnet_attach (eddy_simnet_t *net,
                        uint32_t rank,
                        const struct eddy_overlay_cb *cb,
                        void *arg)
{
    if (rank >= net->size || !cb) {
        errno = EINVAL;
        return -1;
    }
    net->ports[rank].cb = cb;
    net->ports[rank].arg = arg;
    return 0;
}

bool eddy_simnet_alive (eddy_simnet_t *net, uint32_t rank)
{
    return rank < net->size && net->ports[rank].alive;
}

uint64_t eddy_simnet_delivered (eddy_simnet_t *net)
{
    return net->delivered;
}

/* When a message sent now on the link of `child` arrives. */
static double due_time (eddy_simnet_t *net, struct port *child, double *last)
{
    double now = eddy_reactor_now (net->r);
    double d = now + net->latency + child->extra;
    if (net->jitter > 0)
        d += net->jitter * eddy_rng_uniform (&net->rng);
    if (d < *last)
        d = *last; /* FIFO per link and direction */
    *last = d;
    return d - now;
}

/* a message still on the wire when the simulation ends */
static void drop_msg (void *b)
{
    eddy_msg_decref (b);
}

static void deliver_up (eddy_reactor_t *r, void *a, void *b)
{
    struct port *child = a;
    eddy_msg_t *msg = b;
    eddy_simnet_t *net = child->net;
    struct port *parent = &net->ports[child->parent];

    net->inflight--;
    if (!net->closed && parent->alive && !child->cut && parent->cb) {
        net->delivered++;
        parent->cb->recv_child (parent->arg, child->rank, msg);
    }
    eddy_msg_decref (msg);
    check_drained (net);
}

static void deliver_down (eddy_reactor_t *r, void *a, void *b)
{
    struct port *child = a;
    eddy_msg_t *msg = b;
    eddy_simnet_t *net = child->net;

    net->inflight--;
    if (!net->closed && child->alive && !child->cut && child->cb) {
        net->delivered++;
        child->cb->recv_parent (child->arg, msg);
    }
    eddy_msg_decref (msg);
    check_drained (net);
}

static int send_parent (void *t, const eddy_msg_t *msg)
{
    struct port *p = t;
    eddy_simnet_t *net = p->net;

    if (p->parent == EDDY_RANK_NONE) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (!p->alive || p->cut || net->closed)
        return 0; /* lost on the wire */
    double delay = due_time (net, p, &p->up_due);
    if (eddy_sim_post_owned (net->r, delay, deliver_up, p, eddy_msg_incref (msg), drop_msg) < 0)
        return -1;
    net->inflight++;
    return 0;
}

static int send_child (void *t, uint32_t rank, const eddy_msg_t *msg)
{
    struct port *p = t;
    eddy_simnet_t *net = p->net;
    struct port *c;

    if (rank >= net->size || (c = &net->ports[rank])->parent != p->rank) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (!p->alive || c->cut || net->closed)
        return 0;
    double delay = due_time (net, c, &c->down_due);
    if (eddy_sim_post_owned (net->r, delay, deliver_down, c, eddy_msg_incref (msg), drop_msg) < 0)
        return -1;
    net->inflight++;
    return 0;
}

static int disconnect_child (void *t, uint32_t rank)
{
    return 0;
}

static void port_destroy (void *t)
{
    /* ports belong to the network */
}

const struct eddy_overlay_ops eddy_simnet_ops = {
    .send_parent = send_parent,
    .send_child = send_child,
    .disconnect_child = disconnect_child,
    .destroy = port_destroy,
};

/* ---- faults ---- */

static void notify_parent_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct port *child = a;
    struct port *parent = &child->net->ports[child->parent];
    if (parent->alive && parent->cb)
        parent->cb->child_disconnected (parent->arg, child->rank);
}

static void notify_child_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct port *child = a;
    if (child->alive && child->cb)
        child->cb->parent_disconnected (child->arg);
}

static void kill_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct port *p = a;
    eddy_simnet_t *net = p->net;

    if (!p->alive)
        return;
    p->alive = false;
    if (p->parent != EDDY_RANK_NONE)
        eddy_sim_post (r, net->latency, notify_parent_cb, p, NULL);
    for (uint32_t i = 0; i < net->size; i++) /* rare: a linear scan is fine */
        if (net->ports[i].parent == p->rank)
            eddy_sim_post (r, net->latency, notify_child_cb, &net->ports[i], NULL);
}

int eddy_simnet_revive (eddy_simnet_t *net, uint32_t rank)
{
    if (rank >= net->size) {
        errno = EINVAL;
        return -1;
    }
    struct port *p = &net->ports[rank];
    if (p->alive) {
        errno = EEXIST;
        return -1;
    }
    p->alive = true;
    p->cut = false;
    return 0;
}

static void cut_cb (eddy_reactor_t *r, void *a, void *b)
{
    ((struct port *)a)->cut = true;
}

static void heal_cb (eddy_reactor_t *r, void *a, void *b)
{
    ((struct port *)a)->cut = false;
}

static void delay_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct port *p = a;
    p->extra += *(double *)b;
    free (b);
}

static double delay_until (eddy_simnet_t *net, double at)
{
    double d = at - eddy_reactor_now (net->r);
    return d > 0 ? d : 0;
}

int eddy_simnet_kill (eddy_simnet_t *net, uint32_t rank, double at)
{
    if (rank >= net->size) {
        errno = EINVAL;
        return -1;
    }
    return eddy_sim_post (net->r, delay_until (net, at), kill_cb, &net->ports[rank], NULL);
}

int eddy_simnet_cut (eddy_simnet_t *net, uint32_t rank, double at)
{
    if (rank >= net->size || rank == 0) {
        errno = EINVAL;
        return -1;
    }
    return eddy_sim_post (net->r, delay_until (net, at), cut_cb, &net->ports[rank], NULL);
}

int eddy_simnet_heal (eddy_simnet_t *net, uint32_t rank, double at)
{
    if (rank >= net->size || rank == 0) {
        errno = EINVAL;
        return -1;
    }
    return eddy_sim_post (net->r, delay_until (net, at), heal_cb, &net->ports[rank], NULL);
}

int eddy_simnet_delay (eddy_simnet_t *net, uint32_t rank, double extra, double at)
{
    double *x;
    if (rank >= net->size || rank == 0 || !(extra >= 0) || !(x = malloc (sizeof (*x)))) {
        errno = EINVAL;
        return -1;
    }
    *x = extra;
    if (eddy_sim_post (net->r, delay_until (net, at), delay_cb, &net->ports[rank], x) < 0) {
        free (x);
        return -1;
    }
    return 0;
}
