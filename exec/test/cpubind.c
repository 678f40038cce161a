/* R's logical core ids to OS cpus on a synthetic topology whose PUs are
 * numbered apart from its cores (2 packages of 4 cores of 2 PUs, the PUs
 * of core k being OS cpus k and k+8): the modes, per-task dealing with
 * more and fewer cores than tasks (the split flux-shell makes with
 * hwloc_distrib over the job's cores), gpus per task, and bad input
 * refused with a message.
 */
/* cmocka.h needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/cpubind.h"

/* hwloc reads the topology from the environment, as the broker does */
#define SYNTHETIC "pack:2 core:4 pu:2(indexes=0,8,1,9,2,10,3,11,4,12,5,13,6,14,7,15)"

static int setup (void **state)
{
    eddy_error_t err = {""};
    setenv ("HWLOC_SYNTHETIC", SYNTHETIC, 1);
    *state = eddy_cpubind_create (&err);
    return *state ? 0 : -1;
}

static int teardown (void **state)
{
    eddy_cpubind_destroy (*state);
    unsetenv ("HWLOC_SYNTHETIC");
    return 0;
}

static void expect (const eddy_cpubind_t *cb,
                    const char *cores,
                    int mode,
                    int local,
                    int n,
                    const char *want)
{
    eddy_error_t err = {""};
    char *got = eddy_cpubind_task_cpus (cb, cores, mode, local, n, &err);
    if (!got)
        fail_msg ("%s task %d/%d: %s", cores, local, n, err.text);
    assert_string_equal (got, want);
    free (got);
}

static void modes_are_flux_shell_names (void **state)
{
    (void)state;
    assert_int_equal (eddy_cpubind_mode_parse (NULL), EDDY_CPUBIND_ON);
    assert_int_equal (eddy_cpubind_mode_parse ("on"), EDDY_CPUBIND_ON);
    assert_int_equal (eddy_cpubind_mode_parse ("off"), EDDY_CPUBIND_OFF);
    assert_int_equal (eddy_cpubind_mode_parse ("per-task"), EDDY_CPUBIND_PER_TASK);
    errno = 0;
    assert_int_equal (eddy_cpubind_mode_parse ("bogus"), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_cpubind_mode_parse ("ON"), -1);
}

static void a_synthetic_topology_is_not_this_system (void **state)
{
    assert_int_equal (eddy_cpubind_ncores (*state), 8);
    assert_false (eddy_cpubind_is_thissystem (*state));
}

static void on_gives_every_task_all_the_cores (void **state)
{
    expect (*state, "0-1", EDDY_CPUBIND_ON, 0, 3, "0-1,8-9");
    expect (*state, "0-1", EDDY_CPUBIND_ON, 2, 3, "0-1,8-9");
    expect (*state, "3,6", EDDY_CPUBIND_ON, 0, 1, "3,6,11,14");
}

static void per_task_deals_contiguous_shares (void **state)
{
    /* 8 cores, 3 tasks: 2, 3 and 3 cores */
    expect (*state, "0-7", EDDY_CPUBIND_PER_TASK, 0, 3, "0-1,8-9");
    expect (*state, "0-7", EDDY_CPUBIND_PER_TASK, 1, 3, "2-4,10-12");
    expect (*state, "0-7", EDDY_CPUBIND_PER_TASK, 2, 3, "5-7,13-15");
    /* the shares follow R's cores, whatever their ids */
    expect (*state, "1,4-5,7", EDDY_CPUBIND_PER_TASK, 1, 2, "5,7,13,15");
}

static void per_task_with_fewer_cores_than_tasks_shares_cores (void **state)
{
    expect (*state, "2-3", EDDY_CPUBIND_PER_TASK, 0, 4, "2,10");
    expect (*state, "2-3", EDDY_CPUBIND_PER_TASK, 1, 4, "2,10");
    expect (*state, "2-3", EDDY_CPUBIND_PER_TASK, 2, 4, "3,11");
    expect (*state, "2-3", EDDY_CPUBIND_PER_TASK, 3, 4, "3,11");
}

/* flux-shell's per-task: hwloc_distrib over the job's cores as roots,
 * down to the core depth (src/shell/affinity.c); here on every core set
 * of this topology up to 8 cores and 1 to 12 tasks, including sets with
 * holes. */
static void per_task_is_what_hwloc_distrib_over_the_cores_gives (void **state)
{
    const char *coresets[] = { "0", "0-1", "0-2", "0-4", "0-7", "1,3-6", "2,5,7", "0,2,4,6" };
    hwloc_topology_t topo;

    assert_int_equal (hwloc_topology_init (&topo), 0);
    assert_int_equal (hwloc_topology_set_synthetic (topo, SYNTHETIC), 0);
    assert_int_equal (hwloc_topology_load (topo), 0);
    int depth = hwloc_get_type_depth (topo, HWLOC_OBJ_CORE);
    for (size_t k = 0; k < sizeof (coresets) / sizeof (coresets[0]); k++) {
        hwloc_bitmap_t ids = hwloc_bitmap_alloc ();
        hwloc_obj_t roots[8];
        unsigned nroots = 0;
        int id;
        assert_int_equal (hwloc_bitmap_list_sscanf (ids, coresets[k]), 0);
        hwloc_bitmap_foreach_begin (id, ids)
            roots[nroots++] = hwloc_get_obj_by_depth (topo, depth, (unsigned)id);
        hwloc_bitmap_foreach_end ();
        for (int n = 1; n <= 12; n++) {
            hwloc_cpuset_t sets[12] = { NULL };
            assert_int_equal (hwloc_distrib (topo, roots, nroots, sets, (unsigned)n, depth, 0), 0);
            for (int i = 0; i < n; i++) {
                char *want = NULL;
                assert_true (hwloc_bitmap_list_asprintf (&want, sets[i]) >= 0);
                expect (*state, coresets[k], EDDY_CPUBIND_PER_TASK, i, n, want);
                free (want);
                hwloc_bitmap_free (sets[i]);
            }
        }
        hwloc_bitmap_free (ids);
    }
    hwloc_topology_destroy (topo);
}

static void gpus_per_task_are_shares_of_the_ranks_gpus (void **state)
{
    struct {
        const char *gpus;
        int mode, local, n;
        const char *want;
    } cases[] = {
        { "0-3", EDDY_CPUBIND_ON, 1, 2, "0,1,2,3" },
        { "0-3", EDDY_CPUBIND_PER_TASK, 0, 2, "0,1" },
        { "0-3", EDDY_CPUBIND_PER_TASK, 1, 2, "2,3" },
        { "0-2", EDDY_CPUBIND_PER_TASK, 0, 2, "0" },
        { "0-2", EDDY_CPUBIND_PER_TASK, 1, 2, "1,2" },
        { "4,6", EDDY_CPUBIND_PER_TASK, 1, 2, "6" },
        { "1", EDDY_CPUBIND_PER_TASK, 2, 3, "1" }, /* fewer gpus than tasks: shared */
        { "0-1", EDDY_CPUBIND_PER_TASK, 2, 3, "1" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *got = eddy_cpubind_task_gpus (cases[i].gpus, cases[i].mode, cases[i].local, cases[i].n);
        assert_non_null (got);
        assert_string_equal (got, cases[i].want);
        free (got);
    }
    assert_null (eddy_cpubind_task_gpus ("", EDDY_CPUBIND_ON, 0, 1));
    assert_null (eddy_cpubind_task_gpus ("x", EDDY_CPUBIND_ON, 0, 1));
    assert_null (eddy_cpubind_task_gpus ("0", EDDY_CPUBIND_OFF, 0, 1));
    assert_null (eddy_cpubind_task_gpus ("0", EDDY_CPUBIND_ON, 1, 1));
    (void)state;
}

static void bad_input_is_refused_with_a_message (void **state)
{
    eddy_error_t err = {""};
    errno = 0;
    assert_null (eddy_cpubind_task_cpus (*state, "0-8", EDDY_CPUBIND_ON, 0, 1, &err));
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "the node has 8"));
    err.text[0] = '\0';
    assert_null (eddy_cpubind_task_cpus (*state, "9", EDDY_CPUBIND_ON, 0, 1, &err));
    assert_non_null (strstr (err.text, "core 9 is not in the node's topology"));
    assert_null (eddy_cpubind_task_cpus (*state, "", EDDY_CPUBIND_ON, 0, 1, &err));
    assert_null (eddy_cpubind_task_cpus (*state, "x", EDDY_CPUBIND_ON, 0, 1, &err));
    assert_null (eddy_cpubind_task_cpus (*state, "0", EDDY_CPUBIND_OFF, 0, 1, &err));
    assert_null (eddy_cpubind_task_cpus (*state, "0", EDDY_CPUBIND_ON, 1, 1, &err));
    assert_null (eddy_cpubind_task_cpus (NULL, "0", EDDY_CPUBIND_ON, 0, 1, &err));
    eddy_cpubind_destroy (NULL);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (modes_are_flux_shell_names),
        cmocka_unit_test (a_synthetic_topology_is_not_this_system),
        cmocka_unit_test (on_gives_every_task_all_the_cores),
        cmocka_unit_test (per_task_deals_contiguous_shares),
        cmocka_unit_test (per_task_with_fewer_cores_than_tasks_shares_cores),
        cmocka_unit_test (per_task_is_what_hwloc_distrib_over_the_cores_gives),
        cmocka_unit_test (gpus_per_task_are_shares_of_the_ranks_gpus),
        cmocka_unit_test (bad_input_is_refused_with_a_message),
    };
    return cmocka_run_group_tests (tests, setup, teardown);
}
