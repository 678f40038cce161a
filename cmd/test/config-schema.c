/* The configuration schema: every table's keys are checked for type and
 * range (an error names the file and the key), unknown tables and keys are
 * warnings, keys read at start are reported when a reload changes them,
 * and a broker reloading from files keeps its configuration when the new
 * files are invalid.
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
#include <syslog.h>
#include <unistd.h>

#include "cmd/config-schema.h"
#include "engine/util/toml.h"
#include "test/support/world.h"

/* ---- helpers ---- */

struct notes {
    char text[16][256];
    int level[16];
    int n;
};

static void collect (int level, const char *text, void *arg)
{
    struct notes *ns = arg;
    if (ns->n < 16) {
        snprintf (ns->text[ns->n], sizeof (ns->text[0]), "%s", text);
        ns->level[ns->n++] = level;
    }
}

static bool has_note (const struct notes *ns, int level, const char *what)
{
    for (int i = 0; i < ns->n; i++)
        if (ns->level[i] == level && strstr (ns->text[i], what))
            return true;
    return false;
}

static json_t *toml (const char *text)
{
    eddy_error_t err;
    json_t *o = eddy_toml_parse (text, strlen (text), "t.toml", &err);
    if (!o)
        fail_msg ("bad test TOML: %s", err.text);
    return o;
}

/* Validate text as file t.toml: 0, or -1 with the message in *msg. */
static int check (const char *text, struct notes *ns, char *msg, size_t len)
{
    eddy_error_t err = { "" };
    json_t *o = toml (text);
    int rc = eddy_config_validate (eddy_config_schema, "t.toml", o, collect, ns, &err);
    snprintf (msg, len, "%s", err.text);
    json_decref (o);
    return rc;
}

/* text must be refused with a message containing want. */
static void refused (const char *text, const char *want)
{
    struct notes ns = { .n = 0 };
    char msg[256];
    if (check (text, &ns, msg, sizeof (msg)) == 0)
        fail_msg ("accepted: %s", text);
    assert_int_equal (errno, EINVAL);
    if (!strstr (msg, want))
        fail_msg ("'%s' does not contain '%s'", msg, want);
}

static void accepted (const char *text)
{
    struct notes ns = { .n = 0 };
    char msg[256];
    if (check (text, &ns, msg, sizeof (msg)) < 0)
        fail_msg ("refused: %s: %s", text, msg);
    for (int i = 0; i < ns.n; i++)
        if (ns.level[i] <= LOG_WARNING)
            fail_msg ("warned: %s", ns.text[i]);
}

/* ---- one table each ---- */

static void broker_and_tbon (void **state)
{
    accepted ("[broker]\nlog-stderr-level = 7\nquorum = 4\n"
              "[tbon]\nkeepalive_period = \"1s\"\nkeepalive_timeout = 10\n"
              "hello_retry = 0.5\nshutdown_timeout = \"1m\"\nstatus_timeout = \"500ms\"\n");
    refused ("[broker]\nlog-stderr-level = \"debug\"\n",
             "t.toml: broker.log-stderr-level: expected an integer, got a string");
    refused ("[broker]\nlog-stderr-level = 8\n", "broker.log-stderr-level: 8 is out of range (0-7)");
    refused ("[broker]\nquorum = 0\n", "broker.quorum: 0 is out of range");
    accepted ("[broker]\nquorum = \"0-2\"\n");
    accepted ("[broker]\nquorum = \"[0,3]\"\n");
    refused ("[broker]\nquorum = \"half\"\n", "broker.quorum: 'half' is not an idset");
    refused ("[broker]\nquorum = \"\"\n", "broker.quorum: '' names no rank");
    refused ("[broker]\nquorum = true\n", "broker.quorum: expected a count of ranks or an idset");
    refused ("[tbon]\nkeepalive_timeout = \"soon\"\n",
             "tbon.keepalive_timeout: 'soon' is not a duration");
    refused ("[tbon]\nshutdown_timeout = -1\n", "tbon.shutdown_timeout: a duration cannot be negative");
    refused ("[tbon]\nstatus_timeout = true\n",
             "tbon.status_timeout: expected a duration (\"30s\", \"5m\") or a number of seconds, got a boolean");
    refused ("tbon = 3\n", "t.toml: tbon: expected a table, got an integer");
}

static void bootstrap (void **state)
{
    accepted ("[bootstrap]\ncurve_cert = \"/etc/eddy/curve.cert\"\ndefault_port = 8050\n"
              "default_bind = \"tcp://en0:%p\"\ndefault_connect = \"tcp://e%h:%p\"\n"
              "enable_ipv6 = false\n"
              "hosts = [ { host = \"test0\", bind = \"tcp://en4:9001\" }, { host = \"test[1-1023]\" } ]\n");
    refused ("[bootstrap]\ndefault_port = 70000\n",
             "bootstrap.default_port: 70000 is out of range (1-65535)");
    refused ("[bootstrap]\ndefault_port = 0\n", "bootstrap.default_port: 0 is out of range");
    refused ("[bootstrap]\ndefault_port = \"8050\"\n",
             "bootstrap.default_port: expected an integer, got a string");
    refused ("[bootstrap]\nhosts = [ { host = \"a\" }, { host = \"test[1-\" } ]\n",
             "bootstrap.hosts[1].host: 'test[1-' is not a hostlist");
    refused ("[bootstrap]\nhosts = [ { bind = \"tcp://x:1\" } ]\n",
             "bootstrap.hosts[0]: 'host' is missing");
    refused ("[bootstrap]\nhosts = [ \"test0\" ]\n",
             "bootstrap.hosts[0]: expected a table, got a string");
    refused ("[bootstrap]\nhosts = { host = \"a\" }\n",
             "bootstrap.hosts: expected an array of tables, got a table");
    refused ("[bootstrap]\nenable_ipv6 = 1\n", "bootstrap.enable_ipv6: expected a boolean");
}

static void resource (void **state)
{
    accepted ("[resource]\npath = \"/etc/eddy/R\"\nexclude = \"test[3,108]\"\nnoverify = true\n"
              "[[resource.config]]\nhosts = \"test[1-100]\"\ncores = \"0-7\"\n"
              "[[resource.config]]\nhosts = \"test[1,2]\"\ngpus = \"0-1\"\nproperties = [\"debug\"]\n");
    accepted ("[resource]\nexclude = \"0-3,7\"\n");
    refused ("[[resource.config]]\nhosts = \"a\"\ncores = \"0-\"\n",
             "resource.config[0].cores: '0-' is not an idset");
    refused ("[[resource.config]]\ncores = \"0\"\n", "resource.config[0]: 'hosts' is missing");
    refused ("[[resource.config]]\nhosts = \"a\"\nproperties = [\"x\", 3]\n",
             "resource.config[0].properties: element 1: expected a string, got an integer");
    refused ("[resource]\nexclude = \"a[\"\n", "resource.exclude: 'a[' is neither an idset nor a hostlist");
    refused ("[resource]\npath = 1979-05-27\n", "resource.path: expected a string, got a date/time");
}

static void job_manager_sched_exec (void **state)
{
    accepted ("[job-manager]\ninactive-num-limit = 10000\ninactive-remember = 100\n"
              "[sched]\npolicy = \"conservative\"\n[sched.policy-params]\ndepth = 2\n"
              "[exec]\nkill-timeout = \"10s\"\n");
    refused ("[job-manager]\ninactive-num-limit = -1\n",
             "job-manager.inactive-num-limit: -1 is out of range");
    refused ("[job-manager]\ninactive-num-limit = 1.5\n",
             "job-manager.inactive-num-limit: expected an integer, got a float");
    refused ("[sched]\npolicy = \"random\"\n", "sched.policy: unknown policy 'random'");
    refused ("[sched]\npolicy = 3\n", "t.toml: sched.policy: expected a string, got an integer");
    refused ("[sched]\npolicy-params = \"depth=2\"\n", "sched.policy-params: expected a table");
    refused ("[exec]\nkill-timeout = \"5 seconds\"\n", "exec.kill-timeout: '5 seconds' is not a duration");
}

static void job_manager_prolog_epilog (void **state)
{
    accepted ("[job-manager.prolog]\ncommand = [\"eddy\", \"perilog-run\", \"-e\", \"/p\", \"prolog\"]\n"
              "timeout = \"5m\"\n[job-manager.epilog]\ncommand = [\"/e\"]\nper-rank = true\n"
              "timeout = 0\n");
    refused ("[job-manager.prolog]\ncommand = \"/p\"\n",
             "job-manager.prolog.command: expected an array of strings, got a string");
    refused ("[job-manager.prolog]\ncommand = []\n", "job-manager.prolog.command: the command is empty");
    refused ("[job-manager.epilog]\ncommand = [\"\", \"x\"]\n",
             "job-manager.epilog.command: the command's name is empty");
    refused ("[job-manager.epilog]\ncommand = [\"/e\"]\ntimeout = \"soon\"\n",
             "job-manager.epilog.timeout: 'soon' is not a duration");
    refused ("[job-manager.prolog]\ncommand = [\"/p\"]\nper-rank = 1\n",
             "job-manager.prolog.per-rank: expected a boolean");
    refused ("[job-manager]\nprolog = [\"/p\"]\n", "job-manager.prolog: expected a table");
}

static void access_queues_archive_ingest (void **state)
{
    accepted ("[access]\nallow-guest-user = true\nallow-root-owner = false\nprivate-mode = true\n"
              "[queues.debug]\nrequires = [\"debug\"]\npolicy.limits.duration = \"30m\"\n"
              "[queues.batch]\nrequires = [\"batch\"]\n"
              "[archive]\ndbpath = \"/var/lib/eddy/archive.sqlite\"\nperiod = \"1m\"\n"
              "[ingest]\nbatch-count = 4\n[ingest.validator]\nplugins = [\"jobspec\"]\n"
              "args = [\"--require-version=1\"]\n[ingest.validator.require-instance]\nminnodes = 2\n");
    refused ("[access]\nallow-guest-user = \"yes\"\n",
             "access.allow-guest-user: expected a boolean, got a string");
    refused ("[queues]\ndebug = 1\n", "queues.debug: expected a table, got an integer");
    refused ("[queues.debug]\nrequires = \"debug\"\n",
             "queues.debug.requires: expected an array of strings, got a string");
    refused ("[archive]\nperiod = \"often\"\n", "archive.period: 'often' is not a duration");
    refused ("[ingest.validator]\ndisable = \"no\"\n", "ingest.validator.disable: expected a boolean");
}

static void unknown_tables_and_keys_are_warnings (void **state)
{
    struct notes ns = { .n = 0 };
    char msg[256];
    assert_int_equal (check ("[sched]\npolcy = \"easy\"\n[frobnicate]\nx = 1\n"
                             "[queues.debug]\nrequire = [\"x\"]\n[access]\nprivate-mode = true\n"
                             "[job-manager]\njournal-size-limit = 7\n",
                             &ns, msg, sizeof (msg)),
                      0);
    assert_true (has_note (&ns, LOG_WARNING, "t.toml: sched.polcy: unknown key (ignored)"));
    assert_true (has_note (&ns, LOG_WARNING, "t.toml: [frobnicate]: unknown table (ignored)"));
    assert_true (has_note (&ns, LOG_WARNING, "t.toml: queues.debug.require: unknown key"));
    /* known but not used yet: a note, not a warning */
    assert_true (has_note (&ns, LOG_INFO, "access.private-mode: not used"));
    assert_true (has_note (&ns, LOG_INFO, "job-manager.journal-size-limit: not used"));
    assert_int_equal (ns.n, 5);
}

static void keys_read_at_start_are_reported_on_reload (void **state)
{
    struct notes ns = { .n = 0 };
    json_t *old = toml ("[job-manager]\ninactive-remember = 10\ninactive-num-limit = 5\n"
                        "[tbon]\nkeepalive_period = 1\n[sched]\npolicy = \"fcfs\"\n");
    json_t *new = toml ("[job-manager]\ninactive-remember = 20\ninactive-num-limit = 6\n"
                        "[sched]\npolicy = \"easy\"\n[bootstrap]\ndefault_port = 9000\n");
    assert_int_equal (eddy_config_restart_changes (eddy_config_schema, old, new, collect, &ns), 3);
    assert_true (has_note (&ns, LOG_NOTICE, "job-manager.inactive-remember: changed"));
    assert_true (has_note (&ns, LOG_NOTICE, "tbon.keepalive_period: changed"));
    assert_true (has_note (&ns, LOG_NOTICE, "bootstrap.default_port: changed"));
    assert_false (has_note (&ns, LOG_NOTICE, "sched.policy"));
    assert_int_equal (eddy_config_restart_changes (eddy_config_schema, old, old, NULL, NULL), 0);
    json_decref (old);
    json_decref (new);
}

/* ---- files ---- */

static char dir[] = "/tmp/eddy-config-test.XXXXXX";

static void put (const char *name, const char *text)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    assert_int_equal (fclose (f), 0);
}

static void drop (const char *name)
{
    char path[256];
    snprintf (path, sizeof (path), "%s/%s", dir, name);
    unlink (path);
}

static int setup_dir (void **state)
{
    return mkdtemp (dir) ? 0 : -1;
}

static int teardown_dir (void **state)
{
    drop ("a.toml");
    drop ("b.toml");
    drop ("c.toml");
    return rmdir (dir);
}

static void reading_a_conf_d_names_the_file (void **state)
{
    struct notes ns = { .n = 0 };
    eddy_error_t err;
    json_t *conf;

    put ("a.toml", "[sched]\npolicy = \"fcfs\"\n");
    put ("b.toml", "[sched]\npolcy = 1\n[job-manager]\ninactive-num-limit = 3\n");
    assert_non_null (conf = eddy_config_read (dir, collect, &ns, &err));
    assert_string_equal (json_string_value (json_object_get (json_object_get (conf, "sched"), "policy")),
                         "fcfs");
    json_decref (conf);
    assert_true (has_note (&ns, LOG_WARNING, "/b.toml: sched.polcy: unknown key"));

    put ("b.toml", "[job-manager]\ninactive-num-limit = \"3\"\n");
    assert_null (eddy_config_read (dir, NULL, NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "/b.toml: job-manager.inactive-num-limit: expected an integer"));

    put ("b.toml", "[job-manager]\ninactive-num-limit = [3,\n");
    assert_null (eddy_config_read (dir, NULL, NULL, &err));
    assert_non_null (strstr (err.text, "/b.toml:3:1: expected a value"));

    /* a conflict between files comes before what the files say */
    put ("b.toml", "sched = 1\n");
    assert_null (eddy_config_read (dir, NULL, NULL, &err));
    assert_non_null (strstr (err.text, "'sched' is already defined in"));
    drop ("b.toml");
}

/* ---- the reload decision, on brokers reading these files ---- */

static json_t *dir_loader (eddy_broker_t *b, void *arg, eddy_error_t *err)
{
    return eddy_config_read (dir, NULL, NULL, err);
}

static const char *policy_on (struct world *w, uint32_t rank)
{
    const json_t *v = json_object_get (json_object_get (eddy_broker_config (w->b[rank]), "sched"),
                                       "policy");
    return json_is_string (v) ? json_string_value (v) : "";
}

static void an_invalid_file_keeps_the_old_config (void **state)
{
    eddy_error_t err;
    struct world *w = world_sim.create (4, 2);
    assert_non_null (w);
    put ("a.toml", "[sched]\npolicy = \"fcfs\"\n");
    json_t *conf = eddy_config_read (dir, NULL, NULL, &err);
    assert_non_null (conf);
    eddy_broker_set_config (w->b[0], conf);
    json_decref (conf);
    eddy_broker_set_config_loader (w->b[0], dir_loader, NULL);
    assert_int_equal (world_boot (w, 30.0), 0);
    assert_int_equal (world_wait_config_generation (w, 1, 10.0), 0);

    /* a good change goes everywhere */
    put ("a.toml", "[sched]\npolicy = \"easy\"\n");
    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), 0);
    assert_int_equal (world_wait_config_generation (w, 2, 10.0), 0);
    assert_string_equal (policy_on (w, 3), "easy");

    /* a TOML error, then a wrong type: refused, generation 2 stays */
    put ("a.toml", "[sched]\npolicy = \"conservative\"\n");
    put ("b.toml", "[exec\n");
    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), -1);
    assert_non_null (strstr (err.text, "/b.toml:1:"));
    put ("b.toml", "[exec]\nkill-timeout = \"later\"\n");
    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), -1);
    assert_non_null (strstr (err.text, "exec.kill-timeout"));
    world_run_for (w, 1.0);
    for (uint32_t r = 0; r < 4; r++) {
        assert_int_equal (eddy_broker_config_generation (w->b[r]), 2);
        assert_string_equal (policy_on (w, r), "easy");
    }

    /* fixed: the next reload applies everything written meanwhile */
    drop ("b.toml");
    assert_int_equal (eddy_broker_config_reload (w->b[0], &err), 0);
    assert_int_equal (world_wait_config_generation (w, 3, 10.0), 0);
    assert_string_equal (policy_on (w, 2), "conservative");
    drop ("a.toml");
    world_destroy (w);
}

int main (void)
{
    const struct CMUnitTest tables[] = {
        cmocka_unit_test (broker_and_tbon),
        cmocka_unit_test (bootstrap),
        cmocka_unit_test (resource),
        cmocka_unit_test (job_manager_sched_exec),
        cmocka_unit_test (job_manager_prolog_epilog),
        cmocka_unit_test (access_queues_archive_ingest),
        cmocka_unit_test (unknown_tables_and_keys_are_warnings),
        cmocka_unit_test (keys_read_at_start_are_reported_on_reload),
    };
    const struct CMUnitTest files[] = {
        cmocka_unit_test (reading_a_conf_d_names_the_file),
        cmocka_unit_test (an_invalid_file_keeps_the_old_config),
    };
    int rc = cmocka_run_group_tests_name ("config-schema", tables, NULL, NULL);
    rc += cmocka_run_group_tests_name ("config-files", files, setup_dir, teardown_dir);
    return rc ? 1 : 0;
}
