/* cmd-sim.c - `eddy sim`: run eddy inside the discrete-event simulator.
 *
 *   eddy sim boot --size N [--fanout K] [--latency S] [--jitter S] [--seed S]
 *
 * Deterministic results go to stdout; wall time and memory to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "engine/broker/topology.h"
#include "engine/future.h"
#include "sim/cluster.h"
#include "sim/des.h"

static int sim_run (int argc, char **argv);
int sim_replay (int argc, char **argv);
int sim_generate (int argc, char **argv);
int sim_compare (int argc, char **argv);
int sim_feed (int argc, char **argv);
int sim_hierarchy (int argc, char **argv);
int sim_scenario (int argc, char **argv);

const struct eddy_cmd cmd_sim = {
    .name = "sim",
    .usage = "eddy sim boot|replay|generate|compare|hierarchy|run [OPTIONS]",
    .summary = "Run eddy in the discrete-event simulator.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("boot", "boot: boot a virtual instance of N brokers in one process, ping the\n"
                              "deepest rank from rank 0, publish an event and check that every rank\n"
                              "received it.\n"),
        EDDY_OPT_ARG ("size", 's', "N", "number of virtual brokers (required)"),
        EDDY_OPT_ARG ("fanout", 'f', "K", "tree fanout, 0 = flat (default 2)"),
        EDDY_OPT_ARG ("latency", 'l', "S", "per-hop link latency in seconds (default 0.00005)"),
        EDDY_OPT_ARG ("jitter", 'j', "S", "extra uniform per-hop delay in [0, S) (default 0)"),
        EDDY_OPT_LARG ("seed", 'S', "S", "random seed (default 1)"),
        EDDY_OPT_SUB ("replay", "replay TRACE: replay an SWF trace through the full stack (eddy sim replay --help).\n"),
        EDDY_OPT_SUB ("generate", "generate: write a synthetic SWF workload (docs/simulator.md).\n"),
        EDDY_OPT_ARG ("model", 'm', "M", "lublin (batch and interactive, the default) or lublin-typeless: Lublin and Feitelson 2003"),
        EDDY_OPT_ARG ("resample", 'r', "TRACE", "a bootstrap of TRACE's jobs at its arrival times"),
        EDDY_OPT_ARG ("procs", 'p', "P", "machine size (required for a model; for a resample, default the trace's MaxProcs)"),
        EDDY_OPT_ARG ("jobs", 'n', "N", "number of jobs (required)"),
        EDDY_OPT_LARG ("seed", 'S', "S", "random seed (default 1)"),
        EDDY_OPT_LARG ("load-factor", 'L', "F", "arrivals F times as dense (default 1)"),
        EDDY_OPT_LARG ("estimate-factor", 'E', "F", "model: requested time = run x F (default 1)"),
        EDDY_OPT_LARG ("start-hour", 'H', "H", "model: hour of the day at time 0 (default 0)"),
        EDDY_OPT_ARG ("output", 'o', "FILE", "write there (default stdout)"),
        EDDY_OPT_SUB ("compare", "compare TRACE...: a grid of replays and a report (docs/simulator.md).\n"),
        EDDY_OPT_ARG ("trace", 't', "FILE", "a trace (repeatable; or as arguments)"),
        EDDY_OPT_ARG ("policy", 'p', "P,...", "policies (default fcfs,easy,conservative; PATH.so too)"),
        EDDY_OPT_ARG ("seed", 's', "S,...", "seeds (default 1)"),
        EDDY_OPT_ARG ("machine", 'm', "M,...", "NODESxCORES or an R file (default: from the trace)"),
        EDDY_OPT_ARG ("faults", 'f', "SPEC", "a fault setting: none, or replay --fault items KIND:RANK@T, file=FAULTS.csv, mtbf=S, mttr=S and requeue, separated by commas (repeatable)"),
        EDDY_OPT_ARG ("jobs", 'n', "N", "the first N jobs of each trace"),
        EDDY_OPT_ARG ("replay-arg", 'a', "ARG", "another option for every replay (repeatable)"),
        EDDY_OPT_ARG ("parallel", 'j', "N", "replays at once (default: the CPUs)"),
        EDDY_OPT_LFLAG ("local", 'L', "run here even when EDDY_URI names an instance"),
        EDDY_OPT_ARG ("output", 'o', "DIR", "new or empty directory for runs/, combined.csv, combined.json and index.html (required)"),
        EDDY_OPT_SUB (NULL, "hierarchy: the same jobs through one flat instance and through nested\n"
                            "instances (eddy sim hierarchy --help).\n"
                            "run SCENARIO.toml [--json FILE]: a virtual instance, a workload, timed\n"
                            "events and checks at virtual times; exits 1 if a check fails\n"
                            "(eddy sim run --help).\n"),
        EDDY_OPT_END,
    },
    .run = sim_run,
};

static long peak_rss_kb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double parse_seconds (const char *opt, const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e6)
        eddy_cmd_die ("sim", "--%s: '%s' is not a duration in seconds >= 0", opt, s);
    return v;
}

static unsigned long long parse_uint (const char *opt, const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        eddy_cmd_die ("sim", "--%s: '%s' is not an integer in 0-%llu", opt, s, max);
    return v;
}

static int boot (int argc, char **argv)
{
    struct eddy_sim_cluster_params p = { .size = 0, .fanout = 2, .latency = 50e-6, .seed = 1 };
    eddy_error_t err;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim, "boot", 0, argc, argv)) != -1) {
        switch (c) {
        case 's':
            p.size = parse_uint ("size", optarg, 10000000);
            break;
        case 'f':
            p.fanout = parse_uint ("fanout", optarg, 1000000);
            break;
        case 'l':
            p.latency = parse_seconds ("latency", optarg);
            break;
        case 'j':
            p.jitter = parse_seconds ("jitter", optarg);
            break;
        case 'S':
            p.seed = parse_uint ("seed", optarg, UINT64_MAX);
            break;
        default:
            eddy_cmd_unhandled (&cmd_sim, c);
        }
    }
    if (optind != argc)
        eddy_cmd_die ("sim", "boot: unexpected argument '%s'", argv[optind]);
    if (p.size == 0)
        eddy_cmd_die ("sim", "boot: --size N (N >= 1) is required");

    double w0 = client_monotime ();
    eddy_sim_cluster_t *cl = eddy_sim_cluster_create (&p, &err);
    if (!cl)
        eddy_cmd_die ("sim", "%s", err.text);
    eddy_reactor_t *r = eddy_sim_cluster_reactor (cl);
    printf ("sim boot: %u ranks, fanout %d, latency %.6f s, jitter %.6f s, seed %" PRIu64 "\n",
            p.size, p.fanout, p.latency, p.jitter, p.seed);

    if (eddy_sim_cluster_boot (cl, 3600.0) < 0)
        eddy_cmd_die ("sim", "boot: only %u of %u ranks reached run",
                      eddy_sim_cluster_count_state (cl, EDDY_STATE_RUN), p.size);
    double w_boot = client_monotime () - w0;
    printf ("boot: %u ranks in run at virtual time %.6f s\n", p.size, eddy_reactor_now (r));

    eddy_handle_t *h = eddy_broker_handle_create (eddy_sim_cluster_broker (cl, 0), "sim-boot");
    if (!h)
        eddy_cmd_die ("sim", "cannot attach to rank 0");
    uint32_t deepest = eddy_topo_deepest (p.size, p.fanout);
    double t0 = eddy_reactor_now (r);
    eddy_future_t *f = eddy_rpc_pack (h, "broker.ping", deepest, 0, "{s:i}", "seq", 1);
    int hops = 0, prank = -1;
    if (!f || eddy_sim_cluster_run_until_ready (cl, f, 60.0) < 0
        || eddy_rpc_get_unpack (f, "{s:i s:i}", "rank", &prank, "hops", &hops) < 0)
        eddy_cmd_die ("sim", "ping rank %u: %s", deepest,
                      f ? eddy_future_error_string (f) : "cannot send");
    printf ("ping: rank 0 -> rank %d (%d hops): round trip %.6f s virtual\n", prank, hops,
            eddy_reactor_now (r) - t0);
    eddy_future_destroy (f);

    t0 = eddy_reactor_now (r);
    int seq = 0;
    f = eddy_rpc_pack (h, "event.pub", EDDY_NODEID_ANY, 0, "{s:s}", "topic", "sim.boot");
    if (!f || eddy_sim_cluster_run_until_ready (cl, f, 60.0) < 0
        || eddy_rpc_get_unpack (f, "{s:i}", "seq", &seq) < 0)
        eddy_cmd_die ("sim", "event publish failed");
    eddy_future_destroy (f);
    int rc = eddy_sim_cluster_run_until_event (cl, seq, 60.0);
    uint32_t got = eddy_sim_cluster_count_event (cl, seq);
    printf ("event: seq %d reached %u/%u ranks in %.6f s virtual\n", seq, got, p.size,
            eddy_reactor_now (r) - t0);
    eddy_handle_destroy (h);

    uint64_t delivered = eddy_simnet_delivered (eddy_sim_cluster_net (cl));
    double w_total = client_monotime () - w0;
    printf ("messages delivered: %" PRIu64 "\n", delivered);
    printf ("virtual time: %.6f s\n", eddy_reactor_now (r));
    long rss = peak_rss_kb ();
    fprintf (stderr, "wall time: boot %.3f s, total %.3f s; %.0f messages/s; %" PRIu64 " events\n",
             w_boot, w_total, delivered / (w_total > 0 ? w_total : 1e-9), eddy_sim_events (r));
    fprintf (stderr, "peak RSS: %ld KiB (%.1f KiB per rank)\n", rss, (double)rss / p.size);
    /* the process ends here: the cluster is not freed broker by broker,
     * which for a million of them is a fifth of the run (their objects
     * are all over the heap); exit gives the memory back at once */
    (void)cl;
    if (rc < 0 || got != p.size) {
        eddy_cmd_error ("sim", "event reached only %u of %u ranks", got, p.size);
        return 1;
    }
    return 0;
}

static int sim_run (int argc, char **argv)
{
    int first = eddy_opt_operands (&cmd_sim, NULL, argc, argv);
    if (first >= argc)
        eddy_cmd_usage_error (
            &cmd_sim, NULL,
            "needs a subcommand: boot, replay, generate, compare, hierarchy, "
            "run");
    argc -= first - 1;
    argv += first - 1;
    if (!strcmp (argv[1], "boot"))
        return boot (argc - 1, argv + 1);
    if (!strcmp (argv[1], "replay"))
        return sim_replay (argc - 1, argv + 1);
    if (!strcmp (argv[1], "generate"))
        return sim_generate (argc - 1, argv + 1);
    if (!strcmp (argv[1], "compare"))
        return sim_compare (argc - 1, argv + 1);
    if (!strcmp (argv[1], "feed")) /* eddy sim replay --real's, inside the instance */
        return sim_feed (argc - 1, argv + 1);
    if (!strcmp (argv[1], "hierarchy"))
        return sim_hierarchy (argc - 1, argv + 1);
    if (!strcmp (argv[1], "run"))
        return sim_scenario (argc - 1, argv + 1);
    eddy_cmd_die ("sim", "unknown subcommand '%s' (try: boot, replay, generate, compare, hierarchy, run)",
                  argv[1]);
}
