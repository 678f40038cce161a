/* sim-real.h - eddy sim replay --real (cmd/sim-real.c). */
#ifndef EDDY_CMD_SIM_REAL_H
#define EDDY_CMD_SIM_REAL_H

#include <jansson.h>
#include <stddef.h>

#include "engine/error.h"
#include "sim/ideal.h"

struct sim_real_spec {
    const char *exe;    /* this eddy */
    const char *policy;
    unsigned nodes, cores_per_node;
    double speedup;
    const struct eddy_ideal_job *jobs; /* trace times */
    size_t n;
};

/* Run the jobs on a real instance (eddy start --size nodes, the feed
 * module, the test exec); start[i], end[i] get job i's real times mapped
 * back to trace seconds (-1: did not start or end).  -1 + err. */
int sim_real_run (const struct sim_real_spec *sp, double *start, double *end, eddy_error_t *err);

/* Compare two schedules of the same jobs (starts in trace seconds, -1 for
 * none): the share of pairs of jobs started in both whose start order
 * agrees, start-time
 * differences, the mean waits.  A pair agrees when both schedules order it
 * the same way or both start it at one instant (within `tie`);
 * ordered_pairs_agreement counts, among the pairs the simulation orders,
 * those the real run orders the same way. */
json_t *sim_real_compare (const struct eddy_ideal_job *jobs, size_t n, const double *sim_start,
                          const double *real_start, double tie);

#endif /* !EDDY_CMD_SIM_REAL_H */
