/* guard.h - the job guard: one process per job per rank, a child of the
 * broker (its own executable, re-executed in guard mode), that forks the
 * job's tasks on this rank and outlives none of
 * them.  It is a child subreaper, so every process of the job stays its
 * descendant whatever setsid/setpgid it does; when its lifeline (a pipe
 * from the broker) ends -- the broker closed it, or died, however -- or
 * when the last task exits, it kills every descendant with SIGKILL,
 * reaps them and exits.  Private to exec/ (shell.c).
 */
#ifndef EDDY_EXEC_GUARD_H
#define EDDY_EXEC_GUARD_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Reports from the guard to the broker, fixed size (atomic on a pipe). */
enum guard_report_kind {
    GUARD_STARTED = 1, /* task index runs as pid */
    GUARD_EXITED = 2,  /* task index exited with wait status */
    GUARD_FAILED = 3,  /* task index could not be forked: errno in status */
    GUARD_NOCGROUP = 4, /* the guard could not join spec->cgroup: errno in status */
    GUARD_NOFILE = 5,   /* the guard could not open spec->files[index]: errno in status */
};

struct guard_report {
    int32_t kind;
    int32_t index;
    int32_t pid;
    int32_t status;
};

/* Requests from the broker to the guard on the lifeline: a signal for
 * the job's process group (SIGKILL also kills every descendant).
 */
struct guard_request {
    int32_t signum;
};

struct guard_task {
    int out, err;  /* write ends of the task's stdout and stderr pipes, or
                    * -1: the guard's spec->files[0] (out) or [1] (err) */
    char *rankenv; /* "EDDY_TASK_RANK=N" */
    int pmi;       /* the task's end of its PMI connection, or -1: it
                    * becomes descriptor 3 in the task (PMI_FD) */
    int in;        /* the task's stdin (the read end of a pipe the broker
                    * writes), or -1: spec->devnull */
    bool tty;      /* in is a terminal (a pty's slave; out and err are the
                    * same descriptor): the task leads a session of its own
                    * with it as controlling terminal */
    char *pmienv;  /* the guard's own: "PMI_RANK=N" where envp has PMI_RANK */
    const char *cpus; /* the OS cpus the task is bound to ("0-3,8"), or NULL:
                       * shown as EDDY_TASK_CPUS, applied with spec->bind */
    const char *gpus; /* the task's own gpus ("0,1"), or NULL: envp's as they are */
    /* the guard's own: the per-task variables where envp has them
     * (EDDY_TASK_LOCAL_ID, EDDY_TASK_CPUS, CUDA_ and ROCR_VISIBLE_DEVICES)
     * and cpus as a mask */
    char *localenv, *cpusenv, *cudaenv, *rocrenv;
    bool masked;
    cpu_set_t mask;
};

/* Everything the guard needs; guard_start passes it on the guard's
 * command line and environment (envp is the tasks' environment).
 */
struct guard_spec {
    char **argv;
    char **envp;
    int rank_slot;    /* envp[rank_slot] is replaced by each rankenv */
    int pmi_slot;     /* the guard's own: envp[pmi_slot] (PMI_RANK) by each pmienv, or -1 */
    int local_slot, cpus_slot; /* the guard's own: likewise, or -1 */
    int cuda_slot, rocr_slot;  /* the guard's own: likewise, or -1 */
    bool bind;        /* apply the tasks' cpus (sched_setaffinity), not only show them */
    const char *path; /* argv[0] resolved on the job's PATH, or NULL */
    const char *cwd;  /* or NULL */
    const char *cgroup; /* a cgroup v2 directory the guard joins before any fork, or NULL */
    int devnull;      /* the stdin of the tasks whose in is -1 */
    int ntasks;
    struct guard_task *tasks;
    pid_t *pids; /* ntasks slots, the guard's own (unused by guard_start) */
    const char *exe; /* eddy-shell, or NULL: this program in guard mode */
    /* A job of another user: the guard is started as
     *   IMP exec EXE GUARD-ARGS... < J
     * and runs as the user who signed J (eddy-imp's checks).  It joins
     * the job's cgroup before that, while it is still the broker's. */
    const char *imp; /* eddy-imp, or NULL: the guard runs as the broker */
    const char *J;   /* the job's signed jobspec, for imp */
    /* Output files the guard opens itself, as the user it runs as (for a
     * job of another user the broker may not write where the user may):
     * for the tasks whose out (err) is -1; the same path twice is one
     * file.  With truncate, opened with O_TRUNC. */
    const char *files[2];
    bool truncate;
};

/* Start the guard: vfork, then exec of spec->exe (eddy-shell), or
 * where that is NULL or fails, of /proc/self/exe in guard mode, which a
 * constructor in guard.c catches in any program that links the exec
 * module (tests; a broker whose guard program is missing).  With
 * spec->imp, through eddy-imp (spec->exe must be set: EINVAL if not).  On success returns its pid, with *report the read end
 * of its report pipe and *lifeline the write end of its lifeline (both
 * non-blocking, close-on-exec, owned by the caller); the tasks' pipe
 * write ends stay open in the caller, who closes them.  -1 and errno on
 * failure, nothing started.
 */
pid_t guard_start (const struct guard_spec *spec, int *report, int *lifeline);

/* The guard's own end.  guard_args: argv is a guard's (argv[1] the guard
 * flag guard_start passes).  guard_run: be the guard those arguments
 * describe, with envp the tasks' environment; never returns (exit 125 on
 * arguments that are not a guard's).  A constructor in guard.c calls it
 * in every program linking guard.c without EDDY_GUARD_NO_CONSTRUCTOR;
 * eddy-imp calls it itself, as the job's user, instead of exec'ing
 * eddy-shell (one exec less per job of another user).
 */
bool guard_args (int argc, char **argv);
void guard_run (int argc, char **argv, char **envp) __attribute__ ((noreturn));

/* Parse the ppid out of the text of /proc/PID/stat ("pid (comm) S ppid
 * ..."; comm may hold spaces and parentheses).  -1 if malformed.
 */
pid_t guard_stat_ppid (const char *text, size_t len);

#endif /* !EDDY_EXEC_GUARD_H */
