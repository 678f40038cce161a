/* bench-pmi-sim.c - the PMI key exchange of exec/pmi_xchg.c across a
 * simulated instance: NBROKERS brokers (default 64) on the simulator's
 * overlay (fanout 2, 50 us per hop), each holding TASKS tasks (default 16,
 * so 1,024 in all) that put one key each and enter a barrier; the
 * exchange tree is the job's (fanout 8, as in exec), its messages are
 * requests between the brokers as exec.pmi's are.  What is simulated is
 * the exchange and its messages, not the tasks' wire protocol (the sim
 * backend runs no processes).  Every broker must end each round with
 * every task's key and value, checked; prints the virtual time of each
 * round (a barrier) and the wall time the simulator took.
 *   bench-pmi-sim [NBROKERS [TASKS [ROUNDS]]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/future.h"
#include "exec/pmi_xchg.h"
#include "sim/cluster.h"

#define FANOUT 8 /* exec's exchange tree (exec/pmi_job.c) */

struct rank {
    struct bench *b;
    int index;
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    pmi_xchg_t *x;
    bool done;
};

struct bench {
    int nbrokers, tasks, round;
    struct rank *ranks;
    int ndone, nbad;
    double t_done;
    eddy_reactor_t *r;
};

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The value task t puts in round n: about the size of an MPICH business card. */
static void value_of (int t, int n, char *buf, size_t size)
{
    snprintf (buf, size, "description#node%d$port#%d$ifname#10.%d.%d.%d$round#%d", t / 16,
              40000 + t, (t >> 16) & 255, (t >> 8) & 255, t & 255, n);
}

static void up_cb (eddy_future_t *f, void *arg)
{
    struct rank *rk = arg;
    json_t *o, *all;

    if (eddy_rpc_get (f, &o) < 0 || json_unpack (o, "{s:o}", "kvs", &all) < 0)
        pmi_xchg_answer (rk->x, NULL, eddy_future_error_string (f));
    else
        pmi_xchg_answer (rk->x, all, NULL);
    eddy_future_destroy (f);
}

static int x_up (void *arg, int parent, int seq, json_t *kvs)
{
    struct rank *rk = arg;
    eddy_future_t *f = eddy_rpc_pack (rk->h, "pmibench.up", (uint32_t)parent, 0, "{s:i s:i s:O}",
                                      "seq", seq, "from", rk->index, "kvs", kvs);
    if (!f || eddy_future_then (f, -1, up_cb, rk) < 0) {
        eddy_future_destroy (f);
        return -1;
    }
    return 0;
}

static void x_down (void *arg, void *handle, json_t *all, const char *why)
{
    struct rank *rk = arg;
    eddy_msg_t *msg = handle;
    if (all)
        eddy_respond_pack (rk->h, msg, "{s:O}", "kvs", all);
    else
        eddy_respond_error (rk->h, msg, EIO, why);
    eddy_msg_decref (msg);
}

static void x_done (void *arg, json_t *all, const char *why)
{
    struct rank *rk = arg;
    struct bench *b = rk->b;
    char want[128];
    bool good = all && (int)json_object_size (all) == b->nbrokers * b->tasks;

    /* every task's key, with this round's value */
    for (int t = 0; good && t < b->nbrokers * b->tasks; t++) {
        char key[32];
        snprintf (key, sizeof (key), "bc-%d", t);
        value_of (t, b->round, want, sizeof (want));
        const char *v = json_string_value (json_object_get (all, key));
        good = v && !strcmp (v, want);
    }
    if (!good) {
        fprintf (stderr, "bench-pmi-sim: rank %d: %s\n", rk->index,
                 why ? why : "the exchange lacks a key or holds a wrong value");
        b->nbad++;
    }
    rk->done = true;
    b->ndone++;
    b->t_done = eddy_reactor_now (b->r);
}

static const struct pmi_xchg_ops ops = { .up = x_up, .down = x_down, .done = x_done };

static void up_req_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct rank *rk = arg;
    int seq, from;
    json_t *kvs;

    if (json_unpack (eddy_msg_payload (msg), "{s:i s:i s:o}", "seq", &seq, "from", &from, "kvs",
                     &kvs)
        < 0) {
        eddy_respond_error (h, msg, EPROTO, "expected {seq, from, kvs}");
        return;
    }
    eddy_msg_t *held = eddy_msg_incref (msg);
    if (pmi_xchg_child (rk->x, from, seq, kvs, held) < 0) {
        eddy_msg_decref (held);
        eddy_respond_error (h, msg, EPROTO, "not a child's request of this barrier");
    }
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "pmibench.up", up_req_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

int main (int argc, char **argv)
{
    struct bench b = { .nbrokers = argc > 1 ? atoi (argv[1]) : 64,
                       .tasks = argc > 2 ? atoi (argv[2]) : 16 };
    int rounds = argc > 3 ? atoi (argv[3]) : 5;
    if (b.nbrokers < 1 || b.tasks < 1 || rounds < 1) {
        fprintf (stderr, "Usage: bench-pmi-sim [NBROKERS [TASKS [ROUNDS]]]\n");
        return 2;
    }
    struct eddy_sim_cluster_params p = {
        .size = (uint32_t)b.nbrokers, .fanout = 2, .latency = 0.00005, .seed = 1,
    };
    eddy_error_t err;
    eddy_sim_cluster_t *c = eddy_sim_cluster_create (&p, &err);
    if (!c || eddy_sim_cluster_boot (c, 60) < 0) {
        fprintf (stderr, "bench-pmi-sim: boot failed\n");
        return 1;
    }
    b.r = eddy_sim_cluster_reactor (c);
    b.ranks = calloc ((size_t)b.nbrokers, sizeof (*b.ranks));
    for (int i = 0; i < b.nbrokers; i++) {
        struct rank *rk = &b.ranks[i];
        rk->b = &b;
        rk->index = i;
        rk->h = eddy_broker_handle_create (eddy_sim_cluster_broker (c, (uint32_t)i), "pmibench");
        if (!rk->h || eddy_service_register (rk->h, "pmibench") < 0
            || eddy_msg_handler_addvec (rk->h, handlers, rk, &rk->handlers) < 0
            || !(rk->x = pmi_xchg_create (i, b.nbrokers, FANOUT, &ops, rk))) {
            fprintf (stderr, "bench-pmi-sim: rank %d: setup failed\n", i);
            return 1;
        }
    }
    /* let the registrations settle */
    eddy_reactor_run (b.r, EDDY_RUN_NOWAIT);
    printf ("bench-pmi-sim: %d tasks on %d simulated brokers (%d each), exchange fanout %d, "
            "50 us per overlay hop\n",
            b.nbrokers * b.tasks, b.nbrokers, b.tasks, FANOUT);
    double wall0 = now (), vsum = 0;
    for (b.round = 0; b.round < rounds; b.round++) {
        double t0 = eddy_reactor_now (b.r), w0 = now ();
        b.ndone = 0;
        /* every broker's tasks enter the barrier at one instant */
        for (int i = 0; i < b.nbrokers; i++) {
            json_t *puts = json_object ();
            char key[32], val[128];
            for (int t = i * b.tasks; t < (i + 1) * b.tasks; t++) {
                snprintf (key, sizeof (key), "bc-%d", t);
                value_of (t, b.round, val, sizeof (val));
                json_object_set_new (puts, key, json_string (val));
            }
            b.ranks[i].done = false;
            if (pmi_xchg_local (b.ranks[i].x, puts) < 0) {
                fprintf (stderr, "bench-pmi-sim: rank %d: barrier refused\n", i);
                return 1;
            }
            json_decref (puts);
        }
        while (b.ndone < b.nbrokers)
            if (eddy_reactor_run (b.r, EDDY_RUN_ONCE) < 0 || eddy_reactor_now (b.r) - t0 > 60) {
                fprintf (stderr, "bench-pmi-sim: round %d did not end\n", b.round);
                return 1;
            }
        double v = b.t_done - t0;
        vsum += v;
        printf ("round %d: barrier + exchange of %d keys: %.3f ms virtual, %.1f ms wall\n",
                b.round, b.nbrokers * b.tasks, 1000 * v, 1000 * (now () - w0));
    }
    printf ("mean %.3f ms virtual per round; %.1f ms wall per round; %s\n", 1000 * vsum / rounds,
            1000 * (now () - wall0) / rounds, b.nbad ? "WRONG RESULTS" : "every rank had every key");
    for (int i = 0; i < b.nbrokers; i++) {
        pmi_xchg_destroy (b.ranks[i].x);
        eddy_msg_handler_delvec (b.ranks[i].handlers);
        eddy_handle_destroy (b.ranks[i].h);
    }
    free (b.ranks);
    eddy_sim_cluster_destroy (c);
    return b.nbad ? 1 : 0;
}
