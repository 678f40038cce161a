/* Job dependencies (sched/job-manager/depend.c) in both worlds, through
 * job-ingest, the job manager, the scheduler and exec's jobs without
 * processes: afterok and afternotok follow their target's result, after
 * follows its start, begin-time holds a job in DEPEND until the (virtual,
 * in the simulator) wall clock reaches it, an unknown target is refused at
 * submit, and a purge removes inactive jobs by count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/util/fluid.h"
#include "kvs/kvs.h"
#include "sched/jobspec.h"
#include "test/support/world.h"

static const struct world_ops *current;

struct env {
    struct world *w;
    eddy_handle_t *h;
};

static json_t *rpc_wait_for (struct env *e, eddy_future_t *f, double timeout)
{
    json_t *o = NULL;
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, timeout), 0);
    if (eddy_rpc_get (f, &o) < 0)
        fail_msg ("rpc: %s", eddy_future_error_string (f));
    return o;
}

static json_t *rpc_wait (struct env *e, eddy_future_t *f)
{
    return rpc_wait_for (e, f, 30.0);
}

static void load (struct env *e, const char *name, const char *args)
{
    json_t *a = json_loads (args, 0, NULL);
    assert_non_null (a);
    eddy_future_t *f = eddy_rpc_pack (e->h, "module.load", 0, 0, "{s:s s:o}", "name", name, "args",
                                      a);
    rpc_wait (e, f);
    eddy_future_destroy (f);
}

static int setup (void **state)
{
    struct env *e = calloc (1, sizeof (*e));
    if (!e || !(e->w = current->create (1, 2))
        || eddy_broker_add_initial_module (e->w->b[0], "content", NULL) < 0
        || eddy_broker_add_initial_module (e->w->b[0], "kvs", NULL) < 0
        || world_boot (e->w, 30.0) < 0)
        return -1;
    e->h = eddy_broker_handle_create (e->w->b[0], "driver");
    load (e, "job-manager", "{}");
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 4}");
    load (e, "sched", "{\"policy\": \"fcfs\"}");
    load (e, "exec", "{\"backend\": \"sim\"}");
    load (e, "job-ingest", "{}");
    *state = e;
    return 0;
}

static int teardown (void **state)
{
    struct env *e = *state;
    eddy_handle_destroy (e->h);
    world_destroy (e->w);
    free (e);
    return 0;
}

static double wallclock (struct env *e)
{
    return eddy_reactor_wallclock (e->w->r);
}

/* Submit a job without processes that runs `run` seconds and exits with
 * wait status `status`, with dependencies "scheme=value" (NULL-ended):
 * the job-ingest.submit future.
 */
static eddy_future_t *submit_f (struct env *e, double run, int status, const char *const *deps)
{
    char *argv[] = { "true", NULL };
    struct eddy_jobspec_request req = { .argc = 1, .argv = argv, .ntasks = 1, .cores_per_task = 1 };
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);

    assert_non_null (js);
    json_t *o = json_deep_copy (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    json_t *sys = json_object_get (json_object_get (o, "attributes"), "system");
    json_object_set_new (sys, "exec",
                         json_pack ("{s:{s:f s:i}}", "test", "run_duration", run, "wait_status",
                                    status));
    if (deps) {
        json_t *a = json_array ();
        for (size_t i = 0; deps[i]; i++) {
            const char *eq = strchr (deps[i], '=');
            assert_non_null (eq);
            json_array_append_new (a, json_pack ("{s:s% s:s}", "scheme", deps[i],
                                                 (size_t)(eq - deps[i]), "value", eq + 1));
        }
        json_object_set_new (sys, "dependencies", a);
    }
    eddy_future_t *f = eddy_rpc_pack (e->h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:o}",
                                      "jobspec", o);
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    return f;
}

static uint64_t submit (struct env *e, double run, int status, const char *const *deps)
{
    json_int_t id = 0;
    eddy_future_t *f = submit_f (e, run, status, deps);
    if (eddy_rpc_get_unpack (f, "{s:I}", "id", &id) < 0)
        fail_msg ("submit: %s", eddy_future_error_string (f));
    eddy_future_destroy (f);
    return (uint64_t)id;
}

/* wait's answer: true if the job succeeded; *type its exception or "". */
static bool wait_job (struct env *e, uint64_t id, char *type, size_t len)
{
    int success = 0;
    const char *t = "";
    eddy_future_t *f = eddy_rpc_pack (e->h, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}", "id",
                                      (json_int_t)id);
    /* the simulator's begin-time test waits an hour of virtual time */
    json_t *o = rpc_wait_for (e, f, current == &world_sim ? 7200.0 : 30.0);
    json_unpack (o, "{s:b s?{s:s}}", "success", &success, "exception", "type", &t);
    snprintf (type, len, "%s", t);
    eddy_future_destroy (f);
    return success;
}

/* The timestamp of the job's first `name` entry in its stored eventlog
 * (-1 if there is none yet).
 */
static double entry_time (struct env *e, uint64_t id, const char *name)
{
    char key[128], want[64];
    const char *text, *p;
    double ts = -1;

    eddy_kvs_job_key (key, sizeof (key), id, "eventlog");
    snprintf (want, sizeof (want), "\"name\":\"%s\"", name);
    for (int i = 0; i < 100 && ts < 0; i++) {
        eddy_future_t *f = eddy_kvs_lookup (e->h, NULL, 0, key);
        assert_int_equal (world_wait (e->w, f, 10.0), 0);
        if (eddy_kvs_lookup_get (f, &text) == 0 && (p = strstr (text, want))) {
            while (p > text && p[-1] != '\n')
                p--;
            sscanf (p, "{\"timestamp\":%lf", &ts);
        }
        eddy_future_destroy (f);
        if (ts < 0)
            world_run_for (e->w, 0.05); /* the commit of that instant follows wait */
    }
    return ts;
}

static void dep (char *buf, size_t len, const char *scheme, uint64_t id)
{
    char f58[EDDY_FLUID_STRMAX];
    eddy_fluid_encode (f58, sizeof (f58), id, EDDY_FLUID_F58);
    snprintf (buf, len, "%s=%s", scheme, f58);
}

static void afterok_and_afternotok_follow_the_targets_result (void **state)
{
    struct env *e = *state;
    char d1[96], d2[96], d3[96], type[64];

    uint64_t ok = submit (e, 0.5, 0, NULL);
    uint64_t bad = submit (e, 0.5, 256, NULL);
    dep (d1, sizeof (d1), "afterok", ok);
    dep (d2, sizeof (d2), "afterok", bad);
    dep (d3, sizeof (d3), "afternotok", bad);
    uint64_t a = submit (e, 0, 0, (const char *const[]){ d1, NULL });
    uint64_t b = submit (e, 0, 0, (const char *const[]){ d2, NULL });
    uint64_t c = submit (e, 0, 0, (const char *const[]){ d3, NULL });

    assert_true (wait_job (e, a, type, sizeof (type)));
    assert_true (entry_time (e, a, "start") >= entry_time (e, ok, "finish"));
    assert_false (wait_job (e, b, type, sizeof (type)));
    assert_string_equal (type, "dependency");
    assert_true (entry_time (e, b, "start") < 0); /* it never ran */
    assert_true (wait_job (e, c, type, sizeof (type)));
    assert_true (entry_time (e, c, "dependency-remove") >= entry_time (e, bad, "finish"));
}

static void after_follows_the_targets_start (void **state)
{
    struct env *e = *state;
    char d1[96], d2[96], type[64];

    snprintf (d1, sizeof (d1), "begin-time=%.3f", wallclock (e) + 0.5);
    uint64_t target = submit (e, 2.0, 0, (const char *const[]){ d1, NULL });
    dep (d2, sizeof (d2), "after", target);
    uint64_t a = submit (e, 0, 0, (const char *const[]){ d2, NULL });
    assert_true (wait_job (e, a, type, sizeof (type)));
    double started = entry_time (e, a, "start");
    assert_true (started >= entry_time (e, target, "start"));
    assert_true (wait_job (e, target, type, sizeof (type)));
    assert_true (started < entry_time (e, target, "finish")); /* not its end */
}

static void begin_time_holds_the_job_until_then (void **state)
{
    struct env *e = *state;
    char d[96], type[64];
    /* an hour in the simulator (virtual), a second for real */
    double wait = current == &world_sim ? 3600.0 : 1.0;

    snprintf (d, sizeof (d), "begin-time=%.3f", wallclock (e) + wait);
    uint64_t id = submit (e, 0, 0, (const char *const[]){ d, NULL });
    assert_true (wait_job (e, id, type, sizeof (type)));
    double submitted = entry_time (e, id, "submit"), released = entry_time (e, id, "depend");
    assert_true (released - submitted >= wait - 0.01);
    assert_true (released - submitted < wait + 5.0);
}

/* As flux submit: a target the instance never had is refused at submit;
 * one that was purged since is known no more when the job reaches
 * DEPEND: a dependency exception.
 */
static void an_unknown_target_is_refused_a_purged_one_fails (void **state)
{
    struct env *e = *state;
    char d[96], type[64];

    dep (d, sizeof (d), "afterany", (uint64_t)1 << 60);
    eddy_future_t *f = submit_f (e, 0, 0, (const char *const[]){ d, NULL });
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (eddy_future_error_string (f), "afterany: job"));
    assert_non_null (strstr (eddy_future_error_string (f), "not found"));
    eddy_future_destroy (f);

    uint64_t gone = submit (e, 0, 0, NULL);
    assert_true (wait_job (e, gone, type, sizeof (type)));
    assert_true (entry_time (e, gone, "clean") >= 0);
    f = eddy_rpc_pack (e->h, "job-manager.purge", EDDY_NODEID_ANY, 0, "{s:i s:b}", "num_limit",
                       0, "force", 1);
    rpc_wait (e, f);
    eddy_future_destroy (f);
    world_run_for (e->w, 0.1);
    dep (d, sizeof (d), "afterok", gone);
    uint64_t id = submit (e, 0, 0, (const char *const[]){ d, NULL });
    assert_false (wait_job (e, id, type, sizeof (type)));
    assert_string_equal (type, "dependency");
}

/* job-manager.validate's verdict on one job with this dependency. */
static const char *validate (struct env *e, const char *scheme, uint64_t target, int userid,
                             bool owner, char *buf, size_t len)
{
    char f58[EDDY_FLUID_STRMAX];
    json_t *errors = NULL;
    eddy_fluid_encode (f58, sizeof (f58), target, EDDY_FLUID_F58);
    eddy_future_t *f = eddy_rpc_pack (e->h, "job-manager.validate", EDDY_NODEID_ANY, 0,
                                      "{s:[{s:i s:i s:f s:[{s:s s:s}] s:i s:b}]}", "jobs",
                                      "nnodes", 1, "ncores", 1, "duration", 0.0, "dependencies",
                                      "scheme", scheme, "value", f58, "userid", userid, "owner",
                                      owner);
    rpc_wait (e, f);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:o}", "errors", &errors), 0);
    const char *text = json_string_value (json_array_get (errors, 0));
    snprintf (buf, len, "%s", text ? text : "");
    eddy_future_destroy (f);
    return buf;
}

static void another_users_job_is_refused_unless_owner (void **state)
{
    struct env *e = *state;
    char text[256];
    uint64_t target = submit (e, 100.0, 0, NULL);

    /* the driver's jobs belong to the instance owner (this process) */
    uint32_t me = (uint32_t)getuid ();
    assert_string_equal (validate (e, "afterok", target, (int)me, false, text, sizeof (text)), "");
    validate (e, "afterok", target, (int)me + 1, false, text, sizeof (text));
    assert_non_null (strstr (text, "belongs to another user (Permission denied)"));
    assert_string_equal (validate (e, "afterok", target, (int)me + 1, true, text, sizeof (text)),
                         "");
    validate (e, "after", (uint64_t)1 << 60, (int)me, true, text, sizeof (text));
    assert_non_null (strstr (text, "after: job"));
    assert_non_null (strstr (text, "not found"));
}

static void purge_by_count_keeps_the_newest (void **state)
{
    struct env *e = *state;
    char type[64];
    uint64_t ids[4];
    json_int_t count = -1;

    for (int i = 0; i < 4; i++) {
        ids[i] = submit (e, 0, 0, NULL);
        assert_true (wait_job (e, ids[i], type, sizeof (type)));
    }
    assert_true (entry_time (e, ids[3], "clean") >= 0); /* stored */
    eddy_future_t *f = eddy_rpc_pack (e->h, "job-manager.purge", EDDY_NODEID_ANY, 0,
                                      "{s:i s:b}", "num_limit", 1, "force", 1);
    rpc_wait (e, f);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I}", "count", &count), 0);
    assert_int_equal (count, 3);
    eddy_future_destroy (f);
    world_run_for (e->w, 0.1); /* the unlink is committed */
    char key[128];
    for (int i = 0; i < 4; i++) {
        eddy_kvs_job_key (key, sizeof (key), ids[i], "eventlog");
        f = eddy_kvs_lookup (e->h, NULL, 0, key);
        assert_int_equal (world_wait (e->w, f, 10.0), 0);
        const char *text;
        int rc = eddy_kvs_lookup_get (f, &text);
        if (i < 3)
            assert_int_equal (rc, -1);
        else
            assert_int_equal (rc, 0);
        eddy_future_destroy (f);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (afterok_and_afternotok_follow_the_targets_result, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (after_follows_the_targets_start, setup, teardown),
    cmocka_unit_test_setup_teardown (begin_time_holds_the_job_until_then, setup, teardown),
    cmocka_unit_test_setup_teardown (an_unknown_target_is_refused_a_purged_one_fails, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (another_users_job_is_refused_unless_owner, setup, teardown),
    cmocka_unit_test_setup_teardown (purge_by_count_keeps_the_newest, setup, teardown),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "depend-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
