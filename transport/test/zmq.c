/* The ZeroMQ overlay with real libzmq sockets: two overlay objects (rank 0
 * and rank 1) in one process on one libev reactor, over ipc:// in a
 * temporary directory and tcp://127.0.0.1, with and without CURVE.
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "engine/reactor.h"
#include "transport/zmq/cert.h"
#include "transport/zmq/overlay.h"

#define NMSG 10000

struct peer {
    const char *name;
    eddy_reactor_t *r;
    eddy_zmq_overlay_t *ov;
    int nrecv;
    int next_i;
    bool in_order;
    uint32_t last_rank;
    char last_topic[64];
    int child_disconnects;
    uint32_t disconnected_rank;
    int parent_disconnects;
    char logs[16][384];
    int nlogs;
    /* echo: the parent answers each request from a child */
    bool echo;
};

struct ctx {
    char dir[64];
    char ipc[128];
    eddy_reactor_t *r;
    eddy_watcher_t *guard;
    struct peer parent, child;
};

static void count (struct peer *p, const eddy_msg_t *msg)
{
    json_t *o = eddy_msg_payload (msg);
    json_t *i = o ? json_object_get (o, "i") : NULL;
    p->nrecv++;
    snprintf (p->last_topic, sizeof (p->last_topic), "%s", eddy_msg_topic (msg));
    if (i) {
        if (json_integer_value (i) != p->next_i)
            p->in_order = false;
        p->next_i++;
    }
}

static void recv_parent (void *arg, const eddy_msg_t *msg)
{
    count (arg, msg);
}

static void recv_child (void *arg, uint32_t rank, const eddy_msg_t *msg)
{
    struct peer *p = arg;
    count (p, msg);
    p->last_rank = rank;
    if (p->echo && eddy_msg_type (msg) == EDDY_MSGTYPE_REQUEST) {
        eddy_msg_t *rsp = eddy_msg_response (msg, eddy_msg_payload (msg), 0, NULL);
        assert_int_equal (eddy_zmq_overlay_ops.send_child (p->ov, rank, rsp), 0);
        eddy_msg_decref (rsp);
    }
}

static void child_disconnected (void *arg, uint32_t rank)
{
    struct peer *p = arg;
    p->child_disconnects++;
    p->disconnected_rank = rank;
}

static void parent_disconnected (void *arg)
{
    struct peer *p = arg;
    p->parent_disconnects++;
}

static void log_line (void *arg, int level, const char *text)
{
    struct peer *p = arg;
    if (p->nlogs < 16)
        snprintf (p->logs[p->nlogs++], sizeof (p->logs[0]), "%s", text);
}

static const struct eddy_overlay_cb cbs = {
    .recv_parent = recv_parent,
    .recv_child = recv_child,
    .child_disconnected = child_disconnected,
    .parent_disconnected = parent_disconnected,
    .log = log_line,
};

static bool logged (struct peer *p, const char *needle)
{
    for (int i = 0; i < p->nlogs; i++)
        if (strstr (p->logs[i], needle))
            return true;
    return false;
}

static eddy_zmq_overlay_t *
make (struct ctx *c, struct peer *p, uint32_t rank, uint32_t size)
{
    eddy_error_t err = {{0}};
    memset (p, 0, sizeof (*p));
    p->in_order = true;
    p->r = c->r;
    p->ov = eddy_zmq_overlay_create (c->r, rank, size, &cbs, p, &err);
    if (!p->ov)
        fail_msg ("overlay create: %s", err.text);
    return p->ov;
}

static void guard_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    fail_msg ("test did not finish in time");
}

static int setup (void **state)
{
    struct ctx *c = calloc (1, sizeof (*c));
    snprintf (c->dir, sizeof (c->dir), "/tmp/eddy-zmq-XXXXXX");
    assert_non_null (mkdtemp (c->dir));
    snprintf (c->ipc, sizeof (c->ipc), "ipc://%s/overlay", c->dir);
    assert_non_null ((c->r = eddy_reactor_create ()));
    c->guard = eddy_timer_create (c->r, 120.0, 0, guard_cb, c);
    eddy_watcher_start (c->guard);
    *state = c;
    return 0;
}

static int teardown (void **state)
{
    struct ctx *c = *state;
    char path[256];
    eddy_zmq_overlay_destroy (c->child.ov);
    eddy_zmq_overlay_destroy (c->parent.ov);
    eddy_watcher_destroy (c->guard);
    eddy_reactor_destroy (c->r);
    snprintf (path, sizeof (path), "%s/overlay", c->dir);
    unlink (path);
    snprintf (path, sizeof (path), "%s/cert", c->dir);
    unlink (path);
    snprintf (path, sizeof (path), "%s/cert2", c->dir);
    unlink (path);
    rmdir (c->dir);
    free (c);
    return 0;
}

static void run_until (struct ctx *c, int *counter, int value)
{
    while (*counter < value)
        eddy_reactor_run (c->r, EDDY_RUN_ONCE);
}

static void stop_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_reactor_stop (r);
}

/* Run the reactor for a while (for things that must NOT happen). */
static void run_for (struct ctx *c, double seconds)
{
    eddy_watcher_t *t = eddy_timer_create (c->r, seconds, 0, stop_cb, NULL);
    eddy_watcher_start (t);
    eddy_reactor_run (c->r, EDDY_RUN_DEFAULT);
    eddy_watcher_destroy (t);
}

static eddy_msg_t *numbered (eddy_msgtype_t type, const char *topic, int i)
{
    eddy_msg_t *msg = eddy_msg_create (type, topic);
    assert_non_null (msg);
    eddy_msg_take_payload (msg, json_pack ("{s:i}", "i", i));
    return msg;
}

static void connect_child (struct ctx *c, const char *uri)
{
    eddy_error_t err = {{0}};
    if (eddy_zmq_overlay_connect (c->child.ov, uri, &err) < 0)
        fail_msg ("connect %s: %s", uri, err.text);
}

static void bind_parent (struct ctx *c, const char *uri)
{
    eddy_error_t err = {{0}};
    if (eddy_zmq_overlay_bind (c->parent.ov, uri, &err) < 0)
        fail_msg ("bind %s: %s", uri, err.text);
}

/* Child says one request, parent echoes: proves a working link. */
static void ping (struct ctx *c)
{
    int before = c->child.nrecv;
    c->parent.echo = true;
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.ping");
    assert_int_equal (eddy_zmq_overlay_ops.send_parent (c->child.ov, msg), 0);
    eddy_msg_decref (msg);
    run_until (c, &c->child.nrecv, before + 1);
    assert_string_equal (c->child.last_topic, "test.ping");
}

/* ---- tests ---- */

static void ten_thousand_messages_each_way_in_order (void **state)
{
    struct ctx *c = *state;
    make (c, &c->parent, 0, 4);
    make (c, &c->child, 1, 4);
    bind_parent (c, c->ipc);
    bind_parent (c, "tcp://127.0.0.1:*");
    const char *tcp = eddy_zmq_overlay_bound_uri (c->parent.ov);
    assert_non_null (tcp);
    assert_true (strncmp (tcp, "tcp://127.0.0.1:", 16) == 0);
    assert_true (atoi (tcp + 16) > 0);
    connect_child (c, c->ipc);

    for (int i = 0; i < NMSG; i++) {
        eddy_msg_t *msg = numbered (EDDY_MSGTYPE_EVENT, "test.up", i);
        assert_int_equal (eddy_zmq_overlay_ops.send_parent (c->child.ov, msg), 0);
        eddy_msg_decref (msg);
    }
    run_until (c, &c->parent.nrecv, NMSG);
    assert_true (c->parent.in_order);
    assert_int_equal (c->parent.last_rank, 1);
    assert_string_equal (c->parent.last_topic, "test.up");

    for (int i = 0; i < NMSG; i++) {
        eddy_msg_t *msg = numbered (EDDY_MSGTYPE_EVENT, "test.down", i);
        assert_int_equal (eddy_zmq_overlay_ops.send_child (c->parent.ov, 1, msg), 0);
        eddy_msg_decref (msg);
    }
    run_until (c, &c->child.nrecv, NMSG);
    assert_true (c->child.in_order);
    assert_string_equal (c->child.last_topic, "test.down");
    /* the hellos were consumed, not delivered */
    assert_int_equal (c->parent.nrecv, NMSG);
    assert_int_equal (c->child.nrecv, NMSG);
    assert_int_equal (c->parent.nlogs, 0);
    assert_int_equal (c->child.nlogs, 0);
}

static void unknown_children_and_no_parent_are_unreachable (void **state)
{
    struct ctx *c = *state;
    make (c, &c->parent, 0, 4);
    bind_parent (c, c->ipc);
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "x");
    errno = 0;
    assert_int_equal (eddy_zmq_overlay_ops.send_child (c->parent.ov, 2, msg), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    assert_int_equal (eddy_zmq_overlay_ops.send_child (c->parent.ov, 9, msg), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    assert_int_equal (eddy_zmq_overlay_ops.send_parent (c->parent.ov, msg), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_msg_decref (msg);

    eddy_error_t err = {{0}};
    assert_null (eddy_zmq_overlay_create (c->r, 4, 4, &cbs, NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_zmq_overlay_bind (c->parent.ov, "bogus://x", &err), -1);
    assert_non_null (strstr (err.text, "bogus://x"));
}

static void write_cert (struct ctx *c,
                        const char *name,
                        struct eddy_zmq_cert *cert,
                        char *path,
                        size_t pathsz)
{
    eddy_error_t err = {{0}};
    assert_int_equal (eddy_zmq_cert_generate (cert, &err), 0);
    char *text = eddy_zmq_cert_encode (cert);
    assert_non_null (text);
    snprintf (path, pathsz, "%s/%s", c->dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    assert_int_equal (fchmod (fileno (f), 0600), 0);
    fputs (text, f);
    fclose (f);
    free (text);
}

static void curve_on_tcp_with_the_shared_cert (void **state)
{
    struct ctx *c = *state;
    struct eddy_zmq_cert cert;
    char path[256];
    eddy_error_t err = {{0}};
    write_cert (c, "cert", &cert, path, sizeof (path));

    make (c, &c->parent, 0, 2);
    make (c, &c->child, 1, 2);
    if (eddy_zmq_overlay_set_cert (c->parent.ov, path, &err) < 0)
        fail_msg ("set_cert: %s", err.text);
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->child.ov, &cert, &err), 0);
    bind_parent (c, "tcp://127.0.0.1:*");
    connect_child (c, eddy_zmq_overlay_bound_uri (c->parent.ov));
    ping (c);
    assert_int_equal (c->parent.nrecv, 1);
    assert_int_equal (c->parent.nlogs, 0);
    assert_int_equal (c->child.nlogs, 0);

    /* too late to change the certificate */
    errno = 0;
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->child.ov, &cert, &err), -1);
    assert_int_equal (errno, EBUSY);

    /* ipc:// on the same ROUTER runs without CURVE, even bound after tcp:
     * a child with the certificate connects there in plain ZMTP */
    bind_parent (c, c->ipc);
    eddy_zmq_overlay_destroy (c->child.ov);
    make (c, &c->child, 1, 2);
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->child.ov, &cert, &err), 0);
    connect_child (c, c->ipc);
    ping (c);
    assert_int_equal (c->parent.nlogs, 0);
    assert_int_equal (c->child.nlogs, 0);
}

static void child_with_another_cert_is_refused (void **state)
{
    struct ctx *c = *state;
    struct eddy_zmq_cert mine, theirs;
    char path[256];
    eddy_error_t err = {{0}};
    write_cert (c, "cert", &mine, path, sizeof (path));
    write_cert (c, "cert2", &theirs, path, sizeof (path));

    make (c, &c->parent, 0, 2);
    make (c, &c->child, 1, 2);
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->parent.ov, &mine, &err), 0);
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->child.ov, &theirs, &err), 0);
    c->parent.echo = true;
    bind_parent (c, "tcp://127.0.0.1:*");
    connect_child (c, eddy_zmq_overlay_bound_uri (c->parent.ov));
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, "test.sneak");
    assert_int_equal (eddy_zmq_overlay_ops.send_parent (c->child.ov, msg), 0);
    eddy_msg_decref (msg);
    run_for (c, 1.0);
    assert_int_equal (c->parent.nrecv, 0);
    assert_int_equal (c->child.nrecv, 0);
    assert_true (logged (&c->parent, "refusing"));
    assert_true (logged (&c->child, "handshake with parent"));
}

/* A client that knows the instance's public key (so the CURVE handshake
 * itself works) but presents a keypair of its own: the ZAP handler says no.
 */
static void peer_with_unknown_key_is_refused_by_zap (void **state)
{
    struct ctx *c = *state;
    struct eddy_zmq_cert inst, other;
    char path[256];
    eddy_error_t err = {{0}};
    write_cert (c, "cert", &inst, path, sizeof (path));
    assert_int_equal (eddy_zmq_cert_generate (&other, &err), 0);

    make (c, &c->parent, 0, 2);
    assert_int_equal (eddy_zmq_overlay_set_cert_keys (c->parent.ov, &inst, &err), 0);
    bind_parent (c, "tcp://127.0.0.1:*");

    void *zctx = zmq_ctx_new ();
    void *d = zmq_socket (zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (d, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (d, ZMQ_ROUTING_ID, "1", 1);
    zmq_setsockopt (d, ZMQ_CURVE_SERVERKEY, inst.public_key, 40);
    zmq_setsockopt (d, ZMQ_CURVE_PUBLICKEY, other.public_key, 40);
    zmq_setsockopt (d, ZMQ_CURVE_SECRETKEY, other.secret_key, 40);
    assert_int_equal (zmq_connect (d, eddy_zmq_overlay_bound_uri (c->parent.ov)), 0);
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.sneak");
    void *buf;
    size_t len;
    assert_int_equal (eddy_msg_encode (msg, EDDY_WIRE_VERSION, &buf, &len), 0);
    zmq_send (d, buf, len, ZMQ_DONTWAIT);
    free (buf);
    eddy_msg_decref (msg);
    run_for (c, 1.0);
    zmq_close (d);
    zmq_ctx_term (zctx);

    assert_int_equal (c->parent.nrecv, 0);
    assert_true (
        logged (&c->parent, "overlay: refusing peer 127.0.0.1: unknown CURVE key"));
}

static void other_wire_version_is_refused_naming_both (void **state)
{
    struct ctx *c = *state;
    char want[128];
    make (c, &c->parent, 0, 8);
    make (c, &c->child, 5, 8);
    eddy_zmq_overlay_set_wire_version (c->child.ov, EDDY_WIRE_VERSION + 1);
    bind_parent (c, c->ipc);
    connect_child (c, c->ipc);
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.v2");
    assert_int_equal (eddy_zmq_overlay_ops.send_parent (c->child.ov, msg), 0);
    run_until (c, &c->child.nlogs, 1);
    run_for (c, 0.2);

    snprintf (want, sizeof (want), "overlay: refusing rank 5: wire version %d, ours %d",
              EDDY_WIRE_VERSION + 1, EDDY_WIRE_VERSION);
    assert_true (logged (&c->parent, want));
    assert_int_equal (c->parent.nlogs, 1); /* once, not per message */
    snprintf (want, sizeof (want), "overlay: refusing parent: wire version %d, ours %d",
              EDDY_WIRE_VERSION, EDDY_WIRE_VERSION + 1);
    assert_true (logged (&c->child, want));
    assert_int_equal (c->parent.nrecv, 0);
    assert_int_equal (c->child.nrecv, 0);
    errno = 0;
    assert_int_equal (eddy_zmq_overlay_ops.send_child (c->parent.ov, 5, msg), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_msg_decref (msg);
}

static void bad_routing_ids_are_refused (void **state)
{
    struct ctx *c = *state;
    const char *ids[] = {"abc", "7", "0", "01", "-1"};
    make (c, &c->parent, 0, 4);
    bind_parent (c, c->ipc);

    void *zctx = zmq_ctx_new ();
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "test.bad");
    void *buf;
    size_t len;
    assert_int_equal (eddy_msg_encode (msg, EDDY_WIRE_VERSION, &buf, &len), 0);
    for (size_t i = 0; i < sizeof (ids) / sizeof (ids[0]); i++) {
        void *d = zmq_socket (zctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (d, ZMQ_LINGER, &linger, sizeof (linger));
        zmq_setsockopt (d, ZMQ_ROUTING_ID, ids[i], strlen (ids[i]));
        assert_int_equal (zmq_connect (d, c->ipc), 0);
        zmq_send (d, buf, len, 0);
        run_until (c, &c->parent.nlogs, (int)i + 1);
        zmq_close (d);
    }
    /* a frame that is not a message, from a valid rank: dropped */
    void *d = zmq_socket (zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (d, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (d, ZMQ_ROUTING_ID, "3", 1);
    assert_int_equal (zmq_connect (d, c->ipc), 0);
    zmq_send (d, "garbage", 7, 0);
    zmq_send (d, buf, len, ZMQ_SNDMORE); /* two parts: dropped too */
    zmq_send (d, buf, len, 0);
    zmq_send (d, buf, len, 0); /* this one is fine */
    run_until (c, &c->parent.nrecv, 1);
    zmq_close (d);
    zmq_ctx_term (zctx);
    free (buf);
    eddy_msg_decref (msg);

    assert_true (logged (&c->parent, "refusing peer with routing id 'abc'"));
    assert_true (logged (&c->parent, "routing id '7'"));
    assert_true (logged (&c->parent, "routing id '0'"));
    assert_true (logged (&c->parent, "routing id '01'"));
    assert_true (logged (&c->parent, "routing id '-1'"));
    assert_true (logged (&c->parent, "rank 3: malformed frame"));
    assert_true (logged (&c->parent, "message of 2 parts dropped"));
    assert_int_equal (c->parent.nrecv, 1);
    assert_int_equal (c->parent.last_rank, 3);
}

static void child_disconnect_is_reported_once (void **state)
{
    struct ctx *c = *state;
    make (c, &c->parent, 0, 2);
    make (c, &c->child, 1, 2);
    bind_parent (c, c->ipc);
    connect_child (c, c->ipc);
    ping (c);

    eddy_zmq_overlay_destroy (c->child.ov);
    c->child.ov = NULL;
    run_until (c, &c->parent.child_disconnects, 1);
    assert_int_equal (c->parent.disconnected_rank, 1);
    errno = 0;
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "x");
    assert_int_equal (eddy_zmq_overlay_ops.send_child (c->parent.ov, 1, msg), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    eddy_msg_decref (msg);

    /* the child comes back: the link works again, one report so far */
    make (c, &c->child, 1, 2);
    connect_child (c, c->ipc);
    ping (c);
    assert_int_equal (c->parent.child_disconnects, 1);

    /* and its second departure is reported too */
    eddy_zmq_overlay_destroy (c->child.ov);
    c->child.ov = NULL;
    run_until (c, &c->parent.child_disconnects, 2);
    run_for (c, 0.2);
    assert_int_equal (c->parent.child_disconnects, 2);
}

static void parent_disconnect_is_reported (void **state)
{
    struct ctx *c = *state;
    make (c, &c->parent, 0, 2);
    make (c, &c->child, 1, 2);
    bind_parent (c, c->ipc);
    connect_child (c, c->ipc);
    ping (c);
    assert_int_equal (c->child.parent_disconnects, 0);

    eddy_zmq_overlay_destroy (c->parent.ov);
    c->parent.ov = NULL;
    run_until (c, &c->child.parent_disconnects, 1);

    /* a new parent on the same endpoint: the child reconnects by itself */
    make (c, &c->parent, 0, 2);
    bind_parent (c, c->ipc);
    ping (c);
    assert_int_equal (c->child.parent_disconnects, 1);
}

/* ---- certificate files ---- */

static void cert_text_round_trips_and_bad_text_is_refused (void **state)
{
    struct eddy_zmq_cert cert, out, other;
    eddy_error_t err = {{0}};
    assert_int_equal (eddy_zmq_cert_generate (&cert, &err), 0);
    assert_int_equal (eddy_zmq_cert_generate (&other, &err), 0);
    assert_string_not_equal (cert.public_key, other.public_key);
    char *text = eddy_zmq_cert_encode (&cert);
    assert_non_null (text);
    assert_int_equal (eddy_zmq_cert_decode (text, strlen (text), &out, &err), 0);
    assert_string_equal (out.public_key, cert.public_key);
    assert_string_equal (out.secret_key, cert.secret_key);
    free (text);

    char buf[512];
    struct {
        const char *fmt; /* %1$s public, %2$s secret, %3$s another public */
        const char *why;
    } bad[] = {
        {"public-key = \"%1$s\"\n", "missing secret-key"},
        {"secret-key = \"%2$s\"\n", "missing public-key"},
        {"public-key = \"%3$s\"\nsecret-key = \"%2$s\"\n", "does not belong"},
        {"public-key = \"%1$s\"\npublic-key = \"%1$s\"\nsecret-key = \"%2$s\"\n",
         "twice"},
        {"public-key = %1$s\nsecret-key = \"%2$s\"\n", "double quotes"},
        {"public-key = \"%1$s\"\nsecret-key = \"%2$s\"\nowner = \"me\"\n",
         "unknown name"},
        {"public-key \"%1$s\"\nsecret-key = \"%2$s\"\n", "expected name"},
        {"public-key = \"%1$.39s\"\nsecret-key = \"%2$s\"\n", "Z85"},
        {"public-key = \"%1$.39s~\"\nsecret-key = \"%2$s\"\n", "Z85"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        snprintf (buf, sizeof (buf), bad[i].fmt, cert.public_key, cert.secret_key,
                  other.public_key);
        errno = 0;
        err.text[0] = '\0';
        if (eddy_zmq_cert_decode (buf, strlen (buf), &out, &err) == 0)
            fail_msg ("accepted: %s", buf);
        assert_int_equal (errno, EINVAL);
        if (!strstr (err.text, bad[i].why))
            fail_msg ("case %zu: error '%s' lacks '%s'", i, err.text, bad[i].why);
    }

    /* comments, blank lines, CRLF and surrounding blanks are fine */
    snprintf (buf, sizeof (buf),
              "# comment\n\n  public-key=\"%s\"  \r\n\tsecret-key =  \"%s\"",
              cert.public_key, cert.secret_key);
    assert_int_equal (eddy_zmq_cert_decode (buf, strlen (buf), &out, &err), 0);
    /* an embedded NUL is not */
    size_t n = strlen (buf);
    buf[3] = '\0';
    assert_int_equal (eddy_zmq_cert_decode (buf, n, &out, &err), -1);
    assert_non_null (strstr (err.text, "NUL"));
}

static void cert_file_must_be_private (void **state)
{
    struct ctx *c = *state;
    struct eddy_zmq_cert cert, out;
    char path[256];
    eddy_error_t err = {{0}};
    write_cert (c, "cert", &cert, path, sizeof (path));
    assert_int_equal (eddy_zmq_cert_load (path, &out, &err), 0);
    assert_string_equal (out.secret_key, cert.secret_key);

    assert_int_equal (chmod (path, 0644), 0);
    errno = 0;
    assert_int_equal (eddy_zmq_cert_load (path, &out, &err), -1);
    assert_int_equal (errno, EPERM);
    assert_non_null (strstr (err.text, "chmod 600"));

    errno = 0;
    assert_int_equal (eddy_zmq_cert_load ("/nonexistent/cert", &out, &err), -1);
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "/nonexistent/cert"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (ten_thousand_messages_each_way_in_order, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (unknown_children_and_no_parent_are_unreachable,
                                         setup, teardown),
        cmocka_unit_test_setup_teardown (curve_on_tcp_with_the_shared_cert, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (child_with_another_cert_is_refused, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (peer_with_unknown_key_is_refused_by_zap, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (other_wire_version_is_refused_naming_both,
                                         setup, teardown),
        cmocka_unit_test_setup_teardown (bad_routing_ids_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown (child_disconnect_is_reported_once, setup,
                                         teardown),
        cmocka_unit_test_setup_teardown (parent_disconnect_is_reported, setup,
                                         teardown),
        cmocka_unit_test (cert_text_round_trips_and_bad_text_is_refused),
        cmocka_unit_test_setup_teardown (cert_file_must_be_private, setup, teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
