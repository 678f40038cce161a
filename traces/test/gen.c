/* Synthetic workloads (traces/gen.h): the model's parameters scaled to a
 * machine, its bounds and errors, determinism, resampling.  The model's
 * statistics are checked against the published parameters by
 * test/integration/t0085-sim-generate.sh, with code of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "traces/gen.h"

static void defaults_scale_with_the_machine (void **state)
{
    struct eddy_lublin m;
    assert_int_equal (eddy_lublin_defaults (&m, 128, true), 0);
    assert_true (fabs (m.batch.uhi - 7.0) < 1e-9);
    assert_true (fabs (m.batch.umed - 4.5) < 1e-9);
    assert_int_equal (eddy_lublin_defaults (&m, 1024, false), 0);
    assert_true (fabs (m.batch.uhi - 10.0) < 1e-9); /* batch: uhi = log2 P */
    assert_true (fabs (m.batch.umed - 8.0) < 1e-9); /* 2 below */
    assert_true (fabs (m.inter.uhi - 8.5) < 1e-9);  /* 1.5 below log2 P */
    assert_true (fabs (m.inter.umed - 6.0) < 1e-9); /* 2.5 below that */
    /* a tiny machine: the bounds never cross ulow */
    assert_int_equal (eddy_lublin_defaults (&m, 2, true), 0);
    assert_true (m.batch.umed >= m.batch.ulow && m.batch.uhi >= m.batch.umed);
    assert_int_equal (eddy_lublin_defaults (&m, 0, true), -1);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (eddy_lublin_defaults (&m, EDDY_SWF_PROCS_MAX + 1LL, true), -1);
}

static void weights_have_mean_one (void **state)
{
    struct eddy_lublin m;
    double w[48], sum = 0;
    eddy_lublin_defaults (&m, 128, true);
    eddy_lublin_weights (&m.batch, w);
    for (int i = 0; i < 48; i++) {
        assert_true (w[i] > 0);
        sum += w[i];
    }
    assert_true (fabs (sum - 48) < 1e-9);
    /* the night is quieter than the afternoon */
    assert_true (w[8] < w[28]);
}

static void jobs_stay_in_bounds_and_order (void **state)
{
    struct eddy_lublin m;
    eddy_rng_t rng;
    eddy_error_t err;
    size_t n = 20000;
    struct eddy_gen_job *j = calloc (n, sizeof (*j));
    assert_non_null (j);
    eddy_lublin_defaults (&m, 100, false);
    m.estimate_factor = 2.5;
    eddy_rng_seed (&rng, 3);
    assert_int_equal (eddy_lublin_generate (&m, &rng, n, j, &err), 0);
    for (size_t i = 0; i < n; i++) {
        assert_true (j[i].procs >= 1 && j[i].procs <= 100);
        assert_true (j[i].run >= 1 && j[i].run <= (int64_t)exp (12.0));
        assert_int_equal (j[i].req, (int64_t)ceil (j[i].run * 2.5));
        assert_true (j[i].queue == 0 || j[i].queue == 1);
        if (i)
            assert_true (j[i].submit >= j[i - 1].submit);
    }
    free (j);
}

static void equal_seeds_equal_workloads (void **state)
{
    struct eddy_lublin m;
    eddy_rng_t a, b;
    struct eddy_gen_job x[500], y[500];
    eddy_lublin_defaults (&m, 64, false);
    eddy_rng_seed (&a, 11);
    eddy_rng_seed (&b, 11);
    assert_int_equal (eddy_lublin_generate (&m, &a, 500, x, NULL), 0);
    assert_int_equal (eddy_lublin_generate (&m, &b, 500, y, NULL), 0);
    assert_memory_equal (x, y, sizeof (x));
    eddy_rng_seed (&b, 12);
    assert_int_equal (eddy_lublin_generate (&m, &b, 500, y, NULL), 0);
    assert_true (memcmp (x, y, sizeof (x)) != 0);
}

static void bad_parameters_are_refused (void **state)
{
    struct eddy_lublin m;
    eddy_rng_t rng;
    eddy_error_t err;
    struct eddy_gen_job j[1];
    eddy_rng_seed (&rng, 1);
    eddy_lublin_defaults (&m, 64, true);
    m.batch.serial = 1.5;
    assert_int_equal (eddy_lublin_generate (&m, &rng, 1, j, &err), -1);
    assert_non_null (strstr (err.text, "probabilities"));
    eddy_lublin_defaults (&m, 64, true);
    m.batch.a2 = 0;
    assert_int_equal (eddy_lublin_generate (&m, &rng, 1, j, &err), -1);
    assert_non_null (strstr (err.text, "gamma"));
    eddy_lublin_defaults (&m, 64, true);
    m.load_factor = 0;
    assert_int_equal (eddy_lublin_generate (&m, &rng, 1, j, &err), -1);
    eddy_lublin_defaults (&m, 64, true);
    m.batch.umed = m.batch.uhi + 1;
    assert_int_equal (eddy_lublin_generate (&m, &rng, 1, j, &err), -1);
    assert_non_null (strstr (err.text, "size bounds"));
}

static void resample_keeps_arrivals_and_draws_jobs (void **state)
{
    struct eddy_swf_job src[3] = {
        { .id = 1, .submit = 100, .run = 10, .procs = 1, .req = 20, .user = 1, .group = 1, .queue = -1 },
        { .id = 2, .submit = 160, .run = 30, .procs = 4, .req = 60, .user = 2, .group = 1, .queue = -1 },
        { .id = 3, .submit = 400, .run = 50, .procs = 2, .req = 50, .user = 3, .group = 2, .queue = -1 },
    };
    struct eddy_gen_job j[7];
    eddy_rng_t rng;
    eddy_error_t err;
    eddy_rng_seed (&rng, 5);
    assert_int_equal (eddy_resample (src, 3, 2.0, &rng, 7, j, &err), 0);
    /* span 300, mean gap 150: the pattern repeats every 450 s, then / 2 */
    double want[7] = { 0, 30, 150, 225, 255, 375, 450 };
    for (int i = 0; i < 7; i++) {
        assert_true (j[i].submit == want[i]);
        bool found = false;
        for (int k = 0; k < 3; k++)
            found |= j[i].run == (int64_t)src[k].run && j[i].procs == src[k].procs
                     && j[i].req == (int64_t)src[k].req && j[i].user == src[k].user;
        assert_true (found);
    }
    assert_int_equal (eddy_resample (src, 0, 1.0, &rng, 1, j, &err), -1);
    assert_int_equal (eddy_resample (src, 3, 0.0, &rng, 1, j, &err), -1);
    assert_int_equal (eddy_resample (src, 3, -1.0, &rng, 1, j, &err), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (defaults_scale_with_the_machine),
        cmocka_unit_test (weights_have_mean_one),
        cmocka_unit_test (jobs_stay_in_bounds_and_order),
        cmocka_unit_test (equal_seeds_equal_workloads),
        cmocka_unit_test (bad_parameters_are_refused),
        cmocka_unit_test (resample_keeps_arrivals_and_draws_jobs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
