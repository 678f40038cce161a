/* world.h - N brokers in one test process, in either world: the
 * simulator (discrete-event reactor, simulated links) or the real one
 * (libev reactor, ZeroMQ over ipc:// in a temporary directory).  Tests
 * written against this run unchanged in both.
 */
#ifndef EDDY_TEST_WORLD_H
#define EDDY_TEST_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/broker/broker.h"
#include "engine/future.h"

struct world;

struct world_ops {
    const char *name;
    struct world *(*create) (uint32_t size, int fanout);
};

extern const struct world_ops world_sim;
extern const struct world_ops world_real;

struct world {
    const struct world_ops *ops;
    eddy_reactor_t *r;
    uint32_t size;
    int fanout;
    eddy_broker_t **b;
    void *impl;
    void (*destroy) (struct world *w);
    int (*kill) (struct world *w, uint32_t rank); /* make rank vanish abruptly */
};

/* Start every broker and wait until all are in RUN (timeout: seconds). */
int world_boot (struct world *w, double timeout);
void world_destroy (struct world *w);

/* Run the reactor until f is ready / pred holds / `seconds` pass. */
int world_wait (struct world *w, eddy_future_t *f, double timeout);
int world_wait_pred (struct world *w, bool (*pred) (void *arg), void *arg, double timeout);
void world_run_for (struct world *w, double seconds);

/* Run until every broker has configuration generation gen (or timeout). */
int world_wait_config_generation (struct world *w, uint32_t gen, double timeout);

/* Count brokers in a state. */
uint32_t world_count_state (struct world *w, eddy_broker_state_t state);

#endif /* !EDDY_TEST_WORLD_H */
