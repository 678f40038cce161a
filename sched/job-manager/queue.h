/* queue.h - the job manager's queues: their configuration ([queues.NAME],
 * [policy]), their states (enabled for submission, started for
 * scheduling) and the checks a submission passes.  Pure logic, no I/O:
 * the job manager persists the states (job-manager.c).
 */
#ifndef EDDY_JOBMGR_QUEUE_H
#define EDDY_JOBMGR_QUEUE_H

#include <stdbool.h>
#include <jansson.h>

#include "engine/error.h"

struct jmq {
    char *name; /* "" for the anonymous queue of an instance without [queues] */
    bool is_default;
    bool enabled, started;
    char *disable_reason, *stop_reason; /* NULL when none */
    double max_duration;                /* 0: no limit */
    int max_nnodes, max_ncores, max_ngpus; /* 0: no limit */
    char *resources;                    /* idset of ranks or hostlist, NULL: all */
    json_t *requires;                   /* array of properties, NULL: none */
};

struct jmq_set {
    struct jmq *q; /* named queues in name order, or one anonymous queue */
    int n;
    int def; /* index of the default queue, -1 if none */
};

/* Build a set from the [queues] table and the [policy] table (either may
 * be NULL).  Without queues the set holds one anonymous queue, enabled and
 * started.  -1 + EINVAL and err (naming the key) if the tables are wrong.
 */
int jmq_set_parse (struct jmq_set *set, const json_t *queues, const json_t *policy,
                   eddy_error_t *err);
void jmq_set_clear (struct jmq_set *set);

/* Copy the states (enabled, started and reasons) of queues of the same
 * name from old to set.
 */
void jmq_set_keep_states (struct jmq_set *set, const struct jmq_set *old);

/* The queue a job goes to: its jobspec's queue name, or the default when
 * name is NULL.  NULL + text when there is no such queue.
 */
struct jmq *jmq_lookup (struct jmq_set *set, const char *name, char *text, size_t len);

/* Can a job of this size (nodes, cores, GPUs) and time limit enter q (0),
 * or why not (-1 and text, which for a disabled queue carries its reason).
 */
int jmq_admit (const struct jmq *q, int nnodes, int ncores, int ngpus, double duration,
               char *text, size_t len);

/* The states as JSON {name: {enabled, started, disable_reason?,
 * stop_reason?}} (new reference), and back: apply () sets the states of
 * the queues it names and ignores others.  -1 + EINVAL if malformed.
 */
json_t *jmq_states_json (const struct jmq_set *set);
int jmq_states_apply (struct jmq_set *set, const json_t *states);

/* Change one queue's state: what is "enable", "disable", "start" or
 * "stop"; reason (may be NULL) goes with disable and stop.  -1 + EINVAL
 * for another word.
 */
int jmq_set_state (struct jmq *q, const char *what, const char *reason);

/* The queue name that a user writes: "" is shown as "default". */
const char *jmq_display_name (const struct jmq *q);

#endif /* !EDDY_JOBMGR_QUEUE_H */
