/* sim-faults.h - the faults of a replay as given on the command line:
 * --fault KIND:RANK@T, a fault file (--faults FILE) and failures drawn
 * from --mtbf/--mttr (cmd/sim-faults.c).
 */
#ifndef EDDY_CMD_SIM_FAULTS_H
#define EDDY_CMD_SIM_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/replay.h"

/* A list of faults; the command owns it (and the reasons). */
struct sim_faults {
    struct eddy_replay_fault *v;
    size_t n;
};

/* KIND:RANK@T (kill, cut, heal, restart), appended; dies on bad input. */
void sim_faults_parse_spec (struct sim_faults *f, const char *opt, const char *arg);

/* A fault file: CSV `time,nodes,event,reason` (a header line starting with
 * "time", blank lines and lines starting with '#' are skipped).  nodes is
 * an idset of ranks or a hostlist of the machine's node names (R's
 * nodelist, when R is given and names its nodes); event down (kill), up
 * (restart), drain or undrain; reason the rest of the line, free text
 * (a field may be in double quotes).  Each node gets its own fault, in
 * the file's order.  Dies naming the file and line on bad input. */
void sim_faults_read_file (struct sim_faults *f,
                           const char *path,
                           uint32_t nodes,
                           json_t *R);

/* Failures of ranks 1..nodes-1 (rank 0 holds the services) from trace
 * time t0 until t1: for each rank in turn, times to failure exponential
 * with mean mtbf and repairs exponential with mean mttr (one rng seeded
 * with seed), a down and its up for every failure starting before t1. */
void sim_faults_mtbf (struct sim_faults *f,
                      double mtbf,
                      double mttr,
                      uint32_t nodes,
                      double t0,
                      double t1,
                      uint64_t seed);

/* "KIND:RANK@T" (for drain and undrain, the reason after a second ':'). */
void sim_faults_format (const struct eddy_replay_fault *ft, char *buf, size_t len);

void sim_faults_free (struct sim_faults *f);

#endif /* !EDDY_CMD_SIM_FAULTS_H */
