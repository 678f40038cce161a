/* client.c - a handle whose messages travel to the broker over the local
 * connector's AF_UNIX socket, with non-blocking writes and a clean failure
 * of outstanding RPCs when the broker goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "engine/future.h"
#include "transport/local/client.h"
#include "transport/local/stream.h"

#define AUX_KEY "eddy::local-client"
#define URI_PREFIX "local://"
/* Matchtags come from the handle's dense allocator; larger ones are not
 * the handle's and are not tracked for failure on connection loss.
 */
#define TRACK_TAG_MAX (1u << 24)

enum { PEND_NONE = 0, PEND_ONE = 1, PEND_STREAM = 2 };

struct client {
    struct eddy_handle_ops ops; /* built at run time: no global tables */
    eddy_reactor_t *r;
    bool own_reactor;
    eddy_handle_t *h;
    int fd;
    eddy_watcher_t *rw, *ww;
    eddy_watcher_t *lost_w; /* fails outstanding RPCs after a loss */
    struct eddy_local_inbuf in;
    struct eddy_local_outq out;
    bool lost;
    int lost_errnum;     /* what outstanding RPCs fail with */
    char lost_text[256]; /* the broker's reason when it refused us */

    uint8_t *pend; /* matchtag -> PEND_* for requests awaiting a response */
    size_t pend_cap;
    size_t npend;
};

/* ---- outstanding requests ---- */

static void track (struct client *c, const eddy_msg_t *msg)
{
    uint32_t tag = eddy_msg_matchtag (msg);
    uint32_t flags = eddy_msg_flags (msg);

    if (eddy_msg_type (msg) != EDDY_MSGTYPE_REQUEST || tag == EDDY_MATCHTAG_NONE ||
        tag >= TRACK_TAG_MAX || (flags & EDDY_MSGFLAG_NORESPONSE))
        return;
    if (tag >= c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap : 64;
        while (cap <= tag)
            cap *= 2;
        uint8_t *p = realloc (c->pend, cap);
        if (!p)
            return; /* untracked: only loses the ECONNRESET on a later loss */
        memset (p + c->pend_cap, 0, cap - c->pend_cap);
        c->pend = p;
        c->pend_cap = cap;
    }
    if (c->pend[tag] == PEND_NONE)
        c->npend++;
    c->pend[tag] = (flags & EDDY_MSGFLAG_STREAMING) ? PEND_STREAM : PEND_ONE;
}

static void untrack (struct client *c, const eddy_msg_t *msg)
{
    uint32_t tag = eddy_msg_matchtag (msg);
    if (tag >= c->pend_cap || c->pend[tag] == PEND_NONE)
        return;
    if (c->pend[tag] == PEND_ONE || eddy_msg_errnum (msg) != 0) {
        c->pend[tag] = PEND_NONE;
        c->npend--;
    }
}

/* Answer every outstanding request with ECONNRESET, as the broker would
 * have if it could.
 */
static void fail_pending (struct client *c)
{
    for (size_t tag = 1; tag < c->pend_cap && c->npend > 0; tag++) {
        if (c->pend[tag] == PEND_NONE)
            continue;
        eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_RESPONSE, NULL);
        if (!msg)
            return; /* out of memory: those RPCs wait for their timeouts */
        eddy_msg_set_matchtag (msg, tag);
        if (c->pend[tag] == PEND_STREAM)
            eddy_msg_set_flags (msg, EDDY_MSGFLAG_STREAMING);
        (void)eddy_msg_set_error (msg, c->lost_errnum ? c->lost_errnum : ECONNRESET,
                                  c->lost_text[0] ? c->lost_text
                                                  : "connection to the broker was lost");
        c->pend[tag] = PEND_NONE;
        c->npend--;
        eddy_handle_deliver (c->h, msg);
        eddy_msg_decref (msg);
    }
}

/* ---- losing the connection ---- */

static void lost_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct client *c = arg;
    eddy_watcher_stop (w);
    fail_pending (c);
    if (c->own_reactor)
        eddy_reactor_stop_error (r);
}

/* The broker's refusal (server.h: "local.refused"): keep its reason. */
static bool is_refusal (struct client *c, const eddy_msg_t *msg)
{
    if (eddy_msg_type (msg) != EDDY_MSGTYPE_CONTROL
        || !eddy_msg_topic (msg) || strcmp (eddy_msg_topic (msg), "local.refused") != 0)
        return false;
    c->lost_errnum = eddy_msg_errnum (msg) ? eddy_msg_errnum (msg) : EPERM;
    snprintf (c->lost_text, sizeof (c->lost_text), "%s",
              eddy_msg_errstr (msg) ? eddy_msg_errstr (msg) : strerror (c->lost_errnum));
    return true;
}

/* A write failed: the broker may have closed after saying why. */
static void read_refusal (struct client *c)
{
    const uint8_t *frame;
    size_t len;

    if (eddy_local_inbuf_read (&c->in, c->fd) <= 0)
        return;
    while (eddy_local_inbuf_frame (&c->in, &frame, &len) == 1) {
        eddy_msg_t *msg = eddy_msg_decode (frame, len, EDDY_WIRE_VERSION, NULL, NULL);
        bool refused = msg && is_refusal (c, msg);
        eddy_msg_decref (msg);
        eddy_local_inbuf_consume (&c->in, len);
        if (!msg || refused)
            return;
    }
}

/* Close the socket now; fail outstanding RPCs from the lost watcher, so
 * this may be called from inside ops.send.
 */
static void connection_lost (struct client *c)
{
    if (c->lost)
        return;
    c->lost = true;
    if (!c->lost_text[0])
        read_refusal (c);
    eddy_watcher_destroy (c->rw);
    eddy_watcher_destroy (c->ww);
    c->rw = c->ww = NULL;
    close (c->fd);
    c->fd = -1;
    eddy_local_inbuf_release (&c->in);
    eddy_local_outq_release (&c->out);
    eddy_watcher_start (c->lost_w);
}

/* ---- reading ---- */

static void read_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct client *c = arg;
    const uint8_t *frame;
    size_t len;
    int rc;

    ssize_t n = eddy_local_inbuf_read (&c->in, c->fd);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0) {
        connection_lost (c);
        return;
    }
    while ((rc = eddy_local_inbuf_frame (&c->in, &frame, &len)) == 1) {
        eddy_msg_t *msg = eddy_msg_decode (frame, len, EDDY_WIRE_VERSION, NULL, NULL);
        if (!msg) {
            /* a broker that speaks another version or sends garbage */
            connection_lost (c);
            return;
        }
        eddy_local_inbuf_consume (&c->in, len);
        if (is_refusal (c, msg)) {
            eddy_msg_decref (msg);
            connection_lost (c);
            return;
        }
        if (eddy_msg_type (msg) == EDDY_MSGTYPE_RESPONSE)
            untrack (c, msg);
        eddy_handle_deliver (c->h, msg);
        eddy_msg_decref (msg);
        if (c->lost)
            return;
    }
    if (rc < 0 || n == 0)
        connection_lost (c);
}

/* ---- writing ---- */

static void write_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct client *c = arg;
    int rc = eddy_local_outq_flush (&c->out, c->fd);
    if (rc < 0)
        connection_lost (c);
    else if (rc == 0)
        eddy_watcher_stop (w);
}

static int op_send (void *impl, const eddy_msg_t *msg)
{
    struct client *c = impl;
    void *frame;
    size_t len;

    if (c->lost) {
        errno = ECONNRESET;
        return -1;
    }
    if (eddy_msg_encode (msg, EDDY_WIRE_VERSION, &frame, &len) < 0)
        return -1;
    if (eddy_local_outq_push (&c->out, frame, len) < 0)
        return -1;
    if (!eddy_watcher_is_active (c->ww)) {
        int rc = eddy_local_outq_flush (&c->out, c->fd);
        if (rc < 0) {
            /* the request counts as sent: the lost watcher fails it with
             * the broker's reason if it gave one (a refused guest's
             * first request usually meets the closed socket here) */
            connection_lost (c);
            track (c, msg);
            return 0;
        }
        if (rc > 0)
            eddy_watcher_start (c->ww);
    }
    /* only now: a failed send's matchtag goes back to the handle unused */
    track (c, msg);
    return 0;
}

/* ---- create and destroy ---- */

static void client_destroy (void *impl)
{
    struct client *c = impl;
    if (c) {
        int saved_errno = errno;
        eddy_watcher_destroy (c->rw);
        eddy_watcher_destroy (c->ww);
        eddy_watcher_destroy (c->lost_w);
        if (c->fd >= 0)
            close (c->fd);
        eddy_local_inbuf_release (&c->in);
        eddy_local_outq_release (&c->out);
        free (c->pend);
        /* the handle has let go of its own watchers by now */
        if (c->own_reactor)
            eddy_reactor_destroy (c->r);
        free (c);
        errno = saved_errno;
    }
}

static eddy_handle_t *client_create (eddy_reactor_t *r,
                                     bool own_reactor,
                                     const char *path,
                                     int fd,
                                     const char *name,
                                     eddy_error_t *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct client *c;

    if (fd >= 0)
        path = "";
    if (strlen (path) >= sizeof (sun.sun_path)) {
        errno = ENAMETOOLONG;
        eddy_error_set (err, "%s: socket path too long", name);
        return NULL;
    }
    strcpy (sun.sun_path, path);
    if (!(c = calloc (1, sizeof (*c)))) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    c->r = r;
    c->ops.send = op_send;
    c->ops.destroy = client_destroy;
    if (fd >= 0) {
        c->fd = fd; /* connected already: a relay's end (eddy_local_connect_fd) */
        goto connected;
    }
    if ((c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        eddy_error_set (err, "socket: %s", strerror (errno));
        goto error;
    }
    /* a local connect () completes or fails at once: no need to poll */
    if (connect (c->fd, (struct sockaddr *)&sun, sizeof (sun)) < 0) {
        if (errno == EACCES)
            eddy_error_set (err, "%s: connect: access denied: only the instance owner may "
                            "connect (guests need [access] allow-guest-user)", name);
        else
            eddy_error_set (err, "%s: connect: %s", name, strerror (errno));
        goto error;
    }
connected:;
    int fl = fcntl (c->fd, F_GETFL);
    if (fl < 0 || fcntl (c->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        eddy_error_set (err, "%s: fcntl: %s", name, strerror (errno));
        goto error;
    }
    if (!(c->rw = eddy_fd_create (r, c->fd, EDDY_POLLIN, read_cb, c)) ||
        !(c->ww = eddy_fd_create (r, c->fd, EDDY_POLLOUT, write_cb, c)) ||
        !(c->lost_w = eddy_check_create (r, lost_cb, c))) {
        eddy_error_set (err, "%s: watcher: %s", name, strerror (errno));
        goto error;
    }
    if (!(c->h = eddy_handle_create (r, &c->ops, c))) {
        eddy_error_set (err, "%s: handle: %s", name, strerror (errno));
        goto error;
    }
    /* from here the handle owns c */
    if (eddy_handle_aux_set (c->h, AUX_KEY, c, NULL) < 0) {
        eddy_error_set (err, "out of memory");
        eddy_handle_destroy (c->h);
        return NULL;
    }
    c->own_reactor = own_reactor; /* and, for eddy_open (), the reactor */
    eddy_watcher_start (c->rw);
    return c->h;
error:
    client_destroy (c);
    return NULL;
}

eddy_handle_t *
eddy_local_connect (eddy_reactor_t *r, const char *path, eddy_error_t *err)
{
    if (!r || !path || path[0] != '/') {
        errno = EINVAL;
        eddy_error_set (
            err, "local connect: a reactor and an absolute socket path are required");
        return NULL;
    }
    return client_create (r, false, path, -1, path, err);
}

eddy_handle_t *eddy_local_connect_fd (int fd, const char *name, eddy_error_t *err)
{
    eddy_reactor_t *r;
    eddy_handle_t *h;
    if (fd < 0) {
        errno = EINVAL;
        eddy_error_set (err, "local connect: no descriptor");
        return NULL;
    }
    if (!(r = eddy_reactor_create ())) {
        eddy_error_set (err, "cannot create a reactor: %s", strerror (errno));
        return NULL;
    }
    if (!(h = client_create (r, true, NULL, fd, name ? name : "relay", err))) {
        eddy_reactor_destroy (r);
        return NULL;
    }
    return h;
}

eddy_handle_t *eddy_open (const char *uri, eddy_error_t *err)
{
    eddy_reactor_t *r;
    eddy_handle_t *h;

    if (!uri && !(uri = getenv ("EDDY_URI"))) {
        errno = EINVAL;
        eddy_error_set (err, "EDDY_URI is not set: run inside 'eddy start'");
        return NULL;
    }
    if (strncmp (uri, URI_PREFIX, strlen (URI_PREFIX)) != 0) {
        errno = EINVAL;
        eddy_error_set (err, "%s: unsupported URI (expected local:///PATH)", uri);
        return NULL;
    }
    const char *path = uri + strlen (URI_PREFIX);
    if (path[0] != '/') {
        errno = EINVAL;
        eddy_error_set (err, "%s: the socket path must be absolute (local:///PATH)",
                        uri);
        return NULL;
    }
    if (!(r = eddy_reactor_create ())) {
        eddy_error_set (err, "cannot create a reactor: %s", strerror (errno));
        return NULL;
    }
    if (!(h = client_create (r, true, path, -1, uri, err))) {
        eddy_reactor_destroy (r);
        return NULL;
    }
    return h;
}

void eddy_close (eddy_handle_t *h)
{
    eddy_handle_destroy (h);
}

bool eddy_local_is_lost (eddy_handle_t *h)
{
    struct client *c = h ? eddy_handle_aux_get (h, AUX_KEY) : NULL;
    return c ? c->lost : false;
}
