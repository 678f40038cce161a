/* The ideal replay oracle (sim/ideal.h): small traces whose fcfs and easy
 * schedules are worked out by hand below, then a smoke run over every
 * real trace in ../shared/traces (or $EDDY_TRACES) with sanity checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/ideal.h"
#include "traces/swf.h"

#define J(id, submit, run, procs, req)                                                 \
    {                                                                                  \
        id, submit, run, procs, req                                                    \
    }

static void expect_starts (const char *policy,
                           int64_t procs,
                           const struct eddy_ideal_job *jobs,
                           size_t n,
                           const double *starts)
{
    struct eddy_ideal_result res[n];
    eddy_error_t err;
    if (eddy_ideal_run (policy, procs, jobs, n, 0, res, NULL, &err) < 0)
        fail_msg ("%s: %s", policy, err.text);
    for (size_t i = 0; i < n; i++) {
        if (res[i].start != starts[i])
            fail_msg ("%s: job %lld started at %g, expected %g", policy,
                      (long long)res[i].id, res[i].start, starts[i]);
        assert_true (res[i].end == res[i].start + jobs[i].run);
    }
}

/* P = 4.
 *   1: submit 0, 2 procs, run 10
 *   2: submit 1, 4 procs, run 10
 *   3: submit 2, 2 procs, run 5
 *   4: submit 3, 2 procs, run 20        (req = run for all)
 * fcfs: 1 at 0; 2 waits for the whole machine until 1 ends at 10; 3 and
 *   4 wait behind it and start together when 2 ends at 20.
 * easy: at 2, head 2 has shadow time 10 (1 ends) and extra 2 + 2 - 4 =
 *   0; 3 ends at 7 <= 10: it backfills at 2.  At 3 nothing is free.  At 7
 *   (3 ends) 4 fits the 2 free processors but would end at 27 > 10 and
 *   extra is 0: it must not backfill.  2 starts at 10, 4 at 20.
 */
static const struct eddy_ideal_job backfill[] = {
    J (1, 0, 10, 2, 10),
    J (2, 1, 10, 4, 10),
    J (3, 2, 5, 2, 5),
    J (4, 3, 20, 2, 20),
};

static void a_short_job_backfills_and_a_long_one_does_not (void **state)
{
    const double fcfs[] = {0, 10, 20, 20};
    const double easy[] = {0, 10, 2, 20};
    expect_starts ("fcfs", 4, backfill, 4, fcfs);
    expect_starts ("easy", 4, backfill, 4, easy);
    expect_starts ("conservative", 4, backfill, 4, easy);
}

/* P = 4, everything submitted at 0 (queue order = id).
 *   1: 4 procs, run 0       2: 4 procs, run 0     3: 3 procs, run 5
 *   4: 2 procs, run 0       5: 1 proc, run 3
 * fcfs at 0: pass 1 starts 1 (machine full); 1 ends at 0, a further
 *   round: pass 2 starts 2; round: pass 3 starts 3 (1 left); 4 needs 2:
 *   stop.  At 5 (3 ends) 4 and 5 start.
 * easy at 0: the same rounds; in pass 3 head 4 gets S = 5 (3's end) and
 *   extra 1 + 3 - 2 = 2; 5 ends at 3 <= 5 and fits the 1 free: it starts
 *   at 0.  4 starts at 5.
 */
static const struct eddy_ideal_job zeros[] = {
    J (1, 0, 0, 4, 0), J (2, 0, 0, 4, 0), J (3, 0, 5, 3, 5),
    J (4, 0, 0, 2, 0), J (5, 0, 3, 1, 3),
};

static void zero_run_jobs_end_at_once_and_free_in_a_further_round (void **state)
{
    const double fcfs[] = {0, 0, 0, 5, 5};
    const double easy[] = {0, 0, 0, 5, 0};
    struct eddy_ideal_metrics m;
    eddy_error_t err;
    expect_starts ("fcfs", 4, zeros, 5, fcfs);
    expect_starts ("easy", 4, zeros, 5, easy);
    /* fcfs ran three passes at 0, one at 5 */
    assert_int_equal (eddy_ideal_run ("fcfs", 4, zeros, 5, 0, NULL, &m, &err), 0);
    assert_int_equal (m.passes, 4);
}

/* P = 2.  Ties at one instant: completions free first, then arrivals
 * join, then one pass; queue order is (submit, id), not input order.
 *   1: submit 0, 2 procs, run 10
 *   9: submit 10, 2 procs, run 1       -> starts at 10 (1 just ended)
 *   7: submit 3, 1 proc, run 4
 *   6: submit 3, 1 proc, run 4         -> 6 before 7 (same submit, lower id)
 * fcfs: 1 at 0; at 10: queue 6, 7, 9: 6 and 7 start at 10, 9 waits for
 *   them (14).
 * easy: the same: at 3 nothing is free; at 10 6 and 7 fill the machine.
 */
static const struct eddy_ideal_job ties[] = {
    J (1, 0, 10, 2, 10),
    J (9, 10, 1, 2, 1),
    J (7, 3, 4, 1, 4),
    J (6, 3, 4, 1, 4),
};

static void completions_free_before_arrivals_and_ties_go_by_id (void **state)
{
    const double starts[] = {0, 14, 10, 10};
    expect_starts ("fcfs", 2, ties, 4, starts);
    expect_starts ("easy", 2, ties, 4, starts);
}

/* P = 4.  Predicted ends use req, runs use run.
 *   1: submit 0, 2 procs, run 20, req 10 (overruns its estimate)
 *   2: submit 1, 4 procs, run 5, req 5
 *   3: submit 12, 1 proc, run 1, req 1
 *   4: submit 12, 1 proc, run 100, req 100
 * easy at 12: 1's predicted end is max (0 + 10, 12) = 12 = S for head 2;
 *   extra = 2 + 2 - 4 = 0.  3 needs 12 + 1 > 12: no; 4 neither.  At 20
 *   1 ends: 2 starts (20-25); 3 and 4 at 25.
 * With runs capped at req (EDDY_IDEAL_CAP_RUN), 1 ends at 10 and 2 runs
 *   10-15; 3 and 4 start at their submit time 12?  No: the machine is
 *   full (2 has 4 procs) until 15, so they start at 15.
 */
static const struct eddy_ideal_job overrun[] = {
    J (1, 0, 20, 2, 10),
    J (2, 1, 5, 4, 5),
    J (3, 12, 1, 1, 1),
    J (4, 12, 100, 1, 100),
};

static void an_overrunning_job_is_predicted_to_end_now (void **state)
{
    const double easy[] = {0, 20, 25, 25};
    struct eddy_ideal_result res[4];
    eddy_error_t err;
    expect_starts ("easy", 4, overrun, 4, easy);
    assert_int_equal (
        eddy_ideal_run ("easy", 4, overrun, 4, EDDY_IDEAL_CAP_RUN, res, NULL, &err), 0);
    assert_true (res[0].end == 10 && res[0].run == 10);
    assert_true (res[1].start == 10 && res[2].start == 15 && res[3].start == 15);
}

/* Metrics on a hand-made schedule (the fcfs one of `backfill`):
 * waits 0, 9, 18, 17 -> 11; responses 10, 19, 23, 37 -> 22.25;
 * bounded slowdowns 1, 1.9, 23/10 = 2.3, 37/20 = 1.85 -> 1.7625;
 * makespan 40 - 0 = 40; utilization (20 + 40 + 10 + 40) / (4 x 40).
 */
static void metrics_follow_the_design (void **state)
{
    struct eddy_ideal_metrics m;
    eddy_error_t err;
    assert_int_equal (eddy_ideal_run ("fcfs", 4, backfill, 4, 0, NULL, &m, &err), 0);
    assert_int_equal (m.njobs, 4);
    assert_float_equal (m.avg_wait, 11, 1e-9);
    assert_float_equal (m.max_wait, 18, 1e-9);
    assert_float_equal (m.avg_response, 22.25, 1e-9);
    assert_float_equal (m.avg_bsld, 1.7625, 1e-9);
    assert_float_equal (m.max_bsld, 2.3, 1e-9);
    assert_float_equal (m.makespan, 40, 1e-9);
    assert_float_equal (m.utilization, 110.0 / 160, 1e-9);
}

static void an_swf_trace_replays_after_its_skips (void **state)
{
    /* P = 4 from the header; job 2 is too big, 3 has no processors, 5
     * no run time: fcfs runs 1, 4, 6 as the 1, 3, 4 of `backfill` */
    const char *text = "; MaxProcs: 4\n"
                       "1 0 0 10 2 -1 -1 2 10 -1 1 1 1 -1 1 -1 -1 -1\n"
                       "2 1 0 10 8 -1 -1 8 10 -1 1 1 1 -1 1 -1 -1 -1\n"
                       "3 1 0 10 -1 -1 -1 -1 10 -1 1 1 1 -1 1 -1 -1 -1\n"
                       "4 2 0 5 2 -1 -1 2 5 -1 1 1 1 -1 1 -1 -1 -1\n"
                       "5 2 0 -1 2 -1 -1 2 5 -1 1 1 1 -1 1 -1 -1 -1\n"
                       "6 3 0 20 2 -1 -1 -1 -1 -1 1 1 1 -1 1 -1 -1 -1\n";
    eddy_swf_t *s = eddy_swf_create ();
    eddy_error_t err;
    size_t n;
    assert_int_equal (eddy_swf_feed_text (s, text, strlen (text), &err), 0);
    assert_int_equal (eddy_swf_finish (s, 0, &err), 0);
    const struct eddy_swf_job *sj = eddy_swf_jobs (s, &n);
    assert_int_equal (n, 3);
    struct eddy_ideal_job jobs[3];
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct eddy_ideal_job)J (sj[i].id, sj[i].submit, sj[i].run,
                                            sj[i].procs, sj[i].req);
    /* 1 at 0 (2 procs); 4 at 2 (2 procs, ends 7); 6 at 3?  Machine full
     * until 7: 6 starts at 7 under both policies */
    const double starts[] = {0, 2, 7};
    expect_starts ("fcfs", 4, jobs, 3, starts);
    expect_starts ("easy", 4, jobs, 3, starts);
    eddy_swf_destroy (s);
}

static void bad_jobs_are_refused (void **state)
{
    struct eddy_ideal_job j[] = {J (1, 0, 10, 5, 10)};
    eddy_error_t err;
    errno = 0;
    assert_int_equal (eddy_ideal_run ("easy", 4, j, 1, 0, NULL, NULL, &err), -1);
    assert_int_equal (errno, EINVAL);
    assert_non_null (strstr (err.text, "job 1"));
    j[0].procs = 4;
    j[0].run = -1;
    assert_int_equal (eddy_ideal_run ("easy", 4, j, 1, 0, NULL, NULL, &err), -1);
    j[0].run = 1;
    errno = 0;
    assert_int_equal (eddy_ideal_run ("nope", 4, j, 1, 0, NULL, NULL, &err), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (eddy_ideal_run ("easy", 0, j, 1, 0, NULL, NULL, &err), -1);
    assert_int_equal (eddy_ideal_run ("easy", 4, NULL, 0, 0, NULL, NULL, &err), 0);
}

/* ---- smoke run over the real traces ---- */

static const char *traces_dir (void)
{
    static char buf[4096];
    const char *d = getenv ("EDDY_TRACES");
    if (d)
        return d;
    snprintf (buf, sizeof (buf), "%s/../shared/traces",
              getenv ("EDDY_SRCDIR") ? getenv ("EDDY_SRCDIR") : "..");
    return buf;
}

static eddy_swf_t *load_gz (const char *path)
{
    gzFile f = gzopen (path, "rb");
    eddy_swf_t *s = eddy_swf_create ();
    char line[4096];
    eddy_error_t err;
    assert_non_null (f);
    while (gzgets (f, line, sizeof (line)))
        if (eddy_swf_feed (s, line, strlen (line), &err) < 0)
            fail_msg ("%s: %s", path, err.text);
    gzclose (f);
    if (eddy_swf_finish (s, 0, &err) < 0)
        fail_msg ("%s: %s", path, err.text);
    return s;
}

struct edge {
    double t;
    long delta;
};

static int edge_cmp (const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->delta > y->delta) - (x->delta < y->delta); /* ends before starts */
}

/* No instant uses more than P processors (jobs of length 0 hold theirs
 * only within a round, so they are checked alone), nobody starts before
 * submitting, fcfs starts in queue order.
 */
static void check_schedule (const char *policy,
                            const struct eddy_ideal_job *jobs,
                            const struct eddy_ideal_result *res,
                            size_t n,
                            int64_t P)
{
    struct edge *e = malloc (2 * n * sizeof (*e));
    size_t ne = 0;
    long used = 0;
    assert_non_null (e);
    for (size_t i = 0; i < n; i++) {
        assert_true (res[i].start >= jobs[i].submit);
        assert_true (res[i].end == res[i].start + jobs[i].run);
        if (res[i].end > res[i].start) {
            e[ne++] = (struct edge){res[i].start, res[i].procs};
            e[ne++] = (struct edge){res[i].end, -res[i].procs};
        }
    }
    qsort (e, ne, sizeof (*e), edge_cmp);
    for (size_t i = 0; i < ne; i++) {
        used += e[i].delta;
        assert_true (used >= 0 && used <= P);
    }
    assert_int_equal (used, 0);
    free (e);
    if (!strcmp (policy, "fcfs")) {
        /* queue order is (submit, id); the swf keeps file order, which in
         * these traces is by submit: fcfs starts are non-decreasing along it */
        for (size_t i = 1; i < n; i++)
            if (jobs[i].submit > jobs[i - 1].submit ||
                (jobs[i].submit == jobs[i - 1].submit && jobs[i].id > jobs[i - 1].id))
                assert_true (res[i].start >= res[i - 1].start);
    }
}

static void every_trace_replays_sanely (void **state)
{
    const char *dir = traces_dir ();
    DIR *d = opendir (dir);
    struct dirent *de;
    int ntraces = 0;

    if (!d) {
        print_message ("no traces in %s: skipped\n", dir);
        skip ();
    }
    while ((de = readdir (d))) {
        char path[8192];
        size_t n;
        if (!strstr (de->d_name, ".swf.gz"))
            continue;
        snprintf (path, sizeof (path), "%s/%s", dir, de->d_name);
        eddy_swf_t *s = load_gz (path);
        const struct eddy_swf_job *sj = eddy_swf_jobs (s, &n);
        int64_t P = eddy_swf_procs (s);
        struct eddy_ideal_job *jobs = malloc (n * sizeof (*jobs));
        struct eddy_ideal_result *res = malloc (n * sizeof (*res));
        assert_true (jobs && res);
        for (size_t i = 0; i < n; i++)
            jobs[i] = (struct eddy_ideal_job)J (sj[i].id, sj[i].submit, sj[i].run,
                                                sj[i].procs, sj[i].req);
        /* conservative rebuilds its profile at every pass: only the
         * smaller traces, to keep make check short */
        const char *policies[] = {"fcfs", "easy", n < 100000 ? "conservative" : NULL};
        for (int p = 0; p < 3 && policies[p]; p++) {
            struct eddy_ideal_metrics m;
            eddy_error_t err;
            if (eddy_ideal_run (policies[p], P, jobs, n, 0, res, &m, &err) < 0)
                fail_msg ("%s %s: %s", de->d_name, policies[p], err.text);
            check_schedule (policies[p], jobs, res, n, P);
            assert_true (m.utilization > 0 && m.utilization <= 1.0 + 1e-9);
            print_message (
                "%-32s %-5s P=%-6lld jobs=%-7zu skipped=%zu/%zu/%zu wait=%.0f "
                "bsld=%.2f util=%.3f\n",
                de->d_name, policies[p], (long long)P, n,
                eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_PROCS),
                eddy_swf_skipped (s, EDDY_SWF_SKIP_TOO_BIG),
                eddy_swf_skipped (s, EDDY_SWF_SKIP_NO_RUN), m.avg_wait, m.avg_bsld,
                m.utilization);
        }
        free (jobs);
        free (res);
        eddy_swf_destroy (s);
        ntraces++;
    }
    closedir (d);
    assert_true (ntraces > 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (a_short_job_backfills_and_a_long_one_does_not),
        cmocka_unit_test (zero_run_jobs_end_at_once_and_free_in_a_further_round),
        cmocka_unit_test (completions_free_before_arrivals_and_ties_go_by_id),
        cmocka_unit_test (an_overrunning_job_is_predicted_to_end_now),
        cmocka_unit_test (metrics_follow_the_design),
        cmocka_unit_test (an_swf_trace_replays_after_its_skips),
        cmocka_unit_test (bad_jobs_are_refused),
        cmocka_unit_test (every_trace_replays_sanely),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
