/* The resource and sched modules over the message path, in both worlds
 * (simulator and libev + ZeroMQ): R from args and from the ranks'
 * attributes, alloc/free/cancel/prioritize/resource-status per
 * docs/protocols.md, the job manager's hello, and, in the simulator at
 * link latency 0, fcfs, easy and conservative schedules equal to the
 * ideal oracle's (sim/ideal.h) start for start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/modules.h"
#include "engine/future.h"
#include "sched/jobspec.h"
#include "sched/rlist.h"
#include "sim/cluster.h"
#include "sim/ideal.h"
#include "test/support/world.h"

#define SIZE 4

static const struct world_ops *current;

struct env {
    struct world *w;
    eddy_handle_t *h; /* the driver, on rank 0: plays job-manager and exec */
};

static int setup (void **state)
{
    struct env *e = calloc (1, sizeof (*e));
    if (!e || !(e->w = current->create (SIZE, 2)) || world_boot (e->w, 30.0) < 0)
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

static void load (struct env *e, const char *name, const char *args)
{
    json_t *a = json_loads (args, 0, NULL);
    assert_non_null (a);
    eddy_future_t *f =
        eddy_rpc_pack (e->h, "module.load", 0, 0, "{s:s s:o}", "name", name, "args", a);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    if (eddy_rpc_get (f, NULL) < 0)
        fail_msg ("module.load %s: %s", name, eddy_future_error_string (f));
    eddy_future_destroy (f);
}

static json_t *jobspec (int ncores, double duration)
{
    char *argv[] = {"true", NULL};
    struct eddy_jobspec_request req = {
        .argc = 1,
        .argv = argv,
        .ntasks = ncores,
        .cores_per_task = 1,
        .duration = duration,
    };
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    assert_non_null (js);
    json_t *o = json_incref (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    return o;
}

static eddy_future_t *alloc (struct env *e,
                             uint64_t id,
                             int priority,
                             double t_submit,
                             int ncores,
                             double duration)
{
    json_t *js = jobspec (ncores, duration);
    eddy_future_t *f = eddy_rpc_pack (
        e->h, "sched.alloc", 0, 0, "{s:I s:i s:i s:f s:o}", "id", (json_int_t)id,
        "priority", priority, "userid", 100, "t_submit", t_submit, "jobspec", js);
    assert_non_null (f);
    return f;
}

/* The alloc answer's type (-1 on error); *ncores = cores in its R. */
static int alloc_type (eddy_future_t *f, size_t *ncores, const char **note)
{
    json_t *R = NULL;
    int type;
    const char *n = NULL;
    if (eddy_rpc_get_unpack (f, "{s:i s?o s?s}", "type", &type, "R", &R, "note", &n) <
        0)
        return -1;
    if (ncores) {
        eddy_rlist_t *rl = R ? eddy_rlist_from_json (R, 0, NULL) : NULL;
        *ncores = eddy_rlist_count (rl, EDDY_RLIST_CORES);
        eddy_rlist_destroy (rl);
    }
    if (note)
        *note = n;
    return type;
}

static void sched_free (struct env *e, uint64_t id)
{
    eddy_future_t *f =
        eddy_rpc_pack (e->h, "sched.free", 0, 0, "{s:I}", "id", (json_int_t)id);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
}

/* One set of sched.resource-status's answer ("allocated", "excluded",
 * ...) as an rlist.
 */
static eddy_rlist_t *status_part (struct env *e, const char *key)
{
    json_t *part;
    eddy_future_t *st = eddy_rpc (e->h, "sched.resource-status", NULL, 0, 0);
    assert_int_equal (world_wait (e->w, st, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (st, "{s:o}", key, &part), 0);
    eddy_rlist_t *rl = eddy_rlist_from_json (part, 0, NULL);
    eddy_future_destroy (st);
    return rl;
}

static void resource_builds_R_from_args (void **state)
{
    struct env *e = *state;
    load (e, "resource", "{\"nodes\": 3, \"cores_per_node\": 4, \"gpus_per_node\": 1}");
    eddy_handle_t *c = eddy_broker_handle_create (e->w->b[SIZE - 1], "client");
    eddy_future_t *f = eddy_rpc (c, "resource.acquire", NULL, EDDY_NODEID_ANY, 0);
    json_t *R;
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:o}", "R", &R), 0);
    eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, NULL);
    assert_non_null (rl);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_NODES), 3);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_CORES), 12);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_GPUS), 3);
    eddy_rlist_destroy (rl);
    eddy_future_destroy (f);
    eddy_handle_destroy (c);
}

static void resource_asks_every_rank (void **state)
{
    struct env *e = *state;
    /* rank 1 has 4 cores and 2 gpus; the others say nothing: 1 core each */
    assert_int_equal (eddy_broker_attr_set (e->w->b[1], "resource.cores", "0-3"), 0);
    assert_int_equal (eddy_broker_attr_set (e->w->b[1], "resource.gpus", "0-1"), 0);
    load (e, "resource", "{}");
    eddy_future_t *f = eddy_rpc (e->h, "resource.acquire", NULL, 0, 0);
    json_t *R;
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:o}", "R", &R), 0);
    eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, NULL);
    assert_non_null (rl);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_RANKS), SIZE);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_CORES), SIZE - 1 + 4);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_GPUS), 2);
    eddy_rlist_destroy (rl);
    eddy_future_destroy (f);
}

/* A rank that vanishes while the resource module asks it for its cores:
 * its broker's parent answers for it once the loss is seen, and R comes
 * without it being asked again and again (it is guessed like rank 0).
 * Before the broker answered for lost ranks, this acquire never came.
 */
static void resource_answers_when_a_rank_vanishes_while_asked (void **state)
{
    struct env *e = *state;
    json_t *R;

    assert_int_equal (e->w->kill (e->w, SIZE - 1), 0);
    load (e, "resource", "{}");
    eddy_future_t *f = eddy_rpc (e->h, "resource.acquire", NULL, 0, 0);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:o}", "R", &R), 0);
    eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, NULL);
    assert_non_null (rl);
    assert_int_equal (eddy_rlist_count (rl, EDDY_RLIST_RANKS), SIZE);
    eddy_rlist_destroy (rl);
    eddy_future_destroy (f);
}

/* 2 nodes x 2 cores.  Jobs 1 (3 cores), 2 (2), 3 (1) arrive together.
 * fcfs: 1 starts; 2 does not fit in 1; 3 waits behind it.  Freeing 1
 * starts 2 and 3.
 */
static void fcfs_allocates_in_queue_order (void **state)
{
    struct env *e = *state;
    size_t n;
    load (e, "resource", "{\"nodes\": 2, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"fcfs\"}");
    eddy_future_t *f1 = alloc (e, 1, 16, 1.0, 3, 100);
    eddy_future_t *f2 = alloc (e, 2, 16, 2.0, 2, 100);
    eddy_future_t *f3 = alloc (e, 3, 16, 3.0, 1, 100);
    assert_int_equal (world_wait (e->w, f1, 10.0), 0);
    assert_int_equal (alloc_type (f1, &n, NULL), 0);
    assert_int_equal (n, 3);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f2));
    assert_false (eddy_future_is_ready (f3));

    /* resource-status: 3 of 4 cores allocated */
    json_t *all, *allocated;
    eddy_future_t *st = eddy_rpc (e->h, "sched.resource-status", NULL, 0, 0);
    assert_int_equal (world_wait (e->w, st, 10.0), 0);
    assert_int_equal (
        eddy_rpc_get_unpack (st, "{s:o s:o}", "all", &all, "allocated", &allocated), 0);
    eddy_rlist_t *a = eddy_rlist_from_json (all, 0, NULL);
    eddy_rlist_t *b = eddy_rlist_from_json (allocated, 0, NULL);
    assert_int_equal (eddy_rlist_count (a, EDDY_RLIST_CORES), 4);
    assert_int_equal (eddy_rlist_count (b, EDDY_RLIST_CORES), 3);
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (b);
    eddy_future_destroy (st);

    sched_free (e, 1);
    assert_int_equal (world_wait (e->w, f2, 10.0), 0);
    assert_int_equal (world_wait (e->w, f3, 10.0), 0);
    assert_int_equal (alloc_type (f2, &n, NULL), 0);
    assert_int_equal (n, 2);
    assert_int_equal (alloc_type (f3, &n, NULL), 0);
    assert_int_equal (n, 1);
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
    eddy_future_destroy (f3);
}

/* The scheduler keeps its running jobs in predicted-end order (a pass
 * neither copies nor sorts them): jobs started in one pass with ends in
 * another order, and jobs started since the last pass, are all found when
 * freed, in an order that is neither, and every core comes back.
 */
static void running_jobs_are_freed_in_any_order (void **state)
{
    struct env *e = *state;
    static const double dur[] = { 80, 10, 70, 20, 60, 30, 50, 40 };
    static const int order[] = { 3, 8, 1, 5 };
    eddy_future_t *f[11];
    size_t n;

    load (e, "resource", "{\"nodes\": 2, \"cores_per_node\": 4}");
    load (e, "sched", "{\"policy\": \"easy\"}");
    for (int i = 1; i <= 8; i++)
        f[i] = alloc (e, (uint64_t)i, 16, (double)i, 1, dur[i - 1]);
    for (int i = 1; i <= 8; i++) {
        assert_int_equal (world_wait (e->w, f[i], 10.0), 0);
        assert_int_equal (alloc_type (f[i], &n, NULL), 0);
        assert_int_equal (n, 1);
    }
    for (int k = 0; k < 4; k++)
        sched_free (e, (uint64_t)order[k]);
    /* two more start in a later pass; one is freed at once, before any
     * other pass could settle it among the others */
    f[9] = alloc (e, 9, 16, 9.0, 2, 5);
    f[10] = alloc (e, 10, 16, 10.0, 1, 500);
    assert_int_equal (world_wait (e->w, f[9], 10.0), 0);
    assert_int_equal (world_wait (e->w, f[10], 10.0), 0);
    assert_int_equal (alloc_type (f[9], &n, NULL), 0);
    assert_int_equal (alloc_type (f[10], &n, NULL), 0);
    sched_free (e, 10);
    static const int rest[] = { 2, 9, 7, 4, 6 };
    for (int k = 0; k < 5; k++)
        sched_free (e, (uint64_t)rest[k]);

    eddy_rlist_t *b = status_part (e, "allocated");
    assert_int_equal (eddy_rlist_count (b, EDDY_RLIST_CORES), 0);
    eddy_rlist_destroy (b);
    for (int i = 1; i <= 10; i++)
        eddy_future_destroy (f[i]);
}

static void exclude (struct env *e, const char *ranks)
{
    eddy_future_t *f =
        eddy_rpc_pack (e->h, "sched.exclude", 0, 0, "{s:s}", "exclude", ranks);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    if (eddy_rpc_get (f, NULL) < 0)
        fail_msg ("sched.exclude %s: %s", ranks, eddy_future_error_string (f));
    eddy_future_destroy (f);
}

/* The ranks of an allocation, as an idset string (malloc'd). */
static char *alloc_ranks (eddy_future_t *f)
{
    json_t *R;
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:o}", "R", &R), 0);
    eddy_rlist_t *rl = eddy_rlist_from_json (R, 0, NULL);
    char *s = eddy_rlist_ranks (rl);
    eddy_rlist_destroy (rl);
    return s;
}

/* 3 nodes x 2 cores.  Job 1 holds them all when rank 0 is excluded: it
 * runs on, and what it frees on rank 0 stays out of the pool; job 2 (4
 * cores) gets ranks 1-2, job 3 (1 core) waits until the exclude is
 * lifted, then runs on rank 0.  resource-status names the excluded part.
 */
static void excluded_ranks_are_never_scheduled (void **state)
{
    struct env *e = *state;
    size_t n;
    char *ranks;
    load (e, "resource", "{\"nodes\": 3, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"fcfs\"}");
    eddy_future_t *f1 = alloc (e, 1, 16, 1.0, 6, 100);
    assert_int_equal (world_wait (e->w, f1, 10.0), 0);
    assert_int_equal (alloc_type (f1, &n, NULL), 0);
    assert_int_equal (n, 6);
    exclude (e, "0");

    eddy_rlist_t *x = status_part (e, "excluded");
    assert_int_equal (eddy_rlist_count (x, EDDY_RLIST_CORES), 2);
    ranks = eddy_rlist_ranks (x);
    assert_string_equal (ranks, "0");
    free (ranks);
    eddy_rlist_destroy (x);

    sched_free (e, 1);
    eddy_future_t *f2 = alloc (e, 2, 16, 2.0, 4, 100);
    eddy_future_t *f3 = alloc (e, 3, 16, 3.0, 1, 100);
    assert_int_equal (world_wait (e->w, f2, 10.0), 0);
    ranks = alloc_ranks (f2);
    assert_string_equal (ranks, "1-2");
    free (ranks);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f3));

    exclude (e, "");
    assert_int_equal (world_wait (e->w, f3, 10.0), 0);
    ranks = alloc_ranks (f3);
    assert_string_equal (ranks, "0");
    free (ranks);

    /* a malformed exclude is refused */
    eddy_future_t *bad =
        eddy_rpc_pack (e->h, "sched.exclude", 0, 0, "{s:s}", "exclude", "x-");
    assert_int_equal (world_wait (e->w, bad, 10.0), 0);
    assert_int_equal (eddy_rpc_get (bad, NULL), -1);
    assert_int_equal (errno, EINVAL);
    eddy_future_destroy (bad);
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
    eddy_future_destroy (f3);
}

/* easy with time limits, 4 cores: 1 (3 cores, 100 s) runs; the head 2
 * needs all 4, so its shadow time is 1's end and extra = 1 + 3 - 4 = 0.
 * 3 (1 core, 500 s) would delay 2 and waits; 4 (1 core, 50 s) ends
 * before the shadow time and backfills at once.  When 1 ends, 2 still
 * waits for 4; then 2 runs, and 3 after it.
 */
static void easy_backfills_over_messages (void **state)
{
    struct env *e = *state;
    size_t n;
    load (e, "resource", "{\"nodes\": 2, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"easy\"}");
    eddy_future_t *f1 = alloc (e, 1, 16, 1.0, 3, 100);
    assert_int_equal (world_wait (e->w, f1, 10.0), 0);
    eddy_future_t *f2 = alloc (e, 2, 16, 2.0, 4, 100);
    eddy_future_t *f3 = alloc (e, 3, 16, 3.0, 1, 500);
    eddy_future_t *f4 = alloc (e, 4, 16, 4.0, 1, 50);
    assert_int_equal (world_wait (e->w, f4, 10.0), 0);
    assert_int_equal (alloc_type (f4, &n, NULL), 0);
    assert_int_equal (n, 1);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f2));
    assert_false (eddy_future_is_ready (f3));
    sched_free (e, 1);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f2));
    assert_false (eddy_future_is_ready (f3));
    sched_free (e, 4);
    assert_int_equal (world_wait (e->w, f2, 10.0), 0);
    assert_int_equal (alloc_type (f2, &n, NULL), 0);
    assert_int_equal (n, 4);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f3));
    sched_free (e, 2);
    assert_int_equal (world_wait (e->w, f3, 10.0), 0);
    assert_int_equal (alloc_type (f3, NULL, NULL), 0);
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
    eddy_future_destroy (f3);
    eddy_future_destroy (f4);
}

static void impossible_requests_are_denied_with_sizes (void **state)
{
    struct env *e = *state;
    const char *note = NULL;
    load (e, "resource", "{\"nodes\": 2, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"easy\"}");
    eddy_future_t *f = alloc (e, 7, 16, 1.0, 5, 0);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (alloc_type (f, NULL, &note), 2);
    assert_non_null (note);
    assert_non_null (strstr (note, "5 slots"));
    assert_non_null (strstr (note, "4 cores"));
    eddy_future_destroy (f);

    /* a malformed request is an error, not a decision */
    f = eddy_rpc_pack (e->h, "sched.alloc", 0, 0, "{s:s}", "id", "x");
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, EPROTO);
    eddy_future_destroy (f);

    /* a jobspec that cannot be read is denied */
    f = eddy_rpc_pack (e->h, "sched.alloc", 0, 0, "{s:i s:i s:{s:i}}", "id", 8,
                       "priority", 1, "jobspec", "version", 99);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (alloc_type (f, NULL, &note), 2);
    assert_non_null (strstr (note, "jobspec"));
    eddy_future_destroy (f);

    /* freeing what is not allocated */
    f = eddy_rpc_pack (e->h, "sched.free", 0, 0, "{s:i}", "id", 42);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), -1);
    assert_int_equal (errno, ENOENT);
    eddy_future_destroy (f);
}

static void cancel_answers_the_alloc_and_duplicates_are_refused (void **state)
{
    struct env *e = *state;
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 2}");
    load (e, "sched", "{}");
    eddy_future_t *f1 = alloc (e, 1, 16, 1.0, 2, 0);
    assert_int_equal (world_wait (e->w, f1, 10.0), 0);
    eddy_future_t *f2 = alloc (e, 2, 16, 2.0, 2, 0);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f2));

    eddy_future_t *dup = alloc (e, 2, 16, 2.0, 1, 0);
    assert_int_equal (world_wait (e->w, dup, 10.0), 0);
    assert_int_equal (eddy_rpc_get (dup, NULL), -1);
    assert_int_equal (errno, EEXIST);
    eddy_future_destroy (dup);

    /* a running job's id too */
    dup = alloc (e, 1, 16, 1.0, 1, 0);
    assert_int_equal (world_wait (e->w, dup, 10.0), 0);
    assert_int_equal (eddy_rpc_get (dup, NULL), -1);
    assert_int_equal (errno, EEXIST);
    eddy_future_destroy (dup);

    eddy_future_destroy (
        eddy_rpc_pack (e->h, "sched.cancel", 0, EDDY_RPC_NORESPONSE, "{s:i}", "id", 2));
    assert_int_equal (world_wait (e->w, f2, 10.0), 0);
    assert_int_equal (alloc_type (f2, NULL, NULL), 3);
    /* a cancelled job's id is the scheduler's no more: asked again, it
     * queues (behind job 1, which holds both cores) */
    eddy_future_destroy (f2);
    f2 = alloc (e, 2, 16, 2.0, 2, 0);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f2));
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
}

static void prioritize_reorders_the_queue (void **state)
{
    struct env *e = *state;
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"fcfs\"}");
    eddy_future_t *f1 = alloc (e, 1, 16, 1.0, 2, 0);
    assert_int_equal (world_wait (e->w, f1, 10.0), 0);
    /* 2 is older, 3 has higher priority: 3 first */
    eddy_future_t *f2 = alloc (e, 2, 16, 2.0, 2, 0);
    eddy_future_t *f3 = alloc (e, 3, 20, 3.0, 2, 0);
    world_run_for (e->w, 0.1);
    /* now raise 2 above 3 */
    eddy_future_destroy (eddy_rpc_pack (e->h, "sched.prioritize", 0,
                                        EDDY_RPC_NORESPONSE, "{s:[[i,i]]}", "jobs", 2,
                                        31));
    world_run_for (e->w, 0.1);
    sched_free (e, 1);
    assert_int_equal (world_wait (e->w, f2, 10.0), 0);
    assert_int_equal (alloc_type (f2, NULL, NULL), 0);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f3));
    sched_free (e, 2);
    assert_int_equal (world_wait (e->w, f3, 10.0), 0);
    assert_int_equal (alloc_type (f3, NULL, NULL), 0);
    eddy_future_destroy (f1);
    eddy_future_destroy (f2);
    eddy_future_destroy (f3);
}

static void sched_waits_for_a_late_resource_module (void **state)
{
    struct env *e = *state;
    load (e, "sched", "{\"policy\": \"easy\"}");
    eddy_future_t *f = alloc (e, 1, 16, 1.0, 1, 0);
    eddy_future_t *st = eddy_rpc (e->h, "sched.resource-status", NULL, 0, 0);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f));
    assert_false (eddy_future_is_ready (st));
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 1}");
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (alloc_type (f, NULL, NULL), 0);
    /* the status request waited for R too */
    assert_int_equal (world_wait (e->w, st, 10.0), 0);
    assert_int_equal (eddy_rpc_get (st, NULL), 0);
    eddy_future_destroy (st);
    eddy_future_destroy (f);
}

static void bad_module_args_are_refused (void **state)
{
    struct env *e = *state;
    const char *bad[][2] = {
        {"sched", "{\"policy\": \"sjf\"}"},
        {"sched", "{\"policy\": 3}"},
        {"sched", "{\"R\": {\"version\": 2}}"},
        {"resource", "{\"nodes\": -1}"},
        {"resource", "{\"nodes\": 2, \"cores_per_node\": 0}"},
        {"resource", "{\"nodes\": 1048577}"}, /* EDDY_RESOURCE_NODES_MAX + 1 */
        {"resource", "{\"nodes\": 1, \"cores_per_node\": 65537}"},
        {"resource", "{\"R\": {\"version\": 1, \"execution\": {\"R_lite\": 5}}}"},
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        json_t *a = json_loads (bad[i][1], 0, NULL);
        assert_non_null (a);
        eddy_future_t *f = eddy_rpc_pack (e->h, "module.load", 0, 0, "{s:s s:o}",
                                          "name", bad[i][0], "args", a);
        assert_int_equal (world_wait (e->w, f, 10.0), 0);
        if (eddy_rpc_get (f, NULL) == 0)
            fail_msg ("%s %s was accepted", bad[i][0], bad[i][1]);
        eddy_future_destroy (f);
    }
    /* and good ones still load afterwards */
    load (e, "resource", "{\"nodes\": 1, \"cores_per_node\": 1}");
    load (e, "sched", "{\"policy\": \"conservative\"}");
}

/* A stand-in job manager that reports job 99 running on rank 0's cores. */
static void
hello_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    json_t *R =
        json_loads ("{\"version\": 1, \"execution\": {\"R_lite\": [{\"rank\": \"0\", "
                    "\"children\": {\"core\": \"0-1\"}}]}}",
                    0, NULL);
    eddy_respond_pack (h, msg, "{s:[{s:i s:o}]}", "running", "id", 99, "R", R);
}

static void hello_learns_the_running_jobs (void **state)
{
    struct env *e = *state;
    eddy_handle_t *jm = eddy_broker_handle_create (e->w->b[0], "job-manager");
    eddy_msg_handler_t *mh = eddy_msg_handler_create (
        jm, EDDY_MSGTYPE_REQUEST, "job-manager.sched-hello", hello_cb, NULL);
    assert_int_equal (eddy_service_register (jm, "job-manager"), 0);
    world_run_for (e->w, 0.01);
    load (e, "resource", "{\"nodes\": 2, \"cores_per_node\": 2}");
    load (e, "sched", "{\"policy\": \"easy\"}");
    /* rank 0's 2 cores belong to job 99: a 3-core job must wait for it */
    eddy_future_t *f = alloc (e, 1, 16, 1.0, 3, 0);
    eddy_future_t *g = alloc (e, 2, 16, 2.0, 2, 0);
    world_run_for (e->w, 0.1);
    assert_false (eddy_future_is_ready (f));
    /* easy: nothing holds a limit, so 2 backfills onto rank 1 */
    assert_true (eddy_future_is_ready (g));
    sched_free (e, 2);
    sched_free (e, 99);
    assert_int_equal (world_wait (e->w, f, 10.0), 0);
    assert_int_equal (alloc_type (f, NULL, NULL), 0);
    eddy_future_destroy (f);
    eddy_future_destroy (g);
    eddy_msg_handler_destroy (mh);
    eddy_handle_destroy (jm);
}

/* ---- the message path equals the oracle (simulator, latency 0) ---- */

struct replay {
    eddy_sim_cluster_t *c;
    eddy_handle_t *h;
    const struct eddy_ideal_job *jobs;
    size_t n;
    double t0;
    double *start;
    eddy_watcher_t **timers;
    eddy_future_t **futures;
    size_t done;
};

struct jobref {
    struct replay *rp;
    size_t i;
};

static void end_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobref *ref = arg;
    struct replay *rp = ref->rp;
    eddy_future_destroy (eddy_rpc_pack (rp->h, "sched.free", 0, EDDY_RPC_NORESPONSE,
                                        "{s:I}", "id",
                                        (json_int_t)rp->jobs[ref->i].id));
    rp->done++;
}

static void alloc_continuation (eddy_future_t *f, void *arg)
{
    struct jobref *ref = arg;
    struct replay *rp = ref->rp;
    eddy_reactor_t *r = eddy_sim_cluster_reactor (rp->c);
    int type = -1;
    assert_int_equal (eddy_rpc_get_unpack (f, "{s:i}", "type", &type), 0);
    assert_int_equal (type, 0);
    rp->start[ref->i] = eddy_reactor_now (r) - rp->t0;
    /* the job runs for its run time (exec's part) */
    eddy_watcher_destroy (rp->timers[ref->i]);
    rp->timers[ref->i] = eddy_timer_create (r, rp->jobs[ref->i].run, 0, end_cb, ref);
    eddy_watcher_start (rp->timers[ref->i]);
}

static void submit_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobref *ref = arg;
    struct replay *rp = ref->rp;
    const struct eddy_ideal_job *j = &rp->jobs[ref->i];
    json_t *js = jobspec (j->procs, j->req);
    /* job-manager's priority is the same for all: the queue is (t_submit, id) */
    rp->futures[ref->i] = eddy_rpc_pack (
        rp->h, "sched.alloc", 0, 0, "{s:I s:i s:i s:f s:o}", "id", (json_int_t)j->id,
        "priority", 16, "userid", 1, "t_submit", j->submit, "jobspec", js);
    assert_non_null (rp->futures[ref->i]);
    assert_int_equal (
        eddy_future_then (rp->futures[ref->i], -1, alloc_continuation, ref), 0);
}

static void replay_matches_oracle (const char *policy,
                                   int nodes,
                                   int cores,
                                   const struct eddy_ideal_job *jobs,
                                   size_t n)
{
    struct eddy_sim_cluster_params p = {
        .size = 2,
        .fanout = 2,
        .latency = 0,
        .seed = 1,
        .modules = eddy_builtin_modules,
    };
    struct replay rp = {.jobs = jobs, .n = n};
    struct jobref *refs = calloc (n, sizeof (*refs));
    struct eddy_ideal_result *res = calloc (n, sizeof (*res));
    eddy_error_t err;
    char args[128];

    rp.start = calloc (n, sizeof (double));
    rp.timers = calloc (n, sizeof (*rp.timers));
    rp.futures = calloc (n, sizeof (*rp.futures));
    assert_true (refs && res && rp.start && rp.timers && rp.futures);
    assert_int_equal (
        eddy_ideal_run (policy, (int64_t)nodes * cores, jobs, n, 0, res, NULL, &err),
        0);

    assert_non_null (rp.c = eddy_sim_cluster_create (&p, &err));
    assert_int_equal (eddy_sim_cluster_boot (rp.c, 30), 0);
    eddy_reactor_t *r = eddy_sim_cluster_reactor (rp.c);
    rp.h = eddy_broker_handle_create (eddy_sim_cluster_broker (rp.c, 0), "driver");
    snprintf (args, sizeof (args), "{\"nodes\": %d, \"cores_per_node\": %d}", nodes,
              cores);
    json_t *a = json_loads (args, 0, NULL);
    eddy_future_t *f = eddy_rpc_pack (rp.h, "module.load", 0, 0, "{s:s s:o}", "name",
                                      "resource", "args", a);
    assert_int_equal (eddy_sim_cluster_run_until_ready (rp.c, f, 10), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);
    snprintf (args, sizeof (args), "{\"policy\": \"%s\"}", policy);
    f = eddy_rpc_pack (rp.h, "module.load", 0, 0, "{s:s s:o}", "name", "sched", "args",
                       json_loads (args, 0, NULL));
    assert_int_equal (eddy_sim_cluster_run_until_ready (rp.c, f, 10), 0);
    assert_int_equal (eddy_rpc_get (f, NULL), 0);
    eddy_future_destroy (f);

    /* with latency 0 the whole boot happens at time 0: submit times are
     * exact offsets from here */
    rp.t0 = eddy_reactor_now (r);
    assert_true (rp.t0 == 0);
    for (size_t i = 0; i < n; i++) {
        refs[i] = (struct jobref){&rp, i};
        rp.timers[i] =
            eddy_timer_create (r, jobs[i].submit - rp.t0, 0, submit_cb, &refs[i]);
        eddy_watcher_start (rp.timers[i]);
    }
    while (rp.done < n) {
        if (eddy_reactor_run (r, EDDY_RUN_ONCE) < 0)
            break;
    }
    assert_int_equal (rp.done, n);
    for (size_t i = 0; i < n; i++) {
        if (rp.start[i] != res[i].start)
            fail_msg ("%s: job %lld started at %g through sched, %g in the oracle",
                      policy, (long long)jobs[i].id, rp.start[i], res[i].start);
    }
    for (size_t i = 0; i < n; i++) {
        eddy_watcher_destroy (rp.timers[i]);
        eddy_future_destroy (rp.futures[i]);
    }
    eddy_handle_destroy (rp.h);
    eddy_sim_cluster_destroy (rp.c);
    free (rp.start);
    free (rp.timers);
    free (rp.futures);
    free (refs);
    free (res);
}

/* A small pseudo-random trace (fixed LCG) with integer times, ties, zero
 * run times, runs past their limit and jobs of every size up to P.
 */
static struct eddy_ideal_job *random_trace (size_t n, int P, uint64_t seed)
{
    struct eddy_ideal_job *jobs = calloc (n, sizeof (*jobs));
    uint64_t x = seed;
    double t = 0;
    assert_non_null (jobs);
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = x >> 33;
        t += r % 4 == 0 ? 0 : r % 7;
        jobs[i].id = (int64_t)i + 1;
        jobs[i].submit = t;
        jobs[i].procs = 1 + (r >> 3) % P;
        jobs[i].run = (r >> 10) % 5 == 0 ? 0 : (r >> 13) % 40;
        jobs[i].req = jobs[i].run + (r >> 19) % 20;
        if ((r >> 24) % 6 == 0 && jobs[i].run > 2)
            jobs[i].req = jobs[i].run / 2; /* underestimated */
        if (jobs[i].req < 1)
            jobs[i].req = 1; /* a 0 limit means "unlimited" in a jobspec */
    }
    return jobs;
}

static void message_path_schedule_equals_the_oracle (void **state)
{
    static const struct eddy_ideal_job backfill[] = {
        {1, 0, 10, 2, 10},
        {2, 1, 10, 4, 10},
        {3, 2, 5, 2, 5},
        {4, 3, 20, 2, 20},
    };
    const char *policies[] = {"fcfs", "easy", "conservative"};
    for (int p = 0; p < 3; p++) {
        replay_matches_oracle (policies[p], 2, 2, backfill, 4);
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct eddy_ideal_job *jobs = random_trace (300, 16, seed);
            replay_matches_oracle (policies[p], 4, 4, jobs, 300);
            free (jobs);
        }
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (resource_builds_R_from_args, setup, teardown),
    cmocka_unit_test_setup_teardown (resource_asks_every_rank, setup, teardown),
    cmocka_unit_test_setup_teardown (resource_answers_when_a_rank_vanishes_while_asked, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (fcfs_allocates_in_queue_order, setup, teardown),
    cmocka_unit_test_setup_teardown (running_jobs_are_freed_in_any_order, setup, teardown),
    cmocka_unit_test_setup_teardown (
        excluded_ranks_are_never_scheduled, setup, teardown),
    cmocka_unit_test_setup_teardown (easy_backfills_over_messages, setup, teardown),
    cmocka_unit_test_setup_teardown (
        impossible_requests_are_denied_with_sizes, setup, teardown),
    cmocka_unit_test_setup_teardown (
        cancel_answers_the_alloc_and_duplicates_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown (prioritize_reorders_the_queue, setup, teardown),
    cmocka_unit_test_setup_teardown (
        sched_waits_for_a_late_resource_module, setup, teardown),
    cmocka_unit_test_setup_teardown (hello_learns_the_running_jobs, setup, teardown),
    cmocka_unit_test_setup_teardown (bad_module_args_are_refused, setup, teardown),
};

int main (void)
{
    int rc = 0;
    const struct world_ops *worlds[] = {&world_sim, &world_real, NULL};
    for (int i = 0; worlds[i]; i++) {
        char name[64];
        current = worlds[i];
        snprintf (name, sizeof (name), "sched-%s", current->name);
        rc += _cmocka_run_group_tests (name, tests, sizeof (tests) / sizeof (tests[0]),
                                       NULL, NULL);
    }
    const struct CMUnitTest sim_only[] = {
        cmocka_unit_test (message_path_schedule_equals_the_oracle),
    };
    rc += cmocka_run_group_tests_name ("sched-oracle", sim_only, NULL, NULL);
    return rc ? 1 : 0;
}
