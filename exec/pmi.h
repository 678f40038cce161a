/* pmi.h - the PMI-1 server of one job on one rank: the simple PMI wire
 * protocol (exec/pmi_wire.h) spoken with each of the rank's tasks, with
 * no I/O of its own.  Bytes a task wrote come in through
 * pmi_server_input (), responses leave through ops->send; when every
 * local task has entered a barrier, ops->barrier gets what they put, and
 * the caller, once the job-wide exchange (exec/pmi_xchg.h) is over, hands
 * back every rank's puts with pmi_server_barrier_done ().  Private to
 * exec/ (the exec module's shell, exec/pmi_job.c; the unit tests).
 *
 * A task that breaks the protocol (a malformed line, a command out of
 * turn, a second barrier_in before barrier_out, closing its connection
 * between init and finalize) gets "cmd=error" where it can still read,
 * its further input is ignored, and ops->error says why: the job is to
 * fail.  Nothing a task sends makes the server crash, block or grow
 * without bound (lines and puts are capped).
 */
#ifndef EDDY_EXEC_PMI_H
#define EDDY_EXEC_PMI_H

#include <stddef.h>
#include <jansson.h>

typedef struct pmi_server pmi_server_t;

struct pmi_server_ops {
    /* A line (newline included) for local task index task. */
    void (*send) (void *arg, int task, const char *line, size_t len);
    /* Every local task entered the barrier: puts holds what they put since
     * the last one (borrowed: copy what you keep).  The server waits for
     * pmi_server_barrier_done ().
     */
    void (*barrier) (void *arg, json_t *puts);
    /* The job must fail: task broke the protocol (task >= 0) or the
     * exchange failed (task -1); why is human text.
     */
    void (*error) (void *arg, int task, const char *why);
    /* Task called PMI_Abort (code, msg: may be ""). */
    void (*abort) (void *arg, int task, int code, const char *msg);
};

struct pmi_server_info {
    int size;            /* tasks in the job (PMI_SIZE) */
    int base;            /* the global rank of local task 0 */
    int ntasks;          /* tasks on this rank */
    const char *kvsname; /* the job's KVS name (at most PMI_WIRE_KVSNAME_MAX - 1 bytes) */
    const char *map;     /* PMI_process_mapping's value, or NULL */
};

/* Create the server; NULL + EINVAL (bad info) or ENOMEM.  ops and arg
 * are kept (they must outlive it); info's strings are copied.
 */
pmi_server_t *pmi_server_create (const struct pmi_server_info *info,
                                 const struct pmi_server_ops *ops, void *arg);
void pmi_server_destroy (pmi_server_t *ps);

/* Bytes task (0 .. ntasks-1) wrote; whole lines are acted on now, a
 * partial one waits for the rest.  0, or -1 + EPROTO once the task broke
 * the protocol (ops->error was called; later input of the task is
 * dropped and -1 again).  EINVAL: no such task.
 */
int pmi_server_input (pmi_server_t *ps, int task, const char *data, size_t len);

/* The task's connection ended.  Before init or after finalize that is
 * fine (a program that never used PMI, or one done with it): 0.  Between
 * them (or with a partial line pending) it is an error: -1 + EPROTO and
 * ops->error.
 */
int pmi_server_eof (pmi_server_t *ps, int task);

/* The exchange of the barrier ops->barrier announced is over: all holds
 * every rank's puts (borrowed), which join the job's KVS, and every task
 * gets barrier_out rc=0.  With why (all NULL) it failed: the tasks get
 * barrier_out rc=-1 and ops->error (task -1) says why.  -1 + EINVAL if no
 * barrier was under way.
 */
int pmi_server_barrier_done (pmi_server_t *ps, json_t *all, const char *why);

/* Barriers this server completed (tests and reports). */
int pmi_server_barriers (const pmi_server_t *ps);

#endif /* !EDDY_EXEC_PMI_H */
