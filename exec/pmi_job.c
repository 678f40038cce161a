/* pmi_job.c - one job's PMI-1 service on one rank (see pmi_job.h): the
 * tasks' connections (non-blocking socketpair ends, fd watchers, a
 * bounded output buffer each), the server of exec/pmi.h, and the exchange
 * of exec/pmi_xchg.h as exec.pmi requests to the parent rank in the job's
 * tree, answered when the parent's barrier is over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "engine/future.h"
#include "engine/util/idset.h"
#include "exec/pmi.h"
#include "exec/pmi_job.h"
#include "exec/pmi_xchg.h"

/* Children per rank in the exchange tree: 64 ranks are two levels deep. */
#define PMI_FANOUT 8
/* Responses a task may leave unread before it counts as broken: the
 * protocol is one request, one answer, so a real client has one pending.
 */
#define PMI_OUT_MAX (64 * 1024)
/* A parent rank that has not launched the job yet answers EAGAIN: the
 * request is sent again, backing off from RETRY_MIN to RETRY_MAX seconds,
 * for at most RETRY_TRIES times.
 */
#define RETRY_MIN 0.01
#define RETRY_MAX 0.5
#define RETRY_TRIES 240

struct pconn {
    struct pmi_job *pj;
    int task;
    int fd; /* -1 once closed */
    eddy_watcher_t *rw, *ww;
    char *out;
    size_t outlen, outcap;
    bool unwritable; /* the task's end is gone: responses are dropped, and
                      * the read side sees the end */
};

struct pmi_job {
    struct exec_ctx *ctx;
    uint64_t id;
    const eddy_msg_t *req;
    eddy_idset_t *ranks;
    int index, nranks;
    int ntasks, base;
    struct pconn *conns;
    pmi_server_t *ps;
    pmi_xchg_t *x;
    bool excepted;
    /* the request up, while the parent has not answered */
    eddy_future_t *up_f;
    json_t *up_payload;
    uint32_t up_rank;
    eddy_watcher_t *retry;
    int tries;
};

/* ---- the job fails ---- */

static void exception (struct pmi_job *pj, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void exception (struct pmi_job *pj, const char *fmt, ...)
{
    char note[512];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (note, sizeof (note), fmt, ap);
    va_end (ap);
    /* what follows the first (the other tasks killed with the job) is noise */
    exec_log (pj->ctx, pj->excepted ? LOG_DEBUG : LOG_ERR, "job %ju: %s", (uintmax_t)pj->id, note);
    if (pj->excepted)
        return;
    pj->excepted = true;
    eddy_respond_pack (pj->ctx->h, pj->req, "{s:I s:s s:s}", "id", (json_int_t)pj->id, "type",
                       "exception", "note", note);
}

/* ---- the tasks' connections ---- */

static void conn_close (struct pconn *c)
{
    eddy_watcher_destroy (c->rw);
    eddy_watcher_destroy (c->ww);
    c->rw = c->ww = NULL;
    if (c->fd >= 0)
        close (c->fd);
    c->fd = -1;
    free (c->out);
    c->out = NULL;
    c->outlen = c->outcap = 0;
}

/* Write what is buffered; 0, or -1 if the connection is gone. */
static int conn_flush (struct pconn *c)
{
    while (c->outlen > 0) {
        /* a task that is gone must not take the broker with it (SIGPIPE) */
        ssize_t n = send (c->fd, c->out, c->outlen, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            c->unwritable = true;
            c->outlen = 0;
            eddy_watcher_stop (c->ww);
            return -1;
        }
        memmove (c->out, c->out + n, c->outlen - (size_t)n);
        c->outlen -= (size_t)n;
    }
    if (c->outlen > 0)
        eddy_watcher_start (c->ww);
    else
        eddy_watcher_stop (c->ww);
    return 0;
}

static void write_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    (void)conn_flush (arg); /* an error: the read side sees the end */
}

static void server_send (void *arg, int task, const char *line, size_t len)
{
    struct pmi_job *pj = arg;
    struct pconn *c = &pj->conns[task];

    if (c->fd < 0 || c->unwritable)
        return;
    if (c->outlen + len > PMI_OUT_MAX) {
        eddy_watcher_stop (c->rw);
        exception (pj, "PMI task %d does not read its responses", pj->base + task);
        return;
    }
    if (c->outlen + len > c->outcap) {
        size_t cap = c->outcap ? c->outcap : 256;
        while (cap < c->outlen + len)
            cap *= 2;
        char *p = realloc (c->out, cap);
        if (!p) {
            exception (pj, "PMI task %d: out of memory", pj->base + task);
            return;
        }
        c->out = p;
        c->outcap = cap;
    }
    memcpy (c->out + c->outlen, line, len);
    c->outlen += len;
    (void)conn_flush (c);
}

static void read_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct pconn *c = arg;
    struct pmi_job *pj = c->pj;
    char buf[4096];

    /* a bounded amount per wakeup: one chatty task cannot starve the broker */
    for (int i = 0; i < 4; i++) {
        ssize_t n = read (c->fd, buf, sizeof (buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            /* the task closed it, or exited: fine unless between init and
             * finalize (the server says so) */
            int task = c->task;
            conn_close (c);
            (void)pmi_server_eof (pj->ps, task);
            return;
        }
        if (pmi_server_input (pj->ps, c->task, buf, (size_t)n) < 0) {
            if (errno == ENOMEM)
                exception (pj, "PMI task %d: out of memory", pj->base + c->task);
            /* nothing more is read from it; its end closes with the job */
            eddy_watcher_stop (c->rw);
            return;
        }
    }
}

/* ---- the exchange ---- */

static void up_send (struct pmi_job *pj);

static void up_cb (eddy_future_t *f, void *arg)
{
    struct pmi_job *pj = arg;
    json_t *all = NULL;

    if (eddy_rpc_get_unpack (f, "{s:o}", "kvs", &all) < 0 || !json_is_object (all)) {
        if (errno == EAGAIN && pj->tries < RETRY_TRIES) {
            /* the parent has not launched its part of the job yet */
            double after = RETRY_MIN;
            for (int i = 0; i < pj->tries && after < RETRY_MAX; i++)
                after *= 2;
            eddy_timer_set (pj->retry, after < RETRY_MAX ? after : RETRY_MAX, 0);
            eddy_watcher_start (pj->retry);
            return; /* f stays until the retry replaces it */
        }
        char why[256];
        snprintf (why, sizeof (why), "PMI exchange with rank %u failed: %s", pj->up_rank,
                  eddy_future_error_string (f) ? eddy_future_error_string (f) : strerror (errno));
        eddy_future_destroy (pj->up_f);
        pj->up_f = NULL;
        json_decref (pj->up_payload);
        pj->up_payload = NULL;
        pmi_xchg_answer (pj->x, NULL, why);
        return;
    }
    json_incref (all);
    eddy_future_destroy (pj->up_f);
    pj->up_f = NULL;
    json_decref (pj->up_payload);
    pj->up_payload = NULL;
    pmi_xchg_answer (pj->x, all, NULL);
    json_decref (all);
}

static void up_send (struct pmi_job *pj)
{
    eddy_future_destroy (pj->up_f);
    pj->tries++;
    if (!(pj->up_f = eddy_rpc (pj->ctx->h, "exec.pmi", pj->up_payload, pj->up_rank, 0))
        || eddy_future_then (pj->up_f, -1, up_cb, pj) < 0) {
        eddy_future_destroy (pj->up_f);
        pj->up_f = NULL;
        json_decref (pj->up_payload);
        pj->up_payload = NULL;
        pmi_xchg_answer (pj->x, NULL, "cannot send the PMI exchange to the parent rank");
    }
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    up_send (arg);
}

static int xchg_up (void *arg, int parent, int seq, json_t *kvs)
{
    struct pmi_job *pj = arg;
    unsigned rank = eddy_idset_nth (pj->ranks, (size_t)parent);

    if (rank == EDDY_IDSET_INVALID_ID)
        return -1;
    json_decref (pj->up_payload);
    if (!(pj->up_payload = json_pack ("{s:I s:i s:i s:O}", "id", (json_int_t)pj->id, "seq", seq,
                                      "from", pj->index, "kvs", kvs)))
        return -1;
    pj->up_rank = rank;
    pj->tries = 0;
    up_send (pj);
    return 0;
}

static void xchg_down (void *arg, void *handle, json_t *all, const char *why)
{
    struct pmi_job *pj = arg;
    const eddy_msg_t *msg = handle;

    if (why)
        eddy_respond_error (pj->ctx->h, msg, EIO, why);
    else
        eddy_respond_pack (pj->ctx->h, msg, "{s:O}", "kvs", all);
    eddy_msg_decref (msg);
}

static void xchg_done (void *arg, json_t *all, const char *why)
{
    struct pmi_job *pj = arg;
    (void)pmi_server_barrier_done (pj->ps, all, why);
}

static const struct pmi_xchg_ops xchg_ops = {
    .up = xchg_up,
    .down = xchg_down,
    .done = xchg_done,
};

/* ---- the server's hooks ---- */

static void server_barrier (void *arg, json_t *puts)
{
    struct pmi_job *pj = arg;
    if (pmi_xchg_local (pj->x, puts) < 0)
        (void)pmi_server_barrier_done (pj->ps, NULL, "barrier out of turn");
}

static void server_error (void *arg, int task, const char *why)
{
    struct pmi_job *pj = arg;
    if (task >= 0)
        eddy_watcher_stop (pj->conns[task].rw);
    exception (pj, "%s", why);
}

static void server_abort (void *arg, int task, int code, const char *msg)
{
    struct pmi_job *pj = arg;
    exception (pj, "PMI task %d called PMI_Abort (exit code %d)%s%s", pj->base + task, code,
               *msg ? ": " : "", msg);
}

static const struct pmi_server_ops server_ops = {
    .send = server_send,
    .barrier = server_barrier,
    .error = server_error,
    .abort = server_abort,
};

/* ---- requests ---- */

void pmi_job_request (struct pmi_job *pj, const eddy_msg_t *msg)
{
    json_int_t id;
    int seq, from;
    json_t *kvs;

    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:I s:i s:i s:o}", "id", &id, "seq", &seq, "from",
                        &from, "kvs", &kvs) < 0
        || !json_is_object (kvs)) {
        eddy_respond_error (pj->ctx->h, msg, EPROTO, "exec.pmi: malformed payload");
        return;
    }
    eddy_msg_incref (msg);
    if (pmi_xchg_child (pj->x, from, seq, kvs, (void *)msg) < 0) {
        int e = errno;
        eddy_msg_decref (msg);
        eddy_respond_error (pj->ctx->h, msg, e, "exec.pmi: not a child's request for this barrier");
        return;
    }
}

/* ---- life ---- */

static int set_nonblock (int fd)
{
    int fl = fcntl (fd, F_GETFL);
    return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

struct pmi_job *pmi_job_create (struct exec_ctx *ctx, uint64_t id, const eddy_msg_t *req,
                                json_t *spec, int base, int ntasks, int size, int *task_fds,
                                char *errbuf, size_t errlen)
{
    struct pmi_job *pj;
    const char *ranks = NULL, *map = NULL;
    char kvsname[64];

    for (int i = 0; i < ntasks; i++)
        task_fds[i] = -1;
    if (!json_is_object (spec)
        || json_unpack (spec, "{s:s s?s}", "ranks", &ranks, "map", &map) < 0) {
        snprintf (errbuf, errlen, "exec.launch: malformed pmi object");
        errno = EINVAL;
        return NULL;
    }
    if (!(pj = calloc (1, sizeof (*pj))))
        goto nomem;
    pj->ctx = ctx;
    pj->id = id;
    pj->req = req;
    pj->base = base;
    pj->ntasks = ntasks;
    if (!(pj->ranks = eddy_idset_decode (ranks, NULL))) {
        snprintf (errbuf, errlen, "exec.launch: pmi.ranks is not an idset");
        errno = EINVAL;
        goto error;
    }
    pj->index = -1;
    int i = 0;
    for (unsigned r = eddy_idset_first (pj->ranks); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (pj->ranks, r), i++)
        if (r == ctx->rank)
            pj->index = i;
    pj->nranks = i;
    if (pj->index < 0) {
        snprintf (errbuf, errlen, "exec.launch: this rank is not in pmi.ranks");
        errno = EINVAL;
        goto error;
    }
    snprintf (kvsname, sizeof (kvsname), "kvs_%ju", (uintmax_t)id);
    struct pmi_server_info info = { .size = size, .base = base, .ntasks = ntasks,
                                    .kvsname = kvsname, .map = map };
    if (!(pj->ps = pmi_server_create (&info, &server_ops, pj))) {
        snprintf (errbuf, errlen, "exec.launch: PMI server: %s", strerror (errno));
        goto error;
    }
    if (!(pj->x = pmi_xchg_create (pj->index, pj->nranks, PMI_FANOUT, &xchg_ops, pj))
        || !(pj->retry = eddy_timer_create (ctx->r, RETRY_MIN, 0, retry_cb, pj))
        || !(pj->conns = calloc ((size_t)ntasks, sizeof (pj->conns[0]))))
        goto nomem;
    for (int k = 0; k < ntasks; k++)
        pj->conns[k].fd = -1;
    for (int k = 0; k < ntasks; k++) {
        struct pconn *c = &pj->conns[k];
        int sv[2];
        c->pj = pj;
        c->task = k;
        if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            snprintf (errbuf, errlen, "exec.launch: PMI socketpair: %s", strerror (errno));
            goto error;
        }
        c->fd = sv[0];
        task_fds[k] = sv[1];
        if (set_nonblock (c->fd) < 0
            || !(c->rw = eddy_fd_create (ctx->r, c->fd, EDDY_POLLIN, read_cb, c))
            || !(c->ww = eddy_fd_create (ctx->r, c->fd, EDDY_POLLOUT, write_cb, c))) {
            snprintf (errbuf, errlen, "exec.launch: PMI connection: %s", strerror (errno));
            goto error;
        }
        eddy_watcher_start (c->rw);
    }
    return pj;
nomem:
    snprintf (errbuf, errlen, "exec.launch: PMI: out of memory");
    errno = ENOMEM;
error: {
    int e = errno;
    for (int k = 0; k < ntasks; k++)
        if (task_fds[k] >= 0) {
            close (task_fds[k]);
            task_fds[k] = -1;
        }
    pmi_job_destroy (pj);
    errno = e;
    return NULL;
}
}

void pmi_job_destroy (struct pmi_job *pj)
{
    if (pj) {
        int saved_errno = errno;
        for (int k = 0; pj->conns && k < pj->ntasks; k++)
            conn_close (&pj->conns[k]);
        free (pj->conns);
        /* held child requests hear that the job is over here */
        pmi_xchg_destroy (pj->x);
        pmi_server_destroy (pj->ps);
        eddy_future_destroy (pj->up_f);
        json_decref (pj->up_payload);
        eddy_watcher_destroy (pj->retry);
        eddy_idset_destroy (pj->ranks);
        free (pj);
        errno = saved_errno;
    }
}
