/* bootstrap.toml: ranks by hostname, addresses from %h/%p templates, the
 * tree from tbon.topo and parent keys, and everything wrong refused with
 * the key named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bootstrap.h"
#include "cmd/config-schema.h"

static json_t *conf (const char *text)
{
    json_error_t e;
    json_t *o = json_loads (text, 0, &e);
    if (!o)
        fail_msg ("bad test JSON: %s: %s", e.text, text);
    return o;
}

static eddy_bootstrap_t *make (const char *text, const char *host, eddy_error_t *err)
{
    json_t *c = conf (text);
    eddy_bootstrap_t *bs = eddy_bootstrap_create (c, host, EDDY_RANK_NONE, err);
    json_decref (c);
    return bs;
}

/* text must be refused with EINVAL and a message holding `what` */
static void refused (const char *text, const char *host, const char *what)
{
    eddy_error_t err = { .text = "" };
    errno = 0;
    eddy_bootstrap_t *bs = make (text, host, &err);
    if (bs)
        fail_msg ("accepted: %s", text);
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, what))
        fail_msg ("'%s' does not say '%s'", err.text, what);
}

#define FOUR "{\"bootstrap\": {\"default_port\": 8050, \"curve_cert\": \"/etc/eddy/curve.cert\"," \
             " \"hosts\": [{\"host\": \"node[0-3]\"}]}"

static void the_rank_is_the_position_of_the_hostname (void **state)
{
    eddy_error_t err;
    eddy_bootstrap_t *bs = make (FOUR "}", "node2", &err);
    assert_non_null (bs);
    assert_int_equal (eddy_bootstrap_rank (bs), 2);
    assert_int_equal (eddy_bootstrap_size (bs), 4);
    assert_string_equal (eddy_bootstrap_host (bs, 3), "node3");
    assert_string_equal (eddy_bootstrap_hostlist (bs), "node[0-3]");
    assert_string_equal (eddy_bootstrap_curve_cert (bs), "/etc/eddy/curve.cert");
    /* the defaults: bind every interface, connect by name */
    assert_string_equal (eddy_bootstrap_bind_uri (bs, 0), "tcp://*:8050");
    assert_string_equal (eddy_bootstrap_connect_uri (bs, 1), "tcp://node1:8050");
    eddy_bootstrap_destroy (bs);
}

static void a_rank_override_wins_over_the_hostname (void **state)
{
    eddy_error_t err;
    json_t *c = conf (FOUR "}");
    eddy_bootstrap_t *bs = eddy_bootstrap_create (c, "elsewhere", 3, &err);
    assert_non_null (bs);
    assert_int_equal (eddy_bootstrap_rank (bs), 3);
    eddy_bootstrap_destroy (bs);
    assert_null (eddy_bootstrap_create (c, "node0", 4, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "rank 4"));
    json_decref (c);
}

static void no_hosts_means_no_bootstrap (void **state)
{
    eddy_error_t err;
    errno = 0;
    assert_null (make ("{\"broker\": {}}", "node0", &err));
    assert_int_equal (errno, ENOENT);
    assert_null (make ("{\"bootstrap\": {\"default_port\": 9}}", "node0", &err));
    assert_int_equal (errno, ENOENT);
}

static void percent_h_and_p_are_substituted (void **state)
{
    eddy_error_t err;
    eddy_bootstrap_t *bs = make (
        "{\"bootstrap\": {\"default_port\": 9001, \"default_bind\": \"tcp://*:%p\","
        " \"default_connect\": \"tcp://%h-ib:%p\","
        " \"hosts\": [{\"host\": \"mgmt\", \"bind\": \"tcp://10.0.0.1:%p\", \"connect\": \"tcp://10.0.0.1:%p\"},"
        "             {\"host\": \"c[1-2]\"}]}}",
        "c2", &err);
    assert_non_null (bs);
    assert_int_equal (eddy_bootstrap_rank (bs), 2);
    assert_string_equal (eddy_bootstrap_bind_uri (bs, 0), "tcp://10.0.0.1:9001");
    assert_string_equal (eddy_bootstrap_connect_uri (bs, 0), "tcp://10.0.0.1:9001");
    assert_string_equal (eddy_bootstrap_bind_uri (bs, 1), "tcp://*:9001");
    assert_string_equal (eddy_bootstrap_connect_uri (bs, 2), "tcp://c2-ib:9001");
    eddy_bootstrap_destroy (bs);

    char *s = eddy_bootstrap_subst ("%h%%%p", "x", 7, &err);
    assert_string_equal (s, "x%7");
    free (s);
    assert_null (eddy_bootstrap_subst ("tcp://%q:1", "x", 7, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "%q"));
    refused ("{\"bootstrap\": {\"default_connect\": \"tcp://%H:%p\", \"hosts\": [{\"host\": \"a\"}]}}",
             "a", "%H");
}

static void the_tree_follows_tbon_topo (void **state)
{
    eddy_error_t err;
    const char *shapes[] = { "kary:2", "kary:3", "flat", "binomial", NULL };
    const uint32_t want[][8] = {
        { EDDY_RANK_NONE, 0, 0, 1, 1, 2, 2, 3 },
        { EDDY_RANK_NONE, 0, 0, 0, 1, 1, 1, 2 },
        { EDDY_RANK_NONE, 0, 0, 0, 0, 0, 0, 0 },
        { EDDY_RANK_NONE, 0, 0, 2, 0, 4, 4, 6 },
    };
    for (int i = 0; shapes[i]; i++) {
        char text[256];
        snprintf (text, sizeof (text),
                  "{\"tbon\": {\"topo\": \"%s\"}, \"bootstrap\": {\"hosts\": [{\"host\": \"n[0-7]\"}]}}",
                  shapes[i]);
        eddy_bootstrap_t *bs = make (text, "n0", &err);
        assert_non_null (bs);
        eddy_topo_t *t = eddy_bootstrap_topo (bs, &err);
        assert_non_null (t);
        for (uint32_t r = 0; r < 8; r++)
            assert_int_equal (eddy_topo_get_parent (t, r), want[i][r]);
        eddy_topo_destroy (t);
        eddy_bootstrap_destroy (bs);
    }
    /* with no topo: kary:2, as without a bootstrap */
    eddy_bootstrap_t *bs = make (FOUR "}", "node0", &err);
    eddy_topo_t *t = eddy_bootstrap_topo (bs, &err);
    assert_string_equal (eddy_topo_spec (t), "kary:2");
    eddy_topo_destroy (t);
    eddy_bootstrap_destroy (bs);
}

static void parent_keys_override_the_shape (void **state)
{
    eddy_error_t err;
    eddy_bootstrap_t *bs = make ("{\"tbon\": {\"topo\": \"flat\"}, \"bootstrap\": {\"hosts\": ["
                                 "{\"host\": \"mgmt\"}, {\"host\": \"lead1\"},"
                                 "{\"host\": \"c[1-3]\", \"parent\": \"lead1\"}]}}",
                                 "c3", &err);
    assert_non_null (bs);
    eddy_topo_t *t = eddy_bootstrap_topo (bs, &err);
    assert_non_null (t);
    assert_string_equal (eddy_topo_spec (t), "custom");
    assert_int_equal (eddy_topo_get_parent (t, 1), 0);
    for (uint32_t r = 2; r < 5; r++)
        assert_int_equal (eddy_topo_get_parent (t, r), 1);
    eddy_topo_destroy (t);
    eddy_bootstrap_destroy (bs);
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"a\"}, {\"host\": \"b\", \"parent\": \"zz\"}]}}",
             "a", "parent zz is not in bootstrap.hosts");
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"a\"}, {\"host\": \"b\", \"parent\": \"c\"},"
             " {\"host\": \"c\", \"parent\": \"b\"}]}}",
             "a", "cycle");
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"a\", \"parent\": \"b\"}, {\"host\": \"b\"}]}}",
             "a", "no parent");
}

/* As in the guide's third bootstrap example: every host first, then
 * entries that name some again to give them parents and addresses. */
static void a_host_listed_again_keeps_its_rank (void **state)
{
    eddy_error_t err;
    eddy_bootstrap_t *bs = make ("{\"bootstrap\": {\"default_port\": 9, \"hosts\": ["
                                 "{\"host\": \"n[0-4]\"},"
                                 "{\"host\": \"n[1,3]\", \"parent\": \"n0\"},"
                                 "{\"host\": \"n2\", \"parent\": \"n1\", \"connect\": \"tcp://e%h:%p\"},"
                                 "{\"host\": \"n4\", \"parent\": \"n3\"}]}}",
                                 "n4", &err);
    if (!bs)
        fail_msg ("refused: %s", err.text);
    assert_int_equal (eddy_bootstrap_size (bs), 5);
    assert_int_equal (eddy_bootstrap_rank (bs), 4);
    assert_string_equal (eddy_bootstrap_host (bs, 2), "n2");
    assert_string_equal (eddy_bootstrap_connect_uri (bs, 2), "tcp://en2:9");
    assert_string_equal (eddy_bootstrap_connect_uri (bs, 3), "tcp://n3:9");
    eddy_topo_t *t = eddy_bootstrap_topo (bs, &err);
    assert_non_null (t);
    uint32_t want[] = {0, 0, 1, 0, 3};
    for (uint32_t r = 1; r < 5; r++)
        assert_int_equal (eddy_topo_get_parent (t, r), want[r]);
    eddy_topo_destroy (t);
    eddy_bootstrap_destroy (bs);
}

static void bad_bootstrap_tables_are_refused (void **state)
{
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"n[0-3]\"}]}}", "login1",
             "this host, 'login1', is not in bootstrap.hosts (n[0-3])");
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"n[0-3\"}]}}", "n0", "bootstrap.hosts[0].host");
    refused ("{\"bootstrap\": {\"hosts\": [{\"bind\": \"tcp://*:1\"}]}}", "n0", "host is required");
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": 7}]}}", "n0", "bootstrap.hosts[0].host: expected a string");
    refused ("{\"bootstrap\": {\"hosts\": \"n[0-3]\"}}", "n0", "bootstrap.hosts: expected");
    refused ("{\"bootstrap\": {\"hosts\": []}}", "n0", "bootstrap.hosts: expected");
    refused ("{\"bootstrap\": {\"hosts\": [\"n0\"]}}", "n0", "bootstrap.hosts[0]: expected a table");
    refused ("{\"bootstrap\": {\"default_port\": 0, \"hosts\": [{\"host\": \"n0\"}]}}", "n0",
             "bootstrap.default_port: 0 is not a port");
    refused ("{\"bootstrap\": {\"default_port\": 65536, \"hosts\": [{\"host\": \"n0\"}]}}", "n0",
             "65536 is not a port");
    refused ("{\"bootstrap\": {\"default_port\": \"8050\", \"hosts\": [{\"host\": \"n0\"}]}}", "n0",
             "bootstrap.default_port: expected an integer");
    refused ("{\"bootstrap\": {\"curve_cert\": true, \"hosts\": [{\"host\": \"n0\"}]}}", "n0",
             "bootstrap.curve_cert: expected a string");
    refused ("{\"bootstrap\": {\"default_prot\": 1, \"hosts\": [{\"host\": \"n0\"}]}}", "n0",
             "bootstrap.default_prot: unknown key");
    refused ("{\"bootstrap\": {\"hosts\": [{\"host\": \"n0\", \"conect\": \"x\"}]}}", "n0",
             "bootstrap.hosts[0].conect: unknown key");
    refused ("{\"tbon\": {\"topo\": \"kary:0\"}, \"bootstrap\": {\"hosts\": [{\"host\": \"n0\"}]}}",
             "n0", "tbon.topo");
    refused ("{\"tbon\": {\"topo\": \"tree\"}, \"bootstrap\": {\"hosts\": [{\"host\": \"n0\"}]}}",
             "n0", "tbon.topo");
}

static void exclude_must_name_bootstrap_hosts (void **state)
{
    eddy_error_t err;
    eddy_bootstrap_t *bs = make (FOUR "}", "node0", &err);
    const char *good[] = { "node[0-1]", "node3", "0-1", "3", NULL };
    const char *bad[][2] = {
        { "login1", "resource.exclude: host login1 is not in bootstrap.hosts (node[0-3])" },
        { "node[3-4]", "host node4 is not" },
        { "4", "resource.exclude: rank 4 is not in bootstrap.hosts (4 hosts)" },
        { NULL, NULL },
    };
    for (int i = 0; good[i]; i++) {
        json_t *c = json_pack ("{s:{s:s}}", "resource", "exclude", good[i]);
        if (eddy_bootstrap_check_exclude (bs, c, &err) < 0)
            fail_msg ("exclude %s refused: %s", good[i], err.text);
        json_decref (c);
    }
    for (int i = 0; bad[i][0]; i++) {
        json_t *c = json_pack ("{s:{s:s}}", "resource", "exclude", bad[i][0]);
        assert_int_equal (eddy_bootstrap_check_exclude (bs, c, &err), -1);
        if (!strstr (err.text, bad[i][1]))
            fail_msg ("'%s' does not say '%s'", err.text, bad[i][1]);
        json_decref (c);
    }
    /* no bootstrap: nothing to hold it against */
    json_t *c = json_pack ("{s:{s:s}}", "resource", "exclude", "login1");
    assert_int_equal (eddy_bootstrap_check_exclude (NULL, c, &err), 0);
    json_decref (c);
    eddy_bootstrap_destroy (bs);
}

/* The schema (eddy config check, the broker's reader) agrees. */
static void the_schema_checks_the_same_keys (void **state)
{
    const char *bad[][2] = {
        { "{\"bootstrap\": {\"default_port\": 70000}}", "bootstrap.default_port" },
        { "{\"bootstrap\": {\"hosts\": [{\"host\": \"n[0-\"}]}}", "bootstrap.hosts[0].host" },
        { "{\"bootstrap\": {\"hosts\": [{\"bind\": \"x\"}]}}", "bootstrap.hosts[0]" },
        { "{\"tbon\": {\"topo\": \"kary:x\"}}", "tbon.topo" },
        { "{\"tbon\": {\"topo\": 2}}", "tbon.topo" },
        { "{\"resource\": {\"exclude\": \"n[0-\"}}", "resource.exclude" },
        { "{\"bootstrap\": {\"default_connect\": \"tcp://%x:1\"}}", "bootstrap.default_connect" },
        { NULL, NULL },
    };
    for (int i = 0; bad[i][0]; i++) {
        eddy_error_t err = { .text = "" };
        json_t *c = conf (bad[i][0]);
        if (eddy_config_validate (eddy_config_schema, "bootstrap.toml", c, NULL, NULL, &err) == 0)
            fail_msg ("schema accepted %s", bad[i][0]);
        if (!strstr (err.text, bad[i][1]))
            fail_msg ("'%s' does not name %s", err.text, bad[i][1]);
        json_decref (c);
    }
    eddy_error_t err;
    json_t *c = conf (FOUR ", \"tbon\": {\"topo\": \"binomial\"}, \"resource\": {\"exclude\": \"node[0-1]\","
                      " \"path\": \"/etc/eddy/R.json\"}}");
    assert_int_equal (eddy_config_validate (eddy_config_schema, "x.toml", c, NULL, NULL, &err), 0);
    json_decref (c);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (the_rank_is_the_position_of_the_hostname),
        cmocka_unit_test (a_rank_override_wins_over_the_hostname),
        cmocka_unit_test (no_hosts_means_no_bootstrap),
        cmocka_unit_test (percent_h_and_p_are_substituted),
        cmocka_unit_test (the_tree_follows_tbon_topo),
        cmocka_unit_test (parent_keys_override_the_shape),
        cmocka_unit_test (a_host_listed_again_keeps_its_rank),
        cmocka_unit_test (bad_bootstrap_tables_are_refused),
        cmocka_unit_test (exclude_must_name_bootstrap_hosts),
        cmocka_unit_test (the_schema_checks_the_same_keys),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
