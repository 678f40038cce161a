/* sim-generate.c - `eddy sim generate`: a synthetic SWF workload from the
 * Lublin-Feitelson model, or a bootstrap resample of a real trace
 * (traces/gen.h).  The workload goes to stdout or to -o FILE (written
 * beside it and renamed, so a failed run leaves no partial file); a
 * summary goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/replay-out.h"
#include "traces/gen.h"

extern const struct eddy_cmd cmd_sim;

#define GEN_JOBS_MAX 100000000ULL

static double parse_factor (const char *opt, const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v > 0) || v > 1e6)
        eddy_cmd_die ("sim", "generate: --%s: '%s' is not a number in (0, 1e6]", opt, s);
    return v;
}

static unsigned long long parse_count (const char *opt, const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        eddy_cmd_die ("sim", "generate: --%s: '%s' is not an integer in 0-%llu", opt, s, max);
    return v;
}

static eddy_swf_t *read_trace (const char *path, int64_t procs)
{
    eddy_error_t err;
    eddy_swf_t *swf = replay_load_swf ("generate", path, 0);
    if (eddy_swf_finish (swf, procs, &err) < 0)
        eddy_cmd_die ("sim", "generate: %s: %s", path, err.text);
    return swf;
}

static void summary (const struct eddy_gen_job *jobs, size_t n, int64_t procs)
{
    double first = n ? jobs[0].submit : 0, last = first, area = 0;
    size_t serial = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].submit < first)
            first = jobs[i].submit;
        if (jobs[i].submit > last)
            last = jobs[i].submit;
        area += (double)jobs[i].run * (double)jobs[i].procs;
        serial += jobs[i].procs == 1;
    }
    double span = last - first;
    fprintf (stderr,
             "eddy-sim: generate: %zu jobs over %.0f s (%.1f days) on %lld processors: "
             "offered load %.3f, %.1f%% serial\n",
             n, span, span / 86400, (long long)procs,
             span > 0 ? area / ((double)procs * span) : 0.0, n ? 100.0 * serial / n : 0.0);
}

int sim_generate (int argc, char **argv)
{
    const char *model = "lublin", *resample = NULL, *output = NULL;
    unsigned long long procs = 0, njobs = 0, seed = 1, start_hour = 0;
    bool have_jobs = false;
    double load = 1.0, estimate = 1.0;
    eddy_error_t err;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim, "generate", 0, argc, argv)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'r':
            resample = optarg;
            break;
        case 'p':
            procs = parse_count ("procs", optarg, EDDY_SWF_PROCS_MAX);
            break;
        case 'n':
            njobs = parse_count ("jobs", optarg, GEN_JOBS_MAX);
            have_jobs = true;
            break;
        case 'S':
            seed = parse_count ("seed", optarg, UINT64_MAX);
            break;
        case 'L':
            load = parse_factor ("load-factor", optarg);
            break;
        case 'E':
            estimate = parse_factor ("estimate-factor", optarg);
            break;
        case 'H':
            start_hour = parse_count ("start-hour", optarg, 23);
            break;
        case 'o':
            output = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_sim, c);
        }
    }
    if (optind != argc)
        eddy_cmd_die ("sim", "generate: unexpected argument '%s'", argv[optind]);
    if (!have_jobs || njobs == 0)
        eddy_cmd_die ("sim", "generate: --jobs N (N >= 1) is required");

    struct eddy_gen_job *jobs = calloc (njobs, sizeof (*jobs));
    if (!jobs)
        eddy_cmd_die ("sim", "generate: out of memory for %llu jobs", njobs);
    eddy_rng_t rng;
    eddy_rng_seed (&rng, seed);
    char note[3][256];
    const char *notes[4] = { note[0], note[1], note[2], NULL };
    int64_t machine;

    if (resample) {
        eddy_swf_t *swf = read_trace (resample, (int64_t)procs);
        size_t nsrc;
        const struct eddy_swf_job *src = eddy_swf_jobs (swf, &nsrc);
        machine = eddy_swf_procs (swf);
        if (eddy_resample (src, nsrc, load, &rng, njobs, jobs, &err) < 0)
            eddy_cmd_die ("sim", "generate: %s: %s", resample, err.text);
        const char *slash = strrchr (resample, '/');
        snprintf (note[0], sizeof (note[0]), "bootstrap resample of %s (%zu jobs kept)",
                  slash ? slash + 1 : resample, nsrc);
        snprintf (note[1], sizeof (note[1]), "eddy sim generate --resample --seed %llu", seed);
        snprintf (note[2], sizeof (note[2]), "load factor %g (inter-arrivals divided by it)", load);
        eddy_swf_destroy (swf);
    } else {
        struct eddy_lublin m;
        bool typeless;
        if (!strcmp (model, "lublin"))
            typeless = false;
        else if (!strcmp (model, "lublin-typeless"))
            typeless = true;
        else
            eddy_cmd_die ("sim", "generate: unknown model '%s' (try: lublin, lublin-typeless)",
                          model);
        if (procs == 0)
            eddy_cmd_die ("sim", "generate: --procs P (the machine's processors) is required");
        if (eddy_lublin_defaults (&m, (int64_t)procs, typeless) < 0)
            eddy_cmd_die ("sim", "generate: --procs: %llu is out of range", procs);
        m.load_factor = load;
        m.estimate_factor = estimate;
        m.start_hour = (int)start_hour;
        if (eddy_lublin_generate (&m, &rng, njobs, jobs, &err) < 0)
            eddy_cmd_die ("sim", "generate: %s", err.text);
        machine = (int64_t)procs;
        snprintf (note[0], sizeof (note[0]),
                  "Lublin and Feitelson 2003 model (%s), published parameters scaled to %llu "
                  "processors",
                  typeless ? "whole sample" : "batch and interactive", procs);
        snprintf (note[1], sizeof (note[1]), "eddy sim generate --model %s --seed %llu", model,
                  seed);
        snprintf (note[2], sizeof (note[2]),
                  "load factor %g, requested time = run x %g, start hour %llu", load, estimate,
                  start_hour);
    }

    FILE *f = stdout;
    char *tmp = NULL;
    if (output && strcmp (output, "-")) {
        if (asprintf (&tmp, "%s.tmp.%d", output, (int)getpid ()) < 0)
            eddy_cmd_die ("sim", "out of memory");
        if (!(f = fopen (tmp, "w")))
            eddy_cmd_die ("sim", "generate: %s: %s", tmp, strerror (errno));
    }
    int rc = eddy_gen_write_swf (f, jobs, njobs, machine, "eddy sim generate", notes);
    if (tmp) {
        if (fclose (f) != 0)
            rc = -1;
        if (rc < 0 || rename (tmp, output) < 0) {
            int e = errno;
            unlink (tmp);
            eddy_cmd_die ("sim", "generate: %s: %s", output, strerror (e));
        }
        free (tmp);
    } else if (rc < 0)
        eddy_cmd_die ("sim", "generate: writing the workload: %s", strerror (errno));
    summary (jobs, njobs, machine);
    free (jobs);
    return 0;
}
