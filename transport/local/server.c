/* server.c - the local connector's listening side: accept clients on an
 * AF_UNIX socket, read their frames, stamp peer credentials, and write
 * responses through bounded per-connection output queues.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "transport/local/server.h"
#include "transport/local/stream.h"

#define OUTQ_MAX_DEFAULT (64u * 1024 * 1024)
#define USER_OUTQ_MAX_DEFAULT (256u * 1024 * 1024)
#define TOTAL_OUTQ_MAX_DEFAULT (1024u * 1024 * 1024)
#define REFUSED_TOPIC "local.refused"
#define ACCEPT_RETRY 1.0 /* seconds to pause accepting when out of fds */

/* The output bytes queued for one uid over all its connections. */
struct user {
    uint32_t userid;
    size_t bytes;
    size_t nconns;
    struct user *next;
};

struct conn {
    eddy_local_server_t *s;
    struct user *user;
    uint32_t connid;
    int fd; /* -1 once closed */
    uint32_t userid;
    uint32_t rolemask;
    eddy_watcher_t *rw, *ww;
    struct eddy_local_inbuf in;
    struct eddy_local_outq out;
    bool report;       /* tell cb->disconnected when reaped */
    struct conn *next; /* on the dead list */
};

struct eddy_local_server {
    eddy_reactor_t *r;
    char *path;
    int fd;
    eddy_watcher_t *listen_w;
    eddy_watcher_t *retry_w; /* resumes accepting after EMFILE */
    eddy_watcher_t *reap_w;  /* reports and frees closed connections */
    struct eddy_connector_cb cb;
    void *arg;
    uid_t owner;
    bool allow_guest, allow_root_owner;
    uint32_t last_connid;
    size_t outq_max, user_outq_max, total_outq_max;
    size_t total_bytes; /* queued over all connections */
    struct user *users; /* uids with an open connection */
    int wire_version;

    struct conn **conns; /* open connections, sorted by connid */
    size_t nconns, cap;
    struct conn *dead;
};

static void logf_ (eddy_local_server_t *s, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void logf_ (eddy_local_server_t *s, int level, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    if (!s->cb.log)
        return;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof (buf), fmt, ap);
    va_end (ap);
    s->cb.log (s->arg, level, buf);
}

/* ---- the connection table ---- */

static ssize_t find_index (eddy_local_server_t *s, uint32_t connid)
{
    size_t lo = 0, hi = s->nconns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t id = s->conns[mid]->connid;
        if (id == connid)
            return mid;
        if (id < connid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static struct conn *lookup (eddy_local_server_t *s, uint32_t connid)
{
    ssize_t i = find_index (s, connid);
    return i < 0 ? NULL : s->conns[i];
}

/* connids only grow, so appending keeps the table sorted */
static int table_append (eddy_local_server_t *s, struct conn *c)
{
    if (s->nconns == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        void *p = realloc (s->conns, cap * sizeof (s->conns[0]));
        if (!p)
            return -1;
        s->conns = p;
        s->cap = cap;
    }
    s->conns[s->nconns++] = c;
    return 0;
}

static void table_remove (eddy_local_server_t *s, uint32_t connid)
{
    ssize_t i = find_index (s, connid);
    if (i >= 0) {
        memmove (&s->conns[i], &s->conns[i + 1],
                 (s->nconns - i - 1) * sizeof (s->conns[0]));
        s->nconns--;
    }
}

/* ---- per-user accounting ---- */

static struct user *user_get (eddy_local_server_t *s, uint32_t userid)
{
    struct user *u;
    for (u = s->users; u; u = u->next)
        if (u->userid == userid)
            return u;
    if (!(u = calloc (1, sizeof (*u))))
        return NULL;
    u->userid = userid;
    u->next = s->users;
    s->users = u;
    return u;
}

static void user_put (eddy_local_server_t *s, struct user *u)
{
    if (!u || --u->nconns > 0)
        return;
    for (struct user **pp = &s->users; *pp; pp = &(*pp)->next) {
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    }
    free (u);
}

/* c's queue went from `before` bytes to what it holds now */
static void account (struct conn *c, size_t before)
{
    size_t now = c->out.bytes;
    c->s->total_bytes = c->s->total_bytes - before + now;
    if (c->user)
        c->user->bytes = c->user->bytes - before + now;
}

/* ---- closing ---- */

static void account_release (struct conn *c)
{
    c->s->total_bytes -= c->out.bytes;
    if (c->user)
        c->user->bytes -= c->out.bytes;
}

static void conn_free (struct conn *c)
{
    if (c) {
        eddy_watcher_destroy (c->rw);
        eddy_watcher_destroy (c->ww);
        if (c->fd >= 0)
            close (c->fd);
        eddy_local_inbuf_release (&c->in);
        if (c->fd >= 0)
            account_release (c);
        eddy_local_outq_release (&c->out);
        user_put (c->s, c->user);
        free (c);
    }
}

/* Close c now and leave its struct on the dead list until the reap
 * watcher runs, so a read loop that called out to the broker can still
 * look at c->fd to learn that it is gone.
 */
static void conn_close (struct conn *c, bool report)
{
    eddy_local_server_t *s = c->s;
    if (c->fd < 0)
        return;
    table_remove (s, c->connid);
    eddy_watcher_destroy (c->rw);
    eddy_watcher_destroy (c->ww);
    c->rw = c->ww = NULL;
    close (c->fd);
    c->fd = -1;
    eddy_local_inbuf_release (&c->in);
    account_release (c);
    eddy_local_outq_release (&c->out);
    c->report = report;
    c->next = s->dead;
    s->dead = c;
    eddy_watcher_start (s->reap_w);
}

static void reap_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_local_server_t *s = arg;
    struct conn *c;

    eddy_watcher_stop (w);
    while ((c = s->dead)) {
        s->dead = c->next;
        if (c->report && s->cb.disconnected)
            s->cb.disconnected (s->arg, c->connid);
        conn_free (c);
    }
}

/* ---- reading ---- */

static void handle_frame (struct conn *c, const uint8_t *frame, size_t len)
{
    eddy_local_server_t *s = c->s;
    eddy_error_t err = {{0}};
    int version = -1;
    eddy_msg_t *msg;

    if (!(msg = eddy_msg_decode (frame, len, s->wire_version, &version, &err))) {
        if (errno == EPROTONOSUPPORT)
            logf_ (s, LOG_ERR, "local: refusing client %u: wire version %d, ours %d",
                   c->connid, version, s->wire_version);
        else
            logf_ (s, LOG_ERR, "local: client %u: %s: disconnecting", c->connid,
                   err.text);
        conn_close (c, true);
        return;
    }
    eddy_msg_set_cred (msg, c->userid, c->rolemask);
    if (s->cb.recv)
        s->cb.recv (s->arg, c->connid, msg);
    eddy_msg_decref (msg);
}

static void read_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct conn *c = arg;
    eddy_local_server_t *s = c->s;
    const uint8_t *frame;
    size_t len;
    int rc;

    ssize_t n = eddy_local_inbuf_read (&c->in, c->fd);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        if (errno != ECONNRESET)
            logf_ (s, LOG_ERR, "local: client %u: read: %s", c->connid,
                   strerror (errno));
        conn_close (c, true);
        return;
    }
    /* deliver what is complete, even before an end of file */
    while ((rc = eddy_local_inbuf_frame (&c->in, &frame, &len)) == 1) {
        handle_frame (c, frame, len);
        if (c->fd < 0) /* closed by a bad frame or by the broker */
            return;
        eddy_local_inbuf_consume (&c->in, len);
    }
    if (rc < 0) {
        logf_ (s, LOG_ERR,
               "local: client %u: frame length %zu exceeds %zu: disconnecting",
               c->connid, len, EDDY_LOCAL_FRAME_MAX);
        conn_close (c, true);
        return;
    }
    if (n == 0) {
        if (c->in.len > c->in.pos)
            logf_ (s, LOG_ERR, "local: client %u: truncated frame at end of file",
                   c->connid);
        conn_close (c, true);
    }
}

/* ---- writing ---- */

static void write_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct conn *c = arg;
    size_t before = c->out.bytes;
    int rc = eddy_local_outq_flush (&c->out, c->fd);
    account (c, before);
    if (rc < 0) {
        if (errno != EPIPE && errno != ECONNRESET)
            logf_ (c->s, LOG_ERR, "local: client %u: write: %s", c->connid,
                   strerror (errno));
        conn_close (c, true);
    } else if (rc == 0)
        eddy_watcher_stop (w);
}

/* The open connection with the most output queued, of user u (NULL: of
 * anyone): the likeliest not to be reading.
 */
static struct conn *largest (eddy_local_server_t *s, const struct user *u)
{
    struct conn *best = NULL;
    for (size_t i = 0; i < s->nconns; i++) {
        struct conn *c = s->conns[i];
        if ((!u || c->user == u) && (!best || c->out.bytes > best->out.bytes))
            best = c;
    }
    return best;
}

/* A client that does not read is bounded alone, with the other
 * connections of its uid, and with everyone's.  Past its own limit c is
 * cut off; past the others, the connection of that uid (or of anyone)
 * holding the most is, so that a user filling the instance's share does
 * not cut off whoever sends next.  Returns 0 when `more` bytes fit on c,
 * -1 if c itself was closed.
 */
static int make_room (eddy_local_server_t *s, struct conn *c, size_t more)
{
    for (;;) {
        struct conn *victim;
        const char *over;
        size_t limit;
        if (c->out.bytes + more > s->outq_max)
            victim = c, over = "its connection", limit = s->outq_max;
        else if (c->user && c->user->bytes + more > s->user_outq_max)
            victim = largest (s, c->user), over = "its user's connections",
            limit = s->user_outq_max;
        else if (s->total_bytes + more > s->total_outq_max)
            victim = largest (s, NULL), over = "all connections", limit = s->total_outq_max;
        else
            return 0;
        if (!victim || victim->out.bytes == 0)
            victim = c; /* this frame alone is too big */
        logf_ (s, LOG_ERR,
               "local: client %u (uid %u): output queued for %s over %zu bytes "
               "(client not reading, %zu bytes queued): disconnecting",
               victim->connid, victim->userid, over, limit, victim->out.bytes);
        conn_close (victim, true);
        if (victim == c)
            return -1;
    }
}

int eddy_local_server_send (eddy_local_server_t *s,
                            uint32_t connid,
                            const eddy_msg_t *msg)
{
    struct conn *c;
    void *frame;
    size_t len;

    if (!s || !msg) {
        errno = EINVAL;
        return -1;
    }
    if (!(c = lookup (s, connid))) {
        errno = EHOSTUNREACH;
        return -1;
    }
    if (eddy_msg_encode (msg, s->wire_version, &frame, &len) < 0)
        return -1;
    if (make_room (s, c, len + 4) < 0) {
        free (frame);
        errno = ECONNRESET;
        return -1;
    }
    size_t before = c->out.bytes;
    if (eddy_local_outq_push (&c->out, frame, len) < 0)
        return -1;
    account (c, before);
    if (eddy_watcher_is_active (c->ww))
        return 0; /* already waiting for room */
    before = c->out.bytes;
    int rc = eddy_local_outq_flush (&c->out, c->fd);
    account (c, before);
    if (rc > 0)
        eddy_watcher_start (c->ww);
    else if (rc < 0) {
        /* the peer is gone: report it from the reap watcher, not from here */
        conn_close (c, true);
        errno = ECONNRESET;
        return -1;
    }
    return 0;
}

int eddy_local_server_disconnect (eddy_local_server_t *s, uint32_t connid)
{
    struct conn *c;
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    if (!(c = lookup (s, connid))) {
        errno = EHOSTUNREACH;
        return -1;
    }
    conn_close (c, false);
    return 0;
}

/* ---- accepting ---- */

/* The owner is the server's effective uid; root is one too only when
 * allowed, so that root on a node is not the owner of every instance.
 */
static uint32_t role_of (eddy_local_server_t *s, uid_t uid)
{
    if (uid == s->owner || (uid == 0 && s->allow_root_owner))
        return EDDY_ROLE_OWNER;
    return EDDY_ROLE_USER;
}

/* Tell a refused client why before closing: one control message, written
 * on a fresh socket whose buffer has room for it (best effort).
 */
static void refuse (eddy_local_server_t *s, int fd, int errnum, const char *text)
{
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_CONTROL, REFUSED_TOPIC);
    struct eddy_local_outq q = {0};
    void *frame;
    size_t len;

    if (!msg)
        return;
    if (eddy_msg_set_error (msg, errnum, text) == 0
        && eddy_msg_encode (msg, s->wire_version, &frame, &len) == 0
        && eddy_local_outq_push (&q, frame, len) == 0)
        (void)eddy_local_outq_flush (&q, fd);
    eddy_local_outq_release (&q);
    eddy_msg_decref (msg);
}

static void accept_one (eddy_local_server_t *s, int fd)
{
    struct ucred cred;
    socklen_t crlen = sizeof (cred);
    struct conn *c = NULL;

    if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &crlen) < 0) {
        logf_ (s, LOG_ERR, "local: SO_PEERCRED: %s: refusing client", strerror (errno));
        close (fd);
        return;
    }
    if (s->last_connid == UINT32_MAX) {
        /* connids are never reused: this server has handed out all of them */
        logf_ (s, LOG_ERR, "local: connection ids exhausted: refusing client");
        close (fd);
        return;
    }
    if (!(c = calloc (1, sizeof (*c))))
        goto nomem;
    c->s = s;
    c->fd = fd;
    c->connid = s->last_connid + 1;
    c->userid = cred.uid;
    c->rolemask = role_of (s, cred.uid);
    if (c->rolemask == EDDY_ROLE_USER && !s->allow_guest) {
        logf_ (s, LOG_INFO, "local: refusing uid %u: guests are not allowed", cred.uid);
        refuse (s, fd, EPERM,
                "access denied: guests are not allowed (set [access] allow-guest-user)");
        free (c);
        close (fd);
        return;
    }
    if (!(c->user = user_get (s, cred.uid)))
        goto nomem;
    c->user->nconns++;
    if (!(c->rw = eddy_fd_create (s->r, fd, EDDY_POLLIN, read_cb, c)) ||
        !(c->ww = eddy_fd_create (s->r, fd, EDDY_POLLOUT, write_cb, c)) ||
        table_append (s, c) < 0)
        goto nomem;
    s->last_connid = c->connid;
    eddy_watcher_start (c->rw);
    return;
nomem:
    logf_ (s, LOG_ERR, "local: out of memory: refusing client");
    conn_free (c);
    if (!c)
        close (fd);
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_local_server_t *s = arg;
    eddy_watcher_start (s->listen_w);
}

static void listen_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_local_server_t *s = arg;

    for (;;) {
        int fd = accept4 (s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            logf_ (s, LOG_ERR, "local: accept: %s", strerror (errno));
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                /* the listener stays readable: pause instead of spinning */
                eddy_watcher_stop (s->listen_w);
                eddy_timer_set (s->retry_w, ACCEPT_RETRY, 0);
                eddy_watcher_start (s->retry_w);
            }
            return;
        }
        accept_one (s, fd);
    }
}

/* ---- create and destroy ---- */

/* A socket file that nobody listens on is left over from a dead broker. */
static int
clear_stale (const char *path, const struct sockaddr_un *sun, eddy_error_t *err)
{
    struct stat st;
    if (lstat (path, &st) < 0)
        return 0;
    if (!S_ISSOCK (st.st_mode)) {
        errno = EADDRINUSE;
        return eddy_error_set (err, "%s: exists and is not a socket", path);
    }
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return eddy_error_set (err, "socket: %s", strerror (errno));
    int rc = connect (fd, (const struct sockaddr *)sun, sizeof (*sun));
    close (fd);
    if (rc == 0) {
        errno = EADDRINUSE;
        return eddy_error_set (err, "%s: a broker is already listening there", path);
    }
    if (unlink (path) < 0 && errno != ENOENT)
        return eddy_error_set (err, "%s: unlink: %s", path, strerror (errno));
    return 0;
}

eddy_local_server_t *eddy_local_server_create (eddy_reactor_t *r,
                                               const char *path,
                                               const struct eddy_connector_cb *cb,
                                               void *arg,
                                               eddy_error_t *err)
{
    eddy_local_server_t *s = NULL;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    bool bound = false;

    if (!r || !path || !*path || !cb) {
        errno = EINVAL;
        eddy_error_set (err, "local server: reactor, path and callbacks are required");
        return NULL;
    }
    if (strlen (path) >= sizeof (sun.sun_path)) {
        errno = ENAMETOOLONG;
        eddy_error_set (err, "%s: path too long for a socket (max %zu)", path,
                        sizeof (sun.sun_path) - 1);
        return NULL;
    }
    strcpy (sun.sun_path, path);
    if (!(s = calloc (1, sizeof (*s))))
        goto nomem;
    s->r = r;
    s->fd = -1;
    s->cb = *cb;
    s->arg = arg;
    s->owner = geteuid ();
    s->outq_max = OUTQ_MAX_DEFAULT;
    s->user_outq_max = USER_OUTQ_MAX_DEFAULT;
    s->total_outq_max = TOTAL_OUTQ_MAX_DEFAULT;
    s->wire_version = EDDY_WIRE_VERSION;
    if (!(s->path = strdup (path)))
        goto nomem;
    if (!(s->reap_w = eddy_check_create (r, reap_cb, s)) ||
        !(s->retry_w = eddy_timer_create (r, ACCEPT_RETRY, 0, retry_cb, s))) {
        eddy_error_set (err, "local server: %s", strerror (errno));
        goto error;
    }
    if (clear_stale (path, &sun, err) < 0)
        goto error;
    if ((s->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
        eddy_error_set (err, "socket: %s", strerror (errno));
        goto error;
    }
    if (bind (s->fd, (struct sockaddr *)&sun, sizeof (sun)) < 0) {
        eddy_error_set (err, "%s: bind: %s", path, strerror (errno));
        goto error;
    }
    bound = true;
    /* restrict the mode before listen (): no client can connect earlier */
    if (chmod (path, 0600) < 0) {
        eddy_error_set (err, "%s: chmod: %s", path, strerror (errno));
        goto error;
    }
    if (listen (s->fd, SOMAXCONN) < 0) {
        eddy_error_set (err, "%s: listen: %s", path, strerror (errno));
        goto error;
    }
    if (!(s->listen_w = eddy_fd_create (r, s->fd, EDDY_POLLIN, listen_cb, s))) {
        eddy_error_set (err, "local server: fd watcher: %s", strerror (errno));
        goto error;
    }
    eddy_watcher_start (s->listen_w);
    return s;
nomem:
    errno = ENOMEM;
    eddy_error_set (err, "local server: out of memory");
error:
    if (s && !bound) {
        /* the path is not ours: keep destroy from unlinking it */
        free (s->path);
        s->path = NULL;
    }
    eddy_local_server_destroy (s);
    return NULL;
}

void eddy_local_server_destroy (eddy_local_server_t *s)
{
    if (s) {
        int saved_errno = errno;
        while (s->nconns > 0)
            conn_close (s->conns[s->nconns - 1], false);
        while (s->dead) {
            struct conn *c = s->dead;
            s->dead = c->next;
            conn_free (c);
        }
        free (s->conns);
        eddy_watcher_destroy (s->listen_w);
        eddy_watcher_destroy (s->retry_w);
        eddy_watcher_destroy (s->reap_w);
        if (s->fd >= 0)
            close (s->fd);
        if (s->path)
            (void)unlink (s->path);
        free (s->path);
        free (s);
        errno = saved_errno;
    }
}

int eddy_local_server_chmod (eddy_local_server_t *s, mode_t mode, eddy_error_t *err)
{
    if (!s) {
        errno = EINVAL;
        return eddy_error_set (err, "local server: NULL");
    }
    if (chmod (s->path, mode) < 0)
        return eddy_error_set (err, "%s: chmod: %s", s->path, strerror (errno));
    return 0;
}

void eddy_local_server_set_outq_max (eddy_local_server_t *s, size_t bytes)
{
    s->outq_max = bytes;
}

void eddy_local_server_set_user_outq_max (eddy_local_server_t *s, size_t bytes)
{
    s->user_outq_max = bytes;
}

void eddy_local_server_set_total_outq_max (eddy_local_server_t *s, size_t bytes)
{
    s->total_outq_max = bytes;
}

void eddy_local_server_set_access (eddy_local_server_t *s,
                                   bool allow_guest,
                                   bool allow_root_owner)
{
    s->allow_guest = allow_guest;
    s->allow_root_owner = allow_root_owner;
}

void eddy_local_server_set_owner (eddy_local_server_t *s, uid_t owner)
{
    s->owner = owner;
}

void eddy_local_server_set_wire_version (eddy_local_server_t *s, int version)
{
    s->wire_version = version;
}

const char *eddy_local_server_path (eddy_local_server_t *s)
{
    return s->path;
}

size_t eddy_local_server_queued (eddy_local_server_t *s, uint32_t connid)
{
    struct conn *c = lookup (s, connid);
    return c ? c->out.bytes : 0;
}

size_t eddy_local_server_count (eddy_local_server_t *s)
{
    return s->nconns;
}
