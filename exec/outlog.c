/* outlog.c - output eventlogs, one coalesced KVS commit per reactor
 * iteration (DESIGN.md contract 6).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "engine/future.h"
#include "engine/util/eventlog.h"
#include "exec/outlog.h"
#include "kvs/kvs.h"

struct waiter {
    outlog_done_f done;
    void *arg;
};

/* A commit in flight and the jobs waiting for it. */
struct batch {
    struct outlog *o;
    eddy_future_t *f;
    struct waiter *w;
    int nw;
    struct batch *next, *prev;
};

struct outlog {
    eddy_handle_t *h;
    eddy_watcher_t *check;
    eddy_kvs_txn_t *txn; /* pending entries, or NULL */
    struct waiter *w;    /* pending waiters */
    int nw, wcap;
    struct batch *inflight;
    bool warned;
};

static void batch_free (struct batch *b)
{
    struct outlog *o = b->o;
    eddy_future_destroy (b->f);
    free (b->w);
    if (b->prev)
        b->prev->next = b->next;
    else
        o->inflight = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free (b);
}

static void warn (struct outlog *o, const char *why)
{
    if (o->warned)
        return;
    o->warned = true;
    eddy_future_t *f = eddy_rpc_pack (o->h, "log.append", eddy_handle_rank (o->h),
                                      EDDY_RPC_NORESPONSE, "{s:i s:s s:s}", "level", LOG_ERR,
                                      "name", "exec", "message", why);
    eddy_future_destroy (f);
}

static void commit_cb (eddy_future_t *f, void *arg)
{
    struct batch *b = arg;
    struct outlog *o = b->o;

    if (eddy_rpc_get (f, NULL) < 0) {
        char why[256];
        snprintf (why, sizeof (why), "job output not stored in the KVS: %s",
                  eddy_future_error_string (f));
        warn (o, why);
    }
    /* a done callback may add entries; they go in a later batch */
    for (int i = 0; i < b->nw; i++)
        b->w[i].done (b->w[i].arg);
    batch_free (b);
}

static void flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct outlog *o = arg;
    struct batch *b;

    eddy_watcher_stop (w);
    if (!o->txn)
        return;
    if (!(b = calloc (1, sizeof (*b))))
        goto fail;
    b->o = o;
    if (!(b->f = eddy_kvs_commit (o->h, NULL, 0, o->txn))
        || eddy_future_then (b->f, -1, commit_cb, b) < 0) {
        eddy_future_destroy (b->f);
        free (b);
        goto fail;
    }
    eddy_kvs_txn_destroy (o->txn);
    o->txn = NULL;
    b->w = o->w;
    b->nw = o->nw;
    o->w = NULL;
    o->nw = o->wcap = 0;
    b->next = o->inflight;
    if (o->inflight)
        o->inflight->prev = b;
    o->inflight = b;
    return;
fail:
    /* the entries are lost, but no job waits forever */
    warn (o, "job output not stored in the KVS: cannot send the commit");
    eddy_kvs_txn_destroy (o->txn);
    o->txn = NULL;
    struct waiter *ws = o->w;
    int nw = o->nw;
    o->w = NULL;
    o->nw = o->wcap = 0;
    for (int i = 0; i < nw; i++)
        ws[i].done (ws[i].arg);
    free (ws);
}

static int append (struct outlog *o, uint64_t id, const char *name, json_t *context)
{
    char key[64];
    json_t *e = NULL;
    char *text = NULL;
    int rc = -1;

    if (eddy_kvs_job_key (key, sizeof (key), id, "output") < 0)
        return -1;
    if (!o->txn && !(o->txn = eddy_kvs_txn_create ()))
        return -1;
    if (!(e = eddy_eventlog_entry_create (eddy_reactor_now (eddy_handle_reactor (o->h)), name,
                                          context))
        || !(text = eddy_eventlog_entry_encode (e)) || eddy_kvs_txn_append (o->txn, key, text) < 0)
        goto done;
    eddy_watcher_start (o->check);
    rc = 0;
done:
    json_decref (e);
    free (text);
    return rc;
}

int outlog_header (struct outlog *o, uint64_t id, int ntasks)
{
    json_t *ctx = json_pack ("{s:i s:{s:s s:s} s:{s:i s:i} s:{}}", "version", 1, "encoding",
                             "stdout", "UTF-8", "stderr", "UTF-8", "count", "stdout", ntasks,
                             "stderr", ntasks, "options");
    if (!ctx) {
        errno = ENOMEM;
        return -1;
    }
    int rc = append (o, id, "header", ctx);
    json_decref (ctx);
    return rc;
}

int outlog_data (struct outlog *o, uint64_t id, json_t *entries)
{
    size_t i;
    json_t *e;

    if (!json_is_array (entries)) {
        errno = EINVAL;
        return -1;
    }
    json_array_foreach (entries, i, e) {
        if (!json_is_object (e) || append (o, id, "data", e) < 0)
            return -1;
    }
    return 0;
}

int outlog_close (struct outlog *o, uint64_t id, const char *ranks, outlog_done_f done, void *arg)
{
    static const char *const streams[] = { "stdout", "stderr" };

    if (o->nw == o->wcap) {
        int cap = o->wcap ? o->wcap * 2 : 8;
        struct waiter *nw = realloc (o->w, cap * sizeof (*nw));
        if (!nw)
            return -1;
        o->w = nw;
        o->wcap = cap;
    }
    for (int i = 0; i < 2; i++) {
        json_t *ctx = json_pack ("{s:s s:s}", "stream", streams[i], "rank", ranks);
        int rc = ctx ? append (o, id, "eof", ctx) : -1;
        json_decref (ctx);
        if (rc < 0)
            return -1;
    }
    o->w[o->nw].done = done;
    o->w[o->nw].arg = arg;
    o->nw++;
    eddy_watcher_start (o->check);
    return 0;
}

struct outlog *outlog_create (eddy_handle_t *h)
{
    struct outlog *o = calloc (1, sizeof (*o));
    if (!o)
        return NULL;
    o->h = h;
    if (!(o->check = eddy_check_create (eddy_handle_reactor (h), flush_cb, o))) {
        free (o);
        return NULL;
    }
    return o;
}

void outlog_destroy (struct outlog *o)
{
    if (o) {
        int saved_errno = errno;
        while (o->inflight)
            batch_free (o->inflight);
        eddy_kvs_txn_destroy (o->txn);
        free (o->w);
        eddy_watcher_destroy (o->check);
        free (o);
        errno = saved_errno;
    }
}
