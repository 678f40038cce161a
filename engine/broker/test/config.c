/* The configuration as brokers hold it, in both worlds: rank 0's reaches
 * every rank when it joins and on a reload, [broker] and [tbon] keys
 * become attributes (but explicit attributes win), modules get their table
 * at load and a config.reload request on a reload, and a reload that fails
 * keeps the configuration in force.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/future.h"
#include "test/support/world.h"

#define SIZE 8

static const struct world_ops *current;

/* ---- a module that records what it is handed ---- */

struct probe {
    json_t *at_load;   /* eddy_handle_config () in load () */
    json_t *at_reload; /* the table of the last config.reload */
    int reloads;
    const char *refuse; /* answer config.reload with this error */
};

static void probe_reload (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct probe *p = arg;
    json_t *table;
    if (json_unpack (eddy_msg_payload (msg), "{s:o}", "config", &table) < 0) {
        eddy_respond_error (h, msg, EPROTO, "no config");
        return;
    }
    json_decref (p->at_reload);
    p->at_reload = json_incref (table);
    p->reloads++;
    if (p->refuse)
        eddy_respond_error (h, msg, EINVAL, p->refuse);
    else
        eddy_respond (h, msg, NULL);
}

static const struct eddy_msg_handler_spec probe_handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "config.reload", probe_reload, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

struct probe_ctx {
    struct probe *p;
    eddy_msg_handler_t **handlers;
};

/* One probe per rank, found by the handle's rank. */
static struct probe probes[SIZE];

static int probe_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct probe_ctx *pc = calloc (1, sizeof (*pc));
    pc->p = &probes[eddy_handle_rank (h)];
    pc->p->at_load = json_deep_copy (eddy_handle_config (h));
    if (eddy_msg_handler_addvec (h, probe_handlers, pc->p, &pc->handlers) < 0) {
        free (pc);
        return -1;
    }
    *ctx = pc;
    return 0;
}

static void probe_unload (void *ctx)
{
    struct probe_ctx *pc = ctx;
    eddy_msg_handler_delvec (pc->handlers);
    free (pc);
}

static const struct eddy_module probe_module = {
    .name = "probe",
    .load = probe_load,
    .unload = probe_unload,
    .config_table = "probe-table",
};
static const struct eddy_module *const probe_table[] = { &probe_module, NULL };

/* ---- a loader that hands out what the test says ---- */

struct loader {
    json_t *next; /* returned (a new reference) when set */
    const char *error;
    int calls;
};

static json_t *loader_cb (eddy_broker_t *b, void *arg, eddy_error_t *err)
{
    struct loader *l = arg;
    l->calls++;
    if (l->error) {
        errno = EINVAL;
        eddy_error_set (err, "%s", l->error);
        return NULL;
    }
    return json_incref (l->next);
}

/* ---- helpers ---- */

static struct world *boot (json_t *rank0_config, struct loader *l)
{
    struct world *w = current->create (SIZE, 2);
    assert_non_null (w);
    memset (probes, 0, sizeof (probes));
    for (uint32_t i = 0; i < SIZE; i++) {
        eddy_broker_set_module_table (w->b[i], probe_table);
        eddy_broker_add_initial_module (w->b[i], "probe", NULL);
    }
    if (rank0_config)
        assert_int_equal (eddy_broker_set_config (w->b[0], rank0_config), 0);
    if (l)
        eddy_broker_set_config_loader (w->b[0], loader_cb, l);
    return w;
}

static void shutdown_world (struct world *w)
{
    world_destroy (w);
    for (int i = 0; i < SIZE; i++) {
        json_decref (probes[i].at_load);
        json_decref (probes[i].at_reload);
    }
    memset (probes, 0, sizeof (probes));
}

/* config.get on rank: the value (a new reference) and the generation. */
static json_t *get (struct world *w, eddy_handle_t *h, uint32_t rank, const char *key, int *gen)
{
    json_t *v = NULL, *req = key ? json_pack ("{s:s}", "key", key) : json_object ();
    eddy_future_t *f = eddy_rpc (h, "config.get", req, rank, 0);
    json_decref (req);
    assert_non_null (f);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    if (eddy_rpc_get_unpack (f, "{s:o s:i}", "value", &v, "generation", gen) == 0)
        json_incref (v);
    eddy_future_destroy (f);
    return v;
}

static void assert_string_value (json_t *v, const char *s)
{
    assert_non_null (v);
    assert_true (json_is_string (v));
    assert_string_equal (json_string_value (v), s);
    json_decref (v);
}

static bool logged (struct world *w, eddy_handle_t *h, uint32_t rank, const char *what)
{
    bool found = false;
    eddy_future_t *f = eddy_rpc (h, "log.dmesg", NULL, rank, EDDY_RPC_STREAMING);
    json_t *o;
    assert_non_null (f);
    for (;;) {
        assert_int_equal (world_wait (w, f, 10.0), 0);
        if (eddy_rpc_get (f, &o) < 0)
            break;
        const char *msg;
        if (json_unpack (o, "{s:s}", "message", &msg) == 0 && strstr (msg, what))
            found = true;
        eddy_future_reset (f);
    }
    eddy_future_destroy (f);
    return found;
}

/* ---- tests ---- */

static void every_rank_serves_rank0s_config_from_the_start (void **state)
{
    json_t *conf = json_pack ("{s:{s:s} s:{s:i} s:{s:s} s:{s:i}}", "sched", "policy", "fcfs",
                              "broker", "log-stderr-level", 5, "tbon", "keepalive_timeout", "3s",
                              "probe-table", "x", 1);
    struct world *w = boot (conf, NULL);
    json_t *other = json_pack ("{s:{s:s}}", "sched", "policy", "easy");
    /* rank 3 read other files: rank 0's are in force there too */
    assert_int_equal (eddy_broker_set_config (w->b[3], other), 0);
    json_decref (other);
    eddy_broker_attr_set (w->b[6], "log-stderr-level", "7");
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    int gen;

    for (uint32_t r = 0; r < SIZE; r++) {
        assert_string_value (get (w, h, r, "sched.policy", &gen), "fcfs");
        assert_int_equal (gen, 1);
        assert_true (json_equal (eddy_broker_config (w->b[r]), conf));
        /* each module got its own table before load () */
        assert_int_equal (json_integer_value (json_object_get (probes[r].at_load, "x")), 1);
    }
    json_t *all = get (w, h, 5, NULL, &gen);
    assert_true (json_equal (all, conf));
    json_decref (all);
    assert_null (get (w, h, 2, "sched.nope", &gen));
    assert_null (get (w, h, 2, "sched.policy.deeper", &gen));
    assert_string_equal (eddy_broker_attr_get (w->b[7], "log-stderr-level"), "5");
    assert_string_equal (eddy_broker_attr_get (w->b[7], "tbon.keepalive_timeout"), "3");
    /* an attribute set explicitly keeps its value */
    assert_string_equal (eddy_broker_attr_get (w->b[6], "log-stderr-level"), "7");
    assert_string_equal (eddy_broker_attr_get (w->b[7], "config.generation"), "1");
    assert_true (logged (w, h, 3, "differ from rank 0's"));
    assert_false (logged (w, h, 4, "differ from rank 0's"));
    eddy_handle_destroy (h);
    json_decref (conf);
    shutdown_world (w);
}

static void without_a_config_every_rank_has_an_empty_one (void **state)
{
    struct world *w = boot (NULL, NULL);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    int gen = -1;
    json_t *all = get (w, h, 7, NULL, &gen);
    assert_non_null (all);
    assert_int_equal (json_object_size (all), 0);
    assert_int_equal (gen, 0);
    json_decref (all);
    assert_int_equal (json_object_size (probes[7].at_load), 0);
    /* nothing to reload from */
    eddy_error_t err;
    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), -1);
    assert_int_equal (errno, ENOSYS);
    eddy_handle_destroy (h);
    shutdown_world (w);
}

static void a_reload_reaches_every_rank_and_module (void **state)
{
    json_t *conf = json_pack ("{s:{s:s} s:{s:i} s:{s:i}}", "sched", "policy", "fcfs",
                              "broker", "log-stderr-level", 5, "probe-table", "x", 1);
    struct loader l = { .next = json_pack ("{s:{s:s} s:{s:i} s:{s:i}}", "sched", "policy", "easy",
                                           "tbon", "keepalive_timeout", 4, "probe-table", "x", 2) };
    struct world *w = boot (conf, &l);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    int gen;

    assert_int_equal (eddy_broker_config_reload (w->b[0], NULL), 0);
    assert_int_equal (l.calls, 1);
    assert_int_equal (world_wait_config_generation (w, 2, 10.0), 0);
    for (uint32_t r = 0; r < SIZE; r++)
        assert_string_value (get (w, h, r, "sched.policy", &gen), "easy");
    /* every module, on every rank, was told, and answered */
    world_run_for (w, 0.1);
    for (uint32_t r = 0; r < SIZE; r++) {
        assert_int_equal (probes[r].reloads, 1);
        assert_int_equal (json_integer_value (json_object_get (probes[r].at_reload, "x")), 2);
    }
    /* a key that left the files leaves its attribute; a new one arrives */
    assert_null (eddy_broker_attr_get (w->b[7], "log-stderr-level"));
    assert_string_equal (eddy_broker_attr_get (w->b[7], "tbon.keepalive_timeout"), "4");
    assert_true (logged (w, h, 0, "config reloaded: generation 2"));
    assert_true (logged (w, h, 7, "configuration generation 2 applied"));

    /* a follower's reload (its SIGHUP) asks rank 0 */
    assert_int_equal (eddy_broker_config_reload (w->b[5], NULL), 0);
    assert_int_equal (world_wait_config_generation (w, 3, 10.0), 0);
    assert_int_equal (l.calls, 2);

    /* and so does config.reload from anywhere */
    eddy_handle_t *h4 = eddy_broker_handle_create (w->b[4], "t4");
    eddy_future_t *f = eddy_rpc (h4, "config.reload", NULL, EDDY_NODEID_ANY, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "generation", &gen), 0);
    assert_int_equal (gen, 4);
    eddy_future_destroy (f);
    eddy_handle_destroy (h4);
    assert_int_equal (world_wait_config_generation (w, 4, 10.0), 0);

    eddy_handle_destroy (h);
    json_decref (l.next);
    json_decref (conf);
    shutdown_world (w);
}

static void a_failed_reload_keeps_the_config_in_force (void **state)
{
    json_t *conf = json_pack ("{s:{s:s}}", "sched", "policy", "fcfs");
    struct loader l = { .error = "conf.d/b.toml:2:5: unterminated array" };
    struct world *w = boot (conf, &l);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    eddy_error_t err;
    int gen;

    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "b.toml:2:5: unterminated array"));
    world_run_for (w, 0.1);
    for (uint32_t r = 0; r < SIZE; r++) {
        assert_int_equal (eddy_broker_config_generation (w->b[r]), 1);
        assert_string_value (get (w, h, r, "sched.policy", &gen), "fcfs");
        assert_int_equal (probes[r].reloads, 0);
    }
    assert_true (logged (w, h, 0, "config reload refused: conf.d/b.toml:2:5"));

    /* the RPC says why */
    eddy_future_t *f = eddy_rpc (h, "config.reload", NULL, 0, 0);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (eddy_future_error_string (f), "b.toml:2:5"));
    eddy_future_destroy (f);

    /* the loader is fixed: the next reload goes through */
    l.error = NULL;
    l.next = json_pack ("{s:{s:s}}", "sched", "policy", "conservative");
    assert_int_equal (eddy_broker_config_reload (w->b[0], NULL), 0);
    assert_int_equal (world_wait_config_generation (w, 2, 10.0), 0);
    assert_string_value (get (w, h, 6, "sched.policy", &gen), "conservative");
    json_decref (l.next);
    eddy_handle_destroy (h);
    json_decref (conf);
    shutdown_world (w);
}

static void a_module_that_refuses_is_logged (void **state)
{
    json_t *conf = json_object ();
    struct loader l = { .next = json_pack ("{s:{s:i}}", "probe-table", "x", 3) };
    struct world *w = boot (conf, &l);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[0], "t");
    probes[2].refuse = "x cannot be 3";
    assert_int_equal (eddy_broker_config_reload (w->b[0], NULL), 0);
    assert_int_equal (world_wait_config_generation (w, 2, 10.0), 0);
    world_run_for (w, 0.1);
    assert_true (logged (w, h, 2, "module probe refused configuration generation 2: x cannot be 3"));
    assert_false (logged (w, h, 3, "refused"));
    eddy_handle_destroy (h);
    json_decref (l.next);
    json_decref (conf);
    shutdown_world (w);
}

static void only_the_broker_publishes_config_events (void **state)
{
    struct world *w = boot (NULL, NULL);
    assert_int_equal (world_boot (w, 30.0), 0);
    eddy_handle_t *h = eddy_broker_handle_create (w->b[3], "t");
    json_t *req = json_pack ("{s:s s:{s:i s:{}}}", "topic", "config.updated", "payload",
                             "generation", 9, "config");
    eddy_future_t *f = eddy_rpc (h, "event.pub", req, EDDY_NODEID_ANY, 0);
    json_decref (req);
    assert_int_equal (world_wait (w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EPERM);
    eddy_future_destroy (f);
    assert_int_equal (eddy_broker_config_generation (w->b[3]), 0);
    eddy_handle_destroy (h);
    shutdown_world (w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test (every_rank_serves_rank0s_config_from_the_start),
    cmocka_unit_test (without_a_config_every_rank_has_an_empty_one),
    cmocka_unit_test (a_reload_reaches_every_rank_and_module),
    cmocka_unit_test (a_failed_reload_keeps_the_config_in_force),
    cmocka_unit_test (a_module_that_refuses_is_logged),
    cmocka_unit_test (only_the_broker_publishes_config_events),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = { &world_sim, &world_real, NULL };
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "config-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]), NULL, NULL);
    }
    return rc ? 1 : 0;
}
