/* bench-ping.c - pipelined pings to rank 0 from a client of a running
 * instance ($EDDY_URI): keeps WINDOW requests in flight, reports pings/s.
 *   bench-ping [COUNT [WINDOW [RANK]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/future.h"
#include "transport/local/client.h"

struct run {
    eddy_handle_t *h;
    long left, inflight, done;
    uint32_t rank;
};

static void ping_cb (eddy_future_t *f, void *arg);

static void send_one (struct run *run)
{
    eddy_future_t *f = eddy_rpc (run->h, "broker.ping", NULL, run->rank, 0);
    if (!f || eddy_future_then (f, -1, ping_cb, run) < 0) {
        fprintf (stderr, "bench-ping: cannot send\n");
        exit (1);
    }
    run->left--;
    run->inflight++;
}

static void ping_cb (eddy_future_t *f, void *arg)
{
    struct run *run = arg;
    if (eddy_rpc_get (f, NULL) < 0) {
        fprintf (stderr, "bench-ping: %s\n", eddy_future_error_string (f));
        exit (1);
    }
    eddy_future_destroy (f);
    run->inflight--;
    run->done++;
    if (run->left > 0)
        send_one (run);
    else if (run->inflight == 0)
        eddy_reactor_stop (eddy_handle_reactor (run->h));
}

int main (int argc, char **argv)
{
    long count = argc > 1 ? atol (argv[1]) : 200000;
    long window = argc > 2 ? atol (argv[2]) : 256;
    struct run run = { .left = count, .rank = argc > 3 ? (uint32_t)atol (argv[3]) : 0 };
    eddy_error_t err;
    struct timespec t0, t1;

    if (count < 1 || window < 1) {
        fprintf (stderr, "usage: bench-ping [COUNT [WINDOW [RANK]]]\n");
        return 1;
    }
    if (!(run.h = eddy_open (NULL, &err))) {
        fprintf (stderr, "bench-ping: %s\n", err.text);
        return 1;
    }
    clock_gettime (CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < window && run.left > 0; i++)
        send_one (&run);
    eddy_reactor_run (eddy_handle_reactor (run.h), EDDY_RUN_DEFAULT);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double t = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf ("pipelined pings to rank %u: %ld in %.3f s = %.0f pings/s (window %ld)\n", run.rank,
            run.done, t, run.done / t, window);
    eddy_close (run.h);
    return 0;
}
