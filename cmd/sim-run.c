/* sim-run.c - eddy sim run SCENARIO.toml: a virtual instance, a workload,
 * timed events and checks at virtual times, for CI (docs/simulator.md,
 * "Scenarios").  Exits 1 when a check fails; --json FILE writes results.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/modules.h"
#include "engine/broker/topology.h"
#include "engine/future.h"
#include "engine/util/idset.h"
#include "engine/util/toml.h"
#include "engine/util/u64map.h"
#include "sched/rlist.h"
#include "sched/rstate.h"
#include "sim/cluster.h"
#include "sim/des.h"
#include "traces/swf.h"

/* eddy sim run's own usage and options (eddy sim --help points here) */
static const struct eddy_cmd cmd_sim_run = {
    .name = "sim",
    .usage = "eddy sim run SCENARIO.toml [--json FILE]",
    .summary = "A virtual instance ([instance]), a workload ([workload]), timed\n"
               "events ([[event]]) and checks ([[check]]); exits 1 if a check\n"
               "fails.  docs/simulator.md, \"Scenarios\".",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_LARG ("json", 'J', "FILE", "write every check's result there as JSON"),
        EDDY_OPT_END,
    },
};

int sim_scenario (int argc, char **argv);

enum job_state {
    J_QUEUED,
    J_RUNNING,
    J_COMPLETED,
    J_FAILED,
    J_KILLED,
    J_CANCELED,
    J_TIMEOUT,
    J_N
};
static const char *const job_state_names[J_N] = {
    "queued", "running", "completed", "failed", "killed", "canceled", "timeout",
};

struct job {
    int64_t id; /* eddy's, 0 until its submit is answered */
    enum job_state state;
    bool fatal; /* a fatal exception was raised */
};

/* One timed item: an event, a check, or a workload job's submission. */
struct item {
    double at;
    size_t order; /* ties: the file's order */
    json_t *spec; /* borrowed from the scenario; NULL for a workload job */
    bool check;
    int procs;
    double run;
};

struct scen {
    const char *path;
    eddy_sim_cluster_t *cl;
    eddy_reactor_t *r;
    eddy_handle_t *h;
    uint32_t size;
    int fanout;
    unsigned cores;
    double t0; /* virtual time of scenario time 0 (the instance is up) */
    struct job *jobs;
    size_t njobs, cap;
    eddy_u64map_t *ids; /* eddy id -> index + 1 */
    eddy_future_t *journal;
    json_t *results;
    size_t failed_checks;
};

static void die (struct scen *s, const char *fmt, const char *a, const char *b)
{
    char msg[512];
    snprintf (msg, sizeof (msg), fmt, a, b);
    eddy_cmd_die ("sim", "run: %s: %s", s->path, msg);
}

/* ---- the job manager's journal: every job's state ---- */

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct scen *s = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0)
        return;
    if (json_unpack (o, "{s:o}", "events", &events) == 0 && json_is_array (events)) {
        json_array_foreach (events, i, item)
        {
            json_int_t id, index = -1;
            json_t *entry, *jobspec = NULL;
            const char *name;
            if (json_unpack (item, "{s:I s:o s?o}", "id", &id, "entry", &entry,
                             "jobspec", &jobspec) < 0 ||
                json_unpack (entry, "{s:s}", "name", &name) < 0)
                continue;
            if (!strcmp (name, "submit")) {
                if (jobspec)
                    json_unpack (jobspec, "{s:{s:{s:{s:I}}}}", "attributes", "user",
                                 "scenario", "index", &index);
                if (index >= 0 && (size_t)index < s->njobs) {
                    s->jobs[index].id = id;
                    if (eddy_u64map_put (s->ids, (uint64_t)id,
                                         (void *)(uintptr_t)(index + 1)) < 0)
                        eddy_cmd_die ("sim", "out of memory");
                }
                continue;
            }
            uintptr_t v = (uintptr_t)eddy_u64map_get (s->ids, (uint64_t)id);
            if (!v)
                continue;
            struct job *j = &s->jobs[v - 1];
            if (!strcmp (name, "start"))
                j->state = J_RUNNING;
            else if (!strcmp (name, "exception")) {
                const char *type = "";
                int severity = 1;
                json_unpack (entry, "{s:{s?s s?i}}", "context", "type", &type,
                             "severity", &severity);
                if (severity != 0 || j->fatal)
                    continue;
                j->fatal = true;
                j->state = !strcmp (type, "cancel")    ? J_CANCELED
                           : !strcmp (type, "timeout") ? J_TIMEOUT
                           : j->state == J_RUNNING     ? J_KILLED
                                                       : J_FAILED;
            } else if (!strcmp (name, "finish")) {
                int status = 0;
                json_unpack (entry, "{s:{s?i}}", "context", "status", &status);
                if (!j->fatal)
                    j->state = status == 0 ? J_COMPLETED : J_FAILED;
            }
        }
    }
    eddy_future_reset (f);
}

/* ---- running the clock ---- */

static void flag_cb (eddy_reactor_t *r, void *a, void *b)
{
    *(bool *)b = true;
}

/* Run every event up to scenario time t. */
static void run_to (struct scen *s, double t)
{
    bool due = false;
    double now = eddy_reactor_now (s->r), at = s->t0 + t;
    if (eddy_sim_post (s->r, at > now ? at - now : 0, flag_cb, NULL, &due) < 0)
        eddy_cmd_die ("sim", "out of memory");
    while (!due)
        eddy_reactor_run (s->r, EDDY_RUN_ONCE);
}

/* An RPC to rank 0, answered (virtual time runs meanwhile). */
static json_t *
rpc (struct scen *s, const char *topic, json_t *payload, char *err, size_t len)
{
    eddy_future_t *f = eddy_rpc (s->h, topic, payload, 0, 0);
    json_t *o = NULL;
    json_decref (payload);
    if (!f || eddy_sim_cluster_run_until_ready (s->cl, f, 3600) < 0 ||
        eddy_rpc_get (f, &o) < 0) {
        snprintf (err, len, "%s: %s", topic,
                  f && eddy_future_is_ready (f) ? eddy_future_error_string (f)
                                                : strerror (errno));
        eddy_future_destroy (f);
        return NULL;
    }
    o = o ? json_incref (o) : json_object (); /* a response may carry no payload */
    eddy_future_destroy (f);
    if (!o)
        eddy_cmd_die ("sim", "out of memory");
    return o;
}

/* ---- ranks: "ranks" (an idset) or "subtree" (a rank and all below it) ---- */

static eddy_idset_t *spec_ranks (struct scen *s, json_t *spec, const char *what)
{
    json_t *v;
    eddy_idset_t *ids = NULL;

    if ((v = json_object_get (spec, "subtree"))) {
        if (!json_is_integer (v) || json_integer_value (v) < 0 ||
            json_integer_value (v) >= s->size)
            die (s, "%s: subtree is not a rank of the instance", what, "");
        uint32_t *queue = xcalloc (s->size, sizeof (*queue));
        size_t head = 0, tail = 0;
        ids = eddy_idset_create ();
        queue[tail++] = (uint32_t)json_integer_value (v);
        while (head < tail) {
            uint32_t n, r = queue[head++];
            uint32_t first = eddy_topo_first_child (r, s->size, s->fanout, &n);
            eddy_idset_set (ids, r);
            for (uint32_t c = first; c < first + n; c++)
                queue[tail++] = c;
        }
        free (queue);
    } else if ((v = json_object_get (spec, "rank")) && json_is_integer (v)) {
        ids = eddy_idset_create ();
        if (json_integer_value (v) < 0 || json_integer_value (v) >= s->size)
            die (s, "%s: rank is not a rank of the instance", what, "");
        eddy_idset_set (ids, (unsigned)json_integer_value (v));
    } else if ((v = json_object_get (spec, "ranks")) && json_is_string (v)) {
        if (!(ids = eddy_idset_decode (json_string_value (v), NULL)) ||
            eddy_idset_count (ids) == 0 || eddy_idset_last (ids) >= s->size)
            die (s, "%s: ranks '%s' is not an idset of the instance's ranks", what,
                 json_string_value (v));
    } else
        die (s, "%s: needs rank, ranks or subtree", what, "");
    if (!ids)
        eddy_cmd_die ("sim", "out of memory");
    return ids;
}

/* ---- events ---- */

static void submit_cb (eddy_future_t *f, void *arg)
{
    if (eddy_rpc_get (f, NULL) < 0)
        fprintf (stderr, "eddy-sim: run: a submission failed: %s\n",
                 eddy_future_error_string (f));
    eddy_future_destroy (f);
}

/* Submitted without waiting; the journal's submit entry names the job's
 * index (attributes.user.scenario), which maps its id. */
static void submit (struct scen *s, int procs, double run)
{
    eddy_future_t *f = eddy_rpc_pack (
        s->h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
        "{s:{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] "
        "s:{s:{s:f s:{s:{s:f}}} s:{s:{s:I}}}}}",
        "jobspec", "version", 1, "resources", "type", "slot", "count", procs, "label",
        "task", "with", "type", "core", "count", 1, "tasks", "command", "scenario-job",
        "slot", "task", "count", "per_slot", 1, "attributes", "system", "duration",
        run > 0 ? run : 1.0, "exec", "test", "run_duration", run, "user", "scenario",
        "index", (json_int_t)s->njobs);
    if (!f || eddy_future_then (f, -1, submit_cb, s) < 0)
        eddy_cmd_die ("sim", "run: cannot submit a job");
    if (s->njobs == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        if (!(s->jobs = realloc (s->jobs, s->cap * sizeof (*s->jobs))))
            eddy_cmd_die ("sim", "out of memory");
    }
    s->jobs[s->njobs++] = (struct job){.id = 0, .state = J_QUEUED};
}

static double
num (struct scen *s, json_t *spec, const char *key, double dflt, const char *what)
{
    json_t *v = json_object_get (spec, key);
    double d;
    if (!v)
        return dflt;
    if (json_is_integer (v))
        return (double)json_integer_value (v);
    if (!eddy_toml_float (v, &d) || !isfinite (d))
        die (s, "%s: %s is not a number", what, key);
    return d;
}

static void do_event (struct scen *s, json_t *spec, const char *what)
{
    const char *action = json_string_value (json_object_get (spec, "action"));
    eddy_simnet_t *net = eddy_sim_cluster_net (s->cl);
    double now = eddy_reactor_now (s->r);
    char err[256];

    if (!action)
        die (s, "%s: needs action", what, "");
    if (!strcmp (action, "submit")) {
        int count = (int)num (s, spec, "count", 1, what),
            procs = (int)num (s, spec, "procs", 1, what);
        double run = num (s, spec, "run", 60, what);
        for (int i = 0; i < count; i++)
            submit (s, procs, run);
        return;
    }
    if (!strcmp (action, "cancel")) {
        /* every job not ended, or the job-th submitted (from 1) */
        long k = (long)num (s, spec, "job", 0, what);
        for (size_t i = 0; i < s->njobs; i++) {
            if ((k && (size_t)k != i + 1) || s->jobs[i].state > J_RUNNING ||
                s->jobs[i].fatal || !s->jobs[i].id)
                continue;
            json_t *o = rpc (s, "job-manager.cancel",
                             json_pack ("{s:I}", "id", (json_int_t)s->jobs[i].id), err,
                             sizeof (err));
            if (!o)
                fprintf (stderr, "eddy-sim: run: cancel: %s\n", err);
            json_decref (o);
        }
        return;
    }
    eddy_idset_t *ids = spec_ranks (s, spec, what);
    if (!strcmp (action, "drain") || !strcmp (action, "undrain")) {
        char *text = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
        bool drain = !strcmp (action, "drain");
        const char *reason = json_string_value (json_object_get (spec, "reason"));
        json_t *o = rpc (s, drain ? "resource.drain" : "resource.undrain",
                         drain ? json_pack ("{s:s s:s s:s}", "targets", text, "reason",
                                            reason ? reason : "", "mode", "update")
                               : json_pack ("{s:s}", "targets", text),
                         err, sizeof (err));
        if (!o)
            die (s, "%s: %s", what, err);
        json_decref (o);
        free (text);
        eddy_idset_destroy (ids);
        return;
    }
    for (unsigned r = eddy_idset_first (ids); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (ids, r)) {
        int rc;
        if (!strcmp (action, "kill"))
            rc = eddy_simnet_kill (net, r, now);
        else if (!strcmp (action, "restart"))
            rc = eddy_sim_cluster_restart (s->cl, r, now);
        else if (!strcmp (action, "cut"))
            rc = eddy_simnet_cut (net, r, now);
        else if (!strcmp (action, "heal"))
            rc = eddy_simnet_heal (net, r, now);
        else if (!strcmp (action, "delay"))
            rc = eddy_simnet_delay (net, r, num (s, spec, "extra", 0, what), now);
        else
            die (s,
                 "%s: action '%s' is not kill, restart, cut, heal, delay, drain, "
                 "undrain, "
                 "submit or cancel",
                 what, action);
        if (rc < 0)
            die (s, "%s: %s (rank 0 can only be killed or drained)", what,
                 strerror (errno));
    }
    eddy_idset_destroy (ids);
}

/* ---- checks ---- */

/* ranks of an R (sched.resource-status's all, down, allocated) */
static eddy_idset_t *R_ranks (json_t *R)
{
    eddy_rlist_t *rl = R ? eddy_rlist_from_json (R, 0, NULL) : NULL;
    eddy_idset_t *ids = rl ? eddy_rstate_ranks (rl) : eddy_idset_create ();
    eddy_rlist_destroy (rl);
    return ids;
}

static eddy_idset_t *ids_text (const char *s)
{
    eddy_idset_t *ids = s ? eddy_idset_decode (s, NULL) : NULL;
    return ids ? ids : eddy_idset_create ();
}

/* The ranks of want not in have (inverted: those in it). */
static char *mismatch (eddy_idset_t *want, eddy_idset_t *have, bool in)
{
    eddy_idset_t *bad = eddy_idset_create ();
    for (unsigned r = eddy_idset_first (want); r != EDDY_IDSET_INVALID_ID;
         r = eddy_idset_next (want, r))
        if (eddy_idset_test (have, r) != in)
            eddy_idset_set (bad, r);
    char *text =
        eddy_idset_empty (bad) ? NULL : eddy_idset_encode (bad, EDDY_IDSET_RANGE);
    eddy_idset_destroy (bad);
    return text;
}

static void do_check (struct scen *s, json_t *spec, const char *what, double at)
{
    json_t *res = json_pack ("{s:s s:f}", "check", what, "at", at);
    char detail[512] = "", err[256];
    bool pass = true;
    const char *overlay = json_string_value (json_object_get (spec, "overlay"));
    const char *resources = json_string_value (json_object_get (spec, "resources"));
    json_t *jobs = json_object_get (spec, "jobs");

    if (!overlay && !resources && !jobs)
        die (s, "%s: needs overlay, resources or jobs", what, "");
    if (overlay || resources) {
        eddy_idset_t *ids = spec_ranks (s, spec, what);
        char *bad = NULL, *text = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
        json_object_set_new (res, "ranks", json_string (text));
        if (overlay) {
            if (strcmp (overlay, "online") && strcmp (overlay, "lost"))
                die (s, "%s: overlay '%s' is not online or lost", what, overlay);
            json_t *o = rpc (s, "overlay.online", NULL, err, sizeof (err));
            if (!o)
                die (s, "%s: %s", what, err);
            eddy_idset_t *on =
                ids_text (json_string_value (json_object_get (o, "online")));
            bad = mismatch (ids, on, !strcmp (overlay, "online"));
            json_object_set_new (res, "overlay", json_string (overlay));
            if (bad)
                snprintf (detail, sizeof (detail), "overlay: ranks %s are not %s", bad,
                          overlay);
            eddy_idset_destroy (on);
            json_decref (o);
        } else {
            json_t *o = rpc (s, "sched.resource-status", NULL, err, sizeof (err));
            if (!o)
                die (s, "%s: %s", what, err);
            eddy_idset_t *set;
            bool in = true;
            if (!strcmp (resources, "down") || !strcmp (resources, "up")) {
                set = R_ranks (json_object_get (o, "down"));
                in = !strcmp (resources, "down");
            } else if (!strcmp (resources, "drained") ||
                       !strcmp (resources, "undrained")) {
                set = ids_text (json_string_value (json_object_get (o, "drained")));
                in = !strcmp (resources, "drained");
            } else if (!strcmp (resources, "allocated") ||
                       !strcmp (resources, "free")) {
                set = R_ranks (json_object_get (o, "allocated"));
                in = !strcmp (resources, "allocated");
            } else
                die (s,
                     "%s: resources '%s' is not up, down, drained, undrained, "
                     "allocated or free",
                     what, resources);
            bad = mismatch (ids, set, in);
            json_object_set_new (res, "resources", json_string (resources));
            if (bad)
                snprintf (detail, sizeof (detail), "resources: ranks %s are not %s",
                          bad, resources);
            eddy_idset_destroy (set);
            json_decref (o);
        }
        pass = !bad;
        free (bad);
        free (text);
        eddy_idset_destroy (ids);
    }
    if (jobs) {
        size_t count[J_N + 1] = {0};
        const char *key;
        json_t *v, *got = json_object ();
        for (size_t i = 0; i < s->njobs; i++)
            count[s->jobs[i].state]++;
        count[J_N] = s->njobs;
        if (!json_is_object (jobs))
            die (s, "%s: jobs is not a table", what, "");
        json_object_foreach (jobs, key, v)
        {
            int k = 0;
            while (k < J_N && strcmp (key, job_state_names[k]))
                k++;
            if (k == J_N && strcmp (key, "total"))
                die (s,
                     "%s: jobs.%s is not a job state (queued, running, completed, "
                     "failed, "
                     "killed, canceled, timeout) or total",
                     what, key);
            if (!json_is_integer (v))
                die (s, "%s: jobs.%s is not a count", what, key);
            json_object_set_new (got, key, json_integer ((json_int_t)count[k]));
            if ((json_int_t)count[k] != json_integer_value (v)) {
                size_t l = strlen (detail);
                snprintf (detail + l, sizeof (detail) - l, "%sjobs %s: %zu, not %lld",
                          l ? "; " : "", key, count[k],
                          (long long)json_integer_value (v));
                pass = false;
            }
        }
        json_object_set (res, "jobs", jobs);
        json_object_set_new (res, "jobs_seen", got);
    }
    json_object_set_new (res, "pass", json_boolean (pass));
    if (!pass) {
        json_object_set_new (res, "detail", json_string (detail));
        s->failed_checks++;
    }
    printf ("%s %s at %g%s%s\n", pass ? "ok" : "FAIL", what, at, pass ? "" : ": ",
            pass ? "" : detail);
    json_array_append_new (s->results, res);
}

/* ---- the scenario ---- */

static int item_cmp (const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static json_t *load_toml (const char *path)
{
    FILE *f = fopen (path, "r");
    char *buf = NULL;
    size_t len = 0;
    eddy_error_t err;

    if (!f)
        eddy_cmd_die ("sim", "run: %s: %s", path, strerror (errno));
    FILE *m = open_memstream (&buf, &len);
    char chunk[65536];
    size_t n;
    while (m && (n = fread (chunk, 1, sizeof (chunk), f)) > 0)
        fwrite (chunk, 1, n, m);
    if (!m || ferror (f) || fclose (m) != 0)
        eddy_cmd_die ("sim", "run: %s: cannot read", path);
    fclose (f);
    json_t *o = eddy_toml_parse (buf, len, path, &err);
    free (buf);
    if (!o)
        eddy_cmd_die ("sim", "run: %s", err.text);
    return o;
}

/* a workload trace's jobs (SWF), submit times from its first */
static void add_trace (struct scen *s,
                       const char *path,
                       double at,
                       struct item **items,
                       size_t *n,
                       size_t *cap)
{
    FILE *f = fopen (path, "r");
    eddy_swf_t *swf = eddy_swf_create ();
    char line[8192];
    eddy_error_t err;
    if (!f || !swf)
        die (s, "workload: %s: %s", path, strerror (errno ? errno : ENOMEM));
    while (fgets (line, sizeof (line), f))
        if (eddy_swf_feed (swf, line, strlen (line), &err) < 0)
            die (s, "workload: %s", err.text, "");
    fclose (f);
    if (eddy_swf_finish (swf, (int64_t)s->size * s->cores, &err) < 0)
        die (s, "workload: %s", err.text, "");
    size_t nj;
    const struct eddy_swf_job *jobs = eddy_swf_jobs (swf, &nj);
    double first = INFINITY;
    for (size_t i = 0; i < nj; i++)
        first = fmin (first, jobs[i].submit);
    for (size_t i = 0; i < nj; i++) {
        if (*n == *cap && !(*items = realloc (*items, (*cap *= 2) * sizeof (**items))))
            eddy_cmd_die ("sim", "out of memory");
        (*items)[*n] = (struct item){.at = at + jobs[i].submit - first,
                                     .order = *n,
                                     .procs = (int)jobs[i].procs,
                                     .run = jobs[i].run};
        (*n)++;
    }
    eddy_swf_destroy (swf);
}

static const char *const stack[] = {
    "content", "kvs", "job-manager", "job-ingest", "resource", "sched", "exec", NULL,
};

int sim_scenario (int argc, char **argv)
{
    const char *json_out = NULL;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_sim_run, NULL, 0, argc, argv)) != -1) {
        if (c == 'J')
            json_out = optarg;
        else
            eddy_cmd_unhandled (&cmd_sim_run, c);
    }
    if (optind != argc - 1)
        eddy_cmd_die ("sim", "run: exactly one SCENARIO.toml is required");

    struct scen s = {.path = argv[optind], .results = json_array ()};
    FILE *json_f = NULL;
    if (json_out && !(json_f = fopen (json_out, "w")))
        eddy_cmd_die ("sim", "run: --json: %s: %s", json_out, strerror (errno));
    json_t *sc = load_toml (s.path);
    json_t *inst = json_object_get (sc, "instance");
    const char *key;
    json_t *v;
    json_object_foreach (sc, key, v) if (strcmp (key, "instance") &&
                                         strcmp (key, "workload") &&
                                         strcmp (key, "event") &&
                                         strcmp (key, "check") && strcmp (key, "name"))
        die (&s, "unknown table '%s' (instance, workload, event, check, name)", key,
             "");
    if (!json_is_object (inst))
        die (&s, "needs an [instance] table", "", "");
    double size = num (&s, inst, "size", 0, "instance");
    if (!(size >= 1 && size <= 1e6))
        die (&s, "instance: size must be 1 to 1000000", "", "");
    s.size = (uint32_t)size;
    s.fanout = (int)num (&s, inst, "fanout", 2, "instance");
    s.cores = (unsigned)num (&s, inst, "cores_per_node", 1, "instance");
    double latency = num (&s, inst, "latency", 50e-6, "instance");
    const char *policy = json_string_value (json_object_get (inst, "policy"));
    if (s.fanout < 0 || s.cores < 1 || !(latency >= 0))
        die (&s, "instance: fanout >= 0, cores_per_node >= 1 and latency >= 0", "", "");

    /* the timed items */
    size_t n = 0, cap = 64;
    struct item *items = xcalloc (cap, sizeof (*items));
    json_t *events = json_object_get (sc, "event"),
           *checks = json_object_get (sc, "check");
    json_t *lists[2] = {events, checks};
    bool cuts = false;
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        if (lists[l] && !json_is_array (lists[l]))
            die (&s, "%s must be an array of tables ([[%s]])", l ? "check" : "event",
                 l ? "check" : "event");
        json_array_foreach (lists[l], i, e)
        {
            if (!json_is_object (e) || !json_object_get (e, "at"))
                die (&s, "every [[%s]] needs at (scenario seconds)",
                     l ? "check" : "event", "");
            if (n == cap)
                items = realloc (items, (cap *= 2) * sizeof (*items));
            items[n] = (struct item){.at = num (&s, e, "at", 0, l ? "check" : "event"),
                                     .order = n,
                                     .spec = e,
                                     .check = l == 1};
            if (!(items[n].at >= 0))
                die (&s, "a time is negative", "", "");
            const char *a = json_string_value (json_object_get (e, "action"));
            if (!l && a && (!strcmp (a, "cut") || !strcmp (a, "heal")))
                cuts = true;
            n++;
        }
    }
    json_t *wl = json_object_get (sc, "workload");
    if (wl) {
        double at = num (&s, wl, "at", 0, "workload");
        const char *trace = json_string_value (json_object_get (wl, "trace"));
        if (trace) {
            /* relative to the scenario's directory */
            char *p = trace[0] == '/' || !strchr (s.path, '/')
                          ? xstrdup (trace)
                          : xasprintf ("%.*s/%s", (int)(strrchr (s.path, '/') - s.path),
                                       s.path, trace);
            add_trace (&s, p, at, &items, &n, &cap);
            free (p);
        } else {
            int count = (int)num (&s, wl, "jobs", 0, "workload");
            int procs = (int)num (&s, wl, "procs", 1, "workload");
            double run = num (&s, wl, "run", 60, "workload");
            double gap = num (&s, wl, "interval", 0, "workload");
            if (count < 0 || procs < 1 || !(run >= 0) || !(gap >= 0))
                die (&s, "workload: jobs >= 0, procs >= 1, run >= 0, interval >= 0", "",
                     "");
            for (int i = 0; i < count; i++) {
                if (n == cap)
                    items = realloc (items, (cap *= 2) * sizeof (*items));
                items[n] = (struct item){
                    .at = at + i * gap, .order = n, .procs = procs, .run = run};
                n++;
            }
        }
    }
    if (!items)
        eddy_cmd_die ("sim", "out of memory");
    qsort (items, n, sizeof (*items), item_cmp);

    /* the instance: rank 0 runs the stack; keepalives only if a cut must be seen */
    double w0 = client_monotime ();
    struct eddy_sim_cluster_params cp = {
        .size = s.size,
        .fanout = s.fanout,
        .latency = latency,
        .seed = (uint64_t)num (&s, inst, "seed", 1, "instance"),
        .modules = eddy_builtin_modules,
        .nest_policy = policy ? policy : "fcfs",
    };
    eddy_error_t err;
    if (!(s.cl = eddy_sim_cluster_create (&cp, &err)))
        eddy_cmd_die ("sim", "run: %s", err.text);
    s.r = eddy_sim_cluster_reactor (s.cl);
    if (eddy_sim_cluster_attr_set (s.cl, "tbon.keepalive_period", cuts ? "1" : "0") < 0)
        eddy_cmd_die ("sim", "run: cannot configure the instance");
    eddy_broker_t *b0 = eddy_sim_cluster_broker (s.cl, 0);
    for (int i = 0; stack[i]; i++) {
        json_t *args = NULL;
        if (!strcmp (stack[i], "resource"))
            args = json_pack ("{s:i s:i}", "nodes", (int)s.size, "cores_per_node",
                              (int)s.cores);
        else if (!strcmp (stack[i], "sched"))
            args = json_pack ("{s:s}", "policy", policy ? policy : "fcfs");
        else if (!strcmp (stack[i], "exec"))
            args = json_pack ("{s:s s:b}", "backend", "sim", "test_time_limit", 0);
        if (eddy_broker_add_initial_module (b0, stack[i], args) < 0)
            eddy_cmd_die ("sim", "out of memory");
        json_decref (args);
    }
    if (eddy_sim_cluster_boot (s.cl, num (&s, inst, "boot_timeout", 3600, "instance")) <
        0)
        eddy_cmd_die ("sim", "run: the instance of %u brokers did not boot", s.size);
    s.t0 = ceil (eddy_reactor_now (s.r));
    double boot_wall = client_monotime () - w0;
    if (!(s.h = eddy_broker_handle_create (b0, "scenario")) ||
        !(s.ids = eddy_u64map_create ()) ||
        !(s.journal = eddy_rpc (s.h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                EDDY_RPC_STREAMING)) ||
        eddy_future_then (s.journal, -1, journal_cb, &s) < 0)
        eddy_cmd_die ("sim", "run: cannot attach to rank 0");

    size_t nev = 0, nck = 0;
    for (size_t i = 0; i < n; i++) {
        char what[64];
        run_to (&s, items[i].at);
        if (!items[i].spec)
            submit (&s, items[i].procs, items[i].run);
        else if (items[i].check) {
            const char *name =
                json_string_value (json_object_get (items[i].spec, "name"));
            snprintf (what, sizeof (what), "check %zu%s%s", ++nck, name ? " " : "",
                      name ? name : "");
            do_check (&s, items[i].spec, name ? name : what, items[i].at);
        } else {
            snprintf (what, sizeof (what), "event %zu", ++nev);
            do_event (&s, items[i].spec, what);
        }
    }
    double wall = client_monotime () - w0;
    size_t nchecks = json_array_size (s.results);
    printf ("%zu of %zu checks passed (%u brokers, %zu events, %zu jobs)\n",
            nchecks - s.failed_checks, nchecks, s.size, nev, s.njobs);
    fprintf (stderr, "eddy-sim: run: boot %.2f s, total %.2f s wall, %.0f virtual s\n",
             boot_wall, wall, eddy_reactor_now (s.r) - s.t0);
    if (json_f) {
        json_t *o = json_pack ("{s:s s:i s:i s:I s:I s:O s:b s:f s:f}", "scenario",
                               s.path, "size", (int)s.size, "fanout", s.fanout,
                               "checks", (json_int_t)nchecks, "failed",
                               (json_int_t)s.failed_checks, "results", s.results,
                               "pass", s.failed_checks == 0, "virtual_seconds",
                               eddy_reactor_now (s.r) - s.t0, "wall_seconds", wall);
        if (!o || json_dumpf (o, json_f, JSON_INDENT (2) | JSON_SORT_KEYS) < 0 ||
            fputc ('\n', json_f) == EOF || fclose (json_f) != 0)
            eddy_cmd_die ("sim", "run: --json: %s: cannot write", json_out);
        json_decref (o);
    }
    int rc = s.failed_checks ? 1 : 0;
    eddy_future_destroy (s.journal);
    eddy_handle_destroy (s.h);
    eddy_sim_cluster_destroy (s.cl);
    eddy_u64map_destroy (s.ids);
    json_decref (s.results);
    json_decref (sc);
    free (s.jobs);
    free (items);
    return rc;
}
