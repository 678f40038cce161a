/* cluster.h - a virtual cluster: N brokers on simulated links, in one
 * process, on one discrete-event reactor.
 */
#ifndef EDDY_SIM_CLUSTER_H
#define EDDY_SIM_CLUSTER_H

#include <stdint.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "engine/error.h"
#include "transport/sim/simnet.h"

typedef struct eddy_sim_cluster eddy_sim_cluster_t;

/* A broker of the cluster changed state; count is how many of its ranks
 * have reached that state so far. */
typedef void (*eddy_sim_cluster_state_f) (eddy_sim_cluster_t *c, eddy_broker_state_t state,
                                          uint32_t count, void *arg);

struct eddy_sim_cluster_params {
    uint32_t size;
    int fanout;                                /* 0 = flat */
    double latency;                            /* seconds per hop */
    double jitter;                             /* seconds, uniform */
    uint64_t seed;
    const struct eddy_module *const *modules;  /* available modules, may be NULL */
    /* NULL: the cluster makes a reactor of its own, at time 0, and
     * installs nesting on it (sim/nest.h: a job may run a virtual instance);
     * else the cluster lives on this one (a nested instance), which it
     * neither owns nor runs */
    eddy_reactor_t *reactor;
    const char *uri;          /* every broker's local-uri, NULL: "sim:/" */
    const char *nest_policy;  /* nested instances' scheduler policy, NULL: "fcfs" */
    bool nest_record_jobs;    /* nested instances record each of their jobs */
    eddy_sim_cluster_state_f on_state; /* may be NULL */
    void *on_state_arg;
};

/* Build the cluster: a simulator reactor at time 0, the links, and one
 * broker per rank (not started).  NULL + errno, with err filled.
 */
eddy_sim_cluster_t *eddy_sim_cluster_create (const struct eddy_sim_cluster_params *p,
                                             eddy_error_t *err);
void eddy_sim_cluster_destroy (eddy_sim_cluster_t *c);

/* Start every broker, without running the reactor (a nested instance:
 * params.on_state says when they are in RUN).  -1 + errno. */
int eddy_sim_cluster_start (eddy_sim_cluster_t *c);

/* A nested cluster that is done (every broker in EXIT): its brokers are
 * destroyed now, and the cluster once no message of its network is left
 * on the wire; then freed (*freed (arg), may be NULL).  Not from within
 * one of its brokers' callbacks.
 */
void eddy_sim_cluster_retire (eddy_sim_cluster_t *c, void (*freed) (void *arg), void *arg);

/* What the nested instances of this cluster's reactor did (sim/nest.h:
 * eddy_sim_nest_report ()); NULL on a nested cluster. */
json_t *eddy_sim_cluster_nest_report (eddy_sim_cluster_t *c);

eddy_reactor_t *eddy_sim_cluster_reactor (eddy_sim_cluster_t *c);
eddy_simnet_t *eddy_sim_cluster_net (eddy_sim_cluster_t *c);
eddy_broker_t *eddy_sim_cluster_broker (eddy_sim_cluster_t *c, uint32_t rank);
uint32_t eddy_sim_cluster_size (eddy_sim_cluster_t *c);

/* Set an attribute on every broker (before boot). */
int eddy_sim_cluster_attr_set (eddy_sim_cluster_t *c, const char *name, const char *value);

/* The same on one rank (kept for its restarts).  -1 EINVAL out of range. */
int eddy_sim_cluster_rank_attr_set (eddy_sim_cluster_t *c,
                                    uint32_t rank,
                                    const char *name,
                                    const char *value);

/* Restart a killed rank at virtual time `at` (absolute; past means now):
 * its broker is destroyed and a new one made for the rank (a fresh instance
 * id, the module table and every attribute set through the two calls
 * above), its port revived (eddy_simnet_revive ()) and the broker started.
 * It joins through hello/welcome like any booting broker; its parent sees
 * another instance (overlay.restarted) and its children, which say hello
 * until welcomed, rejoin through it.  A rank alive at `at` is left alone.
 * The state callback hears the new broker's states too.  A nested cluster
 * must not retire with a restart still to come (the event holds the
 * cluster).  Rank 0 cannot restart: -1 EINVAL (also out of range), ENOMEM.
 */
int eddy_sim_cluster_restart (eddy_sim_cluster_t *c, uint32_t rank, double at);
uint32_t eddy_sim_cluster_restarts (eddy_sim_cluster_t *c); /* done so far */

/* Start every broker and run until all are in RUN; -1 ETIMEDOUT if that
 * takes more than `timeout` virtual seconds.
 */
int eddy_sim_cluster_boot (eddy_sim_cluster_t *c, double timeout);

/* Shut the instance down from rank 0 and run until every live broker is
 * in EXIT (or `timeout` virtual seconds pass: -1 ETIMEDOUT).
 */
int eddy_sim_cluster_shutdown (eddy_sim_cluster_t *c, double timeout);

/* Run until the future is ready or `timeout` virtual seconds pass. */
int eddy_sim_cluster_run_until_ready (eddy_sim_cluster_t *c, eddy_future_t *f, double timeout);

/* Run until every live rank has seen event sequence `seq` (or timeout). */
int eddy_sim_cluster_run_until_event (eddy_sim_cluster_t *c, uint32_t seq, double timeout);

/* Ranks in RUN and in EXIT; ranks that have seen event sequence seq. */
uint32_t eddy_sim_cluster_count_state (eddy_sim_cluster_t *c, eddy_broker_state_t state);
uint32_t eddy_sim_cluster_count_event (eddy_sim_cluster_t *c, uint32_t seq);

#endif /* !EDDY_SIM_CLUSTER_H */
