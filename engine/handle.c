/* handle.c - message dispatch, matchtags, services and event helpers. */
#include <assert.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/future.h"
#include "engine/handle.h"
#include "engine/handle_impl.h"

struct eddy_msg_handler {
    eddy_handle_t *h;
    int typemask;
    char *glob;
    bool wildcard;
    uint32_t rolemask;
    eddy_msg_handler_f cb;
    void *arg;
    eddy_msg_handler_t *prev, *next;
};

struct aux {
    char *key;
    void *val;
    void (*free_fn) (void *);
    struct aux *next;
};

static void ready_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);

eddy_handle_t *eddy_handle_create (eddy_reactor_t *r,
                                   const struct eddy_handle_ops *ops,
                                   void *impl)
{
    eddy_handle_t *h;

    if (!r || !ops || !ops->send) {
        errno = EINVAL;
        return NULL;
    }
    if (!(h = calloc (1, sizeof (*h))))
        return NULL;
    h->r = r;
    h->ops = ops;
    h->impl = impl;
    h->rank = EDDY_NODEID_ANY;
    h->size = EDDY_NODEID_ANY;
    if (!(h->ready_w = eddy_check_create (r, ready_cb, h)))
        goto error;
    return h;
error:
    eddy_handle_destroy (h);
    return NULL;
}

void eddy_handle_destroy (eddy_handle_t *h)
{
    if (h) {
        int saved_errno = errno;
        while (h->handlers)
            eddy_msg_handler_destroy (h->handlers);
        /* futures still alive lose their handle's tag table: detach them */
        for (uint32_t i = 0; i < h->ntags; i++) {
            if (h->tags[i] && h->tags[i] != EDDY_TAG_RETIRED)
                eddy_future_detach (h->tags[i]);
        }
        free (h->tags);
        free (h->freetags);
        eddy_watcher_destroy (h->ready_w);
        struct aux *a = h->aux;
        while (a) {
            struct aux *next = a->next;
            if (a->free_fn)
                a->free_fn (a->val);
            free (a->key);
            free (a);
            a = next;
        }
        json_decref (h->config);
        if (h->ops->destroy)
            h->ops->destroy (h->impl);
        free (h->name);
        free (h);
        errno = saved_errno;
    }
}

eddy_reactor_t *eddy_handle_reactor (eddy_handle_t *h)
{
    return h->r;
}

void *eddy_handle_impl (eddy_handle_t *h)
{
    return h->impl;
}

uint32_t eddy_handle_rank (eddy_handle_t *h)
{
    return h->rank;
}

uint32_t eddy_handle_size (eddy_handle_t *h)
{
    return h->size;
}

void eddy_handle_set_rank (eddy_handle_t *h, uint32_t rank, uint32_t size)
{
    h->rank = rank;
    h->size = size;
}

int eddy_handle_set_name (eddy_handle_t *h, const char *name)
{
    char *cpy = NULL;
    if (name && !(cpy = strdup (name)))
        return -1;
    free (h->name);
    h->name = cpy;
    return 0;
}

const char *eddy_handle_name (eddy_handle_t *h)
{
    return h->name;
}

int eddy_log (eddy_handle_t *h, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    int saved_errno = errno;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    eddy_future_t *f = eddy_rpc_pack (h, "log.append", EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE,
                                      "{s:i s:s s:s}", "level", level, "name",
                                      h->name ? h->name : "client", "message", text);
    int rc = errno ? -1 : 0;
    eddy_future_destroy (f);
    errno = saved_errno;
    return rc;
}

int eddy_handle_aux_set (eddy_handle_t *h, const char *key, void *val, void (*free_fn) (void *))
{
    struct aux *a;
    for (a = h->aux; a; a = a->next) {
        if (!strcmp (a->key, key)) {
            if (a->free_fn)
                a->free_fn (a->val);
            a->val = val;
            a->free_fn = free_fn;
            return 0;
        }
    }
    if (!(a = calloc (1, sizeof (*a))) || !(a->key = strdup (key))) {
        free (a);
        return -1;
    }
    a->val = val;
    a->free_fn = free_fn;
    a->next = h->aux;
    h->aux = a;
    return 0;
}

void *eddy_handle_aux_get (eddy_handle_t *h, const char *key)
{
    for (struct aux *a = h->aux; a; a = a->next)
        if (!strcmp (a->key, key))
            return a->val;
    return NULL;
}

const json_t *eddy_handle_config (eddy_handle_t *h)
{
    return h ? h->config : NULL;
}

void eddy_handle_set_config (eddy_handle_t *h, json_t *table)
{
    json_t *old = h->config;
    h->config = json_incref (table);
    json_decref (old);
}

/* ---- matchtags ---- */

uint32_t eddy_handle_tag_alloc (eddy_handle_t *h, eddy_future_t *f)
{
    uint32_t tag;
    if (h->nfree > 0)
        tag = h->freetags[--h->nfree];
    else {
        if (h->ntags == h->tags_cap) {
            uint32_t cap = h->tags_cap ? h->tags_cap * 2 : 16;
            void *p = realloc (h->tags, cap * sizeof (h->tags[0]));
            void *q = p ? realloc (h->freetags, cap * sizeof (h->freetags[0])) : NULL;
            if (p)
                h->tags = p;
            if (!q)
                return EDDY_MATCHTAG_NONE;
            h->freetags = q;
            h->tags_cap = cap;
        }
        tag = ++h->ntags; /* tags start at 1 */
    }
    h->tags[tag - 1] = f;
    return tag;
}

void eddy_handle_tag_free (eddy_handle_t *h, uint32_t tag)
{
    if (tag == EDDY_MATCHTAG_NONE || tag > h->ntags)
        return;
    h->tags[tag - 1] = NULL;
    h->freetags[h->nfree++] = tag;
}

void eddy_handle_tag_retire (eddy_handle_t *h, uint32_t tag)
{
    /* a response may still come: keep the tag out of use until it does */
    if (tag != EDDY_MATCHTAG_NONE && tag <= h->ntags)
        h->tags[tag - 1] = EDDY_TAG_RETIRED;
}

eddy_future_t *eddy_handle_tag_lookup (eddy_handle_t *h, uint32_t tag)
{
    if (tag == EDDY_MATCHTAG_NONE || tag > h->ntags)
        return NULL;
    return h->tags[tag - 1];
}

/* ---- deferred continuations ---- */

void eddy_handle_ready_push (eddy_handle_t *h, eddy_future_t *f)
{
    eddy_watcher_start (h->ready_w);
    eddy_future_queue_link (&h->ready_head, &h->ready_tail, f);
}

void eddy_handle_ready_remove (eddy_handle_t *h, eddy_future_t *f)
{
    eddy_future_queue_unlink (&h->ready_head, &h->ready_tail, f);
}

static void ready_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_handle_t *h = arg;
    eddy_future_t *f;

    /* continuations may queue more futures; those run in a later iteration */
    eddy_future_t *last = h->ready_tail;
    while ((f = h->ready_head)) {
        bool was_last = (f == last);
        eddy_future_queue_unlink (&h->ready_head, &h->ready_tail, f);
        eddy_future_notify (f);
        if (was_last)
            break;
    }
    if (!h->ready_head)
        eddy_watcher_stop (w);
}

/* ---- dispatch ---- */

static bool handler_matches (eddy_msg_handler_t *mh, const eddy_msg_t *msg)
{
    if (!(mh->typemask & eddy_msg_type (msg)))
        return false;
    if (mh->wildcard)
        return fnmatch (mh->glob, eddy_msg_topic (msg), 0) == 0;
    return strcmp (mh->glob, eddy_msg_topic (msg)) == 0;
}

int eddy_held_add (struct eddy_held *q, const eddy_msg_t *msg)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        eddy_msg_t **p = realloc (q->msgs, cap * sizeof (*p));
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        q->msgs = p;
        q->cap = cap;
    }
    q->msgs[q->n++] = eddy_msg_incref (msg);
    return 0;
}

/* Take the held requests out, so that the queue is empty (and may fill
 * again) while they are handled.
 */
static struct eddy_held held_take (struct eddy_held *q)
{
    struct eddy_held all = *q;
    *q = (struct eddy_held){ 0 };
    return all;
}

void eddy_held_release (struct eddy_held *q, eddy_handle_t *h)
{
    struct eddy_held all = held_take (q);
    for (size_t i = 0; i < all.n; i++) {
        eddy_handle_deliver (h, all.msgs[i]);
        eddy_msg_decref (all.msgs[i]);
    }
    free (all.msgs);
}

void eddy_held_fail (struct eddy_held *q, eddy_handle_t *h, int errnum, const char *text)
{
    struct eddy_held all = held_take (q);
    for (size_t i = 0; i < all.n; i++) {
        if (h)
            eddy_respond_error (h, all.msgs[i], errnum, text);
        eddy_msg_decref (all.msgs[i]);
    }
    free (all.msgs);
}

void eddy_handle_deliver (eddy_handle_t *h, const eddy_msg_t *msg)
{
    eddy_msgtype_t type = eddy_msg_type (msg);

    if (type == EDDY_MSGTYPE_RESPONSE) {
        eddy_future_handle_response (h, msg);
        return;
    }
    for (eddy_msg_handler_t *mh = h->handlers; mh; mh = mh->next) {
        if (!handler_matches (mh, msg))
            continue;
        if (type == EDDY_MSGTYPE_REQUEST && !(eddy_msg_rolemask (msg) & mh->rolemask)) {
            eddy_respond_error (h, msg, EPERM, "request requires owner credentials");
            return;
        }
        mh->cb (h, mh, msg, mh->arg);
        return;
    }
    if (type == EDDY_MSGTYPE_REQUEST) {
        char buf[EDDY_MSG_TOPIC_MAX + 32];
        snprintf (buf, sizeof (buf), "no handler for %s", eddy_msg_topic (msg));
        eddy_respond_error (h, msg, ENOSYS, buf);
    }
}

int eddy_send (eddy_handle_t *h, const eddy_msg_t *msg)
{
    if (!h || !msg) {
        errno = EINVAL;
        return -1;
    }
    eddy_reactor_stats (h->r)->msgs++;
    return h->ops->send (h->impl, msg);
}

/* ---- responses ---- */

static int respond_msg (eddy_handle_t *h, const eddy_msg_t *req, json_t *payload, int errnum, const char *errstr)
{
    eddy_msg_t *msg;
    int rc;

    if (!req || eddy_msg_type (req) != EDDY_MSGTYPE_REQUEST) {
        errno = EINVAL;
        return -1;
    }
    if (eddy_msg_flags (req) & EDDY_MSGFLAG_NORESPONSE)
        return 0;
    if (!(msg = eddy_msg_response (req, payload, errnum, errstr)))
        return -1;
    rc = eddy_send (h, msg);
    eddy_msg_decref (msg);
    return rc;
}

int eddy_respond (eddy_handle_t *h, const eddy_msg_t *req, json_t *payload)
{
    return respond_msg (h, req, payload, 0, NULL);
}

int eddy_respond_pack (eddy_handle_t *h, const eddy_msg_t *req, const char *fmt, ...)
{
    va_list ap;
    json_t *o;
    int rc;

    va_start (ap, fmt);
    o = json_vpack_ex (NULL, 0, fmt, ap);
    va_end (ap);
    if (!o) {
        errno = EINVAL;
        return -1;
    }
    rc = respond_msg (h, req, o, 0, NULL);
    json_decref (o);
    return rc;
}

int eddy_respond_error (eddy_handle_t *h, const eddy_msg_t *req, int errnum, const char *errstr)
{
    if (errnum <= 0) {
        errno = EINVAL;
        return -1;
    }
    return respond_msg (h, req, NULL, errnum, errstr);
}

/* ---- services and events: requests to the local broker ---- */

static int notify_broker (eddy_handle_t *h, const char *topic, const char *key, const char *val)
{
    json_t *o = json_pack ("{s:s}", key, val);
    if (!o) {
        errno = ENOMEM;
        return -1;
    }
    eddy_future_t *f = eddy_rpc (h, topic, o, EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE);
    int saved_errno = errno;
    json_decref (o);
    eddy_future_destroy (f);
    errno = saved_errno;
    return errno ? -1 : 0;
}

int eddy_event_publish (eddy_handle_t *h, const char *topic, json_t *payload)
{
    json_t *o;
    eddy_future_t *f;
    int saved_errno;

    if (!topic || !*topic) {
        errno = EINVAL;
        return -1;
    }
    if (!(o = json_pack ("{s:s}", "topic", topic)))
        goto nomem;
    if (payload && json_object_set (o, "payload", payload) < 0)
        goto nomem;
    f = eddy_rpc (h, "event.pub", o, EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE);
    saved_errno = errno;
    json_decref (o);
    eddy_future_destroy (f);
    errno = saved_errno;
    return errno ? -1 : 0;
nomem:
    json_decref (o);
    errno = ENOMEM;
    return -1;
}

int eddy_event_subscribe (eddy_handle_t *h, const char *topic_prefix)
{
    return notify_broker (h, "event.subscribe", "topic", topic_prefix ? topic_prefix : "");
}

int eddy_event_unsubscribe (eddy_handle_t *h, const char *topic_prefix)
{
    return notify_broker (h, "event.unsubscribe", "topic", topic_prefix ? topic_prefix : "");
}

int eddy_service_register (eddy_handle_t *h, const char *name)
{
    if (!name || !*name || strchr (name, '.')) {
        errno = EINVAL;
        return -1;
    }
    return notify_broker (h, "service.add", "name", name);
}

int eddy_service_unregister (eddy_handle_t *h, const char *name)
{
    if (!name || !*name) {
        errno = EINVAL;
        return -1;
    }
    return notify_broker (h, "service.remove", "name", name);
}

/* ---- message handlers ---- */

eddy_msg_handler_t *eddy_msg_handler_create (eddy_handle_t *h,
                                             int typemask,
                                             const char *topic_glob,
                                             eddy_msg_handler_f cb,
                                             void *arg)
{
    eddy_msg_handler_t *mh;

    if (!h || !cb || !topic_glob || !(typemask & EDDY_MSGTYPE_ANY)) {
        errno = EINVAL;
        return NULL;
    }
    if (!(mh = calloc (1, sizeof (*mh))) || !(mh->glob = strdup (topic_glob))) {
        free (mh);
        return NULL;
    }
    mh->h = h;
    mh->typemask = typemask;
    mh->wildcard = strpbrk (topic_glob, "*?[") != NULL;
    mh->rolemask = EDDY_ROLE_OWNER;
    mh->cb = cb;
    mh->arg = arg;
    /* newest first */
    mh->next = h->handlers;
    if (h->handlers)
        h->handlers->prev = mh;
    h->handlers = mh;
    return mh;
}

void eddy_msg_handler_set_rolemask (eddy_msg_handler_t *mh, uint32_t rolemask)
{
    mh->rolemask = rolemask ? rolemask : EDDY_ROLE_OWNER;
}

void eddy_msg_handler_destroy (eddy_msg_handler_t *mh)
{
    if (mh) {
        int saved_errno = errno;
        eddy_handle_t *h = mh->h;
        if (mh->prev)
            mh->prev->next = mh->next;
        else
            h->handlers = mh->next;
        if (mh->next)
            mh->next->prev = mh->prev;
        free (mh->glob);
        free (mh);
        errno = saved_errno;
    }
}

int eddy_msg_handler_addvec (eddy_handle_t *h,
                             const struct eddy_msg_handler_spec tab[],
                             void *arg,
                             eddy_msg_handler_t ***handlers)
{
    size_t n = 0;
    eddy_msg_handler_t **v;

    while (tab[n].cb)
        n++;
    if (!(v = calloc (n + 1, sizeof (*v))))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] = eddy_msg_handler_create (h, tab[i].typemask, tab[i].topic_glob, tab[i].cb, arg))) {
            eddy_msg_handler_delvec (v);
            return -1;
        }
        if (tab[i].rolemask)
            eddy_msg_handler_set_rolemask (v[i], tab[i].rolemask);
    }
    *handlers = v;
    return 0;
}

void eddy_msg_handler_delvec (eddy_msg_handler_t **handlers)
{
    if (handlers) {
        for (int i = 0; handlers[i]; i++)
            eddy_msg_handler_destroy (handlers[i]);
        free (handlers);
    }
}
