/* shell.c - the job shell, acted by the exec module on every rank (real
 * backend): exec.launch forks a job's tasks on this rank, exec.signal
 * signals them.
 *
 * Each task is forked into the job's process group on this rank (the first
 * task leads it), with stdin from /dev/null and stdout/stderr on pipes read
 * by non-blocking fd watchers.  A task is reaped through its pidfd
 * (pidfd_open + an fd watcher, then waitpid on that pid only): no SIGCHLD
 * handler, no process-wide signal state.  Where pidfd_open is missing
 * (ENOSYS: Linux < 5.3, valgrind) a timer polls waitpid (pid, WNOHANG)
 * for those tasks instead.  Output leaves as
 * {type:"output", entries} responses on the launch stream, coalesced to one
 * per job per reactor iteration by a check watcher; once every task has
 * exited and both its pipes reached EOF the stream gets {type:"finish",
 * status} (the highest wait status on this rank) and ENODATA.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "engine/util/fluid.h"
#include "exec/exec_impl.h"
#include "exec/iobuf.h"

extern char **environ;

struct sjob;

struct pipe_in {
    struct task *task;
    int fd;
    eddy_watcher_t *w;
    eddy_iobuf_t *buf;
};

struct task {
    struct sjob *job;
    int rank; /* global task rank */
    pid_t pid;
    int pidfd;
    eddy_watcher_t *pw;
    bool exited;
    int status;
    struct pipe_in io[2]; /* stdout, stderr */
};

struct sjob {
    struct shell *s;
    uint64_t id;
    const eddy_msg_t *req; /* the exec.launch stream (a reference) */
    pid_t pgid;
    int ntasks;
    struct task *tasks;
    int unreaped;   /* tasks not yet reaped: the process group is ours */
    int incomplete; /* tasks not exited or with a pipe open */
    int status;
    json_t *pending; /* output entries not yet sent, or NULL */
    bool queued;
    struct sjob *next, *prev; /* all jobs of this rank (newest first) */
    struct sjob *qnext;       /* flush queue */
};

/* A task killed when its job was torn down early: reaped when it dies. */
struct orphan {
    struct shell *s;
    pid_t pid;
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
    int npolled;          /* tasks and orphans without a pidfd */
};

/* Without pidfds (kernels before 5.3, valgrind) tasks are reaped by
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
    eddy_watcher_destroy (t->pw);
    if (t->pidfd >= 0)
        close (t->pidfd);
}

static void orphan_free (struct orphan *o)
{
    struct shell *s = o->s;
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

static void orphan_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct orphan *o = arg;
    if (waitpid (o->pid, NULL, WNOHANG) != 0)
        orphan_free (o);
}

/* Hand a task that was sent SIGKILL to the reaper (it takes the pidfd).
 * Without memory to track it, the task stays a zombie until the broker
 * exits.
 */
static void orphan_add (struct shell *s, struct task *t)
{
    struct orphan *o = calloc (1, sizeof (*o));
    if (!o)
        return;
    o->s = s;
    o->pid = t->pid;
    o->pidfd = t->pidfd;
    if (o->pidfd >= 0) {
        if (!(o->w = eddy_fd_create (s->ctx->r, o->pidfd, EDDY_POLLIN, orphan_cb, o))) {
            free (o);
            return;
        }
        eddy_watcher_start (o->w);
    } else {
        s->npolled++;
        eddy_watcher_start (s->reap);
    }
    t->pidfd = -1;
    o->next = s->orphans;
    if (s->orphans)
        s->orphans->prev = o;
    s->orphans = o;
}

static void sjob_free (struct sjob *job)
{
    if (job) {
        struct shell *s = job->s;
        if (job->unreaped > 0 && job->pgid > 0)
            killpg (job->pgid, SIGKILL);
        for (int i = 0; i < job->ntasks; i++) {
            struct task *t = &job->tasks[i];
            if (t->pid > 0 && !t->exited) {
                if (t->pidfd < 0)
                    s->npolled--;
                if (waitpid (t->pid, NULL, WNOHANG) == 0)
                    orphan_add (s, t);
            }
            task_free (t);
        }
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

/* ---- reaping ---- */

/* waitpid on this task only (never another child of the broker); true
 * once it is reaped.
 */
static bool task_reap (struct task *t)
{
    struct sjob *job = t->job;
    int status;
    pid_t rc = waitpid (t->pid, &status, WNOHANG);

    if (rc == 0)
        return false;
    if (rc < 0) {
        exec_log (job->s->ctx, LOG_ERR, "job %ju task %d: waitpid: %s", (uintmax_t)job->id,
                  t->rank, strerror (errno));
        status = 0;
    }
    t->exited = true;
    t->status = status;
    if (status > job->status)
        job->status = status;
    job->unreaped--;
    eddy_watcher_destroy (t->pw);
    t->pw = NULL;
    if (t->pidfd >= 0)
        close (t->pidfd);
    else
        job->s->npolled--;
    t->pidfd = -1;
    task_check_complete (t);
    return true;
}

static void pidfd_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    task_reap (arg);
}

static void reap_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct shell *s = arg;
    struct sjob *job = s->jobs;

    while (job) {
        /* reaping may complete the job, but it is freed only by flush_cb */
        for (int i = 0; i < job->ntasks; i++) {
            struct task *t = &job->tasks[i];
            if (t->pid > 0 && !t->exited && t->pidfd < 0)
                task_reap (t);
        }
        job = job->next;
    }
    struct orphan *o = s->orphans;
    while (o) {
        struct orphan *next = o->next;
        if (o->pidfd < 0 && waitpid (o->pid, NULL, WNOHANG) != 0)
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

static bool is_ours (const char *key, size_t len)
{
    static const char *const ours[] = { "EDDY_JOB_ID", "EDDY_TASK_RANK", "EDDY_JOB_SIZE", "EDDY_URI" };
    for (size_t i = 0; i < sizeof (ours) / sizeof (ours[0]); i++)
        if (strlen (ours[i]) == len && !strncmp (ours[i], key, len))
            return true;
    return false;
}

static int spawn_prepare (struct shell *s, struct spawn *sp, uint64_t id, int size, json_t *cmd,
                          json_t *env, const char *cwd)
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
    if (!(sp->envp = calloc (nenv + 5, sizeof (char *))))
        return -1;
    if (env) {
        const char *key;
        json_t *v;
        json_object_foreach (env, key, v) {
            if (is_ours (key, strlen (key)) || !json_is_string (v))
                continue;
            if (env_add (sp->envp, &n, key, json_string_value (v)) < 0)
                return -1;
        }
    } else {
        for (size_t i = 0; environ[i]; i++) {
            const char *eq = strchr (environ[i], '=');
            if (!eq || is_ours (environ[i], eq - environ[i]))
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
    sp->rank_slot = n;
    if (env_add (sp->envp, &n, "EDDY_TASK_RANK", "0") < 0)
        return -1;
    if ((sp->devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    return 0;
}

/* Write "eddy-exec: WHAT: <errno>\n" with async-signal-safe calls only. */
static void child_fail (const char *what, int errnum)
{
    char num[16];
    int i = sizeof (num);
    unsigned v = (unsigned)errnum;
    const char *name = errnum == ENOENT ? "No such file or directory"
                       : errnum == EACCES ? "Permission denied"
                       : errnum == ENOTDIR ? "Not a directory"
                                           : NULL;
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    (void)!write (STDERR_FILENO, "eddy-exec: ", 11);
    (void)!write (STDERR_FILENO, what, strlen (what));
    if (name) {
        (void)!write (STDERR_FILENO, ": ", 2);
        (void)!write (STDERR_FILENO, name, strlen (name));
    }
    (void)!write (STDERR_FILENO, " (errno ", 8);
    (void)!write (STDERR_FILENO, num + i, sizeof (num) - i);
    (void)!write (STDERR_FILENO, ")\n", 2);
}

static void child (const struct spawn *sp, pid_t pgid, int out, int err)
{
    struct sigaction sa;
    sigset_t none;

    setpgid (0, pgid);
    dup2 (sp->devnull, STDIN_FILENO);
    dup2 (out, STDOUT_FILENO);
    dup2 (err, STDERR_FILENO);
    /* nothing of the broker's (sockets, pipes of other tasks) leaks in */
    close_range (3, ~0U, 0);
    memset (&sa, 0, sizeof (sa));
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction (sig, &sa, NULL);
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    if (sp->cwd && chdir (sp->cwd) < 0) {
        child_fail (sp->cwd, errno);
        _exit (126);
    }
    environ = sp->envp; /* execvp searches the job's PATH */
    execvp (sp->argv[0], sp->argv);
    child_fail (sp->argv[0], errno);
    _exit (errno == ENOENT ? 127 : 126);
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

/* Start a task without copying the broker's address space (a vfork-style
 * posix_spawn): fork () costs time in proportion to the broker's memory.
 * Returns 0, or an error number; then the caller falls back to fork (),
 * whose child reports why the command cannot run.
 */
static int spawn_fast (const struct spawn *sp, pid_t pgid, int out, int err, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t all, none;
    char *path = resolve (sp->argv[0], sp->envp);
    int rc;

    if (!path)
        return ENOENT;
    posix_spawn_file_actions_init (&fa);
    posix_spawnattr_init (&at);
    sigfillset (&all);
    sigdelset (&all, SIGKILL);
    sigdelset (&all, SIGSTOP);
    sigemptyset (&none);
    if ((rc = posix_spawn_file_actions_adddup2 (&fa, sp->devnull, STDIN_FILENO))
        || (rc = posix_spawn_file_actions_adddup2 (&fa, out, STDOUT_FILENO))
        || (rc = posix_spawn_file_actions_adddup2 (&fa, err, STDERR_FILENO))
        || (rc = posix_spawn_file_actions_addclosefrom_np (&fa, 3))
        || (sp->cwd && (rc = posix_spawn_file_actions_addchdir_np (&fa, sp->cwd)))
        || (rc = posix_spawnattr_setsigdefault (&at, &all))
        || (rc = posix_spawnattr_setsigmask (&at, &none))
        || (rc = posix_spawnattr_setpgroup (&at, pgid))
        || (rc = posix_spawnattr_setflags (&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
                                                    | POSIX_SPAWN_SETPGROUP)))
        goto done;
    rc = posix_spawn (pid, path, &fa, &at, sp->argv, sp->envp);
done:
    posix_spawnattr_destroy (&at);
    posix_spawn_file_actions_destroy (&fa);
    free (path);
    return rc;
}

static int set_nonblock (int fd)
{
    int fl = fcntl (fd, F_GETFL);
    return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

static int task_spawn (struct sjob *job, struct task *t, struct spawn *sp)
{
    eddy_reactor_t *r = job->s->ctx->r;
    int fds[2][2] = { { -1, -1 }, { -1, -1 } };
    char rankenv[32];

    snprintf (rankenv, sizeof (rankenv), "EDDY_TASK_RANK=%d", t->rank);
    char *saved = sp->envp[sp->rank_slot];
    sp->envp[sp->rank_slot] = rankenv;
    if (pipe2 (fds[0], O_CLOEXEC) < 0 || pipe2 (fds[1], O_CLOEXEC) < 0)
        goto error;
    pid_t pid;
    if (spawn_fast (sp, job->pgid, fds[0][1], fds[1][1], &pid) != 0) {
        if ((pid = fork ()) < 0)
            goto error;
        if (pid == 0)
            child (sp, job->pgid, fds[0][1], fds[1][1]);
    }
    sp->envp[sp->rank_slot] = saved;
    /* both sides set the group, so it is right whichever runs first */
    if (job->pgid == 0)
        job->pgid = pid;
    setpgid (pid, job->pgid);
    t->pid = pid;
    job->unreaped++;
    job->incomplete++;
    for (int k = 0; k < 2; k++) {
        close (fds[k][1]);
        t->io[k].fd = fds[k][0];
        fds[k][0] = fds[k][1] = -1;
        t->io[k].task = t;
        if (set_nonblock (t->io[k].fd) < 0
            || !(t->io[k].w = eddy_fd_create (r, t->io[k].fd, EDDY_POLLIN, pipe_cb, &t->io[k])))
            goto fail_running;
        eddy_watcher_start (t->io[k].w);
    }
    if ((t->pidfd = pidfd_open (pid, 0)) < 0) {
        if (errno != ENOSYS)
            goto fail_running;
        job->s->npolled++;
        eddy_watcher_start (job->s->reap);
        return 0;
    }
    if (!(t->pw = eddy_fd_create (r, t->pidfd, EDDY_POLLIN, pidfd_cb, t)))
        goto fail_running;
    eddy_watcher_start (t->pw);
    return 0;
fail_running:
    /* the task runs but cannot be watched: kill it; sjob_free hands it to
     * the reaper (polled if it has no pidfd) */
    if (t->pidfd < 0)
        job->s->npolled++;
    kill (pid, SIGKILL);
    return -1;
error:
    sp->envp[sp->rank_slot] = saved;
    for (int k = 0; k < 2; k++)
        for (int e = 0; e < 2; e++)
            if (fds[k][e] >= 0)
                close (fds[k][e]);
    return -1;
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
    json_t *cmd, *env = NULL;
    const char *cwd = NULL;
    struct sjob *job = NULL;
    struct spawn sp = { .devnull = -1 };
    char errbuf[256];

    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        eddy_respond_error (h, msg, EPROTO, "exec.launch needs a streaming request");
        return;
    }
    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:I s:i s:i s:i s:i s:o s?o s?s}", "id", &id,
                        "userid", &userid, "base", &base, "ntasks", &ntasks, "size", &size,
                        "command", &cmd, "environment", &env, "cwd", &cwd)
               < 0) {
        eddy_respond_error (h, msg, EPROTO, "exec.launch: malformed payload");
        return;
    }
    if (id < 0 || base < 0 || ntasks < 1 || ntasks > 65536 || size < 1 || base > size - ntasks
        || !valid_command (cmd) || (env && !json_is_object (env))) {
        eddy_respond_error (h, msg, EINVAL, "exec.launch: invalid task range, command or environment");
        return;
    }
    if ((uint32_t)userid != (uint32_t)getuid ()) {
        eddy_respond_error (h, msg, EPERM, "exec.launch: jobs of other users need eddy-imp");
        return;
    }
    if (find (s, (uint64_t)id)) {
        eddy_respond_error (h, msg, EEXIST, "exec.launch: job is already running on this rank");
        return;
    }
    if (!(job = calloc (1, sizeof (*job))) || !(job->tasks = calloc (ntasks, sizeof (job->tasks[0])))) {
        free (job);
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    job->s = s;
    job->id = (uint64_t)id;
    job->req = eddy_msg_incref (msg);
    job->next = s->jobs;
    if (s->jobs)
        s->jobs->prev = job;
    s->jobs = job;
    for (int i = 0; i < ntasks; i++) {
        job->tasks[i].job = job;
        job->tasks[i].rank = base + i;
        job->tasks[i].pidfd = -1;
        for (int k = 0; k < 2; k++)
            job->tasks[i].io[k].fd = -1;
    }
    job->ntasks = ntasks;
    if (spawn_prepare (s, &sp, job->id, size, cmd, env, cwd) < 0) {
        snprintf (errbuf, sizeof (errbuf), "exec.launch: preparing the tasks: %s", strerror (errno));
        goto error;
    }
    for (int i = 0; i < ntasks; i++) {
        struct task *t = &job->tasks[i];
        for (int k = 0; k < 2; k++)
            if (!(t->io[k].buf = eddy_iobuf_create (stream_names[k], t->rank)))
                break;
        if (!t->io[0].buf || !t->io[1].buf || task_spawn (job, t, &sp) < 0) {
            snprintf (errbuf, sizeof (errbuf), "exec.launch: task %d: %s", t->rank, strerror (errno));
            goto error;
        }
    }
    spawn_free (&sp);
    eddy_respond_pack (h, msg, "{s:I s:s}", "id", (json_int_t)job->id, "type", "start");
    return;
error:
    spawn_free (&sp);
    eddy_respond_error (h, msg, errno ? errno : EIO, errbuf);
    sjob_free (job);
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
    /* while a task is unreaped the group id cannot name anyone else's */
    if (job->unreaped > 0 && killpg (job->pgid, signum) < 0 && errno != ESRCH) {
        eddy_respond_error (s->ctx->h, msg, errno, "exec.signal: killpg failed");
        return;
    }
    eddy_respond (s->ctx->h, msg, NULL);
}

struct shell *shell_create (struct exec_ctx *ctx)
{
    struct shell *s = calloc (1, sizeof (*s));
    if (!s)
        return NULL;
    s->ctx = ctx;
    if (!(s->flush = eddy_check_create (ctx->r, flush_cb, s))
        || !(s->reap = eddy_timer_create (ctx->r, REAP_POLL_PERIOD, REAP_POLL_PERIOD, reap_cb, s))) {
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
            waitpid (s->orphans->pid, NULL, WNOHANG);
            orphan_free (s->orphans);
        }
        eddy_watcher_destroy (s->flush);
        eddy_watcher_destroy (s->reap);
        free (s);
        errno = saved_errno;
    }
}
