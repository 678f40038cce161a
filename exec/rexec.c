/* rexec.c - the rexec module: commands run by a broker for its owner
 * (eddy exec on ranks, eddy cron's entries, eddy ps), not jobs.
 *
 *   rexec.run {cmd: [argv], cwd?, timeout? (s, 0 none), env?: {..}}
 *     -> {pid, status (a wait status), timedout, stdout, stderr, truncated}
 *     once the command has exited and both its outputs are closed; each
 *     output is kept up to REXEC_OUT_MAX bytes (truncated: true past it).
 *     stdin is /dev/null; the command gets EDDY_URI (this broker) and runs
 *     in a process group of its own, which gets SIGKILL at the timeout.
 *   rexec.ps {} -> {rank, procs: [{pid, cmd, started, origin}]}
 *   rexec.kill {pid, signal} -> {}  (a process this module started)
 *
 * Owner only (the handler table's default role).  The simulator runs no
 * process: rexec.run answers ENOSYS there.
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

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "exec/exec.h"

extern char **environ;

#define REXEC_OUT_MAX (1024 * 1024)
#define REXEC_POLL 0.05 /* without a pidfd, the child is polled this often */

struct rproc;

struct rexec {
    eddy_handle_t *h;
    eddy_reactor_t *r;
    uint32_t rank;
    char *uri;
    struct rproc *procs;
    eddy_msg_handler_t **handlers;
    eddy_future_t *uri_f;
};

struct output {
    struct rproc *p;
    int fd;
    eddy_watcher_t *w;
    char *buf;
    size_t len;
    bool truncated;
};

struct rproc {
    struct rexec *rx;
    eddy_msg_t *req;
    pid_t pid;
    int pidfd;
    int status;
    bool exited, timedout;
    double started;
    char *cmdline;
    const char *origin;
    struct output out[2];
    eddy_watcher_t *reap_w, *timer_w;
    struct rproc *prev, *next;
};

static void rproc_free (struct rproc *p)
{
    if (!p)
        return;
    for (int i = 0; i < 2; i++) {
        eddy_watcher_destroy (p->out[i].w);
        if (p->out[i].fd >= 0)
            close (p->out[i].fd);
        free (p->out[i].buf);
    }
    eddy_watcher_destroy (p->reap_w);
    eddy_watcher_destroy (p->timer_w);
    if (p->pidfd >= 0)
        close (p->pidfd);
    eddy_msg_decref (p->req);
    free (p->cmdline);
    if (p->rx) {
        if (p->prev)
            p->prev->next = p->next;
        else
            p->rx->procs = p->next;
        if (p->next)
            p->next->prev = p->prev;
    }
    free (p);
}

/* Done once it has exited and both outputs are at EOF. */
static void maybe_done (struct rproc *p)
{
    if (!p->exited || p->out[0].fd >= 0 || p->out[1].fd >= 0)
        return;
    json_t *o = json_pack ("{s:i s:i s:b s:s# s:s# s:b}", "pid", (int)p->pid, "status", p->status,
                           "timedout", p->timedout, "stdout", p->out[0].buf ? p->out[0].buf : "",
                           p->out[0].len, "stderr", p->out[1].buf ? p->out[1].buf : "",
                           p->out[1].len, "truncated", p->out[0].truncated || p->out[1].truncated);
    if (o)
        eddy_respond (p->rx->h, p->req, o);
    else
        eddy_respond_error (p->rx->h, p->req, ENOMEM, "out of memory (the output is not UTF-8?)");
    json_decref (o);
    rproc_free (p);
}

static void out_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct output *o = arg;
    struct rproc *p = o->p;
    char buf[65536];
    ssize_t n = read (o->fd, buf, sizeof (buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        size_t keep = (size_t)n;
        if (o->len + keep > REXEC_OUT_MAX) {
            keep = REXEC_OUT_MAX - o->len;
            o->truncated = true;
        }
        if (keep) {
            char *nb = realloc (o->buf, o->len + keep + 1);
            if (nb) {
                o->buf = nb;
                memcpy (o->buf + o->len, buf, keep);
                o->len += keep;
                o->buf[o->len] = '\0';
            } else
                o->truncated = true;
        }
        return;
    }
    /* EOF or an error: this output is closed */
    eddy_watcher_destroy (o->w);
    o->w = NULL;
    close (o->fd);
    o->fd = -1;
    maybe_done (p);
}

static void reap_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct rproc *p = arg;
    int status;
    if (p->exited || waitpid (p->pid, &status, WNOHANG) <= 0)
        return;
    p->status = status;
    p->exited = true;
    eddy_watcher_stop (p->reap_w);
    eddy_watcher_stop (p->timer_w);
    /* what it left behind in its group would hold the outputs open */
    kill (-p->pid, SIGKILL);
    maybe_done (p);
}

static void timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct rproc *p = arg;
    p->timedout = true;
    kill (-p->pid, SIGKILL);
}

/* The broker's environment with env (strings) and EDDY_URI over it. */
static char **make_env (struct rexec *rx, json_t *env)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **envp = calloc (n + json_object_size (env) + 2, sizeof (*envp));
    if (!envp)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr (environ[i], '=');
        size_t len = eq ? (size_t)(eq - environ[i]) : strlen (environ[i]);
        if (json_object_getn (env, environ[i], len)
            || (rx->uri && len == 8 && !strncmp (environ[i], "EDDY_URI", 8)))
            continue;
        envp[k++] = strdup (environ[i]);
    }
    const char *key;
    json_t *v;
    json_object_foreach (env, key, v) {
        if (asprintf (&envp[k], "%s=%s", key, json_string_value (v)) < 0)
            envp[k] = NULL;
        k++;
    }
    if (rx->uri && asprintf (&envp[k], "EDDY_URI=%s", rx->uri) >= 0)
        k++;
    envp[k] = NULL;
    return envp;
}

static void free_env (char **envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        free (envp[i]);
    free (envp);
}

static void run_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct rexec *rx = arg;
    json_t *cmd, *env = NULL, *v;
    const char *cwd = NULL, *origin = "exec";
    double timeout = 0;
    size_t i;

    if (json_unpack (eddy_msg_payload (msg), "{s:o s?s s?F s?o s?s}", "cmd", &cmd, "cwd", &cwd,
                     "timeout", &timeout, "env", &env, "origin", &origin)
            < 0
        || !json_is_array (cmd) || json_array_size (cmd) == 0 || !(timeout >= 0)
        || (env && !json_is_object (env))) {
        eddy_respond_error (h, msg, EPROTO,
                            "rexec.run: expected {cmd: [strings], cwd?, timeout?, env?}");
        return;
    }
    json_array_foreach (cmd, i, v)
        if (!json_is_string (v)) {
            eddy_respond_error (h, msg, EPROTO, "rexec.run: cmd must be strings");
            return;
        }
    if (eddy_reactor_is_sim (rx->r)) {
        eddy_respond_error (h, msg, ENOSYS, "rexec: the simulator runs no processes");
        return;
    }
    size_t argc = json_array_size (cmd);
    char **argv = calloc (argc + 1, sizeof (*argv));
    struct rproc *p = calloc (1, sizeof (*p));
    char **envp = make_env (rx, env);
    int pipes[2][2] = { { -1, -1 }, { -1, -1 } };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_init = false, attr_init = false;
    char text[300];
    int err = ENOMEM;

    if (!argv || !p || !envp)
        goto fail;
    p->pidfd = p->out[0].fd = p->out[1].fd = -1;
    size_t len = 0;
    for (i = 0; i < argc; i++) {
        argv[i] = (char *)json_string_value (json_array_get (cmd, i));
        len += strlen (argv[i]) + 1;
    }
    if (!(p->cmdline = malloc (len + 1)))
        goto fail;
    p->cmdline[0] = '\0';
    for (i = 0; i < argc; i++) {
        strcat (p->cmdline, argv[i]);
        if (i + 1 < argc)
            strcat (p->cmdline, " ");
    }
    if (pipe2 (pipes[0], O_CLOEXEC) < 0 || pipe2 (pipes[1], O_CLOEXEC) < 0) {
        err = errno;
        goto fail;
    }
    sigset_t none;
    sigemptyset (&none);
    posix_spawnattr_init (&attr);
    attr_init = true;
    posix_spawn_file_actions_init (&fa);
    fa_init = true;
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup (&attr, 0);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&fa, pipes[0][1], 1);
    posix_spawn_file_actions_adddup2 (&fa, pipes[1][1], 2);
    if (cwd && posix_spawn_file_actions_addchdir_np (&fa, cwd) != 0)
        goto fail;
    int rc = posix_spawnp (&p->pid, argv[0], &fa, &attr, argv, envp);
    if (rc != 0) {
        snprintf (text, sizeof (text), "%s: %s", argv[0], strerror (rc));
        eddy_respond_error (h, msg, rc, text);
        err = 0;
        goto fail;
    }
    close (pipes[0][1]);
    close (pipes[1][1]);
    pipes[0][1] = pipes[1][1] = -1;
    p->rx = rx;
    p->req = eddy_msg_incref (msg);
    p->started = eddy_reactor_now (rx->r);
    p->origin = !strcmp (origin, "cron") ? "cron" : "exec";
    p->next = rx->procs;
    if (rx->procs)
        rx->procs->prev = p;
    rx->procs = p;
    for (int k = 0; k < 2; k++) {
        p->out[k].p = p;
        p->out[k].fd = pipes[k][0];
        pipes[k][0] = -1;
        fcntl (p->out[k].fd, F_SETFL, fcntl (p->out[k].fd, F_GETFL) | O_NONBLOCK);
        if (!(p->out[k].w = eddy_fd_create (rx->r, p->out[k].fd, EDDY_POLLIN, out_cb, &p->out[k])))
            goto running_fail;
        eddy_watcher_start (p->out[k].w);
    }
    if ((p->pidfd = pidfd_open (p->pid, 0)) >= 0)
        p->reap_w = eddy_fd_create (rx->r, p->pidfd, EDDY_POLLIN, reap_cb, p);
    else
        p->reap_w = eddy_timer_create (rx->r, REXEC_POLL, REXEC_POLL, reap_cb, p);
    if (!p->reap_w || !(p->timer_w = eddy_timer_create (rx->r, timeout, 0, timer_cb, p)))
        goto running_fail;
    eddy_watcher_start (p->reap_w);
    if (timeout > 0)
        eddy_watcher_start (p->timer_w);
    posix_spawn_file_actions_destroy (&fa);
    posix_spawnattr_destroy (&attr);
    free (argv);
    free_env (envp);
    return;
running_fail:
    /* it runs, untracked: kill it rather than leave it unwatched */
    kill (-p->pid, SIGKILL);
    waitpid (p->pid, NULL, 0);
    eddy_respond_error (h, msg, ENOMEM, NULL);
    posix_spawn_file_actions_destroy (&fa);
    posix_spawnattr_destroy (&attr);
    free (argv);
    free_env (envp);
    rproc_free (p);
    return;
fail:
    if (err)
        eddy_respond_error (h, msg, err, cwd && err == ENOENT ? "rexec.run: no such directory" : NULL);
    if (fa_init)
        posix_spawn_file_actions_destroy (&fa);
    if (attr_init)
        posix_spawnattr_destroy (&attr);
    for (int k = 0; k < 2; k++)
        for (int e = 0; e < 2; e++)
            if (pipes[k][e] >= 0)
                close (pipes[k][e]);
    free (argv);
    free_env (envp);
    if (p)
        p->rx = NULL;
    rproc_free (p);
}

static void ps_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct rexec *rx = arg;
    json_t *a = json_array ();
    for (struct rproc *p = rx->procs; a && p; p = p->next) {
        json_t *o = json_pack ("{s:i s:s s:f s:s}", "pid", (int)p->pid, "cmd", p->cmdline,
                               "started", p->started, "origin", p->origin);
        if (!o || json_array_append_new (a, o) < 0) {
            json_decref (a);
            a = NULL;
        }
    }
    if (!a) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond_pack (h, msg, "{s:I s:o}", "rank", (json_int_t)rx->rank, "procs", a);
}

static void kill_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct rexec *rx = arg;
    int pid, sig;
    if (json_unpack (eddy_msg_payload (msg), "{s:i s:i}", "pid", &pid, "signal", &sig) < 0
        || sig < 1 || sig > 64) {
        eddy_respond_error (h, msg, EPROTO, "rexec.kill: expected {pid, signal}");
        return;
    }
    for (struct rproc *p = rx->procs; p; p = p->next)
        if (p->pid == pid && !p->exited) {
            kill (-p->pid, sig);
            eddy_respond_pack (h, msg, "{}");
            return;
        }
    eddy_respond_error (h, msg, ESRCH, "rexec.kill: no such process of this broker's");
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "rexec.run", run_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "rexec.ps", ps_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "rexec.kill", kill_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

static void rexec_unload (void *ctx)
{
    struct rexec *rx = ctx;
    if (!rx)
        return;
    /* the commands end with the broker: none outlives it unwatched */
    while (rx->procs) {
        struct rproc *p = rx->procs;
        if (!p->exited) {
            kill (-p->pid, SIGKILL);
            waitpid (p->pid, NULL, 0);
        }
        eddy_respond_error (rx->h, p->req, ENOSYS, "rexec unloaded");
        rproc_free (p);
    }
    eddy_msg_handler_delvec (rx->handlers);
    eddy_future_destroy (rx->uri_f);
    free (rx->uri);
    free (rx);
}

/* Commands get EDDY_URI = this broker's local-uri attribute, once known. */
static void uri_cb (eddy_future_t *f, void *arg)
{
    struct rexec *rx = arg;
    const char *value;
    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) == 0)
        rx->uri = strdup (value);
    eddy_future_destroy (f);
    rx->uri_f = NULL;
}

static int rexec_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct rexec *rx = calloc (1, sizeof (*rx));
    if (!rx)
        return -1;
    rx->h = h;
    rx->r = eddy_handle_reactor (h);
    rx->rank = eddy_handle_rank (h);
    if (!(rx->uri_f = eddy_rpc_pack (h, "attr.get", rx->rank, 0, "{s:s}", "name", "local-uri"))
        || eddy_future_then (rx->uri_f, -1, uri_cb, rx) < 0)
        goto fail;
    if (eddy_msg_handler_addvec (h, handlers, rx, &rx->handlers) < 0
        || eddy_service_register (h, "rexec") < 0)
        goto fail;
    *ctx = rx;
    return 0;
fail:
    rexec_unload (rx);
    return -1;
}

const struct eddy_module eddy_module_rexec = {
    .name = "rexec",
    .load = rexec_load,
    .unload = rexec_unload,
};
