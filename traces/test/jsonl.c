/* JSONL workloads (traces/jsonl.h): fields and defaults, the shape read
 * from the jobspec, and errors that name the line and the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "traces/jsonl.h"

/* A V1 jobspec: nodes (0: none) > slots of cores and gpus; duration. */
#define JOBSPEC_NODE(n, s, c, g, dur)                                                  \
    "{\"version\":1,\"resources\":[{\"type\":\"node\",\"count\":" #n                    \
    ",\"with\":[{\"type\":\"slot\",\"count\":" #s ",\"label\":\"task\",\"with\":"       \
    "[{\"type\":\"core\",\"count\":" #c "},{\"type\":\"gpu\",\"count\":" #g "}]}]}],"   \
    "\"tasks\":[{\"command\":[\"x\"],\"slot\":\"task\",\"count\":{\"per_slot\":1}}],"   \
    "\"attributes\":{\"system\":{\"duration\":" #dur "}}}"
#define JOBSPEC_SLOT(s, c, dur)                                                        \
    "{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":" #s                    \
    ",\"label\":\"task\",\"with\":[{\"type\":\"core\",\"count\":" #c "}]}],"            \
    "\"tasks\":[{\"command\":[\"x\"],\"slot\":\"task\",\"count\":{\"per_slot\":1}}],"   \
    "\"attributes\":{\"system\":{\"duration\":" #dur "}}}"

static eddy_jsonl_t *parse (const char *text)
{
    eddy_error_t err;
    eddy_jsonl_t *w = eddy_jsonl_create ();
    assert_non_null (w);
    if (eddy_jsonl_feed_text (w, text, strlen (text), &err) < 0)
        fail_msg ("%s", err.text);
    return w;
}

static void fields_and_defaults (void **state)
{
    eddy_jsonl_t *w = parse ("{\"submit\": 5, \"jobspec\": " JOBSPEC_SLOT (3, 2, 100) "}\n"
                             "\n"
                             "{\"id\": 42, \"submit\": 7.5, \"run\": 30, \"user\": 3, "
                             "\"group\": 4, \"queue\": 1, \"jobspec\": " JOBSPEC_SLOT (1, 1, 0) "}\r\n");
    size_t n;
    const struct eddy_jsonl_job *j = eddy_jsonl_jobs (w, &n);

    assert_int_equal (n, 2);
    assert_int_equal (eddy_jsonl_lines (w), 3);
    /* id defaults to the position among jobs; run to the duration */
    assert_int_equal (j[0].id, 1);
    assert_true (j[0].submit == 5);
    assert_true (j[0].run == 100);
    assert_true (j[0].req == 100);
    assert_int_equal (j[0].procs, 6);
    assert_int_equal (j[0].nnodes, 0);
    assert_int_equal (j[0].user, -1);
    assert_int_equal (j[0].line, 1);
    assert_non_null (j[0].jobspec);
    /* duration 0: no limit */
    assert_int_equal (j[1].id, 42);
    assert_true (j[1].submit == 7.5);
    assert_true (j[1].run == 30);
    assert_true (isinf (j[1].req));
    assert_int_equal (j[1].user, 3);
    assert_int_equal (j[1].group, 4);
    assert_int_equal (j[1].queue, 1);
    assert_int_equal (j[1].line, 3);
    eddy_jsonl_destroy (w);
}

static void shape_comes_from_the_jobspec (void **state)
{
    eddy_jsonl_t *w = parse ("{\"submit\": 0, \"jobspec\": " JOBSPEC_NODE (2, 4, 3, 1, 60) "}\n");
    size_t n;
    const struct eddy_jsonl_job *j = eddy_jsonl_jobs (w, &n);

    assert_int_equal (n, 1);
    assert_int_equal (j[0].nnodes, 2);
    /* 4 slots on each of 2 nodes */
    assert_int_equal (j[0].procs, 24);
    assert_int_equal (j[0].gpus, 8);
    eddy_jsonl_destroy (w);
}

static void expect_error (const char *text, const char *msg)
{
    eddy_jsonl_t *w = eddy_jsonl_create ();
    eddy_error_t err;
    size_t n;

    assert_non_null (w);
    errno = 0;
    assert_int_equal (eddy_jsonl_feed_text (w, text, strlen (text), &err), -1);
    assert_int_equal (errno, EINVAL);
    if (!strstr (err.text, msg))
        fail_msg ("'%s' does not say '%s'", err.text, msg);
    eddy_jsonl_jobs (w, &n);
    assert_int_equal (n, 1); /* the good first line only */
    eddy_jsonl_destroy (w);
}

#define GOOD "{\"submit\": 0, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n"

static void bad_lines_name_the_line_and_the_problem (void **state)
{
    expect_error (GOOD "{\"submit\": 0\n", "line 2: not JSON");
    expect_error (GOOD "[1, 2]\n", "line 2: not a JSON object");
    expect_error (GOOD "\n{\"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n", "line 3: submit: required");
    expect_error (GOOD "{\"submit\": -1, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: submit: must be");
    expect_error (GOOD "{\"submit\": \"0\", \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: submit: must be");
    expect_error (GOOD "{\"submit\": 0}\n", "line 2: jobspec: required");
    expect_error (GOOD "{\"submit\": 0, \"jobspec\": 3}\n", "line 2: jobspec: must be an object");
    expect_error (GOOD "{\"submit\": 0, \"jobspec\": {\"version\": 1}}\n", "line 2: jobspec: ");
    expect_error (GOOD "{\"submit\": 0, \"jobspec\": " JOBSPEC_SLOT (1, 1, 0) "}\n",
                  "line 2: run: required when the jobspec has no duration");
    expect_error (GOOD "{\"submit\": 0, \"run\": -3, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: run: must be");
    expect_error (GOOD "{\"submit\": 0, \"id\": 1.5, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: id: must be");
    expect_error (GOOD "{\"submit\": 0, \"sbumit\": 0, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: unknown key 'sbumit'");
    expect_error (GOOD "{\"submit\": 0, \"submit\": 1, \"jobspec\": " JOBSPEC_SLOT (1, 1, 10) "}\n",
                  "line 2: not JSON");
}

static void a_nul_byte_is_an_error (void **state)
{
    eddy_jsonl_t *w = eddy_jsonl_create ();
    eddy_error_t err;

    assert_int_equal (eddy_jsonl_feed (w, "{\0}", 3, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "line 1: contains a NUL byte"));
    eddy_jsonl_destroy (w);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (fields_and_defaults),
        cmocka_unit_test (shape_comes_from_the_jobspec),
        cmocka_unit_test (bad_lines_name_the_line_and_the_problem),
        cmocka_unit_test (a_nul_byte_is_an_error),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
