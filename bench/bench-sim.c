/* bench-sim.c - simulator throughput: messages delivered per wall second
 * (requests and responses crossing simulated links), and boot time and
 * memory per virtual rank.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/future.h"
#include "sim/cluster.h"
#include "sim/des.h"

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct flood {
    eddy_handle_t *h;
    uint32_t size;
    long left;
    long inflight;
    uint32_t next;
};

static void ping_cb (eddy_future_t *f, void *arg);

static void send_one (struct flood *fl)
{
    uint32_t to = fl->next++ % fl->size;
    eddy_future_t *f = eddy_rpc (fl->h, "broker.ping", NULL, to, 0);
    if (!f || eddy_future_then (f, -1, ping_cb, fl) < 0) {
        fprintf (stderr, "bench-sim: rpc failed\n");
        exit (1);
    }
    fl->left--;
    fl->inflight++;
}

static void ping_cb (eddy_future_t *f, void *arg)
{
    struct flood *fl = arg;
    if (eddy_rpc_get (f, NULL) < 0) {
        fprintf (stderr, "bench-sim: ping failed\n");
        exit (1);
    }
    eddy_future_destroy (f);
    fl->inflight--;
    if (fl->left > 0)
        send_one (fl);
}

static bool flood_done (eddy_sim_cluster_t *c, struct flood *fl)
{
    return fl->left == 0 && fl->inflight == 0;
}

int main (int argc, char **argv)
{
    uint32_t sizes[] = { 1024, 4096, 16384 };
    struct rusage ru;

    /* boot cost and memory per rank: each size in a fresh child would be
     * cleaner for RSS; peak RSS grows monotonically, so report the delta */
    for (int i = 0; i < 3; i++) {
        getrusage (RUSAGE_SELF, &ru);
        long rss0 = ru.ru_maxrss;
        struct eddy_sim_cluster_params p = { .size = sizes[i], .fanout = 2, .latency = 50e-6, .seed = 1 };
        double t0 = now ();
        eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, NULL);
        if (!c || eddy_sim_cluster_boot (c, 3600) < 0) {
            fprintf (stderr, "bench-sim: boot failed\n");
            return 1;
        }
        double t = now () - t0;
        getrusage (RUSAGE_SELF, &ru);
        printf ("sim boot %5u ranks: %.3f s wall, %.2f KiB RSS per rank (peak delta)\n", sizes[i], t,
                (double)(ru.ru_maxrss - rss0) / sizes[i]);
        eddy_sim_cluster_destroy (c);
    }

    /* message throughput: 1,000 pings in flight from rank 0 to every rank of
     * a 1,024-rank tree (fanout 2, 0.05 ms links) */
    struct eddy_sim_cluster_params p = { .size = 1024, .fanout = 2, .latency = 50e-6, .seed = 1 };
    eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, NULL);
    if (!c || eddy_sim_cluster_boot (c, 3600) < 0)
        return 1;
    struct flood fl = { .size = p.size, .left = 400000 };
    fl.h = eddy_broker_handle_create (eddy_sim_cluster_broker (c, 0), "bench");
    uint64_t d0 = eddy_simnet_delivered (eddy_sim_cluster_net (c));
    double t0 = now ();
    for (int i = 0; i < 1000; i++)
        send_one (&fl);
    eddy_reactor_t *r = eddy_sim_cluster_reactor (c);
    while (!flood_done (c, &fl))
        eddy_reactor_run (r, EDDY_RUN_ONCE);
    double t = now () - t0;
    uint64_t d = eddy_simnet_delivered (eddy_sim_cluster_net (c)) - d0;
    printf ("sim messages: %" PRIu64 " link deliveries in %.2f s wall = %.2f million/s "
            "(400,000 pings, 1,024 ranks)\n", d, t, d / t / 1e6);
    eddy_handle_destroy (fl.h);
    eddy_sim_cluster_destroy (c);
    return 0;
}
