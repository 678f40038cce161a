/* replay.c - drive a trace through the full stack of a virtual cluster. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/broker/topology.h"
#include "engine/future.h"
#include "engine/util/fluid.h"
#include "engine/util/idset.h"
#include "engine/util/u64map.h"
#include "sim/cluster.h"
#include "sim/des.h"
#include "sim/replay.h"

/* The virtual time at which job ids run out: a FLUID (RFC 19) holds the
 * milliseconds of its submission in its top bits, and ids travel as JSON
 * integers, signed 64-bit, so the top bit stays clear.
 */
#define STALL_SECONDS 86400.0
#define ID_SECONDS ((double)(UINT64_C (1) << (EDDY_FLUID_TS_BITS - 1)) / 1000)

struct replay {
    eddy_sim_cluster_t *cl;
    eddy_reactor_t *r;
    eddy_handle_t *h;
    const struct eddy_ideal_job *jobs;
    json_t *const *jobspecs; /* params.jobspecs */
    size_t n;
    size_t *order; /* feeding order: (submit, id, input index) */
    size_t next;
    double offset; /* virtual time = trace time + offset */
    struct eddy_ideal_result *out;
    struct eddy_replay_job *detail; /* params.detail, or our own */
    eddy_u64map_t *ids; /* eddy job id -> input index + 1 */
    eddy_u64map_t *pending; /* input index + 1 -> its unanswered submit */
    size_t submitted, answered, cleaned, denied, failed, ran, started;
    size_t killed, requeued;
    bool requeue;
    eddy_u64map_t *drains; /* fault index + 1 -> its unanswered drain request */
    double changed; /* virtual time of the last journal entry */
    eddy_watcher_t *feed_w;
    eddy_future_t *journal;
    const uint32_t *userids;  /* params.userids */
    const char *const *banks; /* params.banks */
    eddy_u64map_t *user_h;    /* userid + 1 -> its handle */
    bool error;
    char errtext[200];
};

static int order_cmp (const void *a, const void *b, void *arg)
{
    const struct eddy_ideal_job *jobs = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (jobs[i].submit != jobs[j].submit)
        return jobs[i].submit < jobs[j].submit ? -1 : 1;
    if (jobs[i].id != jobs[j].id)
        return jobs[i].id < jobs[j].id ? -1 : 1;
    return i < j ? -1 : i > j;
}

static void fail (struct replay *rp, const char *fmt, const char *arg)
{
    if (!rp->error) {
        rp->error = true;
        snprintf (rp->errtext, sizeof (rp->errtext), fmt, arg);
    }
}

static void submit_cb (eddy_future_t *f, void *arg)
{
    struct replay *rp = arg;
    if (eddy_rpc_get (f, NULL) < 0) {
        uintptr_t v = (uintptr_t)eddy_future_aux_get (f, "index");
        if (v) {
            rp->detail[v - 1].status = EDDY_REPLAY_DENIED;
            rp->detail[v - 1].denied = eddy_reactor_now (rp->r) - rp->offset;
        }
        rp->failed++;
    }
    eddy_u64map_remove (rp->pending, (uintptr_t)eddy_future_aux_get (f, "index"));
    rp->answered++;
    eddy_future_destroy (f);
}

/* The handle job idx is submitted through: its user's (made on first
 * use), or the driver's own. */
static eddy_handle_t *handle_of (struct replay *rp, size_t idx)
{
    if (!rp->userids || rp->userids[idx] == UINT32_MAX)
        return rp->h;
    uint64_t key = (uint64_t)rp->userids[idx] + 1;
    eddy_handle_t *h = eddy_u64map_get (rp->user_h, key);
    if (!h) {
        h = eddy_broker_handle_create_as (eddy_sim_cluster_broker (rp->cl, 0), "replay-user",
                                          rp->userids[idx]);
        if (!h || eddy_u64map_put (rp->user_h, key, h) < 0) {
            eddy_handle_destroy (h);
            return NULL;
        }
    }
    return h;
}

/* The submission of job idx, with its bank when it has one. */
static eddy_future_t *submit_payload (struct replay *rp, size_t idx, json_t *payload)
{
    eddy_handle_t *h = handle_of (rp, idx);
    json_t *sys = json_object_get (
        json_object_get (json_object_get (payload, "jobspec"), "attributes"), "system");
    eddy_future_t *f = NULL;
    if (h && sys && (!rp->banks || !rp->banks[idx]
                     || json_object_set_new (sys, "bank", json_string (rp->banks[idx])) == 0))
        f = eddy_rpc (h, "job-ingest.submit", payload, EDDY_NODEID_ANY, 0);
    json_decref (payload);
    return f;
}

/* A workload job's own jobspec, with what every replayed job carries: its
 * run duration for the sim exec backend and the index the journal maps
 * back to the input.
 */
static eddy_future_t *submit_jobspec (struct replay *rp, size_t idx)
{
    const struct eddy_ideal_job *j = &rp->jobs[idx];
    json_t *js = json_deep_copy (rp->jobspecs[idx]);
    json_t *extra = json_pack ("{s:{s:{s:{s:f}}} s:{s:{s:I s:I}}}", "system", "exec", "test",
                               "run_duration", j->run, "user", "swf", "id", (json_int_t)j->id,
                               "index", (json_int_t)idx);
    json_t *attrs = js ? json_object_get (js, "attributes") : NULL;
    eddy_future_t *f = NULL;

    if (!js || !extra || !json_is_object (attrs))
        goto done;
    /* merge one level down, keeping the jobspec's other attributes */
    const char *key;
    json_t *v;
    json_object_foreach (extra, key, v) {
        json_t *have = json_object_get (attrs, key);
        if (json_is_object (have)) {
            if (json_object_update_recursive (have, v) < 0)
                goto done;
        } else if (json_object_set (attrs, key, v) < 0)
            goto done;
    }
    if (rp->userids || rp->banks)
        f = submit_payload (rp, idx, json_pack ("{s:O}", "jobspec", js));
    else
        f = eddy_rpc_pack (rp->h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:O}", "jobspec",
                           js);
done:
    json_decref (extra);
    json_decref (js);
    return f;
}

static void submit_job (struct replay *rp, size_t idx)
{
    const struct eddy_ideal_job *j = &rp->jobs[idx];
    /* the time limit plans the schedule; 0 would mean "none" in jobspec,
     * so a zero request (a zero run with no limit) becomes the smallest
     * positive double, which vanishes in now + req and start + req */
    double req = isinf (j->req) ? 0 : (j->req > 0 ? j->req : DBL_MIN);
    json_t *duration = json_real (req);
    eddy_future_t *f;
    if (rp->jobspecs && rp->jobspecs[idx]) {
        f = submit_jobspec (rp, idx);
        json_decref (duration);
    } else if (rp->userids || rp->banks)
        f = submit_payload (
            rp, idx,
            json_pack ("{s:{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] "
                       "s:{s:{s:o s:{s:{s:f}}} s:{s:{s:I s:I}}}}}",
                       "jobspec", "version", 1, "resources", "type", "slot", "count", j->procs,
                       "label", "task", "with", "type", "core", "count", 1, "tasks", "command",
                       "swf-job", "slot", "task", "count", "per_slot", 1, "attributes", "system",
                       "duration", duration, "exec", "test", "run_duration", j->run, "user", "swf",
                       "id", (json_int_t)j->id, "index", (json_int_t)idx));
    else
        f = eddy_rpc_pack (
        rp->h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
        "{s:{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] "
        "s:{s:{s:o s:{s:{s:f}}} s:{s:{s:I s:I}}}}}",
        "jobspec", "version", 1, "resources", "type", "slot", "count", j->procs, "label", "task",
        "with", "type", "core", "count", 1, "tasks", "command", "swf-job", "slot", "task", "count",
        "per_slot", 1, "attributes", "system", "duration", duration, "exec", "test",
        "run_duration", j->run, "user", "swf", "id", (json_int_t)j->id, "index", (json_int_t)idx);
    if (!f || eddy_future_aux_set (f, "index", (void *)(uintptr_t)(idx + 1), NULL) < 0
        || eddy_future_then (f, -1, submit_cb, rp) < 0
        || eddy_u64map_put (rp->pending, idx + 1, f) < 0) {
        eddy_future_destroy (f);
        fail (rp, "cannot submit job %s", "");
        return;
    }
    rp->detail[idx].status = EDDY_REPLAY_QUEUED;
    rp->submitted++;
}

/* Submit every job due now, then sleep until the next submit time. */
static void feed_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct replay *rp = arg;
    double now = eddy_reactor_now (r);
    while (rp->next < rp->n && rp->jobs[rp->order[rp->next]].submit + rp->offset <= now)
        submit_job (rp, rp->order[rp->next++]);
    if (rp->next < rp->n) {
        eddy_timer_set (w, rp->jobs[rp->order[rp->next]].submit + rp->offset - now, 0);
        eddy_watcher_start (w);
    }
}

/* Distinct ranks of an allocation (R version 1: execution.R_lite[].rank). */
static uint32_t alloc_nodes (json_t *R)
{
    json_t *lite, *entry;
    eddy_idset_t *ranks;
    uint32_t count;
    size_t i;

    if (!R || json_unpack (R, "{s:{s:o}}", "execution", "R_lite", &lite) < 0
        || !json_is_array (lite) || !(ranks = eddy_idset_create ()))
        return 0;
    json_array_foreach (lite, i, entry) {
        const char *text;
        eddy_idset_t *ids;
        if (json_unpack (entry, "{s:s}", "rank", &text) < 0
            || !(ids = eddy_idset_decode (text, NULL)))
            continue;
        (void)eddy_idset_add (ranks, ids);
        eddy_idset_destroy (ids);
    }
    count = (uint32_t)eddy_idset_count (ranks);
    eddy_idset_destroy (ranks);
    return count;
}

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct replay *rp = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0) {
        fail (rp, "job-manager.journal: %s", eddy_future_error_string (f));
        return;
    }
    if (json_unpack (o, "{s:o}", "events", &events) == 0) {
        json_array_foreach (events, i, item) {
            json_int_t id, index = -1;
            json_t *entry, *jobspec = NULL;
            const char *name;
            double ts;
            if (json_unpack (item, "{s:I s:o s?o}", "id", &id, "entry", &entry, "jobspec", &jobspec) < 0
                || json_unpack (entry, "{s:F s:s}", "timestamp", &ts, "name", &name) < 0)
                continue;
            rp->changed = eddy_reactor_now (rp->r);
            if (!strcmp (name, "submit")) {
                if (jobspec)
                    json_unpack (jobspec, "{s:{s:{s:{s:I}}}}", "attributes", "user", "swf", "index",
                                 &index);
                if (index >= 0 && (size_t)index < rp->n)
                    eddy_u64map_put (rp->ids, (uint64_t)id, (void *)(uintptr_t)(index + 1));
                continue;
            }
            uintptr_t v = (uintptr_t)eddy_u64map_get (rp->ids, (uint64_t)id);
            if (!v)
                continue;
            struct eddy_ideal_result *res = &rp->out[v - 1];
            struct eddy_replay_job *d = &rp->detail[v - 1];
            if (!strcmp (name, "alloc"))
                d->nodes = alloc_nodes (json_object_get (item, "R"));
            else if (!strcmp (name, "start")) {
                res->start = ts - rp->offset;
                d->status = EDDY_REPLAY_RUNNING;
                d->attempts++;
                rp->started++;
            }
            else if (!strcmp (name, "finish")) {
                res->end = ts - rp->offset;
                if (d->status == EDDY_REPLAY_RUNNING)
                    d->status = EDDY_REPLAY_COMPLETED;
                rp->ran++;
                if (d->status == EDDY_REPLAY_KILLED) {
                    double elapsed = res->end - res->start;
                    rp->killed++;
                    d->lost_node_seconds += elapsed * d->nodes;
                    if (rp->requeue) {
                        /* its whole run again, from the queue's end */
                        d->redone_proc_seconds += elapsed * res->procs;
                        res->start = res->end = -1;
                        rp->requeued++;
                        submit_job (rp, (size_t)(v - 1));
                    }
                }
            }
            else if (!strcmp (name, "exception")) {
                const char *type = "";
                int severity = 1;
                json_unpack (entry, "{s:{s?s s?i}}", "context", "type", &type, "severity", &severity);
                if (severity == 0 && !strcmp (type, "alloc"))
                    rp->denied++;
                /* a fatal exception before start refuses the job; after it,
                 * it ends the job (finish follows and keeps this status) */
                if (severity == 0 && d->status == EDDY_REPLAY_QUEUED) {
                    d->status = EDDY_REPLAY_DENIED;
                    d->denied = ts - rp->offset;
                }
                else if (severity == 0 && d->status == EDDY_REPLAY_RUNNING)
                    d->status = !strcmp (type, "timeout") ? EDDY_REPLAY_TIMEOUT : EDDY_REPLAY_KILLED;
            }
            else if (!strcmp (name, "clean")) {
                rp->cleaned++;
                eddy_u64map_remove (rp->ids, (uint64_t)id);
            }
        }
    }
    eddy_future_reset (f);
}

#define REPLAY_KVS_CACHE_BYTES (16 * 1024 * 1024)

static const char *const stack[] = {
    "content", "kvs", "job-manager", "job-ingest", "resource", "sched", "exec", NULL,
};

static int load_stack (struct replay *rp, const struct eddy_replay_params *p, eddy_error_t *err)
{
    eddy_broker_t *b0 = eddy_sim_cluster_broker (rp->cl, 0);
    for (int i = 0; stack[i]; i++) {
        json_t *args = NULL;
        if (!strcmp (stack[i], "resource") && p->R)
            args = json_pack ("{s:O}", "R", p->R);
        else if (!strcmp (stack[i], "resource"))
            args = json_pack ("{s:i s:i}", "nodes", (int)p->nodes, "cores_per_node",
                              (int)p->cores_per_node);
        else if (!strcmp (stack[i], "sched"))
            args = json_pack ("{s:s}", "policy", p->policy);
        else if (!strcmp (stack[i], "exec"))
            /* a job runs for its run time even past its request (DESIGN.md),
             * unless capped: then exec kills it at the limit, a timeout */
            args = json_pack ("{s:s s:b}", "backend", "sim", "test_time_limit", p->cap_runtime);
        else if (!strcmp (stack[i], "kvs"))
            /* a replay's KVS works on few blobs at a time (the directories
             * on its commit paths, the queued jobs' blobs are written once
             * and rarely read): a quarter of the default budget, measured
             * as fast on RICC and KTH-SP2, schedules the same */
            args = json_pack ("{s:I}", "cache-max-bytes", (json_int_t)REPLAY_KVS_CACHE_BYTES);
        else if (!strcmp (stack[i], "job-manager")) {
            /* a replay keeps no finished job: results come from the journal */
            args = json_pack ("{s:i s:i}", "inactive_remember", 0, "purge_count", 0);
            if (args && p->priority)
                json_object_set (args, "priority", p->priority);
        }
        int rc = eddy_broker_add_initial_module (b0, stack[i], args);
        json_decref (args);
        if (rc < 0)
            return eddy_error_set (err, "out of memory");
    }
    /* fair share: the archive's usage feeds the job manager's priorities */
    if (p->archive && eddy_broker_add_initial_module (b0, "job-archive", p->archive) < 0)
        return eddy_error_set (err, "out of memory");
    return 0;
}

/* Keepalives only where silence can be seen: a cut rank's parent notices
 * it by its health check, which runs on a broker that keeps alive itself
 * and holds each of its children to it; so every rank below that parent
 * keeps alive, and the parent does.  Everywhere else a rank keeps no
 * periodic timer, so an idle rank costs nothing per virtual second (it
 * cost two events a second on every rank).  Loss times stay those of
 * every rank keeping alive: the same timers run where they matter, and at
 * jitter 0 the others drew nothing from the model's randomness.
 */
static int set_keepalives (struct replay *rp, const struct eddy_replay_params *p)
{
    uint32_t size = p->nodes, *queue = NULL;
    bool *keep = NULL;
    int rc = -1;

    if (eddy_sim_cluster_attr_set (rp->cl, "tbon.keepalive_period", "0") < 0)
        return -1;
    if (p->nfaults == 0)
        return 0;
    if (!(keep = calloc (size, sizeof (*keep))) || !(queue = calloc (size, sizeof (*queue))))
        goto done;
    for (size_t i = 0; i < p->nfaults; i++) {
        const struct eddy_replay_fault *ft = &p->faults[i];
        if ((ft->kind != EDDY_REPLAY_CUT && ft->kind != EDDY_REPLAY_HEAL) || ft->rank == 0
            || ft->rank >= size)
            continue; /* a kill is seen at once, as a closed connection */
        uint32_t top = eddy_topo_parent (ft->rank, size, p->fanout);
        if (top >= size || keep[top])
            continue;
        /* the parent's subtree, breadth first */
        size_t head = 0, tail = 0;
        keep[top] = true;
        queue[tail++] = top;
        while (head < tail) {
            uint32_t n, first = eddy_topo_first_child (queue[head++], size, p->fanout, &n);
            for (uint32_t c = first; c < first + n; c++) {
                if (!keep[c]) {
                    keep[c] = true;
                    queue[tail++] = c;
                }
            }
        }
    }
    for (uint32_t r = 0; r < size; r++)
        if (keep[r]
            && eddy_sim_cluster_rank_attr_set (rp->cl, r, "tbon.keepalive_period", "1") < 0)
            goto done;
    rc = 0;
done:
    free (queue);
    free (keep);
    return rc;
}

/* drain and undrain: rank 0's resource module, as `eddy resource drain` */
struct drain_ev {
    struct replay *rp;
    const struct eddy_replay_fault *ft;
    const struct eddy_replay_fault *first; /* params.faults */
};

static void drain_done (eddy_future_t *f, void *arg)
{
    struct replay *rp = arg;
    const char *topic = eddy_future_aux_get (f, "topic");
    eddy_u64map_remove (rp->drains, (uintptr_t)eddy_future_aux_get (f, "fault"));
    /* draining a drained rank keeps its reason (mode update); undraining
     * one that is not drained is refused, and changes nothing */
    if (eddy_rpc_get (f, NULL) < 0 && errno != EINVAL)
        fail (rp, "cannot drain or undrain a rank: %s", topic ? topic : "");
    eddy_future_destroy (f);
}

static void drain_cb (eddy_reactor_t *r, void *a, void *b)
{
    struct drain_ev *ev = b;
    struct replay *rp = ev->rp;
    char target[16];
    bool undrain = ev->ft->kind == EDDY_REPLAY_UNDRAIN;
    const char *topic = undrain ? "resource.undrain" : "resource.drain";
    eddy_future_t *f;

    snprintf (target, sizeof (target), "%u", ev->ft->rank);
    f = undrain ? eddy_rpc_pack (rp->h, topic, 0, 0, "{s:s}", "targets", target)
                : eddy_rpc_pack (rp->h, topic, 0, 0, "{s:s s:s s:s}", "targets", target, "reason",
                                 ev->ft->reason ? ev->ft->reason : "", "mode", "update");
    uintptr_t key = (uintptr_t)(ev->ft - ev->first) + 1;
    if (!f || eddy_future_aux_set (f, "topic", (void *)topic, NULL) < 0
        || eddy_future_aux_set (f, "fault", (void *)key, NULL) < 0
        || eddy_future_then (f, -1, drain_done, rp) < 0 || eddy_u64map_put (rp->drains, key, f) < 0) {
        eddy_future_destroy (f);
        fail (rp, "cannot send %s", topic);
    }
    free (ev);
}

/* The jobs left wait for ranks that never come back. */
static void fault_stall (struct replay *rp)
{
    char what[64];
    snprintf (what, sizeof (what), "%zu of %zu", rp->cleaned, rp->n);
    fail (rp, "the replay stalled with %s jobs done: the others wait for ranks "
              "that are down (a fault without a heal)", what);
}

static bool finished (struct replay *rp)
{
    return rp->error
           || (rp->next == rp->n && rp->answered == rp->submitted
               && rp->cleaned + rp->failed >= rp->submitted);
}

int eddy_replay_run (const struct eddy_replay_params *p,
                     const struct eddy_ideal_job *jobs,
                     size_t n,
                     struct eddy_ideal_result *out,
                     struct eddy_replay_stats *stats,
                     eddy_error_t *err)
{
    struct replay rp = { .jobs = jobs, .jobspecs = p->jobspecs, .n = n, .out = out,
                         .requeue = p->requeue, .userids = p->userids, .banks = p->banks };
    struct eddy_sim_cluster_params cp = {
        .size = p->nodes, .fanout = p->fanout, .latency = p->latency, .jitter = p->jitter,
        .seed = p->seed, .modules = p->modules, .nest_policy = p->policy,
        .nest_record_jobs = p->nest_record_jobs,
    };
    int rc = -1;

    if (p->nodes == 0 || (p->cores_per_node == 0 && !p->R) || !p->policy) {
        errno = EINVAL;
        return eddy_error_set (err, "replay: nodes, cores per node and a policy are required");
    }
    rp.detail = p->detail ? p->detail : calloc (n ? n : 1, sizeof (*rp.detail));
    if (!rp.detail) {
        eddy_error_set (err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double run = jobs[i].run;
        if (p->cap_runtime && jobs[i].req < run)
            run = jobs[i].req;
        out[i] = (struct eddy_ideal_result){ .id = jobs[i].id, .submit = jobs[i].submit,
                                             .start = -1, .end = -1, .run = run,
                                             .procs = jobs[i].procs };
        rp.detail[i] = (struct eddy_replay_job){ .status = EDDY_REPLAY_UNSUBMITTED, .denied = -1 };
    }
    if (!(rp.order = calloc (n ? n : 1, sizeof (size_t))) || !(rp.ids = eddy_u64map_create ())
        || !(rp.drains = eddy_u64map_create ())
        || !(rp.pending = eddy_u64map_create ())
        || (p->userids && !(rp.user_h = eddy_u64map_create ()))) {
        eddy_error_set (err, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        rp.order[i] = i;
    qsort_r (rp.order, n, sizeof (size_t), order_cmp, (void *)jobs);
    if (!(rp.cl = eddy_sim_cluster_create (&cp, err)))
        goto done;
    rp.r = eddy_sim_cluster_reactor (rp.cl);
    /* a replay without faults models no node failures: no keepalives and
     * no health checks, so that idle virtual time (before the first job,
     * in a gap of the trace) schedules nothing on any rank; with faults,
     * only where a cut can be noticed */
    if (set_keepalives (&rp, p) < 0) {
        eddy_error_set (err, "cannot configure the virtual cluster");
        goto done;
    }
    if (load_stack (&rp, p, err) < 0)
        goto done;
    if (eddy_sim_cluster_boot (rp.cl, 3600.0) < 0) {
        eddy_error_set (err, "the virtual cluster did not boot (is every module of the stack "
                             "built in? see the brokers' logs)");
        goto done;
    }
    /* the first submit comes just after boot, on a whole second, however
     * late in the trace it is (a slice of a long trace starts months in) */
    double first = n ? jobs[rp.order[0]].submit : 0;
    double last = n ? jobs[rp.order[n - 1]].submit : 0;
    double boot_end = ceil (eddy_reactor_now (rp.r));
    rp.offset = boot_end - first;
    /* job-ingest stamps each job's id with its virtual submit time */
    if (last + rp.offset >= ID_SECONDS) {
        errno = EINVAL;
        eddy_error_set (err, "the submit times span %.0f s; job ids hold at most %.0f s",
                        last - first, ID_SECONDS - boot_end);
        goto done;
    }

    if (!(rp.h = eddy_broker_handle_create (eddy_sim_cluster_broker (rp.cl, 0), "replay"))
        || !(rp.journal = eddy_rpc (rp.h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                    EDDY_RPC_STREAMING))
        || eddy_future_then (rp.journal, -1, journal_cb, &rp) < 0
        || !(rp.feed_w = eddy_timer_create (rp.r, 0, 0, feed_cb, &rp))) {
        eddy_error_set (err, "cannot attach the replay driver to rank 0");
        goto done;
    }
    for (size_t i = 0; i < p->nfaults; i++) {
        const struct eddy_replay_fault *ft = &p->faults[i];
        eddy_simnet_t *net = eddy_sim_cluster_net (rp.cl);
        double at = ft->at + rp.offset;
        int frc = -1;
        errno = EINVAL;
        if (ft->rank < p->nodes) {
            switch (ft->kind) {
            case EDDY_REPLAY_KILL:
                frc = eddy_simnet_kill (net, ft->rank, at);
                break;
            case EDDY_REPLAY_CUT:
                frc = eddy_simnet_cut (net, ft->rank, at);
                break;
            case EDDY_REPLAY_HEAL:
                frc = eddy_simnet_heal (net, ft->rank, at);
                break;
            case EDDY_REPLAY_RESTART:
                frc = eddy_sim_cluster_restart (rp.cl, ft->rank, at);
                break;
            case EDDY_REPLAY_DRAIN:
            case EDDY_REPLAY_UNDRAIN: {
                struct drain_ev *ev = malloc (sizeof (*ev));
                double now = eddy_reactor_now (rp.r);
                if (ev) {
                    *ev = (struct drain_ev){ &rp, ft, p->faults };
                    frc = eddy_sim_post_owned (rp.r, at > now ? at - now : 0, drain_cb, NULL, ev,
                                               free);
                    if (frc < 0)
                        free (ev);
                }
                break;
            }
            }
        }
        if (frc < 0) {
            eddy_error_set (err, "fault %zu: rank %u: %s", i + 1, ft->rank,
                            ft->rank >= p->nodes || (ft->rank == 0 && errno == EINVAL)
                                ? "no such rank (rank 0 can only be killed or drained)"
                                : strerror (errno));
            goto done;
        }
    }
    if (n > 0) {
        double now = eddy_reactor_now (rp.r);
        double at = jobs[rp.order[0]].submit + rp.offset;
        eddy_timer_set (rp.feed_w, at > now ? at - now : 0, 0);
        eddy_watcher_start (rp.feed_w);
    }
    /* with faults the brokers keep alive, so virtual time never runs dry:
     * jobs that wait for ranks that never come back stall the replay once
     * every fault is past, every job is in and none runs for STALL_SECONDS */
    double faults_end = 0;
    for (size_t i = 0; i < p->nfaults; i++)
        if (p->faults[i].at + rp.offset > faults_end)
            faults_end = p->faults[i].at + rp.offset;
    uint64_t iter = 0;
    bool stopped = false;
    while (!finished (&rp)) {
        double now = eddy_reactor_now (rp.r);
        if (p->nfaults && rp.next == rp.n && rp.started == rp.ran && now > faults_end
            && now - rp.changed > STALL_SECONDS) {
            fault_stall (&rp);
            break;
        }
        if (p->stop && *p->stop) {
            stopped = true;
            break;
        }
        if (eddy_sim_pending (rp.r) == 0) {
            /* no timers or messages: let check and idle work finish */
            eddy_reactor_run (rp.r, EDDY_RUN_DEFAULT);
            if (!finished (&rp) && eddy_sim_pending (rp.r) == 0) {
                /* out of work; with faults, as often as not because no
                 * rank keeps alive (set_keepalives) */
                if (p->nfaults && rp.next == rp.n && rp.started == rp.ran) {
                    fault_stall (&rp);
                    break;
                }
                eddy_error_set (err, "the replay stalled with %zu of %zu jobs done", rp.cleaned, n);
                goto done;
            }
            continue;
        }
        eddy_reactor_run (rp.r, EDDY_RUN_ONCE);
        if (p->progress && (++iter & 0x3ff) == 0)
            p->progress (eddy_reactor_now (rp.r) - rp.offset, rp.cleaned, n, p->progress_arg);
    }
    if (rp.error) {
        eddy_error_set (err, "%s", rp.errtext);
        goto done;
    }
    /* stopped between a fatal exception and its finish: still running */
    for (size_t i = 0; stopped && i < n; i++)
        if (rp.detail[i].status > EDDY_REPLAY_RUNNING && rp.detail[i].status < EDDY_REPLAY_DENIED
            && out[i].end < 0)
            rp.detail[i].status = EDDY_REPLAY_RUNNING;
    if (stats) {
        stats->jobs = rp.ran;
        stats->denied = rp.denied;
        stats->failed = rp.failed;
        stats->virtual_seconds = eddy_reactor_now (rp.r) - rp.offset;
        stats->offset = rp.offset;
        stats->events = eddy_sim_events (rp.r);
        stats->messages = eddy_simnet_delivered (eddy_sim_cluster_net (rp.cl));
        stats->complete = !stopped;
        stats->killed = rp.killed;
        stats->requeued = rp.requeued;
        stats->restarts = eddy_sim_cluster_restarts (rp.cl);
        stats->work = *eddy_reactor_stats (rp.r);
    }
    if (p->nest_report) {
        json_t *rep = eddy_sim_cluster_nest_report (rp.cl);
        *p->nest_report = rep && json_array_size (rep) ? json_incref (rep) : NULL;
    }
    rc = 0;
done:
    /* a stopped replay leaves submissions unanswered: they go with it */
    for (size_t i = 0; rp.pending && eddy_u64map_count (rp.pending) > 0 && i < n; i++)
        eddy_future_destroy (eddy_u64map_remove (rp.pending, i + 1));
    eddy_u64map_destroy (rp.pending);
    /* drains still unanswered when the replay ended */
    for (size_t i = 0; rp.drains && eddy_u64map_count (rp.drains) > 0 && i < p->nfaults; i++)
        eddy_future_destroy (eddy_u64map_remove (rp.drains, i + 1));
    eddy_u64map_destroy (rp.drains);
    eddy_watcher_destroy (rp.feed_w);
    eddy_future_destroy (rp.journal);
    if (rp.user_h) {
        for (size_t i = 0; rp.userids && i < n && eddy_u64map_count (rp.user_h) > 0; i++)
            if (rp.userids[i] != UINT32_MAX)
                eddy_handle_destroy (eddy_u64map_remove (rp.user_h, (uint64_t)rp.userids[i] + 1));
        eddy_u64map_destroy (rp.user_h);
    }
    eddy_handle_destroy (rp.h);
    eddy_sim_cluster_destroy (rp.cl);
    eddy_u64map_destroy (rp.ids);
    free (rp.order);
    if (rp.detail != p->detail)
        free (rp.detail);
    return rc;
}
