/* shell.c - the job shell, acted by the exec module on every rank (real
 * backend): exec.launch forks a job's tasks on this rank, exec.signal
 * signals them.
 *
 * The tasks of a job on this rank are forked by its guard (exec/guard.h),
 * a child of the broker that is a subreaper for the job: they form the
 * job's process group (the first task leads it), with stdin from /dev/null
 * and stdout/stderr on pipes read by non-blocking fd watchers.  The guard
 * reports each task's pid and wait status on a pipe; signals for the job
 * go to it on its lifeline, and closing the lifeline (or the broker's
 * death) makes it kill every process of the job.  The guard itself is
 * reaped through its pidfd (pidfd_open + an fd watcher, then waitpid on
 * that pid only): no SIGCHLD handler, no process-wide signal state.  Where
 * pidfd_open is missing (ENOSYS: Linux < 5.3, valgrind) a timer polls
 * waitpid (pid, WNOHANG) instead.  Output leaves as
 * {type:"output", entries} responses on the launch stream, coalesced to one
 * per job per reactor iteration by a check watcher; once every task has
 * exited and both its pipes reached EOF the stream gets {type:"finish",
 * status} (the highest wait status on this rank) and ENODATA.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "engine/util/fluid.h"
#include "engine/util/idset.h"
#include "exec/contain.h"
#include "exec/cpubind.h"
#include "exec/exec_impl.h"
#include "exec/guard.h"
#include "exec/iobuf.h"
#include "exec/pmi_job.h"
#include "exec/taskin.h"

extern char **environ;

struct sjob;

struct pipe_in {
    struct task *task;
    int fd;
    eddy_watcher_t *w;
    eddy_iobuf_t *buf;
    bool raw; /* a terminal: bytes leave as they come (a prompt has no newline) */
};

struct task {
    struct sjob *job;
    int rank; /* global task rank */
    pid_t pid; /* 0 until the guard reports it */
    bool exited;
    int status;
    struct pipe_in io[2]; /* stdout, stderr */
};

struct sjob {
    struct shell *s;
    uint64_t id;
    const eddy_msg_t *req; /* the exec.launch stream (a reference) */
    pid_t guard;    /* 0 once handed to the reaper */
    struct contain_job *cj; /* its record and cgroup, until the reaper has them */
    int report;     /* the guard's reports, or -1 */
    eddy_watcher_t *rw;
    int lifeline;   /* to the guard, or -1 */
    int ntasks;
    struct task *tasks;
    int unreaped;   /* tasks whose exit the guard has not reported */
    int incomplete; /* tasks not exited or with a pipe open */
    int status;
    json_t *pending; /* output entries not yet sent, or NULL */
    uint64_t epoch;  /* rank 0's start that launched it; 0 = not known yet */
    bool stale;      /* launched by a rank 0 that is gone: killed */
    bool queued;
    bool start_held; /* "start" waits for the guard's first report */
    unsigned short pty_rows, pty_cols; /* task 0's pty size at start (0: none given) */
    struct pmi_job *pmi;      /* its PMI-1 service, or NULL */
    struct taskin *input;     /* the stdin of its tasks here that take it, or NULL */
    struct sjob *next, *prev; /* all jobs of this rank (newest first) */
    struct sjob *qnext;       /* flush queue */
};

/* A guard whose job ended or was torn down: reaped when it exits. */
struct orphan {
    struct shell *s;
    pid_t pid;
    struct contain_job *cj; /* ended once the guard is reaped */
    int pidfd;
    eddy_watcher_t *w;
    struct orphan *next, *prev;
};

struct shell {
    struct exec_ctx *ctx;
    struct orphan *orphans;
    struct sjob *jobs;
    struct sjob *qhead, *qtail;
    eddy_watcher_t *flush;
    eddy_watcher_t *reap; /* polls waitpid where pidfd_open is missing */
    int npolled;          /* orphans without a pidfd */
    uint64_t epoch;       /* the last overlay.online's; 0 = none seen */
    struct contain *contain;
    eddy_cpubind_t *cpubind; /* the node's topology, loaded by the first bound job */
    bool cpubind_failed;     /* it could not be: jobs run unbound */
    bool cpubind_warned;     /* a job's cores were not in it: said once */
};

/* Without pidfds (kernels before 5.3, valgrind) guards are reaped by
 * polling waitpid (pid, WNOHANG) on this period.
 */
#define REAP_POLL_PERIOD 0.05

static const char *const stream_names[2] = { "stdout", "stderr" };

/* ---- output coalescing ---- */

static void enqueue (struct sjob *job)
{
    struct shell *s = job->s;
    if (job->queued)
        return;
    job->queued = true;
    job->qnext = NULL;
    if (s->qtail)
        s->qtail->qnext = job;
    else
        s->qhead = job;
    s->qtail = job;
    eddy_watcher_start (s->flush);
}

static void close_pipe (struct pipe_in *p)
{
    eddy_watcher_destroy (p->w);
    p->w = NULL;
    if (p->fd >= 0)
        close (p->fd);
    p->fd = -1;
}

static void task_free (struct task *t)
{
    for (int k = 0; k < 2; k++) {
        close_pipe (&t->io[k]);
        eddy_iobuf_destroy (t->io[k].buf);
    }
}

static void orphan_free (struct orphan *o)
{
    struct shell *s = o->s;
    /* o->cj is NULL once reaped; else (unloading) the guard, let go, is
     * killing the job and removes its cgroup itself: the record stays
     * for the next start, should it not */
    eddy_watcher_destroy (o->w);
    if (o->pidfd >= 0)
        close (o->pidfd);
    else
        s->npolled--;
    if (o->prev)
        o->prev->next = o->next;
    else
        s->orphans = o->next;
    if (o->next)
        o->next->prev = o->prev;
    free (o);
}

/* The guard ends the job itself and exits 0; anything else (killed, or
 * never a guard) may have left its tasks running.
 */
static bool guard_clean (int rc, int status)
{
    return rc > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* Reap the guard if it exited: then its job's containment ends. */
static bool orphan_reaped (struct orphan *o)
{
    int status = 0;
    int rc = waitpid (o->pid, &status, WNOHANG);
    if (rc == 0)
        return false;
    contain_job_end (o->cj, guard_clean (rc, status));
    o->cj = NULL;
    return true;
}

static void orphan_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct orphan *o = arg;
    if (orphan_reaped (o))
        orphan_free (o);
}

/* Hand a guard (and its job's containment, cj: taken) to the reaper.
 * Without memory to track it, it stays a zombie until the broker exits,
 * and its job's record stays for the next start.
 */
static void orphan_add (struct shell *s, pid_t pid, struct contain_job *cj)
{
    int status = 0;
    int rc = waitpid (pid, &status, WNOHANG);
    if (rc != 0) {
        contain_job_end (cj, guard_clean (rc, status));
        return;
    }
    struct orphan *o = calloc (1, sizeof (*o));
    if (!o)
        return;
    o->s = s;
    o->pid = pid;
    o->cj = cj;
    if ((o->pidfd = pidfd_open (pid, 0)) >= 0) {
        if (!(o->w = eddy_fd_create (s->ctx->r, o->pidfd, EDDY_POLLIN, orphan_cb, o))) {
            close (o->pidfd);
            free (o);
            return;
        }
        eddy_watcher_start (o->w);
    } else {
        s->npolled++;
        eddy_watcher_start (s->reap);
    }
    o->next = s->orphans;
    if (s->orphans)
        s->orphans->prev = o;
    s->orphans = o;
}

/* Let the guard go: closing its lifeline makes it kill whatever is left
 * of the job, then it exits and the reaper collects it.
 */
static void guard_release (struct sjob *job)
{
    eddy_watcher_destroy (job->rw);
    job->rw = NULL;
    if (job->report >= 0)
        close (job->report);
    job->report = -1;
    if (job->lifeline >= 0)
        close (job->lifeline);
    job->lifeline = -1;
    if (job->guard > 0)
        orphan_add (job->s, job->guard, job->cj);
    else
        contain_job_end (job->cj, false);
    job->cj = NULL;
    job->guard = 0;
}

static void sjob_free (struct sjob *job)
{
    if (job) {
        struct shell *s = job->s;
        guard_release (job);
        taskin_destroy (job->input);
        pmi_job_destroy (job->pmi);
        for (int i = 0; i < job->ntasks; i++)
            task_free (&job->tasks[i]);
        free (job->tasks);
        json_decref (job->pending);
        eddy_msg_decref (job->req);
        if (job->prev)
            job->prev->next = job->next;
        else if (s->jobs == job)
            s->jobs = job->next;
        if (job->next)
            job->next->prev = job->prev;
        free (job);
    }
}

static void flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct shell *s = arg;
    eddy_handle_t *h = s->ctx->h;

    eddy_watcher_stop (w);
    while (s->qhead) {
        struct sjob *job = s->qhead;
        s->qhead = job->qnext;
        if (!s->qhead)
            s->qtail = NULL;
        job->queued = false;
        if (job->pending && json_array_size (job->pending) > 0) {
            /* hand the entries over: a local response shares them by
             * reference, so they must not change after it is sent */
            json_t *entries = job->pending;
            job->pending = NULL;
            eddy_respond_pack (h, job->req, "{s:I s:s s:o}", "id", (json_int_t)job->id, "type",
                               "output", "entries", entries);
        }
        if (job->incomplete == 0) {
            eddy_respond_pack (h, job->req, "{s:I s:s s:i}", "id", (json_int_t)job->id, "type",
                               "finish", "status", job->status);
            eddy_respond_error (h, job->req, ENODATA, NULL);
            sjob_free (job);
        }
    }
}

static void task_check_complete (struct task *t)
{
    if (t->exited && t->io[0].fd < 0 && t->io[1].fd < 0) {
        t->job->incomplete--;
        if (t->job->incomplete == 0)
            enqueue (t->job);
    }
}

/* ---- reading output ---- */

static void pipe_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct pipe_in *p = arg;
    struct task *t = p->task;
    struct sjob *job = t->job;
    char buf[16384];

    if (!job->pending && !(job->pending = json_array ()))
        return; /* out of memory: try again on the next readiness */
    /* a bounded number of reads per wakeup, so one noisy task cannot
     * starve the broker */
    for (int i = 0; i < 4; i++) {
        ssize_t n = read (p->fd, buf, sizeof (buf));
        if (n > 0 && p->raw) {
            json_t *e = eddy_output_entry (stream_names[p - t->io], t->rank, buf, (size_t)n);
            if (!e || json_array_append_new (job->pending, e) < 0)
                break; /* out of memory: the bytes are lost */
            continue;
        }
        if (n > 0) {
            eddy_iobuf_write (p->buf, buf, (size_t)n, job->pending);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        /* EOF, or an error that will not go away */
        eddy_iobuf_close (p->buf, job->pending);
        close_pipe (p);
        task_check_complete (t);
        break;
    }
    if (json_array_size (job->pending) > 0)
        enqueue (job);
}

/* ---- the guard's reports ---- */

static void task_exited (struct task *t, int status)
{
    struct sjob *job = t->job;
    if (t->exited)
        return;
    t->exited = true;
    t->status = status;
    if (status > job->status)
        job->status = status;
    job->unreaped--;
    task_check_complete (t);
}

static void report_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct sjob *job = arg;
    struct guard_report rep[64];

    ssize_t n = read (job->report, rep, sizeof (rep));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* the guard reports once it has opened (and truncated) the job's
     * files, or failed to, or it is gone: the other ranks may write now */
    if (job->start_held) {
        job->start_held = false;
        eddy_respond_pack (job->s->ctx->h, job->req, "{s:I s:s}", "id", (json_int_t)job->id,
                           "type", "start");
    }
    if (n <= 0 || n % (ssize_t)sizeof (rep[0]) != 0) {
        /* the guard is gone: what it did not report died with it; a task
         * it never started could not run (eddy-imp refused the job: its
         * reason is on task 0's stderr) */
        for (int i = 0; i < job->ntasks; i++)
            if (!job->tasks[i].exited) {
                bool never = job->tasks[i].pid == 0;
                exec_log (job->s->ctx, LOG_ERR, "job %ju task %d: its guard ended first%s",
                          (uintmax_t)job->id, job->tasks[i].rank,
                          never ? ", before starting it" : "");
                task_exited (&job->tasks[i], never ? 126 << 8 : SIGKILL);
            }
        guard_release (job);
        return;
    }
    /* a report may complete the job, but it is freed only by flush_cb */
    for (ssize_t k = 0; k < n / (ssize_t)sizeof (rep[0]); k++) {
        if (rep[k].kind == GUARD_NOFILE) { /* its tasks are reported failed next */
            const char *name = rep[k].index == 1 ? "stderr" : "stdout";
            json_t *o = json_object_get (json_object_get (eddy_msg_payload (job->req), "output"), name);
            char note[512];
            snprintf (note, sizeof (note), "cannot open %s file %s as the job's user: %s", name,
                      o ? json_string_value (o) : "?", strerror (rep[k].status));
            exec_log (job->s->ctx, LOG_ERR, "job %ju: %s", (uintmax_t)job->id, note);
            /* the user's reason, not only the broker's log: the job's
             * exception carries it */
            eddy_respond_pack (job->s->ctx->h, job->req, "{s:I s:s s:s}", "id",
                               (json_int_t)job->id, "type", "exception", "note", note);
            continue;
        }
        if (rep[k].index < 0 || rep[k].index >= job->ntasks)
            continue;
        struct task *t = &job->tasks[rep[k].index];
        switch (rep[k].kind) {
        case GUARD_STARTED:
            t->pid = rep[k].pid;
            contain_job_task (job->cj, t->pid);
            break;
        case GUARD_NOCGROUP:
            exec_log (job->s->ctx, LOG_ERR, "job %ju: its guard could not join %s: %s",
                      (uintmax_t)job->id, contain_job_cgroup (job->cj), strerror (rep[k].status));
            break;
        case GUARD_EXITED:
            task_exited (t, rep[k].status);
            break;
        case GUARD_FAILED:
            exec_log (job->s->ctx, LOG_ERR, "job %ju task %d: fork: %s", (uintmax_t)job->id,
                      t->rank, strerror (rep[k].status));
            task_exited (t, 126 << 8);
            break;
        }
    }
}

static void reap_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct shell *s = arg;
    struct orphan *o = s->orphans;
    while (o) {
        struct orphan *next = o->next;
        if (o->pidfd < 0 && orphan_reaped (o))
            orphan_free (o);
        o = next;
    }
    if (s->npolled == 0)
        eddy_watcher_stop (w);
}

/* ---- forking ---- */

/* What a task needs, prepared before fork: the child only calls
 * async-signal-safe functions (the broker has ZeroMQ threads).
 */
struct spawn {
    char **argv;
    char **envp;
    int rank_slot; /* index of EDDY_TASK_RANK in envp */
    const char *cwd;
    int devnull;
};

static void spawn_free (struct spawn *sp)
{
    if (sp->argv)
        free (sp->argv);
    if (sp->envp) {
        for (int i = 0; sp->envp[i]; i++)
            free (sp->envp[i]);
        free (sp->envp);
    }
    if (sp->devnull >= 0)
        close (sp->devnull);
}

static int env_add (char **envp, int *n, const char *key, const char *value)
{
    if (asprintf (&envp[*n], "%s=%s", key, value) < 0) {
        envp[*n] = NULL;
        return -1;
    }
    (*n)++;
    envp[*n] = NULL;
    return 0;
}

/* The variables the shell sets, never taken from the job's environment;
 * the gpu ones only when the job has gpus on the rank (else the user's
 * own pass, as under Flux).
 */
static bool is_ours (const char *key, size_t len, bool gpus)
{
    static const char *const ours[] = { "EDDY_JOB_ID", "EDDY_TASK_RANK", "EDDY_JOB_SIZE", "EDDY_URI",
                                        "EDDY_JOB_USERID", "PMI_FD", "PMI_RANK", "PMI_SIZE",
                                        "PMI_SPAWNED", "EDDY_TASK_LOCAL_ID", "EDDY_JOB_NNODES",
                                        "EDDY_TASK_CPUS" };
    static const char *const gpu[] = { "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                       "CUDA_DEVICE_ORDER" };
    for (size_t i = 0; i < sizeof (ours) / sizeof (ours[0]); i++)
        if (strlen (ours[i]) == len && !strncmp (ours[i], key, len))
            return true;
    for (size_t i = 0; gpus && i < sizeof (gpu) / sizeof (gpu[0]); i++)
        if (strlen (gpu[i]) == len && !strncmp (gpu[i], key, len))
            return true;
    return false;
}

/* What the job is on this rank, for the tasks' environment. */
struct rankinfo {
    int nnodes;          /* ranks in the job's R */
    const char *gpus;    /* CUDA_VISIBLE_DEVICES text ("0,1"), or NULL: none */
    bool cpus;           /* the tasks get EDDY_TASK_CPUS */
};

static int spawn_prepare (struct shell *s, struct spawn *sp, uint64_t id, int size, json_t *cmd,
                          json_t *env, const char *cwd, uint32_t userid, bool pmi,
                          const struct rankinfo *ri)
{
    size_t nenv = 0;
    int n = 0;
    char buf[EDDY_FLUID_STRMAX];

    memset (sp, 0, sizeof (*sp));
    sp->devnull = -1;
    sp->cwd = cwd;
    if (!(sp->argv = calloc (json_array_size (cmd) + 1, sizeof (char *))))
        return -1;
    for (size_t i = 0; i < json_array_size (cmd); i++)
        sp->argv[i] = (char *)json_string_value (json_array_get (cmd, i));
    if (env)
        nenv = json_object_size (env);
    else
        while (environ[nenv])
            nenv++;
    if (!(sp->envp = calloc (nenv + 20, sizeof (char *))))
        return -1;
    if (env) {
        const char *key;
        json_t *v;
        json_object_foreach (env, key, v) {
            if (is_ours (key, strlen (key), ri->gpus) || !json_is_string (v))
                continue;
            if (env_add (sp->envp, &n, key, json_string_value (v)) < 0)
                return -1;
        }
    } else {
        for (size_t i = 0; environ[i]; i++) {
            const char *eq = strchr (environ[i], '=');
            if (!eq || is_ours (environ[i], eq - environ[i], ri->gpus))
                continue;
            if (!(sp->envp[n] = strdup (environ[i])))
                return -1;
            sp->envp[++n] = NULL;
        }
    }
    eddy_fluid_encode (buf, sizeof (buf), id, EDDY_FLUID_F58);
    if (env_add (sp->envp, &n, "EDDY_JOB_ID", buf) < 0)
        return -1;
    snprintf (buf, sizeof (buf), "%d", size);
    if (env_add (sp->envp, &n, "EDDY_JOB_SIZE", buf) < 0)
        return -1;
    if (s->ctx->local_uri && env_add (sp->envp, &n, "EDDY_URI", s->ctx->local_uri) < 0)
        return -1;
    snprintf (buf, sizeof (buf), "%d", ri->nnodes);
    if (env_add (sp->envp, &n, "EDDY_JOB_NNODES", buf) < 0)
        return -1;
    /* flux-shell's gpu-affinity "on": every task sees the rank's gpus, in
     * the order hwloc and the scheduler number them */
    if (ri->gpus && (env_add (sp->envp, &n, "CUDA_VISIBLE_DEVICES", ri->gpus) < 0
                     || env_add (sp->envp, &n, "ROCR_VISIBLE_DEVICES", ri->gpus) < 0
                     || env_add (sp->envp, &n, "CUDA_DEVICE_ORDER", "PCI_BUS_ID") < 0))
        return -1;
    /* per task, filled in by the guard */
    if (env_add (sp->envp, &n, "EDDY_TASK_LOCAL_ID", "0") < 0
        || (ri->cpus && env_add (sp->envp, &n, "EDDY_TASK_CPUS", "") < 0))
        return -1;
    /* whose job eddy-imp is asked to run: it checks the signer is that user */
    snprintf (buf, sizeof (buf), "%u", (unsigned)userid);
    if (userid != (uint32_t)getuid () && env_add (sp->envp, &n, "EDDY_JOB_USERID", buf) < 0)
        return -1;
    /* what a PMI-1 client (MPICH's simple PMI, libpmi.so) looks for; the
     * guard gives each task its own PMI_RANK */
    snprintf (buf, sizeof (buf), "%d", size);
    if (pmi && (env_add (sp->envp, &n, "PMI_FD", PMI_JOB_TASK_FD_STR) < 0
                || env_add (sp->envp, &n, "PMI_SIZE", buf) < 0
                || env_add (sp->envp, &n, "PMI_SPAWNED", "0") < 0
                || env_add (sp->envp, &n, "PMI_RANK", "0") < 0))
        return -1;
    sp->rank_slot = n;
    if (env_add (sp->envp, &n, "EDDY_TASK_RANK", "0") < 0)
        return -1;
    if ((sp->devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    return 0;
}

/* The executable the job's PATH names for cmd (as execvp would find it),
 * or NULL.
 */
static char *resolve (const char *cmd, char *const envp[])
{
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    if (strchr (cmd, '/'))
        return strdup (cmd);
    for (int i = 0; envp && envp[i]; i++)
        if (!strncmp (envp[i], "PATH=", 5))
            path = envp[i] + 5;
    for (const char *p = path; p && *p;) {
        const char *colon = strchr (p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen (p);
        char *full;
        if (asprintf (&full, "%.*s/%s", (int)n, n ? p : ".", cmd) < 0)
            return NULL;
        if (access (full, X_OK) == 0)
            return full;
        free (full);
        p = colon ? colon + 1 : NULL;
    }
    return NULL;
}

static int set_nonblock (int fd)
{
    int fl = fcntl (fd, F_GETFL);
    return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

/* A pseudo-terminal for the task: the guard gets its slave as the task's
 * stdin, stdout and stderr (in gt); the broker reads the master as the
 * task's stdout, passed as it comes, and writes its stdin to a copy of it
 * (*in).
 */
static int task_pty (struct sjob *job, struct task *t, struct guard_task *gt, int *in)
{
    eddy_reactor_t *r = job->s->ctx->r;
    char name[128];
    int m = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC), sl = -1, w = -1;

    if (m < 0 || grantpt (m) < 0 || unlockpt (m) < 0 || ptsname_r (m, name, sizeof (name)) != 0
        || (sl = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0
        || (w = fcntl (m, F_DUPFD_CLOEXEC, 3)) < 0 || set_nonblock (m) < 0)
        goto error;
    if (job->pty_rows > 0 && job->pty_cols > 0) {
        /* the client's size from the start (its winsize updates follow) */
        struct winsize wsz = { .ws_row = job->pty_rows, .ws_col = job->pty_cols };
        (void)ioctl (m, TIOCSWINSZ, &wsz);
    }
    t->io[0].fd = m;
    t->io[0].task = t;
    t->io[0].raw = true;
    if (!(t->io[0].w = eddy_fd_create (r, m, EDDY_POLLIN, pipe_cb, &t->io[0]))) {
        t->io[0].fd = -1;
        goto error;
    }
    eddy_watcher_start (t->io[0].w);
    gt->in = gt->out = gt->err = sl;
    gt->tty = true;
    *in = w;
    job->incomplete++;
    return 0;
error: {
    int e = errno;
    if (m >= 0)
        close (m);
    if (sl >= 0)
        close (sl);
    if (w >= 0)
        close (w);
    errno = e;
    return -1;
}
}

/* The task's pipes: the broker keeps the read ends (watched), the guard
 * gets the write ends in gt.  A stream with an output file (files[k] >= 0)
 * has no pipe: the task writes the file itself (a copy of the descriptor);
 * nor has one whose file the guard opens (GUARD_OPENS: gt's end is -1).
 * With in, the task takes stdin: a pipe whose write end the broker keeps
 * (*in), or with tty a pseudo-terminal for all three streams.
 */
#define GUARD_OPENS (-2)
static int task_pipes (struct sjob *job, struct task *t, struct guard_task *gt, const int files[2],
                       int *in, bool tty)
{
    eddy_reactor_t *r = job->s->ctx->r;
    int fds[2][2] = { { -1, -1 }, { -1, -1 } };

    if (asprintf (&gt->rankenv, "EDDY_TASK_RANK=%d", t->rank) < 0) {
        gt->rankenv = NULL;
        return -1;
    }
    if (in && tty)
        return task_pty (job, t, gt, in);
    if (in) {
        int p[2];
        if (pipe2 (p, O_CLOEXEC) < 0)
            return -1;
        gt->in = p[0];
        *in = p[1];
    }
    for (int k = 0; k < 2; k++) {
        if (files[k] == GUARD_OPENS)
            continue;
        if (files[k] >= 0 ? (fds[k][1] = fcntl (files[k], F_DUPFD_CLOEXEC, 3)) < 0
                          : pipe2 (fds[k], O_CLOEXEC) < 0)
            goto error;
    }
    gt->out = fds[0][1];
    gt->err = fds[1][1];
    job->incomplete++;
    for (int k = 0; k < 2; k++) {
        if (files[k] != -1)
            continue; /* t->io[k].fd stays -1: nothing to read */
        t->io[k].fd = fds[k][0];
        t->io[k].task = t;
        if (set_nonblock (t->io[k].fd) < 0
            || !(t->io[k].w = eddy_fd_create (r, t->io[k].fd, EDDY_POLLIN, pipe_cb, &t->io[k])))
            return -1; /* task_free closes the read ends, the caller gt's */
        eddy_watcher_start (t->io[k].w);
    }
    return 0;
error:
    for (int k = 0; k < 2; k++)
        for (int e = 0; e < 2; e++)
            if (fds[k][e] >= 0)
                close (fds[k][e]);
    return -1;
}

/* Open the job's output files (exec/coord.c made the paths absolute and
 * filled in the templates): stderr shares stdout's file when the paths
 * are equal.  The rank of task 0 truncates them; the coordinator launches
 * the other ranks only after it started, so their output is never lost to
 * that.  0, or -1 with errbuf saying which file and why.
 */
static int open_outputs (json_t *output, bool truncate, int files[2], char *errbuf, size_t len)
{
    static const char *const streams[2] = { "stdout", "stderr" };
    const char *paths[2];
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);

    for (int k = 0; k < 2; k++) {
        files[k] = -1;
        paths[k] = json_string_value (json_object_get (output, streams[k]));
    }
    for (int k = 0; k < 2; k++) {
        if (!paths[k])
            continue;
        if (k == 1 && paths[0] && !strcmp (paths[0], paths[1])) {
            files[1] = files[0];
            break;
        }
        if ((files[k] = open (paths[k], flags, 0666)) < 0) {
            snprintf (errbuf, len, "cannot open %s file %s: %s", streams[k], paths[k],
                      strerror (errno));
            if (k == 1 && files[0] >= 0)
                close (files[0]);
            files[0] = files[1] = -1;
            return -1;
        }
    }
    return 0;
}

static void close_outputs (int files[2])
{
    if (files[0] >= 0)
        close (files[0]);
    if (files[1] >= 0 && files[1] != files[0])
        close (files[1]);
    files[0] = files[1] = -1;
}

static void guard_tasks_free (struct guard_task *gt, int n)
{
    if (gt) {
        for (int i = 0; i < n; i++) {
            if (gt[i].out >= 0)
                close (gt[i].out);
            if (gt[i].err >= 0 && gt[i].err != gt[i].out)
                close (gt[i].err);
            if (gt[i].in >= 0 && gt[i].in != gt[i].out)
                close (gt[i].in);
            if (gt[i].pmi >= 0)
                close (gt[i].pmi);
            free (gt[i].rankenv);
        }
        free (gt);
    }
}

/* ---- binding ---- */

/* The rank's gpus (R's idset text) as CUDA_VISIBLE_DEVICES lists them. */
static char *gpu_list (const char *gpus)
{
    eddy_idset_t *ids = eddy_idset_decode (gpus, NULL);
    char *text = ids ? eddy_idset_encode (ids, 0) : NULL;
    int e = errno;
    eddy_idset_destroy (ids);
    errno = e;
    return text;
}

static void cpus_free (char **cpus, int n)
{
    if (cpus) {
        for (int i = 0; i < n; i++)
            free (cpus[i]);
        free (cpus);
    }
}

/* Each task's OS cpus on this rank (*cpus: job->ntasks strings), or
 * *cpus NULL where they cannot be known (no topology, a core it does not
 * have, as when R comes from a config that is not this node: logged
 * once, the job runs unbound).  -1 only out of memory.
 */
static int task_cpus (struct shell *s, struct sjob *job, const char *cores, int mode, char ***cpus)
{
    eddy_error_t err = { "" };
    char **v;

    *cpus = NULL;
    if (!s->cpubind && !s->cpubind_failed) {
        if (!(s->cpubind = eddy_cpubind_create (&err))) {
            if (errno == ENOMEM)
                return -1;
            exec_log (s->ctx, LOG_WARNING, "no cpu affinity for jobs: %s", err.text);
            s->cpubind_failed = true;
        }
        else if (!eddy_cpubind_is_thissystem (s->cpubind))
            exec_log (s->ctx, LOG_INFO, "the node's topology is not this machine's (synthetic or "
                      "XML): tasks' cpus are shown in EDDY_TASK_CPUS, not applied");
    }
    if (!s->cpubind)
        return 0;
    if (!(v = calloc (job->ntasks, sizeof (*v))))
        return -1;
    for (int i = 0; i < job->ntasks; i++) {
        if (!(v[i] = eddy_cpubind_task_cpus (s->cpubind, cores, mode, i, job->ntasks, &err))) {
            int e = errno;
            cpus_free (v, i);
            if (e == ENOMEM) {
                errno = e;
                return -1;
            }
            if (!s->cpubind_warned)
                exec_log (s->ctx, LOG_WARNING, "job %ju: cores %s: %s: its tasks run unbound "
                          "(and so will other jobs whose cores are not this node's; said once)",
                          (uintmax_t)job->id, cores, err.text);
            s->cpubind_warned = true;
            return 0;
        }
    }
    *cpus = v;
    return 0;
}

/* ---- requests ---- */

static struct sjob *find (struct shell *s, uint64_t id)
{
    for (struct sjob *j = s->jobs; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

static bool valid_command (json_t *cmd)
{
    if (!json_is_array (cmd) || json_array_size (cmd) == 0)
        return false;
    for (size_t i = 0; i < json_array_size (cmd); i++)
        if (!json_is_string (json_array_get (cmd, i)))
            return false;
    return true;
}

void shell_launch (struct shell *s, const eddy_msg_t *msg)
{
    eddy_handle_t *h = s->ctx->h;
    json_int_t id;
    int userid, base, ntasks, size;
    json_t *cmd, *env = NULL, *output = NULL, *pmi = NULL;
    const char *cwd = NULL, *J = NULL, *cores = NULL, *gpus = NULL, *affinity = NULL;
    const char *stdin_ranks = NULL, *gpu_affinity = NULL;
    eddy_idset_t *stdin_set = NULL;
    int *infds = NULL, ninfds = 0, pty = 0;
    json_t *winsize = NULL;
    int nnodes = 1;
    char **cpus = NULL;
    char *gpulist = NULL;
    char **tgpus = NULL; /* per-task gpus (gpu-affinity per-task) */
    int truncate = 0, files[2] = { -1, -1 };
    struct sjob *job = NULL;
    struct spawn sp = { .devnull = -1 };
    struct guard_task *gt = NULL;
    struct guard_spec gs;
    char *path = NULL;
    pid_t *pids = NULL;
    char errbuf[256];

    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        eddy_respond_error (h, msg, EPROTO, "exec.launch needs a streaming request");
        return;
    }
    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg),
                        "{s:I s:i s:i s:i s:i s:o s?o s?s s?o s?b s?s s?o s?s s?s s?i s?s"
                        " s?s s?b s?s s?o}",
                        "id", &id, "userid", &userid, "base", &base, "ntasks", &ntasks, "size",
                        &size, "command", &cmd, "environment", &env, "cwd", &cwd, "output",
                        &output, "truncate", &truncate, "J", &J, "pmi", &pmi, "cores", &cores,
                        "gpus", &gpus, "nnodes", &nnodes, "cpu-affinity", &affinity, "stdin",
                        &stdin_ranks, "pty", &pty, "gpu-affinity", &gpu_affinity, "winsize",
                        &winsize)
               < 0) {
        eddy_respond_error (h, msg, EPROTO, "exec.launch: malformed payload");
        return;
    }
    if (id < 0 || base < 0 || ntasks < 1 || ntasks > 65536 || size < 1 || base > size - ntasks
        || !valid_command (cmd) || (env && !json_is_object (env))) {
        eddy_respond_error (h, msg, EINVAL, "exec.launch: invalid task range, command or environment");
        return;
    }
    int mode = eddy_cpubind_mode_parse (affinity);
    int gmode = eddy_cpubind_mode_parse (gpu_affinity);
    if (mode < 0 || gmode < 0 || nnodes < 1) {
        eddy_respond_error (h, msg, EINVAL,
                            mode < 0    ? "exec.launch: cpu-affinity must be off, on or per-task"
                            : gmode < 0 ? "exec.launch: gpu-affinity must be off, on or per-task"
                                        : "exec.launch: invalid nnodes");
        return;
    }
    if (stdin_ranks && !(stdin_set = eddy_idset_decode (stdin_ranks, NULL))) {
        eddy_respond_error (h, msg, EINVAL, "exec.launch: stdin must be an idset of task ranks");
        return;
    }
    /* another user's job: its guard, eddy-shell, is started by eddy-imp
     * as that user, who signed J */
    bool multiuser = (uint32_t)userid != (uint32_t)getuid ();
    if (multiuser && !s->ctx->imp) {
        eddy_respond_error (h, msg, EPERM, "exec.launch: jobs of other users need eddy-imp (imp in [exec])");
        return;
    }
    if (multiuser && (!J || !s->ctx->guard_exe)) {
        eddy_respond_error (h, msg, EPERM, J ? "exec.launch: eddy-shell not found: cannot run jobs of other users"
                                             : "exec.launch: a job of another user needs its signed jobspec (J)");
        return;
    }
    if (find (s, (uint64_t)id)) {
        eddy_respond_error (h, msg, EEXIST, "exec.launch: job is already running on this rank");
        return;
    }
    if (!(job = calloc (1, sizeof (*job)))
        || !(job->tasks = calloc (ntasks, sizeof (job->tasks[0])))
        || !(infds = calloc (ntasks, sizeof (infds[0])))) {
        if (job)
            free (job->tasks);
        free (job);
        eddy_idset_destroy (stdin_set);
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    for (int i = 0; i < ntasks; i++)
        infds[i] = -1;
    job->s = s;
    job->id = (uint64_t)id;
    int rows = 0, cols = 0;
    if (pty && json_is_object (winsize) && json_unpack (winsize, "{s:i s:i}", "rows", &rows, "cols", &cols) == 0
        && rows > 0 && rows <= 65535 && cols > 0 && cols <= 65535) {
        job->pty_rows = (unsigned short)rows;
        job->pty_cols = (unsigned short)cols;
    }
    job->epoch = s->epoch;
    job->req = eddy_msg_incref (msg);
    job->report = job->lifeline = -1;
    job->next = s->jobs;
    if (s->jobs)
        s->jobs->prev = job;
    s->jobs = job;
    for (int i = 0; i < ntasks; i++) {
        job->tasks[i].job = job;
        job->tasks[i].rank = base + i;
        for (int k = 0; k < 2; k++)
            job->tasks[i].io[k].fd = -1;
    }
    job->ntasks = ntasks;
    if (!(job->cj = contain_job_create (s->contain, job->id))) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: %s", strerror (errno));
        goto error;
    }
    if (json_is_null (pmi))
        pmi = NULL;
    /* gpu-affinity off: the submitter's own variables pass */
    if (gmode != EDDY_CPUBIND_OFF && gpus && gpus[0] && !(gpulist = gpu_list (gpus))) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: gpus: %s", strerror (errno));
        goto error;
    }
    if (cores && mode != EDDY_CPUBIND_OFF && task_cpus (s, job, cores, mode, &cpus) < 0) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s", strerror (errno));
        goto error;
    }
    struct rankinfo ri = { .nnodes = nnodes, .gpus = gpulist, .cpus = cpus != NULL };
    if (spawn_prepare (s, &sp, job->id, size, cmd, env, cwd, (uint32_t)userid, pmi != NULL, &ri) < 0) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s", strerror (errno));
        goto error;
    }
    /* another user's files are opened by the guard, as that user: the
     * broker's user may not write where the job's may, and the file is
     * to be the user's */
    const char *gfiles[2] = { NULL, NULL };
    if (output && multiuser) {
        for (int k = 0; k < 2; k++)
            if ((gfiles[k] = json_string_value (json_object_get (output, stream_names[k]))))
                files[k] = GUARD_OPENS;
    }
    else if (output && open_outputs (output, truncate, files, errbuf, sizeof (errbuf)) < 0) {
        errno = EINVAL;
        goto error;
    }
    if (!(gt = calloc (ntasks, sizeof (gt[0]))) || !(pids = calloc (ntasks, sizeof (pids[0])))) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s", strerror (errno));
        goto error;
    }
    if (gpulist && gmode == EDDY_CPUBIND_PER_TASK) {
        if (!(tgpus = calloc (ntasks, sizeof (tgpus[0])))) {
            snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s",
                      strerror (errno));
            goto error;
        }
        for (int i = 0; i < ntasks; i++)
            if (!(tgpus[i] = eddy_cpubind_task_gpus (gpus, gmode, i, ntasks))) {
                snprintf (errbuf, sizeof (errbuf), "exec.launch: gpus %s: %s", gpus,
                          strerror (errno));
                goto error;
            }
    }
    for (int i = 0; i < ntasks; i++) {
        gt[i].out = gt[i].err = gt[i].pmi = gt[i].in = -1;
        gt[i].cpus = cpus ? cpus[i] : NULL;
        gt[i].gpus = tgpus ? tgpus[i] : NULL;
    }
    if (pmi) {
        int *fds = calloc (ntasks, sizeof (int));
        if (!fds) {
            snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s", strerror (errno));
            goto error;
        }
        job->pmi = pmi_job_create (s->ctx, job->id, job->req, pmi, base, ntasks, size, fds, errbuf,
                                   sizeof (errbuf));
        for (int i = 0; i < ntasks; i++)
            gt[i].pmi = fds[i];
        free (fds);
        if (!job->pmi)
            goto error;
    }
    for (int i = 0; i < ntasks; i++) {
        struct task *t = &job->tasks[i];
        for (int k = 0; k < 2; k++)
            if (!(t->io[k].buf = eddy_iobuf_create (stream_names[k], t->rank)))
                break;
        bool takes = stdin_set && eddy_idset_test (stdin_set, (unsigned)t->rank);
        if (!t->io[0].buf || !t->io[1].buf
            || task_pipes (job, t, &gt[i], files, takes ? &infds[i] : NULL, pty && t->rank == 0)
                   < 0) {
            snprintf (errbuf, sizeof (errbuf), "exec.launch: task %d: %s", t->rank, strerror (errno));
            goto error;
        }
    }
    /* resolved here, where malloc is allowed; a command the PATH does not
     * name is left to execvp in the task, which says why it cannot run */
    path = resolve (sp.argv[0], sp.envp);
    gs = (struct guard_spec){ .argv = sp.argv, .envp = sp.envp, .rank_slot = sp.rank_slot,
                              .path = path, .cwd = sp.cwd, .devnull = sp.devnull,
                              .cgroup = contain_job_cgroup (job->cj),
                              .ntasks = ntasks, .tasks = gt, .pids = pids,
                              .exe = s->ctx->guard_exe,
                              .imp = multiuser ? s->ctx->imp : NULL, .J = multiuser ? J : NULL,
                              .files = { gfiles[0], gfiles[1] }, .truncate = truncate,
                              .bind = eddy_cpubind_is_thissystem (s->cpubind) };
    if ((job->guard = guard_start (&gs, &job->report, &job->lifeline)) < 0) {
        job->guard = 0;
        snprintf (errbuf, sizeof (errbuf), "exec.launch: starting the job's guard: %s",
                  strerror (errno));
        goto error;
    }
    contain_job_guard (job->cj, job->guard);
    job->unreaped = ntasks;
    if (!(job->rw = eddy_fd_create (s->ctx->r, job->report, EDDY_POLLIN, report_cb, job))) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: watching the guard: %s", strerror (errno));
        goto error; /* sjob_free lets the guard go: it kills the tasks */
    }
    eddy_watcher_start (job->rw);
    /* the write ends of the tasks' stdin: without them (no memory) the
     * tasks read EOF at once */
    for (int i = 0; i < ntasks; i++)
        if (infds[i] >= 0)
            infds[ninfds++] = infds[i];
    if (ninfds > 0
        && !(job->input = taskin_create (h, s->ctx->r, ninfds, infds, pty && base == 0))) {
        exec_log (s->ctx, LOG_ERR, "job %ju: its tasks' stdin: %s", (uintmax_t)job->id,
                  strerror (errno));
        for (int i = 0; i < ninfds; i++)
            close (infds[i]);
    }
    ninfds = 0;
    free (infds);
    eddy_idset_destroy (stdin_set);
    close_outputs (files);
    guard_tasks_free (gt, ntasks);
    cpus_free (cpus, ntasks);
    free (gpulist);
    cpus_free (tgpus, ntasks);
    free (pids);
    free (path);
    spawn_free (&sp);
    /* another user's files, truncated by this rank's guard as the user:
     * the job's other ranks, which rank 0's "start" lets go, must not
     * write before the guard has truncated them */
    if (truncate && (gfiles[0] || gfiles[1]))
        job->start_held = true;
    else
        eddy_respond_pack (h, msg, "{s:I s:s}", "id", (json_int_t)job->id, "type", "start");
    return;
error:
    for (int i = 0; infds && i < ntasks; i++)
        if (infds[i] >= 0)
            close (infds[i]);
    free (infds);
    eddy_idset_destroy (stdin_set);
    close_outputs (files);
    guard_tasks_free (gt, ntasks);
    cpus_free (cpus, ntasks);
    free (gpulist);
    cpus_free (tgpus, ntasks);
    free (pids);
    free (path);
    spawn_free (&sp);
    eddy_respond_error (h, msg, errno ? errno : EIO, errbuf);
    sjob_free (job);
}

void shell_pmi (struct shell *s, const eddy_msg_t *msg)
{
    json_int_t id;
    struct sjob *job;

    if (!eddy_msg_payload (msg) || json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (s->ctx->h, msg, EPROTO, "exec.pmi: malformed payload");
        return;
    }
    /* the coordinator launches every rank at once, but a child's request
     * may still come first: it asks again */
    if (id < 0 || !(job = find (s, (uint64_t)id)) || !job->pmi) {
        eddy_respond_error (s->ctx->h, msg, EAGAIN, "exec.pmi: the job has no PMI here (yet)");
        return;
    }
    pmi_job_request (job->pmi, msg);
}

/* exec.input: a chunk of the job's stdin for its tasks here (taskin.h). */
void shell_input (struct shell *s, const eddy_msg_t *msg)
{
    json_int_t id;
    struct sjob *job;

    if (!eddy_msg_payload (msg) || json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (s->ctx->h, msg, EPROTO, "exec.input: malformed payload");
        return;
    }
    if (id < 0 || !(job = find (s, (uint64_t)id))) {
        eddy_respond_error (s->ctx->h, msg, ENOENT, "exec.input: no such job on this rank");
        return;
    }
    if (!job->input) {
        eddy_respond_error (s->ctx->h, msg, EPIPE,
                            "exec.input: no task of the job takes stdin here");
        return;
    }
    taskin_request (job->input, msg);
}

void shell_signal (struct shell *s, const eddy_msg_t *msg)
{
    json_int_t id;
    int signum;
    struct sjob *job;

    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:I s:i}", "id", &id, "signal", &signum) < 0) {
        eddy_respond_error (s->ctx->h, msg, EPROTO, "exec.signal: malformed payload");
        return;
    }
    if (signum < 0 || signum >= NSIG) {
        eddy_respond_error (s->ctx->h, msg, EINVAL, "exec.signal: invalid signal");
        return;
    }
    if (id < 0 || !(job = find (s, (uint64_t)id))) {
        eddy_respond_error (s->ctx->h, msg, ENOENT, "exec.signal: no such job on this rank");
        return;
    }
    /* the guard signals the job's process group; SIGKILL kills every
     * process of the job, in whatever group or session */
    struct guard_request req = { signum };
    if (signum != 0 && job->unreaped > 0 && job->lifeline >= 0
        && write (job->lifeline, &req, sizeof (req)) != (ssize_t)sizeof (req)) {
        eddy_respond_error (s->ctx->h, msg, errno, "exec.signal: the job's guard is not listening");
        return;
    }
    eddy_respond (s->ctx->h, msg, NULL);
}

/* A job of a rank 0 that is gone (why): its tasks are killed.  A guard
 * that does not take the request is gone, and its report pipe says so:
 * report_cb ends the job then.
 */
static void kill_stale (struct shell *s, struct sjob *job, const char *why)
{
    struct guard_request req = { SIGKILL };

    job->stale = true;
    exec_log (s->ctx, LOG_NOTICE, "job %ju: %s, its tasks are killed", (uintmax_t)job->id, why);
    if (job->unreaped > 0 && job->lifeline >= 0
        && write (job->lifeline, &req, sizeof (req)) != (ssize_t)sizeof (req))
        exec_log (s->ctx, LOG_ERR, "job %ju: its guard is not listening: %s", (uintmax_t)job->id,
                  strerror (errno));
}

/* A rank 0 started again knows nothing of the jobs its predecessor left
 * running here (it ended them with the restart exception and freed their
 * resources): their tasks are SIGKILLed through the guard, as at job end,
 * and the jobs finish as the guard reports; their streams lead nowhere.
 * A job launched before any epoch was seen takes the first one.
 */
void shell_epoch (struct shell *s, uint64_t epoch)
{
    if (epoch == 0)
        return;
    s->epoch = epoch;
    for (struct sjob *job = s->jobs; job; job = job->next) {
        if (job->epoch == 0)
            job->epoch = epoch;
        if (job->epoch == epoch || job->stale)
            continue;
        kill_stale (s, job, "rank 0 restarted");
    }
}

void shell_records_dir (struct shell *s, const char *dir)
{
    contain_set_dir (s->contain, dir);
}

/* Cut off from rank 0 (overlay.cutoff: the parent is gone): rank 0 has
 * failed every job with a task here (node-failure), so the tasks are
 * killed as a stale epoch's are.
 */
void shell_cutoff (struct shell *s)
{
    for (struct sjob *job = s->jobs; job; job = job->next) {
        if (job->stale)
            continue;
        kill_stale (s, job, "cut off from rank 0");
    }
}

struct shell *shell_create (struct exec_ctx *ctx)
{
    struct shell *s = calloc (1, sizeof (*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    if (!(s->flush = eddy_check_create (ctx->r, flush_cb, s))
        || !(s->reap = eddy_timer_create (ctx->r, REAP_POLL_PERIOD, REAP_POLL_PERIOD, reap_cb, s))
        || !(s->contain = contain_create (ctx))) {
        eddy_watcher_destroy (s->flush);
        eddy_watcher_destroy (s->reap);
        free (s);
        return NULL;
    }
    return s;
}

/* Unloading: tasks still running are killed; their streams end with
 * ECANCELED.
 */
void shell_destroy (struct shell *s)
{
    if (s) {
        int saved_errno = errno;
        while (s->jobs) {
            eddy_respond_error (s->ctx->h, s->jobs->req, ECANCELED, "exec module unloaded");
            sjob_free (s->jobs);
        }
        while (s->orphans) {
            orphan_reaped (s->orphans);
            orphan_free (s->orphans);
        }
        eddy_watcher_destroy (s->flush);
        eddy_watcher_destroy (s->reap);
        contain_destroy (s->contain);
        eddy_cpubind_destroy (s->cpubind);
        free (s);
        errno = saved_errno;
    }
}
