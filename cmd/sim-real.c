/* sim-real.c - `eddy sim replay --real`: the same workload on a real
 * instance (eddy start on this machine, the test exec, time compressed by
 * the speedup), fed from inside its broker by the feed module (sim/feed.c),
 * then compared with the simulated schedule.
 *
 *   eddy sim feed JOBS OUT   (inside the instance) hand JOBS (JSON) to the
 *                            feed module, follow the job manager's
 *                            journal until every job is inactive, write
 *                            each job's start and end in trace seconds
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/sim-real.h"
#include "engine/util/u64map.h"

int sim_feed (int argc, char **argv)
{
    if (argc != 3)
        eddy_cmd_die (
            "sim",
            "feed needs JOBS and OUT, nothing more (it is run by eddy sim replay "
            "--real)");
    json_error_t jerr;
    json_t *in = json_load_file (argv[1], 0, &jerr), *jobs;
    double speedup, first;
    if (!in || json_unpack (in, "{s:F s:F s:o}", "speedup", &speedup, "first", &first, "jobs", &jobs) < 0)
        eddy_cmd_die ("sim", "feed: %s: not a feed workload (%s)", argv[1], jerr.text);
    size_t n = json_array_size (jobs);
    double *start = xcalloc (n ? n : 1, sizeof (*start)), *end = xcalloc (n ? n : 1, sizeof (*end));
    for (size_t i = 0; i < n; i++)
        start[i] = end[i] = -1;

    eddy_handle_t *h = client_open ("sim");
    eddy_future_t *journal = eddy_rpc (h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                       EDDY_RPC_STREAMING);
    if (!journal)
        eddy_cmd_die ("sim", "feed: job-manager.journal: %s", strerror (errno));
    json_t *o;
    /* the first answer: the active jobs (none yet) */
    if (eddy_rpc_get (journal, &o) < 0)
        eddy_cmd_die ("sim", "feed: job-manager.journal: %s", eddy_future_error_string (journal));
    eddy_future_reset (journal);
    eddy_future_t *f = client_rpc_take ("sim", h, "feed.start",
                                        json_pack ("{s:f s:O}", "speedup", speedup, "jobs", jobs),
                                        0);
    double t0;
    if (json_unpack (client_rpc_get ("sim", f, "feed.start"), "{s:F}", "t0", &t0) < 0)
        eddy_cmd_die ("sim", "feed: feed.start: no t0 in the answer");
    eddy_future_destroy (f);

    eddy_u64map_t *ids = eddy_u64map_create (); /* job id -> index + 1 */
    size_t cleaned = 0;
    while (cleaned < n && eddy_rpc_get (journal, &o) == 0) {
        json_t *events, *item;
        size_t k;
        if (json_unpack (o, "{s:o}", "events", &events) == 0) {
            json_array_foreach (events, k, item) {
                json_int_t id, index = -1;
                json_t *entry, *jobspec = NULL;
                const char *name;
                double ts;
                if (json_unpack (item, "{s:I s:o s?o}", "id", &id, "entry", &entry, "jobspec",
                                 &jobspec) < 0
                    || json_unpack (entry, "{s:F s:s}", "timestamp", &ts, "name", &name) < 0)
                    continue;
                if (!strcmp (name, "submit")) {
                    json_unpack (jobspec, "{s:{s:{s:{s:I}}}}", "attributes", "user", "swf", "index",
                                 &index);
                    if (index >= 0 && (size_t)index < n)
                        eddy_u64map_put (ids, (uint64_t)id, (void *)(uintptr_t)(index + 1));
                    continue;
                }
                uintptr_t v = (uintptr_t)eddy_u64map_get (ids, (uint64_t)id);
                if (!v)
                    continue;
                double trace = first + (ts - t0) * speedup;
                if (!strcmp (name, "start"))
                    start[v - 1] = trace;
                else if (!strcmp (name, "finish"))
                    end[v - 1] = trace;
                else if (!strcmp (name, "clean")) {
                    cleaned++;
                    eddy_u64map_remove (ids, (uint64_t)id);
                }
            }
        }
        eddy_future_reset (journal);
    }
    if (cleaned < n)
        eddy_cmd_die ("sim", "feed: the journal ended with %zu of %zu jobs done", cleaned, n);
    json_t *s = json_array (), *e = json_array ();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new (s, json_real (start[i]));
        json_array_append_new (e, json_real (end[i]));
    }
    json_t *out = json_pack ("{s:o s:o s:f}", "start", s, "end", e, "t0", t0);
    if (!out || json_dump_file (out, argv[2], JSON_COMPACT) < 0)
        eddy_cmd_die ("sim", "feed: %s: cannot write", argv[2]);
    json_decref (out);
    json_decref (in);
    eddy_u64map_destroy (ids);
    eddy_future_destroy (journal);
    client_close (h);
    free (start);
    free (end);
    return 0;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int sim_real_run (const struct sim_real_spec *sp, double *start, double *end, eddy_error_t *err)
{
    const char *tmp = getenv ("TMPDIR");
    char *tmpl = xasprintf ("%s/eddy-real.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (tmpl)) {
        free (tmpl);
        return eddy_error_set (err, "cannot make a temporary directory: %s", strerror (errno));
    }
    char *jobsfile = xasprintf ("%s/jobs.json", tmpl), *outfile = xasprintf ("%s/out.json", tmpl);
    char *logfile = xasprintf ("%s/instance.log", tmpl);
    /* the workload in submit order; offsets from the first submit */
    size_t n = sp->n, *order = xcalloc (n ? n : 1, sizeof (*order));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: a window of hundreds */
        size_t k = order[i], j = i;
        while (j > 0 && (sp->jobs[order[j - 1]].submit > sp->jobs[k].submit
                         || (sp->jobs[order[j - 1]].submit == sp->jobs[k].submit
                             && sp->jobs[order[j - 1]].id > sp->jobs[k].id))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    double first = n ? sp->jobs[order[0]].submit : 0;
    json_t *jobs = json_array ();
    for (size_t i = 0; i < n; i++) {
        const struct eddy_ideal_job *j = &sp->jobs[order[i]];
        json_array_append_new (jobs, json_pack ("[I f i f f]", (json_int_t)order[i],
                                                j->submit - first, j->procs, j->run,
                                                isinf (j->req) ? 0.0 : j->req));
    }
    json_t *in = json_pack ("{s:f s:f s:o}", "speedup", sp->speedup, "first", first, "jobs", jobs);
    int rc = -1;
    free (order);
    if (!in || json_dump_file (in, jobsfile, JSON_COMPACT) < 0) {
        eddy_error_set (err, "%s: cannot write", jobsfile);
        json_decref (in);
        goto done;
    }
    json_decref (in);
    char size[32], cores[48], policy[256];
    snprintf (size, sizeof (size), "--size=%u", sp->nodes);
    snprintf (cores, sizeof (cores), "resource.cores=0-%u", sp->cores_per_node - 1);
    snprintf (policy, sizeof (policy), "sched.policy=%s", sp->policy);
    char *const av[] = { (char *)sp->exe, "start", size, "-S", cores, "-S", policy, "-m", "feed",
                         (char *)sp->exe, "sim", "feed", jobsfile, outfile, NULL };
    pid_t pid = fork ();
    if (pid < 0) {
        eddy_error_set (err, "fork: %s", strerror (errno));
        goto done;
    }
    if (pid == 0) {
        FILE *f = fopen (logfile, "w");
        if (f) {
            dup2 (fileno (f), 1);
            dup2 (fileno (f), 2);
        }
        unsetenv ("EDDY_URI");
        execv (av[0], av);
        _exit (127);
    }
    int st;
    while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED (st) || WEXITSTATUS (st) != 0) {
        char tail[512] = "";
        FILE *f = fopen (logfile, "r");
        if (f) {
            char line[512];
            while (fgets (line, sizeof (line), f))
                snprintf (tail, sizeof (tail), "%s", line);
            fclose (f);
        }
        tail[strcspn (tail, "\n")] = '\0';
        eddy_error_set (err, "the real instance failed (status %d): %s", st, tail);
        goto done;
    }
    json_error_t jerr;
    json_t *out = json_load_file (outfile, 0, &jerr), *s, *e;
    if (!out || json_unpack (out, "{s:o s:o}", "start", &s, "end", &e) < 0
        || json_array_size (s) != n || json_array_size (e) != n) {
        eddy_error_set (err, "%s: unreadable (%s)", outfile, jerr.text);
        json_decref (out);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        start[i] = json_real_value (json_array_get (s, i));
        end[i] = json_real_value (json_array_get (e, i));
    }
    json_decref (out);
    rc = 0;
done:
    unlink (jobsfile);
    unlink (outfile);
    if (rc == 0)
        unlink (logfile);
    else
        fprintf (stderr, "eddy-sim: replay --real: the instance's log is kept in %s\n", logfile);
    if (rc == 0)
        rmdir (tmpl);
    free (jobsfile);
    free (outfile);
    free (logfile);
    free (tmpl);
    return rc;
}

json_t *sim_real_compare (const struct eddy_ideal_job *jobs, size_t n, const double *sim_start,
                          const double *real_start, double tie)
{
    /* jobs that started in both */
    size_t m = 0;
    size_t *idx = xcalloc (n ? n : 1, sizeof (*idx));
    double *diff = xcalloc (n ? n : 1, sizeof (*diff));
    double wsim = 0, wreal = 0;
    for (size_t i = 0; i < n; i++) {
        if (sim_start[i] < 0 || real_start[i] < 0)
            continue;
        idx[m] = i;
        diff[m] = fabs (real_start[i] - sim_start[i]);
        wsim += sim_start[i] - jobs[i].submit;
        wreal += real_start[i] - jobs[i].submit;
        m++;
    }
    uint64_t pairs = 0, agree = 0, ordered = 0, ordered_agree = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++) {
            size_t i = idx[a], j = idx[b];
            double ds = sim_start[i] - sim_start[j], dr = real_start[i] - real_start[j];
            int ss = fabs (ds) <= tie ? 0 : (ds < 0 ? -1 : 1);
            int sr = fabs (dr) <= tie ? 0 : (dr < 0 ? -1 : 1);
            pairs++;
            agree += ss == sr;
            if (ss != 0) {
                ordered++;
                ordered_agree += ss == sr;
            }
        }
    double *sorted = xcalloc (m ? m : 1, sizeof (*sorted));
    memcpy (sorted, diff, m * sizeof (*sorted));
    qsort (sorted, m, sizeof (*sorted), cmp_double);
    double mean = 0;
    for (size_t i = 0; i < m; i++)
        mean += sorted[i];
    mean = m ? mean / m : 0;
    json_t *o = json_pack (
        "{s:I s:I s:f s:f s:f s:f s:f s:f s:f s:f s:f}", "jobs", (json_int_t)m, "pairs",
        (json_int_t)pairs, "order_agreement", pairs ? (double)agree / pairs : 1.0,
        "ordered_pairs_agreement", ordered ? (double)ordered_agree / ordered : 1.0,
        "start_diff_mean", mean, "start_diff_median", m ? sorted[m / 2] : 0.0,
        "start_diff_p90", m ? sorted[(size_t)floor (0.9 * (m - 1))] : 0.0, "start_diff_max",
        m ? sorted[m - 1] : 0.0, "mean_wait_sim", m ? wsim / m : 0.0, "mean_wait_real",
        m ? wreal / m : 0.0, "tie_seconds", tie);
    free (idx);
    free (diff);
    free (sorted);
    return o;
}
