/* exec_impl.h - state shared by the exec module's halves: the coordinator
 * (coord.c, rank 0) and the job shell (shell.c, every rank).  Private to
 * exec/.
 */
#ifndef EDDY_EXEC_IMPL_H
#define EDDY_EXEC_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/future.h"
#include "engine/handle.h"
#include "engine/reactor.h"
#include "engine/util/idset.h"

struct coord;
struct shell;
struct perilog;
struct relay;

struct exec_ctx {
    eddy_handle_t *h;
    eddy_reactor_t *r;
    uint32_t rank;
    bool sim;             /* backend "sim": no job runs a process */
    double kill_timeout;  /* SIGTERM -> SIGKILL grace (time limit, cancel) */
    bool kill_timeout_pinned; /* set by the module args: [exec] does not change it */
    bool test_time_limit; /* jobs without processes obey their time limit */
    bool cgroup;          /* a cgroup per job where the machine allows (module arg) */
    eddy_msg_handler_t **handlers;
    struct coord *coord;  /* rank 0 only */
    struct shell *shell;  /* NULL with the sim backend */
    struct perilog *perilog; /* exec.perilog on every rank (perilog.c) */
    struct relay *relay;  /* exec.stdin of this rank's clients, ranks > 0 (relay.c) */
    char *local_uri;      /* EDDY_URI for tasks (attr local-uri), may be NULL */
    eddy_future_t *uri_f;
    char *guard_exe;      /* attr exec.guard (eddy-shell), may be NULL */
    char *imp;            /* [exec] imp: eddy-imp runs jobs of other users, or NULL */
    eddy_future_t *guard_f;
    eddy_future_t *dir_f; /* attr statedir, then broker.rundir: where job records go */
};

/* Log to the broker's ring as component "exec" (syslog level). */
void exec_log (struct exec_ctx *ctx, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Coordinator (coord.c): exec.start and exec.kill on rank 0. */
struct coord *coord_create (struct exec_ctx *ctx);
void coord_destroy (struct coord *c);
void coord_start (struct coord *c, const eddy_msg_t *msg);
void coord_kill (struct coord *c, const eddy_msg_t *msg);
/* exec.stdin from a client (or relayed by another rank's exec module):
 * forwarded to the ranks whose tasks take it. */
void coord_stdin (struct coord *c, const eddy_msg_t *msg);
/* The client of rank `rank` whose route origin is origin went away (a
 * "disconnect" on rank 0, exec.gone from another): the stdin it fed ends. */
void coord_input_gone (struct coord *c, uint32_t rank, uint64_t origin);

/* Relay (relay.c): exec.stdin from clients of ranks > 0, to rank 0 with
 * their credentials; their disconnect is told to rank 0 (exec.gone). */
struct relay *relay_create (struct exec_ctx *ctx);
void relay_destroy (struct relay *r);
void relay_stdin (struct relay *r, const eddy_msg_t *msg);
void relay_disconnect (struct relay *r, const eddy_msg_t *msg);
/* overlay.online: jobs on a rank not in online fail (node-failure). */
void coord_online (struct coord *c, const eddy_idset_t *online);
/* overlay.restarted: rank started again; its jobs fail (node-failure) and,
 * if it had any (now, or when it was lost), resource.crashed says how many. */
void coord_crashed (struct coord *c, uint32_t rank);
/* Jobs the coordinator holds (tests and reports). */
int coord_count (struct coord *c);

/* Job shell (shell.c): exec.launch and exec.signal on every rank. */
struct shell *shell_create (struct exec_ctx *ctx);
void shell_destroy (struct shell *s);
void shell_launch (struct shell *s, const eddy_msg_t *msg);
void shell_signal (struct shell *s, const eddy_msg_t *msg);
/* exec.input: a chunk of a job's stdin for its tasks on this rank. */
void shell_input (struct shell *s, const eddy_msg_t *msg);
/* exec.pmi: a child rank's part of a PMI barrier of a job here
 * (exec/pmi_job.h); EAGAIN while the job has not been launched here. */
void shell_pmi (struct shell *s, const eddy_msg_t *msg);
/* overlay.online's epoch (rank 0's start): jobs launched under another
 * are left of a rank 0 that is gone, and are killed.  0: none given.
 */
void shell_epoch (struct shell *s, uint64_t epoch);
/* The directory the broker owns for this rank's job records (exec/contain.h):
 * what a previous broker left there is killed now.
 */
void shell_records_dir (struct shell *s, const char *dir);
/* overlay.cutoff: this rank lost its way to rank 0, which failed its jobs:
 * their tasks are killed. */
void shell_cutoff (struct shell *s);

/* Prolog and epilog commands (perilog.c): exec.perilog on every rank.
 * configure () takes [exec] (imp: run them through `IMP run NAME`);
 * -1 + EINVAL if imp is not a non-empty string.
 */
struct perilog *perilog_create (struct exec_ctx *ctx);
void perilog_destroy (struct perilog *p);
int perilog_configure (struct perilog *p, const json_t *exec_table);
void perilog_run (struct perilog *p, const eddy_msg_t *msg);

#endif /* !EDDY_EXEC_IMPL_H */
