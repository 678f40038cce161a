/* Scheduling policies on counts (sched/policy.h): what fcfs, easy and
 * conservative start in one pass, worked out by hand; how a policy is
 * found, its ops table checked, and its starts guarded.
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

#include "sched/policy_impl.h"

struct starts {
    size_t idx[32];
    size_t n;
    long refuse; /* index the caller cannot place, or -1 */
};

static int record (size_t index, void *arg)
{
    struct starts *s = arg;
    if ((long)index == s->refuse)
        return -1;
    s->idx[s->n++] = index;
    return 0;
}

/* Run one pass; return the started indices in *s. */
static int pass (const char *name,
                 const struct eddy_policy_job *q,
                 size_t nq,
                 const struct eddy_policy_running *r,
                 size_t nr,
                 int free,
                 double now,
                 struct starts *s,
                 long refuse)
{
    eddy_policy_t *p = eddy_policy_create (name, NULL);
    struct eddy_policy_input in = {
        .queue = q,
        .nqueue = nq,
        .running = r,
        .nrunning = nr,
        .free = free,
        .now = now,
    };
    assert_non_null (p);
    memset (s, 0, sizeof (*s));
    s->refuse = refuse;
    int n = eddy_policy_run (p, &in, record, s);
    eddy_policy_destroy (p);
    return n;
}

static void fcfs_stops_at_the_first_job_that_does_not_fit (void **state)
{
    struct eddy_policy_job q[] = {{2, 10}, {3, 10}, {1, 10}};
    struct starts s;
    /* 4 free: 2 starts, 3 does not fit in 2, so 1 waits behind it */
    assert_int_equal (pass ("fcfs", q, 3, NULL, 0, 4, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 0);
    /* 6 free: all three */
    assert_int_equal (pass ("fcfs", q, 3, NULL, 0, 6, 0, &s, -1), 3);
}

static void fcfs_stops_when_the_caller_cannot_place_a_job (void **state)
{
    struct eddy_policy_job q[] = {{1, 10}, {1, 10}, {1, 10}};
    struct starts s;
    assert_int_equal (pass ("fcfs", q, 3, NULL, 0, 4, 0, &s, 1), 1);
    assert_int_equal (s.idx[0], 0);
}

/* 8 processors: 6 run until 100, 2 are free; the head needs 4, so its
 * shadow time is 100 and extra = 2 + 6 - 4 = 4.
 */
static const struct eddy_policy_running busy6[] = {{6, 0, 100, 0}};

static void easy_backfills_a_job_that_ends_before_the_shadow_time (void **state)
{
    struct eddy_policy_job q[] = {{4, 50}, {2, 30}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 2, busy6, 1, 2, 10, &s, -1), 1);
    assert_int_equal (s.idx[0], 1);
    /* fcfs would not */
    assert_int_equal (pass ("fcfs", q, 2, busy6, 1, 2, 10, &s, -1), 0);
}

static void easy_backfills_a_long_job_into_the_extra_processors (void **state)
{
    struct eddy_policy_job q[] = {{4, 50}, {2, 500}};
    struct starts s;
    /* 10 + 500 > 100, but 2 <= extra (4) */
    assert_int_equal (pass ("easy", q, 2, busy6, 1, 2, 10, &s, -1), 1);
    assert_int_equal (s.idx[0], 1);
}

static void easy_never_delays_the_head (void **state)
{
    /* head needs all 8: extra = 0, so a long job must wait while a job
     * that ends by the shadow time may start */
    struct eddy_policy_job q[] = {{8, 50}, {2, 500}, {2, 90}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 3, busy6, 1, 2, 10, &s, -1), 1);
    assert_int_equal (s.idx[0], 2);
}

static void easy_extra_counts_every_job_ending_at_the_shadow_time (void **state)
{
    /* free 2; A and B (2 each) end at 100, C (2) at 200.  The head (4)
     * reaches its processors with A: S = 100.  extra = 2 + 2 + 2 - 4 = 2
     * because B also ends at S.  A long 2-processor job uses that extra;
     * a second one finds extra exhausted and free = 0 anyway.
     */
    struct eddy_policy_running r[] = {{2, 0, 200, 2}, {2, 0, 100, 0}, {2, 0, 100, 1}};
    struct eddy_policy_job q[] = {{4, 10}, {2, 1000}, {2, 1000}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 3, r, 3, 2, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 1);
}

static void easy_extra_is_spent_by_long_backfills (void **state)
{
    /* 4 free, head needs 8 of 10, 6 end at 100: S = 100, extra = 2.
     * Two long 1-processor jobs use the extra; the third long one
     * cannot, though 2 processors are still free; a short one can.
     */
    struct eddy_policy_running r[] = {{6, 0, 100, 0}};
    struct eddy_policy_job q[] = {{8, 10}, {1, 1000}, {1, 1000}, {1, 1000}, {1, 50}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 5, r, 1, 4, 0, &s, -1), 3);
    assert_int_equal (s.idx[0], 1);
    assert_int_equal (s.idx[1], 2);
    assert_int_equal (s.idx[2], 4);
}

static void easy_predicted_end_is_never_before_now (void **state)
{
    /* the running job overran its limit (0 + 5 < now = 10): its predicted
     * end is now, so S = 10 and a job needing 1 s cannot end by S; with
     * extra = 2 + 6 - 8 = 0 it waits.
     */
    struct eddy_policy_running r[] = {{6, 0, 5, 0}};
    struct eddy_policy_job q[] = {{8, 10}, {1, 1}, {1, 0}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 3, r, 1, 2, 10, &s, -1), 1);
    /* a zero-length job still ends by S */
    assert_int_equal (s.idx[0], 2);
}

static void easy_walks_running_jobs_in_predicted_end_order (void **state)
{
    /* unsorted input: ends 300 (4 procs), 100 (2 procs), 200 (2 procs).
     * free 0, head 4: 100 -> 2, 200 -> 4: S = 200, extra 0.  A job of
     * 2 ending by 200 would start if anything were free: make 2 free.
     */
    struct eddy_policy_running r[] = {{4, 0, 300, 0}, {2, 0, 100, 1}, {2, 0, 200, 2}};
    struct eddy_policy_job q[] = {{6, 10}, {2, 250}, {2, 150}};
    struct starts s;
    /* free 2, head 6: 2 + 2 (100) + 2 (200) = 6 -> S = 200, extra 0.
     * 2 for 250 s ends after S -> no; 2 for 150 s -> yes.
     */
    assert_int_equal (pass ("easy", q, 3, r, 3, 2, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 2);
}

/* The heads this pass starts are running jobs for the reservation.
 * 10 free, nothing running.  A (6, req 100) starts; the head H needs 8:
 * A's end at 100 gives 4 + 6 = 10 >= 8, so S = 100 and extra = 10 - 8 = 2.
 * J (4 procs, req 200) neither ends by S nor fits in extra: it waits.
 * Without A in the walk nothing would free processors, S would be
 * infinite and J would start, delaying H to J's end.
 */
static void easy_reservation_counts_heads_started_this_pass (void **state)
{
    struct eddy_policy_job q[] = {{6, 100}, {8, 10}, {4, 200}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 3, NULL, 0, 10, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 0);
}

/* A head started now can end before a job that was already running.
 * R (2 procs) runs until 50; 8 free at 0.  A (6, req 30) starts: 2 free.
 * H needs 8: walking (A at 30, R at 50): 2 + 6 = 8 at 30, so S = 30 and
 * extra = 0.  J (2, req 40) ends at 40 > S: it waits.  A J of req 30
 * ends by S and starts.
 */
static void easy_heads_join_the_walk_in_predicted_end_order (void **state)
{
    struct eddy_policy_running r[] = {{2, 0, 50, 0}};
    struct eddy_policy_job q[] = {{6, 30}, {8, 10}, {2, 40}, {2, 30}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 4, r, 1, 8, 0, &s, -1), 2);
    assert_int_equal (s.idx[0], 0);
    assert_int_equal (s.idx[1], 3);
}

static void easy_skips_a_backfill_the_caller_cannot_place (void **state)
{
    struct eddy_policy_job q[] = {{4, 50}, {1, 30}, {1, 30}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 3, busy6, 1, 2, 10, &s, 1), 1);
    assert_int_equal (s.idx[0], 2);
}

static void easy_head_without_enough_resources_blocks_nothing (void **state)
{
    /* resources are down: 2 free + 2 running < head's 8, so the head has
     * no shadow time and anything that fits may start */
    struct eddy_policy_running r[] = {{2, 0, 100, 0}};
    struct eddy_policy_job q[] = {{8, 10}, {2, INFINITY}};
    struct starts s;
    assert_int_equal (pass ("easy", q, 2, r, 1, 2, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 1);
}

static void conservative_protects_every_reservation (void **state)
{
    /* 10 processors: 6 run until 100, 4 free, now 10.
     * A (8 x 100) reserves [100, 200): profile 4 | 2 | 10.
     * B (10 x 50) reserves [200, 250).
     * C (2 x 1000) at now would hold 2 through [200, 250) where B needs
     * all 10: its reservation is at 250, it does not start.
     * D (2 x 80) fits [10, 90): starts now.
     * EASY (S = 100, extra = 10 - 8 = 2) starts C into the extra and D,
     * which ends by S.
     */
    struct eddy_policy_running r[] = {{6, 0, 100, 0}};
    struct eddy_policy_job q[] = {{8, 100}, {10, 50}, {2, 1000}, {2, 80}};
    struct starts s;
    assert_int_equal (pass ("conservative", q, 4, r, 1, 4, 10, &s, -1), 1);
    assert_int_equal (s.idx[0], 3);
    assert_int_equal (pass ("easy", q, 4, r, 1, 4, 10, &s, -1), 2);
    assert_int_equal (s.idx[0], 2);
    assert_int_equal (s.idx[1], 3);
}

static void conservative_starts_heads_like_fcfs (void **state)
{
    struct eddy_policy_job q[] = {{2, 10}, {3, 10}, {1, 10}};
    struct starts s;
    /* 4 free: 2 starts; 3 reserves at 10; 1 fits [0,10) beside it */
    assert_int_equal (pass ("conservative", q, 3, NULL, 0, 4, 0, &s, -1), 2);
    assert_int_equal (s.idx[0], 0);
    assert_int_equal (s.idx[1], 2);
}

static void conservative_reservation_on_overrun_processors_waits (void **state)
{
    /* 4 processors belong to a job past its limit (predicted end = now):
     * the head's reservation is at now but only 2 are really idle.
     */
    struct eddy_policy_running r[] = {{4, 0, 5, 0}};
    struct eddy_policy_job q[] = {{6, 10}, {2, 100}};
    struct starts s;
    /* the head holds all 6 from now: the 2-processor job must wait */
    assert_int_equal (pass ("conservative", q, 2, r, 1, 2, 10, &s, -1), 0);
}

static void conservative_looks_past_a_job_that_lost_its_hole (void **state)
{
    /* 10 processors: 6 run until 100, 4 free, now 0.
     * A (10 x 50) reserves [100, 150).
     * B (4 x 200) fitted [0, 200) before A's reservation, not after it:
     * it reserves at 150.
     * C (4 x 50) fits [0, 50): starts now.  D (1 x 10) finds none idle.
     */
    struct eddy_policy_running r[] = {{6, 0, 100, 0}};
    struct eddy_policy_job q[] = {{10, 50}, {4, 200}, {4, 50}, {1, 10}};
    struct starts s;
    assert_int_equal (pass ("conservative", q, 4, r, 1, 4, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 2);
}

static void conservative_starts_the_last_job_behind_many_that_cannot (void **state)
{
    /* 10 processors: 6 run until 100, 4 free, now 0.  Twenty 8 x 10 jobs
     * reserve [100, 110), [110, 120), ... and none can start now; the
     * last job, 2 x 100, fits [0, 100) beside all of them.
     */
    struct eddy_policy_running r[] = {{6, 0, 100, 0}};
    struct eddy_policy_job q[21];
    struct starts s;
    for (size_t i = 0; i < 20; i++)
        q[i] = (struct eddy_policy_job){8, 10};
    q[20] = (struct eddy_policy_job){2, 100};
    assert_int_equal (pass ("conservative", q, 21, r, 1, 4, 0, &s, -1), 1);
    assert_int_equal (s.idx[0], 20);
    /* 3 x 101 meets [100, 110), where 2 are left: it does not start */
    q[20] = (struct eddy_policy_job){3, 101};
    assert_int_equal (pass ("conservative", q, 21, r, 1, 4, 0, &s, -1), 0);
}

static void conservative_reserves_jobs_of_one_shape_as_they_fit (void **state)
{
    /* 10 idle, now 0.  Three 4 x 100 in a row: two take [0, 100) and
     * start, leaving 2 there; the third reserves [100, 200).  2 x 50 fits
     * the 2 left at now and starts; 2 x 200 finds none.
     */
    struct eddy_policy_job q[] = {{4, 100}, {4, 100}, {4, 100}, {2, 50}, {2, 200}};
    struct starts s;
    assert_int_equal (pass ("conservative", q, 5, NULL, 0, 10, 0, &s, -1), 3);
    assert_int_equal (s.idx[0], 0);
    assert_int_equal (s.idx[1], 1);
    assert_int_equal (s.idx[2], 3);
}

static void conservative_run_of_one_shape_starts_while_idle_lasts (void **state)
{
    /* 4 processors belong to a job past its limit (released now in the
     * profile), 6 are idle, now 10.  Four 2 x 50 in a row all reserve at
     * now (the profile has 10); three start, the fourth finds no idle
     * processor and stays reserved, so 2 x 10 after them has none left.
     */
    struct eddy_policy_running r[] = {{4, 0, 5, 0}};
    struct eddy_policy_job q[] = {{2, 50}, {2, 50}, {2, 50}, {2, 50}, {2, 10}};
    struct starts s;
    assert_int_equal (pass ("conservative", q, 5, r, 1, 6, 10, &s, -1), 3);
    assert_int_equal (s.idx[0], 0);
    assert_int_equal (s.idx[1], 1);
    assert_int_equal (s.idx[2], 2);
}

static void bad_input_is_refused (void **state)
{
    eddy_policy_t *p = eddy_policy_create ("easy", NULL);
    struct eddy_policy_job q[] = {{0, 10}};
    struct eddy_policy_input in = {.queue = q, .nqueue = 1, .free = 1};

    assert_non_null (p);
    errno = 0;
    assert_int_equal (eddy_policy_run (p, &in, NULL, NULL), -1);
    assert_int_equal (errno, EINVAL);
    q[0].procs = 1;
    in.free = -1;
    assert_int_equal (eddy_policy_run (p, &in, NULL, NULL), -1);
    in.free = 1;
    in.queue = NULL;
    assert_int_equal (eddy_policy_run (p, &in, NULL, NULL), -1);
    in.queue = q;
    q[0].req = NAN;
    assert_int_equal (eddy_policy_run (p, &in, NULL, NULL), -1);
    q[0].req = 1;
    assert_int_equal (eddy_policy_run (p, &in, NULL, NULL), 1);
    assert_int_equal (eddy_policy_run (NULL, &in, NULL, NULL), -1);
    eddy_policy_destroy (p);
    eddy_policy_destroy (NULL);
}

static void policies_are_found_by_name (void **state)
{
    const char *names[] = {"fcfs", "easy", "conservative"};
    eddy_error_t err;

    for (size_t i = 0; i < 3; i++) {
        eddy_policy_t *p = eddy_policy_create (names[i], &err);
        assert_non_null (p);
        assert_string_equal (eddy_policy_name (p), names[i]);
        eddy_policy_destroy (p);
    }
    errno = 0;
    assert_null (eddy_policy_create ("sjf", &err));
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "unknown policy 'sjf'"));
    errno = 0;
    assert_null (eddy_policy_create (NULL, &err));
    assert_int_equal (errno, EINVAL);
    assert_null (eddy_policy_create ("", NULL));
}

static void a_path_or_a_so_name_is_a_plugin (void **state)
{
    eddy_error_t err;

    assert_true (eddy_policy_is_plugin ("./sjf.so"));
    assert_true (eddy_policy_is_plugin ("/opt/eddy/sjf"));
    assert_true (eddy_policy_is_plugin ("sjf.so"));
    assert_false (eddy_policy_is_plugin ("sjf"));
    assert_false (eddy_policy_is_plugin (".so"));
    assert_false (eddy_policy_is_plugin ("easy"));
    assert_false (eddy_policy_is_plugin (NULL));
    errno = 0;
    assert_null (eddy_policy_create ("/nonexistent/eddy-test-sjf.so", &err));
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err.text, "cannot load policy plugin"));
    assert_non_null (strstr (err.text, "/nonexistent/eddy-test-sjf.so"));
}

/* ---- tables of the tests' own, through the path plugins take ---- */

/* Starts what the test says, in that order, then returns its count. */
struct script {
    size_t idx[8];
    size_t n;
    int results[8]; /* what each start returned */
};

static int script_run (void *state,
                       const struct eddy_policy_input *in,
                       eddy_policy_start_f start,
                       void *arg)
{
    struct script *sc = state;
    int started = 0;

    for (size_t i = 0; i < sc->n; i++)
        if ((sc->results[i] = start (sc->idx[i], arg)) == 0)
            started++;
    return started;
}

static struct script the_script; /* one test at a time; not library code */

static void *script_create (void)
{
    return &the_script;
}

static const struct eddy_policy_ops script_ops = {
    .abi_version = EDDY_POLICY_ABI_VERSION,
    .name = "script",
    .create = script_create,
    .run = script_run,
};

static int script_pass (const size_t *idx, size_t n, int free, struct starts *s)
{
    struct eddy_policy_job q[] = {{2, 10}, {1, 5}, {3, 1}};
    struct eddy_policy_input in = {.queue = q, .nqueue = 3, .free = free};
    eddy_policy_t *p = policy_create_from (&script_ops, NULL, "test", NULL);
    int rc;

    assert_non_null (p);
    memcpy (the_script.idx, idx, n * sizeof (*idx));
    the_script.n = n;
    memset (s, 0, sizeof (*s));
    s->refuse = -1;
    errno = 0;
    rc = eddy_policy_run (p, &in, record, s);
    eddy_policy_destroy (p);
    return rc;
}

static void a_policy_may_start_jobs_in_any_order (void **state)
{
    struct starts s;
    size_t order[] = {2, 1, 0};

    assert_int_equal (script_pass (order, 3, 6, &s), 3);
    assert_int_equal (s.n, 3);
    assert_int_equal (s.idx[0], 2);
    assert_int_equal (s.idx[1], 1);
    assert_int_equal (s.idx[2], 0);
}

static void the_guard_refuses_what_no_correct_policy_asks (void **state)
{
    struct starts s;
    size_t twice[] = {1, 1};
    size_t beyond[] = {0, 2};
    size_t out_of_range[] = {3};

    /* the second start of job 1 is refused and the pass fails */
    assert_int_equal (script_pass (twice, 2, 6, &s), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (the_script.results[0], 0);
    assert_int_equal (the_script.results[1], -1);
    assert_int_equal (s.n, 1); /* the caller saw one start */
    /* 2 + 3 processors on 4 free: the second never reaches the caller */
    assert_int_equal (script_pass (beyond, 2, 4, &s), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (s.n, 1);
    assert_int_equal (s.idx[0], 0);
    assert_int_equal (script_pass (out_of_range, 1, 6, &s), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (s.n, 0);
}

static void the_guard_forgets_starts_between_passes (void **state)
{
    struct eddy_policy_job q[] = {{1, 10}};
    struct eddy_policy_input in = {.queue = q, .nqueue = 1, .free = 1};
    eddy_policy_t *p = policy_create_from (&script_ops, NULL, "test", NULL);
    struct starts s = {.refuse = -1};

    assert_non_null (p);
    the_script.idx[0] = 0;
    the_script.n = 1;
    for (int i = 0; i < 3; i++)
        assert_int_equal (eddy_policy_run (p, &in, record, &s), 1);
    assert_int_equal (s.n, 3);
    eddy_policy_destroy (p);
}

static void tables_are_checked_abi_version_first (void **state)
{
    struct eddy_policy_ops ops = script_ops;
    eddy_error_t err;

    ops.abi_version = EDDY_POLICY_ABI_VERSION + 1;
    ops.run = NULL; /* a table of another version is not read further */
    errno = 0;
    assert_null (policy_create_from (&ops, NULL, "plugin ./x.so", &err));
    assert_int_equal (errno, EINVAL);
    char want[100];
    snprintf (want, sizeof (want),
              "plugin ./x.so was built for policy ABI %d, eddy has %d",
              EDDY_POLICY_ABI_VERSION + 1, EDDY_POLICY_ABI_VERSION);
    assert_string_equal (err.text, want);

    ops.abi_version = EDDY_POLICY_ABI_VERSION;
    assert_null (policy_create_from (&ops, NULL, "plugin ./x.so", &err));
    assert_string_equal (err.text, "plugin ./x.so: its ops table has no run function");
    ops.run = script_run;
    ops.name = "";
    assert_null (policy_create_from (&ops, NULL, "plugin ./x.so", &err));
    assert_string_equal (err.text, "plugin ./x.so: its ops table has no name");
}

static void *create_fails (void)
{
    errno = EMFILE;
    return NULL;
}

static void a_failing_create_is_reported (void **state)
{
    struct eddy_policy_ops ops = script_ops;
    eddy_error_t err;

    ops.create = create_fails;
    errno = 0;
    assert_null (policy_create_from (&ops, NULL, "plugin ./x.so", &err));
    assert_int_equal (errno, EMFILE);
    assert_non_null (strstr (err.text, "plugin ./x.so: create failed: "));
}

/* ---- pools: a tiny fake machine where counts and shapes disagree ----
 *
 * Two nodes of 4 cores; node 1 also has 1 GPU.  A job asks for nnodes
 * nodes, each with `cores` cores and `gpus` GPUs, or whole (exclusive)
 * nodes; placement is first fit in node order, as rlist does.
 */
#define FNODES 2
static const int fcap_cores[FNODES] = {4, 4};
static const int fcap_gpus[FNODES] = {0, 1};

struct fshape {
    int nnodes, cores, gpus;
    bool exclusive;
};

struct fuse { /* what a job holds on each node */
    int cores[FNODES], gpus[FNODES];
};

struct fpool {
    struct fake *f;
    int cores[FNODES], gpus[FNODES];
};

struct fake {
    const struct fshape *shape; /* per queued job */
    const struct fuse *running; /* per running job */
    struct fpool free;
    struct fuse given[8]; /* per queued job, once started */
    size_t idx[8];
    bool within[8];
    size_t n;
};

static bool fplace (const struct fpool *p, const struct fshape *sh, struct fuse *u)
{
    int got = 0;

    memset (u, 0, sizeof (*u));
    for (int k = 0; k < FNODES && got < sh->nnodes; k++) {
        bool idle = p->cores[k] == fcap_cores[k] && p->gpus[k] == fcap_gpus[k];
        if (sh->exclusive ? !idle : (p->cores[k] < sh->cores || p->gpus[k] < sh->gpus))
            continue;
        u->cores[k] = sh->exclusive ? p->cores[k] : sh->cores;
        u->gpus[k] = sh->exclusive ? p->gpus[k] : sh->gpus;
        got++;
    }
    return got == sh->nnodes;
}

static void fpool_sub (struct fpool *p, const struct fuse *u)
{
    for (int k = 0; k < FNODES; k++) {
        p->cores[k] -= u->cores[k];
        p->gpus[k] -= u->gpus[k];
    }
}

static void fpool_add (struct fpool *p, const struct fuse *u)
{
    for (int k = 0; k < FNODES; k++) {
        p->cores[k] += u->cores[k];
        p->gpus[k] += u->gpus[k];
    }
}

static void *fcopy (const void *pool)
{
    struct fpool *c = malloc (sizeof (*c));
    assert_non_null (c);
    *c = *(const struct fpool *)pool;
    return c;
}

static void *fcopy_free (void *ctx)
{
    return fcopy (&((struct fake *)ctx)->free);
}

static bool ffits (const void *pool, size_t i)
{
    const struct fpool *p = pool;
    struct fuse u;
    return fplace (p, &p->f->shape[i], &u);
}

static int ftake (void *pool, size_t i)
{
    struct fpool *p = pool;
    struct fuse u;
    if (!fplace (p, &p->f->shape[i], &u))
        return -1;
    fpool_sub (p, &u);
    return 0;
}

static int ftake_started (void *pool, size_t i)
{
    struct fpool *p = pool;
    struct fuse u = p->f->given[i];
    for (int k = 0; k < FNODES; k++) { /* only the part that is in pool */
        if (u.cores[k] > p->cores[k])
            u.cores[k] = p->cores[k];
        if (u.gpus[k] > p->gpus[k])
            u.gpus[k] = p->gpus[k];
    }
    fpool_sub (p, &u);
    return 0;
}

static int frelease_running (void *pool, size_t i)
{
    struct fpool *p = pool;
    fpool_add (p, &p->f->running[i]);
    return 0;
}

static int frelease_started (void *pool, size_t i)
{
    struct fpool *p = pool;
    fpool_add (p, &p->f->given[i]);
    return 0;
}

static int fstart_in (struct fake *f, size_t i, const struct fpool *within)
{
    struct fpool avail = f->free;
    struct fuse u;

    for (int k = 0; within && k < FNODES; k++) {
        avail.cores[k] = avail.cores[k] < within->cores[k] ? avail.cores[k] : within->cores[k];
        avail.gpus[k] = avail.gpus[k] < within->gpus[k] ? avail.gpus[k] : within->gpus[k];
    }
    if (!fplace (&avail, &f->shape[i], &u))
        return -1;
    fpool_sub (&f->free, &u);
    f->given[i] = u;
    f->within[f->n] = within != NULL;
    f->idx[f->n++] = i;
    return 0;
}

static int fstart_within (void *ctx, size_t i, const void *within)
{
    return fstart_in (ctx, i, within);
}

static int fstart (size_t i, void *arg)
{
    return fstart_in (arg, i, NULL);
}

static void fdestroy (void *pool)
{
    free (pool);
}

/* Cores of a node are alike here, so a pool's share of a node is its
 * counts: the intersection takes the smaller, the difference what is left.
 */
static int fintersect (void *pool, const void *other)
{
    struct fpool *p = pool;
    const struct fpool *o = other;
    for (int k = 0; k < FNODES; k++) {
        p->cores[k] = p->cores[k] < o->cores[k] ? p->cores[k] : o->cores[k];
        p->gpus[k] = p->gpus[k] < o->gpus[k] ? p->gpus[k] : o->gpus[k];
    }
    return 0;
}

static int fsubtract (void *pool, const void *other)
{
    struct fpool *p = pool;
    struct fpool both = *p;
    fintersect (&both, other);
    for (int k = 0; k < FNODES; k++) {
        p->cores[k] -= both.cores[k];
        p->gpus[k] -= both.gpus[k];
    }
    return 0;
}

static const struct eddy_policy_pool_ops fake_ops = {
    .copy_free = fcopy_free,
    .copy = fcopy,
    .fits = ffits,
    .take = ftake,
    .take_started = ftake_started,
    .release_running = frelease_running,
    .release_started = frelease_started,
    .start_within = fstart_within,
    .destroy = fdestroy,
    .intersect = fintersect,
    .subtract = fsubtract,
};

/* One pass of policy name on the fake machine at now 0; procs of queued
 * and running jobs are their total cores, free the idle cores.
 */
static int fake_run (const char *name,
                     struct fake *f,
                     const struct eddy_policy_job *q,
                     size_t nq,
                     const struct eddy_policy_running *r,
                     size_t nr)
{
    eddy_error_t err;
    eddy_policy_t *p = eddy_policy_create (name, &err);
    int free = 0;

    assert_non_null (p);
    for (int k = 0; k < FNODES; k++) {
        f->free.cores[k] = fcap_cores[k];
        f->free.gpus[k] = fcap_gpus[k];
    }
    f->free.f = f;
    for (size_t i = 0; i < nr; i++)
        fpool_sub (&f->free, &f->running[i]);
    for (int k = 0; k < FNODES; k++)
        free += f->free.cores[k];
    struct eddy_policy_input in = {.queue = q, .nqueue = nq, .running = r, .nrunning = nr,
                                   .free = free, .now = 0, .pool_ops = &fake_ops,
                                   .pool_ctx = f};
    int rc = eddy_policy_run (p, &in, fstart, f);
    eddy_policy_destroy (p);
    return rc;
}

static int fake_pass (struct fake *f,
                      const struct eddy_policy_job *q,
                      size_t nq,
                      const struct eddy_policy_running *r,
                      size_t nr)
{
    return fake_run ("easy", f, q, nq, r, nr);
}

/* Running: B holds 1 core of node 0 until 50, A 1 core of node 1 until
 * 100.  The head H wants a whole node.  Counts see 6 free cores >= 4 and
 * would call S = now; in fact no node is idle until B ends: S = 50, on
 * node 0.  J1 (req 40) ends by S: it starts.  J2 (2 cores, req 80) fits
 * now on node 0 (first fit), but node 0 is H's at 50; E = node 1's 3
 * cores and GPU, so J2 starts within E, on node 1.
 */
static void easy_pool_whole_node_head_and_a_backfill_off_its_node (void **state)
{
    static const struct fuse run[] = {{{1, 0}, {0, 0}}, {{0, 1}, {0, 0}}};
    static const struct eddy_policy_running r[] = {{1, 0, 50, 0}, {1, 0, 100, 1}};
    static const struct fshape shape[] = {{1, 0, 0, true}, {1, 1, 0, false}, {1, 2, 0, false}};
    static const struct eddy_policy_job q[] = {{4, 1000}, {1, 40}, {2, 80}};
    struct fake f = {.shape = shape, .running = run};

    assert_int_equal (fake_pass (&f, q, 3, r, 2), 2);
    assert_int_equal (f.idx[0], 1); /* J1, by the shadow time, anywhere */
    assert_false (f.within[0]);
    assert_int_equal (f.given[1].cores[0], 1);
    assert_int_equal (f.idx[1], 2); /* J2, by extra, not on node 0 */
    assert_true (f.within[1]);
    assert_int_equal (f.given[2].cores[0], 0);
    assert_int_equal (f.given[2].cores[1], 2);
}

/* Node 0 is busy until 30 (C, 4 cores), node 1 holds G (1 core + the
 * GPU) until 100.  The head H wants 1 core and a GPU: counts see 3 free
 * cores and would call S = now, extra 2; the GPU frees only at 100, so
 * S = 100.  J (3 cores on one node, req 50) ends by S and starts on
 * node 1, which counts (extra 2 < 3) would have refused; then no core is
 * free and K (1 core, req 200) waits.
 */
static void easy_pool_gpu_head_shadow_is_when_the_gpu_frees (void **state)
{
    static const struct fuse run[] = {{{4, 0}, {0, 0}}, {{0, 1}, {0, 1}}};
    static const struct eddy_policy_running r[] = {{4, 0, 30, 0}, {1, 0, 100, 1}};
    static const struct fshape shape[] = {{1, 1, 1, false}, {1, 3, 0, false}, {1, 1, 0, false}};
    static const struct eddy_policy_job q[] = {{1, 1000}, {3, 50}, {1, 200}};
    struct fake f = {.shape = shape, .running = run};

    assert_int_equal (fake_pass (&f, q, 3, r, 2), 1);
    assert_int_equal (f.idx[0], 1);
    assert_false (f.within[0]);
    assert_int_equal (f.given[1].cores[1], 3);
}

/* The same head on counts alone (no pool): S = now, extra 2, and J is
 * refused while K starts: what the pool corrects.
 */
static void easy_counts_misjudge_the_gpu_head (void **state)
{
    static const struct eddy_policy_running r[] = {{4, 0, 30, 0}, {1, 0, 100, 1}};
    static const struct eddy_policy_job q[] = {{1, 1000}, {3, 50}, {1, 200}};
    struct starts s; /* the caller cannot place the head (refuse 0) */

    assert_int_equal (pass ("easy", q, 3, r, 2, 3, 0, &s, 0), 1);
    assert_int_equal (s.idx[0], 2);
}

/* Conservative on pools.  B holds 1 core of node 0 until 50, A 1 core of
 * node 1 until 100; (node 0 cores, node 1 cores) free:
 *   profile   0: (3, 3)   50: (4, 3)   100: (4, 4)
 * H (whole node, req 100): no node is idle at 0; at 50 node 0 is, and
 *   stays free through [50, 150): H reserves node 0 at 50 (counts, with
 *   6 free >= 4, reserve it at 0).
 *   profile   0: (3, 3)   50: (0, 3)   100: (0, 4)   150: (4, 4)
 * J1 (2 cores, req 80): first fit at 0 is node 0, but [0, 80) holds 50,
 *   where node 0 is H's: the intersection (0, 3) places it on node 1.
 *   It starts now, within that placement.
 *   profile   0: (3, 1)   50: (0, 1)   80: (0, 3)   100: (0, 4)
 *             150: (4, 4)
 * J2 (1 core, req 1000): (3, 1) ^ (0, 1) ^ ... ^ (4, 4) = (0, 1): the
 *   last core of node 1, from 0: starts now.
 *   profile   0: (3, 0)   50: (0, 0)   80: (0, 2)   100: (0, 3)
 *             150: (4, 3)  1000: (4, 4)
 * J3 (1 core, req 1000) would fit node 0 now, for 50 s only; 50 has
 *   nothing for it, 80 has node 1 throughout: reserved at 80, it waits.
 */
static const struct fuse cons_run[] = {{{1, 0}, {0, 0}}, {{0, 1}, {0, 0}}};
static const struct eddy_policy_running cons_r[] = {{1, 0, 50, 0}, {1, 0, 100, 1}};
static const struct eddy_policy_job cons_q[] = {
    {4, 100}, {2, 80}, {1, 1000}, {1, 1000}};

static void conservative_pool_whole_node_waits_for_an_idle_node (void **state)
{
    static const struct fshape shape[] = {
        {1, 0, 0, true}, {1, 2, 0, false}, {1, 1, 0, false}, {1, 1, 0, false}};
    struct fake f = {.shape = shape, .running = cons_run};

    assert_int_equal (fake_run ("conservative", &f, cons_q, 4, cons_r, 2), 2);
    assert_int_equal (f.idx[0], 1);
    assert_int_equal (f.idx[1], 2);
    assert_true (f.within[0] && f.within[1]); /* where they were reserved */
}

static void conservative_pool_backfills_only_off_the_reserved_node (void **state)
{
    static const struct fshape shape[] = {
        {1, 0, 0, true}, {1, 2, 0, false}, {1, 1, 0, false}, {1, 1, 0, false}};
    struct fake f = {.shape = shape, .running = cons_run};

    assert_int_equal (fake_run ("conservative", &f, cons_q, 4, cons_r, 2), 2);
    assert_int_equal (f.given[1].cores[0], 0); /* J1: not on node 0 */
    assert_int_equal (f.given[1].cores[1], 2);
    assert_int_equal (f.given[2].cores[0], 0); /* J2: not on node 0 */
    assert_int_equal (f.given[2].cores[1], 1);
    assert_int_equal (f.free.cores[0], 3); /* node 0 kept for H and J3 */
}

/* The same queue on counts: 6 free, ends 50 (+1) and 100 (+1):
 * profile 0: 6  50: 7  100: 8.  H (4) reserves [0, 100): 2 | 3 | 8, and
 * the caller cannot place it (refuse 0).  J1 (2 x 80) fits [0, 80) and
 * starts; J2 finds 0 at 0 and waits until 50, J3 until 80.
 */
static void conservative_counts_reserve_the_whole_node_job_too_early (void **state)
{
    struct starts s;

    assert_int_equal (pass ("conservative", cons_q, 4, cons_r, 2, 6, 0, &s, 0), 1);
    assert_int_equal (s.idx[0], 1);
}

/* C holds node 0 (4 cores) until 30, G 1 core and the GPU of node 1
 * until 100; (node 0, node 1 cores, node 1 gpu) free:
 *   profile   0: (0, 3, 0)   30: (4, 3, 0)   100: (4, 4, 1)
 * H (1 core + 1 GPU, req 50): the GPU is free from 100 only: H reserves
 *   node 1 at 100 (counts: 3 free >= 1, at 0).
 *   profile   0: (0, 3, 0)   30: (4, 3, 0)   100: (4, 3, 0)
 *             150: (4, 4, 1)
 * J (3 cores on a node, req 100): node 1 over [0, 100): starts now.
 *   profile   0: (0, 0, 0)   30: (4, 0, 0)   100: (4, 3, 0) ...
 * K (4 cores on a node, req 200): nothing at 0; node 0 from 30: waits.
 * Counts (H reserved at 0 and not placeable) would hold J back to 30.
 */
static void conservative_pool_gpu_job_waits_for_the_gpu_node (void **state)
{
    static const struct fuse run[] = {{{4, 0}, {0, 0}}, {{0, 1}, {0, 1}}};
    static const struct eddy_policy_running r[] = {{4, 0, 30, 0}, {1, 0, 100, 1}};
    static const struct fshape shape[] = {
        {1, 1, 1, false}, {1, 3, 0, false}, {1, 4, 0, false}};
    static const struct eddy_policy_job q[] = {{1, 50}, {3, 100}, {4, 200}};
    struct fake f = {.shape = shape, .running = run};
    struct starts s;

    assert_int_equal (fake_run ("conservative", &f, q, 3, r, 2), 1);
    assert_int_equal (f.idx[0], 1);
    assert_int_equal (f.given[1].cores[1], 3);
    assert_int_equal (pass ("conservative", q, 3, r, 2, 3, 0, &s, 0), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (fcfs_stops_at_the_first_job_that_does_not_fit),
        cmocka_unit_test (fcfs_stops_when_the_caller_cannot_place_a_job),
        cmocka_unit_test (easy_backfills_a_job_that_ends_before_the_shadow_time),
        cmocka_unit_test (easy_backfills_a_long_job_into_the_extra_processors),
        cmocka_unit_test (easy_never_delays_the_head),
        cmocka_unit_test (easy_extra_counts_every_job_ending_at_the_shadow_time),
        cmocka_unit_test (easy_extra_is_spent_by_long_backfills),
        cmocka_unit_test (easy_predicted_end_is_never_before_now),
        cmocka_unit_test (easy_walks_running_jobs_in_predicted_end_order),
        cmocka_unit_test (easy_reservation_counts_heads_started_this_pass),
        cmocka_unit_test (easy_heads_join_the_walk_in_predicted_end_order),
        cmocka_unit_test (easy_skips_a_backfill_the_caller_cannot_place),
        cmocka_unit_test (easy_head_without_enough_resources_blocks_nothing),
        cmocka_unit_test (conservative_protects_every_reservation),
        cmocka_unit_test (conservative_starts_heads_like_fcfs),
        cmocka_unit_test (conservative_reservation_on_overrun_processors_waits),
        cmocka_unit_test (conservative_looks_past_a_job_that_lost_its_hole),
        cmocka_unit_test (conservative_starts_the_last_job_behind_many_that_cannot),
        cmocka_unit_test (conservative_reserves_jobs_of_one_shape_as_they_fit),
        cmocka_unit_test (conservative_run_of_one_shape_starts_while_idle_lasts),
        cmocka_unit_test (bad_input_is_refused),
        cmocka_unit_test (policies_are_found_by_name),
        cmocka_unit_test (a_path_or_a_so_name_is_a_plugin),
        cmocka_unit_test (a_policy_may_start_jobs_in_any_order),
        cmocka_unit_test (the_guard_refuses_what_no_correct_policy_asks),
        cmocka_unit_test (the_guard_forgets_starts_between_passes),
        cmocka_unit_test (tables_are_checked_abi_version_first),
        cmocka_unit_test (a_failing_create_is_reported),
        cmocka_unit_test (easy_pool_whole_node_head_and_a_backfill_off_its_node),
        cmocka_unit_test (easy_pool_gpu_head_shadow_is_when_the_gpu_frees),
        cmocka_unit_test (easy_counts_misjudge_the_gpu_head),
        cmocka_unit_test (conservative_pool_whole_node_waits_for_an_idle_node),
        cmocka_unit_test (conservative_pool_backfills_only_off_the_reserved_node),
        cmocka_unit_test (conservative_counts_reserve_the_whole_node_job_too_early),
        cmocka_unit_test (conservative_pool_gpu_job_waits_for_the_gpu_node),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
