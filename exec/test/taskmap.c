/* Task distribution over the ranks of R: by allocated cores, evenly over
 * whole-node allocations, contiguous task ranks, oversubscription, and
 * clear errors for bad R or jobspec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec/taskmap.h"

static json_t *R (const char *rlite)
{
    json_error_t jerr;
    json_t *rl = json_loads (rlite, 0, &jerr);
    assert_non_null (rl);
    return json_pack ("{s:i s:{s:o}}", "version", 1, "execution", "R_lite", rl);
}

/* "rank:ntasks@base ..." for the whole map */
static void expect (const eddy_taskmap_t *tm, const char *want)
{
    char got[512] = "";
    for (int i = 0; i < eddy_taskmap_nranks (tm); i++) {
        const struct eddy_taskmap_rank *tr = eddy_taskmap_get (tm, i);
        char one[64];
        snprintf (one, sizeof (one), "%s%u:%d@%d", i ? " " : "", tr->rank, tr->ntasks, tr->base);
        strcat (got, one);
    }
    assert_string_equal (got, want);
}

static void one_task_per_core_fills_each_rank (void **state)
{
    json_t *r = R ("[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-1\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 4, 1, NULL);
    assert_non_null (tm);
    assert_int_equal (eddy_taskmap_nranks (tm), 2);
    assert_int_equal (eddy_taskmap_ntasks (tm), 4);
    expect (tm, "0:2@0 1:2@2");
    assert_string_equal (eddy_taskmap_get (tm, 1)->cores, "0-1");
    assert_int_equal (eddy_taskmap_get (tm, 1)->ncores, 2);
    assert_null (eddy_taskmap_get (tm, 2));
    assert_int_equal (errno, EINVAL);
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void uneven_cores_get_proportional_tasks (void **state)
{
    json_t *r = R ("[{\"rank\":\"0\",\"children\":{\"core\":\"0-3\"}},"
                   "{\"rank\":\"1\",\"children\":{\"core\":\"0\"}},"
                   "{\"rank\":\"2\",\"children\":{\"core\":\"2-3\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 7, 1, NULL);
    expect (tm, "0:4@0 1:1@4 2:2@5");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void fewer_tasks_than_cores_spread_evenly (void **state)
{
    /* two whole 8-core nodes, 4 tasks: 2 each, not 4 on the first */
    json_t *r = R ("[{\"rank\":\"3-4\",\"children\":{\"core\":\"0-7\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 4, 1, NULL);
    expect (tm, "3:2@0 4:2@2");
    eddy_taskmap_destroy (tm);
    /* 3 tasks: the remainder goes to the lower rank */
    tm = eddy_taskmap_create (r, 3, 1, NULL);
    expect (tm, "3:2@0 4:1@2");
    eddy_taskmap_destroy (tm);
    /* 1 task: the second rank runs nothing */
    tm = eddy_taskmap_create (r, 1, 1, NULL);
    expect (tm, "3:1@0 4:0@1");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void cores_per_task_bound_the_room (void **state)
{
    json_t *r = R ("[{\"rank\":\"0\",\"children\":{\"core\":\"0-5\"}},"
                   "{\"rank\":\"1\",\"children\":{\"core\":\"0-1\"}}]");
    /* 2 cores per task: room 3 and 1 */
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 4, 2, NULL);
    expect (tm, "0:3@0 1:1@3");
    eddy_taskmap_destroy (tm);
    /* 4 cores per task: rank 1 still gets one (it has cores) */
    tm = eddy_taskmap_create (r, 2, 4, NULL);
    expect (tm, "0:1@0 1:1@1");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void more_tasks_than_room_oversubscribe_round_robin (void **state)
{
    json_t *r = R ("[{\"rank\":\"0-1\",\"children\":{\"core\":\"0\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 5, 1, NULL);
    expect (tm, "0:3@0 1:2@3");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void ranks_come_out_sorted (void **state)
{
    json_t *r = R ("[{\"rank\":\"5\",\"children\":{\"core\":\"0\"}},"
                   "{\"rank\":\"1-2\",\"children\":{\"core\":\"0-1\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 5, 1, NULL);
    expect (tm, "1:2@0 2:2@2 5:1@4");
    assert_string_equal (eddy_taskmap_get (tm, 2)->cores, "0");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static void each_rank_carries_its_gpus_in_rank_order (void **state)
{
    json_t *r = R ("[{\"rank\":\"3\",\"children\":{\"core\":\"0-1\",\"gpu\":\"1\"}},"
                   "{\"rank\":\"0\",\"children\":{\"core\":\"2\",\"gpu\":\"0-1\"}},"
                   "{\"rank\":\"1\",\"children\":{\"core\":\"0\"}}]");
    eddy_taskmap_t *tm = eddy_taskmap_create (r, 3, 1, NULL);
    expect (tm, "0:1@0 1:1@1 3:1@2");
    assert_string_equal (eddy_taskmap_get (tm, 0)->gpus, "0-1");
    assert_string_equal (eddy_taskmap_get (tm, 1)->gpus, "");
    assert_string_equal (eddy_taskmap_get (tm, 2)->gpus, "1");
    assert_string_equal (eddy_taskmap_get (tm, 2)->cores, "0-1");
    eddy_taskmap_destroy (tm);
    json_decref (r);
}

static json_t *jobspec (int nslots, int cores, int per_slot, int total)
{
    json_t *count = per_slot ? json_pack ("{s:i}", "per_slot", per_slot)
                             : json_pack ("{s:i}", "total", total);
    return json_pack ("{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:o}] s:{s:{s:f}}}",
                      "version", 1, "resources", "type", "slot", "count", nslots, "label", "task",
                      "with", "type", "core", "count", cores, "tasks", "command", "true", "slot",
                      "task", "count", count, "attributes", "system", "duration", 0.);
}

static void from_jobspec_uses_slots_and_task_counts (void **state)
{
    json_t *r = R ("[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\"}}]");
    /* 4 slots of 2 cores, one task each: 2 cores per task, 2 per rank */
    json_t *js = jobspec (4, 2, 1, 0);
    eddy_error_t err;
    eddy_taskmap_t *tm = eddy_taskmap_from_jobspec (r, js, &err);
    assert_non_null (tm);
    expect (tm, "0:2@0 1:2@2");
    eddy_taskmap_destroy (tm);
    json_decref (js);
    /* 8 slots of 1 core, 2 tasks per slot: 16 tasks, oversubscribed 8 + 8 */
    js = jobspec (8, 1, 2, 0);
    tm = eddy_taskmap_from_jobspec (r, js, &err);
    expect (tm, "0:8@0 1:8@8");
    eddy_taskmap_destroy (tm);
    json_decref (js);
    /* total 3 tasks over 8 cores: 2 cores each, spread 2 + 1 */
    js = jobspec (8, 1, 0, 3);
    tm = eddy_taskmap_from_jobspec (r, js, &err);
    expect (tm, "0:2@0 1:1@2");
    eddy_taskmap_destroy (tm);
    json_decref (js);
    json_decref (r);
}

static void bad_input_is_refused_with_a_message (void **state)
{
    eddy_error_t err;
    json_t *r = R ("[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\"}}]");

    assert_null (eddy_taskmap_create (r, 0, 1, &err));
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_taskmap_create (r, 1, 0, &err));
    assert_int_equal (errno, EINVAL);

    json_t *bad = json_pack ("{s:i}", "version", 2);
    assert_null (eddy_taskmap_create (bad, 1, 1, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "version"));
    json_decref (bad);

    json_t *empty = R ("[]");
    assert_null (eddy_taskmap_create (empty, 1, 1, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "no ranks"));
    json_decref (empty);

    json_t *js = json_pack ("{s:i}", "version", 1);
    assert_null (eddy_taskmap_from_jobspec (r, js, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "jobspec"));
    json_decref (js);
    assert_null (eddy_taskmap_from_jobspec (r, NULL, &err));
    json_decref (r);
    eddy_taskmap_destroy (NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (one_task_per_core_fills_each_rank),
        cmocka_unit_test (uneven_cores_get_proportional_tasks),
        cmocka_unit_test (fewer_tasks_than_cores_spread_evenly),
        cmocka_unit_test (cores_per_task_bound_the_room),
        cmocka_unit_test (more_tasks_than_room_oversubscribe_round_robin),
        cmocka_unit_test (ranks_come_out_sorted),
        cmocka_unit_test (each_rank_carries_its_gpus_in_rank_order),
        cmocka_unit_test (from_jobspec_uses_slots_and_task_counts),
        cmocka_unit_test (bad_input_is_refused_with_a_message),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
