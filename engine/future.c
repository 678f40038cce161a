/* future.c - futures, RPCs, streaming responses and timeouts. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/future.h"
#include "engine/handle_impl.h"

struct result {
    eddy_msg_t *msg; /* NULL for a plain error */
    int errnum;
    char *errstr;
    struct result *next;
};

struct aux {
    char *key;
    void *val;
    void (*free_fn) (void *);
    struct aux *next;
};

struct eddy_future {
    eddy_handle_t *h;
    uint32_t matchtag; /* while a response is still expected */
    bool streaming;
    bool ended; /* a stream got its final (error) response */

    struct result *head, *tail;
    char *errtext; /* from the last eddy_future_error_string () */

    eddy_continuation_f cb;
    void *arg;
    double timeout;
    eddy_watcher_t *timer;

    bool queued;
    eddy_future_t *q_prev, *q_next;
    struct aux *aux;
};

void eddy_future_queue_link (eddy_future_t **head, eddy_future_t **tail, eddy_future_t *f)
{
    if (f->queued)
        return;
    f->queued = true;
    f->q_next = NULL;
    f->q_prev = *tail;
    if (*tail)
        (*tail)->q_next = f;
    else
        *head = f;
    *tail = f;
}

void eddy_future_queue_unlink (eddy_future_t **head, eddy_future_t **tail, eddy_future_t *f)
{
    if (!f->queued)
        return;
    if (f->q_prev)
        f->q_prev->q_next = f->q_next;
    else
        *head = f->q_next;
    if (f->q_next)
        f->q_next->q_prev = f->q_prev;
    else
        *tail = f->q_prev;
    f->queued = false;
    f->q_prev = f->q_next = NULL;
}

static void timeout_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_future_t *f = arg;
    if (f->head)
        return;
    if (f->matchtag) {
        eddy_handle_tag_retire (f->h, f->matchtag);
        f->matchtag = EDDY_MATCHTAG_NONE;
    }
    eddy_future_fulfill_error (f, ETIMEDOUT, NULL);
}

static void arm_timer (eddy_future_t *f)
{
    if (f->timeout > 0 && f->cb && !f->head && !f->ended) {
        if (!f->timer)
            f->timer = eddy_timer_create (f->h->r, f->timeout, 0, timeout_cb, f);
        else
            eddy_timer_set (f->timer, f->timeout, 0);
        eddy_watcher_start (f->timer);
    }
}

eddy_future_t *eddy_future_create (eddy_handle_t *h)
{
    eddy_future_t *f;
    if (!h) {
        errno = EINVAL;
        return NULL;
    }
    if (!(f = calloc (1, sizeof (*f))))
        return NULL;
    f->h = h;
    return f;
}

eddy_handle_t *eddy_future_handle (eddy_future_t *f)
{
    return f->h;
}

static void push_result (eddy_future_t *f, eddy_msg_t *msg, int errnum, const char *errstr)
{
    struct result *res = calloc (1, sizeof (*res));
    if (!res) {
        /* out of memory: the result is lost and the future stays pending
         * until its timeout (if any) fires */
        eddy_msg_decref (msg);
        return;
    }
    res->msg = msg;
    res->errnum = errnum;
    if (errstr)
        res->errstr = strdup (errstr);
    if (f->tail)
        f->tail->next = res;
    else
        f->head = res;
    f->tail = res;
    eddy_watcher_stop (f->timer);
    if (f->cb && f->h)
        eddy_handle_ready_push (f->h, f);
}

void eddy_future_fulfill (eddy_future_t *f, const eddy_msg_t *msg)
{
    int errnum = msg ? eddy_msg_errnum (msg) : 0;
    push_result (f, eddy_msg_incref (msg), errnum, NULL);
}

void eddy_future_fulfill_error (eddy_future_t *f, int errnum, const char *errstr)
{
    push_result (f, NULL, errnum > 0 ? errnum : EINVAL, errstr);
}

void eddy_future_handle_response (eddy_handle_t *h, const eddy_msg_t *msg)
{
    uint32_t tag = eddy_msg_matchtag (msg);
    eddy_future_t *f = eddy_handle_tag_lookup (h, tag);
    int errnum = eddy_msg_errnum (msg);

    if (!f)
        return; /* unknown tag: stale or bogus */
    if (f == EDDY_TAG_RETIRED) {
        /* the future is gone; free the tag once no more responses can come */
        if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING) || errnum)
            eddy_handle_tag_free (h, tag);
        return;
    }
    if (!f->streaming || errnum) {
        eddy_handle_tag_free (h, tag);
        f->matchtag = EDDY_MATCHTAG_NONE;
        if (f->streaming)
            f->ended = true;
    }
    eddy_future_fulfill (f, msg);
}

void eddy_future_detach (eddy_future_t *f)
{
    /* the handle is going away: fail the future, which can no longer wait */
    f->matchtag = EDDY_MATCHTAG_NONE;
    eddy_watcher_destroy (f->timer);
    f->timer = NULL;
    if (!f->head)
        push_result (f, NULL, ECONNRESET, NULL);
    eddy_handle_ready_remove (f->h, f);
    f->h = NULL;
}

void eddy_future_notify (eddy_future_t *f)
{
    if (f->cb && f->head)
        f->cb (f, f->arg);
}

uint32_t eddy_future_matchtag (eddy_future_t *f)
{
    return f ? f->matchtag : EDDY_MATCHTAG_NONE;
}

bool eddy_future_is_ready (eddy_future_t *f)
{
    return f && f->head != NULL;
}

int eddy_future_then (eddy_future_t *f, double timeout, eddy_continuation_f cb, void *arg)
{
    if (!f || !cb || !f->h) {
        errno = EINVAL;
        return -1;
    }
    f->cb = cb;
    f->arg = arg;
    f->timeout = timeout;
    if (f->head)
        eddy_handle_ready_push (f->h, f);
    else
        arm_timer (f);
    return 0;
}

void eddy_future_reset (eddy_future_t *f)
{
    struct result *res;
    if (!f || !(res = f->head))
        return;
    f->head = res->next;
    if (!f->head)
        f->tail = NULL;
    eddy_msg_decref (res->msg);
    free (res->errstr);
    free (res);
    if (f->head && f->cb && f->h)
        eddy_handle_ready_push (f->h, f);
    else
        arm_timer (f);
}

static void wakeup_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
}

int eddy_future_wait_for (eddy_future_t *f, double timeout)
{
    eddy_watcher_t *t = NULL;
    bool expired = false;

    if (!f || !f->h) {
        errno = EINVAL;
        return -1;
    }
    if (f->head)
        return 0;
    eddy_reactor_t *r = f->h->r;
    if (timeout > 0) {
        eddy_reactor_now_update (r);
        double deadline = eddy_reactor_now (r) + timeout;
        /* a timer so that RUN_ONCE wakes up by the deadline even if
         * nothing else happens */
        if ((t = eddy_timer_create (r, timeout, 0, wakeup_cb, NULL)))
            eddy_watcher_start (t);
        while (!f->head) {
            if (eddy_reactor_run (r, EDDY_RUN_ONCE) < 0)
                break;
            eddy_reactor_now_update (r);
            if (eddy_reactor_now (r) >= deadline) {
                expired = !f->head;
                break;
            }
        }
    }
    else {
        while (!f->head)
            if (eddy_reactor_run (r, EDDY_RUN_ONCE) < 0)
                break;
    }
    eddy_watcher_destroy (t);
    if (!f->head) {
        errno = expired ? ETIMEDOUT : ECONNRESET;
        return -1;
    }
    return 0;
}

static struct result *wait_result (eddy_future_t *f)
{
    if (!f) {
        errno = EINVAL;
        return NULL;
    }
    if (!f->head && eddy_future_wait_for (f, -1) < 0)
        return NULL;
    return f->head;
}

int eddy_future_get_msg (eddy_future_t *f, const eddy_msg_t **msg)
{
    struct result *res = wait_result (f);
    if (!res)
        return -1;
    if (res->errnum) {
        errno = res->errnum;
        return -1;
    }
    if (msg)
        *msg = res->msg;
    return 0;
}

int eddy_rpc_get (eddy_future_t *f, json_t **payload)
{
    const eddy_msg_t *msg = NULL;
    if (eddy_future_get_msg (f, &msg) < 0)
        return -1;
    if (payload)
        *payload = msg ? eddy_msg_payload (msg) : NULL;
    return 0;
}

int eddy_rpc_get_unpack (eddy_future_t *f, const char *fmt, ...)
{
    json_t *o = NULL;
    va_list ap;
    int rc;

    if (eddy_rpc_get (f, &o) < 0)
        return -1;
    if (!o) {
        errno = EPROTO;
        return -1;
    }
    va_start (ap, fmt);
    rc = json_vunpack_ex (o, NULL, 0, fmt, ap);
    va_end (ap);
    if (rc < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

const char *eddy_future_error_string (eddy_future_t *f)
{
    struct result *res;
    if (!f || !(res = f->head) || !res->errnum)
        return NULL;
    if (res->errstr)
        return res->errstr;
    if (res->msg && eddy_msg_errstr (res->msg))
        return eddy_msg_errstr (res->msg);
    return strerror (res->errnum);
}

void eddy_future_destroy (eddy_future_t *f)
{
    if (f) {
        int saved_errno = errno;
        if (f->h) {
            if (f->matchtag)
                eddy_handle_tag_retire (f->h, f->matchtag);
            eddy_handle_ready_remove (f->h, f);
        }
        eddy_watcher_destroy (f->timer);
        while (f->head) {
            struct result *res = f->head;
            f->head = res->next;
            eddy_msg_decref (res->msg);
            free (res->errstr);
            free (res);
        }
        struct aux *a = f->aux;
        while (a) {
            struct aux *next = a->next;
            if (a->free_fn)
                a->free_fn (a->val);
            free (a->key);
            free (a);
            a = next;
        }
        free (f->errtext);
        free (f);
        errno = saved_errno;
    }
}

int eddy_future_aux_set (eddy_future_t *f, const char *key, void *val, void (*free_fn) (void *))
{
    struct aux *a;
    if (!(a = calloc (1, sizeof (*a))) || !(a->key = strdup (key))) {
        free (a);
        return -1;
    }
    a->val = val;
    a->free_fn = free_fn;
    a->next = f->aux;
    f->aux = a;
    return 0;
}

void *eddy_future_aux_get (eddy_future_t *f, const char *key)
{
    for (struct aux *a = f->aux; a; a = a->next)
        if (!strcmp (a->key, key))
            return a->val;
    return NULL;
}

/* ---- RPC ---- */

eddy_future_t *eddy_rpc (eddy_handle_t *h,
                         const char *topic,
                         json_t *payload,
                         uint32_t nodeid,
                         int flags)
{
    eddy_msg_t *msg = NULL;
    eddy_future_t *f = NULL;

    if (!h || !topic || !*topic) {
        errno = EINVAL;
        return NULL;
    }
    if (!(msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, topic)))
        return NULL;
    eddy_msg_set_nodeid (msg, nodeid);
    eddy_msg_set_payload (msg, payload);
    if (flags & EDDY_RPC_NORESPONSE) {
        eddy_msg_set_flags (msg, EDDY_MSGFLAG_NORESPONSE);
        int rc = eddy_send (h, msg);
        int saved_errno = errno;
        eddy_msg_decref (msg);
        errno = rc < 0 ? saved_errno : 0;
        return NULL;
    }
    if (!(f = eddy_future_create (h)))
        goto error;
    if (!(f->matchtag = eddy_handle_tag_alloc (h, f))) {
        errno = ENOMEM;
        goto error;
    }
    if (flags & EDDY_RPC_STREAMING) {
        f->streaming = true;
        eddy_msg_set_flags (msg, EDDY_MSGFLAG_STREAMING);
    }
    eddy_msg_set_matchtag (msg, f->matchtag);
    if (eddy_send (h, msg) < 0)
        goto error;
    eddy_msg_decref (msg);
    return f;
error:
    if (f && f->matchtag) {
        eddy_handle_tag_free (h, f->matchtag);
        f->matchtag = EDDY_MATCHTAG_NONE;
    }
    eddy_future_destroy (f);
    eddy_msg_decref (msg);
    return NULL;
}

eddy_future_t *eddy_rpc_pack (eddy_handle_t *h,
                              const char *topic,
                              uint32_t nodeid,
                              int flags,
                              const char *fmt,
                              ...)
{
    va_list ap;
    json_t *o;
    eddy_future_t *f;

    va_start (ap, fmt);
    o = json_vpack_ex (NULL, 0, fmt, ap);
    va_end (ap);
    if (!o) {
        errno = EINVAL;
        return NULL;
    }
    f = eddy_rpc (h, topic, o, nodeid, flags);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return f;
}
