/* pmi_xchg.h - a PMI barrier's key exchange across a job's ranks: a
 * reduction up a k-ary tree of the job's ranks (index 0 is the root, the
 * parent of i is (i - 1) / fanout), then the union back down the same
 * edges as the answers to the requests that came up.  Each rank sends
 * one message up and answers at most fanout: no rank talks to every
 * other, and rank 0 of the instance is not involved unless it is in the
 * job.  No I/O of its own: the caller (exec/pmi_job.c) carries the
 * messages, here as exec.pmi requests on the overlay.  Private to exec/.
 */
#ifndef EDDY_EXEC_PMI_XCHG_H
#define EDDY_EXEC_PMI_XCHG_H

#include <jansson.h>

typedef struct pmi_xchg pmi_xchg_t;

struct pmi_xchg_ops {
    /* Send kvs (this subtree's puts, borrowed) for barrier seq to the
     * parent index; its answer comes back through pmi_xchg_answer ().
     * -1 if it cannot be sent (the barrier fails).
     */
    int (*up) (void *arg, int parent, int seq, json_t *kvs);
    /* Answer a child's held request (the handle given to
     * pmi_xchg_child) with all (borrowed), or with the reason why failed.
     */
    void (*down) (void *arg, void *handle, json_t *all, const char *why);
    /* The barrier is over on this rank: all (borrowed), or why. */
    void (*done) (void *arg, json_t *all, const char *why);
};

/* The exchange of the rank at index (0 .. n-1) of n; NULL + EINVAL or
 * ENOMEM.
 */
pmi_xchg_t *pmi_xchg_create (int index, int n, int fanout, const struct pmi_xchg_ops *ops,
                             void *arg);
/* Requests still held are answered with why = "the job's PMI ended". */
void pmi_xchg_destroy (pmi_xchg_t *x);

/* The tree's shape: the parent of index (-1 for the root), and how many
 * children it has (their indexes are index * fanout + 1 ...).
 */
int pmi_xchg_parent (int index, int fanout);
int pmi_xchg_nchildren (int index, int n, int fanout);

/* This rank's tasks entered the barrier with puts (borrowed).  -1 +
 * EINVAL if they had already (the barrier is not over).
 */
int pmi_xchg_local (pmi_xchg_t *x, json_t *puts);

/* A child's request: from (its index), seq, its subtree's kvs (borrowed);
 * handle is the caller's, given back to ops->down.  -1 + EPROTO (not a
 * child of this rank, or it sent this barrier already, or seq is not the
 * current barrier's), and the handle is not kept.
 */
int pmi_xchg_child (pmi_xchg_t *x, int from, int seq, json_t *kvs, void *handle);

/* The parent answered this rank's request: all (borrowed), or why. */
void pmi_xchg_answer (pmi_xchg_t *x, json_t *all, const char *why);

/* The barrier under way (0 first); how many this rank completed. */
int pmi_xchg_seq (const pmi_xchg_t *x);

#endif /* !EDDY_EXEC_PMI_XCHG_H */
