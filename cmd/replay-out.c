/* replay-out.c - the files `eddy sim replay` writes: per-job CSV, time
 * series, SWF schedule, and the summary's percentiles and size classes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/replay-out.h"

static const char status_names[][12] = {
    [EDDY_REPLAY_UNSUBMITTED] = "unsubmitted", [EDDY_REPLAY_QUEUED] = "queued",
    [EDDY_REPLAY_RUNNING] = "running",         [EDDY_REPLAY_COMPLETED] = "completed",
    [EDDY_REPLAY_TIMEOUT] = "timeout",         [EDDY_REPLAY_KILLED] = "killed",
    [EDDY_REPLAY_DENIED] = "denied",
};

const char *replay_status_name (eddy_replay_status_t status)
{
    if ((int)status < 0 || (size_t)status >= sizeof (status_names) / sizeof (status_names[0]))
        return "unknown";
    return status_names[status];
}

bool replay_job_ended (const struct replay_run *r, size_t i)
{
    eddy_replay_status_t s = r->detail[i].status;
    return (s == EDDY_REPLAY_COMPLETED || s == EDDY_REPLAY_TIMEOUT || s == EDDY_REPLAY_KILLED)
           && r->res[i].start >= 0 && r->res[i].end >= 0;
}

double replay_job_bsld (const struct eddy_ideal_result *res)
{
    double b = (res->end - res->submit) / (res->run > 10 ? res->run : 10);
    return b > 1 ? b : 1;
}

void replay_fmt_num (char *buf, size_t len, double v)
{
    snprintf (buf, len, "%.6f", v);
    char *p = buf + strlen (buf) - 1;
    while (p > buf && *p == '0')
        *p-- = '\0';
    if (*p == '.')
        *p = '\0';
    if (!strcmp (buf, "-0"))
        strcpy (buf, "0"); /* a tiny negative rounds to "-0.000000" */
}

/* ---- per-job CSV ---- */

int replay_write_jobs (FILE *f, const struct replay_run *r)
{
    fputs ("job_id,user,group,queue,submit,start,end,wait,run,req,procs,nodes,status,bsld,"
           "attempts,lost_node_seconds,redone_proc_seconds\n", f);
    for (size_t i = 0; i < r->n; i++) {
        const struct eddy_ideal_result *x = &r->res[i];
        const struct eddy_replay_job *d = &r->detail[i];
        const struct replay_who *w = &r->who[i];
        char submit[48], start[48] = "", end[48] = "", wait[48] = "", run[48] = "";
        char req[48] = "", nodes[16] = "", bsld[48] = "", lost[48], redone[48];

        replay_fmt_num (submit, sizeof (submit), x->submit);
        if (isfinite (r->jobs[i].req))
            replay_fmt_num (req, sizeof (req), r->jobs[i].req);
        if (d->status != EDDY_REPLAY_DENIED && x->start >= 0) {
            replay_fmt_num (start, sizeof (start), x->start);
            replay_fmt_num (wait, sizeof (wait), x->start - x->submit);
        }
        if (replay_job_ended (r, i)) {
            replay_fmt_num (end, sizeof (end), x->end);
            replay_fmt_num (run, sizeof (run), x->run);
            replay_fmt_num (bsld, sizeof (bsld), replay_job_bsld (x));
        }
        if (d->nodes > 0)
            snprintf (nodes, sizeof (nodes), "%" PRIu32, d->nodes);
        replay_fmt_num (lost, sizeof (lost), d->lost_node_seconds);
        replay_fmt_num (redone, sizeof (redone), d->redone_proc_seconds);
        fprintf (f,
                 "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                 ",%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%" PRIu32 ",%s,%s\n",
                 x->id, w->user, w->group, w->queue, submit, start, end, wait, run, req, x->procs,
                 nodes, replay_status_name (d->status), bsld, d->attempts, lost, redone);
    }
    return ferror (f) ? -1 : 0;
}

/* ---- time series ---- */

/* What one job event does to the counters. */
struct change {
    double t;
    int queued_jobs, running_jobs;
    int64_t queued_procs, busy_procs;
};

struct state {
    int64_t busy_procs, queued_jobs, queued_procs, running_jobs;
};

static int change_cmp (const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static void apply (struct state *s, const struct change *c)
{
    s->busy_procs += c->busy_procs;
    s->queued_jobs += c->queued_jobs;
    s->queued_procs += c->queued_procs;
    s->running_jobs += c->running_jobs;
}

static bool state_equal (const struct state *a, const struct state *b)
{
    return a->busy_procs == b->busy_procs && a->queued_jobs == b->queued_jobs
           && a->queued_procs == b->queued_procs && a->running_jobs == b->running_jobs;
}

static void put_row (FILE *f, double t, const struct state *s, int64_t procs)
{
    char tb[48], ub[48];
    replay_fmt_num (tb, sizeof (tb), t);
    replay_fmt_num (ub, sizeof (ub), procs > 0 ? (double)s->busy_procs / (double)procs : 0);
    fprintf (f, "%s,%" PRId64 ",%s,%" PRId64 ",%" PRId64 ",%" PRId64 "\n", tb, s->busy_procs, ub,
             s->queued_jobs, s->queued_procs, s->running_jobs);
}

/* Every submit, start, end and refusal the replay saw, in time order
 * (the order within an instant does not matter: rows show the state after
 * all of it).
 */
static struct change *job_changes (const struct replay_run *r, size_t *count)
{
    struct change *c = malloc ((r->n ? 3 * r->n : 1) * sizeof (*c));
    size_t m = 0;

    if (!c)
        return NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct eddy_ideal_result *x = &r->res[i];
        const struct eddy_replay_job *d = &r->detail[i];
        int64_t procs = x->procs;
        if (d->status == EDDY_REPLAY_UNSUBMITTED)
            continue;
        c[m++] = (struct change){ .t = x->submit, .queued_jobs = 1, .queued_procs = procs };
        if (d->status == EDDY_REPLAY_DENIED) {
            if (d->denied >= 0)
                c[m++] = (struct change){ .t = d->denied, .queued_jobs = -1, .queued_procs = -procs };
            continue;
        }
        if (x->start < 0)
            continue;
        c[m++] = (struct change){ .t = x->start, .queued_jobs = -1, .queued_procs = -procs,
                                  .running_jobs = 1, .busy_procs = procs };
        if (x->end >= 0)
            c[m++] = (struct change){ .t = x->end, .running_jobs = -1, .busy_procs = -procs };
    }
    qsort (c, m, sizeof (*c), change_cmp);
    *count = m;
    return c;
}

int replay_write_series (FILE *f, const struct replay_run *r, double step)
{
    struct state cur = { 0 }, last = { 0 };
    size_t m, i = 0;
    struct change *c = job_changes (r, &m);

    if (!c)
        return -1;
    fputs ("time,busy_procs,utilization,queued_jobs,queued_procs,running_jobs\n", f);
    if (step > 0 && m > 0) {
        int64_t k = (int64_t)floor (c[0].t / step);
        int64_t kend = r->complete ? (int64_t)ceil (c[m - 1].t / step)
                                   : (int64_t)floor (r->stopped_at / step);
        for (; k <= kend && !ferror (f); k++) {
            double t = (double)k * step;
            while (i < m && c[i].t <= t)
                apply (&cur, &c[i++]);
            put_row (f, t, &cur, r->procs);
        }
    }
    else if (step <= 0) {
        while (i < m) {
            double t = c[i].t;
            while (i < m && c[i].t == t)
                apply (&cur, &c[i++]);
            if (!state_equal (&cur, &last)) {
                put_row (f, t, &cur, r->procs);
                last = cur;
            }
        }
    }
    free (c);
    return ferror (f) ? -1 : 0;
}

/* ---- SWF ---- */

/* SWF field 11: 1 completed, 0 failed (a job killed at its limit or by a
 * failure did not complete), 5 cancelled (here: refused).
 */
static int swf_status (eddy_replay_status_t s)
{
    return s == EDDY_REPLAY_COMPLETED ? 1 : s == EDDY_REPLAY_DENIED ? 5 : 0;
}

int replay_write_swf (FILE *f, const struct replay_run *r)
{
    size_t kept = 0;
    char t[48];

    for (size_t i = 0; i < r->n; i++)
        if (replay_job_ended (r, i) || r->detail[i].status == EDDY_REPLAY_DENIED)
            kept++;
    fprintf (f, "; Version: 2.2\n"
                "; Computer: eddy sim replay\n"
                "; Note: the simulated schedule of %s under policy %s (eddy %s, latency %g s, "
                "seed %" PRIu64 ")\n",
             r->trace, r->policy, r->version, r->latency, r->seed);
    if (!r->complete) {
        replay_fmt_num (t, sizeof (t), r->stopped_at);
        fprintf (f, "; Note: stopped at trace time %s; the %zu jobs that had not ended are left out\n",
                 t, r->n - kept);
    }
    fprintf (f, "; MaxJobs: %zu\n; MaxRecords: %zu\n; MaxProcs: %" PRId64 "\n; MaxNodes: %lu\n;\n",
             kept, kept, r->procs, r->nodes);
    for (size_t i = 0; i < r->n; i++) {
        const struct eddy_ideal_result *x = &r->res[i];
        const struct replay_who *w = &r->who[i];
        eddy_replay_status_t s = r->detail[i].status;
        char submit[48], wait[48] = "-1", run[48] = "-1", req[48] = "-1";
        int alloc = -1;

        if (!replay_job_ended (r, i) && s != EDDY_REPLAY_DENIED)
            continue;
        replay_fmt_num (submit, sizeof (submit), x->submit);
        if (isfinite (r->jobs[i].req))
            replay_fmt_num (req, sizeof (req), r->jobs[i].req);
        if (s != EDDY_REPLAY_DENIED) {
            replay_fmt_num (wait, sizeof (wait), x->start - x->submit);
            replay_fmt_num (run, sizeof (run), x->run);
            alloc = x->procs;
        }
        /* 1 id, 2 submit, 3 wait, 4 run, 5 allocated procs, 6 cpu, 7 memory,
         * 8 requested procs, 9 requested time, 10 requested memory, 11 status,
         * 12 user, 13 group, 14 executable, 15 queue, 16 partition,
         * 17 preceding job, 18 think time */
        fprintf (f, "%" PRId64 " %s %s %s %d -1 -1 %d %s -1 %d %" PRId64 " %" PRId64 " -1 %" PRId64
                    " -1 -1 -1\n",
                 x->id, submit, wait, run, alloc, x->procs, req, swf_status (s), w->user, w->group,
                 w->queue);
    }
    return ferror (f) ? -1 : 0;
}

/* ---- summary figures ---- */

static int double_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the values at or
 * below it, i.e. the ceil (p/100 x n)-th smallest.
 */
static json_t *percentiles (double *v, size_t n)
{
    static const int ps[] = { 50, 90, 99 };
    json_t *o = json_object ();

    qsort (v, n, sizeof (*v), double_cmp);
    for (size_t i = 0; o && i < sizeof (ps) / sizeof (ps[0]); i++) {
        char key[8];
        size_t rank = (ps[i] * n + 99) / 100;
        snprintf (key, sizeof (key), "p%d", ps[i]);
        if (json_object_set_new (o, key, n ? json_real (v[rank ? rank - 1 : 0]) : json_null ()) < 0) {
            json_decref (o);
            return NULL;
        }
    }
    return o;
}

static const struct size_class {
    const char *label;
    int lo, hi;
} size_classes[] = {
    { "1", 1, 1 },         { "2-4", 2, 4 },         { "5-16", 5, 16 },      { "17-64", 17, 64 },
    { "65-256", 65, 256 }, { "257-1024", 257, 1024 }, { ">1024", 1025, INT32_MAX },
};

#define NCLASSES (sizeof (size_classes) / sizeof (size_classes[0]))

static json_t *mean_or_null (double sum, size_t n)
{
    return n ? json_real (sum / (double)n) : json_null ();
}

static json_t *size_class_figures (const struct replay_run *r)
{
    size_t count[NCLASSES] = { 0 };
    double wait[NCLASSES] = { 0 }, bsld[NCLASSES] = { 0 };
    json_t *a = json_array ();

    for (size_t i = 0; i < r->n; i++) {
        const struct eddy_ideal_result *x = &r->res[i];
        if (!replay_job_ended (r, i))
            continue;
        for (size_t c = 0; c < NCLASSES; c++) {
            if (x->procs >= size_classes[c].lo && x->procs <= size_classes[c].hi) {
                count[c]++;
                wait[c] += x->start - x->submit;
                bsld[c] += replay_job_bsld (x);
                break;
            }
        }
    }
    for (size_t c = 0; a && c < NCLASSES; c++) {
        json_t *o = json_pack ("{s:s s:I s:o s:o}", "procs", size_classes[c].label, "count",
                               (json_int_t)count[c], "mean_wait", mean_or_null (wait[c], count[c]),
                               "mean_bsld", mean_or_null (bsld[c], count[c]));
        if (!o || json_array_append_new (a, o) < 0) {
            json_decref (a);
            return NULL;
        }
    }
    return a;
}

int replay_summary_figures (json_t *summary, const struct replay_run *r)
{
    double *wait = malloc ((r->n ? r->n : 1) * sizeof (double));
    double *bsld = malloc ((r->n ? r->n : 1) * sizeof (double));
    size_t m = 0;
    int rc = -1;

    if (!wait || !bsld)
        goto done;
    for (size_t i = 0; i < r->n; i++) {
        if (replay_job_ended (r, i)) {
            wait[m] = r->res[i].start - r->res[i].submit;
            bsld[m] = replay_job_bsld (&r->res[i]);
            m++;
        }
    }
    if (json_object_set_new (summary, "wait_percentiles", percentiles (wait, m)) < 0
        || json_object_set_new (summary, "bsld_percentiles", percentiles (bsld, m)) < 0
        || json_object_set_new (summary, "size_classes", size_class_figures (r)) < 0)
        goto done;
    rc = 0;
done:
    free (wait);
    free (bsld);
    if (rc < 0)
        errno = ENOMEM;
    return rc;
}

void replay_fault_figures (const struct replay_run *r, struct replay_fault_figures *ff)
{
    *ff = (struct replay_fault_figures){ 0 };
    for (size_t i = 0; i < r->n; i++) {
        const struct eddy_replay_job *d = &r->detail[i];
        if (d->status == EDDY_REPLAY_KILLED || d->lost_node_seconds > 0
            || d->redone_proc_seconds > 0)
            ff->killed_jobs++;
        ff->lost_node_hours += d->lost_node_seconds / 3600.0;
        ff->redone_proc_hours += d->redone_proc_seconds / 3600.0;
    }
}
