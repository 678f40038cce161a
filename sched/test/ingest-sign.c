/* job-ingest and signed submissions (engine/util/sign.h), in the simulator
 * with the "none" type: J by the submitter over the jobspec's canonical
 * bytes is kept as job.ID.J; another user's, over other bytes, or of a type
 * [sign] does not allow is refused with its message and stores nothing; an
 * unsigned submission is refused where only munge is allowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/sign.h"
#include "kvs/kvs.h"
#include "sched/jobspec.h"
#include "test/support/world.h"

#define OWNER 4242

struct env {
    struct world *w;
    eddy_handle_t *h;
};

static void load (struct env *e, const char *name, const char *args)
{
    json_t *a = json_loads (args, 0, NULL);
    eddy_future_t *f = eddy_rpc_pack (e->h, "module.load", 0, 0, "{s:s s:o}", "name", name, "args",
                                      a);
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    if (eddy_rpc_get (f, NULL) < 0)
        fail_msg ("module.load %s: %s", name, eddy_future_error_string (f));
    eddy_future_destroy (f);
}

static struct env *env_create (const char *config)
{
    struct env *e = calloc (1, sizeof (*e));
    json_t *conf = json_loads (config, 0, NULL);
    char owner[16];

    snprintf (owner, sizeof (owner), "%d", OWNER);
    if (!e || !conf || !(e->w = world_sim.create (1, 2))
        || eddy_broker_set_config (e->w->b[0], conf) < 0
        || eddy_broker_attr_set (e->w->b[0], "security.owner", owner) < 0
        || eddy_broker_add_initial_module (e->w->b[0], "content", NULL) < 0
        || eddy_broker_add_initial_module (e->w->b[0], "kvs", NULL) < 0
        || world_boot (e->w, 30.0) < 0)
        fail_msg ("cannot boot the world");
    json_decref (conf);
    e->h = eddy_broker_handle_create (e->w->b[0], "driver");
    load (e, "job-manager", "{}");
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 4}");
    load (e, "sched", "{\"policy\": \"fcfs\"}");
    load (e, "exec", "{\"backend\": \"sim\"}");
    load (e, "job-ingest", "{}");
    return e;
}

static void env_destroy (struct env *e)
{
    eddy_handle_destroy (e->h);
    world_destroy (e->w);
    free (e);
}

static json_t *jobspec (const char *cmd)
{
    char *argv[] = {(char *)cmd, NULL};
    struct eddy_jobspec_request req = {.argc = 1, .argv = argv, .ntasks = 1, .cores_per_task = 1};
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    json_t *o = json_deep_copy (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    return o;
}

/* "none" J of `signed_js`'s canonical bytes as `uid` */
static char *none_J (json_t *signed_js, uint32_t uid)
{
    struct eddy_sign_conf c;
    eddy_error_t err;
    char *text = json_dumps (signed_js, JSON_COMPACT | JSON_SORT_KEYS);
    eddy_sign_conf_init (&c, false);
    char *J = eddy_sign_wrap_as (&c, "none", uid, text, strlen (text), &err);
    assert_non_null (J);
    free (text);
    return J;
}

/* Submit js with J (or none): true and *idp, or false with the error text
 * (in the simulator the first id may well be 0).
 */
static bool submit_id (struct env *e, json_t *js, const char *J, uint64_t *idp, char *text,
                       size_t len)
{
    bool ok = true;
    json_t *req = json_pack ("{s:O}", "jobspec", js);
    json_int_t id = 0;
    if (J)
        json_object_set_new (req, "J", json_string (J));
    eddy_future_t *f = eddy_rpc (e->h, "job-ingest.submit", req, EDDY_NODEID_ANY, 0);
    json_decref (req);
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    if (eddy_rpc_get_unpack (f, "{s:I}", "id", &id) < 0) {
        snprintf (text, len, "%s", eddy_future_error_string (f) ? eddy_future_error_string (f) : "");
        ok = false;
    }
    eddy_future_destroy (f);
    if (idp)
        *idp = (uint64_t)id;
    return ok;
}

static bool submit (struct env *e, json_t *js, const char *J, char *text, size_t len)
{
    return submit_id (e, js, J, NULL, text, len);
}

/* job.ID.J as stored (a JSON string), or NULL if there is none */
static char *stored_J (struct env *e, uint64_t id)
{
    char key[128];
    const char *s = NULL;
    char *copy = NULL;
    assert_true (eddy_kvs_job_key (key, sizeof (key), id, "J") >= 0);
    eddy_future_t *f = eddy_kvs_lookup (e->h, NULL, 0, key);
    assert_non_null (f);
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    if (eddy_kvs_lookup_get_unpack (f, "s", &s) == 0)
        copy = strdup (s);
    eddy_future_destroy (f);
    return copy;
}

static long nsubmitted (struct env *e)
{
    json_int_t n = -1;
    eddy_future_t *f = eddy_rpc (e->h, "job-ingest.stats", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:I}", "submitted", &n), 0);
    eddy_future_destroy (f);
    return (long)n;
}

static void a_good_signature_is_kept_beside_the_jobspec (void **state)
{
    struct env *e = env_create ("{}"); /* single-user: none allowed */
    json_t *js = jobspec ("true");
    char *J = none_J (js, OWNER), text[256];
    uint64_t id = 0;
    if (!submit_id (e, js, J, &id, text, sizeof (text)))
        fail_msg ("refused: %s", text);
    char *kept = stored_J (e, id);
    assert_non_null (kept);
    assert_string_equal (kept, J);
    free (kept);
    /* unsigned is fine here, and stores no J */
    assert_true (submit_id (e, js, NULL, &id, text, sizeof (text)));
    assert_null (stored_J (e, id));
    free (J);
    json_decref (js);
    env_destroy (e);
}

static void another_users_signature_is_refused (void **state)
{
    struct env *e = env_create ("{}");
    json_t *js = jobspec ("true");
    char *J = none_J (js, OWNER + 1), text[256], want[64];
    assert_false (submit (e, js, J, text, sizeof (text)));
    snprintf (want, sizeof (want), "signed by uid %d, not %d", OWNER + 1, OWNER);
    assert_string_equal (text, want);
    assert_int_equal (nsubmitted (e), 0);
    free (J);
    json_decref (js);
    env_destroy (e);
}

static void a_signature_over_other_bytes_is_refused (void **state)
{
    struct env *e = env_create ("{}");
    json_t *js = jobspec ("true"), *other = jobspec ("false");
    char *J = none_J (other, OWNER), text[256];
    assert_false (submit (e, js, J, text, sizeof (text)));
    assert_non_null (strstr (text, "signature is over other bytes than the jobspec"));
    assert_false (submit (e, js, "none.4242.not*base64", text, sizeof (text)));
    assert_non_null (strstr (text, "signature: "));
    assert_int_equal (nsubmitted (e), 0);
    free (J);
    json_decref (js);
    json_decref (other);
    env_destroy (e);
}

static void munge_only_refuses_none_and_unsigned (void **state)
{
    struct env *e = env_create ("{\"sign\": {\"default-type\": \"munge\", "
                                "\"allowed-types\": [\"munge\"]}}");
    json_t *js = jobspec ("true");
    char *J = none_J (js, OWNER), text[256];
    assert_false (submit (e, js, J, text, sizeof (text)));
    assert_string_equal (text, "signature type none is not allowed (allowed-types: munge)");
    assert_false (submit (e, js, NULL, text, sizeof (text)));
    assert_string_equal (text, "the jobspec must be signed (allowed-types: munge)");
    assert_int_equal (nsubmitted (e), 0);

    /* and sign-info tells a client so */
    eddy_future_t *f = eddy_rpc (e->h, "job-ingest.sign-info", NULL, EDDY_NODEID_ANY, 0);
    const char *type = NULL;
    assert_int_equal (world_wait (e->w, f, 30.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:s}", "default-type", &type), 0);
    assert_string_equal (type, "munge");
    eddy_future_destroy (f);
    free (J);
    json_decref (js);
    env_destroy (e);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_good_signature_is_kept_beside_the_jobspec),
        cmocka_unit_test (another_users_signature_is_refused),
        cmocka_unit_test (a_signature_over_other_bytes_is_refused),
        cmocka_unit_test (munge_only_refuses_none_and_unsigned),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
