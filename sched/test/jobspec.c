/* Unit tests for sched/yaml.c and sched/jobspec.c: YAML typing, anchors and
 * limits, validation messages at both levels, the scheduler summary and
 * building a jobspec from a command line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/jobspec.h"
#include "sched/yaml.h"

static json_t *yaml (const char *s)
{
    eddy_error_t err = {{0}};
    json_t *o = eddy_yaml_load (s, strlen (s), &err);
    if (!o)
        print_message ("yaml error: %s\n", err.text);
    return o;
}

/* Load YAML and compare with the JSON text expected. */
static void assert_yaml (const char *y, const char *expect_json)
{
    json_t *o = yaml (y);
    json_t *e = json_loads (expect_json, JSON_DECODE_ANY, NULL);
    assert_non_null (o);
    assert_non_null (e);
    if (!json_equal (o, e)) {
        char *s = json_dumps (o, JSON_ENCODE_ANY);
        print_message ("got %s, want %s\n", s, expect_json);
        free (s);
        fail ();
    }
    json_decref (o);
    json_decref (e);
}

static void assert_yaml_error (const char *y, int errnum, const char *substr)
{
    eddy_error_t err = {{0}};
    errno = 0;
    json_t *o = eddy_yaml_load (y, strlen (y), &err);
    assert_null (o);
    assert_int_equal (errno, errnum);
    if (!strstr (err.text, substr)) {
        print_message ("error '%s' lacks '%s'\n", err.text, substr);
        fail ();
    }
}

static void yaml_plain_scalars_are_typed_like_pyyaml (void **state)
{
    (void)state;
    assert_yaml ("[1, -2, +3, 0x1f, 0b101, 017, 1_000, 1:30]",
                 "[1, -2, 3, 31, 5, 15, 1000, 90]");
    assert_yaml ("[3600., 1.5, -0.25, .5, 1.0e+3]",
                 "[3600.0, 1.5, -0.25, 0.5, 1000.0]");
    assert_yaml ("[true, False, yes, NO, on, Off]",
                 "[true, false, true, false, true, false]");
    assert_yaml ("[~, null, Null, ]", "[null, null, null]");
    /* not numbers in YAML 1.1: no exponent sign, leading zero decimal */
    assert_yaml ("[1e5, 09, 1h, 0x]", "[\"1e5\", \"09\", \"1h\", \"0x\"]");
    assert_yaml ("a:\nb: ''\n", "{\"a\": null, \"b\": \"\"}");
}

static void yaml_quotes_and_tags (void **state)
{
    (void)state;
    assert_yaml ("['1', \"true\", !!str 42, ! 7]", "[\"1\", \"true\", \"42\", \"7\"]");
    assert_yaml ("[!!int '12', !!float 2, !!bool 'yes', !!null '']",
                 "[12, 2.0, true, null]");
    assert_yaml_error ("!!int abc", EINVAL, "does not match its tag");
    assert_yaml_error ("!foo bar", EINVAL, "unsupported tag");
    assert_yaml_error ("!!timestamp 2001-12-14", EINVAL, "unsupported tag");
    assert_yaml_error ("!!set {a}", EINVAL, "unsupported tag");
}

static void yaml_anchors_aliases_and_merge (void **state)
{
    (void)state;
    assert_yaml ("a: &x {n: 1}\nb: *x\n", "{\"a\": {\"n\": 1}, \"b\": {\"n\": 1}}");
    assert_yaml ("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
                 "{\"base\": {\"x\": 1, \"y\": 2}, \"d\": {\"x\": 1, \"y\": 3}}");
    assert_yaml ("- &a {p: 1}\n- &b {p: 2, q: 2}\n- <<: [*a, *b]\n",
                 "[{\"p\": 1}, {\"p\": 2, \"q\": 2}, {\"p\": 1, \"q\": 2}]");
    assert_yaml ("k: &s key\n*s : v\n", "{\"k\": \"key\", \"key\": \"v\"}");
    assert_yaml_error ("a: *nope\n", EINVAL, "undefined");
    /* a sequence that refers to itself is not finished when aliased */
    assert_yaml_error ("&a [*a]\n", EINVAL, "undefined");
}

static void yaml_limits_and_errors (void **state)
{
    char laughs[2048];
    int n = 0;
    (void)state;
    /* billion laughs: each level doubles ten times */
    n += snprintf (laughs + n, sizeof (laughs) - n, "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
    for (int i = 1; i < 10; i++)
        n += snprintf (
            laughs + n, sizeof (laughs) - n,
            "a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i,
            i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    assert_yaml_error (laughs, EINVAL, "too large");
    assert_yaml_error ("a: 1\na: 2\n", EINVAL, "duplicate key 'a'");
    assert_yaml_error ("a: 1\n---\nb: 2\n", EINVAL, "single YAML document");
    assert_yaml_error ("", EINVAL, "empty document");
    assert_yaml_error ("foo: bar: baz\n", EINVAL, "line 1");
    assert_yaml_error ("[99999999999999999999]", ERANGE, "out of range");
    assert_yaml_error ("[.inf]", ERANGE, "JSON");
    assert_yaml_error ("\"a\\0b\"", EINVAL, "NUL");
    assert_yaml_error ("? [1]\n: 2\n", EINVAL, "key must be a scalar");

    /* deep nesting is refused, not a stack overflow */
    char deep[1200];
    memset (deep, '[', 600);
    deep[600] = '\0';
    assert_yaml_error (deep, EINVAL, "too deep");

    /* embedded NUL in the buffer itself (length says it is there) */
    eddy_error_t err;
    assert_null (eddy_yaml_load ("a: b\0c", 6, &err));
}

static const char *v1_doc = "version: 1\n"
                            "resources:\n"
                            "  - type: node\n"
                            "    count: 4\n"
                            "    with:\n"
                            "      - type: slot\n"
                            "        count: 2\n"
                            "        label: default\n"
                            "        with:\n"
                            "          - type: core\n"
                            "            count: 3\n"
                            "          - type: gpu\n"
                            "            count: 1\n"
                            "tasks:\n"
                            "  - command: [ app, -x ]\n"
                            "    slot: default\n"
                            "    count:\n"
                            "      per_slot: 1\n"
                            "attributes:\n"
                            "  system:\n"
                            "    duration: 3600.\n"
                            "    queue: batch\n"
                            "    cwd: /tmp\n";

static void v1_summary_answers_scheduler_questions (void **state)
{
    eddy_error_t err = {{0}};
    (void)state;
    eddy_jobspec_t *js =
        eddy_jobspec_decode (v1_doc, strlen (v1_doc), EDDY_JOBSPEC_V1, &err);
    assert_non_null (js);
    assert_int_equal (eddy_jobspec_summary_check (js, &err), 0);
    assert_int_equal (eddy_jobspec_version (js), 1);
    assert_int_equal (eddy_jobspec_nnodes (js), 4);
    assert_int_equal (eddy_jobspec_nslots (js), 8);
    assert_int_equal (eddy_jobspec_cores_per_slot (js), 3);
    assert_int_equal (eddy_jobspec_gpus_per_slot (js), 1);
    assert_int_equal (eddy_jobspec_ntasks (js), 8);
    assert_false (eddy_jobspec_exclusive (js));
    assert_true (eddy_jobspec_duration (js) == 3600.0);
    assert_string_equal (eddy_jobspec_queue (js), "batch");
    assert_string_equal (eddy_jobspec_cwd (js), "/tmp");
    assert_int_equal (json_array_size (eddy_jobspec_command (js)), 2);
    assert_non_null (json_object_get (eddy_jobspec_attributes (js), "system"));
    eddy_jobspec_destroy (js);
}

/* Replace the first occurrence of from by to in v1_doc, then parse. */
static void expect_invalid (eddy_jobspec_level_t level,
                            const char *from,
                            const char *to,
                            const char *msg)
{
    char doc[2048];
    const char *p = strstr (v1_doc, from);
    eddy_error_t err = {{0}};
    assert_non_null (p);
    snprintf (doc, sizeof (doc), "%.*s%s%s", (int)(p - v1_doc), v1_doc, to,
              p + strlen (from));
    errno = 0;
    eddy_jobspec_t *js = eddy_jobspec_decode (doc, strlen (doc), level, &err);
    if (js || strcmp (err.text, msg) != 0) {
        print_message ("for '%s' -> '%s': got '%s', want '%s'\n", from, to,
                       js ? "(accepted)" : err.text, msg);
        eddy_jobspec_destroy (js);
        fail ();
    }
    assert_int_equal (errno, EINVAL);
}

static void invalid_jobspecs_name_the_problem (void **state)
{
    (void)state;
    expect_invalid (EDDY_JOBSPEC_V1, "count: 4", "count: 0",
                    "resources[0].count: must be >= 1");
    expect_invalid (EDDY_JOBSPEC_V1, "duration: 3600.", "duration: -1",
                    "attributes.system.duration: must be a number >= 0");
    expect_invalid (EDDY_JOBSPEC_V1, "duration: 3600.", "duration: 1h",
                    "attributes.system.duration: must be a number >= 0");
    expect_invalid (EDDY_JOBSPEC_V1, "    duration: 3600.\n", "",
                    "attributes.system.duration: missing");
    expect_invalid (EDDY_JOBSPEC_V1, "version: 1", "version: 2", "version: must be 1");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "version: 1", "version: 0",
                    "version: must be >= 1");
    expect_invalid (
        EDDY_JOBSPEC_V1, "type: gpu", "type: smurf",
        "resources[0].with[0].with[1].type: must be core or gpu (once each)");
    expect_invalid (EDDY_JOBSPEC_V1, "count: 1\n", "count: -1\n",
                    "resources[0].with[0].with[1].count: must be >= 0");
    expect_invalid (EDDY_JOBSPEC_V1, "per_slot: 1",
                    "per_resource: {type: core, count: 1}",
                    "tasks[0].count.per_resource: not allowed in version 1 "
                    "(use per_slot or total)");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "per_slot: 1", "per_slot: 0",
                    "tasks[0].count.per_slot: must be >= 1");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "command: [ app, -x ]", "command: []",
                    "tasks[0].command: must not be empty");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "command: [ app, -x ]", "command: [ 1 ]",
                    "tasks[0].command[0]: must be a string");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "label: default", "labl: default",
                    "resources[0].with[0].labl: unknown key");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "count: 4", "count: {min: 2, max: 1}",
                    "resources[0].count: max must be >= min");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "count: 4", "count: \"2-9:1:*\"",
                    "resources[0].count: operand must be >= 2 for '*'");
    expect_invalid (EDDY_JOBSPEC_V1, "count: 4", "count: {min: 2}",
                    "resources[0].count: must be an integer");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "    queue: batch\n",
                    "    constraints: [a]\n",
                    "attributes.system.constraints: must be a mapping");
    expect_invalid (EDDY_JOBSPEC_CANONICAL, "version: 1\n", "", "version: missing");
}

/* RFC 26 dependencies and output files (depend.c and exec/coord.c read them) */
static void dependencies_and_output_files_are_checked (void **state)
{
    (void)state;
    expect_invalid (EDDY_JOBSPEC_V1, "    queue: batch\n",
                    "    dependencies: [{scheme: afterok, value: \"f\\u0192x\"}]\n",
                    "attributes.system.dependencies[0].value: 'f\xc6\x92x' is not a job id");
    expect_invalid (EDDY_JOBSPEC_V1, "    queue: batch\n",
                    "    dependencies: [{scheme: begin-time, value: soon}]\n",
                    "attributes.system.dependencies[0].value: begin-time must be seconds since "
                    "the epoch");
    expect_invalid (EDDY_JOBSPEC_V1, "    queue: batch\n",
                    "    shell: {options: {output: {stdout: {type: file}}}}\n",
                    "attributes.system.shell.options.output.stdout: a file needs a path");
    expect_invalid (EDDY_JOBSPEC_V1, "    queue: batch\n",
                    "    shell: {options: {output: {stderr: {type: pipe, path: x}}}}\n",
                    "attributes.system.shell.options.output.stderr: type must be file or kvs");

    const char *ok = "    dependencies: [{scheme: afterok, value: \"123\"},\n"
                     "                   {scheme: after, value: \"\\u0192Ab\"},\n"
                     "                   {scheme: begin-time, value: \"1700000000.5\"},\n"
                     /* a scheme the job manager does not know is still a
                      * valid jobspec (refused at submit, not here) */
                     "                   {scheme: string, value: \"any text\"}]\n"
                     "    shell: {options: {output: {stdout: {type: file, path: \"o.{{id}}\"}}}}\n";
    char doc[2048];
    const char *p = strstr (v1_doc, "    queue: batch\n");
    eddy_error_t err = {{0}};
    snprintf (doc, sizeof (doc), "%.*s%s%s", (int)(p - v1_doc), v1_doc, ok,
              p + strlen ("    queue: batch\n"));
    eddy_jobspec_t *js = eddy_jobspec_decode (doc, strlen (doc), EDDY_JOBSPEC_V1, &err);
    if (!js)
        fail_msg ("refused: %s", err.text);
    eddy_jobspec_destroy (js);
}

static void canonical_accepts_ranges_and_other_types (void **state)
{
    const char *doc =
        "{\"version\": 999, \"resources\": [{\"type\": \"rack\", \"count\": 2,"
        " \"with\": [{\"type\": \"slot\", \"count\": \"2-32:2:*\", \"label\": \"s\","
        " \"with\": [{\"type\": \"node\", \"count\": {\"min\": 1}, \"with\":"
        " [{\"type\": \"socket\", \"count\": 2, \"with\": [{\"type\": \"core\","
        " \"count\": 4}]}]}]}]}], \"tasks\": [{\"command\": [\"x\"], \"slot\": \"s\","
        " \"count\": {\"total\": 3}}], \"attributes\": {}}";
    eddy_error_t err = {{0}};
    (void)state;
    eddy_jobspec_t *js =
        eddy_jobspec_decode (doc, strlen (doc), EDDY_JOBSPEC_CANONICAL, &err);
    assert_non_null (js);
    assert_int_equal (eddy_jobspec_summary_check (js, &err), 0);
    assert_int_equal (eddy_jobspec_nslots (js), 4);         /* 2 racks x 2 */
    assert_int_equal (eddy_jobspec_nnodes (js), 4);         /* one per slot */
    assert_int_equal (eddy_jobspec_cores_per_slot (js), 8); /* 2 sockets x 4 */
    assert_int_equal (eddy_jobspec_ntasks (js), 3);
    assert_true (eddy_jobspec_duration (js) == 0.0);
    eddy_jobspec_destroy (js);

    /* the same document is not V1 */
    assert_null (eddy_jobspec_decode (doc, strlen (doc), EDDY_JOBSPEC_V1, &err));
    assert_string_equal (err.text, "version: must be 1");
}

static void summary_fails_without_cores (void **state)
{
    const char *doc = "version: 1\nresources: [{type: slot, count: 4, label: d,"
                      " with: [{type: node, count: 1}]}]\n"
                      "tasks: [{command: [x], slot: d, count: {per_slot: 1}}]\n"
                      "attributes: {system: {duration: 0}}\n";
    eddy_error_t err = {{0}};
    (void)state;
    eddy_jobspec_t *js =
        eddy_jobspec_decode (doc, strlen (doc), EDDY_JOBSPEC_CANONICAL, &err);
    assert_non_null (js);
    assert_int_equal (eddy_jobspec_summary_check (js, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "Unable to determine slot size");
    assert_int_equal (eddy_jobspec_nslots (js), 0);
    eddy_jobspec_destroy (js);
    assert_null (eddy_jobspec_decode (doc, strlen (doc), EDDY_JOBSPEC_V1, &err));
}

static void from_command_builds_valid_v1 (void **state)
{
    char *argv[] = {"hostname", "-s"};
    json_t *env = json_pack ("{s:s}", "PATH", "/bin");
    json_t *attrs =
        json_pack ("{s:{s:s} s:{s:i}}", "system", "queue", "debug", "user", "x", 1);
    struct eddy_jobspec_request req = {
        .argc = 2,
        .argv = argv,
        .ntasks = 5,
        .nnodes = 2,
        .cores_per_task = 2,
        .gpus_per_task = 1,
        .duration = 60.,
        .cwd = "/home/u",
        .environment = env,
        .attributes = attrs,
    };
    eddy_error_t err = {{0}};
    (void)state;

    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    assert_int_equal (eddy_jobspec_level (js), EDDY_JOBSPEC_V1);
    assert_int_equal (eddy_jobspec_nnodes (js), 2);
    assert_int_equal (eddy_jobspec_nslots (js), 6); /* ceil (5/2) per node */
    assert_int_equal (eddy_jobspec_ntasks (js), 5); /* total, uneven */
    assert_int_equal (eddy_jobspec_cores_per_slot (js), 2);
    assert_int_equal (eddy_jobspec_gpus_per_slot (js), 1);
    assert_string_equal (eddy_jobspec_queue (js), "debug");
    assert_string_equal (eddy_jobspec_cwd (js), "/home/u");
    assert_true (eddy_jobspec_duration (js) == 60.);
    json_t *sys = json_object_get (eddy_jobspec_attributes (js), "system");
    assert_true (json_equal (json_object_get (sys, "environment"), env));

    /* the caller's objects were copied, not shared */
    json_object_set_new (env, "HOME", json_string ("/x"));
    assert_null (json_object_get (json_object_get (sys, "environment"), "HOME"));
    eddy_jobspec_destroy (js);

    req.nnodes = 0;
    req.gpus_per_task = 0;
    req.ntasks = 3;
    js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    assert_int_equal (eddy_jobspec_nnodes (js), 0);
    assert_int_equal (eddy_jobspec_nslots (js), 3);
    assert_int_equal (eddy_jobspec_ntasks (js), 3);
    assert_int_equal (eddy_jobspec_gpus_per_slot (js), 0);
    eddy_jobspec_destroy (js);

    req.nnodes = 4; /* more nodes than tasks */
    errno = 0;
    assert_null (eddy_jobspec_from_command (&req, &err));
    assert_int_equal (errno, EINVAL);
    assert_string_equal (err.text, "node count must not exceed task count");
    req.nnodes = 0;
    req.exclusive = true;
    assert_null (eddy_jobspec_from_command (&req, &err));
    req.exclusive = false;
    req.duration = -1;
    assert_null (eddy_jobspec_from_command (&req, &err));
    json_decref (env);
    json_decref (attrs);
}

static void json_input_and_bad_arguments (void **state)
{
    eddy_error_t err = {{0}};
    (void)state;
    json_t *o = eddy_jobspec_load ("  {\"a\": 1e5}", 12, &err);
    assert_non_null (o);
    assert_true (json_is_real (json_object_get (o, "a")));
    json_decref (o);
    assert_null (eddy_jobspec_load ("{\"a\": 1, \"a\": 2}", 16, &err));
    assert_null (eddy_jobspec_load ("{\"a\": 1", 7, &err));
    assert_int_equal (errno, EINVAL);
    errno = 0;
    assert_null (eddy_jobspec_parse (NULL, EDDY_JOBSPEC_V1, &err));
    assert_int_equal (errno, EINVAL);
    o = json_object ();
    assert_null (eddy_jobspec_parse (o, 7, &err));
    assert_null (eddy_jobspec_parse (o, EDDY_JOBSPEC_CANONICAL, &err));
    assert_string_equal (err.text, "version: missing");
    json_decref (o);
    errno = 42;
    eddy_jobspec_destroy (NULL);
    assert_int_equal (errno, 42);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (yaml_plain_scalars_are_typed_like_pyyaml),
        cmocka_unit_test (yaml_quotes_and_tags),
        cmocka_unit_test (yaml_anchors_aliases_and_merge),
        cmocka_unit_test (yaml_limits_and_errors),
        cmocka_unit_test (v1_summary_answers_scheduler_questions),
        cmocka_unit_test (invalid_jobspecs_name_the_problem),
        cmocka_unit_test (dependencies_and_output_files_are_checked),
        cmocka_unit_test (canonical_accepts_ranges_and_other_types),
        cmocka_unit_test (summary_fails_without_cores),
        cmocka_unit_test (from_command_builds_valid_v1),
        cmocka_unit_test (json_input_and_bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
