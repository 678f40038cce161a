/* bench-ideal.c - the ideal replay oracle's speed: jobs per second
 * replaying a Parallel Workloads Archive trace (default HPC2N-2002-2.2-cln,
 * 202,871 jobs on 240 processors) under each policy.  Parsing is timed
 * apart.  Usage: bench-ideal [TRACE.swf.gz [POLICY...]].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "sim/ideal.h"
#include "traces/swf.h"

#define RUNS 3

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main (int argc, char **argv)
{
    char def[4096];
    const char *path = argc > 1 ? argv[1] : NULL;
    const char *policies[] = {"easy", "fcfs", NULL};
    eddy_error_t err;
    char line[4096];
    size_t n;

    if (!path) {
        const char *src = getenv ("EDDY_SRCDIR");
        snprintf (def, sizeof (def), "%s/../shared/traces/HPC2N-2002-2.2-cln.swf.gz",
                  src ? src : ".");
        path = def;
    }
    double t0 = now ();
    gzFile f = gzopen (path, "rb");
    eddy_swf_t *s = eddy_swf_create ();
    if (!f || !s) {
        fprintf (stderr, "bench-ideal: %s: cannot open\n", path);
        return 1;
    }
    while (gzgets (f, line, sizeof (line)))
        if (eddy_swf_feed (s, line, strlen (line), &err) < 0) {
            fprintf (stderr, "bench-ideal: %s: %s\n", path, err.text);
            return 1;
        }
    gzclose (f);
    if (eddy_swf_finish (s, 0, &err) < 0) {
        fprintf (stderr, "bench-ideal: %s: %s\n", path, err.text);
        return 1;
    }
    const struct eddy_swf_job *sj = eddy_swf_jobs (s, &n);
    double tparse = now () - t0;
    struct eddy_ideal_job *jobs = malloc ((n ? n : 1) * sizeof (*jobs));
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct eddy_ideal_job){sj[i].id, sj[i].submit, sj[i].run,
                                          (int)sj[i].procs, sj[i].req};
    const char *name = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
    printf ("trace %s: %zu jobs, P=%lld, parse %.3f s (%.0f lines/s)\n", name, n,
            (long long)eddy_swf_procs (s), tparse, eddy_swf_lines (s) / tparse);

    const char **list = argc > 2 ? (const char **)&argv[2] : policies;
    for (int p = 0; list[p]; p++) {
        struct eddy_ideal_metrics m;
        double best = 1e30;
        for (int r = 0; r < RUNS; r++) {
            double t = now ();
            if (eddy_ideal_run (list[p], eddy_swf_procs (s), jobs, n, 0, NULL, &m,
                                &err) < 0) {
                fprintf (stderr, "bench-ideal: %s: %s\n", list[p], err.text);
                return 1;
            }
            t = now () - t;
            if (t < best)
                best = t;
        }
        printf (
            "ideal %-12s %8.3f s  %10.0f jobs/s  %zu passes  avg wait %.0f s  avg bsld "
            "%.2f  util %.3f\n",
            list[p], best, n / best, m.passes, m.avg_wait, m.avg_bsld, m.utilization);
    }
    free (jobs);
    eddy_swf_destroy (s);
    return 0;
}
