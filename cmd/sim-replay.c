/* sim-replay.c - `eddy sim replay TRACE`: replay a Standard Workload
 * Format trace (plain or gzip) through the full stack in the simulator.
 * Deterministic results on stdout and in the output files (cmd/replay-out.h;
 * only the summary's wall_seconds varies); wall time, progress and memory
 * on stderr.  SIGINT or SIGTERM stops the replay between two events: the
 * outputs are written for what was done, then the exit status is 128 +
 * the signal.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
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
#include "cmd/replay-out.h"
#include "cmd/sim-faults.h"
#include "cmd/sim-real.h"
#include "sched/policy.h"
#include "sched/sched.h"
#include "sim/ideal.h"
#include "sim/replay.h"
#include "sched/rlist.h"
#include "traces/jsonl.h"
#include "traces/swf.h"
#include "cmd/sim-fairshare.h"

int sim_replay (int argc, char **argv);

/* The stop request of a signal handler (cmd/ only: the engine and sim/
 * keep no mutable globals; the driver reads it through params.stop).
 */
static volatile sig_atomic_t stop_signal;

static void stop_handler (int signum)
{
    stop_signal = signum;
}

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

/* A finite number; positive (> 0) if asked. */
static double parse_real (const char *opt, const char *s, bool positive)
{
    char *end;
    errno = 0;
    double v = strtod (s, &end);
    if (errno || end == s || *end || !isfinite (v) || (positive && !(v > 0)))
        eddy_cmd_die ("sim", "--%s: '%s' is not a %snumber", opt, s, positive ? "positive " : "");
    return v;
}

static uint64_t parse_seed (const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > INT64_MAX)
        eddy_cmd_die ("sim", "--seed: '%s' is not an integer in 0-%" PRId64, s, INT64_MAX);
    return v;
}

/* sha256 of the trace's bytes as stored (gzipped or not), in hex. */
static void trace_sha256 (const char *path, char hex[2 * crypto_hash_sha256_BYTES + 1])
{
    unsigned char buf[65536], h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    FILE *f = fopen (path, "rb");
    size_t len;

    if (!f)
        eddy_cmd_die ("sim", "replay: %s: %s", path, strerror (errno));
    crypto_hash_sha256_init (&st);
    while ((len = fread (buf, 1, sizeof (buf), f)) > 0)
        crypto_hash_sha256_update (&st, buf, len);
    if (ferror (f))
        eddy_cmd_die ("sim", "replay: %s: %s", path, strerror (errno));
    fclose (f);
    crypto_hash_sha256_final (&st, h);
    sodium_bin2hex (hex, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof (h));
}

/* Read an SWF trace (plain or gzip); max_jobs > 0 stops after that many
 * job lines; errors exit, as "eddy-sim: WHAT: PATH: ..." (cmd/replay-out.h). */
eddy_swf_t *replay_load_swf (const char *what, const char *path, unsigned long max_jobs)
{
    gzFile gz = gzopen (path, "rb"); /* reads plain files too */
    eddy_swf_t *swf = eddy_swf_create ();
    char buf[8192];
    eddy_error_t err;

    if (!gz)
        eddy_cmd_die ("sim", "%s: %s: %s", what, path, strerror (errno ? errno : ENOENT));
    if (!swf)
        eddy_cmd_die ("sim", "out of memory");
    while (gzgets (gz, buf, sizeof (buf))) {
        size_t len = strlen (buf);
        if (len == sizeof (buf) - 1 && buf[len - 1] != '\n')
            eddy_cmd_die ("sim", "%s: %s: line %zu is too long", what, path, eddy_swf_lines (swf) + 1);
        if (eddy_swf_feed (swf, buf, len, &err) < 0)
            eddy_cmd_die ("sim", "%s: %s: %s", what, path, err.text);
        if (max_jobs && eddy_swf_lines (swf) >= max_jobs)
            break;
    }
    int zerr;
    const char *zmsg = gzerror (gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        eddy_cmd_die ("sim", "%s: %s: %s", what, path, zmsg);
    gzclose (gz);
    return swf;
}

/* Read a JSONL workload (plain or gzip); max_jobs as for load_trace. */
static eddy_jsonl_t *load_jsonl (const char *path, unsigned long max_jobs)
{
    gzFile gz = gzopen (path, "rb");
    eddy_jsonl_t *w = eddy_jsonl_create ();
    size_t size = 1 << 20;
    char *buf = xcalloc (size, 1);
    eddy_error_t err;
    size_t njobs;

    if (!gz)
        eddy_cmd_die ("sim", "replay: %s: %s", path, strerror (errno ? errno : ENOENT));
    if (!w)
        eddy_cmd_die ("sim", "out of memory");
    while (gzgets (gz, buf, (int)size)) {
        size_t len = strlen (buf);
        if (len == size - 1 && buf[len - 1] != '\n')
            eddy_cmd_die ("sim", "replay: %s: line %zu is longer than %zu bytes", path,
                          eddy_jsonl_lines (w) + 1, size - 2);
        if (eddy_jsonl_feed (w, buf, len, &err) < 0)
            eddy_cmd_die ("sim", "replay: %s: %s", path, err.text);
        eddy_jsonl_jobs (w, &njobs);
        if (max_jobs && njobs >= max_jobs)
            break;
    }
    int zerr;
    const char *zmsg = gzerror (gz, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END)
        eddy_cmd_die ("sim", "replay: %s: %s", path, zmsg);
    gzclose (gz);
    free (buf);
    return w;
}

/* True if path names a JSONL workload by its extension. */
static bool is_jsonl_path (const char *path)
{
    size_t len = strlen (path);
    return (len > 6 && !strcmp (path + len - 6, ".jsonl"))
           || (len > 9 && !strcmp (path + len - 9, ".jsonl.gz"));
}

/* The machine of --machine: an R object whose ranks are 0..N-1 (one
 * broker each).  Sets *nodes, *cores and *gpus.
 */
static json_t *load_machine (const char *path, unsigned long *nodes, int64_t *cores,
                             int64_t *gpus)
{
    json_error_t jerr;
    eddy_error_t err;
    json_t *R = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    eddy_rlist_t *rl;
    char *ranks, want[64];

    if (!R)
        eddy_cmd_die ("sim", "replay: --machine %s: %s (line %d)", path, jerr.text, jerr.line);
    if (!(rl = eddy_rlist_from_json (R, 0, &err)))
        eddy_cmd_die ("sim", "replay: --machine %s: %s", path, err.text);
    size_t n = eddy_rlist_count (rl, EDDY_RLIST_RANKS);
    if (n == 0 || eddy_rlist_count (rl, EDDY_RLIST_CORES) == 0)
        eddy_cmd_die ("sim", "replay: --machine %s: R has no cores", path);
    if (n == 1)
        snprintf (want, sizeof (want), "0");
    else
        snprintf (want, sizeof (want), "0-%zu", n - 1);
    if (!(ranks = eddy_rlist_ranks (rl)))
        eddy_cmd_die ("sim", "out of memory");
    if (strcmp (ranks, want))
        eddy_cmd_die ("sim", "replay: --machine %s: ranks %s: they must be 0-%zu, one broker each",
                      path, ranks, n - 1);
    free (ranks);
    *nodes = n;
    *cores = (int64_t)eddy_rlist_count (rl, EDDY_RLIST_CORES);
    *gpus = (int64_t)eddy_rlist_count (rl, EDDY_RLIST_GPUS);
    eddy_rlist_destroy (rl);
    return R;
}

/* The progress line: rewritten in place on a terminal, one line each on
 * anything else (--progress), at most once a second.
 */
enum progress_mode { PROGRESS_OFF, PROGRESS_TTY, PROGRESS_LINES };

struct progress {
    enum progress_mode mode;
    double w0, last;
    bool shown;
};

static void progress_cb (double vtime, size_t done, size_t total, void *arg)
{
    struct progress *pg = arg;
    if (pg->mode == PROGRESS_OFF)
        return;
    double now = client_monotime ();
    if (now - pg->last < 1.0)
        return;
    pg->last = now;
    double rate = now > pg->w0 ? done / (now - pg->w0) : 0;
    char eta[32] = "?";
    if (rate > 0)
        snprintf (eta, sizeof (eta), "%.0f s", (total - done) / rate);
    fprintf (stderr, "%svirtual %.0f s, %zu/%zu jobs done, %.0f jobs/s, ETA %s%s",
             pg->mode == PROGRESS_TTY ? "\r" : "", vtime, done, total, rate, eta,
             pg->mode == PROGRESS_TTY ? "   " : "\n");
    pg->shown = true;
}

static FILE *open_out (const char *opt, const char *path)
{
    FILE *f;
    if (!path)
        return NULL;
    if (!(f = fopen (path, "w")))
        eddy_cmd_die ("sim", "replay: --%s %s: %s", opt, path, strerror (errno));
    return f;
}

static void close_out (const char *path, FILE *f, int rc)
{
    if (!f)
        return;
    if (rc < 0 || ferror (f) | (fclose (f) != 0))
        eddy_cmd_die ("sim", "replay: cannot write %s: %s", path, strerror (errno ? errno : EIO));
}

enum {
    OPT_SERIES_OUT = 256,
    OPT_SERIES_STEP,
    OPT_SWF_OUT,
    OPT_CAP_RUNTIME,
    OPT_JOBS,
    OPT_FROM,
    OPT_TO,
    OPT_LOAD_FACTOR,
    OPT_PROGRESS,
    OPT_QUIET,
    OPT_FORMAT,
    OPT_MACHINE,
    OPT_FAULT,
    OPT_REAL,
    OPT_SPEEDUP,
    OPT_REAL_TIE,
    OPT_REAL_JOBS_OUT,
    OPT_FAULTS,
    OPT_MTBF,
    OPT_MTTR,
    OPT_REQUEUE,
    OPT_PRIORITY,
    OPT_ACCOUNTS,
};

/* eddy sim replay's own usage and options (eddy sim --help points here) */
static const struct eddy_cmd cmd_sim_replay = {
    .name = "sim",
    .usage = "eddy sim replay TRACE [OPTIONS]",
    .summary = "Replay an SWF trace or a JSONL jobspec workload (plain or .gz) through the\n"
               "full stack in the simulator.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Machine and model:\n"),
        EDDY_OPT_LARG ("format", OPT_FORMAT, "swf|jsonl", "the workload's format (default: jsonl for a name ending in .jsonl or .jsonl.gz, else swf)"),
        EDDY_OPT_LARG ("machine", OPT_MACHINE, "FILE", "the machine as an R file (eddy R encode): one node per rank, cores and GPUs as written"),
        EDDY_OPT_ARG ("policy", 'p', "fcfs|easy|conservative|PATH.so", "scheduling policy (default fcfs)"),
        EDDY_OPT_LARG ("priority", OPT_PRIORITY, "urgency|multifactor", "the job manager's priority plugin (default urgency); multifactor: each trace user submits as its own userid, fair share from the replay's archive"),
        EDDY_OPT_LARG ("accounts", OPT_ACCOUNTS, "FILE", "banks and users for multifactor: lines 'bank NAME SHARES [PARENT]', 'user SWF-USER BANK [SHARES]' (default: a bank per SWF group, 1 share each)"),
        EDDY_OPT_ARG ("nodes", 'N', "N", "brokers, one per node (default: from MaxProcs; a JSONL workload needs --machine or --nodes)"),
        EDDY_OPT_ARG ("cores-per-node", 'c', "C", "(default: MaxProcs / MaxNodes of the header, else 1)"),
        EDDY_OPT_ARG ("fanout", 'f', "K", "tree overlay fanout, 0 = flat (default 2)"),
        EDDY_OPT_ARG ("latency", 'l', "S", "seconds per overlay hop (default 5e-05)"),
        EDDY_OPT_ARG ("jitter", 'j', "S", "uniform extra delay per hop, seconds (default 0)"),
        EDDY_OPT_LARG ("seed", 'S', "N", "seed of the model's randomness (default 1)"),
        EDDY_OPT_TEXT ("Workload (applied in this order):\n"),
        EDDY_OPT_LARG ("jobs", OPT_JOBS, "N", "read only the first N job lines of the trace"),
        EDDY_OPT_LARG ("from", OPT_FROM, "T", "keep the jobs submitted in [from, to) (trace seconds)"),
        EDDY_OPT_LARG ("to", OPT_TO, "T", ""),
        EDDY_OPT_LARG ("load-factor", OPT_LOAD_FACTOR, "F", "F > 0: compress arrivals by F, submit' = first + (submit - first) / F, first = the earliest kept submit"),
        EDDY_OPT_LFLAG ("cap-runtime", OPT_CAP_RUNTIME, "kill a job at its requested time: it runs min (run, req); status timeout if capped"),
        EDDY_OPT_LARG ("fault", OPT_FAULT, "KIND:RANK@T", "at trace time T, kill RANK (silent, its links drop: lost at once, as after kill -9), cut its link to its parent (lost at the keepalive timeout) or heal a cut link (the rank rejoins), or restart a killed rank (a new broker boots and rejoins); KIND kill, cut, heal, restart; repeatable.  Its jobs end killed (node-failure); brokers then keep alive"),
        EDDY_OPT_LARG ("faults", OPT_FAULTS, "FILE", "CSV time,nodes,event,reason: nodes an idset of ranks or a hostlist of --machine's nodes, event down (kill), up (restart), drain or undrain (resource.drain)"),
        EDDY_OPT_LARG ("mtbf", OPT_MTBF, "S", "each rank but 0 fails after exponential times of mean S (seeded by --seed) and comes up after a repair of mean S, over the workload's submit span"),
        EDDY_OPT_LARG ("mttr", OPT_MTTR, "S", ""),
        EDDY_OPT_LFLAG ("requeue", OPT_REQUEUE, "a job killed by a failure is submitted again when it ends and runs its whole run time again"),
        EDDY_OPT_TEXT ("Sim and real side by side:\n"),
        EDDY_OPT_LFLAG ("real", OPT_REAL, "also run the workload on a real instance here (one broker per node, test exec, X trace seconds per real second, fed from inside the broker) and compare the schedules: start order of pairs, start differences, mean waits (summary: \"real\")"),
        EDDY_OPT_LARG ("speedup", OPT_SPEEDUP, "X", ""),
        EDDY_OPT_LARG ("real-tie", OPT_REAL_TIE, "S", "starts within S trace seconds are one instant (default 0.01 x speedup: 10 ms real)"),
        EDDY_OPT_LARG ("real-jobs-out", OPT_REAL_JOBS_OUT, "FILE", "CSV job_id,submit,sim_start,real_start,real_end"),
        EDDY_OPT_TEXT ("Outputs (every one deterministic but the summary's wall_seconds):\n"),
        EDDY_OPT_LARG ("jobs-out", 'J', "FILE", "per-job CSV: job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld"),
        EDDY_OPT_LARG ("series-out", OPT_SERIES_OUT, "FILE", "CSV time,busy_procs,utilization,queued_jobs,queued_procs,running_jobs: a row per change"),
        EDDY_OPT_LARG ("series-step", OPT_SERIES_STEP, "S", "...or a row per multiple of S seconds"),
        EDDY_OPT_LARG ("swf-out", OPT_SWF_OUT, "FILE", "the simulated schedule in SWF 2.2"),
        EDDY_OPT_LARG ("summary-out", 'O', "FILE", "summary JSON (metrics, percentiles, size classes, inputs with the trace's sha256, complete)"),
        EDDY_OPT_LFLAG ("progress", OPT_PROGRESS, "progress line on stderr even when not a terminal"),
        EDDY_OPT_LFLAG ("quiet", OPT_QUIET, "no progress line, no wall/RSS line"),
        EDDY_OPT_TEXT ("\n"),
        EDDY_OPT_TEXT ("Nodes and cores per node default from the trace header (MaxNodes,\n"
                       "MaxProcs).  SIGINT or SIGTERM stops the replay: every output is written\n"
                       "for what was done (jobs not ended: status running, queued or unsubmitted;\n"
                       "the summary says complete: false), then the exit status is 130 or 143.\n"),
        EDDY_OPT_END,
    },
};

int sim_replay (int argc, char **argv)
{
    struct eddy_replay_params p = { .policy = "fcfs", .fanout = 2, .latency = 50e-6, .seed = 1,
                                    .modules = eddy_builtin_modules };
    const char *jobs_out = NULL, *summary_out = NULL, *series_out = NULL, *swf_out = NULL;
    const char *format = NULL, *machine = NULL;
    unsigned long nodes = 0, cpn = 0, max_jobs = 0;
    double series_step = 0, from = -INFINITY, to = INFINITY, load_factor = 1;
    bool has_from = false, has_to = false, force_progress = false, quiet = false;
    struct sim_faults fl = { 0 };
    const char *faults_file = NULL;
    double mtbf = 0, mttr = 0;
    bool real = false;
    double speedup = 0, real_tie = -1;
    const char *real_jobs_out = NULL;
    const char *priority = NULL, *accounts = NULL;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim_replay, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'p': {
            /* load it once here, so a bad plugin is named before the replay */
            eddy_error_t perr;
            eddy_policy_t *pol = eddy_policy_create (optarg, &perr);
            if (!pol)
                eddy_cmd_die ("sim", "--policy: %s", perr.text);
            eddy_policy_destroy (pol);
            p.policy = optarg;
            break;
        }
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
            p.seed = parse_seed (optarg);
            break;
        case 'J':
            jobs_out = optarg;
            break;
        case 'O':
            summary_out = optarg;
            break;
        case OPT_SERIES_OUT:
            series_out = optarg;
            break;
        case OPT_SERIES_STEP:
            series_step = parse_real ("series-step", optarg, true);
            break;
        case OPT_SWF_OUT:
            swf_out = optarg;
            break;
        case OPT_CAP_RUNTIME:
            p.cap_runtime = true;
            break;
        case OPT_JOBS:
            max_jobs = parse_num ("jobs", optarg, 1, ULONG_MAX);
            break;
        case OPT_FROM:
            from = parse_real ("from", optarg, false);
            has_from = true;
            break;
        case OPT_TO:
            to = parse_real ("to", optarg, false);
            has_to = true;
            break;
        case OPT_LOAD_FACTOR:
            load_factor = parse_real ("load-factor", optarg, true);
            break;
        case OPT_PROGRESS:
            force_progress = true;
            break;
        case OPT_QUIET:
            quiet = true;
            break;
        case OPT_FORMAT:
            if (strcmp (optarg, "swf") && strcmp (optarg, "jsonl"))
                eddy_cmd_die ("sim", "--format: '%s' is not swf or jsonl", optarg);
            format = optarg;
            break;
        case OPT_MACHINE:
            machine = optarg;
            break;
        case OPT_FAULT:
            sim_faults_parse_spec (&fl, "--fault", optarg);
            break;
        case OPT_FAULTS:
            faults_file = optarg;
            break;
        case OPT_MTBF:
            mtbf = parse_real ("mtbf", optarg, true);
            break;
        case OPT_MTTR:
            mttr = parse_real ("mttr", optarg, true);
            break;
        case OPT_REQUEUE:
            p.requeue = true;
            break;
        case OPT_REAL:
            real = true;
            break;
        case OPT_SPEEDUP:
            speedup = parse_real ("speedup", optarg, true);
            break;
        case OPT_REAL_TIE:
            real_tie = parse_real ("real-tie", optarg, false);
            break;
        case OPT_REAL_JOBS_OUT:
            real_jobs_out = optarg;
            break;
        case OPT_PRIORITY:
            if (strcmp (optarg, "multifactor") != 0 && strcmp (optarg, "urgency") != 0)
                eddy_cmd_die ("sim", "--priority: '%s' is not urgency or multifactor", optarg);
            priority = optarg;
            break;
        case OPT_ACCOUNTS:
            accounts = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_sim_replay, c);
        }
    }
    if (optind != argc - 1)
        eddy_cmd_die ("sim", "replay: exactly one TRACE file is required");
    if (series_step > 0 && !series_out)
        eddy_cmd_die ("sim", "replay: --series-step needs --series-out");
    if (has_from && has_to && !(from < to))
        eddy_cmd_die ("sim", "replay: --from must be less than --to (the window is [from, to))");
    if (force_progress && quiet)
        eddy_cmd_die ("sim", "replay: --progress and --quiet exclude each other");
    if (accounts && !(priority && !strcmp (priority, "multifactor")))
        eddy_cmd_die ("sim", "replay: --accounts needs --priority multifactor");
    if (priority && !strcmp (priority, "multifactor") && real)
        eddy_cmd_die ("sim", "replay: --priority multifactor is for the simulator (not --real)");
    if (real && !(speedup > 0))
        eddy_cmd_die ("sim", "replay: --real needs --speedup X (trace seconds per real second)");
    if (!real && (speedup > 0 || real_tie >= 0 || real_jobs_out))
        eddy_cmd_die ("sim", "replay: --speedup, --real-tie and --real-jobs-out go with --real");
    if (real && (machine || (format ? !strcmp (format, "jsonl") : is_jsonl_path (argv[optind]))
                 || fl.n || faults_file || mtbf > 0))
        eddy_cmd_die ("sim", "replay: --real takes an SWF trace, without --machine or faults "
                             "(--fault, --faults, --mtbf)");
    if ((mtbf > 0) != (mttr > 0))
        eddy_cmd_die ("sim", "replay: --mtbf and --mttr go together");
    const char *path = argv[optind];
    double w0 = client_monotime ();

    /* outputs are opened first: a bad path fails now, not after the replay */
    FILE *jobs_f = open_out ("jobs-out", jobs_out);
    FILE *series_f = open_out ("series-out", series_out);
    FILE *swf_f = open_out ("swf-out", swf_out);
    FILE *summary_f = open_out ("summary-out", summary_out);
    FILE *real_jobs_f = open_out ("real-jobs-out", real_jobs_out);

    struct sigaction sa = { .sa_handler = stop_handler };
    sigemptyset (&sa.sa_mask);
    if (sigaction (SIGINT, &sa, NULL) < 0 || sigaction (SIGTERM, &sa, NULL) < 0)
        eddy_cmd_die ("sim", "replay: sigaction: %s", strerror (errno));

    if (sodium_init () < 0)
        eddy_cmd_die ("sim", "replay: cannot initialise libsodium");
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    trace_sha256 (path, sha);
    bool jsonl = format ? !strcmp (format, "jsonl") : is_jsonl_path (path);
    eddy_swf_t *swf = NULL;
    eddy_jsonl_t *wl = NULL;
    json_t *R = NULL;
    int64_t P = 0, gpus = 0;

    /* the machine: an R file, or P processors mapped onto nodes x cores */
    if (machine) {
        if (nodes || cpn)
            eddy_cmd_die ("sim", "replay: --machine excludes --nodes and --cores-per-node");
        R = load_machine (machine, &nodes, &P, &gpus);
    }
    if (jsonl) {
        wl = load_jsonl (path, max_jobs);
        if (!R) {
            if (!nodes)
                eddy_cmd_die ("sim", "replay: a JSONL workload needs --machine or --nodes");
            if (!cpn)
                cpn = 1;
        }
    } else {
        swf = replay_load_swf ("replay", path, max_jobs);
        int64_t maxprocs = eddy_swf_max_procs (swf), maxnodes = eddy_swf_max_nodes (swf);
        if (!R && !cpn)
            cpn = (maxnodes > 0 && maxprocs >= maxnodes) ? (unsigned long)(maxprocs / maxnodes)
                                                         : 1;
        if (!R && !nodes) {
            if (maxprocs <= 0)
                eddy_cmd_die ("sim", "replay: %s has no MaxProcs header: give --nodes and "
                                     "--cores-per-node", path);
            nodes = (unsigned long)((maxprocs + cpn - 1) / cpn);
        }
    }
    if (!R && (nodes > EDDY_RESOURCE_NODES_MAX || cpn > EDDY_RESOURCE_CORES_MAX))
        eddy_cmd_die ("sim", "replay: %s: MaxProcs and MaxNodes make %lu nodes x %lu cores; at most "
                             "%u nodes x %d cores (give --nodes and --cores-per-node)", path, nodes, cpn,
                      EDDY_RESOURCE_NODES_MAX, EDDY_RESOURCE_CORES_MAX);
    if (!R)
        P = (int64_t)nodes * cpn;
    eddy_error_t err;
    if (swf && eddy_swf_finish (swf, P, &err) < 0)
        eddy_cmd_die ("sim", "replay: %s: %s", path, err.text);

    /* the workload: the window [from, to), then the load factor; a JSONL
     * job keeps its jobspec and is written out like an SWF job of its
     * total cores */
    size_t nall, n = 0;
    const struct eddy_swf_job *all = swf ? eddy_swf_jobs (swf, &nall) : NULL;
    const struct eddy_jsonl_job *wj = wl ? eddy_jsonl_jobs (wl, &nall) : NULL;
    struct eddy_swf_job *sj = xcalloc (nall ? nall : 1, sizeof (*sj));
    json_t **jobspecs = wl ? xcalloc (nall ? nall : 1, sizeof (*jobspecs)) : NULL;
    for (size_t i = 0; i < nall; i++) {
        struct eddy_swf_job x;
        if (all)
            x = all[i];
        else
            x = (struct eddy_swf_job){ .id = wj[i].id, .submit = wj[i].submit,
                                       .run = wj[i].run, .procs = wj[i].procs,
                                       .req = wj[i].req, .user = wj[i].user,
                                       .group = wj[i].group, .queue = wj[i].queue,
                                       .line = wj[i].line };
        if (x.submit >= from && x.submit < to) {
            if (jobspecs)
                jobspecs[n] = wj[i].jobspec;
            sj[n++] = x;
        }
    }
    size_t outside = nall - n;
    /* sj holds every kept job now: the parsed trace goes before the replay
     * (over 100 bytes a job, 50 MB for a trace of RICC's length) */
    size_t skipped_n[EDDY_SWF_SKIP_NREASONS];
    for (int k = 0; k < EDDY_SWF_SKIP_NREASONS; k++)
        skipped_n[k] = eddy_swf_skipped (swf, (eddy_swf_skip_t)k);
    eddy_swf_destroy (swf);
    swf = NULL;
    all = NULL;
    double first = INFINITY;
    for (size_t i = 0; i < n; i++)
        first = fmin (first, sj[i].submit);
    struct eddy_ideal_job *jobs = xcalloc (n ? n : 1, sizeof (*jobs));
    for (size_t i = 0; i < n; i++) {
        double submit = sj[i].submit;
        if (load_factor != 1)
            submit = first + (submit - first) / load_factor;
        jobs[i] = (struct eddy_ideal_job){ .id = sj[i].id, .submit = submit, .run = sj[i].run,
                                           .procs = (int)sj[i].procs, .req = sj[i].req };
    }
    p.nodes = nodes;
    p.cores_per_node = cpn;
    p.R = R;
    p.jobspecs = jobspecs;
    /* fair share: the trace's users submit as themselves, into the banks */
    struct sim_fairshare fs = { 0 };
    if (priority && !strcmp (priority, "multifactor")) {
        eddy_error_t ferr;
        if (sim_fairshare_setup (&fs, sj, n, accounts, &ferr) < 0) {
            sim_fairshare_cleanup (&fs);
            eddy_cmd_die ("sim", "replay: %s", ferr.text);
        }
        p.userids = fs.userids;
        p.banks = accounts ? NULL : fs.banks;
        p.archive = fs.archive;
        p.priority = fs.priority;
    }
    /* the outputs need three of the parsed fields: the rest goes now */
    struct replay_who *who = xcalloc (n ? n : 1, sizeof (*who));
    for (size_t i = 0; i < n; i++)
        who[i] = (struct replay_who){ .user = sj[i].user, .group = sj[i].group,
                                      .queue = sj[i].queue };
    free (sj);
    sj = NULL;
    struct progress pg = { .w0 = w0, .last = w0 };
    if (!quiet && isatty (STDERR_FILENO))
        pg.mode = PROGRESS_TTY;
    else if (force_progress)
        pg.mode = PROGRESS_LINES;
    p.progress = progress_cb;
    p.progress_arg = &pg;
    p.stop = &stop_signal;

    struct eddy_ideal_result *res = xcalloc (n ? n : 1, sizeof (*res));
    struct eddy_replay_job *detail = xcalloc (n ? n : 1, sizeof (*detail));
    struct eddy_replay_stats st = { 0 };
    p.detail = detail;
    if (faults_file)
        sim_faults_read_file (&fl, faults_file, (uint32_t)nodes, R);
    if (mtbf > 0 && n > 0) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            lo = fmin (lo, jobs[i].submit);
            hi = fmax (hi, jobs[i].submit);
        }
        sim_faults_mtbf (&fl, mtbf, mttr, (uint32_t)nodes, lo, hi, p.seed);
    }
    p.faults = fl.v;
    p.nfaults = fl.n;
    for (size_t i = 0; i < fl.n; i++) {
        const struct eddy_replay_fault *ft = &fl.v[i];
        bool rank0_ok = ft->kind == EDDY_REPLAY_KILL || ft->kind == EDDY_REPLAY_DRAIN
                        || ft->kind == EDDY_REPLAY_UNDRAIN;
        if (ft->rank >= nodes || (ft->rank == 0 && !rank0_ok))
            eddy_cmd_die ("sim", "fault: rank %u is not a rank of the %lu brokers%s", ft->rank,
                          nodes,
                          ft->rank == 0 ? " that can be cut, healed or restarted (not rank 0)"
                                        : "");
    }
    int rrc = eddy_replay_run (&p, jobs, n, res, &st, &err);
    sim_fairshare_cleanup (&fs);
    if (rrc < 0)
        eddy_cmd_die ("sim", "replay: %s", err.text);
    /* a last line, so even a replay shorter than the refresh period shows
     * where it ended */
    pg.last = -INFINITY;
    progress_cb (st.virtual_seconds, st.jobs + st.denied + st.failed, n, &pg);
    if (pg.shown && pg.mode == PROGRESS_TTY)
        fputc ('\n', stderr);
    double wall = client_monotime () - w0;

    struct replay_run run = {
        .trace = path, .policy = p.policy, .version = PACKAGE_VERSION, .latency = p.latency,
        .seed = p.seed, .procs = P, .nodes = nodes, .who = who, .jobs = jobs, .res = res,
        .detail = detail, .n = n, .complete = st.complete, .stopped_at = st.virtual_seconds,
    };

    /* metrics over the jobs that ran to an end */
    struct eddy_ideal_result *ran = xcalloc (n ? n : 1, sizeof (*ran));
    size_t nran = 0;
    for (size_t i = 0; i < n; i++)
        if (replay_job_ended (&run, i))
            ran[nran++] = res[i];
    struct eddy_ideal_metrics m;
    eddy_ideal_metrics (ran, nran, P, &m);

    json_t *skipped = json_pack ("{s:I s:I s:I s:I s:I s:I}", "procs_le_0",
                                 (json_int_t)skipped_n[EDDY_SWF_SKIP_NO_PROCS],
                                 "procs_gt_P", (json_int_t)skipped_n[EDDY_SWF_SKIP_TOO_BIG],
                                 "run_lt_0", (json_int_t)skipped_n[EDDY_SWF_SKIP_NO_RUN],
                                 "outside_window", (json_int_t)outside,
                                 "denied", (json_int_t)st.denied, "refused", (json_int_t)st.failed);
    json_t *inputs = json_pack (
        "{s:s s:s s:s s:i s:i s:I s:f s:f s:I s:b s:s s:o s:o s:o s:f}", "trace", path,
        "trace_sha256", sha, "policy", p.policy, "nodes", (int)nodes, "cores_per_node", (int)cpn,
        "procs", (json_int_t)P, "latency", p.latency, "jitter", p.jitter, "seed",
        (json_int_t)p.seed, "cap_runtime", p.cap_runtime, "eddy_version", PACKAGE_VERSION,
        "jobs_limit", max_jobs ? json_integer ((json_int_t)max_jobs) : json_null (), "from",
        has_from ? json_real (from) : json_null (), "to", has_to ? json_real (to) : json_null (),
        "load_factor", load_factor);
    if (inputs
        && (json_object_set_new (inputs, "format", json_string (jsonl ? "jsonl" : "swf")) < 0
            || json_object_set_new (inputs, "machine",
                                    machine ? json_string (machine) : json_null ()) < 0
            || json_object_set_new (inputs, "gpus", json_integer ((json_int_t)gpus)) < 0))
        eddy_cmd_die ("sim", "out of memory");
    /* the faults, as given: KIND:RANK@T */
    json_t *jfaults = json_array ();
    for (size_t i = 0; jfaults && i < fl.n; i++) {
        char text[320];
        sim_faults_format (&fl.v[i], text, sizeof (text));
        if (json_array_append_new (jfaults, json_string (text)) < 0) {
            json_decref (jfaults);
            jfaults = NULL;
        }
    }
    if (!jfaults || json_object_set_new (inputs, "faults", jfaults) < 0
        || json_object_set_new (inputs, "faults_file",
                                faults_file ? json_string (faults_file) : json_null ()) < 0
        || json_object_set_new (inputs, "mtbf", mtbf > 0 ? json_real (mtbf) : json_null ()) < 0
        || json_object_set_new (inputs, "mttr", mttr > 0 ? json_real (mttr) : json_null ()) < 0
        || json_object_set_new (inputs, "requeue", json_boolean (p.requeue)) < 0)
        eddy_cmd_die ("sim", "out of memory");
    json_t *summary = json_pack (
        "{s:s s:s s:i s:i s:I s:I s:o s:f s:f s:f s:f s:f s:f s:f s:f s:I s:I s:o s:b}", "trace",
        path, "policy", p.policy, "nodes", (int)nodes, "cores_per_node", (int)cpn, "procs",
        (json_int_t)P, "jobs", (json_int_t)nran, "skipped", skipped, "mean_wait", m.avg_wait,
        "mean_response", m.avg_response, "mean_bsld", m.avg_bsld, "max_wait", m.max_wait,
        "makespan", m.makespan, "utilization", m.utilization, "virtual_seconds",
        st.virtual_seconds, "wall_seconds", wall, "events", (json_int_t)st.events, "messages",
        (json_int_t)st.messages, "inputs", inputs, "complete", st.complete);
    if (real) {
        if (nodes > 64)
            eddy_cmd_die ("sim", "replay: --real starts one broker per node on this machine: "
                                 "%lu is too many (give --nodes N --cores-per-node C, N <= 64)",
                          nodes);
        double *rs = xcalloc (n ? n : 1, sizeof (*rs)), *re = xcalloc (n ? n : 1, sizeof (*re));
        double *ss = xcalloc (n ? n : 1, sizeof (*ss));
        char exe[4096];
        ssize_t len = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
        if (len <= 0)
            eddy_cmd_die ("sim", "replay: --real: cannot find this program");
        exe[len] = '\0';
        struct sim_real_spec rsp = { .exe = exe, .policy = p.policy, .nodes = (unsigned)nodes,
                                     .cores_per_node = (unsigned)cpn, .speedup = speedup,
                                     .jobs = jobs, .n = n };
        if (!quiet)
            fprintf (stderr, "eddy-sim: replay --real: %zu jobs on %lu real brokers of %lu cores, "
                     "time compressed %gx\n", n, nodes, cpn, speedup);
        if (sim_real_run (&rsp, rs, re, &err) < 0)
            eddy_cmd_die ("sim", "replay: --real: %s", err.text);
        for (size_t i = 0; i < n; i++)
            ss[i] = res[i].start;
        /* by default starts 10 ms of real time apart are one instant */
        double tie = real_tie >= 0 ? real_tie : 0.01 * speedup;
        json_t *cmp = sim_real_compare (jobs, n, ss, rs, tie);
        if (!cmp || json_object_set_new (cmp, "speedup", json_real (speedup)) < 0
            || json_object_set_new (summary, "real", cmp) < 0)
            eddy_cmd_die ("sim", "out of memory");
        printf ("real: %lld jobs, start order agrees for %.2f%% of %lld pairs (%.2f%% of those the "
                "simulation orders), "
                "start differences mean %.1f s, median %.1f s, p90 %.1f s, max %.1f s (trace "
                "seconds); mean wait sim %.1f s, real %.1f s\n",
                (long long)json_integer_value (json_object_get (cmp, "jobs")),
                100 * json_real_value (json_object_get (cmp, "order_agreement")),
                (long long)json_integer_value (json_object_get (cmp, "pairs")),
                100 * json_real_value (json_object_get (cmp, "ordered_pairs_agreement")),
                json_real_value (json_object_get (cmp, "start_diff_mean")),
                json_real_value (json_object_get (cmp, "start_diff_median")),
                json_real_value (json_object_get (cmp, "start_diff_p90")),
                json_real_value (json_object_get (cmp, "start_diff_max")),
                json_real_value (json_object_get (cmp, "mean_wait_sim")),
                json_real_value (json_object_get (cmp, "mean_wait_real")));
        if (real_jobs_f) {
            int wrc = fprintf (real_jobs_f, "job_id,submit,sim_start,real_start,real_end\n") < 0;
            for (size_t i = 0; i < n && !wrc; i++)
                wrc = fprintf (real_jobs_f, "%lld,%.17g,%.17g,%.17g,%.17g\n", (long long)jobs[i].id,
                               jobs[i].submit, ss[i], rs[i], re[i]) < 0;
            close_out (real_jobs_out, real_jobs_f, wrc ? -1 : 0);
        }
        free (rs);
        free (re);
        free (ss);
    }
    /* the work done per job, from the engine's counters (both worlds) */
    double per = nran > 0 ? (double)nran : 1.0;
    json_t *work = json_pack ("{s:I s:I s:I s:I s:f s:f s:f s:f}", "messages",
                              (json_int_t)st.work.msgs, "commits", (json_int_t)st.work.commits,
                              "hashes", (json_int_t)st.work.hashes, "hash_bytes",
                              (json_int_t)st.work.hash_bytes, "messages_per_job",
                              st.work.msgs / per, "commits_per_job", st.work.commits / per,
                              "hashes_per_job", st.work.hashes / per, "hash_bytes_per_job",
                              st.work.hash_bytes / per);
    if (summary && (!work || json_object_set_new (summary, "work", work) < 0))
        eddy_cmd_die ("sim", "out of memory");
    if (!summary || replay_summary_figures (summary, &run) < 0)
        eddy_cmd_die ("sim", "out of memory");
    struct replay_fault_figures ff;
    replay_fault_figures (&run, &ff);
    json_t *jff = json_pack ("{s:I s:I s:I s:I s:f s:f}", "killed", (json_int_t)ff.killed_jobs,
                             "killed_attempts", (json_int_t)st.killed, "requeued",
                             (json_int_t)st.requeued, "restarts", (json_int_t)st.restarts,
                             "lost_node_hours", ff.lost_node_hours, "redone_proc_hours",
                             ff.redone_proc_hours);
    if (!jff || json_object_set_new (summary, "faults", jff) < 0)
        eddy_cmd_die ("sim", "out of memory");

    if (jobs_f)
        close_out (jobs_out, jobs_f, replay_write_jobs (jobs_f, &run));
    if (series_f)
        close_out (series_out, series_f, replay_write_series (series_f, &run, series_step));
    if (swf_f)
        close_out (swf_out, swf_f, replay_write_swf (swf_f, &run));
    if (summary_f) {
        int rc = json_dumpf (summary, summary_f, JSON_INDENT (2) | JSON_SORT_KEYS);
        if (rc == 0)
            rc = fputc ('\n', summary_f) == EOF ? -1 : 0;
        close_out (summary_out, summary_f, rc);
    }

    /* stdout: everything but the wall clock, so one seed prints the same bytes */
    if (machine)
        printf ("replay %s: policy %s, machine %s: %lu nodes, %" PRId64 " cores, %" PRId64
                " gpus (P = %" PRId64 "), latency %g s, seed %" PRIu64 "\n",
                path, p.policy, machine, nodes, P, gpus, P, p.latency, p.seed);
    else
        printf ("replay %s: policy %s, %lu nodes x %lu cores (P = %" PRId64 "), latency %g s, seed %" PRIu64 "\n",
                path, p.policy, nodes, cpn, P, p.latency, p.seed);
    printf ("jobs %zu, skipped: procs<=0 %zu, procs>P %zu, run<0 %zu, denied %zu\n", nran,
            skipped_n[EDDY_SWF_SKIP_NO_PROCS], skipped_n[EDDY_SWF_SKIP_TOO_BIG],
            skipped_n[EDDY_SWF_SKIP_NO_RUN], st.denied);
    printf ("mean wait %.2f s, max wait %.0f s, mean response %.2f s, mean bsld %.3f\n", m.avg_wait,
            m.max_wait, m.avg_response, m.avg_bsld);
    printf ("makespan %.0f s, utilization %.4f, virtual %.0f s, events %" PRIu64 "\n", m.makespan,
            m.utilization, st.virtual_seconds, st.events);
    if (fl.n > 0)
        printf ("faults %zu: killed jobs %zu (attempts %zu, requeued %zu), lost %.4f node-hours, "
                "redone %.4f processor-hours, restarts %u\n", fl.n, ff.killed_jobs, st.killed,
                st.requeued, ff.lost_node_hours, ff.redone_proc_hours, st.restarts);
    if (!st.complete)
        eddy_cmd_error ("sim", "replay: stopped by signal %d at trace time %.0f s: %zu of %zu jobs "
                        "ended; the outputs hold what was done", (int)stop_signal,
                        st.virtual_seconds, nran, n);
    if (!quiet) {
        struct rusage ru;
        getrusage (RUSAGE_SELF, &ru);
        fprintf (stderr, "wall %.2f s, %.0f jobs/s, peak RSS %ld MiB; per job %.1f messages, "
                 "%.2f commits, %.1f hashes of %.0f bytes\n", wall,
                 nran / (wall > 0 ? wall : 1e-9), ru.ru_maxrss / 1024, st.work.msgs / per,
                 st.work.commits / per, st.work.hashes / per, st.work.hash_bytes / per);
    }
    json_decref (summary);
    json_decref (R);
    free (jobspecs);
    eddy_jsonl_destroy (wl);
    free (ran);
    free (detail);
    sim_faults_free (&fl);
    free (res);
    free (jobs);
    free (who);
    /* stopped by a signal: say so in the exit status, as the default
     * action would have (130 for SIGINT, 143 for SIGTERM) */
    return stop_signal ? 128 + stop_signal : 0;
}
