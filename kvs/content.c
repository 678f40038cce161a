/* content.c - the content module: see content.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "kvs/backing.h"
#include "kvs/blobref.h"
#include "kvs/content.h"

struct fwd {
    struct content *ctx;
    const eddy_msg_t *req;
    eddy_future_t *f;
    bool cache; /* a load: cache the answer */
    struct fwd *prev, *next;
};

struct content {
    eddy_handle_t *h;
    uint32_t rank;
    json_t *args;
    eddy_msg_handler_t **handlers;
    eddy_hash_t hash; /* [content] hash: what names blobs sent without refs */

    /* rank 0 */
    const struct eddy_backing_ops *ops;
    void *impl;
    enum { BACKING_DEFAULT, BACKING_SQLITE, BACKING_MEMORY } backing; /* "backing" */
    bool temporary;         /* impl is a sqlite store in the runtime directory */
    eddy_future_t *attr_f;  /* asking for the statedir (then rundir) attribute */
    struct eddy_held deferred; /* requests that came before the store was open */
    char *open_error;       /* the store could not be opened */
    double gc_factor;       /* collect when the store holds this many times */
    uint64_t gc_min;        /* ...the blobs live after the last collection, */
    uint64_t gc_last_live;  /* ...and at least gc_min blobs; */
    uint64_t gc_min_bytes;  /* or as many times the bytes, and at least */
    uint64_t gc_last_live_bytes; /* gc_min_bytes */
    uint64_t gc_runs, gc_freed, gc_freed_bytes;
    struct eddy_backing_gc gc_last;

    /* other ranks */
    json_t *cache; /* ref -> raw bytes (string) */
    size_t cache_max;
    struct fwd *fwds;
};

static void content_log (struct content *ctx, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof (buf), fmt, ap);
    va_end (ap);
    eddy_future_t *f = eddy_rpc_pack (ctx->h, "log.append", ctx->rank, EDDY_RPC_NORESPONSE,
                                      "{s:i s:s s:s}", "level", level, "name", "content", "message", buf);
    eddy_future_destroy (f);
}

/* ---- rank 0: the backing store ---- */

static bool not_ready (struct content *ctx, const eddy_msg_t *msg)
{
    if (ctx->rank != 0)
        return false;
    if (ctx->open_error) {
        eddy_respond_error (ctx->h, msg, EIO, ctx->open_error);
        return true;
    }
    if (!ctx->impl) {
        /* the store opens once the statedir attribute is known */
        if (eddy_held_add (&ctx->deferred, msg) < 0)
            eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return true;
    }
    return false;
}

/* True if the request says its sender reads blobs as text ("encoding":
 * "utf-8"); a blob that is not valid UTF-8 goes as base64 all the same.
 */
static bool wants_text (const eddy_msg_t *msg)
{
    const char *enc = NULL;
    (void)json_unpack (eddy_msg_payload (msg), "{s?s}", "encoding", &enc);
    return enc && !strcmp (enc, "utf-8");
}

static void respond_data (struct content *ctx, const eddy_msg_t *msg, const void *data, size_t len)
{
    json_t *s;
    char *b64;

    if (wants_text (msg) && (s = json_stringn (data, len))) {
        eddy_respond_pack (ctx->h, msg, "{s:o s:s}", "data", s, "encoding", "utf-8");
        return;
    }
    if (!(b64 = eddy_base64_encode (data, len))) {
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond_pack (ctx->h, msg, "{s:s}", "data", b64);
    free (b64);
}

/* The bytes of a blob carried in a payload as text (encoding "utf-8") or
 * base64.  *buf is set to a malloc'd copy when one had to be made (the
 * caller frees it); with text, *data points into the JSON string.
 * -1 + EPROTO for a string that is not base64, ENOMEM.
 */
static int blob_bytes (const json_t *s, bool text, const void **data, size_t *len, void **buf)
{
    *buf = NULL;
    if (!json_is_string (s)) {
        errno = EPROTO;
        return -1;
    }
    if (text) {
        *data = json_string_value (s);
        *len = json_string_length (s);
        return 0;
    }
    if (!(*buf = eddy_base64_decode (json_string_value (s), json_string_length (s), len))) {
        if (errno == EINVAL)
            errno = EPROTO;
        return -1;
    }
    *data = *buf;
    return 0;
}

/* A request from a module of this broker (its route is that one hop):
 * its blobrefs can be trusted, and need not be hashed again.
 */
static bool from_this_broker (const eddy_msg_t *msg)
{
    return eddy_msg_route_count (msg) == 1
           && EDDY_ROUTE_KIND (eddy_msg_route_first (msg)) == EDDY_ROUTE_MODULE;
}

static void cache_put (struct content *ctx, const char *ref, const void *data, size_t len)
{
    if (json_object_size (ctx->cache) >= ctx->cache_max)
        json_object_clear (ctx->cache); /* crude but bounded */
    json_object_set_new (ctx->cache, ref, json_stringn_nocheck (data, len));
}

static void fwd_destroy (struct fwd *fw)
{
    struct content *ctx = fw->ctx;
    if (fw->prev)
        fw->prev->next = fw->next;
    else
        ctx->fwds = fw->next;
    if (fw->next)
        fw->next->prev = fw->prev;
    eddy_future_destroy (fw->f);
    eddy_msg_decref (fw->req);
    free (fw);
}

static void fwd_cb (eddy_future_t *f, void *arg)
{
    struct fwd *fw = arg;
    struct content *ctx = fw->ctx;
    json_t *o;

    if (eddy_rpc_get (f, &o) < 0)
        eddy_respond_error (ctx->h, fw->req, errno, eddy_future_error_string (f));
    else {
        if (fw->cache) {
            const char *ref = NULL, *enc = NULL;
            json_t *d = NULL;
            const void *data;
            size_t len;
            void *buf;
            (void)json_unpack (eddy_msg_payload (fw->req), "{s:s}", "blobref", &ref);
            if (json_unpack (o, "{s:o s?s}", "data", &d, "encoding", &enc) == 0 && ref
                && blob_bytes (d, enc && !strcmp (enc, "utf-8"), &data, &len, &buf) == 0) {
                eddy_reactor_count_hash (eddy_handle_reactor (ctx->h), len);
                if (eddy_blobref_check (ref, data, len))
                    cache_put (ctx, ref, data, len);
                free (buf);
            }
        }
        eddy_respond (ctx->h, fw->req, o);
    }
    fwd_destroy (fw);
}

/* Pass a request on to the next rank up and relay its answer. */
static void forward (struct content *ctx, const eddy_msg_t *msg, bool cache)
{
    struct fwd *fw = calloc (1, sizeof (*fw));
    if (!fw) {
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return;
    }
    fw->ctx = ctx;
    fw->cache = cache;
    fw->req = eddy_msg_incref (msg);
    fw->next = ctx->fwds;
    if (ctx->fwds)
        ctx->fwds->prev = fw;
    ctx->fwds = fw;
    if (!(fw->f = eddy_rpc (ctx->h, eddy_msg_topic (msg), eddy_msg_payload (msg), EDDY_NODEID_UPSTREAM, 0))
        || eddy_future_then (fw->f, -1, fwd_cb, fw) < 0) {
        eddy_respond_error (ctx->h, msg, errno, "content: cannot forward upstream");
        fwd_destroy (fw);
    }
}

static void load_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;
    const char *ref;
    void *data;
    size_t len;

    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "blobref", &ref) < 0 || !eddy_blobref_valid (ref)) {
        eddy_respond_error (h, msg, EPROTO, "content.load: expected {blobref}");
        return;
    }
    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        json_t *c = json_object_get (ctx->cache, ref);
        if (c)
            respond_data (ctx, msg, json_string_value (c), json_string_length (c));
        else
            forward (ctx, msg, true);
        return;
    }
    if (ctx->ops->load (ctx->impl, ref, &data, &len) < 0) {
        eddy_respond_error (h, msg, errno, errno == ENOENT ? "unknown blob" : NULL);
        return;
    }
    respond_data (ctx, msg, data, len);
    free (data);
}

static void gc_run (struct content *ctx, const eddy_msg_t *msg);

/* Collect garbage once the store has grown gc_factor times over what was
 * live after the last collection, in blobs or in bytes: amortized O(1) per
 * blob and per byte stored.  Counting blobs alone let a store whose
 * garbage is large directories (each commit rewrites one of many entries)
 * hold many times its live bytes between collections.
 */
static void gc_maybe (struct content *ctx)
{
    uint64_t count, bytes;
    if (ctx->gc_factor <= 0)
        return;
    ctx->ops->stats (ctx->impl, &count, &bytes);
    if ((count >= ctx->gc_min && (double)count >= ctx->gc_factor * (double)ctx->gc_last_live)
        || (bytes >= ctx->gc_min_bytes && (double)bytes >= ctx->gc_factor * (double)ctx->gc_last_live_bytes))
        gc_run (ctx, NULL);
}

static void store_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;
    json_t *data = NULL, *ckpt = NULL, *refs = NULL, *given = NULL;
    const char *ckey = NULL, *enc = NULL;
    json_t *cval = NULL;
    char *ctext = NULL;
    size_t n;
    void **bufs = NULL;
    const void **ptrs = NULL;
    size_t *lens = NULL;
    char (*brefs)[EDDY_BLOBREF_SIZE] = NULL;
    const char **refp = NULL;
    bool text, trusted;
    eddy_error_t err;

    if (json_unpack (eddy_msg_payload (msg), "{s:o s?o s?s s?o}", "data", &data, "checkpoint", &ckpt,
                     "encoding", &enc, "blobrefs", &given)
            < 0
        || !(json_is_string (data) || json_is_array (data))
        || (enc && strcmp (enc, "utf-8") != 0 && strcmp (enc, "base64") != 0)
        || (given && (!json_is_array (given) || !json_is_array (data)
                      || json_array_size (given) != json_array_size (data)))
        || (ckpt && json_unpack (ckpt, "{s:s s:o}", "key", &ckey, "value", &cval) < 0)) {
        eddy_respond_error (h, msg, EPROTO,
                            "content.store: expected {data, encoding?, blobrefs?, checkpoint?: {key, value}}");
        return;
    }
    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        forward (ctx, msg, false);
        return;
    }
    text = enc && !strcmp (enc, "utf-8");
    trusted = given && from_this_broker (msg);
    n = json_is_array (data) ? json_array_size (data) : 1;
    bufs = calloc (n + 1, sizeof (bufs[0]));
    ptrs = calloc (n + 1, sizeof (ptrs[0]));
    lens = calloc (n + 1, sizeof (lens[0]));
    brefs = calloc (n + 1, sizeof (brefs[0]));
    refp = calloc (n + 1, sizeof (refp[0]));
    if (!bufs || !ptrs || !lens || !brefs || !refp)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_is_array (data) ? json_array_get (data, i) : data;
        if (blob_bytes (s, text, &ptrs[i], &lens[i], &bufs[i]) < 0) {
            if (errno == ENOMEM)
                goto nomem;
            eddy_respond_error (h, msg, EPROTO, text ? "content.store: a blob is not a string"
                                                     : "content.store: a blob is not base64");
            goto out;
        }
        const char *gref = given ? json_string_value (json_array_get (given, i)) : NULL;
        if (given && !eddy_blobref_valid (gref)) {
            eddy_respond_error (h, msg, EPROTO, "content.store: a blobref is malformed");
            goto out;
        }
        if (trusted)
            refp[i] = gref;
        else if (gref) {
            eddy_reactor_count_hash (eddy_handle_reactor (h), lens[i]);
            /* check what others send by the hash its name gives: the
             * name must be the content's */
            if (!eddy_blobref_check (gref, ptrs[i], lens[i])) {
                eddy_respond_error (h, msg, EPROTO, "content.store: a blobref does not match its blob");
                goto out;
            }
            refp[i] = gref;
        }
        else {
            eddy_blobref_hash_alg (ctx->hash, ptrs[i], lens[i], brefs[i]);
            eddy_reactor_count_hash (eddy_handle_reactor (h), lens[i]);
            refp[i] = brefs[i];
        }
    }
    if (ckey && !(ctext = json_dumps (cval, JSON_COMPACT | JSON_ENCODE_ANY)))
        goto nomem;
    if (ctx->ops->store (ctx->impl, n, refp, ptrs, lens, ckey, ctext, &err) < 0) {
        int e = errno;
        char text[sizeof (err.text) + 64];
        /* the writer sees the errno's own words first (ENOSPC: "No space
         * left on device"), then the store's */
        snprintf (text, sizeof (text), "%s (%s)", strerror (e), err.text);
        content_log (ctx, LOG_ERR, "store of %zu blobs failed: %s", n, err.text);
        eddy_respond_error (h, msg, e, text);
        goto out;
    }
    if (!json_is_array (data))
        eddy_respond_pack (h, msg, "{s:s}", "blobref", refp[0]);
    else if (given) /* the same names: share the request's array */
        eddy_respond_pack (h, msg, "{s:O}", "blobrefs", given);
    else {
        if (!(refs = json_array ()))
            goto stored_nomem;
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new (refs, json_string (refp[i])) < 0)
                goto stored_nomem;
        eddy_respond_pack (h, msg, "{s:O}", "blobrefs", refs);
    }
    gc_maybe (ctx);
    goto out;
stored_nomem:
    eddy_respond_error (h, msg, ENOMEM, "stored, but the answer could not be built");
    goto out;
nomem:
    eddy_respond_error (h, msg, ENOMEM, NULL);
out:
    for (size_t i = 0; bufs && i < n; i++)
        free (bufs[i]);
    free (bufs);
    free (ptrs);
    free (lens);
    free (brefs);
    free (refp);
    free (ctext);
    json_decref (refs);
}

/* One collection; answers msg if there is one. */
static void gc_run (struct content *ctx, const eddy_msg_t *msg)
{
    struct eddy_backing_gc res;
    eddy_error_t err;

    if (ctx->ops->gc (ctx->impl, &res, &err) < 0) {
        int e = errno;
        content_log (ctx, LOG_ERR, "garbage collection failed: %s", err.text);
        if (msg)
            eddy_respond_error (ctx->h, msg, e, err.text);
        return;
    }
    ctx->gc_runs++;
    ctx->gc_freed += res.freed;
    ctx->gc_freed_bytes += res.freed_bytes;
    ctx->gc_last_live = res.live;
    ctx->gc_last_live_bytes = res.live_bytes;
    ctx->gc_last = res;
    if (res.missing > 0)
        content_log (ctx, LOG_ERR, "garbage collection: %llu blobrefs name no stored blob",
                     (unsigned long long)res.missing);
    if (msg)
        eddy_respond_pack (ctx->h, msg, "{s:I s:I s:I s:I s:I s:I}", "live", (json_int_t)res.live,
                           "live-bytes", (json_int_t)res.live_bytes, "young", (json_int_t)res.young,
                           "freed", (json_int_t)res.freed, "freed-bytes", (json_int_t)res.freed_bytes,
                           "missing", (json_int_t)res.missing);
}

static void gc_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;

    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        forward (ctx, msg, false);
        return;
    }
    gc_run (ctx, msg);
}

static void ckpt_get_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;
    const char *key;
    char *text;
    json_t *v;

    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "key", &key) < 0) {
        eddy_respond_error (h, msg, EPROTO, "content.checkpoint-get: expected {key}");
        return;
    }
    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        forward (ctx, msg, false);
        return;
    }
    if (ctx->ops->checkpoint_get (ctx->impl, key, &text) < 0) {
        eddy_respond_error (h, msg, errno, errno == ENOENT ? "no such checkpoint" : NULL);
        return;
    }
    if (!(v = json_loads (text, JSON_DECODE_ANY, NULL)))
        eddy_respond_error (h, msg, EIO, "checkpoint is not JSON");
    else
        eddy_respond_pack (h, msg, "{s:o}", "value", v);
    free (text);
}

static void ckpt_put_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;
    const char *key;
    json_t *value;
    char *text;
    eddy_error_t err;

    if (json_unpack (eddy_msg_payload (msg), "{s:s s:o}", "key", &key, "value", &value) < 0) {
        eddy_respond_error (h, msg, EPROTO, "content.checkpoint-put: expected {key, value}");
        return;
    }
    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        forward (ctx, msg, false);
        return;
    }
    if (!(text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY))) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    if (ctx->ops->store (ctx->impl, 0, NULL, NULL, NULL, key, text, &err) < 0)
        eddy_respond_error (h, msg, errno, err.text);
    else
        eddy_respond (h, msg, NULL);
    free (text);
}

static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct content *ctx = arg;
    uint64_t count, bytes;

    if (not_ready (ctx, msg))
        return;
    if (ctx->rank != 0) {
        eddy_respond_pack (h, msg, "{s:I}", "cached", (json_int_t)json_object_size (ctx->cache));
        return;
    }
    ctx->ops->stats (ctx->impl, &count, &bytes);
    eddy_respond_pack (h, msg, "{s:s s:b s:I s:I s:{s:I s:I s:I s:I s:I s:I s:I}}", "backing", ctx->ops->name,
                       "temporary", ctx->temporary, "count", (json_int_t)count, "bytes", (json_int_t)bytes, "gc", "runs",
                       (json_int_t)ctx->gc_runs, "live", (json_int_t)ctx->gc_last.live, "live-bytes",
                       (json_int_t)ctx->gc_last.live_bytes, "garbage",
                       (json_int_t)(count > ctx->gc_last.live ? count - ctx->gc_last.live : 0),
                       "garbage-bytes",
                       (json_int_t)(bytes > ctx->gc_last.live_bytes ? bytes - ctx->gc_last.live_bytes : 0),
                       "freed", (json_int_t)ctx->gc_freed, "freed-bytes", (json_int_t)ctx->gc_freed_bytes);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "content.load", load_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "content.store", store_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "content.checkpoint-get", ckpt_get_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "content.checkpoint-put", ckpt_put_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "content.stats", stats_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "content.gc", gc_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

/* Open the backing store.  "memory": memory.  Otherwise sqlite in
 * statedir if there is one; without one, "sqlite" is a temporary sqlite
 * store in rundir (a real broker's runtime directory) and the default is
 * memory (as in the simulator, where brokers have neither directory).
 */
static int open_store (struct content *ctx, const char *statedir, const char *rundir, eddy_error_t *err)
{
    const char *dir = statedir;
    json_t *opts = ctx->args;
    json_t *tmp = NULL;

    if (ctx->backing == BACKING_MEMORY)
        ctx->ops = &eddy_backing_memory;
    else if (statedir && *statedir)
        ctx->ops = &eddy_backing_sqlite;
    else if (ctx->backing == BACKING_SQLITE && rundir && *rundir) {
        /* the store lives and dies with this instance: the sqlite backing
         * removes it at open and at close */
        if (!(tmp = json_deep_copy (ctx->args)) || json_object_set_new (tmp, "temporary", json_true ()) < 0) {
            json_decref (tmp);
            errno = ENOMEM;
            return eddy_error_set (err, "out of memory");
        }
        opts = tmp;
        dir = rundir;
        ctx->ops = &eddy_backing_sqlite;
    }
    else if (ctx->backing == BACKING_SQLITE) {
        errno = EINVAL;
        return eddy_error_set (err, "sqlite backing store needs a state or runtime directory");
    }
    else
        ctx->ops = &eddy_backing_memory;
    ctx->impl = ctx->ops->open (dir, opts, err);
    json_decref (tmp);
    if (!ctx->impl)
        return -1;
    ctx->temporary = tmp != NULL;
    /* A store reopened with history: what it holds is the baseline, so the
     * first store of this instance does not sweep the whole of it (the
     * restart would cost time in proportion to history); garbage left by
     * the last instance is collected once the store has grown gc_factor
     * times over. */
    uint64_t count, bytes;
    ctx->ops->stats (ctx->impl, &count, &bytes);
    ctx->gc_last_live = count;
    ctx->gc_last_live_bytes = bytes;
    return 0;
}

static void store_opened (struct content *ctx, const char *statedir, const char *rundir)
{
    eddy_error_t err;

    if (open_store (ctx, statedir, rundir, &err) < 0) {
        content_log (ctx, LOG_ERR, "cannot open the backing store: %s", err.text);
        if (asprintf (&ctx->open_error, "content: cannot open the backing store: %s", err.text) < 0)
            ctx->open_error = NULL;
    }
    else {
        const char *dir = statedir && *statedir ? statedir : ctx->temporary ? rundir : NULL;
        content_log (ctx, LOG_INFO, "backing store: %s%s%s%s", ctx->ops->name,
                     ctx->temporary ? " (temporary)" : "", dir ? " in " : "", dir ? dir : "");
    }
    eddy_held_release (&ctx->deferred, ctx->h);
}

static void rundir_cb (eddy_future_t *f, void *arg)
{
    struct content *ctx = arg;
    const char *dir = NULL;

    (void)eddy_rpc_get_unpack (f, "{s:s}", "value", &dir);
    store_opened (ctx, NULL, dir);
    eddy_future_destroy (f);
    ctx->attr_f = NULL;
}

static void attr_cb (eddy_future_t *f, void *arg)
{
    struct content *ctx = arg;
    const char *dir = NULL;

    (void)eddy_rpc_get_unpack (f, "{s:s}", "value", &dir);
    if (!(dir && *dir) && ctx->backing == BACKING_SQLITE) {
        /* no state directory: the runtime directory, if the broker has one */
        eddy_future_t *rf = eddy_rpc_pack (ctx->h, "attr.get", ctx->rank, 0, "{s:s}", "name",
                                           "broker.rundir");
        if (rf && eddy_future_then (rf, -1, rundir_cb, ctx) == 0) {
            eddy_future_destroy (f);
            ctx->attr_f = rf;
            return;
        }
        eddy_future_destroy (rf);
    }
    store_opened (ctx, dir, NULL);
    eddy_future_destroy (f);
    ctx->attr_f = NULL;
}

static void content_unload (void *arg)
{
    struct content *ctx = arg;
    if (ctx) {
        int saved_errno = errno;
        eddy_msg_handler_delvec (ctx->handlers);
        eddy_future_destroy (ctx->attr_f);
        while (ctx->fwds)
            fwd_destroy (ctx->fwds);
        eddy_held_fail (&ctx->deferred, NULL, 0, NULL);
        if (ctx->impl)
            ctx->ops->close (ctx->impl);
        json_decref (ctx->cache);
        json_decref (ctx->args);
        free (ctx->open_error);
        free (ctx);
        errno = saved_errno;
    }
}

int eddy_content_hash_config (const json_t *table, eddy_hash_t *alg, eddy_error_t *err)
{
    json_t *v = json_object_get (table, "hash");

    *alg = EDDY_HASH_SHA256;
    if (!v)
        return 0;
    if (!json_is_string (v)) {
        errno = EINVAL;
        return eddy_error_set (err, "content.hash: expected a string");
    }
    if (eddy_hash_parse (json_string_value (v), alg) < 0) {
        errno = EINVAL;
        return eddy_error_set (err, "content.hash: '%s' is not a hash (sha256, blake2b)", json_string_value (v));
    }
    return 0;
}

/* "backing" from the module args, else from [content]: "sqlite",
 * "memory" or none (the default).  -1 + EINVAL with err for another value.
 */
static int backing_config (struct content *ctx, eddy_error_t *err)
{
    json_t *v = json_object_get (ctx->args, "backing");
    const json_t *conf = eddy_handle_config (ctx->h);
    if (!v && conf)
        v = json_object_get (conf, "backing");
    if (!v)
        return 0;
    const char *name = json_string_value (v);
    if (name && !strcmp (name, "sqlite"))
        ctx->backing = BACKING_SQLITE;
    else if (name && !strcmp (name, "memory"))
        ctx->backing = BACKING_MEMORY;
    else {
        errno = EINVAL;
        return eddy_error_set (err, "content.backing: '%s' is not a backing store (sqlite, memory)",
                               name ? name : "(not a string)");
    }
    return 0;
}

static int content_load (eddy_handle_t *h, json_t *args, void **out)
{
    struct content *ctx;
    const char *statedir = NULL;
    json_int_t cache_max = 65536, gc_min = 10000, gc_min_bytes = 8 * 1024 * 1024;
    double gc_factor = 2.0;
    eddy_hash_t hash;
    eddy_error_t err;

    if (eddy_content_hash_config (eddy_handle_config (h), &hash, &err) < 0) {
        eddy_future_destroy (eddy_rpc_pack (h, "log.append", eddy_handle_rank (h), EDDY_RPC_NORESPONSE,
                                            "{s:i s:s s:s}", "level", LOG_ERR, "name", "content", "message",
                                            err.text));
        errno = EINVAL;
        return -1;
    }
    if (args
        && json_unpack (args, "{s?s s?I s?F s?I s?I}", "statedir", &statedir, "cache-max", &cache_max,
                        "gc-factor", &gc_factor, "gc-min", &gc_min, "gc-min-bytes", &gc_min_bytes)
               < 0) {
        errno = EINVAL;
        return -1;
    }
    if (cache_max < 1 || gc_min < 0 || gc_min_bytes < 0 || !(gc_factor == 0 || gc_factor > 1)) {
        errno = EINVAL;
        return -1;
    }
    if (!(ctx = calloc (1, sizeof (*ctx))))
        return -1;
    ctx->h = h;
    ctx->rank = eddy_handle_rank (h);
    ctx->cache_max = (size_t)cache_max;
    ctx->gc_factor = gc_factor;
    ctx->gc_min = (uint64_t)gc_min;
    ctx->gc_min_bytes = (uint64_t)gc_min_bytes;
    ctx->hash = hash;
    ctx->args = args ? json_incref (args) : json_object ();
    if (!(ctx->cache = json_object ()))
        goto error;
    if (backing_config (ctx, &err) < 0) {
        content_log (ctx, LOG_ERR, "%s", err.text);
        goto error;
    }
    if (ctx->rank == 0) {
        if (statedir || ctx->backing == BACKING_MEMORY) {
            if (open_store (ctx, statedir, NULL, &err) < 0) {
                content_log (ctx, LOG_ERR, "cannot open the backing store: %s", err.text);
                goto error;
            }
        }
        else if (!(ctx->attr_f = eddy_rpc_pack (h, "attr.get", ctx->rank, 0, "{s:s}", "name", "statedir"))
                 || eddy_future_then (ctx->attr_f, -1, attr_cb, ctx) < 0)
            goto error;
    }
    if (eddy_msg_handler_addvec (h, handlers, ctx, &ctx->handlers) < 0)
        goto error;
    if (eddy_service_register (h, "content") < 0)
        goto error;
    *out = ctx;
    return 0;
error:
    content_unload (ctx);
    if (!errno)
        errno = EINVAL;
    return -1;
}

const struct eddy_module eddy_module_content = {
    .name = "content",
    .load = content_load,
    .unload = content_unload,
};
