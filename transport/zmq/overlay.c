/* overlay.c - the ZeroMQ overlay: ROUTER for children, DEALER to the
 * parent, socket monitors for disconnects, a ZAP handler for CURVE, all
 * served by fd watchers on the sockets' (edge-triggered) ZMQ_FD.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <zmq.h>

#include "config.h"
#include "transport/zmq/overlay.h"

#define LINGER_MS 100
#define RECONNECT_IVL_MAX_MS 2000
#define BATCH 1024 /* messages per wakeup before yielding to other watchers */
#define FRAME_MAX ((int64_t)EDDY_MSG_PAYLOAD_MAX + 65536)
#define HELLO_TOPIC "zmq.hello"
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ROUTER_MONITOR "inproc://eddy-overlay-router-monitor"
#define DEALER_MONITOR "inproc://eddy-overlay-dealer-monitor"
#define URI_MAX 256

struct child {
    uint32_t rank;
    int fd;         /* the connection its messages last came on, or -1 */
    bool connected; /* sent something since the last disconnect */
    bool refused;   /* wrong wire version: messages dropped */
};

typedef void (*drain_f) (eddy_zmq_overlay_t *ov);

/* A ZeroMQ socket served by the reactor: an fd watcher on ZMQ_FD, and a
 * check watcher that finishes the work when a send (or a full batch)
 * consumed the edge the fd watcher would have woken up for.
 */
struct zsock {
    void *sock;
    eddy_watcher_t *fd_w;
    eddy_watcher_t *kick_w;
    eddy_zmq_overlay_t *ov;
    drain_f drain;
};

struct eddy_zmq_overlay {
    eddy_reactor_t *r;
    uint32_t rank, size;
    struct eddy_overlay_cb cb;
    void *arg;
    int wire_version;
    void *ctx;

    bool have_cert;
    struct eddy_zmq_cert cert;
    uint8_t public_bin[32];

    struct zsock router, router_mon;
    struct zsock dealer, dealer_mon;
    struct zsock zap;
    char bound_uri[URI_MAX];

    struct child *children; /* sorted by rank */
    size_t nchildren, children_cap;
    uint32_t *fdmap; /* fd -> rank + 1 (0: none), from ZMQ_SRCFD */
    size_t fdmap_len;

    /* child side */
    bool parent_up;      /* handshake done, no disconnect since */
    bool hello_due;      /* reconnected: say hello again */
    bool parent_refused; /* the parent speaks another wire version */
    bool parent_auth_logged;

    unsigned zap_refusals;
    unsigned handshake_failures;
};

static void logf_ (eddy_zmq_overlay_t *ov, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void logf_ (eddy_zmq_overlay_t *ov, int level, const char *fmt, ...)
{
    char buf[384];
    va_list ap;
    if (!ov->cb.log)
        return;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof (buf), fmt, ap);
    va_end (ap);
    ov->cb.log (ov->arg, level, buf);
}

static bool is_pow2 (unsigned n)
{
    return n && !(n & (n - 1));
}

static bool is_tcp (const char *uri)
{
    return strncmp (uri, "tcp://", 6) == 0;
}

/* ---- serving a socket from the reactor ---- */

static bool readable (void *sock)
{
    int events = 0;
    size_t len = sizeof (events);
    if (zmq_getsockopt (sock, ZMQ_EVENTS, &events, &len) < 0)
        return false;
    return (events & ZMQ_POLLIN) != 0;
}

/* After anything that may have consumed ZMQ_FD's edge (a send, a batch
 * cut short), look again and finish on this iteration's check phase.
 */
static void rearm (struct zsock *z)
{
    if (z->sock && readable (z->sock))
        eddy_watcher_start (z->kick_w);
}

static void zsock_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct zsock *z = arg;
    z->drain (z->ov);
}

static void free_zsock (struct zsock *z)
{
    eddy_watcher_destroy (z->fd_w);
    eddy_watcher_destroy (z->kick_w);
    z->fd_w = z->kick_w = NULL;
    if (z->sock) {
        int linger = LINGER_MS;
        zmq_setsockopt (z->sock, ZMQ_LINGER, &linger, sizeof (linger));
        zmq_close (z->sock);
        z->sock = NULL;
    }
}

static int watch_zsock (eddy_zmq_overlay_t *ov, struct zsock *z, drain_f drain)
{
    int fd;
    size_t len = sizeof (fd);

    if (zmq_getsockopt (z->sock, ZMQ_FD, &fd, &len) < 0)
        return -1;
    z->ov = ov;
    z->drain = drain;
    if (!(z->fd_w = eddy_fd_create (ov->r, fd, EDDY_POLLIN, zsock_cb, z)) ||
        !(z->kick_w = eddy_check_create (ov->r, zsock_cb, z)))
        return -1;
    eddy_watcher_start (z->fd_w);
    /* something may have arrived before the watcher existed */
    rearm (z);
    return 0;
}

/* Read one whole message (all its parts) into at most `max` parts; more
 * parts than that are read and discarded, and *nparts says how many came.
 * 0 on success, -1 + EAGAIN when nothing is waiting.
 */
static int recv_parts (void *sock, zmq_msg_t *parts, int max, int *nparts)
{
    int n = 0;
    bool more = true;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *m = n < max ? &parts[n] : &tmp;
        zmq_msg_init (m);
        if (zmq_msg_recv (m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int saved_errno = errno;
            zmq_msg_close (m);
            for (int i = 0; i < n && i < max; i++)
                zmq_msg_close (&parts[i]);
            errno = saved_errno;
            return -1;
        }
        more = zmq_msg_more (m);
        if (m == &tmp)
            zmq_msg_close (&tmp);
        n++;
    }
    *nparts = n;
    return 0;
}

static void close_parts (zmq_msg_t *parts, int n, int max)
{
    for (int i = 0; i < n && i < max; i++)
        zmq_msg_close (&parts[i]);
}

static void free_frame (void *data, void *hint)
{
    free (data);
}

/* Send a frame (taking ownership of buf) as the last part of a message. */
static int send_frame (void *sock, void *buf, size_t len)
{
    zmq_msg_t m;
    if (zmq_msg_init_data (&m, buf, len, free_frame, NULL) < 0) {
        free (buf);
        return -1;
    }
    if (zmq_msg_send (&m, sock, ZMQ_DONTWAIT) < 0) {
        int saved_errno = errno;
        zmq_msg_close (&m);
        errno = saved_errno;
        return -1;
    }
    return 0;
}

/* ---- children ---- */

static struct child *child_find (eddy_zmq_overlay_t *ov, uint32_t rank, size_t *pos)
{
    size_t lo = 0, hi = ov->nchildren;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ov->children[mid].rank == rank)
            return &ov->children[mid];
        if (ov->children[mid].rank < rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

static struct child *child_add (eddy_zmq_overlay_t *ov, uint32_t rank)
{
    size_t pos;
    struct child *c = child_find (ov, rank, &pos);
    if (c)
        return c;
    if (ov->nchildren == ov->children_cap) {
        size_t cap = ov->children_cap ? ov->children_cap * 2 : 8;
        void *p = realloc (ov->children, cap * sizeof (ov->children[0]));
        if (!p)
            return NULL;
        ov->children = p;
        ov->children_cap = cap;
    }
    memmove (&ov->children[pos + 1], &ov->children[pos],
             (ov->nchildren - pos) * sizeof (ov->children[0]));
    ov->nchildren++;
    c = &ov->children[pos];
    c->rank = rank;
    c->fd = -1;
    c->connected = false;
    c->refused = false;
    return c;
}

static uint32_t fdmap_get (eddy_zmq_overlay_t *ov, int fd)
{
    return fd >= 0 && (size_t)fd < ov->fdmap_len ? ov->fdmap[fd] : 0;
}

static int fdmap_set (eddy_zmq_overlay_t *ov, int fd, uint32_t val)
{
    if (fd < 0)
        return 0;
    if ((size_t)fd >= ov->fdmap_len) {
        if (val == 0)
            return 0;
        size_t len = ov->fdmap_len ? ov->fdmap_len : 64;
        while (len <= (size_t)fd)
            len *= 2;
        uint32_t *p = realloc (ov->fdmap, len * sizeof (p[0]));
        if (!p)
            return -1;
        memset (p + ov->fdmap_len, 0, (len - ov->fdmap_len) * sizeof (p[0]));
        ov->fdmap = p;
        ov->fdmap_len = len;
    }
    ov->fdmap[fd] = val;
    return 0;
}

/* The child's connection is gone: report it once, forget its state. */
static void child_lost (eddy_zmq_overlay_t *ov, struct child *c)
{
    uint32_t rank = c->rank;
    bool report = c->connected;
    if (c->fd >= 0 && fdmap_get (ov, c->fd) == rank + 1)
        fdmap_set (ov, c->fd, 0);
    c->fd = -1;
    c->connected = false;
    c->refused = false;
    if (report && ov->cb.child_disconnected)
        ov->cb.child_disconnected (ov->arg, rank);
}

/* "0".."size-1" in plain decimal, not our own rank. */
static bool
parse_rank (eddy_zmq_overlay_t *ov, const char *s, size_t len, uint32_t *rank)
{
    uint64_t v = 0;
    if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v >= ov->size || v == ov->rank)
        return false;
    *rank = (uint32_t)v;
    return true;
}

static void printable (const uint8_t *s, size_t len, char *out, size_t outsz)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 5 < outsz; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'')
            out[j++] = s[i];
        else
            j += snprintf (out + j, outsz - j, "\\x%02x", s[i]);
    }
    out[j] = '\0';
}

/* ---- monitors ---- */

/* One monitor event: [u16 event, u32 value] (host order), [address]. */
static int
read_event (void *sock, uint16_t *event, uint32_t *value, char *addr, size_t addrsz)
{
    zmq_msg_t parts[2];
    int n;
    if (recv_parts (sock, parts, 2, &n) < 0)
        return -1;
    int rc = -1;
    if (n == 2 && zmq_msg_size (&parts[0]) >= 6) {
        const uint8_t *p = zmq_msg_data (&parts[0]);
        memcpy (event, p, 2);
        memcpy (value, p + 2, 4);
        size_t alen = zmq_msg_size (&parts[1]);
        if (alen >= addrsz)
            alen = addrsz - 1;
        memcpy (addr, zmq_msg_data (&parts[1]), alen);
        addr[alen] = '\0';
        rc = 0;
    }
    close_parts (parts, n, 2);
    if (rc < 0)
        errno = EPROTO;
    return rc;
}

static void router_monitor_drain (eddy_zmq_overlay_t *ov)
{
    uint16_t event;
    uint32_t value;
    char addr[URI_MAX];

    if (!ov->router_mon.sock)
        return;
    for (;;) {
        if (read_event (ov->router_mon.sock, &event, &value, addr, sizeof (addr)) < 0) {
            if (errno == EAGAIN)
                break;
            continue; /* a malformed event: skip it */
        }
        switch (event) {
        case ZMQ_EVENT_DISCONNECTED: {
            uint32_t r1 = fdmap_get (ov, (int)value);
            struct child *c = r1 ? child_find (ov, r1 - 1, NULL) : NULL;
            if (c && c->fd == (int)value)
                child_lost (ov, c);
            break;
        }
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            if (is_pow2 (++ov->handshake_failures))
                logf_ (ov, LOG_ERR,
                       "overlay: refusing peer on %s: handshake failed (wrong instance "
                       "certificate?) (%u times)",
                       addr, ov->handshake_failures);
            break;
        default:
            break;
        }
    }
}

static void dealer_monitor_drain (eddy_zmq_overlay_t *ov);

/* ---- hello ---- */

static int send_hello (eddy_zmq_overlay_t *ov, void *sock, const char *identity)
{
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_CONTROL, HELLO_TOPIC);
    void *buf;
    size_t len;
    int rc = -1;

    if (!msg)
        return -1;
    eddy_msg_set_nodeid (msg, ov->rank);
    if (eddy_msg_encode (msg, ov->wire_version, &buf, &len) < 0)
        goto out;
    if (identity &&
        zmq_send (sock, identity, strlen (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        free (buf);
        goto out;
    }
    rc = send_frame (sock, buf, len);
out:
    eddy_msg_decref (msg);
    return rc;
}

static bool is_hello (const eddy_msg_t *msg)
{
    return eddy_msg_type (msg) == EDDY_MSGTYPE_CONTROL &&
           !strcmp (eddy_msg_topic (msg), HELLO_TOPIC);
}

/* ---- the parent side: messages from children ---- */

/* Learn which connection rank's messages come on; settle what the
 * monitor has not told us yet when that contradicts what we knew.
 */
static void track_fd (eddy_zmq_overlay_t *ov, struct child *c, int fd)
{
    if (fd < 0)
        return; /* libzmq did not say: keep what we knew */
    uint32_t holder = fdmap_get (ov, fd);
    if ((c->fd >= 0 && c->fd != fd) || (holder && holder != c->rank + 1)) {
        /* a reconnect or a reused descriptor: disconnect events first */
        router_monitor_drain (ov);
        if (c->fd >= 0 && c->fd != fd)
            child_lost (ov, c); /* it came back on a new connection */
        holder = fdmap_get (ov, fd);
        if (holder && holder != c->rank + 1) {
            struct child *old = child_find (ov, holder - 1, NULL);
            if (old)
                child_lost (ov, old);
            fdmap_set (ov, fd, 0);
        }
    }
    if (c->fd != fd && fdmap_set (ov, fd, c->rank + 1) == 0)
        c->fd = fd;
}

static void child_message (eddy_zmq_overlay_t *ov, zmq_msg_t *id, zmq_msg_t *frame)
{
    uint32_t rank;
    eddy_error_t err = {{0}};
    int version = -1;
    struct child *c;

    if (!parse_rank (ov, zmq_msg_data (id), zmq_msg_size (id), &rank)) {
        char shown[64];
        printable (zmq_msg_data (id), zmq_msg_size (id), shown, sizeof (shown));
        logf_ (ov, LOG_ERR,
               "overlay: refusing peer with routing id '%s': not a child rank below %u",
               shown, ov->size);
        return;
    }
    if (!(c = child_add (ov, rank))) {
        logf_ (ov, LOG_ERR, "overlay: rank %u: out of memory: message dropped", rank);
        return;
    }
    track_fd (ov, c, zmq_msg_get (frame, ZMQ_SRCFD));
    if (c->refused)
        return;
    eddy_msg_t *msg = eddy_msg_decode (zmq_msg_data (frame), zmq_msg_size (frame),
                                       ov->wire_version, &version, &err);
    if (!msg) {
        if (errno == EPROTONOSUPPORT) {
            c->refused = true;
            logf_ (ov, LOG_ERR, "overlay: refusing rank %u: wire version %d, ours %d",
                   rank, version, ov->wire_version);
            /* let the child see our version and log its side too */
            char idbuf[16];
            snprintf (idbuf, sizeof (idbuf), "%u", rank);
            (void)send_hello (ov, ov->router.sock, idbuf);
        } else
            logf_ (ov, LOG_ERR, "overlay: rank %u: %s: message dropped", rank,
                   err.text);
        return;
    }
    c->connected = true;
    if (is_hello (msg)) {
        char idbuf[16];
        snprintf (idbuf, sizeof (idbuf), "%u", rank);
        if (send_hello (ov, ov->router.sock, idbuf) < 0)
            logf_ (ov, LOG_ERR, "overlay: rank %u: hello: %s", rank,
                   zmq_strerror (errno));
    } else if (ov->cb.recv_child)
        ov->cb.recv_child (ov->arg, rank, msg);
    eddy_msg_decref (msg);
}

static void router_drain (eddy_zmq_overlay_t *ov)
{
    eddy_watcher_stop (ov->router.kick_w);
    for (int i = 0; i < BATCH; i++) {
        zmq_msg_t parts[2];
        int n;
        if (recv_parts (ov->router.sock, parts, 2, &n) < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            logf_ (ov, LOG_ERR, "overlay: receive from children: %s",
                   zmq_strerror (errno));
            return;
        }
        if (n == 2)
            child_message (ov, &parts[0], &parts[1]);
        else {
            char shown[64];
            printable (zmq_msg_data (&parts[0]), zmq_msg_size (&parts[0]), shown,
                       sizeof (shown));
            logf_ (ov, LOG_ERR, "overlay: peer '%s': message of %d parts dropped",
                   shown, n - 1);
        }
        close_parts (parts, n, 2);
    }
    rearm (&ov->router);
}

static void router_monitor_cb (eddy_zmq_overlay_t *ov)
{
    eddy_watcher_stop (ov->router_mon.kick_w);
    router_monitor_drain (ov);
}

/* ---- the child side: messages from the parent ---- */

static void parent_message (eddy_zmq_overlay_t *ov, zmq_msg_t *frame)
{
    eddy_error_t err = {{0}};
    int version = -1;
    eddy_msg_t *msg;

    if (ov->parent_refused)
        return;
    msg = eddy_msg_decode (zmq_msg_data (frame), zmq_msg_size (frame), ov->wire_version,
                           &version, &err);
    if (!msg) {
        if (errno == EPROTONOSUPPORT) {
            ov->parent_refused = true;
            logf_ (ov, LOG_ERR, "overlay: refusing parent: wire version %d, ours %d",
                   version, ov->wire_version);
        } else
            logf_ (ov, LOG_ERR, "overlay: parent: %s: message dropped", err.text);
        return;
    }
    if (!is_hello (msg) && ov->cb.recv_parent)
        ov->cb.recv_parent (ov->arg, msg);
    eddy_msg_decref (msg);
}

static void dealer_drain (eddy_zmq_overlay_t *ov)
{
    eddy_watcher_stop (ov->dealer.kick_w);
    for (int i = 0; i < BATCH; i++) {
        zmq_msg_t part;
        int n;
        if (recv_parts (ov->dealer.sock, &part, 1, &n) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                logf_ (ov, LOG_ERR, "overlay: receive from parent: %s",
                       zmq_strerror (errno));
            return;
        }
        if (n == 1)
            parent_message (ov, &part);
        else
            logf_ (ov, LOG_ERR, "overlay: parent: message of %d parts dropped", n);
        zmq_msg_close (&part);
    }
    rearm (&ov->dealer);
}

static void dealer_monitor_drain (eddy_zmq_overlay_t *ov)
{
    uint16_t event;
    uint32_t value;
    char addr[URI_MAX];

    eddy_watcher_stop (ov->dealer_mon.kick_w);
    for (;;) {
        if (read_event (ov->dealer_mon.sock, &event, &value, addr, sizeof (addr)) < 0) {
            if (errno == EAGAIN)
                break;
            continue;
        }
        switch (event) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            ov->parent_up = true;
            ov->parent_auth_logged = false;
            if (ov->hello_due) {
                ov->hello_due = false;
                (void)send_hello (ov, ov->dealer.sock, NULL);
                rearm (&ov->dealer);
            }
            break;
        case ZMQ_EVENT_DISCONNECTED:
            ov->hello_due = true;
            ov->parent_refused = false;
            if (ov->parent_up) {
                ov->parent_up = false;
                if (ov->cb.parent_disconnected)
                    ov->cb.parent_disconnected (ov->arg);
            }
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            if (!ov->parent_auth_logged) {
                ov->parent_auth_logged = true;
                logf_ (ov, LOG_ERR,
                       "overlay: parent %s refused our CURVE key (status %u)", addr,
                       value);
            }
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            if (is_pow2 (++ov->handshake_failures))
                logf_ (ov, LOG_ERR,
                       "overlay: handshake with parent %s failed (wrong instance "
                       "certificate?) (%u times)",
                       addr, ov->handshake_failures);
            break;
        default:
            break;
        }
    }
}

/* ---- ZAP: who may connect with CURVE ---- */

static void zap_drain (eddy_zmq_overlay_t *ov)
{
    eddy_watcher_stop (ov->zap.kick_w);
    for (int i = 0; i < BATCH; i++) {
        /* version, request id, domain, address, routing id, mechanism,
         * credentials...: RFC 27 */
        zmq_msg_t parts[8];
        int n;
        if (recv_parts (ov->zap.sock, parts, 8, &n) < 0)
            return;
        bool ok = false;
        char addr[64] = "?";
        const char *status = "400", *text = "unknown CURVE key";
        if (n >= 7) {
            printable (zmq_msg_data (&parts[3]), zmq_msg_size (&parts[3]), addr,
                       sizeof (addr));
            bool curve = zmq_msg_size (&parts[5]) == 5 &&
                         !memcmp (zmq_msg_data (&parts[5]), "CURVE", 5);
            ok = curve && zmq_msg_size (&parts[6]) == 32 &&
                 !memcmp (zmq_msg_data (&parts[6]), ov->public_bin, 32);
            if (!curve)
                text = "CURVE required";
        }
        if (ok) {
            status = "200";
            text = "OK";
        } else if (is_pow2 (++ov->zap_refusals))
            logf_ (ov, LOG_ERR, "overlay: refusing peer %s: %s (%u times)", addr, text,
                   ov->zap_refusals);
        /* the reply: version, request id, status code, text, user id, metadata */
        zmq_send (ov->zap.sock, "1.0", 3, ZMQ_SNDMORE);
        if (n >= 2)
            zmq_send (ov->zap.sock, zmq_msg_data (&parts[1]), zmq_msg_size (&parts[1]),
                      ZMQ_SNDMORE);
        else
            zmq_send (ov->zap.sock, "", 0, ZMQ_SNDMORE);
        zmq_send (ov->zap.sock, status, 3, ZMQ_SNDMORE);
        zmq_send (ov->zap.sock, text, strlen (text), ZMQ_SNDMORE);
        zmq_send (ov->zap.sock, ok ? "eddy" : "", ok ? 4 : 0, ZMQ_SNDMORE);
        zmq_send (ov->zap.sock, "", 0, 0);
        close_parts (parts, n, 8);
    }
    rearm (&ov->zap);
}

/* ---- setup ---- */

static int common_options (eddy_zmq_overlay_t *ov, void *sock)
{
    int zero = 0, linger = LINGER_MS;
    int64_t maxmsg = FRAME_MAX;
    if (zmq_setsockopt (sock, ZMQ_SNDHWM, &zero, sizeof (zero)) < 0 ||
        zmq_setsockopt (sock, ZMQ_RCVHWM, &zero, sizeof (zero)) < 0 ||
        zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof (linger)) < 0 ||
        zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof (maxmsg)) < 0)
        return -1;
    return 0;
}

static int start_monitor (eddy_zmq_overlay_t *ov,
                          void *sock,
                          const char *endpoint,
                          int events,
                          struct zsock *mon,
                          drain_f drain)
{
    if (zmq_socket_monitor (sock, endpoint, events) < 0)
        return -1;
    if (!(mon->sock = zmq_socket (ov->ctx, ZMQ_PAIR)))
        return -1;
    if (zmq_connect (mon->sock, endpoint) < 0)
        return -1;
    return watch_zsock (ov, mon, drain);
}

static int make_router (eddy_zmq_overlay_t *ov, eddy_error_t *err)
{
    int one = 1;
    if (!(ov->router.sock = zmq_socket (ov->ctx, ZMQ_ROUTER)))
        goto error;
    if (common_options (ov, ov->router.sock) < 0 ||
        zmq_setsockopt (ov->router.sock, ZMQ_ROUTER_MANDATORY, &one, sizeof (one)) <
            0 ||
        zmq_setsockopt (ov->router.sock, ZMQ_ROUTER_HANDOVER, &one, sizeof (one)) < 0)
        goto error;
    if (start_monitor (ov, ov->router.sock, ROUTER_MONITOR,
                       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                       &ov->router_mon, router_monitor_cb) < 0)
        goto error;
    if (watch_zsock (ov, &ov->router, router_drain) < 0)
        goto error;
    return 0;
error:
    eddy_error_set (err, "overlay: ROUTER socket: %s", zmq_strerror (errno));
    return -1;
}

int eddy_zmq_overlay_bind (eddy_zmq_overlay_t *ov,
                           const char *endpoint,
                           eddy_error_t *err)
{
    if (!ov || !endpoint) {
        errno = EINVAL;
        return eddy_error_set (err, "overlay: bind: no endpoint");
    }
    if (!ov->router.sock && make_router (ov, err) < 0)
        return -1;
    bool curve = ov->have_cert && is_tcp (endpoint);
    int on = curve ? 1 : 0;
    /* options are taken by each listener at bind time */
    if (zmq_setsockopt (ov->router.sock, ZMQ_CURVE_SERVER, &on, sizeof (on)) < 0 ||
        (curve && zmq_setsockopt (ov->router.sock, ZMQ_CURVE_SECRETKEY,
                                  ov->cert.secret_key, EDDY_CERT_KEY_LEN) < 0))
        return eddy_error_set (err, "overlay: CURVE setup: %s", zmq_strerror (errno));
    if (zmq_bind (ov->router.sock, endpoint) < 0)
        return eddy_error_set (err, "overlay: bind %s: %s", endpoint,
                               zmq_strerror (errno));
    size_t len = sizeof (ov->bound_uri);
    if (zmq_getsockopt (ov->router.sock, ZMQ_LAST_ENDPOINT, ov->bound_uri, &len) < 0)
        snprintf (ov->bound_uri, sizeof (ov->bound_uri), "%s", endpoint);
    return 0;
}

const char *eddy_zmq_overlay_bound_uri (eddy_zmq_overlay_t *ov)
{
    return ov && ov->bound_uri[0] ? ov->bound_uri : NULL;
}

int eddy_zmq_overlay_connect (eddy_zmq_overlay_t *ov,
                              const char *uri,
                              eddy_error_t *err)
{
    char id[16];
    int ivl_max = RECONNECT_IVL_MAX_MS;

    if (!ov || !uri) {
        errno = EINVAL;
        return eddy_error_set (err, "overlay: connect: no parent URI");
    }
    if (ov->dealer.sock) {
        errno = EEXIST;
        return eddy_error_set (err, "overlay: already connected to a parent");
    }
    snprintf (id, sizeof (id), "%u", ov->rank);
    if (!(ov->dealer.sock = zmq_socket (ov->ctx, ZMQ_DEALER)))
        goto error;
    if (common_options (ov, ov->dealer.sock) < 0 ||
        zmq_setsockopt (ov->dealer.sock, ZMQ_ROUTING_ID, id, strlen (id)) < 0 ||
        zmq_setsockopt (ov->dealer.sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max,
                        sizeof (ivl_max)) < 0)
        goto error;
    if (ov->have_cert && is_tcp (uri)) {
        if (zmq_setsockopt (ov->dealer.sock, ZMQ_CURVE_SERVERKEY, ov->cert.public_key,
                            EDDY_CERT_KEY_LEN) < 0 ||
            zmq_setsockopt (ov->dealer.sock, ZMQ_CURVE_PUBLICKEY, ov->cert.public_key,
                            EDDY_CERT_KEY_LEN) < 0 ||
            zmq_setsockopt (ov->dealer.sock, ZMQ_CURVE_SECRETKEY, ov->cert.secret_key,
                            EDDY_CERT_KEY_LEN) < 0)
            goto error;
    }
    if (start_monitor (ov, ov->dealer.sock, DEALER_MONITOR,
                       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                       &ov->dealer_mon, dealer_monitor_drain) < 0)
        goto error;
    if (watch_zsock (ov, &ov->dealer, dealer_drain) < 0)
        goto error;
    if (zmq_connect (ov->dealer.sock, uri) < 0) {
        int saved_errno = errno;
        eddy_error_set (err, "overlay: connect %s: %s", uri, zmq_strerror (errno));
        free_zsock (&ov->dealer_mon);
        free_zsock (&ov->dealer);
        errno = saved_errno;
        return -1;
    }
    /* queued until the connection is up */
    if (send_hello (ov, ov->dealer.sock, NULL) < 0)
        goto error;
    rearm (&ov->dealer);
    return 0;
error : {
    int saved_errno = errno;
    eddy_error_set (err, "overlay: DEALER socket: %s", zmq_strerror (errno));
    free_zsock (&ov->dealer_mon);
    free_zsock (&ov->dealer);
    errno = saved_errno;
    return -1;
}
}

int eddy_zmq_overlay_set_cert_keys (eddy_zmq_overlay_t *ov,
                                    const struct eddy_zmq_cert *cert,
                                    eddy_error_t *err)
{
    if (!ov || !cert) {
        errno = EINVAL;
        return eddy_error_set (err, "overlay: no certificate");
    }
    if (ov->router.sock || ov->dealer.sock) {
        errno = EBUSY;
        return eddy_error_set (err,
                               "overlay: set the certificate before bind and connect");
    }
    uint8_t bin[32];
    if (strlen (cert->public_key) != EDDY_CERT_KEY_LEN ||
        !zmq_z85_decode (bin, cert->public_key)) {
        errno = EINVAL;
        return eddy_error_set (err, "overlay: public key is not Z85");
    }
    if (!ov->zap.sock) {
        if (!(ov->zap.sock = zmq_socket (ov->ctx, ZMQ_REP)) ||
            zmq_bind (ov->zap.sock, ZAP_ENDPOINT) < 0 ||
            watch_zsock (ov, &ov->zap, zap_drain) < 0) {
            int saved_errno = errno;
            eddy_error_set (err, "overlay: ZAP handler: %s", zmq_strerror (errno));
            free_zsock (&ov->zap);
            errno = saved_errno;
            return -1;
        }
    }
    ov->cert = *cert;
    memcpy (ov->public_bin, bin, sizeof (bin));
    ov->have_cert = true;
    return 0;
}

int eddy_zmq_overlay_set_cert (eddy_zmq_overlay_t *ov,
                               const char *path,
                               eddy_error_t *err)
{
    struct eddy_zmq_cert cert;
    if (eddy_zmq_cert_load (path, &cert, err) < 0)
        return -1;
    return eddy_zmq_overlay_set_cert_keys (ov, &cert, err);
}

void eddy_zmq_overlay_set_wire_version (eddy_zmq_overlay_t *ov, int version)
{
    ov->wire_version = version;
}

/* ---- sending ---- */

int eddy_zmq_overlay_send_parent (eddy_zmq_overlay_t *ov, const eddy_msg_t *msg)
{
    void *buf;
    size_t len;

    if (!ov || !msg) {
        errno = EINVAL;
        return -1;
    }
    if (!ov->dealer.sock || ov->parent_refused) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (eddy_msg_encode (msg, ov->wire_version, &buf, &len) < 0)
        return -1;
    int rc = send_frame (ov->dealer.sock, buf, len);
    rearm (&ov->dealer);
    return rc;
}

int eddy_zmq_overlay_send_child (eddy_zmq_overlay_t *ov,
                                 uint32_t rank,
                                 const eddy_msg_t *msg)
{
    char id[16];
    void *buf;
    size_t len;
    struct child *c;

    if (!ov || !msg) {
        errno = EINVAL;
        return -1;
    }
    /* only a child that has said hello (and was not refused) is reachable */
    if (!ov->router.sock || !(c = child_find (ov, rank, NULL)) || !c->connected ||
        c->refused) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (eddy_msg_encode (msg, ov->wire_version, &buf, &len) < 0)
        return -1;
    snprintf (id, sizeof (id), "%u", rank);
    /* ROUTER_MANDATORY: a routing id libzmq does not know fails here */
    int rc = zmq_send (ov->router.sock, id, strlen (id), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc < 0) {
        /* no high-water mark: EAGAIN here means the peer is gone */
        if (errno == EAGAIN)
            errno = EHOSTUNREACH;
        free (buf);
    } else
        rc = send_frame (ov->router.sock, buf, len);
    rearm (&ov->router);
    return rc < 0 ? -1 : 0;
}

int eddy_zmq_overlay_disconnect_child (eddy_zmq_overlay_t *ov, uint32_t rank)
{
    struct child *c;
    if (!ov) {
        errno = EINVAL;
        return -1;
    }
    if (!(c = child_find (ov, rank, NULL))) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (c->fd >= 0 && fdmap_get (ov, c->fd) == rank + 1)
        fdmap_set (ov, c->fd, 0);
    c->fd = -1;
    c->connected = false;
    c->refused = false;
    return 0;
}

/* ---- create and destroy ---- */

eddy_zmq_overlay_t *eddy_zmq_overlay_create (eddy_reactor_t *r,
                                             uint32_t rank,
                                             uint32_t size,
                                             const struct eddy_overlay_cb *cb,
                                             void *arg,
                                             eddy_error_t *err)
{
    eddy_zmq_overlay_t *ov;

    if (!r || size == 0 || rank >= size || size == UINT32_MAX) {
        errno = EINVAL;
        eddy_error_set (err, "overlay: need a reactor and rank < size");
        return NULL;
    }
    if (eddy_reactor_is_sim (r)) {
        errno = ENOSYS;
        eddy_error_set (err, "overlay: ZeroMQ needs a real reactor, not the simulator");
        return NULL;
    }
    if (!(ov = calloc (1, sizeof (*ov)))) {
        eddy_error_set (err, "overlay: out of memory");
        return NULL;
    }
    ov->r = r;
    ov->rank = rank;
    ov->size = size;
    if (cb)
        ov->cb = *cb;
    ov->arg = arg;
    ov->wire_version = EDDY_WIRE_VERSION;
    if (!(ov->ctx = zmq_ctx_new ()) || zmq_ctx_set (ov->ctx, ZMQ_IO_THREADS, 1) < 0 ||
        zmq_ctx_set (ov->ctx, ZMQ_BLOCKY, 0) < 0) {
        eddy_error_set (err, "overlay: ZeroMQ context: %s", zmq_strerror (errno));
        goto error;
    }
    return ov;
error:
    eddy_zmq_overlay_destroy (ov);
    return NULL;
}

void eddy_zmq_overlay_destroy (eddy_zmq_overlay_t *ov)
{
    if (ov) {
        int saved_errno = errno;
        /* monitors first: closing a monitored socket writes to them */
        if (ov->router.sock)
            zmq_socket_monitor (ov->router.sock, NULL, 0);
        if (ov->dealer.sock)
            zmq_socket_monitor (ov->dealer.sock, NULL, 0);
        free_zsock (&ov->router_mon);
        free_zsock (&ov->dealer_mon);
        free_zsock (&ov->router);
        free_zsock (&ov->dealer);
        free_zsock (&ov->zap);
        if (ov->ctx)
            zmq_ctx_term (ov->ctx);
        free (ov->children);
        free (ov->fdmap);
        free (ov);
        errno = saved_errno;
    }
}
