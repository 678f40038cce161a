/* Nested virtual instances (sim/nest.h) driven by hand: a job of a
 * 4-node virtual instance asks for a child on 2 whole nodes; the child's
 * R is the job's, renumbered; a cancel of the job (job-manager.cancel, the
 * path of `eddy cancel`) cancels the child's jobs and shuts it down, and
 * the job finishes with SIGTERM; a malformed workload is refused with an
 * exception before any child starts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/modules.h"
#include "engine/future.h"
#include "sim/cluster.h"
#include "sim/des.h"
#include "sim/nest.h"

struct world {
    eddy_sim_cluster_t *cl;
    eddy_reactor_t *r;
    eddy_handle_t *h;
    eddy_future_t *journal;
    int64_t id;        /* the parent job */
    bool clean;        /* its clean event was seen */
    int finish_status; /* of its finish event, -1 before */
    char exception[128];
    bool at_five;
};

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct world *w = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0)
        return;
    json_unpack (o, "{s:o}", "events", &events);
    json_array_foreach (events, i, item) {
        json_int_t id;
        const char *name;
        json_t *entry;
        if (json_unpack (item, "{s:I s:o}", "id", &id, "entry", &entry) < 0
            || json_unpack (entry, "{s:s}", "name", &name) < 0 || id != w->id)
            continue;
        if (!strcmp (name, "finish"))
            json_unpack (entry, "{s:{s:i}}", "context", "status", &w->finish_status);
        else if (!strcmp (name, "exception")) {
            const char *note = "";
            json_unpack (entry, "{s:{s?s}}", "context", "note", &note);
            snprintf (w->exception, sizeof (w->exception), "%s", note);
        }
        else if (!strcmp (name, "clean"))
            w->clean = true;
    }
    eddy_future_reset (f);
}

static void run_until (struct world *w, bool *flag)
{
    for (int i = 0; !*flag && i < 1000000; i++) {
        if (eddy_sim_pending (w->r) == 0) {
            eddy_reactor_run (w->r, EDDY_RUN_DEFAULT);
            if (!*flag && eddy_sim_pending (w->r) == 0)
                break;
            continue;
        }
        eddy_reactor_run (w->r, EDDY_RUN_ONCE);
    }
    assert_true (*flag);
}

static void world_create (struct world *w)
{
    static const char *const stack[] = { "content", "kvs", "job-manager", "job-ingest",
                                         "resource", "sched", "exec", NULL };
    struct eddy_sim_cluster_params p = { .size = 4, .fanout = 2, .latency = 0.001, .seed = 1,
                                         .modules = eddy_builtin_modules };
    eddy_error_t err;

    memset (w, 0, sizeof (*w));
    w->finish_status = -1;
    assert_non_null ((w->cl = eddy_sim_cluster_create (&p, &err)));
    w->r = eddy_sim_cluster_reactor (w->cl);
    assert_int_equal (eddy_sim_cluster_attr_set (w->cl, "tbon.keepalive_period", "0"), 0);
    eddy_broker_t *b0 = eddy_sim_cluster_broker (w->cl, 0);
    for (int i = 0; stack[i]; i++) {
        json_t *args = NULL;
        if (!strcmp (stack[i], "resource"))
            args = json_pack ("{s:i s:i}", "nodes", 4, "cores_per_node", 2);
        else if (!strcmp (stack[i], "sched"))
            args = json_pack ("{s:s}", "policy", "fcfs");
        else if (!strcmp (stack[i], "exec"))
            args = json_pack ("{s:s}", "backend", "sim");
        assert_int_equal (eddy_broker_add_initial_module (b0, stack[i], args), 0);
        json_decref (args);
    }
    assert_int_equal (eddy_sim_cluster_boot (w->cl, 60), 0);
    assert_non_null ((w->h = eddy_broker_handle_create (b0, "test")));
    assert_non_null ((w->journal = eddy_rpc (w->h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                             EDDY_RPC_STREAMING)));
    assert_int_equal (eddy_future_then (w->journal, -1, journal_cb, w), 0);
}

static void world_destroy (struct world *w)
{
    eddy_future_destroy (w->journal);
    eddy_handle_destroy (w->h);
    eddy_sim_cluster_destroy (w->cl);
}

/* A job of 2 whole nodes (2 cores each) running a child with `nest`. */
static void submit (struct world *w, json_t *nest)
{
    eddy_future_t *f = eddy_rpc_pack (
        w->h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
        "{s:{s:i s:[{s:s s:i s:[{s:s s:i s:s s:[{s:s s:i}]}]}] s:[{s:[s s] s:s s:{s:i}}] "
        "s:{s:{s:f s:{s:{s:o}}}}}}",
        "jobspec", "version", 1, "resources", "type", "node", "count", 2, "with", "type", "slot",
        "count", 1, "label", "task", "with", "type", "core", "count", 2, "tasks", "command", "eddy",
        "start", "slot", "task", "count", "per_slot", 1, "attributes", "system", "duration", 0.0,
        "exec", "test", "nest", nest);
    json_int_t id;
    assert_non_null (f);
    assert_int_equal (eddy_sim_cluster_run_until_ready (w->cl, f, 60), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I}", "id", &id), 0);
    w->id = id;
    eddy_future_destroy (f);
}

static void five_cb (eddy_reactor_t *r, eddy_watcher_t *wt, int revents, void *arg)
{
    ((struct world *)arg)->at_five = true;
}

/* The child runs 6 jobs of 2 cores for 10 s on its 2 nodes (4 cores): at
 * 5 s, 2 run and 4 wait.  The cancel ends all 6 (none completes), the
 * child shuts down, and the job finishes with SIGTERM.  The child's R is
 * the job's ranks renumbered 0-1; every broker has parent-uri and jobid.
 */
static void cancel_tears_child_down (void **state)
{
    struct world w;
    world_create (&w);
    submit (&w, json_pack ("{s:i s:f s:i}", "jobs", 6, "run", 10.0, "procs", 2));

    eddy_watcher_t *t = eddy_timer_create (w.r, 5, 0, five_cb, &w);
    eddy_watcher_start (t);
    run_until (&w, &w.at_five);
    eddy_watcher_destroy (t);

    json_t *rep = eddy_sim_cluster_nest_report (w.cl);
    assert_int_equal (json_array_size (rep), 1);
    json_t *rec = json_array_get (rep, 0);
    assert_int_equal (json_integer_value (json_object_get (rec, "size")), 2);
    assert_int_equal (json_integer_value (json_object_get (rec, "status")), -1); /* running */
    assert_true (json_real_value (json_object_get (rec, "run_at")) > 0);
    assert_string_equal (json_string_value (json_object_get (rec, "parent_uri")), "sim:/");

    eddy_future_t *f = eddy_rpc_pack (w.h, "job-manager.cancel", EDDY_NODEID_ANY, 0, "{s:I}",
                                      "id", (json_int_t)w.id);
    assert_int_equal (eddy_sim_cluster_run_until_ready (w.cl, f, 60), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    run_until (&w, &w.clean);

    assert_int_equal (w.finish_status, SIGTERM);
    assert_int_equal (json_integer_value (json_object_get (rec, "status")), SIGTERM);
    assert_int_equal (json_integer_value (json_object_get (rec, "completed")), 0);
    assert_int_equal (json_integer_value (json_object_get (rec, "canceled")), 6);
    assert_true (json_real_value (json_object_get (rec, "end")) > 5);
    assert_true (json_real_value (json_object_get (rec, "end")) < 6);
    assert_int_equal (json_integer_value (json_object_get (rec, "listed")), 6);
    world_destroy (&w);
}

/* A child's workload runs to its end: the job finishes with status 0 once
 * the child's 3 jobs of 2 cores for 10 s (2 at a time on 4 cores) are
 * done, after 20 s plus the child's boot and shutdown.
 */
static void workload_done_job_done (void **state)
{
    struct world w;
    world_create (&w);
    submit (&w, json_pack ("{s:i s:f s:i}", "jobs", 3, "run", 10.0, "procs", 2));
    run_until (&w, &w.clean);
    assert_int_equal (w.finish_status, 0);
    json_t *rec = json_array_get (eddy_sim_cluster_nest_report (w.cl), 0);
    assert_int_equal (json_integer_value (json_object_get (rec, "completed")), 3);
    assert_int_equal (json_integer_value (json_object_get (rec, "listed")), 3);
    double run_at = json_real_value (json_object_get (rec, "run_at"));
    double end = json_real_value (json_object_get (rec, "end"));
    assert_true (end - run_at > 20 && end - run_at < 20.1);
    world_destroy (&w);
}

/* A workload that is not {jobs, run, procs?, policy?} fails the job with
 * an exception saying so; no child starts.
 */
static void bad_spec_refused (void **state)
{
    struct world w;
    world_create (&w);
    submit (&w, json_pack ("{s:i s:s}", "jobs", -1, "run", "soon"));
    run_until (&w, &w.clean);
    assert_non_null (strstr (w.exception, "attributes.system.exec.test.nest"));
    assert_int_equal (json_array_size (eddy_sim_cluster_nest_report (w.cl)), 0);
    world_destroy (&w);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (cancel_tears_child_down),
        cmocka_unit_test (workload_done_job_done),
        cmocka_unit_test (bad_spec_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
