/* bench-transport: the real links in one process on one libev reactor:
 * pipelined RPCs through the local connector, and one-way messages and
 * round trips over the ZeroMQ overlay (ipc, and tcp with CURVE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/future.h"
#include "engine/reactor.h"
#include "transport/local/client.h"
#include "transport/local/server.h"
#include "transport/zmq/overlay.h"

#define RUNS 5

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median (double *v, int n)
{
    qsort (v, n, sizeof (v[0]), cmp_double);
    return v[n / 2];
}

static void die (const char *what, const char *text)
{
    fprintf (stderr, "bench-transport: %s: %s\n", what, text);
    exit (1);
}

/* ---- local connector ---- */

struct local {
    eddy_reactor_t *r;
    eddy_local_server_t *srv;
    int want, got;
};

static void srv_recv (void *arg, uint32_t connid, const eddy_msg_t *msg)
{
    struct local *l = arg;
    eddy_msg_t *rsp = eddy_msg_response (msg, eddy_msg_payload (msg), 0, NULL);
    eddy_local_server_ops.send (l->srv, connid, rsp);
    eddy_msg_decref (rsp);
}

static void cont (eddy_future_t *f, void *arg)
{
    struct local *l = arg;
    if (eddy_rpc_get (f, NULL) < 0)
        die ("rpc", "failed");
    eddy_future_destroy (f);
    if (++l->got == l->want)
        eddy_reactor_stop (l->r);
}

static void bench_local (const char *dir, int n)
{
    struct local l = {0};
    struct eddy_connector_cb cb = {.recv = srv_recv};
    eddy_error_t err = {{0}};
    char path[256];
    double t[RUNS];

    snprintf (path, sizeof (path), "%s/local.sock", dir);
    l.r = eddy_reactor_create ();
    if (!(l.srv = eddy_local_server_create (l.r, path, &cb, &l, &err)))
        die ("local server", err.text);
    eddy_handle_t *h = eddy_local_connect (l.r, path, &err);
    if (!h)
        die ("local connect", err.text);
    for (int run = 0; run < RUNS; run++) {
        l.want = n;
        l.got = 0;
        double t0 = now ();
        for (int i = 0; i < n; i++) {
            eddy_future_t *f =
                eddy_rpc_pack (h, "bench.echo", EDDY_NODEID_ANY, 0, "{s:i}", "i", i);
            eddy_future_then (f, 0, cont, &l);
        }
        eddy_reactor_run (l.r, EDDY_RUN_DEFAULT);
        t[run] = (now () - t0) / n;
    }
    printf ("local connector: %d pipelined echo RPCs: %.2f us/op (median of %d)\n", n,
            median (t, RUNS) * 1e6, RUNS);
    eddy_close (h);
    eddy_local_server_destroy (l.srv);
    eddy_reactor_destroy (l.r);
}

/* ---- overlay ---- */

struct ovb {
    eddy_reactor_t *r;
    eddy_zmq_overlay_t *parent, *child;
    int want, got;
    bool echo;
};

static void ov_recv_child (void *arg, uint32_t rank, const eddy_msg_t *msg)
{
    struct ovb *b = arg;
    if (b->echo)
        eddy_zmq_overlay_send_child (b->parent, rank, msg);
    else if (++b->got == b->want)
        eddy_reactor_stop (b->r);
}

static void ov_recv_parent (void *arg, const eddy_msg_t *msg)
{
    struct ovb *b = arg;
    if (++b->got == b->want)
        eddy_reactor_stop (b->r);
}

static void bench_overlay (const char *label, const char *endpoint, bool curve, int n)
{
    struct ovb b = {0};
    struct eddy_overlay_cb cb = {.recv_child = ov_recv_child,
                                 .recv_parent = ov_recv_parent};
    eddy_error_t err = {{0}};
    struct eddy_zmq_cert cert;
    double one[RUNS], rt[RUNS];

    b.r = eddy_reactor_create ();
    b.parent = eddy_zmq_overlay_create (b.r, 0, 2, &cb, &b, &err);
    b.child = eddy_zmq_overlay_create (b.r, 1, 2, &cb, &b, &err);
    if (!b.parent || !b.child)
        die ("overlay", err.text);
    if (curve) {
        if (eddy_zmq_cert_generate (&cert, &err) < 0 ||
            eddy_zmq_overlay_set_cert_keys (b.parent, &cert, &err) < 0 ||
            eddy_zmq_overlay_set_cert_keys (b.child, &cert, &err) < 0)
            die ("cert", err.text);
    }
    if (eddy_zmq_overlay_bind (b.parent, endpoint, &err) < 0 ||
        eddy_zmq_overlay_connect (b.child, eddy_zmq_overlay_bound_uri (b.parent),
                                  &err) < 0)
        die ("overlay", err.text);
    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_EVENT, "bench.ev");
    eddy_msg_take_payload (msg,
                           json_pack ("{s:i s:s}", "i", 1, "pad", "0123456789abcdef"));

    for (int run = 0; run < RUNS; run++) {
        /* one way: child -> parent, pipelined */
        b.echo = false;
        b.want = n;
        b.got = 0;
        double t0 = now ();
        for (int i = 0; i < n; i++)
            eddy_zmq_overlay_send_parent (b.child, msg);
        eddy_reactor_run (b.r, EDDY_RUN_DEFAULT);
        one[run] = (now () - t0) / n;

        /* round trips, one at a time */
        b.echo = true;
        int m = n / 10;
        t0 = now ();
        for (int i = 0; i < m; i++) {
            b.want = 1;
            b.got = 0;
            eddy_zmq_overlay_send_parent (b.child, msg);
            eddy_reactor_run (b.r, EDDY_RUN_DEFAULT);
        }
        rt[run] = (now () - t0) / m;
    }
    printf ("zmq overlay %s: %d one-way messages: %.2f us/msg (median of %d)\n", label,
            n, median (one, RUNS) * 1e6, RUNS);
    printf (
        "zmq overlay %s: round trip child-parent-child: %.1f us/op (median of %d)\n",
        label, median (rt, RUNS) * 1e6, RUNS);
    eddy_msg_decref (msg);
    eddy_zmq_overlay_destroy (b.child);
    eddy_zmq_overlay_destroy (b.parent);
    eddy_reactor_destroy (b.r);
}

int main (void)
{
    char dir[] = "/tmp/eddy-bench-XXXXXX";
    char ipc[128];
    if (!mkdtemp (dir))
        die ("mkdtemp", "failed");
    snprintf (ipc, sizeof (ipc), "ipc://%s/overlay", dir);

    bench_local (dir, 10000);
    bench_overlay ("ipc", ipc, false, 100000);
    bench_overlay ("tcp+CURVE", "tcp://127.0.0.1:*", true, 100000);

    char path[256];
    snprintf (path, sizeof (path), "%s/overlay", dir);
    unlink (path);
    rmdir (dir);
    return 0;
}
