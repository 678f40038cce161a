/* gen.h - synthetic workloads for the simulator: the Lublin-Feitelson
 * model of rigid parallel jobs, and a bootstrap resample of a real trace.
 *
 * Lublin and Feitelson, "The workload on parallel supercomputers: modeling
 * the characteristics of rigid jobs", J. Parallel Distrib. Comput. 63(11),
 * 2003.  The model draws, per job:
 * - its size: serial with probability serial; else log2(size) from a
 *   two-stage uniform (ulow..umed with probability uprob, else
 *   umed..uhi), rounded to an integer (a power of two) with probability
 *   pow2 / (1 - serial); size = round(2^u), at most 2^uhi;
 * - its runtime: ln(runtime) from a hyper-gamma, gamma(a1, b1) with
 *   probability p = pa * size + pb (kept in [0, 1]), else gamma(a2, b2);
 *   draws above ln_run_max are drawn again;
 * - its arrival: a draw g of gamma(aarr, barr) (again above ln_arr_max)
 *   gives exp(g) seconds of "rush-hour time"; the day's 48 half-hour
 *   buckets each have a weight (the mass of gamma(anum, bnum) over
 *   [i - 0.5, i + 0.5] for i = 11..58, bucket (i - 1) mod 48, scaled to a
 *   mean of 1), and the next job arrives when the integral of the weight
 *   over the elapsed time reaches exp(g): busy half hours pass quickly.
 * Batch and interactive jobs are two such streams, merged by arrival time
 * (SWF queue 1 and 0: the format's queue 0 is interactive); the typeless
 * variant is one stream with the model's whole-sample parameters.
 *
 * The model has no user estimates: req = ceil(run * estimate_factor).
 * Every draw comes from the eddy_rng_t given, so a workload is a function
 * of its parameters and seed.
 */
#ifndef EDDY_TRACES_GEN_H
#define EDDY_TRACES_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/error.h"
#include "engine/rng.h"
#include "traces/swf.h"

/* One class (batch, interactive or typeless) of the model. */
struct eddy_lublin_class {
    double serial, pow2;             /* probabilities: serial, power of two */
    double ulow, umed, uhi, uprob;   /* two-stage uniform of log2(size) */
    double a1, b1, a2, b2, pa, pb;   /* hyper-gamma of ln(runtime) */
    double aarr, barr;               /* gamma of ln(inter-arrival), ARAR applied */
    double anum, bnum;               /* gamma of the daily cycle (half-hours) */
};

struct eddy_lublin {
    int64_t procs;                   /* machine size P */
    bool typeless;                   /* one stream, whole-sample parameters */
    struct eddy_lublin_class batch;  /* the only class when typeless */
    struct eddy_lublin_class inter;
    double load_factor;              /* inter-arrivals divided by this (1) */
    double estimate_factor;          /* req = ceil(run * this) (1) */
    double ln_run_max, ln_arr_max;   /* rejection bounds (12, 13) */
    int start_hour;                  /* hour of day at time 0 (0) */
};

/* The published parameters (fitted for P = 128) scaled to a machine of
 * procs processors: uhi = log2(P) and the other size bounds keep their
 * published distance below it (typeless umed = uhi - 2.5; batch umed =
 * uhi - 2; interactive uhi = log2(P) - 1.5, umed 2.5 below that), never
 * below ulow.  -1 EINVAL for procs < 1 or > EDDY_SWF_PROCS_MAX.
 */
int eddy_lublin_defaults (struct eddy_lublin *m, int64_t procs, bool typeless);

/* The 48 normalized bucket weights of a class (mean 1). */
void eddy_lublin_weights (const struct eddy_lublin_class *c, double w[48]);

/* A generated job: SWF fields it fills (the rest are -1). */
struct eddy_gen_job {
    double submit;
    int64_t run;
    int64_t procs;
    int64_t req;
    int64_t user, group, queue;
};

/* n jobs into out (allocated by the caller).  -1 EINVAL + err for bad
 * parameters (probabilities outside [0, 1], non-positive gamma
 * parameters, load or estimate factor <= 0, ulow > uhi).
 */
int eddy_lublin_generate (const struct eddy_lublin *m, eddy_rng_t *rng, size_t n,
                          struct eddy_gen_job *out, eddy_error_t *err);

/* A bootstrap of a trace: n arrivals at the trace's own submit times
 * (relative to its first, divided by load_factor; past the trace's end
 * the sequence repeats, shifted by its span plus its mean gap), each one
 * a job drawn uniformly, with replacement, from the trace (run, procs,
 * req, user, group, queue).  -1 EINVAL + err for an empty trace or a
 * load factor <= 0.
 */
int eddy_resample (const struct eddy_swf_job *src, size_t nsrc, double load_factor,
                   eddy_rng_t *rng, size_t n, struct eddy_gen_job *out, eddy_error_t *err);

/* Write jobs as SWF 2.2 (header lines from `note`, one per line, each
 * prefixed "; Note: "; MaxProcs/MaxNodes = procs).  -1 + errno on a
 * write error.
 */
int eddy_gen_write_swf (FILE *f, const struct eddy_gen_job *jobs, size_t n, int64_t procs,
                        const char *computer, const char *const *notes);

#endif /* !EDDY_TRACES_GEN_H */
