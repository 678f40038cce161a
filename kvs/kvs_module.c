/* kvs_module.c - the kvs module: see kvs_module.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "kvs/blobref.h"
#include "kvs/cache.h"
#include "kvs/content.h"
#include "kvs/kvs.h"
#include "kvs/kvs_module.h"
#include "kvs/tree.h"
#include "kvs/treeobj.h"

#define CHECKPOINT_KEY "kvs"
#define PRIMARY "primary"

struct kvs;

struct ns {
    char *name;
    uint32_t owner;
    char root[EDDY_BLOBREF_SIZE];
    uint64_t seq;
    /* during a batch */
    bool touched, removing;
    char newroot[EDDY_BLOBREF_SIZE];
    /* the working tree of the last batch, which stands for workroot:
     * kept for the next batch, if that starts from workroot (see
     * ns_work ())
     */
    json_t *work;
    char workroot[EDDY_BLOBREF_SIZE];
    unsigned work_batches;
    struct ns *next;
};

/* A kept working tree holds every directory it wrote, decoded: every
 * WORK_COLLAPSE batches on it, those not written in that many batches go
 * back to their blobs (the tree's memory stays in proportion to what the
 * recent commits changed).
 */
#define WORK_COLLAPSE 1024

/* a queued request: a commit or a namespace change */
struct req {
    const eddy_msg_t *msg;
    char *ns;
    bool is_nsop;
    struct req *next;
};

struct watcher {
    struct kvs *ctx;
    const eddy_msg_t *msg;
    char *ns, *key, *route;
    int flags;
    uint32_t matchtag;
    json_t *last; /* entry last seen (NULL: none) */
    bool seen;    /* a first response was sent */
    size_t offset; /* append mode: bytes sent */
    int busy;     /* loads this watcher waits for */
    bool job_check; /* a guest's: check the job's owner first */
    uint32_t userid;
    bool again, dead;
    struct watcher *prev, *next;
};

struct waiter {
    void (*fn) (struct kvs *ctx, void *arg, int errnum);
    void *arg;
    struct waiter *next;
};

struct load {
    struct kvs *ctx;
    char ref[EDDY_BLOBREF_SIZE];
    uint64_t rootgen; /* ctx->rootgen when it was asked for */
    eddy_future_t *f;
    struct waiter *waiters;
    struct load *next, **pprev; /* ctx->loads, in no particular order */
    struct load *hnext;         /* the chain of its bucket in ctx->loadtab */
};

struct kvs {
    eddy_handle_t *h;
    uint32_t rank;
    eddy_msg_handler_t **handlers;
    eddy_kvs_cache_t *cache;
    eddy_hash_t hash; /* [content] hash: how new blobs are named */
    size_t cache_max, cache_max_bytes;
    uint64_t epoch;
    /* The cache's clock: a tick per batch and per blob loaded, so that a
     * long run of lookups without commits (eddy jobs -a reading the
     * history back) is held to the budget too; batch_tick is the tick its
     * batch started at (what a stalled batch has used since is kept). */
    uint64_t cache_tick, batch_tick;

    /* start-up: the checkpoint */
    bool ready;
    char *broken;
    eddy_future_t *ckpt_f;
    eddy_watcher_t *retry_w;
    int retries;
    const eddy_msg_t **deferred;
    size_t ndeferred, deferred_cap;

    struct ns *namespaces;
    struct req *pending, *pending_tail; /* waiting for a batch */
    struct req *inflight;               /* in the batch being stored */
    eddy_future_t *store_f;
    int stalled;  /* loads the batch waits for */
    int stall_errnum; /* one of them failed */
    eddy_watcher_t *check_w;

    struct watcher *watchers;
    struct load *loads;
    struct load **loadtab; /* loads by blobref: a burst of job starts asks for thousands at once */
    size_t loadtab_size, nloads;
    uint64_t rootgen; /* goes up each time stored roots change */
    char (*superseded)[EDDY_BLOBREF_SIZE]; /* see src_copied () */
    json_t *shared; /* see SHARED_MAX */
    size_t nsuperseded, superseded_cap;
    uint64_t ncommits, nbatches;
};

static const char *errstr_or (const char *s, int errnum)
{
    return s && *s ? s : strerror (errnum);
}

static void kvs_log (struct kvs *ctx, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof (buf), fmt, ap);
    va_end (ap);
    eddy_future_destroy (eddy_rpc_pack (ctx->h, "log.append", ctx->rank, EDDY_RPC_NORESPONSE,
                                        "{s:i s:s s:s}", "level", level, "name", "kvs", "message", buf));
}

/* ---- the blob source for tree.c: the cache ---- */

/* Some blobs are held by several places of a tree at once (e.g. buckets
 * that hold one like entry, "1" under the same name): when one place
 * changes, the blob is not garbage, and dropping it makes the next commit
 * to reach another place wait for a load.  A blob a batch had to wait
 * for is remembered as such (up to this many; then the memory starts
 * over) and no longer dropped when superseded: one wait per shared blob,
 * not one per change of one of its places.
 */
#define SHARED_MAX 65536

static json_t *src_get_obj (void *arg, const char *ref, eddy_error_t *err)
{
    struct kvs *ctx = arg;
    json_t *o = eddy_kvs_cache_get_obj (ctx->cache, ref, err);
    if (!o && errno == ENOENT)
        errno = EAGAIN;
    return o;
}

static int src_get_data (void *arg, const char *ref, const void **data, size_t *len)
{
    struct kvs *ctx = arg;
    if (eddy_kvs_cache_get_data (ctx->cache, ref, data, len) < 0) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}

static int src_put (void *arg, void *data, size_t len, json_t *obj, char ref[EDDY_BLOBREF_SIZE])
{
    struct kvs *ctx = arg;
    struct eddy_digest d;
    eddy_digest_hash (ctx->hash, data, len, &d);
    eddy_reactor_count_hash (eddy_handle_reactor (ctx->h), len);
    eddy_blobref_format (&d, ref);
    return eddy_kvs_cache_insert_digest (ctx->cache, &d, data, len, obj, true);
}

/* A stored directory was copied into a working tree: remember it, to drop
 * it from the cache once the batch is written (it is garbage then, most
 * likely, and old versions would otherwise push live objects out).
 */
static void src_copied (void *arg, const char *ref)
{
    struct kvs *ctx = arg;
    if (json_object_size (ctx->shared) > 0 && json_object_get (ctx->shared, ref))
        return;
    if (ctx->nsuperseded == ctx->superseded_cap) {
        size_t cap = ctx->superseded_cap ? ctx->superseded_cap * 2 : 64;
        char (*p)[EDDY_BLOBREF_SIZE] = realloc (ctx->superseded, cap * sizeof (p[0]));
        if (!p)
            return; /* a hint only */
        ctx->superseded = p;
        ctx->superseded_cap = cap;
    }
    snprintf (ctx->superseded[ctx->nsuperseded++], EDDY_BLOBREF_SIZE, "%s", ref);
}

static const struct eddy_kvs_tree_src src_ops = { src_get_obj, src_get_data, src_put, src_copied };

/* ---- faulting blobs in from the content store ---- */

static size_t load_bucket (const struct kvs *ctx, const char *ref)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h & (ctx->loadtab_size - 1);
}

static struct load *load_find (const struct kvs *ctx, const char *ref)
{
    if (!ctx->loadtab)
        return NULL;
    for (struct load *ld = ctx->loadtab[load_bucket (ctx, ref)]; ld; ld = ld->hnext)
        if (!strcmp (ld->ref, ref))
            return ld;
    return NULL;
}

/* Enter ld in the list and the table (grown to keep chains short).
 * -1 + ENOMEM.
 */
static int load_link (struct kvs *ctx, struct load *ld)
{
    if (ctx->nloads >= ctx->loadtab_size) {
        size_t size = ctx->loadtab_size ? ctx->loadtab_size * 2 : 64;
        struct load **tab = calloc (size, sizeof (tab[0]));
        if (!tab)
            return -1;
        free (ctx->loadtab);
        ctx->loadtab = tab;
        ctx->loadtab_size = size;
        for (struct load *l = ctx->loads; l; l = l->next) {
            size_t b = load_bucket (ctx, l->ref);
            l->hnext = tab[b];
            tab[b] = l;
        }
    }
    size_t b = load_bucket (ctx, ld->ref);
    ld->hnext = ctx->loadtab[b];
    ctx->loadtab[b] = ld;
    ld->next = ctx->loads;
    ld->pprev = &ctx->loads;
    if (ctx->loads)
        ctx->loads->pprev = &ld->next;
    ctx->loads = ld;
    ctx->nloads++;
    return 0;
}

static void load_unlink (struct kvs *ctx, struct load *ld)
{
    struct load **pp = &ctx->loadtab[load_bucket (ctx, ld->ref)];
    while (*pp != ld)
        pp = &(*pp)->hnext;
    *pp = ld->hnext;
    *ld->pprev = ld->next;
    if (ld->next)
        ld->next->pprev = ld->pprev;
    ctx->nloads--;
}

static void load_finish (struct load *ld, int errnum)
{
    struct kvs *ctx = ld->ctx;
    load_unlink (ctx, ld);
    struct waiter *w = ld->waiters;
    eddy_future_destroy (ld->f);
    free (ld);
    while (w) {
        struct waiter *next = w->next;
        w->fn (ctx, w->arg, errnum);
        free (w);
        w = next;
    }
}

/* After a load while no batch is pending or being stored (one that is
 * trims the cache when it is done): let the least recently used clean
 * blobs go beyond the budget, but none used during the last READ_KEEP
 * loads (a lookup waiting for its next blob used the ones above it at its
 * last try, and they would be loaded again only if more than READ_KEEP
 * loads came in between).
 */
#define READ_KEEP 1024
static void read_trim (struct kvs *ctx)
{
    if (ctx->cache_tick <= READ_KEEP || ctx->pending || ctx->store_f || ctx->stalled)
        return;
    eddy_kvs_cache_trim (ctx->cache, ctx->cache_max, ctx->cache_max_bytes, ctx->cache_tick - READ_KEEP);
}

static void load_cb (eddy_future_t *f, void *arg)
{
    struct load *ld = arg;
    json_t *d;
    const char *enc = NULL;
    void *data = NULL;
    size_t len = 0;
    int errnum = 0;

    if (eddy_rpc_get_unpack (f, "{s:o s?s}", "data", &d, "encoding", &enc) < 0) {
        errnum = errno;
        if (errnum == ENOENT && ld->rootgen != ld->ctx->rootgen) {
            /* collected since it was asked for: the roots have moved on,
             * and whoever wanted it starts again from the new ones
             */
            load_finish (ld, 0);
            return;
        }
    }
    else if (!json_is_string (d))
        errnum = EPROTO;
    else if (enc && !strcmp (enc, "utf-8")) {
        len = json_string_length (d);
        if (!(data = malloc (len + 1)))
            errnum = ENOMEM;
        else
            memcpy (data, json_string_value (d), len + 1);
    }
    else if (!(data = eddy_base64_decode (json_string_value (d), json_string_length (d), &len)))
        errnum = EPROTO;
    if (!errnum) {
        eddy_reactor_count_hash (eddy_handle_reactor (ld->ctx->h), len);
        if (!eddy_blobref_check (ld->ref, data, len)) {
            free (data);
            errnum = EIO;
        }
        else {
            struct kvs *ctx = ld->ctx;
            eddy_kvs_cache_set_epoch (ctx->cache, ++ctx->cache_tick);
            if (eddy_kvs_cache_insert (ctx->cache, ld->ref, data, len, false) < 0)
                errnum = errno;
            else
                read_trim (ctx);
        }
    }
    if (errnum)
        kvs_log (ld->ctx, LOG_ERR, "cannot load %s: %s", ld->ref, strerror (errnum));
    load_finish (ld, errnum);
}

/* Call fn (ctx, arg, errnum) once ref is in the cache (errnum 0) or cannot
 * be had.  -1 + ENOMEM.
 */
static int load_blob (struct kvs *ctx, const char *ref, void (*fn) (struct kvs *, void *, int), void *arg)
{
    struct load *ld;
    struct waiter *w = calloc (1, sizeof (*w));

    if (!w)
        return -1;
    w->fn = fn;
    w->arg = arg;
    if (!(ld = load_find (ctx, ref))) {
        if (!(ld = calloc (1, sizeof (*ld)))) {
            free (w);
            return -1;
        }
        ld->ctx = ctx;
        ld->rootgen = ctx->rootgen;
        snprintf (ld->ref, sizeof (ld->ref), "%s", ref);
        if (!(ld->f = eddy_rpc_pack (ctx->h, "content.load", 0, 0, "{s:s s:s}", "blobref", ref, "encoding",
                                     "utf-8"))
            || eddy_future_then (ld->f, -1, load_cb, ld) < 0 || load_link (ctx, ld) < 0) {
            eddy_future_destroy (ld->f);
            free (ld);
            free (w);
            return -1;
        }
    }
    w->next = ld->waiters;
    ld->waiters = w;
    return 0;
}

/* ---- namespaces ---- */

static struct ns *ns_find (struct kvs *ctx, const char *name)
{
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        if (!strcmp (ns->name, name))
            return ns;
    return NULL;
}

static struct ns *ns_add (struct kvs *ctx, const char *name, uint32_t owner, const char *root, uint64_t seq)
{
    struct ns *ns = calloc (1, sizeof (*ns)), **pp;
    if (!ns || !(ns->name = strdup (name))) {
        free (ns);
        return NULL;
    }
    ns->owner = owner;
    ns->seq = seq;
    snprintf (ns->root, sizeof (ns->root), "%s", root);
    /* kept sorted by name: listings and checkpoints come out in one order */
    for (pp = &ctx->namespaces; *pp && strcmp ((*pp)->name, name) < 0; pp = &(*pp)->next)
        ;
    ns->next = *pp;
    *pp = ns;
    return ns;
}

static void ns_remove (struct kvs *ctx, struct ns *ns)
{
    struct ns **pp = &ctx->namespaces;
    while (*pp != ns)
        pp = &(*pp)->next;
    *pp = ns->next;
    json_decref (ns->work);
    free (ns->name);
    free (ns);
}

static void ns_work_drop (struct ns *ns)
{
    json_decref (ns->work);
    ns->work = NULL;
}

/* The working tree for a batch on ns: the last batch's, if it stands for
 * the stored root (it does unless that batch failed or was abandoned),
 * so that the directories it wrote are changed in place; else a new one.
 * NULL + errno as eddy_kvs_tree_begin ().
 */
static json_t *ns_work (struct eddy_kvs_tree *t, struct ns *ns)
{
    if (ns->work && strcmp (ns->workroot, ns->root) != 0)
        ns_work_drop (ns);
    if (!ns->work) {
        if (!(ns->work = eddy_kvs_tree_begin (t, ns->root)))
            return NULL;
        ns->work_batches = 0;
    }
    if (++ns->work_batches % WORK_COLLAPSE == 0 && t->epoch > WORK_COLLAPSE)
        (void)eddy_kvs_tree_collapse (t, ns->work, t->epoch - WORK_COLLAPSE); /* best effort */
    return ns->work;
}

/* True if the sender may use ns without more checks: the instance
 * owner, or the user the namespace belongs to.
 */
static bool ns_owned (const struct ns *ns, const eddy_msg_t *msg)
{
    return (eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) || eddy_msg_userid (msg) == ns->owner;
}

/* Find the request's namespace and check that the sender may use it.
 * With read_key, a guest may also read that key of the primary namespace
 * if it lies under the directory of one of their own jobs: ns is returned
 * and *job_check set, for guest_job_check () before the key is read.
 */
static struct ns *ns_access_read (struct kvs *ctx, const eddy_msg_t *msg, const char *name,
                                  const char *read_key, bool *job_check)
{
    struct ns *ns = ns_find (ctx, name ? name : PRIMARY);
    if (job_check)
        *job_check = false;
    if (!ns) {
        eddy_respond_error (ctx->h, msg, ENOTSUP, "no such namespace");
        return NULL;
    }
    if (read_key && !ns_owned (ns, msg) && !strcmp (ns->name, PRIMARY)
        && eddy_kvs_job_key_parse (read_key, NULL, NULL) == 0) {
        *job_check = true;
        return ns;
    }
    if (!ns_owned (ns, msg)) {
        eddy_respond_error (ctx->h, msg, EPERM, "namespace belongs to another user");
        return NULL;
    }
    return ns;
}

static struct ns *ns_access (struct kvs *ctx, const eddy_msg_t *msg, const char *name)
{
    return ns_access_read (ctx, msg, name, NULL, NULL);
}

/* A guest's read of key (under a job's directory, ns_access_read ()): 0
 * if the job's submit entry names userid, -1 + EPERM if it names another
 * user or the job is not found, -1 + EAGAIN (t->missing) for a blob to
 * load first.  The submit entry is written by job-ingest with the
 * submitter's stamped credentials, and only the owner writes there.
 */
static int guest_job_check (struct eddy_kvs_tree *t, const struct ns *ns, const char *key,
                            uint32_t userid)
{
    char evkey[64];
    uint64_t id;
    json_t *entry, *ev = NULL;
    char *text;
    size_t len;
    json_int_t submitter = -1;

    if (eddy_kvs_job_key_parse (key, &id, NULL) < 0
        || eddy_kvs_job_key (evkey, sizeof (evkey), id, "eventlog") < 0)
        goto denied;
    if (!(entry = eddy_kvs_tree_lookup (t, ns->root, evkey)))
        goto fail;
    text = eddy_kvs_tree_read (t, entry, &len);
    json_decref (entry);
    if (!text)
        goto fail;
    char *nl = memchr (text, '\n', len);
    ev = json_loadb (text, nl ? (size_t)(nl - text) : len, 0, NULL);
    free (text);
    const char *name = NULL;
    if (!ev || json_unpack (ev, "{s:s s:{s:I}}", "name", &name, "context", "userid", &submitter) < 0
        || strcmp (name, "submit") != 0 || submitter != (json_int_t)userid)
        goto denied;
    json_decref (ev);
    return 0;
fail:
    if (errno == EAGAIN)
        return -1;
denied:
    json_decref (ev);
    errno = EPERM;
    return -1;
}

#define GUEST_DENIED "a guest may read only the keys of their own jobs"

/* ---- replies with values ---- */

/* The payload for an entry: {value: TEXT} or {dir: [names]}, or NULL with
 * errno (EAGAIN: t->missing names the blob).
 */
static json_t *entry_payload (struct eddy_kvs_tree *t, const json_t *entry)
{
    if (eddy_treeobj_type (entry) == EDDY_TREEOBJ_DIRREF) {
        json_t *names = eddy_kvs_tree_list (t, entry);
        return names ? json_pack ("{s:o}", "dir", names) : NULL;
    }
    size_t len;
    char *text = eddy_kvs_tree_read (t, entry, &len);
    json_t *s, *o;
    if (!text)
        return NULL;
    if (!(s = json_stringn (text, len))) {
        free (text);
        eddy_error_set (&t->err, "value is not UTF-8 text");
        errno = EILSEQ;
        return NULL;
    }
    free (text);
    o = json_pack ("{s:o}", "value", s);
    return o;
}

/* ---- lookups ---- */

static void lookup_run (struct kvs *ctx, const eddy_msg_t *msg);

static void lookup_retry (struct kvs *ctx, void *arg, int errnum)
{
    const eddy_msg_t *msg = arg;
    if (errnum)
        eddy_respond_error (ctx->h, msg, EIO, "a blob of the tree cannot be loaded");
    else
        lookup_run (ctx, msg);
    eddy_msg_decref (msg);
}

static void lookup_run (struct kvs *ctx, const eddy_msg_t *msg)
{
    const char *nsname = NULL, *key;
    struct eddy_kvs_tree t;
    struct ns *ns;
    json_t *entry = NULL, *o = NULL;

    if (json_unpack (eddy_msg_payload (msg), "{s?s s:s}", "namespace", &nsname, "key", &key) < 0) {
        eddy_respond_error (ctx->h, msg, EPROTO, "kvs.lookup: expected {namespace?, key}");
        return;
    }
    bool job_check;
    if (!(ns = ns_access_read (ctx, msg, nsname, key, &job_check)))
        return;
    eddy_kvs_tree_init (&t, &src_ops, ctx);
    if ((job_check && guest_job_check (&t, ns, key, eddy_msg_userid (msg)) < 0)
        || !(entry = eddy_kvs_tree_lookup (&t, ns->root, key)) || !(o = entry_payload (&t, entry))) {
        if (errno == EPERM)
            eddy_respond_error (ctx->h, msg, EPERM, GUEST_DENIED);
        else if (errno == EAGAIN) {
            if (load_blob (ctx, t.missing, lookup_retry, (void *)eddy_msg_incref (msg)) < 0) {
                eddy_msg_decref (msg);
                eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
            }
        }
        else
            eddy_respond_error (ctx->h, msg, errno, errno == EINVAL || errno == EILSEQ ? t.err.text : NULL);
        goto out;
    }
    eddy_respond (ctx->h, msg, o);
out:
    json_decref (o);
    json_decref (entry);
}

/* ---- watches ---- */

static void watcher_free (struct watcher *w)
{
    if (w) {
        eddy_msg_decref (w->msg);
        json_decref (w->last);
        free (w->ns);
        free (w->key);
        free (w->route);
        free (w);
    }
}

/* End a watch: unlink it; free it now, or once its loads are back. */
static void watcher_end (struct watcher *w, int errnum, const char *text)
{
    struct kvs *ctx = w->ctx;
    if (w->dead)
        return;
    if (errnum)
        eddy_respond_error (ctx->h, w->msg, errnum, text);
    if (w->prev)
        w->prev->next = w->next;
    else
        ctx->watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->dead = true;
    if (w->busy == 0)
        watcher_free (w);
}

static void watcher_check (struct watcher *w);

static void watcher_retry (struct kvs *ctx, void *arg, int errnum)
{
    struct watcher *w = arg;
    w->busy--;
    if (w->dead) {
        if (w->busy == 0)
            watcher_free (w);
        return;
    }
    if (errnum)
        watcher_end (w, EIO, "a blob of the tree cannot be loaded");
    else
        watcher_check (w);
}

/* The text appended to a value since `last`, if entry extends it by more
 * blobrefs (the eventlog case): a new string, or NULL (not that case).
 */
static char *appended_refs (struct eddy_kvs_tree *t, const json_t *last, const json_t *entry, size_t *len)
{
    json_t *a = json_object_get (last, "data"), *b = json_object_get (entry, "data");
    if (!last || eddy_treeobj_type (last) != EDDY_TREEOBJ_VALREF
        || eddy_treeobj_type (entry) != EDDY_TREEOBJ_VALREF || json_array_size (b) <= json_array_size (a))
        return NULL;
    for (size_t i = 0; i < json_array_size (a); i++)
        if (!json_equal (json_array_get (a, i), json_array_get (b, i)))
            return NULL;
    json_t *tail = json_pack ("{s:i s:s s:[]}", "ver", 1, "type", "valref", "data");
    for (size_t i = json_array_size (a); tail && i < json_array_size (b); i++)
        json_array_append (json_object_get (tail, "data"), json_array_get (b, i));
    char *s = tail ? eddy_kvs_tree_read (t, tail, len) : NULL;
    json_decref (tail);
    if (!s && errno != EAGAIN)
        errno = ENOMEM;
    return s;
}

static void watcher_check (struct watcher *w)
{
    struct kvs *ctx = w->ctx;
    struct eddy_kvs_tree t;
    struct ns *ns = ns_find (ctx, w->ns);
    json_t *entry = NULL, *o = NULL;
    char *text = NULL;
    size_t len;

    if (w->busy > 0) {
        w->again = true;
        return;
    }
    w->again = false;
    if (!ns) {
        watcher_end (w, ENOTSUP, "namespace removed");
        return;
    }
    eddy_kvs_tree_init (&t, &src_ops, ctx);
    if (w->job_check) {
        if (guest_job_check (&t, ns, w->key, w->userid) < 0) {
            if (errno == EAGAIN)
                goto stall;
            watcher_end (w, EPERM, GUEST_DENIED);
            return;
        }
        w->job_check = false; /* a job's submitter does not change */
    }
    if (!(entry = eddy_kvs_tree_lookup (&t, ns->root, w->key))) {
        if (errno == EAGAIN)
            goto stall;
        if (errno == ENOENT && (w->flags & EDDY_KVS_WAITCREATE) && !w->seen)
            return;
        watcher_end (w, errno, errno == EINVAL ? t.err.text : NULL);
        return;
    }
    if (w->seen && w->last && json_equal (entry, w->last))
        goto out;
    if (!(w->flags & EDDY_KVS_WATCH_APPEND) || !w->seen) {
        if (!(o = entry_payload (&t, entry))) {
            if (errno == EAGAIN)
                goto stall;
            watcher_end (w, errno, t.err.text);
            goto out;
        }
        if (w->flags & EDDY_KVS_WATCH_APPEND)
            w->offset = json_string_length (json_object_get (o, "value"));
    }
    else {
        if (eddy_treeobj_type (entry) == EDDY_TREEOBJ_DIRREF) {
            watcher_end (w, EISDIR, NULL);
            goto out;
        }
        if (!(text = appended_refs (&t, w->last, entry, &len))) {
            if (errno == EAGAIN)
                goto stall;
            /* not a plain extension by blobrefs: compare the whole value */
            char *full = eddy_kvs_tree_read (&t, entry, &len);
            if (!full) {
                if (errno == EAGAIN)
                    goto stall;
                watcher_end (w, errno, t.err.text);
                goto out;
            }
            if (len < w->offset) {
                free (full);
                watcher_end (w, EINVAL, "the value was replaced, not appended to");
                goto out;
            }
            len -= w->offset;
            if (!(text = malloc (len + 1))) {
                free (full);
                goto out;
            }
            memcpy (text, full + w->offset, len);
            text[len] = '\0';
            free (full);
        }
        w->offset += len;
        if (len > 0) {
            json_t *s = json_stringn (text, len);
            if (!s) {
                watcher_end (w, EILSEQ, "value is not UTF-8 text");
                goto out;
            }
            o = json_pack ("{s:o}", "value", s);
        }
    }
    if (o)
        eddy_respond (ctx->h, w->msg, o);
    w->seen = true;
    json_decref (w->last);
    w->last = json_incref (entry);
    goto out;
stall:
    if (load_blob (ctx, t.missing, watcher_retry, w) == 0)
        w->busy++;
    else
        watcher_end (w, ENOMEM, NULL);
out:
    free (text);
    json_decref (o);
    json_decref (entry);
}

/* The sender's identity: its route (the hops its request came through). */
static char *route_key (const eddy_msg_t *msg)
{
    eddy_msg_t *c = eddy_msg_copy (msg, false);
    char *s = NULL;
    size_t len = 0;
    FILE *fp;
    uint64_t e;

    if (!c || !(fp = open_memstream (&s, &len))) {
        eddy_msg_decref (c);
        return NULL;
    }
    while (eddy_msg_route_pop (c, &e) == 0)
        fprintf (fp, "%llx.", (unsigned long long)e);
    fclose (fp);
    eddy_msg_decref (c);
    return s;
}

static void watch_run (struct kvs *ctx, const eddy_msg_t *msg)
{
    const char *nsname = NULL, *key;
    int flags = 0;
    struct watcher *w;
    struct ns *ns;

    if (json_unpack (eddy_msg_payload (msg), "{s?s s:s s?i}", "namespace", &nsname, "key", &key,
                     "flags", &flags)
        < 0) {
        eddy_respond_error (ctx->h, msg, EPROTO, "kvs.watch: expected {namespace?, key, flags?}");
        return;
    }
    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        eddy_respond_error (ctx->h, msg, EPROTO, "kvs.watch needs a streaming request");
        return;
    }
    bool job_check;
    if (!(ns = ns_access_read (ctx, msg, nsname, key, &job_check)))
        return;
    if (!(w = calloc (1, sizeof (*w))) || !(w->ns = strdup (ns->name)) || !(w->key = strdup (key))
        || !(w->route = route_key (msg))) {
        watcher_free (w);
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return;
    }
    w->ctx = ctx;
    w->msg = eddy_msg_incref (msg);
    w->flags = flags;
    w->job_check = job_check;
    w->userid = eddy_msg_userid (msg);
    w->matchtag = eddy_msg_matchtag (msg);
    w->next = ctx->watchers;
    if (ctx->watchers)
        ctx->watchers->prev = w;
    ctx->watchers = w;
    watcher_check (w);
}

static void unwatch_run (struct kvs *ctx, const eddy_msg_t *msg)
{
    json_int_t tag;
    char *route;

    if (json_unpack (eddy_msg_payload (msg), "{s:I}", "matchtag", &tag) < 0) {
        eddy_respond_error (ctx->h, msg, EPROTO, "kvs.unwatch: expected {matchtag}");
        return;
    }
    if (!(route = route_key (msg))) {
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return;
    }
    for (struct watcher *w = ctx->watchers; w; w = w->next) {
        if (w->matchtag == (uint32_t)tag && !strcmp (w->route, route)) {
            watcher_end (w, ENODATA, NULL);
            break;
        }
    }
    free (route);
    eddy_respond (ctx->h, msg, NULL);
}

static void watchers_notify (struct kvs *ctx)
{
    struct watcher *w = ctx->watchers, *next;
    while (w) {
        next = w->next; /* w may end */
        struct ns *ns = ns_find (ctx, w->ns);
        if (!ns || ns->touched)
            watcher_check (w);
        w = next;
    }
}

/* ---- commit batches ---- */

static void req_free (struct req *r)
{
    if (r) {
        eddy_msg_decref (r->msg);
        free (r->ns);
        free (r);
    }
}

/* Unlink and fail a pending request. */
static void pending_fail (struct kvs *ctx, struct req *r, int errnum, const char *text)
{
    struct req **pp = &ctx->pending, *prev = NULL;
    while (*pp != r) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = r->next;
    if (ctx->pending_tail == r)
        ctx->pending_tail = prev;
    eddy_respond_error (ctx->h, r->msg, errnum, text);
    req_free (r);
}

static void batch_schedule (struct kvs *ctx)
{
    if (ctx->pending && !ctx->store_f && !ctx->stalled)
        eddy_watcher_start (ctx->check_w);
}

static void batch_run (struct kvs *ctx);

static void batch_retry (struct kvs *ctx, void *arg, int errnum)
{
    if (errnum)
        ctx->stall_errnum = errnum;
    if (--ctx->stalled > 0)
        return;
    if (ctx->stall_errnum) {
        /* the tree is damaged: refuse what is pending rather than spin */
        ctx->stall_errnum = 0;
        while (ctx->pending)
            pending_fail (ctx, ctx->pending, EIO, "a blob of the tree cannot be loaded");
        return;
    }
    batch_run (ctx);
}

/* Set key of o to value (stolen; a NULL value fails): 0, or -1 + ENOMEM.
 * The commit path builds its few small objects per batch this way:
 * json_pack's format parsing showed in its profiles.
 */
static int set (json_t *o, const char *key, json_t *value)
{
    if (json_object_set_new_nocheck (o, key, value) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* {rootref, seq} and, with owner >= 0, {owner}: a namespace's root. */
static json_t *root_object (const char *rootref, uint64_t seq, json_int_t owner)
{
    json_t *o = json_object ();
    if (!o || set (o, "rootref", json_string_nocheck (rootref)) < 0
        || set (o, "seq", json_integer ((json_int_t)seq)) < 0
        || (owner >= 0 && set (o, "owner", json_integer (owner)) < 0)) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    return o;
}

static json_t *checkpoint_value (struct kvs *ctx, struct req *nsops_created)
{
    json_t *nss = json_object ();
    if (!nss)
        return NULL;
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next) {
        if (ns->removing)
            continue;
        if (set (nss, ns->name,
                 root_object (ns->touched ? ns->newroot : ns->root, ns->seq + (ns->touched ? 1 : 0),
                              (json_int_t)ns->owner))
            < 0) {
            json_decref (nss);
            return NULL;
        }
    }
    json_t *v = json_object ();
    if (!v || set (v, "version", json_integer (1)) < 0) {
        json_decref (v);
        json_decref (nss);
        errno = ENOMEM;
        return NULL;
    }
    if (set (v, "namespaces", nss) < 0) {
        json_decref (v);
        return NULL;
    }
    return v;
}

static void store_cb (eddy_future_t *f, void *arg);

/* The dirty blobs as a content.store data array, and their blobrefs (the
 * store trusts them from a module of this broker and does not hash again).
 * Blobs travel as text when every one is UTF-8 (tree objects and values
 * always are), else as base64; *text says which.  NULL + ENOMEM.
 */
/* True if buf[0..len) is all ASCII (so valid UTF-8: jansson need not
 * check it again), eight bytes at a time: tree objects are, and they are
 * most of what a commit writes.
 */
static bool all_ascii (const char *buf, size_t len)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy (&w, buf + i, 8);
        acc |= w;
    }
    for (; i < len; i++)
        acc |= (unsigned char)buf[i];
    return !(acc & 0x8080808080808080ULL);
}

static json_t *blobs_payload (struct kvs *ctx, bool *text, json_t **refs)
{
    size_t n = eddy_kvs_cache_dirty_count (ctx->cache);
    json_t *data = json_array ();

    *refs = json_array ();
    *text = true;
    if (!data || !*refs)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const void *d;
        size_t len;
        const char *ref = eddy_kvs_cache_dirty_get (ctx->cache, i, &d, &len);
        json_t *s = !*text ? NULL : all_ascii (d, len) ? json_stringn_nocheck (d, len) : json_stringn (d, len);
        if (!s && *text) {
            /* not UTF-8 (or no memory): start over in base64 */
            *text = false;
            json_array_clear (data);
            json_array_clear (*refs);
            i = (size_t)-1;
            continue;
        }
        if (!s) {
            char *b64 = eddy_base64_encode (d, len);
            s = b64 ? json_string (b64) : NULL;
            free (b64);
        }
        if (json_array_append_new (data, s) < 0 || json_array_append_new (*refs, json_string_nocheck (ref)) < 0)
            goto nomem;
    }
    return data;
nomem:
    json_decref (data);
    json_decref (*refs);
    *refs = NULL;
    return NULL;
}

/* A batch waits for a blob and will start over once it is here: load now
 * what the other pending operations will miss too (each key's path as far
 * as it is cached), so that a batch over many cold keys waits a few times
 * (once per tree level), not once per key.  Best effort: a failure here
 * only means more waiting later.
 */
static void prefetch (struct kvs *ctx, const char *first)
{
    struct eddy_kvs_tree t;
    json_t *asked = json_object ();

    if (!asked)
        return;
    (void)json_object_set_new (asked, first, json_true ());
    eddy_kvs_tree_init (&t, &src_ops, ctx);
    for (struct req *r = ctx->pending; r; r = r->next) {
        struct ns *ns = r->is_nsop ? NULL : ns_find (ctx, r->ns);
        json_t *ops = json_object_get (eddy_msg_payload (r->msg), "ops"), *op, *e;
        size_t i;
        if (!ns)
            continue;
        json_array_foreach (ops, i, op) {
            const char *key = json_string_value (json_object_get (op, "key"));
            if (!key)
                continue;
            if ((e = eddy_kvs_tree_lookup (&t, ns->root, key))) {
                json_decref (e);
                continue;
            }
            if (errno != EAGAIN || json_object_get (asked, t.missing))
                continue;
            if (json_object_set_new (asked, t.missing, json_true ()) < 0
                || load_blob (ctx, t.missing, batch_retry, NULL) < 0)
                goto out;
            ctx->stalled++;
        }
    }
out:
    json_decref (asked);
}

/* Apply everything pending to working trees, write them out and send the
 * new blobs with the new checkpoint to the content store.
 */
static void batch_run (struct kvs *ctx)
{
    struct eddy_kvs_tree t;
    char empty[EDDY_BLOBREF_SIZE];
    json_t *created = NULL, *payload = NULL, *data = NULL, *ckpt = NULL, *refs = NULL;
    struct req *r, *next;

    if (!ctx->pending || ctx->store_f || ctx->stalled)
        return;
    ctx->nsuperseded = 0;
    ++ctx->epoch;
    ctx->batch_tick = ++ctx->cache_tick;
    eddy_kvs_cache_set_epoch (ctx->cache, ctx->cache_tick);
    eddy_kvs_tree_init (&t, &src_ops, ctx);
    t.epoch = ctx->epoch;
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        ns->touched = ns->removing = false;

    /* namespace changes first, in arrival order */
    if (!(created = json_object ()))
        goto nomem;
    for (r = ctx->pending; r; r = next) {
        next = r->next;
        if (!r->is_nsop)
            continue;
        const char *op = eddy_msg_topic (r->msg);
        struct ns *ns = ns_find (ctx, r->ns);
        if (!strcmp (op, "kvs.namespace-create")) {
            if ((ns && !ns->removing) || json_object_get (created, r->ns))
                pending_fail (ctx, r, EEXIST, "namespace exists");
            else
                json_object_set_new (created, r->ns, json_null ());
        }
        else if (!ns || ns->removing)
            pending_fail (ctx, r, ENOENT, "no such namespace");
        else
            ns->removing = true;
    }

    /* commits, namespace by namespace, each in arrival order; an operation
     * that does not apply fails its commit, and the namespace starts over
     * without it
     */
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next) {
        json_t *work;
    restart:
        work = NULL;
        for (r = ctx->pending; r; r = next) {
            next = r->next;
            if (r->is_nsop || strcmp (r->ns, ns->name) != 0)
                continue;
            if (ns->removing) {
                pending_fail (ctx, r, ENOTSUP, "namespace removed");
                continue;
            }
            if (!work && !(work = ns_work (&t, ns)))
                goto stuck;
            json_t *ops = json_object_get (eddy_msg_payload (r->msg), "ops");
            json_t *op;
            size_t i;
            json_array_foreach (ops, i, op) {
                if (eddy_kvs_tree_apply (&t, work, op) < 0) {
                    /* the tree may be partly changed: start again from
                     * the stored root
                     */
                    int errnum = errno;
                    ns_work_drop (ns);
                    if (errnum == EAGAIN)
                        goto stuck;
                    pending_fail (ctx, r, errnum, errstr_or (t.err.text, errnum));
                    goto restart;
                }
            }
        }
        if (work) {
            if (eddy_kvs_tree_finish (&t, work, ns->newroot) < 0) {
                ns_work_drop (ns);
                goto nomem;
            }
            memcpy (ns->workroot, ns->newroot, sizeof (ns->workroot));
            ns->touched = true;
        }
    }
    /* commits to namespaces that do not exist */
    for (r = ctx->pending; r; r = next) {
        next = r->next;
        if (!r->is_nsop && !ns_find (ctx, r->ns))
            pending_fail (ctx, r, ENOTSUP, "no such namespace");
    }
    if (json_object_size (created) > 0 && eddy_kvs_tree_empty_root (&t, empty) < 0)
        goto nomem;

    /* the checkpoint: every namespace as it will be */
    if (!(ckpt = checkpoint_value (ctx, NULL)))
        goto nomem;
    const char *name;
    json_t *v;
    json_object_foreach (created, name, v) {
        struct req *cr = NULL;
        json_int_t owner = 0;
        for (r = ctx->pending; r; r = r->next)
            if (r->is_nsop && !strcmp (r->ns, name))
                cr = r;
        (void)json_unpack (eddy_msg_payload (cr->msg), "{s?I}", "owner", &owner);
        json_object_set_new (json_object_get (ckpt, "namespaces"), name,
                             json_pack ("{s:s s:i s:I}", "rootref", empty, "seq", 0, "owner", owner));
    }
    bool text = true;
    if (!(data = blobs_payload (ctx, &text, &refs)))
        goto nomem;
    json_t *cp = json_object ();
    if (!cp || set (cp, "key", json_string_nocheck (CHECKPOINT_KEY)) < 0
        || set (cp, "value", json_incref (ckpt)) < 0 || !(payload = json_object ())
        || set (payload, "data", json_incref (data)) < 0
        || set (payload, "encoding", json_string_nocheck (text ? "utf-8" : "base64")) < 0
        || set (payload, "blobrefs", json_incref (refs)) < 0) {
        json_decref (cp);
        goto nomem;
    }
    if (set (payload, "checkpoint", cp) < 0)
        goto nomem;
    if (!(ctx->store_f = eddy_rpc (ctx->h, "content.store", payload, 0, 0))
        || eddy_future_then (ctx->store_f, -1, store_cb, ctx) < 0) {
        eddy_future_destroy (ctx->store_f);
        ctx->store_f = NULL;
        goto nomem;
    }
    ctx->inflight = ctx->pending;
    ctx->pending = ctx->pending_tail = NULL;
    ctx->nbatches++;
    goto out;
stuck:
    if (json_object_size (ctx->shared) >= SHARED_MAX)
        json_object_clear (ctx->shared);
    (void)json_object_set_new (ctx->shared, t.missing, json_true ()); /* a hint */
    if (load_blob (ctx, t.missing, batch_retry, NULL) < 0)
        goto nomem;
    ctx->stalled = 1;
    prefetch (ctx, t.missing);
    goto out;
nomem:
    while (ctx->pending)
        pending_fail (ctx, ctx->pending, ENOMEM, NULL);
    eddy_kvs_cache_dirty_done (ctx->cache, false);
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        ns_work_drop (ns);
out:
    json_decref (created);
    json_decref (ckpt);
    json_decref (data);
    json_decref (refs);
    json_decref (payload);
}

static void store_cb (eddy_future_t *f, void *arg)
{
    struct kvs *ctx = arg;
    struct req *list = ctx->inflight, *r;
    bool ok = eddy_rpc_get (f, NULL) == 0;
    int errnum = ok ? 0 : errno;
    char *errtext = ok ? NULL : strdup (errstr_or (eddy_future_error_string (f), errnum));

    eddy_future_destroy (f);
    ctx->store_f = NULL;
    ctx->inflight = NULL;
    /* the old versions of what the batch rewrote are stale now (lookups
     * until here still read the old roots); what the batch made again is
     * dirty and stays
     */
    for (size_t i = 0; ok && i < ctx->nsuperseded; i++)
        eddy_kvs_cache_drop_clean (ctx->cache, ctx->superseded[i]);
    ctx->nsuperseded = 0;
    eddy_kvs_cache_dirty_done (ctx->cache, ok);
    if (!ok) {
        kvs_log (ctx, LOG_ERR, "commit batch failed: %s", errtext ? errtext : strerror (errnum));
        /* the working trees name blobs the cache has just let go */
        for (struct ns *ns = ctx->namespaces; ns; ns = ns->next) {
            ns->touched = ns->removing = false;
            ns_work_drop (ns);
        }
        while ((r = list)) {
            list = r->next;
            eddy_respond_error (ctx->h, r->msg, errnum, errtext);
            req_free (r);
        }
        free (errtext);
        batch_schedule (ctx);
        return;
    }
    /* the new state */
    char empty[EDDY_BLOBREF_SIZE];
    struct eddy_kvs_tree t;
    eddy_kvs_tree_init (&t, &src_ops, ctx);
    ctx->rootgen++;
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next) {
        if (ns->touched) {
            memcpy (ns->root, ns->newroot, sizeof (ns->root));
            ns->seq++;
        }
    }
    for (r = list; r; r = r->next) {
        if (!r->is_nsop)
            continue;
        if (!strcmp (eddy_msg_topic (r->msg), "kvs.namespace-create")) {
            json_int_t owner = 0;
            (void)json_unpack (eddy_msg_payload (r->msg), "{s?I}", "owner", &owner);
            /* the empty root is in the cache (stored by this batch) */
            if (eddy_kvs_tree_empty_root (&t, empty) < 0
                || !ns_add (ctx, r->ns, (uint32_t)owner, empty, 0))
                eddy_respond_error (ctx->h, r->msg, ENOMEM, NULL);
            else
                eddy_respond (ctx->h, r->msg, NULL);
            eddy_kvs_cache_dirty_done (ctx->cache, true);
        }
        else {
            struct ns *ns = ns_find (ctx, r->ns);
            if (ns)
                ns_remove (ctx, ns);
            eddy_respond (ctx->h, r->msg, NULL);
        }
    }
    while ((r = list)) {
        list = r->next;
        if (!r->is_nsop) {
            struct ns *ns = ns_find (ctx, r->ns);
            json_t *o = root_object (ns ? ns->root : "", ns ? ns->seq : 0, -1);
            ctx->ncommits++;
            if (o)
                eddy_respond (ctx->h, r->msg, o);
            else
                eddy_respond_error (ctx->h, r->msg, ENOMEM, NULL);
            json_decref (o);
        }
        req_free (r);
    }
    watchers_notify (ctx);
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        ns->touched = false;
    /* old versions of rewritten objects are never asked for again: let
     * the least recently used go beyond the budget
     */
    eddy_kvs_cache_trim (ctx->cache, ctx->cache_max, ctx->cache_max_bytes, ctx->batch_tick);
    batch_schedule (ctx);
}

static void check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct kvs *ctx = arg;
    eddy_watcher_stop (w);
    batch_run (ctx);
}

static void enqueue (struct kvs *ctx, const eddy_msg_t *msg, const char *ns, bool is_nsop)
{
    struct req *r = calloc (1, sizeof (*r));
    if (!r || !(r->ns = strdup (ns))) {
        free (r);
        eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
        return;
    }
    r->msg = eddy_msg_incref (msg);
    r->is_nsop = is_nsop;
    if (ctx->pending_tail)
        ctx->pending_tail->next = r;
    else
        ctx->pending = r;
    ctx->pending_tail = r;
    batch_schedule (ctx);
}

/* ---- request handlers ---- */

/* Before the checkpoint is read, requests wait; if it cannot be, fail. */
static bool not_ready (struct kvs *ctx, const eddy_msg_t *msg)
{
    if (ctx->broken) {
        eddy_respond_error (ctx->h, msg, EIO, ctx->broken);
        return true;
    }
    if (ctx->ready)
        return false;
    if (ctx->ndeferred == ctx->deferred_cap) {
        size_t cap = ctx->deferred_cap ? ctx->deferred_cap * 2 : 16;
        const eddy_msg_t **p = realloc (ctx->deferred, cap * sizeof (p[0]));
        if (!p) {
            eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
            return true;
        }
        ctx->deferred = p;
        ctx->deferred_cap = cap;
    }
    ctx->deferred[ctx->ndeferred++] = eddy_msg_incref (msg);
    return true;
}

static void commit_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    const char *nsname = NULL;
    json_t *ops, *op;
    size_t i;
    struct ns *ns;

    eddy_reactor_stats (eddy_handle_reactor (h))->commits++;
    if (not_ready (ctx, msg))
        return;
    if (json_unpack (eddy_msg_payload (msg), "{s?s s:o}", "namespace", &nsname, "ops", &ops) < 0
        || !json_is_array (ops)) {
        eddy_respond_error (h, msg, EPROTO, "kvs.commit: expected {namespace?, ops: [...]}");
        return;
    }
    json_array_foreach (ops, i, op) {
        if (!json_is_object (op)) {
            eddy_respond_error (h, msg, EPROTO, "kvs.commit: an operation is not an object");
            return;
        }
    }
    if (!(ns = ns_access (ctx, msg, nsname)))
        return;
    enqueue (ctx, msg, ns->name, false);
}

static void lookup_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    if (!not_ready (ctx, msg))
        lookup_run (ctx, msg);
}

static void watch_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    if (!not_ready (ctx, msg))
        watch_run (ctx, msg);
}

static void unwatch_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    if (!not_ready (ctx, msg))
        unwatch_run (ctx, msg);
}

/* A local client went away (the broker says so with a "disconnect"
 * request whose origin is that client): end its watches.  The final
 * response goes nowhere; ending through watcher_end copes with loads
 * still in flight.
 */
static void disconnect_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    uint64_t origin = eddy_msg_route_first (msg);
    struct watcher *w = ctx->watchers, *next;
    while (w) {
        next = w->next; /* w may end */
        if (!w->dead && eddy_msg_route_count (w->msg) == 1 && eddy_msg_route_first (w->msg) == origin)
            watcher_end (w, ENODATA, NULL);
        w = next;
    }
}

static void ns_create_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    const char *name;
    json_int_t owner;

    if (not_ready (ctx, msg))
        return;
    if (json_unpack (eddy_msg_payload (msg), "{s:s s:I}", "namespace", &name, "owner", &owner) < 0) {
        eddy_respond_error (h, msg, EPROTO, "kvs.namespace-create: expected {namespace, owner}");
        return;
    }
    if (!*name || strlen (name) > 255 || owner < 0 || owner > UINT32_MAX) {
        eddy_respond_error (h, msg, EINVAL, "bad namespace name or owner");
        return;
    }
    enqueue (ctx, msg, name, true);
}

static void ns_remove_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    const char *name;

    if (not_ready (ctx, msg))
        return;
    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "namespace", &name) < 0) {
        eddy_respond_error (h, msg, EPROTO, "kvs.namespace-remove: expected {namespace}");
        return;
    }
    if (!strcmp (name, PRIMARY)) {
        eddy_respond_error (h, msg, EINVAL, "the primary namespace cannot be removed");
        return;
    }
    enqueue (ctx, msg, name, true);
}

static void ns_list_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    json_t *a;

    if (not_ready (ctx, msg))
        return;
    if (!(a = json_array ())) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        json_array_append_new (a, json_pack ("{s:s s:I s:I s:s}", "name", ns->name, "owner",
                                             (json_int_t)ns->owner, "seq", (json_int_t)ns->seq,
                                             "rootref", ns->root));
    eddy_respond_pack (h, msg, "{s:o}", "namespaces", a);
}

static void getroot_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    const char *name = NULL;
    struct ns *ns;

    if (not_ready (ctx, msg))
        return;
    if (json_unpack (eddy_msg_payload (msg), "{s?s}", "namespace", &name) < 0) {
        eddy_respond_error (h, msg, EPROTO, "kvs.getroot: expected {namespace?}");
        return;
    }
    if (!(ns = ns_access (ctx, msg, name)))
        return;
    eddy_respond_pack (h, msg, "{s:s s:I s:I}", "rootref", ns->root, "seq", (json_int_t)ns->seq, "owner",
                       (json_int_t)ns->owner);
}

static void stats_req (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct kvs *ctx = arg;
    int nns = 0, nw = 0;
    for (struct ns *ns = ctx->namespaces; ns; ns = ns->next)
        nns++;
    for (struct watcher *w = ctx->watchers; w; w = w->next)
        nw++;
    eddy_respond_pack (h, msg, "{s:I s:I s:I s:I s:i s:i}", "commits", (json_int_t)ctx->ncommits, "batches",
                       (json_int_t)ctx->nbatches, "cache", (json_int_t)eddy_kvs_cache_count (ctx->cache),
                       "cache-bytes", (json_int_t)eddy_kvs_cache_bytes (ctx->cache), "namespaces", nns,
                       "watchers", nw);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "kvs.commit", commit_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.lookup", lookup_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.watch", watch_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.unwatch", unwatch_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.getroot", getroot_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.namespace-list", ns_list_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "kvs.namespace-create", ns_create_req, 0 },
    { EDDY_MSGTYPE_REQUEST, "kvs.namespace-remove", ns_remove_req, 0 },
    { EDDY_MSGTYPE_REQUEST, "kvs.stats", stats_req, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "disconnect", disconnect_req, EDDY_ROLE_ALL },
    EDDY_MSGHANDLER_TABLE_END,
};

/* ---- start-up: read the checkpoint ---- */

static void become_ready (struct kvs *ctx)
{
    const eddy_msg_t **d = ctx->deferred;
    size_t n = ctx->ndeferred;
    ctx->ready = true;
    ctx->deferred = NULL;
    ctx->ndeferred = ctx->deferred_cap = 0;
    for (size_t i = 0; i < n; i++) {
        eddy_handle_deliver (ctx->h, d[i]);
        eddy_msg_decref (d[i]);
    }
    free (d);
}

static void fail_start (struct kvs *ctx, const char *fmt, const char *what)
{
    char buf[300];
    snprintf (buf, sizeof (buf), fmt, what);
    kvs_log (ctx, LOG_ERR, "%s", buf);
    ctx->broken = strdup (buf);
    become_ready (ctx);
}

static int ckpt_request (struct kvs *ctx);

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct kvs *ctx = arg;
    if (ckpt_request (ctx) < 0)
        fail_start (ctx, "kvs: cannot ask for the checkpoint: %s", strerror (errno));
}

static void ckpt_cb (eddy_future_t *f, void *arg)
{
    struct kvs *ctx = arg;
    json_t *value, *nss, *v;
    const char *name;
    struct eddy_kvs_tree t;
    char empty[EDDY_BLOBREF_SIZE];

    ctx->ckpt_f = NULL;
    if (eddy_rpc_get_unpack (f, "{s:o}", "value", &value) < 0) {
        int errnum = errno;
        if (errnum == ENOSYS && ctx->retries++ < 100) {
            /* the content module may not be up yet */
            eddy_future_destroy (f);
            eddy_watcher_start (ctx->retry_w);
            return;
        }
        if (errnum != ENOENT) {
            fail_start (ctx, "kvs: cannot read the checkpoint: %s",
                        errstr_or (eddy_future_error_string (f), errnum));
            eddy_future_destroy (f);
            return;
        }
        /* a new store: an empty primary namespace */
        eddy_kvs_tree_init (&t, &src_ops, ctx);
        if (eddy_kvs_tree_empty_root (&t, empty) < 0 || !ns_add (ctx, PRIMARY, EDDY_USERID_UNKNOWN, empty, 0))
            fail_start (ctx, "kvs: %s", "out of memory");
        else
            become_ready (ctx);
        eddy_future_destroy (f);
        return;
    }
    if (json_unpack (value, "{s:o}", "namespaces", &nss) < 0 || !json_is_object (nss)) {
        fail_start (ctx, "kvs: the checkpoint is malformed%s", "");
        eddy_future_destroy (f);
        return;
    }
    json_object_foreach (nss, name, v) {
        const char *root;
        json_int_t seq, owner;
        if (json_unpack (v, "{s:s s:I s:I}", "rootref", &root, "seq", &seq, "owner", &owner) < 0
            || !eddy_blobref_valid (root) || !ns_add (ctx, name, (uint32_t)owner, root, (uint64_t)seq)) {
            fail_start (ctx, "kvs: the checkpoint of namespace %s is malformed", name);
            eddy_future_destroy (f);
            return;
        }
    }
    if (!ns_find (ctx, PRIMARY)) {
        fail_start (ctx, "kvs: the checkpoint has no %s namespace", PRIMARY);
        eddy_future_destroy (f);
        return;
    }
    struct ns *p = ns_find (ctx, PRIMARY);
    kvs_log (ctx, LOG_INFO, "restored from checkpoint: %s seq %llu", p->root, (unsigned long long)p->seq);
    eddy_future_destroy (f);
    become_ready (ctx);
}

static int ckpt_request (struct kvs *ctx)
{
    if (!(ctx->ckpt_f = eddy_rpc_pack (ctx->h, "content.checkpoint-get", 0, 0, "{s:s}", "key", CHECKPOINT_KEY))
        || eddy_future_then (ctx->ckpt_f, -1, ckpt_cb, ctx) < 0) {
        eddy_future_destroy (ctx->ckpt_f);
        ctx->ckpt_f = NULL;
        return -1;
    }
    return 0;
}

static void kvs_unload (void *arg)
{
    struct kvs *ctx = arg;
    if (!ctx)
        return;
    int saved_errno = errno;
    eddy_msg_handler_delvec (ctx->handlers);
    eddy_future_destroy (ctx->ckpt_f);
    eddy_future_destroy (ctx->store_f);
    eddy_watcher_destroy (ctx->retry_w);
    eddy_watcher_destroy (ctx->check_w);
    while (ctx->loads) {
        struct load *ld = ctx->loads;
        ctx->loads = ld->next;
        eddy_future_destroy (ld->f);
        for (struct waiter *w = ld->waiters, *n; w; w = n) {
            n = w->next;
            if (w->fn == lookup_retry)
                eddy_msg_decref (w->arg);
            else if (w->fn == watcher_retry) {
                struct watcher *wt = w->arg;
                if (--wt->busy == 0 && wt->dead)
                    watcher_free (wt);
            }
            free (w);
        }
        free (ld);
    }
    free (ctx->loadtab);
    while (ctx->watchers) {
        struct watcher *w = ctx->watchers;
        ctx->watchers = w->next;
        w->busy = 0;
        watcher_free (w);
    }
    for (struct req *lists[] = { ctx->pending, ctx->inflight }, **l = lists; l < lists + 2; l++) {
        for (struct req *r = *l, *n; r; r = n) {
            n = r->next;
            req_free (r);
        }
    }
    while (ctx->namespaces)
        ns_remove (ctx, ctx->namespaces);
    for (size_t i = 0; i < ctx->ndeferred; i++)
        eddy_msg_decref (ctx->deferred[i]);
    free (ctx->deferred);
    eddy_kvs_cache_destroy (ctx->cache);
    free (ctx->superseded);
    json_decref (ctx->shared);
    free (ctx->broken);
    free (ctx);
    errno = saved_errno;
}

static int kvs_load (eddy_handle_t *h, json_t *args, void **out)
{
    struct kvs *ctx;
    json_int_t cache_max = 200000, cache_max_bytes = 64 * 1024 * 1024;
    eddy_hash_t hash;
    eddy_error_t err;

    if (eddy_content_hash_config (json_object_get (eddy_handle_config (h), "content"), &hash, &err) < 0)
        return -1; /* the content module, loaded first, says why */
    if (args && json_unpack (args, "{s?I s?I}", "cache-max", &cache_max, "cache-max-bytes", &cache_max_bytes) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (cache_max < 1 || cache_max_bytes < 1) {
        errno = EINVAL;
        return -1;
    }
    if (!(ctx = calloc (1, sizeof (*ctx))))
        return -1;
    ctx->h = h;
    ctx->rank = eddy_handle_rank (h);
    ctx->cache_max = (size_t)cache_max;
    ctx->cache_max_bytes = (size_t)cache_max_bytes;
    ctx->hash = hash;
    *out = ctx;
    if (ctx->rank != 0)
        return 0; /* the KVS lives on rank 0 */
    eddy_reactor_t *r = eddy_handle_reactor (h);
    if (!(ctx->cache = eddy_kvs_cache_create ()) || !(ctx->shared = json_object ()) || !(ctx->check_w = eddy_check_create (r, check_cb, ctx))
        || !(ctx->retry_w = eddy_timer_create (r, 0.1, 0, retry_cb, ctx))
        || eddy_msg_handler_addvec (h, handlers, ctx, &ctx->handlers) < 0
        || eddy_service_register (h, "kvs") < 0 || ckpt_request (ctx) < 0)
        goto error;
    return 0;
error:
    kvs_unload (ctx);
    *out = NULL;
    if (!errno)
        errno = ENOMEM;
    return -1;
}

static const char *const kvs_extra[] = { "content", NULL };

const struct eddy_module eddy_module_kvs = {
    .name = "kvs",
    .load = kvs_load,
    .unload = kvs_unload,
    .config_extra = kvs_extra, /* [content] hash */
};
