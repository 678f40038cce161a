/* The full stack in the simulator at link latency 0 reproduces the ideal
 * schedule of DESIGN.md exactly: hand-worked scenarios (every start time
 * written out below), then the first jobs of every shared trace compared
 * job by job with the scheduler-only replay (sim/ideal.h), under fcfs and
 * easy: a check of the stack, not of the policies, whose code both run
 * (test/integration/t0020-oracle.sh checks the policies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cmd/modules.h"
#include "sim/ideal.h"
#include "sim/replay.h"
#include "traces/swf.h"

static int replay (const char *policy, uint32_t nodes, uint32_t cpn, const struct eddy_ideal_job *jobs,
                   size_t n, struct eddy_ideal_result *out)
{
    struct eddy_replay_params p = {
        .policy = policy, .nodes = nodes, .cores_per_node = cpn, .fanout = 2, .latency = 0,
        .seed = 1, .modules = eddy_builtin_modules,
    };
    eddy_error_t err;
    int rc = eddy_replay_run (&p, jobs, n, out, NULL, &err);
    if (rc < 0)
        fprintf (stderr, "replay: %s\n", err.text);
    return rc;
}

#define J(id, submit, run, procs, req) { id, submit, run, procs, req }

/* 4 processors (2 nodes x 2 cores).
 * fcfs: 1 starts at 0 (3 procs, runs to 10); 2 needs 2: waits for 1 -> 10;
 * 3 (1 proc) is behind 2, so fcfs starts it at 10 too; 4 arrives at 5,
 * needs 4: after 2 (10..20) and 3 (10..110) end -> 110.
 * easy: 2 is the head at 0: shadow = 10 (1's predicted end), extra = 1 + 3
 * - 2 = 2; 3 (1 proc, req 100 > shadow, but 1 <= extra) backfills at 0.
 * At 5, 4 (4 procs) queues behind 2.  At 10: 2 starts (free 4 - 1 = 3 >= 2);
 * then 4 is head: running 3 (ends 100) and 2 (ends 20): shadow 100, extra 0;
 * nothing else queued.  4 starts when 3 ends at 100 (req 100, run 100).
 */
static const struct eddy_ideal_job backfill[] = {
    J (1, 0, 10, 3, 10), J (2, 0, 10, 2, 10), J (3, 0, 100, 1, 100), J (4, 5, 5, 4, 5),
};

static void backfill_scenario (void **state)
{
    struct eddy_ideal_result out[4];
    double fcfs_start[] = { 0, 10, 10, 110 };
    double easy_start[] = { 0, 10, 0, 100 };

    assert_int_equal (replay ("fcfs", 2, 2, backfill, 4, out), 0);
    for (int i = 0; i < 4; i++)
        assert_true (out[i].start == fcfs_start[i]);
    assert_int_equal (replay ("easy", 2, 2, backfill, 4, out), 0);
    for (int i = 0; i < 4; i++)
        assert_true (out[i].start == easy_start[i]);
}

/* Zero run times and ties, 2 processors.  1 and 2 (submit 0, run 0, 2
 * procs each) start and end at 0, one after the other (each completion is
 * a further round at 0).  3 arrives at 0 too, id order after 2: starts at 0
 * and holds both processors until 7.  4 and 5 (submit 3, 1 proc each)
 * both start at 7.
 */
static const struct eddy_ideal_job zeros[] = {
    J (2, 0, 0, 2, 1), J (1, 0, 0, 2, 1), J (3, 0, 7, 2, 7), J (5, 3, 1, 1, 1), J (4, 3, 1, 1, 1),
};

static void zero_runs_and_ties (void **state)
{
    struct eddy_ideal_result out[5];
    /* input order: ids 2, 1, 3, 5, 4; queue order is (submit, id): 1, 2, 3, 4, 5 */
    double start[] = { 0, 0, 0, 7, 7 };
    assert_int_equal (replay ("fcfs", 1, 2, zeros, 5, out), 0);
    for (int i = 0; i < 5; i++) {
        if (out[i].start != start[i])
            fprintf (stderr, "job %lld: start %g, expected %g\n", (long long)out[i].id,
                     out[i].start, start[i]);
        assert_true (out[i].start == start[i]);
    }
    for (int i = 0; i < 2; i++)
        assert_true (out[i].end == 0);
}

/* A job larger than the machine is refused; the others run. */
static void too_big_is_denied (void **state)
{
    struct eddy_ideal_job jobs[] = { J (1, 0, 5, 9, 5), J (2, 1, 5, 4, 5) };
    struct eddy_ideal_result out[2];
    assert_int_equal (replay ("easy", 2, 2, jobs, 2, out), 0);
    assert_true (out[0].start < 0);
    assert_true (out[1].start == 1);
}

/* Under cap_runtime a job longer than its request is killed at it (a
 * timeout), as in the oracle's EDDY_IDEAL_CAP_RUN; 4 processors (2 nodes x
 * 2 cores), fcfs.  1 (3 procs, run 20, req 10) ends at 10, timed out; 2
 * (2 procs) waits for it: 10..15; 3 (1 proc, run = req = 10) is behind 2
 * and starts at 10 too; at a tie the job completes.  Uncapped, 1 runs to
 * 20 and 2 and 3 start then.
 */
static void capped_jobs_time_out_at_their_request (void **state)
{
    struct eddy_ideal_job jobs[] = { J (1, 0, 20, 3, 10), J (2, 0, 5, 2, 5), J (3, 0, 10, 1, 10) };
    struct eddy_ideal_result out[3], want[3];
    struct eddy_replay_job detail[3];
    struct eddy_replay_stats st;
    struct eddy_replay_params p = {
        .policy = "fcfs", .nodes = 2, .cores_per_node = 2, .fanout = 2, .latency = 0, .seed = 1,
        .modules = eddy_builtin_modules, .cap_runtime = true, .detail = detail,
    };

    assert_int_equal (eddy_replay_run (&p, jobs, 3, out, &st, NULL), 0);
    assert_int_equal (eddy_ideal_run ("fcfs", 4, jobs, 3, EDDY_IDEAL_CAP_RUN, want, NULL, NULL), 0);
    assert_true (st.complete);
    /* the engine's work counters saw the jobs go through the stack */
    assert_true (st.work.msgs > 0 && st.work.commits >= 3 && st.work.hashes > 0);
    assert_true (st.work.hash_bytes >= st.work.hashes);
    for (int i = 0; i < 3; i++)
        assert_true (out[i].start == want[i].start && out[i].end == want[i].end
                     && out[i].run == want[i].run);
    assert_true (out[0].end == 10 && out[0].run == 10 && out[1].start == 10 && out[2].start == 10);
    assert_int_equal (detail[0].status, EDDY_REPLAY_TIMEOUT);
    assert_int_equal (detail[1].status, EDDY_REPLAY_COMPLETED);
    assert_int_equal (detail[2].status, EDDY_REPLAY_COMPLETED);
    /* 3 cores of 2-core nodes span 2 nodes; 1 core, 1 node */
    assert_int_equal (detail[0].nodes, 2);
    assert_true (detail[1].nodes >= 1 && detail[1].nodes <= 2);
    assert_int_equal (detail[2].nodes, 1);

    p.cap_runtime = false;
    assert_int_equal (eddy_replay_run (&p, jobs, 3, out, &st, NULL), 0);
    assert_true (out[0].end == 20 && out[0].run == 20 && out[1].start == 20);
    for (int i = 0; i < 3; i++)
        assert_int_equal (detail[i].status, EDDY_REPLAY_COMPLETED);
}

/* A refused job is DENIED at the time of its refusal, never started. */
static void denied_jobs_say_when (void **state)
{
    struct eddy_ideal_job jobs[] = { J (1, 0, 5, 9, 5), J (2, 1, 5, 4, 5) };
    struct eddy_ideal_result out[2];
    struct eddy_replay_job detail[2];
    struct eddy_replay_params p = {
        .policy = "easy", .nodes = 2, .cores_per_node = 2, .fanout = 2, .latency = 0, .seed = 1,
        .modules = eddy_builtin_modules, .detail = detail,
    };
    assert_int_equal (eddy_replay_run (&p, jobs, 2, out, NULL, NULL), 0);
    assert_int_equal (detail[0].status, EDDY_REPLAY_DENIED);
    assert_true (detail[0].denied == 0 && out[0].start < 0 && detail[0].nodes == 0);
    assert_int_equal (detail[1].status, EDDY_REPLAY_COMPLETED);
    assert_true (detail[1].denied < 0);
}

/* A stop request (a signal handler's flag) ends the replay between two
 * events; what was not reached is reported as such.
 */
static void a_stop_request_ends_the_replay (void **state)
{
    volatile sig_atomic_t stop = 1;
    struct eddy_replay_job detail[2];
    struct eddy_ideal_result out[2];
    struct eddy_replay_stats st;
    struct eddy_replay_params p = {
        .policy = "fcfs", .nodes = 1, .cores_per_node = 2, .fanout = 2, .latency = 0, .seed = 1,
        .modules = eddy_builtin_modules, .stop = &stop, .detail = detail,
    };
    assert_int_equal (eddy_replay_run (&p, backfill, 2, out, &st, NULL), 0);
    assert_false (st.complete);
    for (int i = 0; i < 2; i++)
        assert_true (detail[i].status == EDDY_REPLAY_UNSUBMITTED && out[i].start < 0);
    stop = 0;
    assert_int_equal (eddy_replay_run (&p, backfill, 2, out, &st, NULL), 0);
    assert_true (st.complete);
}

/* The backfill scenario under easy, every submit moved by `shift`, and a
 * job 5 alone at `late` (after the others are done) if late > 0.
 */
static int shifted_backfill (double shift, double late, struct eddy_ideal_result *out,
                             struct eddy_replay_stats *st, eddy_error_t *err)
{
    struct eddy_replay_params p = {
        .policy = "easy", .nodes = 2, .cores_per_node = 2, .fanout = 2, .latency = 0,
        .seed = 1, .modules = eddy_builtin_modules,
    };
    struct eddy_ideal_job jobs[5];
    size_t n = 4;
    for (size_t i = 0; i < 4; i++) {
        jobs[i] = backfill[i];
        jobs[i].submit += shift;
    }
    if (late > 0)
        jobs[n++] = (struct eddy_ideal_job)J (5, shift + late, 10, 4, 10);
    return eddy_replay_run (&p, jobs, n, out, st, err);
}

/* Idle virtual time costs nothing: a trace whose first job comes 31.7 M s
 * in (a slice of CEA Curie) and one with a gap of 15 years replay with
 * the events of the same trace without them, and report trace times.
 */
static void idle_time_costs_no_events (void **state)
{
    struct eddy_ideal_result out[5];
    struct eddy_replay_stats a, b, c, d;
    double easy_start[] = { 0, 10, 0, 100 };
    const double shift = 31700000, gap = 15 * 365 * 86400.0;
    eddy_error_t err;

    assert_int_equal (shifted_backfill (0, 0, out, &a, &err), 0);
    assert_int_equal (shifted_backfill (shift, 0, out, &b, &err), 0);
    for (int i = 0; i < 4; i++)
        assert_true (out[i].start == shift + easy_start[i]);
    assert_true (a.virtual_seconds == 105 && b.virtual_seconds == shift + 105);
    if (b.events != a.events)
        fail_msg ("%llu events starting at %.0f s, %llu at 0", (unsigned long long)b.events,
                  shift, (unsigned long long)a.events);

    assert_int_equal (shifted_backfill (shift, 1000, out, &c, &err), 0);
    assert_int_equal (shifted_backfill (shift, gap, out, &d, &err), 0);
    assert_true (out[4].start == shift + gap && out[4].end == shift + gap + 10);
    if (d.events != c.events)
        fail_msg ("%llu events with a gap of %.0f s, %llu with 1000 s",
                  (unsigned long long)d.events, gap, (unsigned long long)c.events);
}

/* Job ids carry the virtual submit time in milliseconds, below 2^39 (17.4
 * years): a longer span of submit times is refused up front, not replayed
 * with the late jobs denied.  The latest submit an SWF trace may hold
 * replays.
 */
static void a_span_beyond_job_ids_is_refused (void **state)
{
    struct eddy_ideal_result out[5];
    struct eddy_replay_stats st;
    eddy_error_t err;
    assert_int_equal (shifted_backfill (0, EDDY_SWF_SUBMIT_MAX, out, &st, &err), 0);
    assert_true (out[4].start == EDDY_SWF_SUBMIT_MAX);
    assert_int_equal (st.jobs, 5);
    errno = 0;
    assert_int_equal (shifted_backfill (0, 5.6e8, out, NULL, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "span"));
}

/* Read the first `max` jobs of a trace, as the replay command would. */
static struct eddy_ideal_job *trace_head (const char *path, size_t max, size_t *n, int64_t *P,
                                          uint32_t *nodes, uint32_t *cpn)
{
    gzFile gz = gzopen (path, "rb");
    eddy_swf_t *swf = eddy_swf_create ();
    char buf[8192];
    size_t jobs_seen = 0;
    assert_non_null (gz);
    while (jobs_seen < max && gzgets (gz, buf, sizeof (buf))) {
        assert_int_equal (eddy_swf_feed (swf, buf, strlen (buf), NULL), 0);
        if (buf[0] != ';')
            jobs_seen++;
    }
    gzclose (gz);
    /* the machine as eddy sim replay maps it: nodes x cores per node */
    int64_t maxp = eddy_swf_max_procs (swf), maxn = eddy_swf_max_nodes (swf);
    *cpn = (maxn > 0 && maxp >= maxn) ? (uint32_t)(maxp / maxn) : 1;
    *nodes = (uint32_t)((maxp + *cpn - 1) / *cpn);
    *P = (int64_t)*nodes * *cpn;
    assert_int_equal (eddy_swf_finish (swf, *P, NULL), 0);
    const struct eddy_swf_job *sj = eddy_swf_jobs (swf, n);
    struct eddy_ideal_job *jobs = calloc (*n ? *n : 1, sizeof (*jobs));
    for (size_t i = 0; i < *n; i++)
        jobs[i] = (struct eddy_ideal_job){ sj[i].id, sj[i].submit, sj[i].run, (int)sj[i].procs,
                                           sj[i].req };
    eddy_swf_destroy (swf);
    return jobs;
}

static void traces_match_the_oracle (void **state)
{
    const char *dir = getenv ("EDDY_TRACES");
    char path[4096];
    int checked = 0;
    if (!dir) {
        snprintf (path, sizeof (path), "%s/../shared/traces", getenv ("EDDY_SRCDIR") ? getenv ("EDDY_SRCDIR") : "..");
        dir = path;
    }
    DIR *d = opendir (dir);
    if (!d)
        skip ();
    char dirpath[4096];
    snprintf (dirpath, sizeof (dirpath), "%s", dir);
    struct dirent *de;
    while ((de = readdir (d))) {
        if (!strstr (de->d_name, ".swf"))
            continue;
        char file[8192];
        snprintf (file, sizeof (file), "%s/%s", dirpath, de->d_name);
        size_t n;
        int64_t P;
        uint32_t nodes, cpn;
        struct eddy_ideal_job *jobs = trace_head (file, 300, &n, &P, &nodes, &cpn);
        const char *policies[] = { "fcfs", "easy" };
        for (int k = 0; k < 2; k++) {
            struct eddy_ideal_result *a = calloc (n, sizeof (*a)), *b = calloc (n, sizeof (*b));
            assert_int_equal (eddy_ideal_run (policies[k], P, jobs, n, 0, a, NULL, NULL), 0);
            assert_int_equal (replay (policies[k], nodes, cpn, jobs, n, b), 0);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                if (a[i].start != b[i].start || a[i].end != b[i].end) {
                    if (bad++ < 3)
                        fprintf (stderr, "%s %s: job %lld: oracle start %.0f end %.0f, replay %.3f %.3f\n",
                                 de->d_name, policies[k], (long long)a[i].id, a[i].start, a[i].end,
                                 b[i].start, b[i].end);
                }
            }
            assert_int_equal (bad, 0);
            free (a);
            free (b);
        }
        free (jobs);
        checked++;
    }
    closedir (d);
    assert_true (checked > 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (backfill_scenario),
        cmocka_unit_test (zero_runs_and_ties),
        cmocka_unit_test (too_big_is_denied),
        cmocka_unit_test (capped_jobs_time_out_at_their_request),
        cmocka_unit_test (denied_jobs_say_when),
        cmocka_unit_test (a_stop_request_ends_the_replay),
        cmocka_unit_test (idle_time_costs_no_events),
        cmocka_unit_test (a_span_beyond_job_ids_is_refused),
        cmocka_unit_test (traces_match_the_oracle),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
