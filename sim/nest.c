/* nest.c - nested virtual instances on the simulator's reactor (nest.h). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/future.h"
#include "engine/util/fluid.h"
#include "engine/util/idset.h"
#include "engine/util/u64map.h"
#include "sched/renumber.h"
#include "sim/cluster.h"
#include "sim/des.h"
#include "sim/nest.h"

struct eddy_sim_nest_world {
    eddy_reactor_t *r;
    struct eddy_sim_nest_params p;
    char *uri;
    char *policy;
    eddy_nest_t *head, *tail; /* live children and retiring ones, in start order */
    json_t *report;
};

enum phase { BOOT, RUN, CANCEL, DRAIN, LIST, SHUTDOWN, GONE };

struct eddy_nest {
    struct eddy_sim_nest_world *w;
    eddy_nest_t *prev, *next;
    eddy_sim_cluster_t *cl;
    eddy_handle_t *h; /* on the child's rank 0: the workload's driver */
    eddy_future_t *journal, *cancel_f, *stats_f;
    eddy_future_t **submits; /* one per job until answered */
    enum phase phase;
    uint32_t size;
    size_t njobs, submitted, answered, failed, cleaned, completed, canceled;
    double run;
    int procs;
    int killsig; /* 0 unless killed */
    int status;
    bool started; /* every broker reached RUN */
    eddy_nest_done_f done;
    void *done_arg;
    json_t *record; /* in the world's report */
    json_t *list;   /* record.list, with record_jobs */
    eddy_u64map_t *jobs; /* with record_jobs: id -> its entry in list (borrowed) */
    eddy_u64map_t *fatal; /* id -> 1: the job had a fatal exception */
};

static void child_free (eddy_nest_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; n->submits && i < n->njobs; i++)
        eddy_future_destroy (n->submits[i]);
    free (n->submits);
    eddy_future_destroy (n->journal);
    eddy_future_destroy (n->cancel_f);
    eddy_future_destroy (n->stats_f);
    eddy_handle_destroy (n->h);
    eddy_u64map_destroy (n->jobs);
    eddy_u64map_destroy (n->fatal);
    free (n);
}

static void unlink_child (eddy_nest_t *n)
{
    struct eddy_sim_nest_world *w = n->w;
    if (n->prev)
        n->prev->next = n->next;
    else
        w->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        w->tail = n->prev;
}

static void set_int (json_t *o, const char *key, json_int_t v)
{
    json_object_set_new (o, key, json_integer (v));
}

static void set_real (json_t *o, const char *key, double v)
{
    json_object_set_new (o, key, json_real (v));
}

/* ---- the end ---- */

static void freed_cb (void *arg)
{
    eddy_nest_t *n = arg;
    unlink_child (n);
    child_free (n);
}

/* Every broker exited: the job gets its status, the brokers go now and the
 * links once they are quiet.
 */
static void finish (eddy_reactor_t *r, void *a, void *b)
{
    eddy_nest_t *n = a;
    eddy_nest_done_f done = n->done;

    n->phase = GONE;
    if (n->killsig)
        n->status = n->killsig;
    else if (n->cleaned < n->njobs || !n->started)
        n->status = 1 << 8; /* exit code 1: the workload did not run */
    else
        n->status = 0;
    set_int (n->record, "status", n->status);
    set_real (n->record, "end", eddy_reactor_now (r));
    set_int (n->record, "messages", (json_int_t)eddy_simnet_delivered (eddy_sim_cluster_net (n->cl)));
    set_int (n->record, "completed", (json_int_t)n->completed);
    set_int (n->record, "canceled", (json_int_t)n->canceled);
    set_int (n->record, "failed", (json_int_t)n->failed);
    set_int (n->record, "submitted", (json_int_t)n->submitted);
    /* the driver's handle and futures go before their broker */
    for (size_t i = 0; i < n->njobs; i++) {
        eddy_future_destroy (n->submits[i]);
        n->submits[i] = NULL;
    }
    eddy_future_destroy (n->journal);
    eddy_future_destroy (n->cancel_f);
    eddy_future_destroy (n->stats_f);
    n->journal = n->cancel_f = n->stats_f = NULL;
    eddy_handle_destroy (n->h);
    n->h = NULL;
    n->done = NULL;
    if (done)
        done (n->status, n->done_arg);
    eddy_sim_cluster_retire (n->cl, freed_cb, n);
}

static void shutdown_now (eddy_reactor_t *r, void *a, void *b)
{
    eddy_nest_t *n = a;
    n->phase = SHUTDOWN;
    eddy_future_destroy (n->journal);
    n->journal = NULL;
    eddy_broker_shutdown (eddy_sim_cluster_broker (n->cl, 0), 0);
}

static void later (eddy_nest_t *n, eddy_sim_event_f fn)
{
    /* not from within the callback of a future of the handle it destroys */
    if (eddy_sim_post (n->w->r, 0, fn, n, NULL) < 0)
        fn (n->w->r, n, NULL);
}

/* `eddy jobs` in the child, in effect: how many jobs it lists. */
static void stats_cb (eddy_future_t *f, void *arg)
{
    eddy_nest_t *n = arg;
    int active = 0, inactive = 0;

    if (eddy_rpc_get_unpack (f, "{s:i s:i}", "active", &active, "inactive", &inactive) == 0)
        set_int (n->record, "listed", active + inactive);
    later (n, shutdown_now);
}

static void list_and_shutdown (eddy_nest_t *n)
{
    n->phase = LIST;
    n->stats_f = eddy_rpc (n->h, "job-list.stats", NULL, EDDY_NODEID_ANY, 0);
    if (!n->stats_f || eddy_future_then (n->stats_f, -1, stats_cb, n) < 0)
        later (n, shutdown_now);
}

static void cancel_cb (eddy_future_t *f, void *arg)
{
    eddy_nest_t *n = arg;
    if (eddy_rpc_get (f, NULL) < 0)
        eddy_log (n->h, 3, "nest: job-manager.cancelall: %s", eddy_future_error_string (f));
}

/* Where the child stands after anything happened to its jobs. */
static void progress (eddy_nest_t *n)
{
    if (n->phase == RUN && n->answered == n->njobs && n->cleaned + n->failed >= n->njobs)
        list_and_shutdown (n);
    else if (n->phase == CANCEL && n->answered == n->submitted) {
        /* every submission is in: one cancel catches them all */
        n->phase = DRAIN;
        n->cancel_f = eddy_rpc_pack (n->h, "job-manager.cancelall", EDDY_NODEID_ANY, 0, "{s:s}",
                                     "note", "the job of this instance was signaled");
        if (!n->cancel_f || eddy_future_then (n->cancel_f, -1, cancel_cb, n) < 0)
            later (n, shutdown_now);
    }
    if (n->phase == DRAIN && n->cleaned + n->failed >= n->submitted)
        list_and_shutdown (n);
}

/* ---- the workload ---- */

static void submit_cb (eddy_future_t *f, void *arg)
{
    eddy_nest_t *n = arg;
    size_t i = (uintptr_t)eddy_future_aux_get (f, "index");

    if (eddy_rpc_get (f, NULL) < 0)
        n->failed++;
    n->answered++;
    eddy_future_destroy (f);
    n->submits[i] = NULL;
    progress (n);
}

static void submit_all (eddy_reactor_t *r, void *a, void *b)
{
    eddy_nest_t *n = a;
    double req = n->run > 0 ? n->run : DBL_MIN; /* 0 would mean no limit */

    for (size_t i = 0; i < n->njobs; i++) {
        eddy_future_t *f = eddy_rpc_pack (
            n->h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
            "{s:{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] "
            "s:{s:{s:f s:{s:{s:f}}}}}}",
            "jobspec", "version", 1, "resources", "type", "slot", "count", n->procs, "label",
            "task", "with", "type", "core", "count", 1, "tasks", "command", "nested-job", "slot",
            "task", "count", "per_slot", 1, "attributes", "system", "duration", req, "exec",
            "test", "run_duration", n->run);
        if (!f || eddy_future_aux_set (f, "index", (void *)(uintptr_t)i, NULL) < 0
            || eddy_future_then (f, -1, submit_cb, n) < 0) {
            eddy_future_destroy (f);
            n->failed++;
            n->answered++;
        }
        else
            n->submits[i] = f;
        n->submitted++;
    }
    progress (n);
}

static void record_job (eddy_nest_t *n, uint64_t id, const char *name, double ts, json_t *item)
{
    json_t *e = eddy_u64map_get (n->jobs, id);

    if (!strcmp (name, "alloc")) {
        json_t *lite = json_object_get (json_object_get (json_object_get (item, "R"), "execution"),
                                        "R_lite");
        json_t *ranks = json_array ();
        size_t i;
        json_t *x;
        json_array_foreach (lite, i, x)
            json_array_append (ranks, json_object_get (x, "rank"));
        if (!e && (e = json_object ())) {
            set_int (e, "id", (json_int_t)id);
            json_array_append_new (n->list, e);
            eddy_u64map_put (n->jobs, id, e);
        }
        if (e)
            json_object_set (e, "cores", lite);
        json_object_set_new (e, "ranks", ranks);
    }
    else if (e && !strcmp (name, "start"))
        set_real (e, "start", ts);
    else if (e && !strcmp (name, "finish"))
        set_real (e, "end", ts);
    else if (e && !strcmp (name, "clean"))
        eddy_u64map_remove (n->jobs, id);
}

static void journal_cb (eddy_future_t *f, void *arg)
{
    eddy_nest_t *n = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0) {
        eddy_future_destroy (f);
        n->journal = NULL;
        return;
    }
    if (json_unpack (o, "{s:o}", "events", &events) == 0) {
        json_array_foreach (events, i, item) {
            json_int_t id;
            const char *name;
            double ts;
            json_t *entry;
            if (json_unpack (item, "{s:I s:o}", "id", &id, "entry", &entry) < 0
                || json_unpack (entry, "{s:F s:s}", "timestamp", &ts, "name", &name) < 0)
                continue;
            if (n->list)
                record_job (n, (uint64_t)id, name, ts, item);
            if (!strcmp (name, "exception")) {
                int severity = 1;
                json_unpack (entry, "{s:{s?i}}", "context", "severity", &severity);
                if (severity == 0)
                    eddy_u64map_put (n->fatal, (uint64_t)id, (void *)1);
            }
            else if (!strcmp (name, "clean")) {
                n->cleaned++;
                if (eddy_u64map_remove (n->fatal, (uint64_t)id))
                    n->canceled++;
                else
                    n->completed++;
            }
        }
    }
    eddy_future_reset (f);
    progress (n);
}

static void running (eddy_reactor_t *r, void *a, void *b)
{
    eddy_nest_t *n = a;

    n->started = true;
    set_real (n->record, "run_at", eddy_reactor_now (r));
    if (!(n->h = eddy_broker_handle_create (eddy_sim_cluster_broker (n->cl, 0), "nest"))
        || !(n->journal = eddy_rpc (n->h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                    EDDY_RPC_STREAMING))
        || eddy_future_then (n->journal, -1, journal_cb, n) < 0) {
        eddy_future_destroy (n->journal);
        n->journal = NULL;
        shutdown_now (r, n, NULL);
        return;
    }
    if (n->killsig) {
        shutdown_now (r, n, NULL); /* signaled while it booted: nothing to run */
        return;
    }
    n->phase = RUN;
    submit_all (r, n, NULL);
}

static void state_cb (eddy_sim_cluster_t *c, eddy_broker_state_t state, uint32_t count, void *arg)
{
    eddy_nest_t *n = arg;

    if (state == EDDY_STATE_RUN && count == n->size && n->phase == BOOT)
        later (n, running);
    else if (state == EDDY_STATE_EXIT && count == n->size && n->phase != GONE) {
        n->phase = GONE;
        later (n, finish);
    }
}

/* ---- the seam (engine/nest.h) ---- */

static int parse_spec (eddy_nest_t *n, json_t *spec, const char **policy, eddy_error_t *err)
{
    json_error_t jerr;
    json_int_t jobs = -1, procs = 1;

    if (!json_is_object (spec)
        || json_unpack_ex (spec, &jerr, JSON_STRICT, "{s:I s:F s?I s?s}", "jobs", &jobs, "run",
                           &n->run, "procs", &procs, "policy", policy)
               < 0) {
        errno = EINVAL;
        return eddy_error_set (err, "attributes.system.exec.test.nest: expected {jobs, run, "
                                    "procs?, policy?}");
    }
    if (jobs < 0 || jobs > 10000000 || !(n->run >= 0) || !isfinite (n->run) || n->run > 1e9
        || procs < 1 || procs > 1000000) {
        errno = EINVAL;
        return eddy_error_set (err, "attributes.system.exec.test.nest: jobs must be 0-10000000, "
                                    "run seconds >= 0, procs 1-1000000");
    }
    n->njobs = (size_t)jobs;
    n->procs = (int)procs;
    return 0;
}

static const char *const stack[] = {
    "content", "kvs", "job-manager", "job-ingest", "job-list", "resource", "sched", "exec", NULL,
};

static int load_stack (eddy_nest_t *n, json_t *R, const char *policy)
{
    eddy_broker_t *b0 = eddy_sim_cluster_broker (n->cl, 0);
    for (int i = 0; stack[i]; i++) {
        json_t *args = NULL;
        if (!strcmp (stack[i], "resource"))
            args = json_pack ("{s:O}", "R", R);
        else if (!strcmp (stack[i], "sched"))
            args = json_pack ("{s:s}", "policy", policy);
        else if (!strcmp (stack[i], "exec"))
            args = json_pack ("{s:s}", "backend", "sim");
        int rc = eddy_broker_add_initial_module (b0, stack[i], args);
        json_decref (args);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static eddy_nest_t *nest_start (void *world, const struct eddy_nest_args *a, eddy_nest_done_f done,
                                void *arg, eddy_error_t *err)
{
    struct eddy_sim_nest_world *w = world;
    eddy_nest_t *n = calloc (1, sizeof (*n));
    const char *policy = w->policy;
    json_t *R = NULL;
    char f58[32], *uri = NULL;
    eddy_error_t e = { "" };

    if (!n)
        goto nomem;
    n->w = w;
    if (parse_spec (n, a->spec, &policy, err) < 0)
        goto error;
    if (!(R = eddy_nest_renumber_R (a->R, &e))) {
        eddy_error_set (err, "nested instance: R: %s", e.text);
        goto error;
    }
    json_t *lite = json_object_get (json_object_get (R, "execution"), "R_lite");
    uint32_t size = 0;
    size_t i;
    json_t *x;
    json_array_foreach (lite, i, x) {
        eddy_idset_t *ids = eddy_idset_decode (json_string_value (json_object_get (x, "rank")), NULL);
        unsigned last = ids ? eddy_idset_last (ids) : EDDY_IDSET_INVALID_ID;
        if (last != EDDY_IDSET_INVALID_ID && last + 1 > size)
            size = last + 1;
        eddy_idset_destroy (ids);
    }
    n->size = size; /* renumbered: 0..size-1 */
    eddy_fluid_encode (f58, sizeof (f58), a->jobid, EDDY_FLUID_F58);
    const char *parent = a->parent_uri && *a->parent_uri ? a->parent_uri : w->uri;
    if (asprintf (&uri, "%s%s%s/", parent, parent[strlen (parent) - 1] == '/' ? "" : "/", f58) < 0) {
        uri = NULL;
        goto nomem;
    }
    if (!(n->submits = calloc (n->njobs ? n->njobs : 1, sizeof (*n->submits)))
        || !(n->fatal = eddy_u64map_create ()) || !(n->record = json_object ()))
        goto nomem;
    if (w->p.record_jobs && (!(n->jobs = eddy_u64map_create ()) || !(n->list = json_array ())))
        goto nomem;
    struct eddy_sim_cluster_params cp = {
        .size = size, .fanout = w->p.fanout, .latency = w->p.latency, .jitter = w->p.jitter,
        .seed = w->p.seed ^ (a->jobid * 0x9e3779b97f4a7c15ull), .modules = w->p.modules,
        .reactor = w->r, .uri = uri, .on_state = state_cb, .on_state_arg = n,
    };
    if (!(n->cl = eddy_sim_cluster_create (&cp, err)))
        goto error;
    if (eddy_sim_cluster_attr_set (n->cl, "tbon.keepalive_period", "0") < 0
        || eddy_sim_cluster_attr_set (n->cl, "parent-uri", parent) < 0
        || eddy_sim_cluster_attr_set (n->cl, "jobid", f58) < 0 || load_stack (n, R, policy) < 0)
        goto nomem;
    json_object_set_new (n->record, "jobid", json_string (f58));
    json_object_set_new (n->record, "uri", json_string (uri));
    json_object_set_new (n->record, "parent_uri", json_string (parent));
    set_int (n->record, "size", size);
    json_object_set (n->record, "R", a->R);
    set_int (n->record, "jobs", (json_int_t)n->njobs);
    set_real (n->record, "run_at", -1);
    set_real (n->record, "end", -1);
    set_int (n->record, "status", -1);
    if (n->list)
        json_object_set (n->record, "list", n->list);
    if (json_array_append (w->report, n->record) < 0)
        goto nomem;
    json_decref (n->record); /* the report holds it */
    if (eddy_sim_cluster_start (n->cl) < 0) {
        eddy_error_set (err, "nested instance: cannot start its brokers: %s", strerror (errno));
        json_array_remove (w->report, json_array_size (w->report) - 1);
        n->record = NULL;
        goto error;
    }
    n->done = done;
    n->done_arg = arg;
    n->prev = w->tail;
    if (w->tail)
        w->tail->next = n;
    else
        w->head = n;
    w->tail = n;
    json_decref (n->list); /* the record holds it */
    json_decref (R);
    free (uri);
    return n;
nomem:
    eddy_error_set (err, "nested instance: out of memory");
    errno = ENOMEM;
error:
    if (n) {
        int saved = errno;
        if (n->record && json_array_size (w->report)
            && json_array_get (w->report, json_array_size (w->report) - 1) == n->record)
            json_array_remove (w->report, json_array_size (w->report) - 1);
        else
            json_decref (n->record);
        json_decref (n->list);
        eddy_sim_cluster_destroy (n->cl);
        child_free (n);
        errno = saved;
    }
    json_decref (R);
    free (uri);
    return NULL;
}

static void nest_kill (eddy_nest_t *n, int signum)
{
    if (n->killsig || n->phase == GONE)
        return;
    n->killsig = signum ? signum : SIGKILL;
    if (n->phase == RUN) {
        n->phase = CANCEL;
        progress (n);
    }
    /* BOOT: running () shuts it down; LIST, SHUTDOWN: on its way out */
}

static void nest_detach (eddy_nest_t *n)
{
    n->done = NULL;
    nest_kill (n, SIGKILL);
}

static const struct eddy_nest_ops nest_ops = {
    .start = nest_start,
    .kill = nest_kill,
    .detach = nest_detach,
};

struct eddy_sim_nest_world *eddy_sim_nest_world_create (eddy_reactor_t *r,
                                                        const struct eddy_sim_nest_params *p)
{
    struct eddy_sim_nest_world *w = calloc (1, sizeof (*w));

    if (!w)
        return NULL;
    w->r = r;
    w->p = *p;
    if (!(w->uri = strdup (p->uri ? p->uri : "sim:/"))
        || !(w->policy = strdup (p->policy ? p->policy : "fcfs")) || !(w->report = json_array ())) {
        eddy_sim_nest_world_destroy (w);
        errno = ENOMEM;
        return NULL;
    }
    w->p.uri = w->uri;
    w->p.policy = w->policy;
    eddy_reactor_set_nest (r, &nest_ops, w);
    return w;
}

void eddy_sim_nest_world_destroy (struct eddy_sim_nest_world *w)
{
    if (!w)
        return;
    int saved_errno = errno;
    while (w->head) {
        eddy_nest_t *n = w->head;
        unlink_child (n);
        /* its futures and handle before its brokers */
        eddy_sim_cluster_t *cl = n->cl;
        n->cl = NULL;
        child_free (n);
        eddy_sim_cluster_destroy (cl);
    }
    if (eddy_reactor_nest (w->r, NULL) == &nest_ops)
        eddy_reactor_set_nest (w->r, NULL, NULL);
    json_decref (w->report);
    free (w->uri);
    free (w->policy);
    free (w);
    errno = saved_errno;
}

json_t *eddy_sim_nest_report (struct eddy_sim_nest_world *w)
{
    return w->report;
}
