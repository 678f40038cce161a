/* bench-exec.c - cost of jobs without processes (the sim backend): exec.start
 * streams per wall second on a simulated cluster, all submitted at one
 * instant with run durations spread over 1000 virtual seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "cmd/modules.h"
#include "engine/future.h"
#include "sim/cluster.h"

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct run {
    long done;
    long finished;
};

static void stream_cb (eddy_future_t *f, void *arg)
{
    struct run *run = arg;
    const char *type;
    json_t *o;
    if (eddy_rpc_get (f, &o) < 0) {
        run->done++;
        eddy_future_destroy (f);
        return;
    }
    if (json_unpack (o, "{s:s}", "type", &type) == 0 && type[0] == 'f')
        run->finished++;
    eddy_future_reset (f);
}

static void bench (long njobs)
{
    struct eddy_sim_cluster_params p = {
        .size = 16, .fanout = 2, .latency = 0.0001, .seed = 1, .modules = eddy_builtin_modules,
    };
    eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, NULL);
    json_t *args = json_pack ("{s:s}", "backend", "sim");
    for (uint32_t i = 0; i < p.size; i++)
        eddy_broker_add_initial_module (eddy_sim_cluster_broker (c, i), "exec", args);
    json_decref (args);
    if (!c || eddy_sim_cluster_boot (c, 60) < 0) {
        fprintf (stderr, "bench-exec: boot failed\n");
        exit (1);
    }
    eddy_handle_t *h = eddy_broker_handle_create (eddy_sim_cluster_broker (c, 0), "jm");
    json_t *R = json_pack ("{s:i s:{s:[{s:s s:{s:s}}]}}", "version", 1, "execution", "R_lite",
                           "rank", "0", "children", "core", "0");
    struct run run = { 0 };
    double t0 = now ();
    for (long i = 0; i < njobs; i++) {
        json_t *js = json_pack ("{s:i s:{s:{s:f s:{s:{s:f}}}}}", "version", 1, "attributes",
                                "system", "duration", 2000.0, "exec", "test", "run_duration",
                                (double)(i % 1000));
        eddy_future_t *f = eddy_rpc_pack (h, "exec.start", 0, EDDY_RPC_STREAMING,
                                          "{s:I s:i s:O s:o}", "id", (json_int_t)(i + 1), "userid",
                                          0, "R", R, "jobspec", js);
        if (!f || eddy_future_then (f, -1, stream_cb, &run) < 0) {
            fprintf (stderr, "bench-exec: exec.start failed\n");
            exit (1);
        }
    }
    eddy_reactor_t *r = eddy_sim_cluster_reactor (c);
    while (run.done < njobs)
        eddy_reactor_run (r, EDDY_RUN_ONCE);
    double t = now () - t0;
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    printf ("%7ld test jobs: %.2f s wall, %.0f jobs/s, %ld finished, max RSS %ld MiB\n", njobs, t,
            njobs / t, run.finished, ru.ru_maxrss / 1024);
    json_decref (R);
    eddy_handle_destroy (h);
    eddy_sim_cluster_destroy (c);
}

int main (int argc, char **argv)
{
    bench (10000);
    bench (argc > 1 ? atol (argv[1]) : 200000);
    return 0;
}
