/* The local connector with real AF_UNIX sockets in a temporary directory:
 * credentials, request/response through a client handle, pipelining
 * without deadlock, disconnect reporting, bad frames, slow clients and a
 * lost broker.
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "engine/future.h"
#include "engine/handle.h"
#include "engine/reactor.h"
#include "transport/local/client.h"
#include "transport/local/server.h"

struct ctx {
    char dir[64];
    char path[128];
    eddy_reactor_t *r;
    eddy_local_server_t *srv;
    eddy_watcher_t *guard; /* fails a test that would hang */

    /* what the server saw */
    int nrecv;
    uint32_t last_connid;
    uint32_t userid;
    uint32_t rolemask;
    int next_i;    /* the request sequence expected next */
    bool in_order; /* every request arrived in sequence */
    bool respond;  /* echo each request back */
    int ndisconnected;
    uint32_t disconnected_connid;
    char logs[8][256];
    int nlogs;

    /* what the client saw */
    int nresponses;
    int want;
    bool responses_ok;
};

static void srv_recv (void *arg, uint32_t connid, const eddy_msg_t *msg)
{
    struct ctx *c = arg;
    json_t *payload = eddy_msg_payload (msg);
    json_t *i = payload ? json_object_get (payload, "i") : NULL;

    c->nrecv++;
    c->last_connid = connid;
    c->userid = eddy_msg_userid (msg);
    c->rolemask = eddy_msg_rolemask (msg);
    if (i) {
        if (json_integer_value (i) != c->next_i)
            c->in_order = false;
        c->next_i++;
    }
    if (c->respond && eddy_msg_type (msg) == EDDY_MSGTYPE_REQUEST) {
        eddy_msg_t *rsp = eddy_msg_response (msg, payload, 0, NULL);
        assert_non_null (rsp);
        assert_int_equal (eddy_local_server_ops.send (c->srv, connid, rsp), 0);
        eddy_msg_decref (rsp);
    }
}

static void srv_disconnected (void *arg, uint32_t connid)
{
    struct ctx *c = arg;
    c->ndisconnected++;
    c->disconnected_connid = connid;
    eddy_reactor_stop (c->r);
}

static void srv_log (void *arg, int level, const char *text)
{
    struct ctx *c = arg;
    if (c->nlogs < 8)
        snprintf (c->logs[c->nlogs++], sizeof (c->logs[0]), "%s", text);
}

static const struct eddy_connector_cb srv_cb = {
    .recv = srv_recv,
    .disconnected = srv_disconnected,
    .log = srv_log,
};

static bool logged (struct ctx *c, const char *needle)
{
    for (int i = 0; i < c->nlogs; i++)
        if (strstr (c->logs[i], needle))
            return true;
    return false;
}

static void guard_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    fail_msg ("test did not finish in time");
}

static int setup (void **state)
{
    struct ctx *c = calloc (1, sizeof (*c));
    eddy_error_t err = {{0}};
    snprintf (c->dir, sizeof (c->dir), "/tmp/eddy-local-XXXXXX");
    assert_non_null (mkdtemp (c->dir));
    snprintf (c->path, sizeof (c->path), "%s/local.sock", c->dir);
    assert_non_null ((c->r = eddy_reactor_create ()));
    c->srv = eddy_local_server_create (c->r, c->path, &srv_cb, c, &err);
    if (!c->srv)
        fail_msg ("server: %s", err.text);
    c->guard = eddy_timer_create (c->r, 300.0, 0, guard_cb, c);
    eddy_watcher_start (c->guard);
    c->respond = true;
    c->in_order = true;
    c->responses_ok = true;
    *state = c;
    return 0;
}

static int teardown (void **state)
{
    struct ctx *c = *state;
    eddy_local_server_destroy (c->srv);
    eddy_watcher_destroy (c->guard);
    eddy_reactor_destroy (c->r);
    rmdir (c->dir);
    free (c);
    return 0;
}

static eddy_handle_t *connect_client (struct ctx *c)
{
    eddy_error_t err = {{0}};
    eddy_handle_t *h = eddy_local_connect (c->r, c->path, &err);
    if (!h)
        fail_msg ("connect: %s", err.text);
    return h;
}

/* A raw client socket, for feeding the server bytes no handle would send. */
static int raw_connect (struct ctx *c)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    strcpy (sun.sun_path, c->path);
    assert_int_equal (connect (fd, (struct sockaddr *)&sun, sizeof (sun)), 0);
    return fd;
}

static void raw_send_frame (int fd, const eddy_msg_t *msg, int version)
{
    void *buf;
    size_t len;
    uint8_t hdr[4];
    assert_int_equal (eddy_msg_encode (msg, version, &buf, &len), 0);
    hdr[0] = len >> 24;
    hdr[1] = len >> 16;
    hdr[2] = len >> 8;
    hdr[3] = len;
    assert_int_equal (write (fd, hdr, 4), 4);
    assert_int_equal (write (fd, buf, len), (ssize_t)len);
    free (buf);
}

static void run_until (struct ctx *c, int *counter, int value)
{
    while (*counter < value)
        assert_true (eddy_reactor_run (c->r, EDDY_RUN_ONCE) >= 0);
}

/* ---- tests ---- */

static void socket_is_private_to_the_owner (void **state)
{
    struct ctx *c = *state;
    struct stat st;
    assert_int_equal (stat (c->path, &st), 0);
    assert_true (S_ISSOCK (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0600);

    /* a second server on a live socket is refused */
    eddy_error_t err = {{0}};
    errno = 0;
    assert_null (eddy_local_server_create (c->r, c->path, &srv_cb, c, &err));
    assert_int_equal (errno, EADDRINUSE);
    assert_non_null (strstr (err.text, "already listening"));
}

static void echo_cont (eddy_future_t *f, void *arg)
{
    struct ctx *c = arg;
    json_t *o;
    int i;
    if (eddy_rpc_get (f, &o) < 0 || json_unpack (o, "{s:i}", "i", &i) < 0 ||
        i != c->nresponses)
        c->responses_ok = false;
    c->nresponses++;
    eddy_future_destroy (f);
    if (c->nresponses == c->want)
        eddy_reactor_stop (c->r);
}

static void request_carries_peer_credentials_and_response_reaches_future (void **state)
{
    struct ctx *c = *state;
    eddy_handle_t *h = connect_client (c);

    /* the client claims to be someone else: the server overrides it */
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.claim");
    eddy_msg_set_cred (msg, 4242, EDDY_ROLE_OWNER | EDDY_ROLE_USER);
    eddy_msg_set_flags (msg, EDDY_MSGFLAG_NORESPONSE);
    assert_int_equal (eddy_send (h, msg), 0);
    eddy_msg_decref (msg);

    eddy_future_t *f =
        eddy_rpc_pack (h, "test.echo", EDDY_NODEID_ANY, 0, "{s:i}", "i", 0);
    assert_non_null (f);
    c->want = 1;
    assert_int_equal (eddy_future_then (f, 10.0, echo_cont, c), 0);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);

    assert_int_equal (c->nrecv, 2);
    assert_int_equal (c->nresponses, 1);
    assert_true (c->responses_ok);
    assert_int_equal (c->userid, geteuid ());
    assert_int_equal (c->rolemask, EDDY_ROLE_OWNER);
    assert_int_equal (c->last_connid, 1);
    assert_int_equal (eddy_local_server_count (c->srv), 1);
    eddy_close (h);
}

static void ten_thousand_pipelined_requests_do_not_deadlock (void **state)
{
    struct ctx *c = *state;
    eddy_handle_t *h = connect_client (c);
    char pad[1025];
    memset (pad, 'x', 1024);
    pad[1024] = '\0';

    /* ~10 MB each way: far more than the socket buffers hold */
    c->want = 10000;
    for (int i = 0; i < c->want; i++) {
        eddy_future_t *f = eddy_rpc_pack (h, "test.echo", EDDY_NODEID_ANY, 0,
                                          "{s:i s:s}", "i", i, "pad", pad);
        assert_non_null (f);
        assert_int_equal (eddy_future_then (f, 0, echo_cont, c), 0);
    }
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->nrecv, c->want);
    assert_int_equal (c->nresponses, c->want);
    assert_true (c->in_order);
    assert_true (c->responses_ok);
    eddy_close (h);
}

static void client_that_disconnects_is_reported (void **state)
{
    struct ctx *c = *state;
    eddy_handle_t *h1 = connect_client (c);
    eddy_handle_t *h2 = connect_client (c);
    errno = EINVAL;
    assert_null (
        eddy_rpc (h2, "test.ping", NULL, EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE));
    assert_int_equal (errno, 0);
    run_until (c, &c->nrecv, 1);
    assert_int_equal (c->last_connid, 2);

    eddy_close (h2);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->ndisconnected, 1);
    assert_int_equal (c->disconnected_connid, 2);
    assert_int_equal (eddy_local_server_count (c->srv), 1);

    /* sending to the departed client fails; its connid is not reused */
    eddy_msg_t *ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.ev");
    errno = 0;
    assert_int_equal (eddy_local_server_ops.send (c->srv, 2, ev), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_msg_decref (ev);
    eddy_handle_t *h3 = connect_client (c);
    assert_null (
        eddy_rpc (h3, "test.ping", NULL, EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE));
    run_until (c, &c->nrecv, 2);
    assert_int_equal (c->last_connid, 3);

    /* a disconnect asked for by the broker is not reported back */
    assert_int_equal (eddy_local_server_ops.disconnect (c->srv, 3), 0);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_NOWAIT), 0);
    assert_int_equal (c->ndisconnected, 1);
    assert_int_equal (eddy_local_server_ops.disconnect (c->srv, 3), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_close (h3);
    eddy_close (h1);
}

static void garbage_closes_only_that_connection (void **state)
{
    struct ctx *c = *state;
    eddy_handle_t *h = connect_client (c); /* connid 1 */

    /* a length far beyond the limit: closed before anything is allocated */
    int bad = raw_connect (c); /* connid 2 */
    const uint8_t huge[] = {0xff, 0xff, 0xff, 0xf0, 'E', 'D', 'Y'};
    assert_int_equal (write (bad, huge, sizeof (huge)), (ssize_t)sizeof (huge));
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->ndisconnected, 1);
    assert_int_equal (c->disconnected_connid, 2);
    assert_true (logged (c, "exceeds"));
    char b;
    assert_int_equal (read (bad, &b, 1), 0); /* the server hung up */
    close (bad);

    /* a frame of the right size that is not a message */
    bad = raw_connect (c); /* connid 3 */
    const uint8_t junk[] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    assert_int_equal (write (bad, junk, sizeof (junk)), (ssize_t)sizeof (junk));
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->ndisconnected, 2);
    assert_int_equal (c->disconnected_connid, 3);
    assert_true (logged (c, "malformed"));
    close (bad);

    /* a client of another wire version: refused, naming both versions */
    bad = raw_connect (c); /* connid 4 */
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.v2");
    raw_send_frame (bad, msg, EDDY_WIRE_VERSION + 1);
    eddy_msg_decref (msg);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->ndisconnected, 3);
    assert_int_equal (c->disconnected_connid, 4);
    char want[128];
    snprintf (want, sizeof (want), "refusing client 4: wire version %d, ours %d",
              EDDY_WIRE_VERSION + 1, EDDY_WIRE_VERSION);
    assert_true (logged (c, want));
    close (bad);
    assert_int_equal (c->nrecv, 0);

    /* the well-behaved client never noticed */
    eddy_future_t *f =
        eddy_rpc_pack (h, "test.echo", EDDY_NODEID_ANY, 0, "{s:i}", "i", 0);
    c->want = 1;
    assert_int_equal (eddy_future_then (f, 10.0, echo_cont, c), 0);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->nresponses, 1);
    assert_true (c->responses_ok);
    eddy_close (h);
}

static void client_that_does_not_read_is_cut_off (void **state)
{
    struct ctx *c = *state;
    eddy_local_server_set_outq_max (c->srv, 256 * 1024);
    c->respond = false;

    int slow = raw_connect (c);
    eddy_msg_t *hello = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.hello");
    raw_send_frame (slow, hello, EDDY_WIRE_VERSION);
    eddy_msg_decref (hello);
    run_until (c, &c->nrecv, 1);
    uint32_t connid = c->last_connid;

    eddy_msg_t *ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.flood");
    eddy_msg_take_payload (
        ev, json_pack ("{s:s}", "pad", "0123456789abcdef0123456789abcdef"));
    int sent = 0, rc = 0;
    while (sent < 1000000 &&
           (rc = eddy_local_server_ops.send (c->srv, connid, ev)) == 0)
        sent++;
    assert_int_equal (rc, -1);
    assert_int_equal (errno, ECONNRESET);
    assert_true (sent > 1000); /* the socket buffer and the queue took some */
    assert_true (logged (c, "output queue"));
    eddy_msg_decref (ev);

    /* reported on the next iteration, not from inside send */
    assert_int_equal (c->ndisconnected, 0);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->ndisconnected, 1);
    assert_int_equal (c->disconnected_connid, connid);
    close (slow);
}

/* ---- access ---- */

struct refusal {
    struct ctx *c;
    int errnum;
    char text[256];
};

static void refused_cont (eddy_future_t *f, void *arg)
{
    struct refusal *rf = arg;
    errno = 0;
    if (eddy_rpc_get (f, NULL) < 0) {
        rf->errnum = errno;
        snprintf (rf->text, sizeof (rf->text), "%s",
                  eddy_future_error_string (f) ? eddy_future_error_string (f) : "");
    }
    rf->c->nresponses++;
    eddy_future_destroy (f);
}

/* One echo RPC from a handle; returns the refusal seen (errnum 0: none). */
static struct refusal echo_once (struct ctx *c, eddy_handle_t *h)
{
    struct refusal rf = {.c = c};
    eddy_future_t *f = eddy_rpc_pack (h, "test.echo", EDDY_NODEID_ANY, 0, "{s:i}", "i", 0);
    assert_non_null (f);
    assert_int_equal (eddy_future_then (f, 10.0, refused_cont, &rf), 0);
    c->nresponses = 0;
    run_until (c, &c->nresponses, 1);
    return rf;
}

static void guest_is_refused_with_the_reason (void **state)
{
    struct ctx *c = *state;
    eddy_local_server_set_owner (c->srv, geteuid () + 1); /* we are a guest */
    eddy_handle_t *h = connect_client (c);

    struct refusal rf = echo_once (c, h);
    assert_int_equal (rf.errnum, EPERM);
    assert_non_null (strstr (rf.text, "access denied: guests are not allowed"));
    assert_non_null (strstr (rf.text, "allow-guest-user"));
    assert_int_equal (c->nrecv, 0); /* nothing reached the broker */
    assert_true (logged (c, "guests are not allowed"));
    assert_int_equal (eddy_local_server_count (c->srv), 0);
    eddy_close (h);

    /* a request sent after the server closed still gets the reason */
    int nlogs = c->nlogs;
    h = connect_client (c);
    while (c->nlogs == nlogs)
        assert_true (eddy_reactor_run (c->r, EDDY_RUN_ONCE) >= 0);
    rf = echo_once (c, h);
    assert_int_equal (rf.errnum, EPERM);
    assert_non_null (strstr (rf.text, "guests are not allowed"));
    eddy_close (h);
}

static void allowed_guest_is_stamped_as_itself_whatever_it_claims (void **state)
{
    struct ctx *c = *state;
    eddy_local_server_set_owner (c->srv, geteuid () + 1);
    eddy_local_server_set_access (c->srv, true, false);
    eddy_handle_t *h = connect_client (c);

    /* a forged header: uid 0 with the owner's role */
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.claim");
    eddy_msg_set_cred (msg, 0, EDDY_ROLE_OWNER);
    eddy_msg_set_flags (msg, EDDY_MSGFLAG_NORESPONSE);
    assert_int_equal (eddy_send (h, msg), 0);
    eddy_msg_decref (msg);
    run_until (c, &c->nrecv, 1);
    assert_int_equal (c->userid, geteuid ());
    assert_int_equal (c->rolemask, EDDY_ROLE_USER);

    struct refusal rf = echo_once (c, h);
    assert_int_equal (rf.errnum, 0);
    assert_int_equal (c->rolemask, EDDY_ROLE_USER);
    eddy_close (h);
}

static void root_is_an_owner_only_when_allowed (void **state)
{
    struct ctx *c = *state;
    if (geteuid () != 0)
        skip (); /* the peer must be root */
    eddy_local_server_set_owner (c->srv, 12345);
    eddy_handle_t *h = connect_client (c);
    assert_int_equal (echo_once (c, h).errnum, EPERM);
    eddy_close (h);

    eddy_local_server_set_access (c->srv, false, true);
    h = connect_client (c);
    assert_int_equal (echo_once (c, h).errnum, 0);
    assert_int_equal (c->rolemask, EDDY_ROLE_OWNER);
    eddy_close (h);
}

/* Flood connections that never read, round robin, until one is cut off;
 * returns the bytes the server took before that.
 */
static size_t flood (struct ctx *c, int n, uint32_t *connids)
{
    eddy_msg_t *ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.flood");
    eddy_msg_take_payload (ev, json_pack ("{s:s}", "pad", "0123456789abcdef0123456789abcdef"));
    void *buf;
    size_t len, total = 0;
    assert_int_equal (eddy_msg_encode (ev, EDDY_WIRE_VERSION, &buf, &len), 0);
    free (buf);
    size_t open = eddy_local_server_count (c->srv);
    for (int k = 0; k < 1000000; k++) {
        if (eddy_local_server_ops.send (c->srv, connids[k % n], ev) < 0) {
            assert_int_equal (errno, ECONNRESET);
            break;
        }
        total += len + 4;
        if (eddy_local_server_count (c->srv) < open)
            break; /* another one was cut off to make room */
    }
    eddy_msg_decref (ev);
    return total;
}

static void open_raw (struct ctx *c, int n, int *fds, uint32_t *connids)
{
    c->respond = false;
    for (int i = 0; i < n; i++) {
        fds[i] = raw_connect (c);
        eddy_msg_t *hello = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.hello");
        raw_send_frame (fds[i], hello, EDDY_WIRE_VERSION);
        eddy_msg_decref (hello);
        run_until (c, &c->nrecv, i + 1);
        connids[i] = c->last_connid;
    }
}

static void one_user_is_bounded_over_all_its_connections (void **state)
{
    struct ctx *c = *state;
    int fds[4];
    uint32_t connids[4];
    eddy_local_server_set_outq_max (c->srv, 4 * 1024 * 1024);
    eddy_local_server_set_user_outq_max (c->srv, 512 * 1024);
    open_raw (c, 4, fds, connids);

    size_t took = flood (c, 4, connids);
    /* the socket buffers take some; the queues together at most 512 KiB,
     * far below the 16 MiB the per-connection limit would allow */
    assert_true (took < 4 * 1024 * 1024);
    assert_true (logged (c, "its user's connections over 524288 bytes"));
    assert_int_equal (eddy_local_server_count (c->srv), 3);
    for (int i = 0; i < 4; i++)
        close (fds[i]);
}

static void every_connection_together_is_bounded (void **state)
{
    struct ctx *c = *state;
    int fds[3];
    uint32_t connids[3];
    eddy_local_server_set_outq_max (c->srv, 4 * 1024 * 1024);
    eddy_local_server_set_total_outq_max (c->srv, 512 * 1024);
    open_raw (c, 3, fds, connids);

    size_t took = flood (c, 3, connids);
    assert_true (took < 4 * 1024 * 1024);
    assert_true (logged (c, "all connections over 524288 bytes"));
    assert_int_equal (eddy_local_server_count (c->srv), 2);

    /* the cut-off one's bytes are released: the others get room again */
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    c->nlogs = 0;
    uint32_t left[2];
    for (int i = 0, j = 0; i < 3; i++)
        if (connids[i] != c->disconnected_connid)
            left[j++] = connids[i];
    assert_true (flood (c, 2, left) > 0);
    for (int i = 0; i < 3; i++)
        close (fds[i]);
}

/* Past the total, the connection holding the most is cut off, not the
 * one that happens to be sent to next.
 */
static void the_biggest_queue_goes_first (void **state)
{
    struct ctx *c = *state;
    int fds[2];
    uint32_t connids[2];
    eddy_local_server_set_outq_max (c->srv, 4 * 1024 * 1024);
    eddy_local_server_set_total_outq_max (c->srv, 512 * 1024);
    open_raw (c, 2, fds, connids);

    eddy_msg_t *ev = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.flood");
    eddy_msg_take_payload (ev, json_pack ("{s:s}", "pad", "0123456789abcdef0123456789abcdef"));
    /* the hog: 400 KiB queued beyond what its socket took */
    while (eddy_local_server_queued (c->srv, connids[0]) < 400 * 1024)
        assert_int_equal (eddy_local_server_ops.send (c->srv, connids[0], ev), 0);
    /* the other fills its socket, then queues until the total is hit */
    int rc, k;
    for (k = 0; k < 1000000 && (rc = eddy_local_server_ops.send (c->srv, connids[1], ev)) == 0;
         k++)
        if (eddy_local_server_count (c->srv) < 2)
            break;
    assert_int_equal (rc, 0); /* the send that hit the total went through */
    assert_int_equal (eddy_local_server_count (c->srv), 1);
    assert_int_equal (eddy_local_server_queued (c->srv, connids[0]), 0); /* gone */
    assert_true (eddy_local_server_queued (c->srv, connids[1]) > 0);
    char want[64];
    snprintf (want, sizeof (want), "client %u (uid %u): output queued for all connections",
              connids[0], (unsigned)geteuid ());
    assert_true (logged (c, want));
    eddy_msg_decref (ev);
    assert_int_equal (eddy_reactor_run (c->r, EDDY_RUN_DEFAULT), 0);
    assert_int_equal (c->disconnected_connid, connids[0]);
    close (fds[0]);
    close (fds[1]);
}

static void lost_cont (eddy_future_t *f, void *arg)
{
    struct ctx *c = arg;
    errno = 0;
    if (eddy_rpc_get (f, NULL) == 0 || errno != ECONNRESET)
        c->responses_ok = false;
    c->nresponses++;
    eddy_future_destroy (f);
}

static void lost_broker_fails_pending_rpcs (void **state)
{
    struct ctx *c = *state;
    eddy_handle_t *h = connect_client (c);
    c->respond = false;

    eddy_future_t *f1 = eddy_rpc (h, "test.never", NULL, EDDY_NODEID_ANY, 0);
    eddy_future_t *f2 =
        eddy_rpc (h, "test.stream", NULL, EDDY_NODEID_ANY, EDDY_RPC_STREAMING);
    assert_int_equal (eddy_future_then (f1, 0, lost_cont, c), 0);
    assert_int_equal (eddy_future_then (f2, 0, lost_cont, c), 0);
    run_until (c, &c->nrecv, 2);

    eddy_local_server_destroy (c->srv);
    c->srv = NULL;
    run_until (c, &c->nresponses, 2);
    assert_true (c->responses_ok);
    assert_true (eddy_local_is_lost (h));

    errno = 0;
    assert_null (eddy_rpc (h, "test.after", NULL, EDDY_NODEID_ANY, 0));
    assert_int_equal (errno, ECONNRESET);
    eddy_close (h);

    /* destroy unlinked the socket path */
    struct stat st;
    assert_int_equal (stat (c->path, &st), -1);
}

/* A broker in a child process that reads one request and exits without
 * answering: eddy_rpc_get () in the parent must fail, not hang.
 */
static void child_broker_recv (void *arg, uint32_t connid, const eddy_msg_t *msg)
{
    eddy_reactor_stop (arg);
}

static void open_and_synchronous_get_fail_on_loss (void **state)
{
    struct ctx *c = *state;
    char uri[200];
    eddy_error_t err = {{0}};
    int pfd[2];

    /* hand the socket path to a child broker */
    eddy_local_server_destroy (c->srv);
    c->srv = NULL;
    assert_int_equal (pipe (pfd), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        eddy_reactor_t *r = eddy_reactor_create ();
        struct eddy_connector_cb cb = {.recv = child_broker_recv};
        eddy_local_server_t *s = eddy_local_server_create (r, c->path, &cb, r, NULL);
        if (!s || write (pfd[1], "x", 1) != 1)
            _exit (1);
        eddy_reactor_run (r, EDDY_RUN_DEFAULT);
        eddy_local_server_destroy (s);
        eddy_reactor_destroy (r);
        _exit (0);
    }
    char b;
    assert_int_equal (read (pfd[0], &b, 1), 1);
    close (pfd[0]);
    close (pfd[1]);

    snprintf (uri, sizeof (uri), "local://%s", c->path);
    assert_int_equal (setenv ("EDDY_URI", uri, 1), 0);
    eddy_handle_t *h = eddy_open (NULL, &err);
    if (!h)
        fail_msg ("eddy_open: %s", err.text);
    eddy_future_t *f = eddy_rpc (h, "test.never", NULL, EDDY_NODEID_ANY, 0);
    assert_non_null (f);
    alarm (20);
    errno = 0;
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ECONNRESET);
    alarm (0);
    eddy_future_destroy (f);
    eddy_close (h);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

static void open_explains_bad_uris (void **state)
{
    eddy_error_t err = {{0}};

    unsetenv ("EDDY_URI");
    errno = 0;
    assert_null (eddy_open (NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "EDDY_URI is not set: run inside 'eddy start'");

    assert_null (eddy_open ("tcp://127.0.0.1:5000", &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "unsupported URI"));

    assert_null (eddy_open ("local://relative/sock", &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "absolute"));

    assert_null (eddy_open ("local:///nonexistent/eddy.sock", &err));
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "connect"));

    char longuri[300] = "local:///";
    memset (longuri + 9, 'a', 200);
    longuri[209] = '\0';
    assert_null (eddy_open (longuri, &err));
    assert_int_equal (errno, ENAMETOOLONG);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (socket_is_private_to_the_owner, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (
            request_carries_peer_credentials_and_response_reaches_future, setup,
            teardown),
        cmocka_unit_test_setup_teardown (
            ten_thousand_pipelined_requests_do_not_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown (client_that_disconnects_is_reported, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (garbage_closes_only_that_connection, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (client_that_does_not_read_is_cut_off, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (lost_broker_fails_pending_rpcs, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (open_and_synchronous_get_fail_on_loss, setup,
                                         teardown),
        cmocka_unit_test (open_explains_bad_uris),
        cmocka_unit_test_setup_teardown (guest_is_refused_with_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown (allowed_guest_is_stamped_as_itself_whatever_it_claims,
                                         setup, teardown),
        cmocka_unit_test_setup_teardown (root_is_an_owner_only_when_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown (one_user_is_bounded_over_all_its_connections, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (every_connection_together_is_bounded, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (the_biggest_queue_goes_first, setup, teardown),
    };
    signal (SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
