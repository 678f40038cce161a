/* perilog.c - exec.perilog: run a job's prolog or epilog command on this
 * rank, in a process group of its own, and answer with its wait status.
 * At its timeout the group gets SIGTERM, then SIGKILL after the exec
 * kill-timeout; the answer then says timed out.  With [exec] imp set, the
 * command is `IMP run prolog|epilog` (the IMP runs what its own
 * configuration names, as root).  The sim backend runs nothing and
 * answers success at once.
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

#include "exec/exec_impl.h"

extern char **environ;

/* Without a pidfd (old kernels, valgrind) the child is polled this often. */
#define PERILOG_POLL 0.05

struct prun {
    struct perilog *p;
    eddy_msg_t *req;
    char name[16];
    uint64_t id;
    pid_t pid;
    int pidfd;
    eddy_watcher_t *reap_w;  /* pidfd readable, or the poll timer */
    eddy_watcher_t *timer_w; /* timeout, then the SIGKILL grace */
    bool timedout;
    bool killed;
    bool imp;          /* run through the IMP (as root) */
    pid_t kill_pid[2]; /* IMP kill helpers, reaped with the command */
    struct prun *prev, *next;
};

struct perilog {
    struct exec_ctx *ctx;
    char *imp; /* [exec] imp: the IMP's path, or NULL */
    struct prun *runs;
};

static void prun_free (struct prun *pr)
{
    if (pr) {
        for (int i = 0; i < 2; i++)
            if (pr->kill_pid[i] > 0)
                waitpid (pr->kill_pid[i], NULL, WNOHANG);
        eddy_watcher_destroy (pr->reap_w);
        eddy_watcher_destroy (pr->timer_w);
        if (pr->pidfd >= 0)
            close (pr->pidfd);
        eddy_msg_decref (pr->req);
        if (pr->prev)
            pr->prev->next = pr->next;
        else if (pr->p)
            pr->p->runs = pr->next;
        if (pr->next)
            pr->next->prev = pr->prev;
        free (pr);
    }
}

/* Signal the command's process group; through the IMP the command runs as
 * root, so only `IMP kill` may signal it.
 */
static void prun_signal (struct prun *pr, int sig)
{
    if (!pr->imp || !pr->p->imp) { /* (imp unset by a reload since) */
        kill (-pr->pid, sig);
        return;
    }
    char s[16], pid[24];
    char *argv[] = { pr->p->imp, "kill", s, pid, NULL };
    pid_t k;
    snprintf (s, sizeof (s), "%d", sig);
    snprintf (pid, sizeof (pid), "-%d", (int)pr->pid);
    if (posix_spawn (&k, pr->p->imp, NULL, NULL, argv, environ) == 0)
        pr->kill_pid[sig == SIGKILL] = k; /* short-lived: reaped with the command */
}

static void timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct prun *pr = arg;
    struct exec_ctx *ctx = pr->p->ctx;

    eddy_watcher_stop (w);
    if (!pr->timedout) {
        pr->timedout = true;
        exec_log (ctx, LOG_ERR, "job %ju: %s timed out: SIGTERM", (uintmax_t)pr->id, pr->name);
        prun_signal (pr, SIGTERM);
        eddy_timer_set (w, ctx->kill_timeout, 0);
        eddy_watcher_start (w);
    }
    else if (!pr->killed) {
        pr->killed = true;
        exec_log (ctx, LOG_ERR, "job %ju: %s still there: SIGKILL", (uintmax_t)pr->id, pr->name);
        prun_signal (pr, SIGKILL);
    }
}

static void reap_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct prun *pr = arg;
    int status = 0;

    if (waitpid (pr->pid, &status, WNOHANG) == 0)
        return;
    if (!pr->killed && pr->timedout)
        kill (-pr->pid, SIGKILL); /* what the command left behind */
    eddy_respond_pack (pr->p->ctx->h, pr->req, "{s:i s:b}", "status", status, "timedout",
                       pr->timedout);
    prun_free (pr);
}

/* argv for the command: [IMP, run, name] or the command itself (NULL-ended,
 * borrowing from cmd).
 */
static char **make_argv (struct perilog *p, bool imp, const char *name, json_t *cmd)
{
    size_t n = imp ? 3 : json_array_size (cmd);
    char **argv = calloc (n + 1, sizeof (*argv));
    if (!argv)
        return NULL;
    if (imp) {
        argv[0] = p->imp;
        argv[1] = "run";
        argv[2] = (char *)name;
        return argv;
    }
    for (size_t i = 0; i < n; i++)
        argv[i] = (char *)json_string_value (json_array_get (cmd, i));
    return argv;
}

/* The broker's environment with the job's variables (env, strings) over it. */
static char **make_env (json_t *env, char *store, size_t len)
{
    size_t n = 0, off = 0, k = 0;
    const char *key;
    json_t *v;

    while (environ[n])
        n++;
    char **envp = calloc (n + json_object_size (env) + 1, sizeof (*envp));
    if (!envp)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr (environ[i], '=');
        if (eq && json_object_getn (env, environ[i], (size_t)(eq - environ[i])))
            continue; /* replaced below */
        envp[k++] = environ[i];
    }
    json_object_foreach (env, key, v) {
        int w = snprintf (store + off, len - off, "%s=%s", key, json_string_value (v));
        if (w < 0 || (size_t)w >= len - off) {
            free (envp);
            errno = E2BIG;
            return NULL;
        }
        envp[k++] = store + off;
        off += (size_t)w + 1;
    }
    return envp;
}

static int spawn (struct prun *pr, char **argv, char **envp)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    sigset_t none;
    int rc;

    sigemptyset (&none);
    posix_spawnattr_init (&attr);
    posix_spawn_file_actions_init (&fa);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup (&attr, 0);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = posix_spawnp (&pr->pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy (&fa);
    posix_spawnattr_destroy (&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

/* exec.perilog {id, name, command: [..], timeout (s, 0: none), env: {..},
 * imp (default true: through the IMP when [exec] imp is set; false: the
 * command as is, as the broker's user, for eddy perilog-run)}
 * -> {status, timedout}, once the command is done.
 */
void perilog_run (struct perilog *p, const eddy_msg_t *msg)
{
    struct exec_ctx *ctx = p->ctx;
    json_t *cmd, *env = NULL, *v;
    json_int_t id;
    const char *name;
    double timeout = 0;
    int use_imp = 1;
    char text[256], store[4096];
    char **argv = NULL, **envp = NULL;
    struct prun *pr = NULL;
    size_t i;

    if (json_unpack (eddy_msg_payload (msg), "{s:I s:s s:o s?F s?o s?b}", "id", &id, "name",
                     &name, "command", &cmd, "timeout", &timeout, "env", &env, "imp", &use_imp)
            < 0
        || (strcmp (name, "prolog") && strcmp (name, "epilog")) || !json_is_array (cmd)
        || json_array_size (cmd) == 0 || !(timeout >= 0) || (env && !json_is_object (env))) {
        eddy_respond_error (ctx->h, msg, EPROTO, "exec.perilog: malformed request");
        return;
    }
    json_array_foreach (cmd, i, v) {
        if (!json_is_string (v)) {
            eddy_respond_error (ctx->h, msg, EPROTO, "exec.perilog: command must be strings");
            return;
        }
    }
    if (env) {
        const char *key;
        json_object_foreach (env, key, v) {
            if (!json_is_string (v) || !*key || strchr (key, '=')) {
                eddy_respond_error (ctx->h, msg, EPROTO, "exec.perilog: env must be strings");
                return;
            }
        }
    }
    if (ctx->sim) {
        eddy_respond_pack (ctx->h, msg, "{s:i s:b}", "status", 0, "timedout", 0);
        return;
    }
    if (!(pr = calloc (1, sizeof (*pr))))
        goto nomem;
    pr->pidfd = -1;
    pr->id = (uint64_t)id;
    snprintf (pr->name, sizeof (pr->name), "%s", name);
    /* the instance owner is this broker's user, */
    json_t *jenv = env ? json_copy (env) : json_object ();
    /* and the command may talk to the instance as its tasks do */
    if (jenv && ctx->local_uri && !json_object_get (jenv, "EDDY_URI"))
        json_object_set_new (jenv, "EDDY_URI", json_string (ctx->local_uri));
    if (!jenv || json_object_set_new (jenv, "EDDY_OWNER_USERID",
                                      json_sprintf ("%u", (unsigned)getuid ())) < 0) {
        json_decref (jenv);
        goto nomem;
    }
    envp = make_env (jenv, store, sizeof (store));
    json_decref (jenv);
    pr->imp = use_imp && p->imp;
    if (!(argv = make_argv (p, pr->imp, name, cmd)) || !envp)
        goto nomem;
    if (spawn (pr, argv, envp) < 0) {
        snprintf (text, sizeof (text), "%s: %s", argv[0], strerror (errno));
        free (argv);
        free (envp);
        prun_free (pr);
        eddy_respond_error (ctx->h, msg, errno, text);
        return;
    }
    free (argv);
    free (envp);
    argv = NULL;
    envp = NULL;
    pr->p = p;
    pr->req = eddy_msg_incref (msg);
    pr->next = p->runs;
    if (p->runs)
        p->runs->prev = pr;
    p->runs = pr;
    if ((pr->pidfd = pidfd_open (pr->pid, 0)) >= 0)
        pr->reap_w = eddy_fd_create (ctx->r, pr->pidfd, EDDY_POLLIN, reap_cb, pr);
    else
        pr->reap_w = eddy_timer_create (ctx->r, PERILOG_POLL, PERILOG_POLL, reap_cb, pr);
    if (!pr->reap_w || !(pr->timer_w = eddy_timer_create (ctx->r, timeout, 0, timer_cb, pr))) {
        /* it runs, untracked: kill it rather than leave it unwatched */
        kill (-pr->pid, SIGKILL);
        waitpid (pr->pid, NULL, 0);
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        prun_free (pr);
        return;
    }
    eddy_watcher_start (pr->reap_w);
    if (timeout > 0)
        eddy_watcher_start (pr->timer_w);
    return;
nomem:
    free (argv);
    free (envp);
    prun_free (pr);
    eddy_respond_error (ctx->h, msg, errno ? errno : ENOMEM, NULL);
}

int perilog_configure (struct perilog *p, const json_t *exec_table)
{
    const json_t *v = json_object_get (exec_table, "imp");
    char *imp = NULL;

    if (v && (!json_is_string (v) || !*json_string_value (v))) {
        errno = EINVAL;
        return -1;
    }
    if (v && !(imp = strdup (json_string_value (v))))
        return -1;
    free (p->imp);
    p->imp = imp;
    return 0;
}

struct perilog *perilog_create (struct exec_ctx *ctx)
{
    struct perilog *p = calloc (1, sizeof (*p));
    if (p)
        p->ctx = ctx;
    return p;
}

void perilog_destroy (struct perilog *p)
{
    if (p) {
        int saved_errno = errno;
        /* the commands end with the broker: none outlives it unwatched */
        while (p->runs) {
            struct prun *pr = p->runs;
            kill (-pr->pid, SIGKILL);
            waitpid (pr->pid, NULL, 0);
            eddy_respond_error (p->ctx->h, pr->req, ENOSYS, "exec unloaded");
            prun_free (pr);
        }
        free (p->imp);
        free (p);
        errno = saved_errno;
    }
}
