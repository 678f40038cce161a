/* coord.c - the exec coordinator on rank 0: one streaming exec.start per
 * job, answered start -> [exception] -> finish -> release -> ENODATA.
 *
 * Jobs without processes (the sim backend, or a jobspec with
 * attributes.system.exec.test.run_duration) cost one struct and one timer.
 * Real jobs are spread over the ranks of R (taskmap.h); each rank's job
 * shell gets an exec.launch stream and reports start, output and finish.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "engine/nest.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "exec/exec_impl.h"
#include "exec/outlog.h"
#include "exec/taskmap.h"
#include "kvs/kvs.h"

struct job;

/* A rank's part of a real job: its exec.launch stream. */
struct jobrank {
    struct job *job;
    uint32_t rank;
    eddy_future_t *f;
    json_t *pending; /* exec.launch payload held until the first rank started */
    bool started;
    bool done;
    bool input; /* some task of it takes the job's stdin */
};

struct job {
    struct coord *c;
    uint64_t id;
    const eddy_msg_t *req; /* the exec.start request (a copy without payload) */
    struct job *hnext;     /* hash chain */
    eddy_watcher_t *timer; /* test: completion or time limit; real: time limit */
    eddy_watcher_t *kill_timer;
    double duration;    /* time limit, 0 = none */
    double run;         /* test: run_duration */
    int wait_status;    /* test: finish status */
    bool test;
    bool timer_is_limit;
    bool started;
    bool exception;
    bool node_failure; /* a rank of the job was lost */
    int status;
    int nranks;
    int nstarted;
    int ndone;
    struct jobrank *ranks;
    eddy_idset_t *test_ranks; /* test: the ranks of R (a lost one fails it) */
    int ntasks;
    bool output;  /* the output eventlog has its header */
    bool closing; /* every rank is done: waiting for the eof commit */
    /* a job of another user waits for its J (job.ID.J) before it starts */
    eddy_future_t *J_f;
    json_t *held_R, *held_jobspec;
    uint32_t userid;
    int held_signal; /* a signal that came while it waited */
    /* stdin (shell.options.stdin, pty): the client that last fed it, by
     * its route's origin on the rank it is connected to (0: none) */
    bool input, pty;
    json_t *winsize; /* shell.options.winsize: a pty's size at start, or NULL */
    uint64_t input_origin;
    uint32_t input_rank; /* the rank that client is connected to */
    bool fed;            /* on the coordinator's list of jobs a client feeds */
    struct job *fed_next, *fed_prev;
    /* test: a nested instance runs in the job (engine/nest.h) */
    eddy_nest_t *nest;
    const struct eddy_nest_ops *nest_ops;
};

/* An exec.stdin request forwarded to the ranks whose tasks take it: it is
 * answered once they all answered exec.input (the first error, unless
 * one of them took the chunk).  It does not point at the job, which may
 * end meanwhile.
 */
struct forward {
    eddy_handle_t *h;
    const eddy_msg_t *req;
    int waiting;
    bool taken;
    int errnum;
    char errstr[160];
};

/* A job failed for the loss of a rank whose broker may live on, cut off
 * (its parent died): the tasks there are killed when the rank is back. */
struct orphan {
    uint32_t rank;
    uint64_t id;
};

struct coord {
    struct exec_ctx *ctx;
    struct outlog *out;
    struct job **buckets;
    struct job *fed; /* jobs whose stdin a client fed: a disconnect looks at these only */
    size_t nbuckets; /* a power of 2 */
    size_t count;
    struct orphan *orphans; /* in the order they were lost */
    size_t norphans, orphans_cap;
};

/* ---- the job table: id -> job (lookups only; never iterated for order) ---- */

static size_t slot (const struct coord *c, uint64_t id)
{
    uint64_t x = id * 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29)) & (c->nbuckets - 1);
}

static struct job *lookup (struct coord *c, uint64_t id)
{
    for (struct job *j = c->buckets[slot (c, id)]; j; j = j->hnext)
        if (j->id == id)
            return j;
    return NULL;
}

static int insert (struct coord *c, struct job *job)
{
    if (c->count + 1 > c->nbuckets) {
        size_t n = c->nbuckets * 2;
        struct job **nb = calloc (n, sizeof (*nb));
        if (!nb)
            return -1;
        struct job **old = c->buckets;
        size_t oldn = c->nbuckets;
        c->buckets = nb;
        c->nbuckets = n;
        for (size_t i = 0; i < oldn; i++) {
            struct job *j = old[i];
            while (j) {
                struct job *next = j->hnext;
                size_t s = slot (c, j->id);
                j->hnext = c->buckets[s];
                c->buckets[s] = j;
                j = next;
            }
        }
        free (old);
    }
    size_t s = slot (c, job->id);
    job->hnext = c->buckets[s];
    c->buckets[s] = job;
    c->count++;
    return 0;
}

static void unlink_job (struct coord *c, struct job *job)
{
    for (struct job **p = &c->buckets[slot (c, job->id)]; *p; p = &(*p)->hnext) {
        if (*p == job) {
            *p = job->hnext;
            c->count--;
            return;
        }
    }
}

static void fed_unlink (struct job *job)
{
    if (!job->fed)
        return;
    if (job->fed_prev)
        job->fed_prev->fed_next = job->fed_next;
    else
        job->c->fed = job->fed_next;
    if (job->fed_next)
        job->fed_next->fed_prev = job->fed_prev;
    job->fed = false;
}

static void job_free (struct job *job)
{
    if (job) {
        fed_unlink (job);
        for (int i = 0; i < job->nranks; i++) {
            eddy_future_destroy (job->ranks[i].f);
            json_decref (job->ranks[i].pending);
        }
        free (job->ranks);
        eddy_future_destroy (job->J_f);
        json_decref (job->held_R);
        json_decref (job->held_jobspec);
        json_decref (job->winsize);
        eddy_idset_destroy (job->test_ranks);
        if (job->nest)
            job->nest_ops->detach (job->nest); /* it tears itself down */
        eddy_watcher_destroy (job->timer);
        eddy_watcher_destroy (job->kill_timer);
        eddy_msg_decref (job->req);
        free (job);
    }
}

/* ---- responses on the exec.start stream ---- */

static void respond_start (struct job *job)
{
    job->started = true;
    eddy_respond_pack (job->c->ctx->h, job->req, "{s:I s:s}", "id", (json_int_t)job->id, "type",
                       "start");
}

static void raise_exception (struct job *job, const char *type, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void raise_exception (struct job *job, const char *type, const char *fmt, ...)
{
    char note[256];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (note, sizeof (note), fmt, ap);
    va_end (ap);
    job->exception = true;
    eddy_respond_pack (job->c->ctx->h, job->req, "{s:I s:s s:i s:s s:s}", "id",
                       (json_int_t)job->id, "type", "exception", "severity", 0, "exception_type",
                       type, "note", note);
}

/* finish (if the job started), release, end of stream; the job is freed. */
static void job_end (struct job *job)
{
    struct coord *c = job->c;
    eddy_handle_t *h = c->ctx->h;

    if (job->started)
        eddy_respond_pack (h, job->req, "{s:I s:s s:i}", "id", (json_int_t)job->id, "type",
                           "finish", "status", job->status);
    eddy_respond_pack (h, job->req, "{s:I s:s s:b}", "id", (json_int_t)job->id, "type", "release",
                       "final", 1);
    eddy_respond_error (h, job->req, ENODATA, NULL);
    unlink_job (c, job);
    job_free (job);
}

/* ---- signals ---- */

/* Ranks whose launch waits for the first one's start never run (the job
 * failed or is killed first): they count as done.
 */
static void drop_pending (struct job *job)
{
    for (int i = 0; i < job->nranks; i++) {
        struct jobrank *jr = &job->ranks[i];
        if (jr->pending) {
            json_decref (jr->pending);
            jr->pending = NULL;
            if (!jr->done) { /* a lost rank is done already */
                jr->done = true;
                job->ndone++;
            }
        }
    }
}

static void send_signal (struct job *job, int signum)
{
    drop_pending (job);
    for (int i = 0; i < job->nranks; i++) {
        struct jobrank *jr = &job->ranks[i];
        if (jr->done)
            continue;
        eddy_future_t *f = eddy_rpc_pack (job->c->ctx->h, "exec.signal", jr->rank,
                                          EDDY_RPC_NORESPONSE, "{s:I s:i}", "id",
                                          (json_int_t)job->id, "signal", signum);
        eddy_future_destroy (f);
    }
}

/* Deliver signum to the job.  A job without processes dies of any signal
 * but 0 at once (its status is the signal), and is freed.
 */
static void job_kill (struct job *job, int signum)
{
    if (signum == 0)
        return;
    if (job->test && job->nest) {
        /* the child cancels its jobs and shuts down: nest_done () ends it */
        job->nest_ops->kill (job->nest, signum);
        return;
    }
    if (job->test) {
        job->status = signum;
        job_end (job);
        return;
    }
    if (job->J_f) {
        job->held_signal = signum; /* nothing runs yet: it will not start */
        return;
    }
    send_signal (job, signum);
}

static void kill_timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct job *job = arg;
    exec_log (job->c->ctx, LOG_INFO, "job %ju: still running %gs after SIGTERM: SIGKILL",
              (uintmax_t)job->id, job->c->ctx->kill_timeout);
    send_signal (job, SIGKILL);
}

/* SIGTERM, then SIGKILL after kill-timeout if the job still runs (a time
 * limit, or a cancel).  A second SIGTERM does not push the SIGKILL back.
 */
static void job_terminate (struct job *job)
{
    if (!job->test && !job->kill_timer) {
        /* the grace timer is started first: job_kill () may free a test job */
        if (!(job->kill_timer = eddy_timer_create (job->c->ctx->r, job->c->ctx->kill_timeout, 0,
                                                   kill_timer_cb, job)))
            exec_log (job->c->ctx, LOG_ERR, "job %ju: no kill timer: %s", (uintmax_t)job->id,
                      strerror (errno));
        else
            eddy_watcher_start (job->kill_timer);
    }
    job_kill (job, SIGTERM);
}

static void timeout (struct job *job)
{
    char fsd[64];
    eddy_fsd_format (fsd, sizeof (fsd), job->duration);
    raise_exception (job, "timeout", "resource allocation expired (time limit %s)", fsd);
    job_terminate (job);
}

/* ---- jobs without processes ---- */

static void test_timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct job *job = arg;
    if (job->timer_is_limit) {
        timeout (job);
        return;
    }
    job->status = job->wait_status;
    job_end (job);
}

static int test_start (struct job *job)
{
    struct exec_ctx *ctx = job->c->ctx;
    double after = job->run;

    /* the limit matters only if it comes strictly first: at a tie the job
     * completes (DESIGN.md: a job runs for its run time) */
    if (job->duration > 0 && job->run > job->duration && ctx->test_time_limit) {
        after = job->duration;
        job->timer_is_limit = true;
    }
    if (!(job->timer = eddy_timer_create (ctx->r, after, 0, test_timer_cb, job)))
        return -1;
    respond_start (job);
    eddy_watcher_start (job->timer);
    return 0;
}

/* ---- nested instances (jobs without processes, in the simulator) ---- */

static void nest_done (int status, void *arg)
{
    struct job *job = arg;
    job->nest = NULL;
    job->status = status;
    job_end (job);
}

/* The child instance is the job: it starts now and the job ends when the
 * child is done with its workload (or torn down by a signal).  The time
 * limit holds as for any job without processes.
 */
static int nest_start (struct job *job, json_t *R, json_t *spec, eddy_error_t *err)
{
    struct exec_ctx *ctx = job->c->ctx;
    void *world;
    const struct eddy_nest_ops *ops = eddy_reactor_nest (ctx->r, &world);
    struct eddy_nest_args a = { .jobid = job->id, .R = R, .spec = spec,
                                .parent_uri = ctx->local_uri ? ctx->local_uri : "" };

    if (!ops) {
        errno = ENOSYS;
        return eddy_error_set (err, "attributes.system.exec.test.nest: nested instances "
                                    "without processes run only in the simulator");
    }
    if (job->duration > 0 && ctx->test_time_limit) {
        if (!(job->timer = eddy_timer_create (ctx->r, job->duration, 0, test_timer_cb, job)))
            return eddy_error_set (err, "cannot start a timer: %s", strerror (errno));
        job->timer_is_limit = true;
    }
    if (!(job->nest = ops->start (world, &a, nest_done, job, err)))
        return -1;
    job->nest_ops = ops;
    respond_start (job);
    if (job->timer)
        eddy_watcher_start (job->timer);
    return 0;
}

/* ---- real jobs ---- */

static void eof_committed (void *arg)
{
    job_end (arg);
}

/* Every rank is done: the output eventlog gets its eof entries, and the
 * job ends once they are stored (so a reader that saw finish finds all of
 * the output).
 */
static void job_check_done (struct job *job)
{
    char ranks[32];

    if (job->ndone < job->nranks || job->closing)
        return;
    job->closing = true;
    eddy_watcher_stop (job->timer);
    eddy_watcher_stop (job->kill_timer);
    if (job->ntasks > 1)
        snprintf (ranks, sizeof (ranks), "0-%d", job->ntasks - 1);
    else
        snprintf (ranks, sizeof (ranks), "0");
    if (!job->output || outlog_close (job->c->out, job->id, ranks, eof_committed, job) < 0)
        job_end (job);
}

static void limit_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    timeout (arg);
}

/* Every rank's tasks are running: the job started. */
static void job_running (struct job *job)
{
    struct exec_ctx *ctx = job->c->ctx;
    respond_start (job);
    if (job->duration > 0 && isfinite (job->duration)) {
        if (!(job->timer = eddy_timer_create (ctx->r, job->duration, 0, limit_cb, job)))
            exec_log (ctx, LOG_ERR, "job %ju: no time limit timer: %s", (uintmax_t)job->id,
                      strerror (errno));
        eddy_watcher_start (job->timer);
    }
}

static void rank_failed (struct jobrank *jr, const char *why)
{
    struct job *job = jr->job;
    if (!job->exception)
        raise_exception (job, "exec", "rank %u: %s", jr->rank, why);
    jr->done = true;
    job->ndone++;
    send_signal (job, SIGKILL);
}

static void launch_cb (eddy_future_t *f, void *arg);

static void launch_rank (struct jobrank *jr, json_t *p)
{
    struct exec_ctx *ctx = jr->job->c->ctx;
    jr->f = p ? eddy_rpc (ctx->h, "exec.launch", p, jr->rank, EDDY_RPC_STREAMING) : NULL;
    json_decref (p);
    if (!jr->f || eddy_future_then (jr->f, -1, launch_cb, jr) < 0) {
        eddy_future_destroy (jr->f);
        jr->f = NULL;
        rank_failed (jr, "cannot send exec.launch");
    }
}

/* The first rank started (its output files are open and truncated): the
 * others may write to them now.
 */
static void launch_pending (struct job *job)
{
    if (job->exception) {
        drop_pending (job);
        return;
    }
    for (int i = 0; i < job->nranks; i++) {
        struct jobrank *jr = &job->ranks[i];
        json_t *p = jr->pending;
        if (p) {
            jr->pending = NULL;
            launch_rank (jr, p);
        }
    }
}

static void launch_cb (eddy_future_t *f, void *arg)
{
    struct jobrank *jr = arg;
    struct job *job = jr->job;
    const char *type;
    json_t *o;

    if (eddy_rpc_get (f, &o) < 0) {
        if (errno != ENODATA)
            rank_failed (jr, eddy_future_error_string (f));
        else if (!jr->done) {
            jr->done = true;
            job->ndone++;
        }
        drop_pending (job); /* the first rank ended before it started */
        eddy_future_destroy (f);
        jr->f = NULL;
        job_check_done (job);
        return;
    }
    if (json_unpack (o, "{s:s}", "type", &type) < 0) {
        exec_log (job->c->ctx, LOG_ERR, "job %ju: rank %u: malformed exec.launch response",
                  (uintmax_t)job->id, jr->rank);
    } else if (!strcmp (type, "start")) {
        jr->started = true;
        launch_pending (job);
        if (++job->nstarted == job->nranks && !job->exception)
            job_running (job);
    } else if (!strcmp (type, "output")) {
        if (outlog_data (job->c->out, job->id, json_object_get (o, "entries")) < 0)
            exec_log (job->c->ctx, LOG_ERR, "job %ju: output lost: %s", (uintmax_t)job->id,
                      strerror (errno));
    } else if (!strcmp (type, "exception")) {
        /* a rank says why the job cannot go on: an output file its guard
         * could not open, a PMI client that broke the protocol or aborted */
        const char *note = json_string_value (json_object_get (o, "note"));
        if (!job->exception)
            raise_exception (job, "exec", "rank %u: %s", jr->rank, note ? note : "failed");
        send_signal (job, SIGKILL);
    } else if (!strcmp (type, "finish")) {
        int status = 0;
        json_unpack (o, "{s:i}", "status", &status);
        if (status > job->status)
            job->status = status;
    }
    eddy_future_reset (f);
}

/* {{id}} (F58), {{id.f58}}, {{id.dec}} and {{id.hex}} in an output path
 * (as Flux's mustache templates); a relative path is taken in the job's
 * cwd.  NULL + ENOMEM.
 */
static char *output_path (const char *tmpl, uint64_t id, const char *cwd)
{
    static const struct {
        const char *tag;
        eddy_fluid_type_t type;
    } tags[] = {
        { "{{id}}", EDDY_FLUID_F58 },
        { "{{id.f58}}", EDDY_FLUID_F58 },
        { "{{id.dec}}", EDDY_FLUID_DEC },
        { "{{id.hex}}", EDDY_FLUID_HEX },
    };
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream (&out, &len);

    if (!m)
        return NULL;
    if (tmpl[0] != '/' && cwd && *cwd)
        fprintf (m, "%s%s", cwd, cwd[strlen (cwd) - 1] == '/' ? "" : "/");
    while (*tmpl) {
        size_t i, n = sizeof (tags) / sizeof (tags[0]);
        for (i = 0; i < n; i++)
            if (!strncmp (tmpl, tags[i].tag, strlen (tags[i].tag)))
                break;
        if (i < n) {
            char buf[EDDY_FLUID_STRMAX];
            eddy_fluid_encode (buf, sizeof (buf), id, tags[i].type);
            fputs (buf, m);
            tmpl += strlen (tags[i].tag);
        }
        else
            fputc (*tmpl++, m);
    }
    if (fclose (m) != 0) {
        free (out);
        return NULL;
    }
    return out;
}

/* {"stdout": path, "stderr": path} for the streams that go to files
 * (stderr follows stdout's file unless it has its own), or NULL: both go
 * to the output eventlog.
 */
static json_t *output_files (uint64_t id, json_t *sys)
{
    json_t *spec = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"),
                                    "output");
    const char *cwd = json_string_value (json_object_get (sys, "cwd"));
    const char *streams[2] = { "stdout", "stderr" }, *tmpl[2] = { NULL, NULL };
    json_t *o = NULL;

    for (int k = 0; k < 2; k++) {
        json_t *s = json_object_get (spec, streams[k]);
        const char *type = json_string_value (json_object_get (s, "type"));
        if (type && !strcmp (type, "file"))
            tmpl[k] = json_string_value (json_object_get (s, "path"));
    }
    if (!tmpl[1] && !json_object_get (spec, "stderr"))
        tmpl[1] = tmpl[0];
    for (int k = 0; k < 2; k++) {
        char *path;
        if (!tmpl[k])
            continue;
        if ((!o && !(o = json_object ())) || !(path = output_path (tmpl[k], id, cwd))) {
            json_decref (o);
            return NULL;
        }
        json_object_set_new (o, streams[k], json_string (path));
        free (path);
    }
    return o;
}

/* exec.launch's "pmi" object: the job's ranks (in task order, which is
 * rank order) for the exchange tree, and PMI_process_mapping (MPICH's
 * "(vector,(node,nnodes,ppn),...)", a node being one of those ranks) when
 * the tasks lie in blocks.  NULL when the jobspec turns PMI off
 * (attributes.system.shell.options.pmi: "off" or false) or out of memory.
 */
static json_t *pmi_spec (json_t *sys, const eddy_taskmap_t *tm)
{
    json_t *opt = json_object_get (json_object_get (json_object_get (sys, "shell"), "options"), "pmi");
    eddy_idset_t *ids;
    char map[1024];
    size_t len = 0;
    int node = 0, next_base = 0, prev_n = -1, start = 0, count = 0;
    bool blocks = true;
    json_t *o = NULL;

    if (json_is_false (opt) || (json_is_string (opt) && !strcmp (json_string_value (opt), "off")))
        return NULL;
    if (!(ids = eddy_idset_create ()))
        return NULL;
    len = (size_t)snprintf (map, sizeof (map), "(vector");
    for (int i = 0; i < eddy_taskmap_nranks (tm); i++) {
        const struct eddy_taskmap_rank *tr = eddy_taskmap_get (tm, i);
        if (tr->ntasks == 0)
            continue;
        if (eddy_idset_set (ids, tr->rank) < 0)
            goto done;
        if (tr->base != next_base)
            blocks = false;
        next_base = tr->base + tr->ntasks;
        if (tr->ntasks != prev_n) {
            if (count > 0 && len < sizeof (map))
                len += (size_t)snprintf (map + len, sizeof (map) - len, ",(%d,%d,%d)", start, count,
                                         prev_n);
            start = node;
            count = 0;
            prev_n = tr->ntasks;
        }
        count++;
        node++;
    }
    if (count > 0 && len < sizeof (map))
        len += (size_t)snprintf (map + len, sizeof (map) - len, ",(%d,%d,%d))", start, count, prev_n);
    char *text = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    if (text && (o = json_pack ("{s:s}", "ranks", text)) && blocks && len < sizeof (map))
        json_object_set_new (o, "map", json_string (map));
    free (text);
done:
    eddy_idset_destroy (ids);
    return o;
}

/* shell.options.stdin (the task ranks that take the job's stdin: an
 * idset, or "all") and pty (task 0 on a terminal, which takes stdin):
 * *set NULL when no task does.  -1 only out of memory; what job-ingest
 * let through but names no task is none.
 */
static int stdin_spec (json_t *shopts, struct job *job, eddy_idset_t **set)
{
    const char *text = json_string_value (json_object_get (shopts, "stdin"));
    eddy_idset_t *ids = NULL;

    job->pty = json_is_true (json_object_get (shopts, "pty"));
    json_t *ws = json_object_get (shopts, "winsize");
    if (job->pty && json_is_object (ws))
        job->winsize = json_incref (ws);
    *set = NULL;
    if (text && !strcmp (text, "all")) {
        if (!(ids = eddy_idset_create ())
            || (job->ntasks > 0 && eddy_idset_range_set (ids, 0, job->ntasks - 1) < 0))
            goto nomem;
    }
    else if (text && !(ids = eddy_idset_decode (text, NULL)) && errno == ENOMEM)
        return -1;
    if (job->pty && ((!ids && !(ids = eddy_idset_create ())) || eddy_idset_set (ids, 0) < 0))
        goto nomem;
    *set = ids;
    return 0;
nomem:
    eddy_idset_destroy (ids);
    errno = ENOMEM;
    return -1;
}

/* Whether a task of [base, base + ntasks) is in set. */
static bool rank_takes (const eddy_idset_t *set, int base, int ntasks)
{
    for (int i = base; i < base + ntasks; i++)
        if (eddy_idset_test (set, (unsigned)i))
            return true;
    return false;
}

static int real_start (struct job *job, uint32_t userid, json_t *R, json_t *jobspec, json_t *J)
{
    eddy_error_t err = { "" };
    eddy_taskmap_t *tm;
    json_t *sys = json_object_get (json_object_get (jobspec, "attributes"), "system");
    json_t *cmd = json_object_get (json_array_get (json_object_get (jobspec, "tasks"), 0), "command");
    json_t *env = json_object_get (sys, "environment");
    json_t *cwd = json_object_get (sys, "cwd");
    json_t *shopts = json_object_get (json_object_get (sys, "shell"), "options");
    json_t *affinity = json_object_get (shopts, "cpu-affinity");
    json_t *gpu_affinity = json_object_get (shopts, "gpu-affinity");
    eddy_idset_t *stdin_set = NULL;

    /* another user's job runs through eddy-imp, which needs the job's
     * signed jobspec to become that user */
    if (userid != (uint32_t)getuid ()) {
        if (!job->c->ctx->imp) {
            raise_exception (job, "exec", "jobs of user %u need eddy-imp: set imp in [exec]",
                             userid);
            return 0;
        }
        if (!json_is_string (J)) {
            raise_exception (job, "exec", "job of user %u has no signed jobspec (J) to run it with",
                             userid);
            return 0;
        }
    }
    if (!(tm = eddy_taskmap_from_jobspec (R, jobspec, &err))) {
        raise_exception (job, "exec", "%s", err.text);
        return 0;
    }
    job->ntasks = eddy_taskmap_ntasks (tm);
    job->output = outlog_header (job->c->out, job->id, job->ntasks) == 0;
    json_t *files = output_files (job->id, sys);
    json_t *pmi = pmi_spec (sys, tm);
    int n = 0;
    for (int i = 0; i < eddy_taskmap_nranks (tm); i++)
        if (eddy_taskmap_get (tm, i)->ntasks > 0)
            n++;
    if (!(job->ranks = calloc (n, sizeof (job->ranks[0])))
        || (shopts && stdin_spec (shopts, job, &stdin_set) < 0)) {
        eddy_taskmap_destroy (tm);
        json_decref (files);
        json_decref (pmi);
        return -1;
    }
    for (int i = 0; i < eddy_taskmap_nranks (tm); i++) {
        const struct eddy_taskmap_rank *tr = eddy_taskmap_get (tm, i);
        if (tr->ntasks == 0)
            continue;
        struct jobrank *jr = &job->ranks[job->nranks++];
        jr->job = job;
        jr->rank = tr->rank;
        json_t *p = json_pack ("{s:I s:i s:i s:i s:i s:O s:s s:i}", "id", (json_int_t)job->id,
                               "userid", (int)userid, "base", tr->base, "ntasks", tr->ntasks,
                               "size", eddy_taskmap_ntasks (tm), "command",
                               cmd ? cmd : json_null (), "cores", tr->cores, "nnodes",
                               eddy_taskmap_nranks (tm));
        if (p && tr->gpus[0])
            json_object_set_new (p, "gpus", json_string (tr->gpus));
        if (p && json_is_string (affinity))
            json_object_set (p, "cpu-affinity", affinity);
        if (p && json_is_object (env))
            json_object_set (p, "environment", env);
        if (p && json_is_string (cwd))
            json_object_set (p, "cwd", cwd);
        if (p && userid != (uint32_t)getuid ())
            json_object_set (p, "J", J);
        if (p && pmi)
            json_object_set (p, "pmi", pmi);
        if (p && json_is_string (gpu_affinity))
            json_object_set (p, "gpu-affinity", gpu_affinity);
        if (p && stdin_set && (jr->input = rank_takes (stdin_set, tr->base, tr->ntasks))) {
            char *text = eddy_idset_encode (stdin_set, EDDY_IDSET_RANGE);
            if (!text || json_object_set_new (p, "stdin", json_string (text)) < 0)
                jr->input = false; /* out of memory: its tasks read EOF */
            free (text);
            if (job->pty && tr->base == 0) {
                json_object_set_new (p, "pty", json_true ());
                if (job->winsize)
                    json_object_set (p, "winsize", job->winsize);
            }
            job->input |= jr->input;
        }
        if (p && files) {
            json_object_set (p, "output", files);
            json_object_set_new (p, "truncate", json_boolean (tr->base == 0));
            if (tr->base != 0) {
                jr->pending = p; /* sent once task 0's rank started */
                continue;
            }
        }
        launch_rank (jr, p);
    }
    eddy_taskmap_destroy (tm);
    eddy_idset_destroy (stdin_set);
    json_decref (files);
    json_decref (pmi);
    return 0;
}

/* ---- requests ---- */

/* attributes.system.exec.test: run_duration (seconds or FSD text) and
 * wait_status; 1 if the job is a test job, 0 if not, -1 if malformed.
 */
static int test_attrs (json_t *sys, double *run, int *wait_status, eddy_error_t *err)
{
    json_t *test = json_object_get (json_object_get (sys, "exec"), "test");
    json_t *rd = json_object_get (test, "run_duration");
    json_t *ws = json_object_get (test, "wait_status");

    if (ws && (!json_is_integer (ws) || json_integer_value (ws) < 0
               || json_integer_value (ws) > 0xffff))
        return eddy_error_set (err, "attributes.system.exec.test.wait_status: must be 0-65535");
    *wait_status = ws ? (int)json_integer_value (ws) : 0;
    if (!rd)
        return 0;
    if (json_is_number (rd))
        *run = json_number_value (rd);
    else if (!json_is_string (rd) || eddy_fsd_parse (json_string_value (rd), run, NULL) < 0)
        return eddy_error_set (err, "attributes.system.exec.test.run_duration: not a duration");
    if (!(*run >= 0) || !isfinite (*run))
        return eddy_error_set (err, "attributes.system.exec.test.run_duration: must be >= 0");
    return 1;
}

/* The ranks of R's R_lite, or NULL (none, malformed, out of memory):
 * a job without processes still fails when one of them is lost. */
static eddy_idset_t *R_ranks (json_t *R)
{
    json_t *lite = json_object_get (json_object_get (R, "execution"), "R_lite");
    eddy_idset_t *ids = NULL;
    size_t i;
    json_t *e;

    json_array_foreach (lite, i, e) {
        const char *text = json_string_value (json_object_get (e, "rank"));
        eddy_idset_t *one = text ? eddy_idset_decode (text, NULL) : NULL;
        if (one && !ids)
            ids = one;
        else if (one) {
            int rc = eddy_idset_add (ids, one);
            eddy_idset_destroy (one);
            if (rc < 0)
                break;
        }
    }
    return ids;
}

/* job.ID.J came (or not): a job of another user starts with it, unless
 * it was signaled meanwhile.
 */
static void J_cb (eddy_future_t *f, void *arg)
{
    struct job *job = arg;
    const char *text = NULL;
    json_t *J = NULL;

    if (eddy_kvs_lookup_get_unpack (f, "s", &text) == 0)
        J = json_string (text);
    job->J_f = NULL;
    if (job->held_signal)
        raise_exception (job, "cancel", "job was signaled (%d) before it started", job->held_signal);
    else if (real_start (job, job->userid, job->held_R, job->held_jobspec, J) < 0)
        raise_exception (job, "exec", "out of memory");
    json_decref (J);
    eddy_future_destroy (f);
    job_check_done (job);
}

/* A job of another user without J in exec.start: read it from the KVS,
 * where job-ingest keeps it beside the jobspec.  -1 if it cannot be asked.
 */
static int fetch_J (struct job *job, uint32_t userid, json_t *R, json_t *jobspec)
{
    char key[128];

    if (eddy_kvs_job_key (key, sizeof (key), job->id, "J") < 0
        || !(job->J_f = eddy_kvs_lookup (job->c->ctx->h, NULL, 0, key))
        || eddy_future_then (job->J_f, -1, J_cb, job) < 0) {
        eddy_future_destroy (job->J_f);
        job->J_f = NULL;
        return -1;
    }
    job->userid = userid;
    job->held_R = json_incref (R);
    job->held_jobspec = json_incref (jobspec);
    return 0;
}

void coord_start (struct coord *c, const eddy_msg_t *msg)
{
    struct exec_ctx *ctx = c->ctx;
    json_int_t id;
    int userid;
    json_t *R, *jobspec, *J = NULL;
    json_error_t jerr;
    eddy_error_t err = { "" };
    struct job *job;

    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        eddy_respond_error (ctx->h, msg, EPROTO, "exec.start needs a streaming request");
        return;
    }
    if (!eddy_msg_payload (msg)
        || json_unpack_ex (eddy_msg_payload (msg), &jerr, 0, "{s:I s:i s:o s:o s?o}", "id", &id,
                           "userid", &userid, "R", &R, "jobspec", &jobspec, "J", &J) < 0) {
        eddy_respond_error (ctx->h, msg, EPROTO, "exec.start: malformed payload");
        return;
    }
    if (id < 0 || !json_is_object (jobspec) || !json_is_object (R)) {
        eddy_respond_error (ctx->h, msg, EPROTO, "exec.start: malformed payload");
        return;
    }
    if (lookup (c, (uint64_t)id)) {
        eddy_respond_error (ctx->h, msg, EEXIST, "exec.start: job is already running");
        return;
    }
    if (!(job = calloc (1, sizeof (*job))))
        goto nomem;
    job->c = c;
    job->id = (uint64_t)id;
    job->userid = (uint32_t)userid;
    /* responses need the route, not the jobspec: keep a copy without it */
    if (!(job->req = eddy_msg_copy (msg, false))) {
        free (job);
        goto nomem;
    }
    json_t *sys = json_object_get (json_object_get (jobspec, "attributes"), "system");
    json_t *dur = json_object_get (sys, "duration");
    if (json_is_number (dur) && json_number_value (dur) > 0)
        job->duration = json_number_value (dur);
    int t = test_attrs (sys, &job->run, &job->wait_status, &err);
    if (t < 0) {
        eddy_respond_error (ctx->h, msg, EINVAL, err.text);
        job_free (job);
        return;
    }
    job->test = t == 1 || ctx->sim;
    if (insert (c, job) < 0) {
        job_free (job);
        goto nomem;
    }
    if (job->test) {
        json_t *nest = json_object_get (json_object_get (json_object_get (sys, "exec"), "test"),
                                        "nest");
        job->test_ranks = R_ranks (R);
        if (nest && nest_start (job, R, nest, &err) < 0) {
            raise_exception (job, "exec", "%s", err.text);
            job_end (job);
        }
        else if (!nest && test_start (job) < 0) {
            raise_exception (job, "exec", "cannot start a timer: %s", strerror (errno));
            job_end (job);
        }
        return;
    }
    if ((uint32_t)userid != (uint32_t)getuid () && !J && ctx->imp) {
        if (fetch_J (job, (uint32_t)userid, R, jobspec) == 0)
            return;
        raise_exception (job, "exec", "cannot read the job's J: %s", strerror (errno));
    }
    else if (real_start (job, (uint32_t)userid, R, jobspec, J) < 0)
        raise_exception (job, "exec", "out of memory");
    job_check_done (job);
    return;
nomem:
    eddy_respond_error (ctx->h, msg, ENOMEM, NULL);
}

void coord_kill (struct coord *c, const eddy_msg_t *msg)
{
    json_int_t id;
    int signum;
    struct job *job;

    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:I s:i}", "id", &id, "signal", &signum) < 0) {
        eddy_respond_error (c->ctx->h, msg, EPROTO, "exec.kill: malformed payload");
        return;
    }
    if (signum < 0 || signum >= NSIG) {
        eddy_respond_error (c->ctx->h, msg, EINVAL, "exec.kill: invalid signal");
        return;
    }
    if (id < 0 || !(job = lookup (c, (uint64_t)id))) {
        eddy_respond_error (c->ctx->h, msg, ENOENT, "exec.kill: no such job");
        return;
    }
    eddy_respond (c->ctx->h, msg, NULL);
    if (signum == SIGTERM)
        job_terminate (job); /* a cancel: the job gets kill-timeout to go */
    else
        job_kill (job, signum);
}

/* ---- stdin ---- */

static void forward_cb (eddy_future_t *f, void *arg)
{
    struct forward *fw = arg;

    if (eddy_rpc_get (f, NULL) == 0)
        fw->taken = true;
    else if (!fw->errnum) {
        const char *es = eddy_future_error_string (f);
        fw->errnum = errno;
        snprintf (fw->errstr, sizeof (fw->errstr), "%s", es ? es : strerror (errno));
    }
    eddy_future_destroy (f);
    if (--fw->waiting > 0)
        return;
    if (fw->taken || !fw->errnum)
        eddy_respond (fw->h, fw->req, NULL);
    else
        eddy_respond_error (fw->h, fw->req, fw->errnum, fw->errstr);
    eddy_msg_decref (fw->req);
    free (fw);
}

void coord_stdin (struct coord *c, const eddy_msg_t *msg)
{
    eddy_handle_t *h = c->ctx->h;
    json_int_t id;
    struct job *job;
    struct forward *fw;

    if (!eddy_msg_payload (msg) || json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (h, msg, EPROTO, "exec.stdin: malformed payload");
        return;
    }
    /* not started yet, or ended: the client asks again while it waits */
    if (id < 0 || !(job = lookup (c, (uint64_t)id))) {
        eddy_respond_error (h, msg, ENOENT, "exec.stdin: the job is not running");
        return;
    }
    /* a client of another rank comes through that rank's exec module,
     * which says who it is (only the owner's messages may) */
    uint32_t userid = eddy_msg_userid (msg), from = 0;
    bool owner = eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER;
    uint64_t origin = eddy_msg_route_first (msg);
    json_t *relay = json_object_get (eddy_msg_payload (msg), "relay");
    if (relay) {
        json_int_t ru, ro, rr;
        int rown;
        if (!owner || json_unpack (relay, "{s:I s:b s:I s:I}", "userid", &ru, "owner", &rown,
                                   "origin", &ro, "rank", &rr)
                          < 0
            || ru < 0 || ro < 0 || rr < 0) {
            eddy_respond_error (h, msg, EPROTO, "exec.stdin: malformed relay");
            return;
        }
        userid = (uint32_t)ru, owner = rown, origin = (uint64_t)ro, from = (uint32_t)rr;
    }
    if (userid != job->userid && !owner) {
        eddy_respond_error (h, msg, EPERM, "exec.stdin: the job is another user's");
        return;
    }
    if (!job->input) {
        eddy_respond_error (h, msg, EINVAL, "exec.stdin: the job takes no stdin");
        return;
    }
    for (int i = 0; i < job->nranks; i++)
        if (job->ranks[i].input && !job->ranks[i].done && !job->ranks[i].started) {
            eddy_respond_error (h, msg, EAGAIN, "exec.stdin: the job is starting");
            return;
        }
    if (!(fw = calloc (1, sizeof (*fw)))) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    fw->h = h;
    fw->req = eddy_msg_incref (msg);
    job->input_origin = origin;
    job->input_rank = from;
    if (!job->fed) {
        job->fed = true;
        job->fed_prev = NULL;
        job->fed_next = c->fed;
        if (c->fed)
            c->fed->fed_prev = job;
        c->fed = job;
    }
    for (int i = 0; i < job->nranks; i++) {
        struct jobrank *jr = &job->ranks[i];
        if (!jr->input || jr->done)
            continue;
        eddy_future_t *f = eddy_rpc (h, "exec.input", eddy_msg_payload (msg), jr->rank, 0);
        if (!f || eddy_future_then (f, -1, forward_cb, fw) < 0) {
            eddy_future_destroy (f);
            if (!fw->errnum) {
                fw->errnum = errno ? errno : EIO;
                snprintf (fw->errstr, sizeof (fw->errstr), "exec.stdin: cannot forward to rank %u",
                          jr->rank);
            }
            continue;
        }
        fw->waiting++;
    }
    if (fw->waiting == 0) {
        if (fw->errnum)
            eddy_respond_error (h, msg, fw->errnum, fw->errstr);
        else
            eddy_respond_error (h, msg, EPIPE, "exec.stdin: the tasks' stdin is closed");
        eddy_msg_decref (fw->req);
        free (fw);
    }
}

/* The client that fed a job's stdin is gone: its tasks see EOF, or, on a
 * terminal, a hangup (SIGHUP), as when a terminal closes.  Only jobs a
 * client fed are looked at (a disconnect costs nothing per running job);
 * each one is on its own, so their order decides nothing.
 */
void coord_input_gone (struct coord *c, uint32_t rank, uint64_t origin)
{
    if (origin == 0)
        return;
    struct job *next;
    for (struct job *job = c->fed; job; job = next) {
        next = job->fed_next; /* job_kill may end (free) a job without processes */
        if (job->input_origin != origin || job->input_rank != rank)
            continue;
        job->input_origin = 0;
        fed_unlink (job);
        if (job->pty) {
            job_kill (job, SIGHUP);
            continue;
        }
        for (int i = 0; i < job->nranks; i++) {
            struct jobrank *jr = &job->ranks[i];
            if (!jr->input || jr->done)
                continue;
            eddy_future_t *f = eddy_rpc_pack (c->ctx->h, "exec.input", jr->rank,
                                              EDDY_RPC_NORESPONSE, "{s:I s:b}", "id",
                                              (json_int_t)job->id, "eof", 1);
            eddy_future_destroy (f);
        }
    }
}

/* ---- lost ranks ---- */

/* Which ranks are gone with their tasks: those not in online, or (online
 * NULL) the one that crashed, restarted under its parent.
 */
static bool rank_gone (uint32_t rank, const eddy_idset_t *online, uint32_t crashed)
{
    return online ? !eddy_idset_test (online, rank) : rank == crashed;
}

/* The ranks of job that are gone took their tasks with them: the job gets
 * a fatal node-failure exception (once), its tasks elsewhere are killed,
 * and it ends as the surviving ranks report their tasks' end.
 */
static void add_orphan (struct coord *c, uint32_t rank, uint64_t id)
{
    if (c->norphans == c->orphans_cap) {
        size_t n = c->orphans_cap ? c->orphans_cap * 2 : 16;
        struct orphan *p = realloc (c->orphans, n * sizeof (*p));
        if (!p) {
            exec_log (c->ctx, LOG_ERR, "job %ju: rank %u: cannot remember its tasks to kill",
                      (uintmax_t)id, rank);
            return;
        }
        c->orphans = p;
        c->orphans_cap = n;
    }
    c->orphans[c->norphans++] = (struct orphan){ rank, id };
}

/* A job without processes on a rank that is gone: it ends at once, failed. */
static bool lose_test_job (struct job *job, const eddy_idset_t *online, uint32_t crashed)
{
    for (unsigned r = eddy_idset_first (job->test_ranks); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (job->test_ranks, r)) {
        if (!rank_gone (r, online, crashed))
            continue;
        const char *how = online ? "is lost" : "crashed (restarted under the job)";
        exec_log (job->c->ctx, LOG_ERR, "job %ju: rank %u %s", (uintmax_t)job->id, r, how);
        raise_exception (job, "node-failure", "rank %u %s", r, how);
        job->status = SIGKILL;
        job_end (job);
        return true;
    }
    return false;
}

static void lose_ranks (struct job *job, const eddy_idset_t *online, uint32_t crashed)
{
    if (job->test) {
        lose_test_job (job, online, crashed);
        return;
    }
    for (int i = 0; i < job->nranks; i++) {
        struct jobrank *jr = &job->ranks[i];
        if (jr->done || !rank_gone (jr->rank, online, crashed))
            continue;
        if (!job->node_failure) {
            const char *how = online ? "is lost" : "crashed (restarted under the job)";
            job->node_failure = true;
            exec_log (job->c->ctx, LOG_ERR, "job %ju: rank %u %s", (uintmax_t)job->id,
                      jr->rank, how);
            raise_exception (job, "node-failure", "rank %u %s", jr->rank, how);
        }
        jr->done = true;
        job->ndone++;
        eddy_future_destroy (jr->f); /* whatever it still says comes too late */
        jr->f = NULL;
        if (online)
            add_orphan (job->c, jr->rank, job->id);
    }
    send_signal (job, SIGKILL);
    job_check_done (job);
}

static int cmp_id (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Fail the jobs on ranks that are gone; how many there were. */
static size_t fail_jobs (struct coord *c, const eddy_idset_t *online, uint32_t crashed)
{
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;

    for (size_t i = 0; i < c->nbuckets; i++) {
        for (struct job *j = c->buckets[i]; j; j = j->hnext) {
            bool hit = false;
            for (int k = 0; k < j->nranks && !hit; k++)
                hit = !j->ranks[k].done && rank_gone (j->ranks[k].rank, online, crashed);
            for (unsigned r = eddy_idset_first (j->test_ranks);
                 !hit && r != EDDY_IDSET_INVALID_ID; r = eddy_idset_next (j->test_ranks, r))
                hit = rank_gone (r, online, crashed);
            if (!hit || j->closing)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                uint64_t *p = realloc (ids, nc * sizeof (*ids));
                if (!p) {
                    exec_log (c->ctx, LOG_ERR, "lost ranks: out of memory");
                    free (ids);
                    return 0;
                }
                ids = p;
                cap = nc;
            }
            ids[n++] = j->id;
        }
    }
    /* in id order, whatever the table's: lose_ranks () may end a job */
    if (n > 1)
        qsort (ids, n, sizeof (*ids), cmp_id);
    for (size_t i = 0; i < n; i++) {
        struct job *job = lookup (c, ids[i]);
        if (job)
            lose_ranks (job, online, 0);
    }
    free (ids);
    return n;
}

/* Ranks back online: kill what is left there of the jobs that failed
 * when they were lost (their broker may have lived on, cut off). */
static void kill_orphans (struct coord *c, const eddy_idset_t *online)
{
    size_t j = 0;

    for (size_t i = 0; i < c->norphans; i++) {
        struct orphan *o = &c->orphans[i];
        if (!eddy_idset_test (online, o->rank)) {
            c->orphans[j++] = *o;
            continue;
        }
        exec_log (c->ctx, LOG_INFO, "job %ju: rank %u is back: SIGKILL to what is left of it",
                  (uintmax_t)o->id, o->rank);
        eddy_future_destroy (eddy_rpc_pack (c->ctx->h, "exec.signal", o->rank,
                                            EDDY_RPC_NORESPONSE, "{s:I s:i}", "id",
                                            (json_int_t)o->id, "signal", SIGKILL));
    }
    c->norphans = j;
}

void coord_online (struct coord *c, const eddy_idset_t *online)
{
    kill_orphans (c, online);
    fail_jobs (c, online, 0);
}

void coord_crashed (struct coord *c, uint32_t rank)
{
    size_t n = fail_jobs (c, NULL, rank), j = 0;

    /* and those that failed when it was lost: it had them when it went */
    for (size_t i = 0; i < c->norphans; i++) {
        if (c->orphans[i].rank == rank)
            n++; /* their tasks there went with the broker */
        else
            c->orphans[j++] = c->orphans[i];
    }
    c->norphans = j;

    /* the resource module decides what the rank gets ([resource.health]) */
    if (n > 0)
        eddy_future_destroy (eddy_rpc_pack (c->ctx->h, "resource.crashed", 0,
                                            EDDY_RPC_NORESPONSE, "{s:i s:i}", "rank",
                                            (int)rank, "jobs", (int)n));
}

int coord_count (struct coord *c)
{
    return c ? (int)c->count : 0;
}

struct coord *coord_create (struct exec_ctx *ctx)
{
    struct coord *c = calloc (1, sizeof (*c));
    if (!c)
        return NULL;
    c->ctx = ctx;
    c->nbuckets = 64;
    if (!(c->buckets = calloc (c->nbuckets, sizeof (c->buckets[0])))
        || !(c->out = outlog_create (ctx->h))) {
        free (c->buckets);
        free (c);
        return NULL;
    }
    return c;
}

/* Unloading: every stream still open ends with ECANCELED. */
void coord_destroy (struct coord *c)
{
    if (c) {
        int saved_errno = errno;
        outlog_destroy (c->out);
        for (size_t i = 0; i < c->nbuckets; i++) {
            struct job *j = c->buckets[i];
            while (j) {
                struct job *next = j->hnext;
                eddy_respond_error (c->ctx->h, j->req, ECANCELED, "exec module unloaded");
                job_free (j);
                j = next;
            }
        }
        free (c->buckets);
        free (c->orphans);
        free (c);
        errno = saved_errno;
    }
}
