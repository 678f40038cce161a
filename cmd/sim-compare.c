/* sim-compare.c - `eddy sim compare`: a grid of replays (traces x policies
 * x machines x fault settings x seeds), run as parallel processes here or,
 * when EDDY_URI names an instance, as jobs submitted to it; then one
 * directory with every run's outputs, a combined CSV and JSON, and
 * index.html, a self-contained report (cmd/report.html: the data inline,
 * charts drawn by its own script, nothing fetched).
 *
 * Every figure in the combined files and the report is read from the
 * runs' own outputs (summary.json, jobs.csv, series.csv): the report's
 * table shows what a single `eddy sim replay` of that cell prints.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/report-html.h"

extern const struct eddy_cmd cmd_sim;

#define CDF_POINTS 101
#define SERIES_BINS 300

struct list {
    char **v;
    size_t n;
};

struct run {
    char *name, *label, *dir;
    const char *trace, *trace_name, *policy, *machine, *faults;
    size_t fault_index;
    unsigned long long seed;
    pid_t pid;
    char *jobid;
    int status; /* exit status of the replay, -1 not run */
};

static void list_add (struct list *l, const char *s)
{
    /* a comma list adds each item */
    char *copy = xstrdup (s), *save = NULL;
    for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save)) {
        l->v = realloc (l->v, (l->n + 1) * sizeof (*l->v));
        if (!l->v)
            eddy_cmd_die ("sim", "out of memory");
        l->v[l->n++] = xstrdup (t);
    }
    free (copy);
}

static void list_add_whole (struct list *l, const char *s)
{
    l->v = realloc (l->v, (l->n + 1) * sizeof (*l->v));
    if (!l->v)
        eddy_cmd_die ("sim", "out of memory");
    l->v[l->n++] = xstrdup (s);
}

static void list_free (struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free (l->v[i]);
    free (l->v);
}

static const char *base_name (const char *path)
{
    const char *s = strrchr (path, '/');
    return s ? s + 1 : path;
}

/* A name safe in a path: letters, digits, '.', '-' and '_' kept. */
static char *safe_name (const char *s)
{
    char *out = xstrdup (s);
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || *p == '.' || *p == '-' || *p == '_'))
            *p = '_';
    return out;
}

static bool machine_is_shape (const char *m, unsigned long *nodes, unsigned long *cores)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul (m, &end, 10);
    if (errno || end == m || *end != 'x')
        return false;
    char *p = end + 1;
    unsigned long c = strtoul (p, &end, 10);
    if (errno || end == p || *end || n == 0 || c == 0)
        return false;
    *nodes = n;
    *cores = c;
    return true;
}

static char *self_exe (void)
{
    char buf[4096];
    ssize_t n = readlink ("/proc/self/exe", buf, sizeof (buf) - 1);
    if (n <= 0)
        eddy_cmd_die ("sim", "compare: cannot find this program (/proc/self/exe): %s",
                      strerror (errno));
    buf[n] = '\0';
    return xstrdup (buf);
}

/* The replay's argument vector for a run (NULL-terminated, allocated). */
static char **replay_argv (const char *exe, const struct run *r, unsigned long long jobs,
                           const struct list *extra)
{
    size_t cap = 40 + extra->n + 64, n = 0;
    char **av = xcalloc (cap, sizeof (*av));
    av[n++] = xstrdup (exe);
    av[n++] = xstrdup ("sim");
    av[n++] = xstrdup ("replay");
    av[n++] = xstrdup (r->trace);
    av[n++] = xstrdup ("--policy");
    av[n++] = xstrdup (r->policy);
    av[n++] = xasprintf ("--seed=%llu", r->seed);
    unsigned long nodes, cores;
    if (strcmp (r->machine, "trace")) {
        if (machine_is_shape (r->machine, &nodes, &cores)) {
            av[n++] = xasprintf ("--nodes=%lu", nodes);
            av[n++] = xasprintf ("--cores-per-node=%lu", cores);
        } else {
            av[n++] = xstrdup ("--machine");
            av[n++] = xstrdup (r->machine);
        }
    }
    if (strcmp (r->faults, "none")) {
        char *copy = xstrdup (r->faults), *save = NULL;
        /* KIND:RANK@T, or file=PATH, mtbf=S, mttr=S, requeue */
        for (char *t = strtok_r (copy, ",", &save); t && n + 8 < cap; t = strtok_r (NULL, ",", &save)) {
            if (!strcmp (t, "requeue"))
                av[n++] = xstrdup ("--requeue");
            else if (!strncmp (t, "file=", 5))
                av[n++] = xasprintf ("--faults=%s", t + 5);
            else if (!strncmp (t, "mtbf=", 5) || !strncmp (t, "mttr=", 5))
                av[n++] = xasprintf ("--%.4s=%s", t, t + 5);
            else {
                av[n++] = xstrdup ("--fault");
                av[n++] = xstrdup (t);
            }
        }
        free (copy);
    }
    if (jobs)
        av[n++] = xasprintf ("--jobs=%llu", jobs);
    for (size_t i = 0; i < extra->n && n + 8 < cap; i++)
        av[n++] = xstrdup (extra->v[i]);
    av[n++] = xstrdup ("--quiet");
    av[n++] = xasprintf ("--summary-out=%s/summary.json", r->dir);
    av[n++] = xasprintf ("--jobs-out=%s/jobs.csv", r->dir);
    av[n++] = xasprintf ("--series-out=%s/series.csv", r->dir);
    av[n] = NULL;
    return av;
}

static void free_argv (char **av)
{
    for (size_t i = 0; av && av[i]; i++)
        free (av[i]);
    free (av);
}

static pid_t spawn (char **av, const char *log)
{
    pid_t pid = fork ();
    if (pid < 0)
        eddy_cmd_die ("sim", "compare: fork: %s", strerror (errno));
    if (pid == 0) {
        FILE *f = fopen (log, "w");
        if (f) {
            dup2 (fileno (f), 1);
            dup2 (fileno (f), 2);
        }
        execv (av[0], av);
        fprintf (stderr, "eddy-sim: compare: %s: %s\n", av[0], strerror (errno));
        _exit (127);
    }
    return pid;
}

/* Run a command, its stdout into a string (allocated); exit status in *rc. */
static char *capture (char **av, int *rc)
{
    int fd[2];
    if (pipe (fd) < 0)
        eddy_cmd_die ("sim", "compare: pipe: %s", strerror (errno));
    pid_t pid = fork ();
    if (pid < 0)
        eddy_cmd_die ("sim", "compare: fork: %s", strerror (errno));
    if (pid == 0) {
        dup2 (fd[1], 1);
        close (fd[0]);
        close (fd[1]);
        execv (av[0], av);
        _exit (127);
    }
    close (fd[1]);
    size_t len = 0, cap = 256;
    char *out = xmalloc (cap);
    ssize_t n;
    while ((n = read (fd[0], out + len, cap - len - 1)) > 0) {
        len += n;
        if (cap - len < 64)
            out = realloc (out, cap *= 2);
        if (!out)
            eddy_cmd_die ("sim", "out of memory");
    }
    close (fd[0]);
    out[len] = '\0';
    int st;
    while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
        ;
    *rc = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
    return out;
}

static void progress (size_t done, size_t failed, size_t running, size_t total, double t0)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    fprintf (stderr, "eddy-sim: compare: %zu/%zu runs done (%zu failed), %zu running, %.1f s\n",
             done, total, failed, running, ts.tv_sec + ts.tv_nsec * 1e-9 - t0);
}

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Longest first: runs start in decreasing size of their trace file (a
 * stand-in for their length), so that a sweep with -j N ends close to its
 * longest run, whatever order the traces were given in. */
static int by_size (const void *a, const void *b, void *arg)
{
    const off_t *size = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (size[i] != size[j])
        return size[i] > size[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

static void run_local (struct run *runs, size_t n, const char *exe, unsigned long long jobs,
                       const struct list *extra, unsigned parallel)
{
    size_t next = 0, done = 0, failed = 0, running = 0;
    size_t *order = xcalloc (n ? n : 1, sizeof (*order));
    off_t *size = xcalloc (n ? n : 1, sizeof (*size));
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        order[i] = i;
        size[i] = stat (runs[i].trace, &st) == 0 ? st.st_size : 0;
    }
    qsort_r (order, n, sizeof (*order), by_size, size);
    free (size);
    double t0 = now ();
    while (done < n) {
        while (running < parallel && next < n) {
            struct run *r = &runs[order[next++]];
            char **av = replay_argv (exe, r, jobs, extra);
            char *log = xasprintf ("%s/replay.log", r->dir);
            r->pid = spawn (av, log);
            free (log);
            free_argv (av);
            running++;
        }
        int st;
        pid_t pid = waitpid (-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            eddy_cmd_die ("sim", "compare: waitpid: %s", strerror (errno));
        }
        for (size_t i = 0; i < n; i++) {
            if (runs[i].pid == pid) {
                runs[i].status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
                runs[i].pid = 0;
                running--;
                done++;
                failed += runs[i].status != 0;
                progress (done, failed, running, n, t0);
                break;
            }
        }
    }
    free (order);
}

/* Each run a job of the instance EDDY_URI names: submitted with eddy
 * submit (its output to the run's replay.log), then waited for in turn.
 */
static void run_instance (struct run *runs, size_t n, const char *exe, unsigned long long jobs,
                          const struct list *extra)
{
    double t0 = now ();
    size_t done = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char **rav = replay_argv (exe, &runs[i], jobs, extra);
        size_t k = 0;
        while (rav[k])
            k++;
        char **av = xcalloc (k + 8, sizeof (*av));
        size_t m = 0;
        av[m++] = xstrdup (exe);
        av[m++] = xstrdup ("submit");
        av[m++] = xasprintf ("--output=%s/replay.log", runs[i].dir);
        av[m++] = xasprintf ("--job-name=%s", runs[i].name);
        for (size_t j = 0; j < k; j++)
            av[m++] = rav[j];
        av[m] = NULL;
        int rc;
        char *out = capture (av, &rc);
        for (size_t j = 0; j < 4; j++)
            free (av[j]);
        free (av);
        free_argv (rav);
        out[strcspn (out, "\n")] = '\0';
        if (rc != 0 || !*out)
            eddy_cmd_die ("sim", "compare: eddy submit of run %s failed (exit %d)", runs[i].name, rc);
        runs[i].jobid = out;
    }
    fprintf (stderr, "eddy-sim: compare: %zu runs submitted to %s\n", n, getenv ("EDDY_URI"));
    for (size_t i = 0; i < n; i++) {
        char *av[] = { (char *)exe, "job", "wait", runs[i].jobid, NULL };
        int rc;
        free (capture (av, &rc));
        runs[i].status = rc;
        done++;
        failed += rc != 0;
        progress (done, failed, n - done, n, t0);
    }
}

/* ---- reading a run's outputs ---- */

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The index of column name in a CSV header line (not modified), or -1. */
static int csv_col (const char *header, const char *name)
{
    size_t len = strlen (name);
    int i = 0;
    for (const char *p = header; *p; i++) {
        size_t w = strcspn (p, ",\r\n");
        if (w == len && !strncmp (p, name, len))
            return i;
        if (p[w] != ',')
            break;
        p += w + 1;
    }
    return -1;
}

/* Split a CSV line (no quoting in eddy's outputs) into at most max fields. */
static int csv_split (char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr (p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    if (n)
        f[n - 1][strcspn (f[n - 1], "\r\n")] = '\0';
    return n;
}

/* From jobs.csv: the wait CDF (CDF_POINTS quantiles), killed jobs and the
 * node-hours they had run.
 */
static int read_jobs (const char *path, json_t *out)
{
    FILE *f = fopen (path, "r");
    char line[1024];
    if (!f || !fgets (line, sizeof (line), f)) {
        if (f)
            fclose (f);
        return -1;
    }
    int cwait = csv_col (line, "wait"), cstatus = csv_col (line, "status");
    int cstart = csv_col (line, "start"), cend = csv_col (line, "end");
    int cnodes = csv_col (line, "nodes"), clost = csv_col (line, "lost_node_seconds");
    if (cwait < 0 || cstatus < 0 || cstart < 0 || cend < 0 || cnodes < 0) {
        fclose (f);
        return -1;
    }
    size_t n = 0, cap = 1024, killed = 0;
    double *w = xmalloc (cap * sizeof (*w)), lost = 0;
    while (fgets (line, sizeof (line), f)) {
        char *fld[32];
        int nf = csv_split (line, fld, 32);
        if (nf <= cwait || nf <= cstatus || nf <= cend || nf <= cnodes)
            continue;
        if (*fld[cwait]) {
            if (n == cap)
                w = realloc (w, (cap *= 2) * sizeof (*w));
            if (!w)
                eddy_cmd_die ("sim", "out of memory");
            w[n++] = strtod (fld[cwait], NULL);
        }
        /* a requeued job was killed if its attempts lost node time */
        double jlost = clost >= 0 && nf > clost ? strtod (fld[clost], NULL) : 0;
        if (!strcmp (fld[cstatus], "killed") || jlost > 0) {
            killed++;
            if (clost >= 0)
                lost += jlost / 3600.0;
            else if (*fld[cstart] && *fld[cend] && *fld[cnodes])
                lost += (strtod (fld[cend], NULL) - strtod (fld[cstart], NULL))
                        * strtod (fld[cnodes], NULL) / 3600.0;
        }
    }
    fclose (f);
    qsort (w, n, sizeof (*w), cmp_double);
    json_t *cdf = json_array ();
    for (int i = 0; i < CDF_POINTS && n; i++) {
        size_t k = (size_t)floor ((double)i / (CDF_POINTS - 1) * (double)(n - 1) + 0.5);
        json_array_append_new (cdf, json_real (w[k]));
    }
    free (w);
    json_object_set_new (out, "wait_cdf", cdf);
    json_object_set_new (out, "killed", json_integer ((json_int_t)killed));
    json_object_set_new (out, "lost_node_hours", json_real (lost));
    return 0;
}

/* From series.csv (a row per change): time-weighted means of utilization
 * and queued jobs over SERIES_BINS equal intervals, [t, util, queued].
 */
static int read_series (const char *path, json_t *out)
{
    FILE *f = fopen (path, "r");
    char line[1024];
    if (!f || !fgets (line, sizeof (line), f)) {
        if (f)
            fclose (f);
        return -1;
    }
    int ct = csv_col (line, "time"), cu = csv_col (line, "utilization");
    int cq = csv_col (line, "queued_jobs");
    if (ct < 0 || cu < 0 || cq < 0) {
        fclose (f);
        return -1;
    }
    size_t n = 0, cap = 1024;
    double *t = xmalloc (cap * sizeof (*t)), *u = xmalloc (cap * sizeof (*u)),
           *q = xmalloc (cap * sizeof (*q));
    while (fgets (line, sizeof (line), f)) {
        char *fld[16];
        int nf = csv_split (line, fld, 16);
        if (nf <= ct || nf <= cu || nf <= cq)
            continue;
        if (n == cap) {
            cap *= 2;
            t = realloc (t, cap * sizeof (*t));
            u = realloc (u, cap * sizeof (*u));
            q = realloc (q, cap * sizeof (*q));
            if (!t || !u || !q)
                eddy_cmd_die ("sim", "out of memory");
        }
        t[n] = strtod (fld[ct], NULL);
        u[n] = strtod (fld[cu], NULL);
        q[n] = strtod (fld[cq], NULL);
        n++;
    }
    fclose (f);
    json_t *arr = json_array ();
    if (n >= 2) {
        double t0 = t[0], t1 = t[n - 1], bw = (t1 - t0) / SERIES_BINS;
        size_t k = 0;
        for (int b = 0; b < SERIES_BINS && bw > 0; b++) {
            double lo = t0 + b * bw, hi = lo + bw, su = 0, sq = 0;
            /* row k holds from t[k] to t[k + 1] */
            while (k + 1 < n && t[k + 1] <= lo)
                k++;
            for (size_t j = k; j + 1 < n && t[j] < hi; j++) {
                double a = t[j] > lo ? t[j] : lo, z = t[j + 1] < hi ? t[j + 1] : hi;
                if (z > a) {
                    su += u[j] * (z - a);
                    sq += q[j] * (z - a);
                }
            }
            json_array_append_new (arr, json_pack ("[f,f,f]", lo + bw / 2 - t0, su / bw, sq / bw));
        }
    }
    free (t);
    free (u);
    free (q);
    json_object_set_new (out, "series", arr);
    return 0;
}

static json_t *get_num (json_t *o, const char *path)
{
    /* "a.b": one level of nesting */
    char key[64];
    const char *dot = strchr (path, '.');
    if (!dot)
        return json_object_get (o, path);
    snprintf (key, sizeof (key), "%.*s", (int)(dot - path), path);
    return json_object_get (json_object_get (o, key), dot + 1);
}

static json_t *run_record (const struct run *r, json_t *size_classes)
{
    json_t *o = json_pack ("{s:s s:s s:s s:s s:s s:s s:I}", "run", r->name, "label", r->label,
                           "trace", r->trace_name, "policy", r->policy, "machine", r->machine,
                           "faults", r->fault_index ? r->faults : "none", "seed",
                           (json_int_t)r->seed);
    char *path = xasprintf ("%s/summary.json", r->dir);
    json_error_t jerr;
    json_t *s = r->status == 0 ? json_load_file (path, 0, &jerr) : NULL;
    free (path);
    const char *status = "ok";
    if (r->status != 0)
        status = "failed";
    else if (!s)
        status = "no summary";
    else if (!json_is_true (json_object_get (s, "complete")))
        status = "incomplete";
    static const char *const fields[][2] = {
        { "jobs", "jobs" },
        { "mean_wait", "mean_wait" },
        { "p50_wait", "wait_percentiles.p50" },
        { "p90_wait", "wait_percentiles.p90" },
        { "p99_wait", "wait_percentiles.p99" },
        { "max_wait", "max_wait" },
        { "mean_bsld", "mean_bsld" },
        { "mean_response", "mean_response" },
        { "utilization", "utilization" },
        { "makespan", "makespan" },
        { "wall_seconds", "wall_seconds" },
    };
    for (size_t i = 0; i < sizeof (fields) / sizeof (fields[0]); i++) {
        json_t *v = s ? get_num (s, fields[i][1]) : NULL;
        json_object_set (o, fields[i][0], v ? v : json_null ());
    }
    json_t *bs = json_array ();
    json_t *classes = s ? json_object_get (s, "size_classes") : NULL;
    size_t i;
    json_t *c;
    json_array_foreach (classes, i, c)
    {
        json_t *b = json_object_get (c, "mean_bsld");
        json_array_append (bs, b ? b : json_null ());
        if (json_array_size (size_classes) <= i)
            json_array_append (size_classes, json_object_get (c, "procs"));
    }
    json_object_set_new (o, "bsld_by_size", bs);
    if (s) {
        char *jp = xasprintf ("%s/jobs.csv", r->dir), *sp = xasprintf ("%s/series.csv", r->dir);
        if (read_jobs (jp, o) < 0 || read_series (sp, o) < 0)
            status = "unreadable outputs";
        free (jp);
        free (sp);
        json_object_set (o, "inputs", json_object_get (s, "inputs"));
    }
    if (!json_object_get (o, "wait_cdf"))
        json_object_set_new (o, "wait_cdf", json_array ());
    if (!json_object_get (o, "series"))
        json_object_set_new (o, "series", json_array ());
    if (!json_object_get (o, "killed"))
        json_object_set_new (o, "killed", json_null ());
    if (!json_object_get (o, "lost_node_hours"))
        json_object_set_new (o, "lost_node_hours", json_null ());
    json_object_set_new (o, "status", json_string (status));
    json_object_set_new (o, "exit_status", json_integer (r->status));
    json_decref (s);
    return o;
}

static void csv_value (FILE *f, json_t *v)
{
    if (json_is_integer (v))
        fprintf (f, "%lld", (long long)json_integer_value (v));
    else if (json_is_real (v)) {
        /* the shortest of 15 or 17 digits that reads back exactly */
        char buf[64];
        double x = json_real_value (v);
        snprintf (buf, sizeof (buf), "%.15g", x);
        if (strtod (buf, NULL) != x)
            snprintf (buf, sizeof (buf), "%.17g", x);
        fputs (buf, f);
    }
    else if (json_is_string (v)) {
        const char *str = json_string_value (v);
        if (!strpbrk (str, ",\"\n")) {
            fputs (str, f);
            return;
        }
        /* RFC 4180: quoted, quotes doubled (a fault list has commas) */
        fputc ('"', f);
        for (const char *p = str; *p; p++) {
            if (*p == '"')
                fputc ('"', f);
            fputc (*p, f);
        }
        fputc ('"', f);
    }
}

static void write_csv (const char *path, json_t *runs)
{
    static const char *const cols[] = { "run", "trace", "policy", "machine", "faults", "seed",
                                        "status", "jobs", "mean_wait", "p50_wait", "p90_wait",
                                        "p99_wait", "max_wait", "mean_bsld", "mean_response",
                                        "utilization", "makespan", "killed", "lost_node_hours",
                                        "wall_seconds" };
    const size_t ncols = sizeof (cols) / sizeof (cols[0]);
    FILE *f = fopen (path, "w");
    if (!f)
        eddy_cmd_die ("sim", "compare: %s: %s", path, strerror (errno));
    for (size_t c = 0; c < ncols; c++)
        fprintf (f, "%s%s", cols[c], c + 1 < ncols ? "," : "\n");
    size_t i;
    json_t *r;
    json_array_foreach (runs, i, r)
    {
        for (size_t c = 0; c < ncols; c++) {
            csv_value (f, json_object_get (r, cols[c]));
            fputs (c + 1 < ncols ? "," : "\n", f);
        }
    }
    if (fclose (f) != 0)
        eddy_cmd_die ("sim", "compare: %s: %s", path, strerror (errno));
}

static void write_html (const char *path, json_t *data)
{
    /* JSON_ESCAPE_SLASH: no "</script>" can close the data block early */
    char *js = json_dumps (data, JSON_COMPACT | JSON_ESCAPE_SLASH);
    if (!js)
        eddy_cmd_die ("sim", "out of memory");
    const char *mark = strstr (eddy_report_html, "@DATA@");
    FILE *f = fopen (path, "w");
    if (!f || !mark)
        eddy_cmd_die ("sim", "compare: %s: %s", path, f ? "no data mark in the template" : strerror (errno));
    fwrite (eddy_report_html, 1, mark - eddy_report_html, f);
    fputs (js, f);
    fputs (mark + strlen ("@DATA@"), f);
    if (fclose (f) != 0)
        eddy_cmd_die ("sim", "compare: %s: %s", path, strerror (errno));
    free (js);
}

static json_t *list_json (const struct list *l)
{
    json_t *a = json_array ();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new (a, json_string (l->v[i]));
    return a;
}

int sim_compare (int argc, char **argv)
{
    struct list traces = { 0 }, policies = { 0 }, seeds = { 0 }, machines = { 0 }, faults = { 0 },
                extra = { 0 };
    const char *outdir = NULL;
    unsigned long long jobs = 0;
    long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
    unsigned parallel = ncpu > 0 ? (unsigned)ncpu : 1;
    bool local = false;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim, "compare", 0, argc, argv)) != -1) {
        char *end;
        switch (c) {
        case 't':
            list_add_whole (&traces, optarg);
            break;
        case 'p':
            list_add (&policies, optarg);
            break;
        case 's':
            list_add (&seeds, optarg);
            break;
        case 'm':
            list_add (&machines, optarg);
            break;
        case 'f':
            list_add_whole (&faults, optarg);
            break;
        case 'n':
            errno = 0;
            jobs = strtoull (optarg, &end, 10);
            if (errno || end == optarg || *end || *optarg == '-')
                eddy_cmd_die ("sim", "compare: --jobs: '%s' is not a count", optarg);
            break;
        case 'a':
            list_add_whole (&extra, optarg);
            break;
        case 'j':
            errno = 0;
            parallel = (unsigned)strtoul (optarg, &end, 10);
            if (errno || end == optarg || *end || parallel < 1 || parallel > 1024)
                eddy_cmd_die ("sim", "compare: --parallel: '%s' is not in 1-1024", optarg);
            break;
        case 'L':
            local = true;
            break;
        case 'o':
            outdir = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_sim, c);
        }
    }
    for (; optind < argc; optind++)
        list_add_whole (&traces, argv[optind]);
    if (!traces.n)
        eddy_cmd_die ("sim", "compare: no trace (give --trace FILE or FILE...)");
    if (!outdir)
        eddy_cmd_die ("sim", "compare: -o DIR is required");
    if (!policies.n)
        list_add (&policies, "fcfs,easy,conservative");
    if (!seeds.n)
        list_add (&seeds, "1");
    if (!machines.n)
        list_add (&machines, "trace");
    if (!faults.n)
        list_add_whole (&faults, "none");
    for (size_t i = 0; i < traces.n; i++)
        if (access (traces.v[i], R_OK) < 0)
            eddy_cmd_die ("sim", "compare: %s: %s", traces.v[i], strerror (errno));
    for (size_t i = 0; i < seeds.n; i++) {
        char *end;
        errno = 0;
        strtoull (seeds.v[i], &end, 10);
        if (errno || end == seeds.v[i] || *end || seeds.v[i][0] == '-')
            eddy_cmd_die ("sim", "compare: --seed: '%s' is not an integer", seeds.v[i]);
    }
    for (size_t i = 0; i < machines.n; i++) {
        unsigned long nn, cc;
        if (strcmp (machines.v[i], "trace") && !machine_is_shape (machines.v[i], &nn, &cc)
            && access (machines.v[i], R_OK) < 0)
            eddy_cmd_die ("sim", "compare: --machine: '%s' is neither NODESxCORES, 'trace' nor "
                          "a readable R file", machines.v[i]);
    }
    /* the output directory: new, or empty */
    if (mkdir (outdir, 0777) < 0 && errno != EEXIST)
        eddy_cmd_die ("sim", "compare: %s: %s", outdir, strerror (errno));
    char *runsdir = xasprintf ("%s/runs", outdir);
    if (mkdir (runsdir, 0777) < 0)
        eddy_cmd_die ("sim", "compare: %s: %s (use a new or empty directory)", runsdir,
                      strerror (errno));

    size_t n = traces.n * policies.n * machines.n * faults.n * seeds.n, k = 0;
    struct run *runs = xcalloc (n, sizeof (*runs));
    for (size_t ti = 0; ti < traces.n; ti++)
        for (size_t pi = 0; pi < policies.n; pi++)
            for (size_t mi = 0; mi < machines.n; mi++)
                for (size_t fi = 0; fi < faults.n; fi++)
                    for (size_t si = 0; si < seeds.n; si++) {
                        struct run *r = &runs[k++];
                        r->trace = traces.v[ti];
                        r->trace_name = base_name (traces.v[ti]);
                        r->policy = policies.v[pi];
                        r->machine = machines.v[mi];
                        r->faults = faults.v[fi];
                        r->fault_index = strcmp (faults.v[fi], "none") ? fi + 1 : 0;
                        r->seed = strtoull (seeds.v[si], NULL, 10);
                        r->status = -1;
                        char *tn = safe_name (r->trace_name), *pn = safe_name (base_name (r->policy)),
                             *mn = safe_name (base_name (r->machine));
                        r->name = xasprintf ("%03zu-%s-%s-%s-f%zu-s%llu", k, tn, pn, mn,
                                             r->fault_index, r->seed);
                        r->label = xasprintf ("%s%s%s%s%s seed %llu", base_name (r->policy),
                                              machines.n > 1 ? " " : "",
                                              machines.n > 1 ? base_name (r->machine) : "",
                                              faults.n > 1 ? " faults " : "",
                                              faults.n > 1 ? (r->fault_index ? r->faults : "none") : "",
                                              r->seed);
                        r->dir = xasprintf ("%s/%s", runsdir, r->name);
                        if (mkdir (r->dir, 0777) < 0)
                            eddy_cmd_die ("sim", "compare: %s: %s", r->dir, strerror (errno));
                        free (tn);
                        free (pn);
                        free (mn);
                    }
    char *exe = self_exe ();
    const char *uri = getenv ("EDDY_URI");
    fprintf (stderr, "eddy-sim: compare: %zu runs (%zu traces x %zu policies x %zu machines x %zu "
             "fault settings x %zu seeds)%s\n", n, traces.n, policies.n, machines.n, faults.n,
             seeds.n, uri && !local ? ", as jobs of the instance at EDDY_URI" : "");
    if (uri && *uri && !local)
        run_instance (runs, n, exe, jobs, &extra);
    else
        run_local (runs, n, exe, jobs, &extra, parallel);

    json_t *size_classes = json_array (), *jruns = json_array ();
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = run_record (&runs[i], size_classes);
        if (strcmp (json_string_value (json_object_get (o, "status")), "ok"))
            failed++;
        json_array_append_new (jruns, o);
    }
    json_t *tnames = json_array ();
    for (size_t i = 0; i < traces.n; i++)
        json_array_append_new (tnames, json_string (base_name (traces.v[i])));
    json_t *data = json_pack ("{s:s s:o s:o s:o s:o s:o s:o s:o}", "version", PACKAGE_VERSION,
                              "traces", tnames, "policies", list_json (&policies), "machines",
                              list_json (&machines), "faults", list_json (&faults), "seeds",
                              list_json (&seeds), "size_classes", size_classes, "runs", jruns);
    if (!data)
        eddy_cmd_die ("sim", "out of memory");
    char *p = xasprintf ("%s/combined.json", outdir);
    if (json_dump_file (data, p, JSON_INDENT (1)) < 0)
        eddy_cmd_die ("sim", "compare: %s: cannot write", p);
    free (p);
    p = xasprintf ("%s/combined.csv", outdir);
    write_csv (p, jruns);
    free (p);
    p = xasprintf ("%s/index.html", outdir);
    write_html (p, data);
    fprintf (stderr, "eddy-sim: compare: wrote %s (%zu runs, %zu failed)\n", p, n, failed);
    free (p);
    json_decref (data);
    for (size_t i = 0; i < n; i++) {
        free (runs[i].name);
        free (runs[i].label);
        free (runs[i].dir);
        free (runs[i].jobid);
    }
    free (runs);
    free (runsdir);
    free (exe);
    list_free (&traces);
    list_free (&policies);
    list_free (&seeds);
    list_free (&machines);
    list_free (&faults);
    list_free (&extra);
    return failed ? 1 : 0;
}
