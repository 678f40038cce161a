/* sim-replay.c - `eddy sim replay TRACE`: replay a Standard Workload
 * Format trace (plain or gzip) through the full stack in the simulator.
 * Deterministic results on stdout and in the output files; wall time,
 * progress and memory on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/modules.h"
#include "sched/sched.h"
#include "sim/ideal.h"
#include "sim/replay.h"
#include "traces/swf.h"

int sim_replay (int argc, char **argv);

static unsigned long parse_num (const char *opt, const char *s, unsigned long min, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul (s, &end, 10);
    if ((!errno || errno == ERANGE) && end != s && !*end && *s != '-' && v > max)
        eddy_cmd_die ("sim", "--%s: at most %lu", opt, max);
    if (errno || end == s || *end || *s == '-' || v < min || v > max)
        eddy_cmd_die ("sim", "--%s: '%s' is not an integer in %lu-%lu", opt, s, min, max);
    return v;
}

static double parse_secs (const char *opt, const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e6)
        eddy_cmd_die ("sim", "--%s: '%s' is not a number of seconds >= 0", opt, s);
    return v;
}

static eddy_swf_t *load_trace (const char *path)
{
    gzFile gz = gzopen (path, "rb"); /* reads plain files too */
    eddy_swf_t *swf = eddy_swf_create ();
    char buf[8192];
    eddy_error_t err;

    if (!gz)
        eddy_cmd_die ("sim", "replay: %s: %s", path, strerror (errno ? errno : ENOENT));
    if (!swf)
        eddy_cmd_die ("sim", "out of memory");
    while (gzgets (gz, buf, sizeof (buf))) {
        size_t len = strlen (buf);
        if (len == sizeof (buf) - 1 && buf[len - 1] != '\n')
            eddy_cmd_die ("sim", "replay: %s: line %zu is too long", path, eddy_swf_lines (swf) + 1);
        if (eddy_swf_feed (swf, buf, len, &err) < 0)
            eddy_cmd_die ("sim", "replay: %s: %s", path, err.text);
    }
    int zerr;
    const char *zmsg = gzerror (gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        eddy_cmd_die ("sim", "replay: %s: %s", path, zmsg);
    gzclose (gz);
    return swf;
}

struct progress {
    bool tty;
    double w0, last;
};

static void progress_cb (double vtime, size_t done, size_t total, void *arg)
{
    struct progress *pg = arg;
    double now = client_monotime ();
    if (!pg->tty || now - pg->last < 1.0)
        return;
    pg->last = now;
    double rate = done / (now - pg->w0);
    fprintf (stderr, "\rvirtual %.0f s, %zu/%zu jobs, %.0f jobs/s, ETA %.0f s   ", vtime, done,
             total, rate, rate > 0 ? (total - done) / rate : 0);
}

/* Seconds as text: no trailing zeros, so integral trace times stay integral. */
static void fmt_time (char *buf, size_t len, double t)
{
    snprintf (buf, len, "%.6f", t);
    char *p = buf + strlen (buf) - 1;
    while (p > buf && *p == '0')
        *p-- = '\0';
    if (*p == '.')
        *p = '\0';
}

int sim_replay (int argc, char **argv)
{
    static const struct option opts[] = {
        { "policy", required_argument, NULL, 'p' },
        { "nodes", required_argument, NULL, 'N' },
        { "cores-per-node", required_argument, NULL, 'c' },
        { "fanout", required_argument, NULL, 'f' },
        { "latency", required_argument, NULL, 'l' },
        { "jitter", required_argument, NULL, 'j' },
        { "seed", required_argument, NULL, 'S' },
        { "jobs-out", required_argument, NULL, 'J' },
        { "summary-out", required_argument, NULL, 'O' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct eddy_replay_params p = { .policy = "fcfs", .fanout = 2, .latency = 50e-6, .seed = 1,
                                    .modules = eddy_builtin_modules };
    const char *jobs_out = NULL, *summary_out = NULL;
    unsigned long nodes = 0, cpn = 0;
    int c;

    optind = 1;
    while ((c = getopt_long (argc, argv, "p:N:c:f:l:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (strcmp (optarg, "fcfs") && strcmp (optarg, "easy") && strcmp (optarg, "conservative"))
                eddy_cmd_die ("sim", "--policy: '%s' is not fcfs, easy or conservative", optarg);
            p.policy = optarg;
            break;
        case 'N': /* one virtual broker each, up to what a resource set holds */
            nodes = parse_num ("nodes", optarg, 1, EDDY_RESOURCE_NODES_MAX);
            break;
        case 'c':
            cpn = parse_num ("cores-per-node", optarg, 1, EDDY_RESOURCE_CORES_MAX);
            break;
        case 'f':
            p.fanout = (int)parse_num ("fanout", optarg, 0, 1000000);
            break;
        case 'l':
            p.latency = parse_secs ("latency", optarg);
            break;
        case 'j':
            p.jitter = parse_secs ("jitter", optarg);
            break;
        case 'S':
            p.seed = strtoull (optarg, NULL, 10);
            break;
        case 'J':
            jobs_out = optarg;
            break;
        case 'O':
            summary_out = optarg;
            break;
        case 'h':
            printf ("Usage: eddy sim replay TRACE [--policy fcfs|easy] [--nodes N]\n"
                    "         [--cores-per-node C] [--fanout K] [--latency S] [--seed S]\n"
                    "         [--jobs-out FILE.csv] [--summary-out FILE.json]\n"
                    "Replay an SWF trace (plain or .gz) through the full stack in the\n"
                    "simulator.  Nodes and cores per node default from the trace header\n"
                    "(MaxNodes, MaxProcs).\n");
            exit (0);
        default:
            eddy_cmd_usage (eddy_cmd_lookup ("sim"), true);
        }
    }
    if (optind != argc - 1)
        eddy_cmd_die ("sim", "replay: exactly one TRACE file is required");
    const char *path = argv[optind];
    double w0 = client_monotime ();
    eddy_swf_t *swf = load_trace (path);

    /* the machine: P processors mapped onto nodes x cores */
    int64_t maxprocs = eddy_swf_max_procs (swf), maxnodes = eddy_swf_max_nodes (swf);
    if (!cpn)
        cpn = (maxnodes > 0 && maxprocs >= maxnodes) ? (unsigned long)(maxprocs / maxnodes) : 1;
    if (!nodes) {
        if (maxprocs <= 0)
            eddy_cmd_die ("sim", "replay: %s has no MaxProcs header: give --nodes and "
                                 "--cores-per-node", path);
        nodes = (unsigned long)((maxprocs + cpn - 1) / cpn);
    }
    if (nodes > EDDY_RESOURCE_NODES_MAX || cpn > EDDY_RESOURCE_CORES_MAX)
        eddy_cmd_die ("sim", "replay: %s: MaxProcs and MaxNodes make %lu nodes x %lu cores; at most "
                             "%u nodes x %d cores (give --nodes and --cores-per-node)", path, nodes, cpn,
                      EDDY_RESOURCE_NODES_MAX, EDDY_RESOURCE_CORES_MAX);
    int64_t P = (int64_t)nodes * cpn;
    eddy_error_t err;
    if (eddy_swf_finish (swf, P, &err) < 0)
        eddy_cmd_die ("sim", "replay: %s: %s", path, err.text);
    size_t n;
    const struct eddy_swf_job *sj = eddy_swf_jobs (swf, &n);
    struct eddy_ideal_job *jobs = xcalloc (n ? n : 1, sizeof (*jobs));
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct eddy_ideal_job){ .id = sj[i].id, .submit = sj[i].submit,
                                           .run = sj[i].run, .procs = (int)sj[i].procs,
                                           .req = sj[i].req };
    p.nodes = nodes;
    p.cores_per_node = cpn;
    struct progress pg = { .tty = isatty (STDERR_FILENO), .w0 = w0 };
    p.progress = progress_cb;
    p.progress_arg = &pg;

    struct eddy_ideal_result *res = xcalloc (n ? n : 1, sizeof (*res));
    struct eddy_replay_stats st = { 0 };
    if (eddy_replay_run (&p, jobs, n, res, &st, &err) < 0)
        eddy_cmd_die ("sim", "replay: %s", err.text);
    if (pg.tty)
        fputc ('\n', stderr);
    double wall = client_monotime () - w0;

    /* metrics over the jobs that ran */
    struct eddy_ideal_result *ran = xcalloc (n ? n : 1, sizeof (*ran));
    size_t nran = 0;
    for (size_t i = 0; i < n; i++)
        if (res[i].start >= 0 && res[i].end >= 0)
            ran[nran++] = res[i];
    struct eddy_ideal_metrics m;
    eddy_ideal_metrics (ran, nran, P, &m);

    json_t *skipped = json_pack ("{s:I s:I s:I s:I s:I}", "procs_le_0",
                                 (json_int_t)eddy_swf_skipped (swf, EDDY_SWF_SKIP_NO_PROCS),
                                 "procs_gt_P", (json_int_t)eddy_swf_skipped (swf, EDDY_SWF_SKIP_TOO_BIG),
                                 "run_lt_0", (json_int_t)eddy_swf_skipped (swf, EDDY_SWF_SKIP_NO_RUN),
                                 "denied", (json_int_t)st.denied, "refused", (json_int_t)st.failed);
    json_t *summary = json_pack (
        "{s:s s:s s:i s:i s:I s:I s:o s:f s:f s:f s:f s:f s:f s:f s:f s:I s:I}", "trace", path,
        "policy", p.policy, "nodes", (int)nodes, "cores_per_node", (int)cpn, "procs", (json_int_t)P,
        "jobs", (json_int_t)nran, "skipped", skipped, "mean_wait", m.avg_wait, "mean_response",
        m.avg_response, "mean_bsld", m.avg_bsld, "max_wait", m.max_wait, "makespan", m.makespan,
        "utilization", m.utilization, "virtual_seconds", st.virtual_seconds, "wall_seconds", wall,
        "events", (json_int_t)st.events, "messages", (json_int_t)st.messages);
    if (!summary)
        eddy_cmd_die ("sim", "out of memory");

    if (jobs_out) {
        FILE *f = fopen (jobs_out, "w");
        if (!f)
            eddy_cmd_die ("sim", "replay: %s: %s", jobs_out, strerror (errno));
        fprintf (f, "job_id,submit,start,end,procs\n");
        for (size_t i = 0; i < n; i++) {
            char a[64], b[64], c2[64];
            fmt_time (a, sizeof (a), res[i].submit);
            if (res[i].start >= 0) {
                fmt_time (b, sizeof (b), res[i].start);
                fmt_time (c2, sizeof (c2), res[i].end);
            }
            else
                b[0] = c2[0] = '\0';
            fprintf (f, "%" PRId64 ",%s,%s,%s,%d\n", res[i].id, a, b, c2, res[i].procs);
        }
        if (fclose (f) != 0)
            eddy_cmd_die ("sim", "replay: %s: %s", jobs_out, strerror (errno));
    }
    if (summary_out && json_dump_file (summary, summary_out, JSON_INDENT (2) | JSON_SORT_KEYS) < 0)
        eddy_cmd_die ("sim", "replay: cannot write %s", summary_out);

    /* stdout: everything but the wall clock, so one seed prints the same bytes */
    printf ("replay %s: policy %s, %lu nodes x %lu cores (P = %" PRId64 "), latency %g s, seed %" PRIu64 "\n",
            path, p.policy, nodes, cpn, P, p.latency, p.seed);
    printf ("jobs %zu, skipped: procs<=0 %zu, procs>P %zu, run<0 %zu, denied %zu\n", nran,
            eddy_swf_skipped (swf, EDDY_SWF_SKIP_NO_PROCS), eddy_swf_skipped (swf, EDDY_SWF_SKIP_TOO_BIG),
            eddy_swf_skipped (swf, EDDY_SWF_SKIP_NO_RUN), st.denied);
    printf ("mean wait %.2f s, max wait %.0f s, mean response %.2f s, mean bsld %.3f\n", m.avg_wait,
            m.max_wait, m.avg_response, m.avg_bsld);
    printf ("makespan %.0f s, utilization %.4f, virtual %.0f s, events %" PRIu64 "\n", m.makespan,
            m.utilization, st.virtual_seconds, st.events);
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    fprintf (stderr, "wall %.2f s, %.0f jobs/s, peak RSS %ld MiB\n", wall, nran / (wall > 0 ? wall : 1e-9),
             ru.ru_maxrss / 1024);
    json_decref (summary);
    free (ran);
    free (res);
    free (jobs);
    eddy_swf_destroy (swf);
    return 0;
}
