/* kvs.c - the KVS client API (kvs.h): transactions are JSON arrays of
 * operations, every call is an RPC to the kvs module on rank 0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvs/jsoncheck.h"
#include "kvs/kvs.h"

struct eddy_kvs_txn {
    json_t *ops;
};

/* A key names something below the root: at least one non-empty component. */
static bool key_valid (const char *key)
{
    if (!key)
        return false;
    for (const char *p = key; *p; p++)
        if (*p != '.')
            return true;
    return false;
}

eddy_kvs_txn_t *eddy_kvs_txn_create (void)
{
    eddy_kvs_txn_t *txn = calloc (1, sizeof (*txn));
    if (!txn)
        return NULL;
    if (!(txn->ops = json_array ())) {
        free (txn);
        errno = ENOMEM;
        return NULL;
    }
    return txn;
}

void eddy_kvs_txn_destroy (eddy_kvs_txn_t *txn)
{
    if (txn) {
        int saved_errno = errno;
        json_decref (txn->ops);
        free (txn);
        errno = saved_errno;
    }
}

/* One operation {op, key, value?}, built member by member: every eventlog
 * append comes this way, and json_pack's format parsing was 2.5% of a
 * replay's CPU.  key and value must be UTF-8 (json_string () checks).
 */
static int add_op (eddy_kvs_txn_t *txn, const char *op, const char *key, const char *value)
{
    json_t *o, *k = NULL, *v = NULL;
    if (!txn || !key_valid (key)) {
        errno = EINVAL;
        return -1;
    }
    if (!(o = json_object ()) || !(k = json_string (key)) || (value && !(v = json_string (value)))
        || json_object_set_new_nocheck (o, "op", json_string_nocheck (op)) < 0) {
        json_decref (o);
        json_decref (k);
        json_decref (v);
        errno = EINVAL; /* the text is not UTF-8 (or no memory) */
        return -1;
    }
    /* set_new takes its value even when it fails */
    if (json_object_set_new_nocheck (o, "key", k) < 0
        || (v && json_object_set_new_nocheck (o, "value", v) < 0)) {
        if (!json_object_get (o, "key"))
            json_decref (v);
        json_decref (o);
        errno = ENOMEM;
        return -1;
    }
    if (json_array_append_new (txn->ops, o) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int eddy_kvs_txn_put (eddy_kvs_txn_t *txn, const char *key, const char *json)
{
    if (!json || !eddy_json_check (json, strlen (json))) {
        errno = EINVAL;
        return -1;
    }
    return add_op (txn, "put", key, json);
}

int eddy_kvs_txn_put_json (eddy_kvs_txn_t *txn, const char *key, json_t *value)
{
    char *s;
    int rc;
    if (!value || !(s = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY))) {
        errno = EINVAL;
        return -1;
    }
    rc = add_op (txn, "put", key, s);
    free (s);
    return rc;
}

int eddy_kvs_txn_put_pack (eddy_kvs_txn_t *txn, const char *key, const char *fmt, ...)
{
    va_list ap;
    json_t *o;
    int rc;

    if (!fmt) {
        errno = EINVAL;
        return -1;
    }
    va_start (ap, fmt);
    o = json_vpack_ex (NULL, 0, fmt, ap);
    va_end (ap);
    if (!o) {
        errno = EINVAL;
        return -1;
    }
    rc = eddy_kvs_txn_put_json (txn, key, o);
    json_decref (o);
    return rc;
}

int eddy_kvs_txn_append (eddy_kvs_txn_t *txn, const char *key, const char *text)
{
    if (!text) {
        errno = EINVAL;
        return -1;
    }
    return add_op (txn, "append", key, text);
}

int eddy_kvs_txn_unlink (eddy_kvs_txn_t *txn, const char *key)
{
    return add_op (txn, "unlink", key, NULL);
}

int eddy_kvs_txn_mkdir (eddy_kvs_txn_t *txn, const char *key)
{
    return add_op (txn, "mkdir", key, NULL);
}

int eddy_kvs_txn_prune (eddy_kvs_txn_t *txn, const char *key)
{
    return add_op (txn, "prune", key, NULL);
}

int eddy_kvs_txn_concat (eddy_kvs_txn_t *txn, const eddy_kvs_txn_t *more)
{
    if (!txn || !more) {
        errno = EINVAL;
        return -1;
    }
    if (json_array_extend (txn->ops, more->ops) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- commit ---- */

eddy_future_t *eddy_kvs_commit (eddy_handle_t *h, const char *ns, int flags, eddy_kvs_txn_t *txn)
{
    json_t *o;
    eddy_future_t *f;

    if (!h || !txn) {
        errno = EINVAL;
        return NULL;
    }
    /* the message keeps a shallow copy: later changes to txn do not reach it */
    if (!(o = json_pack ("{s:i s:o}", "flags", flags, "ops", json_copy (txn->ops)))
        || (ns && json_object_set_new (o, "namespace", json_string (ns)) < 0)) {
        json_decref (o);
        errno = ENOMEM;
        return NULL;
    }
    f = eddy_rpc (h, "kvs.commit", o, 0, 0);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return f;
}

int eddy_kvs_commit_get_seq (eddy_future_t *f, uint64_t *seq)
{
    json_int_t s;
    if (eddy_rpc_get_unpack (f, "{s:I}", "seq", &s) < 0)
        return -1;
    if (seq)
        *seq = (uint64_t)s;
    return 0;
}

/* ---- lookups and watches ---- */

static eddy_future_t *key_rpc (eddy_handle_t *h, const char *topic, const char *ns, int flags,
                               const char *key, int rpcflags)
{
    json_t *o;
    eddy_future_t *f;

    if (!h || !key) {
        errno = EINVAL;
        return NULL;
    }
    if (!(o = json_pack ("{s:s s:i}", "key", key, "flags", flags))
        || (ns && json_object_set_new (o, "namespace", json_string (ns)) < 0)) {
        json_decref (o);
        errno = EINVAL;
        return NULL;
    }
    f = eddy_rpc (h, topic, o, 0, rpcflags);
    int saved_errno = errno;
    json_decref (o);
    errno = saved_errno;
    return f;
}

eddy_future_t *eddy_kvs_lookup (eddy_handle_t *h, const char *ns, int flags, const char *key)
{
    return key_rpc (h, "kvs.lookup", ns, flags, key, 0);
}

int eddy_kvs_lookup_get (eddy_future_t *f, const char **json)
{
    json_t *o, *v;
    if (eddy_rpc_get (f, &o) < 0)
        return -1;
    if (!(v = json_object_get (o, "value"))) {
        errno = json_object_get (o, "dir") ? EISDIR : EPROTO;
        return -1;
    }
    if (!json_is_string (v)) {
        errno = EPROTO;
        return -1;
    }
    if (json)
        *json = json_string_value (v);
    return 0;
}

/* The decoded value of the current response, kept with the future. */
struct decoded {
    const eddy_msg_t *msg;
    json_t *value;
};

static void decoded_free (void *arg)
{
    struct decoded *d = arg;
    if (d) {
        eddy_msg_decref (d->msg);
        json_decref (d->value);
        free (d);
    }
}

int eddy_kvs_lookup_get_unpack (eddy_future_t *f, const char *fmt, ...)
{
    const eddy_msg_t *msg;
    const char *text;
    struct decoded *d;
    va_list ap;
    int rc;

    if (!fmt || eddy_kvs_lookup_get (f, &text) < 0 || eddy_future_get_msg (f, &msg) < 0)
        return -1;
    if (!(d = eddy_future_aux_get (f, "kvs::decoded"))) {
        if (!(d = calloc (1, sizeof (*d))) || eddy_future_aux_set (f, "kvs::decoded", d, decoded_free) < 0) {
            free (d);
            errno = ENOMEM;
            return -1;
        }
    }
    if (d->msg != msg) {
        json_t *v = json_loads (text, JSON_DECODE_ANY, NULL);
        if (!v) {
            errno = EINVAL; /* an appended value need not be one JSON document */
            return -1;
        }
        eddy_msg_decref (d->msg);
        json_decref (d->value);
        d->msg = eddy_msg_incref (msg);
        d->value = v;
    }
    va_start (ap, fmt);
    rc = json_vunpack_ex (d->value, NULL, 0, fmt, ap);
    va_end (ap);
    if (rc < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int eddy_kvs_lookup_get_dir (eddy_future_t *f, json_t **names)
{
    json_t *o, *v;
    if (eddy_rpc_get (f, &o) < 0)
        return -1;
    if (!(v = json_object_get (o, "dir"))) {
        errno = json_object_get (o, "value") ? ENOTDIR : EPROTO;
        return -1;
    }
    if (!json_is_array (v)) {
        errno = EPROTO;
        return -1;
    }
    if (names)
        *names = v;
    return 0;
}

/* A live watch is cancelled when its future is destroyed. */
struct watch {
    eddy_handle_t *h;
    eddy_future_t *f;
};

static int send_unwatch (eddy_handle_t *h, uint32_t matchtag)
{
    eddy_future_t *f = eddy_rpc_pack (h, "kvs.unwatch", 0, EDDY_RPC_NORESPONSE, "{s:I}", "matchtag",
                                      (json_int_t)matchtag);
    if (!f && errno != 0)
        return -1;
    eddy_future_destroy (f);
    return 0;
}

static void watch_free (void *arg)
{
    struct watch *w = arg;
    if (w) {
        /* runs inside eddy_future_destroy (), which keeps f's fields */
        uint32_t tag = eddy_future_matchtag (w->f);
        if (tag != EDDY_MATCHTAG_NONE)
            (void)send_unwatch (w->h, tag);
        free (w);
    }
}

eddy_future_t *eddy_kvs_watch (eddy_handle_t *h, const char *ns, int flags, const char *key)
{
    eddy_future_t *f = key_rpc (h, "kvs.watch", ns, flags, key, EDDY_RPC_STREAMING);
    struct watch *w;
    if (!f)
        return NULL;
    if (!(w = calloc (1, sizeof (*w))) || eddy_future_aux_set (f, "kvs::watch", w, watch_free) < 0) {
        free (w);
        eddy_future_destroy (f);
        errno = ENOMEM;
        return NULL;
    }
    w->h = h;
    w->f = f;
    return f;
}

int eddy_kvs_watch_cancel (eddy_future_t *f)
{
    struct watch *w;
    uint32_t tag;
    if (!f || !(w = eddy_future_aux_get (f, "kvs::watch"))) {
        errno = EINVAL;
        return -1;
    }
    if ((tag = eddy_future_matchtag (f)) == EDDY_MATCHTAG_NONE)
        return 0; /* already ended */
    return send_unwatch (w->h, tag);
}

/* ---- namespaces ---- */

eddy_future_t *eddy_kvs_namespace_create (eddy_handle_t *h, const char *ns, uint32_t owner)
{
    if (!h || !ns || !*ns) {
        errno = EINVAL;
        return NULL;
    }
    return eddy_rpc_pack (h, "kvs.namespace-create", 0, 0, "{s:s s:I}", "namespace", ns, "owner",
                          (json_int_t)owner);
}

eddy_future_t *eddy_kvs_namespace_remove (eddy_handle_t *h, const char *ns)
{
    if (!h || !ns || !*ns) {
        errno = EINVAL;
        return NULL;
    }
    return eddy_rpc_pack (h, "kvs.namespace-remove", 0, 0, "{s:s}", "namespace", ns);
}

/* ---- job keys ---- */

int eddy_kvs_job_key (char *buf, size_t len, uint64_t id, const char *suffix)
{
    int n;
    if (!buf) {
        errno = EINVAL;
        return -1;
    }
    n = snprintf (buf, len, "job.%04x.%04x.%04x.%04x%s%s", (unsigned)(id >> 48) & 0xffff,
                  (unsigned)(id >> 32) & 0xffff, (unsigned)(id >> 16) & 0xffff, (unsigned)id & 0xffff,
                  suffix && *suffix ? "." : "", suffix ? suffix : "");
    if (n < 0 || (size_t)n >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    return n;
}

int eddy_kvs_job_key_parse (const char *key, uint64_t *id, const char **rest)
{
    uint64_t v = 0;
    const char *p;

    if (!key || strncmp (key, "job.", 4) != 0)
        goto inval;
    p = key + 4;
    for (int group = 0; group < 4; group++) {
        for (int i = 0; i < 4; i++, p++) {
            int d;
            if (*p >= '0' && *p <= '9')
                d = *p - '0';
            else if (*p >= 'a' && *p <= 'f')
                d = *p - 'a' + 10;
            else
                goto inval;
            v = v << 4 | (uint64_t)d;
        }
        if (*p++ != '.')
            goto inval;
    }
    if (!*p)
        goto inval;
    if (id)
        *id = v;
    if (rest)
        *rest = p;
    return 0;
inval:
    errno = EINVAL;
    return -1;
}
