/* The job manager loaded on a KVS that holds an earlier instance's jobs,
 * in both worlds: completed jobs answer wait, a held job is active again,
 * a running one ends with a restart exception (and no sched.free), a
 * corrupt eventlog is skipped and kept, requests sent during the restore
 * are answered after it, and job-ingest issues ids above every old one;
 * without an index of active jobs the whole job directory is read once
 * and the index written, with one only the indexed jobs are read.
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

#include "kvs/kvs.h"
#include "sched/jobindex.h"
#include "sched/jobspec.h"
#include "test/support/world.h"

static const struct world_ops *current;

struct env {
    struct world *w;
    eddy_handle_t *h;
};

static int setup (void **state)
{
    struct env *e = calloc (1, sizeof (*e));
    if (!e || !(e->w = current->create (1, 2))
        || eddy_broker_add_initial_module (e->w->b[0], "content", NULL) < 0
        || eddy_broker_add_initial_module (e->w->b[0], "kvs", NULL) < 0
        || world_boot (e->w, 30.0) < 0)
        return -1;
    e->h = eddy_broker_handle_create (e->w->b[0], "driver");
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

static json_t *rpc_wait (struct env *e, eddy_future_t *f)
{
    json_t *o = NULL;
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    if (eddy_rpc_get (f, &o) < 0)
        fail_msg ("rpc: %s", eddy_future_error_string (f));
    return o;
}

static void load (struct env *e, const char *name)
{
    eddy_future_t *f = eddy_rpc_pack (e->h, "module.load", 0, 0, "{s:s}", "name", name);
    rpc_wait (e, f);
    eddy_future_destroy (f);
}

static json_t *jobspec (void)
{
    char *argv[] = { "true", NULL };
    struct eddy_jobspec_request req = { .argc = 1, .argv = argv, .ntasks = 1, .cores_per_task = 1 };
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    json_t *o = json_incref (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    return o;
}

#define SUBMIT(u) "{\"timestamp\":1,\"name\":\"submit\",\"context\":{\"userid\":0,\"urgency\":" #u ",\"flags\":0,\"version\":1}}\n"
#define E(name) "{\"timestamp\":2,\"name\":\"" name "\"}\n"
#define PRIORITY(p) "{\"timestamp\":2,\"name\":\"priority\",\"context\":{\"priority\":" #p "}}\n"
#define FINISH(s) "{\"timestamp\":3,\"name\":\"finish\",\"context\":{\"status\":" #s "}}\n"

enum { ID_OK = 1 << 24, ID_THREE = 2 << 24, ID_HELD = 3 << 24, ID_RUN = 4 << 24 };
static const uint64_t id_corrupt = (uint64_t)5 << 24;

static void store (eddy_kvs_txn_t *txn, uint64_t id, const char *suffix, const char *text)
{
    char key[128];
    assert_true (eddy_kvs_job_key (key, sizeof (key), id, suffix) > 0);
    if (!strcmp (suffix, "eventlog"))
        assert_int_equal (eddy_kvs_txn_append (txn, key, text), 0);
    else
        assert_int_equal (eddy_kvs_txn_put (txn, key, text), 0);
}

/* The KVS as an instance stopped with these jobs in it would leave it. */
static void store_history (struct env *e)
{
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    json_t *js = jobspec ();
    char *jstext = json_dumps (js, JSON_COMPACT);
    assert_non_null (txn);
    store (txn, ID_OK, "eventlog",
           SUBMIT (16) E ("depend") PRIORITY (16) E ("alloc") E ("start") FINISH (0) E ("free") E ("clean"));
    store (txn, ID_THREE, "eventlog",
           SUBMIT (16) E ("depend") PRIORITY (16) E ("alloc") E ("start") FINISH (768) E ("free") E ("clean"));
    store (txn, ID_HELD, "eventlog", SUBMIT (0) E ("depend") PRIORITY (0));
    store (txn, ID_HELD, "jobspec", jstext);
    store (txn, ID_RUN, "eventlog", SUBMIT (16) E ("depend") PRIORITY (16) E ("alloc") E ("start"));
    store (txn, ID_RUN, "jobspec", jstext);
    store (txn, id_corrupt, "eventlog", "{\"timestamp\":1,\"name\":\"submit\"");
    eddy_future_t *f = eddy_kvs_commit (e->h, NULL, 0, txn);
    rpc_wait (e, f);
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (txn);
    free (jstext);
    json_decref (js);
}

static eddy_future_t *wait_job (struct env *e, uint64_t id)
{
    return eddy_rpc_pack (e->h, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}", "id", (json_int_t)id);
}

static char *eventlog (struct env *e, uint64_t id)
{
    char key[128];
    const char *text;
    eddy_kvs_job_key (key, sizeof (key), id, "eventlog");
    eddy_future_t *f = eddy_kvs_lookup (e->h, NULL, 0, key);
    rpc_wait (e, f);
    assert_int_equal (eddy_kvs_lookup_get (f, &text), 0);
    char *s = strdup (text);
    eddy_future_destroy (f);
    return s;
}

/* The eventlog once it holds `name` (wait answers before the entries of
 * that instant are committed).
 */
static char *eventlog_with (struct env *e, uint64_t id, const char *name)
{
    char want[64];
    snprintf (want, sizeof (want), "\"name\":\"%s\"", name);
    for (int i = 0; i < 100; i++) {
        char *log = eventlog (e, id);
        if (strstr (log, want))
            return log;
        free (log);
        world_run_for (e->w, 0.05);
    }
    fail_msg ("job %ju: no %s entry", (uintmax_t)id, name);
    return NULL;
}

static bool indexed (struct env *e, uint64_t id)
{
    char key[64];
    const char *text;
    assert_true (eddy_jobindex_key (key, sizeof (key), id) > 0);
    for (int i = 0; i < 100; i++) { /* index changes go with the next commit */
        eddy_future_t *f = eddy_kvs_lookup (e->h, NULL, 0, key);
        assert_int_equal (world_wait (e->w, f, 10.0), 0);
        bool found = eddy_kvs_lookup_get (f, &text) == 0;
        eddy_future_destroy (f);
        if (found)
            return true;
        world_run_for (e->w, 0.01);
    }
    return false;
}

static int index_version (struct env *e)
{
    int v = -1;
    for (int i = 0; i < 100 && v < 0; i++) {
        eddy_future_t *f = eddy_kvs_lookup (e->h, NULL, 0, EDDY_JOBINDEX_VERSION_KEY);
        assert_int_equal (world_wait (e->w, f, 10.0), 0);
        if (eddy_kvs_lookup_get_unpack (f, "i", &v) < 0)
            v = -1;
        eddy_future_destroy (f);
        if (v < 0)
            world_run_for (e->w, 0.01);
    }
    return v;
}

static void jobs_of_the_previous_instance_come_back (void **state)
{
    struct env *e = *state;
    json_int_t max = 0, active = -1, inactive = -1, running = -1;
    int success = 1, status = -1;
    const char *type = NULL;

    store_history (e);
    load (e, "job-manager");
    /* sent at once: they reach the job manager while it reads the KVS */
    eddy_future_t *info = eddy_rpc (e->h, "job-manager.getinfo", NULL, EDDY_NODEID_ANY, 0);
    eddy_future_t *w_ok = wait_job (e, ID_OK), *w_three = wait_job (e, ID_THREE);
    eddy_future_t *w_run = wait_job (e, ID_RUN);

    (void)rpc_wait (e, w_run);
    assert_int_equal (eddy_rpc_get_unpack (w_run, "{s:b s:{s:s}}", "success", &success, "exception",
                                           "type", &type),
                      0);
    assert_false (success);
    assert_string_equal (type, "restart");
    (void)rpc_wait (e, info);
    assert_int_equal (eddy_rpc_get_unpack (info, "{s:I}", "max_jobid", &max), 0);
    assert_int_equal (max, (json_int_t)id_corrupt);
    (void)rpc_wait (e, w_ok);
    assert_int_equal (eddy_rpc_get_unpack (w_ok, "{s:b s:i}", "success", &success, "status", &status), 0);
    assert_true (success);
    (void)rpc_wait (e, w_three);
    assert_int_equal (eddy_rpc_get_unpack (w_three, "{s:b s:i}", "success", &success, "status", &status),
                      0);
    assert_false (success);
    assert_int_equal (status, 768);

    eddy_future_t *stats = eddy_rpc (e->h, "job-manager.stats", NULL, EDDY_NODEID_ANY, 0);
    (void)rpc_wait (e, stats);
    assert_int_equal (eddy_rpc_get_unpack (stats, "{s:I s:I s:I}", "active", &active, "inactive",
                                           &inactive, "running", &running),
                      0);
    assert_int_equal (active, 1);   /* the held job */
    assert_int_equal (inactive, 3); /* two completed, the one that was running */
    assert_int_equal (running, 0);

    /* the running job's end: an exception and clean, no free (nothing was
     * allocated in this instance); the corrupt log is left as it was */
    char *log = eventlog_with (e, ID_RUN, "clean");
    assert_non_null (strstr (log, "\"type\":\"restart\""));
    assert_non_null (strstr (log, "job was running when the instance stopped"));
    assert_null (strstr (log, "\"name\":\"free\""));
    free (log);
    log = eventlog (e, id_corrupt);
    assert_string_equal (log, "{\"timestamp\":1,\"name\":\"submit\"");
    free (log);

    /* the held job is active and can be released */
    eddy_future_t *u = eddy_rpc_pack (e->h, "job-manager.urgency", EDDY_NODEID_ANY, 0, "{s:I s:i}",
                                      "id", (json_int_t)ID_HELD, "urgency", 16);
    (void)rpc_wait (e, u);
    eddy_future_destroy (u);

    /* a new job gets an id above every stored one, the corrupt one's too */
    load (e, "job-ingest");
    json_t *js = jobspec ();
    json_int_t id = 0;
    eddy_future_t *sub = eddy_rpc_pack (e->h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:O}",
                                        "jobspec", js);
    (void)rpc_wait (e, sub);
    assert_int_equal (eddy_rpc_get_unpack (sub, "{s:I}", "id", &id), 0);
    assert_true ((uint64_t)id > id_corrupt);
    json_decref (js);
    eddy_future_destroy (sub);

    /* the walk wrote the index: the held job and the new one */
    assert_int_equal (index_version (e), EDDY_JOBINDEX_VERSION);
    assert_true (indexed (e, ID_HELD));
    assert_true (indexed (e, (uint64_t)id));
    assert_false (indexed (e, ID_RUN)); /* clean took it out */
    assert_false (indexed (e, ID_OK));
    eddy_future_destroy (stats);
    eddy_future_destroy (info);
    eddy_future_destroy (w_ok);
    eddy_future_destroy (w_three);
    eddy_future_destroy (w_run);
}

/* The same history with its index (as this version writes it): only the
 * held and the running job are read at load; the completed ones are read
 * back when waited on; the corrupt one, not indexed, is never read, yet
 * new ids stay above it.
 */
static void an_indexed_restart_reads_only_the_active_jobs (void **state)
{
    struct env *e = *state;
    json_int_t max = 0, active = -1, inactive = -1;
    int success = 0, status = -1;

    store_history (e);
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    assert_int_equal (eddy_jobindex_add (txn, ID_HELD), 0);
    assert_int_equal (eddy_jobindex_add (txn, ID_RUN), 0);
    assert_int_equal (eddy_jobindex_mark (txn), 0);
    /* an empty directory above the largest id: the descent backs out of it */
    assert_int_equal (eddy_kvs_txn_mkdir (txn, "job.0000.0000.0600"), 0);
    eddy_future_t *f = eddy_kvs_commit (e->h, NULL, 0, txn);
    rpc_wait (e, f);
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (txn);

    load (e, "job-manager");
    eddy_future_t *info = eddy_rpc (e->h, "job-manager.getinfo", NULL, EDDY_NODEID_ANY, 0);
    (void)rpc_wait (e, info);
    assert_int_equal (eddy_rpc_get_unpack (info, "{s:I}", "max_jobid", &max), 0);
    assert_int_equal (max, (json_int_t)id_corrupt);
    char *log = eventlog_with (e, ID_RUN, "clean");
    free (log);
    eddy_future_t *stats = eddy_rpc (e->h, "job-manager.stats", NULL, EDDY_NODEID_ANY, 0);
    (void)rpc_wait (e, stats);
    assert_int_equal (eddy_rpc_get_unpack (stats, "{s:I s:I}", "active", &active, "inactive",
                                           &inactive),
                      0);
    assert_int_equal (active, 1);   /* the held job */
    assert_int_equal (inactive, 1); /* the one that was running: the others were not read */
    assert_false (indexed (e, ID_RUN));
    assert_true (indexed (e, ID_HELD));

    eddy_future_t *w_ok = wait_job (e, ID_OK), *w_three = wait_job (e, ID_THREE);
    eddy_future_t *w_none = wait_job (e, ID_OK + 1);
    (void)rpc_wait (e, w_ok);
    assert_int_equal (eddy_rpc_get_unpack (w_ok, "{s:b s:i}", "success", &success, "status", &status),
                      0);
    assert_true (success);
    assert_int_equal (status, 0);
    (void)rpc_wait (e, w_three);
    assert_int_equal (eddy_rpc_get_unpack (w_three, "{s:b s:i}", "success", &success, "status",
                                           &status),
                      0);
    assert_false (success);
    assert_int_equal (status, 768);
    assert_int_equal (world_wait (e->w, w_none, 10.0), 0);
    assert_int_equal (eddy_rpc_get (w_none, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (info);
    eddy_future_destroy (stats);
    eddy_future_destroy (w_ok);
    eddy_future_destroy (w_three);
    eddy_future_destroy (w_none);
}

static void an_instance_without_history_starts_empty (void **state)
{
    struct env *e = *state;
    json_int_t max = -1, active = -1, inactive = -1;

    load (e, "job-manager");
    eddy_future_t *info = eddy_rpc (e->h, "job-manager.getinfo", NULL, EDDY_NODEID_ANY, 0);
    (void)rpc_wait (e, info);
    assert_int_equal (eddy_rpc_get_unpack (info, "{s:I}", "max_jobid", &max), 0);
    assert_int_equal (max, 0);
    eddy_future_t *stats = eddy_rpc (e->h, "job-manager.stats", NULL, EDDY_NODEID_ANY, 0);
    (void)rpc_wait (e, stats);
    assert_int_equal (eddy_rpc_get_unpack (stats, "{s:I s:I}", "active", &active, "inactive",
                                           &inactive),
                      0);
    assert_int_equal (active, 0);
    assert_int_equal (inactive, 0);
    eddy_future_destroy (info);
    eddy_future_destroy (stats);
}

/* An urgency stored without the priority that follows it (the instance
 * stopped between the two commits): the restart posts that priority.
 */
static void a_stored_urgency_gets_its_priority_at_restart (void **state)
{
    struct env *e = *state;
    const uint64_t id = (uint64_t)6 << 24;
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    json_t *js = jobspec ();
    char *jstext = json_dumps (js, JSON_COMPACT);

    assert_non_null (txn);
    store (txn, id, "eventlog",
           SUBMIT (0) E ("depend") PRIORITY (0)
           "{\"timestamp\":3,\"name\":\"urgency\",\"context\":{\"urgency\":7,\"userid\":0}}\n");
    store (txn, id, "jobspec", jstext);
    eddy_future_t *f = eddy_kvs_commit (e->h, NULL, 0, txn);
    rpc_wait (e, f);
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (txn);
    free (jstext);
    json_decref (js);

    load (e, "job-manager");
    bool found = false;
    for (int i = 0; i < 100 && !found; i++) {
        char *log = eventlog (e, id);
        found = strstr (log, "\"name\":\"priority\",\"context\":{\"priority\":7}") != NULL;
        free (log);
        if (!found)
            world_run_for (e->w, 0.05);
    }
    assert_true (found);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (jobs_of_the_previous_instance_come_back, setup, teardown),
    cmocka_unit_test_setup_teardown (an_indexed_restart_reads_only_the_active_jobs, setup, teardown),
    cmocka_unit_test_setup_teardown (an_instance_without_history_starts_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (a_stored_urgency_gets_its_priority_at_restart, setup,
                                     teardown),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "restart-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
