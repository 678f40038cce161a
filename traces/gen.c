/* gen.c - synthetic workloads: the Lublin-Feitelson model, trace resampling. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "traces/gen.h"

#define BUCKETS 48
#define BUCKET_S 1800.0
#define DAY_S (BUCKETS * BUCKET_S)
#define CYCLE_SHIFT 11 /* the fitted day runs from bucket 11, wrapping */

/* The whole-sample, batch and interactive parameters of the paper (for
 * P = 128: uhi = 7).  aarr is the paper's value times its ARAR ratio,
 * which turns the rush-hour fit into one for the whole day.
 */
static const struct eddy_lublin_class typeless_128 = {
    .serial = 0.244, .pow2 = 0.576,
    .ulow = 0.8, .umed = 4.5, .uhi = 7.0, .uprob = 0.86,
    .a1 = 4.2, .b1 = 0.94, .a2 = 312.0, .b2 = 0.03, .pa = -0.0054, .pb = 0.78,
    .aarr = 10.2303 * 1.0225, .barr = 0.4871, .anum = 8.1737, .bnum = 3.9631,
};
static const struct eddy_lublin_class batch_128 = {
    .serial = 0.2927, .pow2 = 0.6686,
    .ulow = 1.2, .umed = 5.0, .uhi = 7.0, .uprob = 0.875,
    .a1 = 6.57, .b1 = 0.823, .a2 = 639.1, .b2 = 0.0156, .pa = -0.003, .pb = 0.6986,
    .aarr = 6.0415 * 1.0519, .barr = 0.8531, .anum = 6.1271, .bnum = 5.2740,
};
static const struct eddy_lublin_class inter_128 = {
    .serial = 0.1541, .pow2 = 0.625,
    .ulow = 1.0, .umed = 3.0, .uhi = 5.5, .uprob = 0.705,
    .a1 = 3.8351, .b1 = 0.6605, .a2 = 7.073, .b2 = 0.6856, .pa = -0.0118, .pb = 0.9156,
    .aarr = 6.5510 * 0.9797, .barr = 0.6621, .anum = 8.9186, .bnum = 3.6680,
};

/* Move the class's size bounds to a machine whose log2 size is lp: uhi
 * keeps its distance below log2(128) = 7, umed its distance below uhi.
 */
static void scale_sizes (struct eddy_lublin_class *c, double lp)
{
    double hi_gap = 7.0 - c->uhi, med_gap = c->uhi - c->umed;
    c->uhi = lp - hi_gap;
    if (c->uhi < c->ulow)
        c->uhi = c->ulow;
    c->umed = c->uhi - med_gap;
    if (c->umed < c->ulow)
        c->umed = c->ulow;
}

int eddy_lublin_defaults (struct eddy_lublin *m, int64_t procs, bool typeless)
{
    if (!m || procs < 1 || procs > EDDY_SWF_PROCS_MAX) {
        errno = EINVAL;
        return -1;
    }
    memset (m, 0, sizeof (*m));
    m->procs = procs;
    m->typeless = typeless;
    m->batch = typeless ? typeless_128 : batch_128;
    m->inter = inter_128;
    double lp = log2 ((double)procs);
    scale_sizes (&m->batch, lp);
    scale_sizes (&m->inter, lp);
    m->load_factor = 1.0;
    m->estimate_factor = 1.0;
    m->ln_run_max = 12.0;
    m->ln_arr_max = 13.0;
    return 0;
}

/* The density of gamma(shape a, scale b) at x > 0. */
static double gamma_pdf (double x, double a, double b)
{
    if (x <= 0)
        return 0;
    return exp ((a - 1) * log (x) - x / b - lgamma (a) - a * log (b));
}

/* Its mass over [lo, hi], by Simpson's rule on 200 intervals (the density
 * is smooth there; buckets are one unit wide).
 */
static double gamma_mass (double lo, double hi, double a, double b)
{
    const int n = 200;
    double h = (hi - lo) / n, s = gamma_pdf (lo, a, b) + gamma_pdf (hi, a, b);
    for (int i = 1; i < n; i++)
        s += gamma_pdf (lo + i * h, a, b) * (i % 2 ? 4 : 2);
    return s * h / 3;
}

void eddy_lublin_weights (const struct eddy_lublin_class *c, double w[48])
{
    double sum = 0;
    for (int i = CYCLE_SHIFT; i < BUCKETS + CYCLE_SHIFT; i++) {
        int idx = (i - 1) % BUCKETS;
        w[idx] = gamma_mass (i - 0.5, i + 0.5, c->anum, c->bnum);
        sum += w[idx];
    }
    for (int i = 0; i < BUCKETS; i++)
        w[i] = sum > 0 ? w[i] * BUCKETS / sum : 1.0;
}

/* A standard normal (Marsaglia's polar method). */
static double normal_draw (eddy_rng_t *rng)
{
    double u, v, s;
    do {
        u = 2 * eddy_rng_uniform (rng) - 1;
        v = 2 * eddy_rng_uniform (rng) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * sqrt (-2 * log (s) / s);
}

/* gamma(shape a, scale b): Marsaglia and Tsang's method for a >= 1; for
 * a < 1, a draw of gamma(a + 1) times U^(1/a).
 */
static double gamma_draw (eddy_rng_t *rng, double a, double b)
{
    double boost = 1.0;
    if (a < 1) {
        double u;
        do
            u = eddy_rng_uniform (rng);
        while (u == 0);
        boost = pow (u, 1 / a);
        a += 1;
    }
    double d = a - 1.0 / 3, c = 1 / sqrt (9 * d);
    for (;;) {
        double x = normal_draw (rng), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = eddy_rng_uniform (rng);
        if (u < 1 - 0.0331 * x * x * x * x)
            return d * v * b * boost;
        if (u > 0 && log (u) < 0.5 * x * x + d * (1 - v + log (v)))
            return d * v * b * boost;
    }
}

static int64_t size_draw (const struct eddy_lublin_class *c, eddy_rng_t *rng, int64_t procs)
{
    double u = eddy_rng_uniform (rng);
    if (u < c->serial)
        return 1;
    double lo, hi;
    if (eddy_rng_uniform (rng) < c->uprob)
        lo = c->ulow, hi = c->umed;
    else
        lo = c->umed, hi = c->uhi;
    double par = lo + (hi - lo) * eddy_rng_uniform (rng);
    if (u < c->serial + c->pow2)
        par = floor (par + 0.5);
    int64_t size = (int64_t)floor (pow (2.0, par) + 0.5);
    int64_t max = (int64_t)floor (pow (2.0, c->uhi) + 0.5);
    if (max > procs)
        max = procs;
    if (size > max)
        size = max;
    return size < 1 ? 1 : size;
}

static int64_t run_draw (const struct eddy_lublin *m, const struct eddy_lublin_class *c,
                         eddy_rng_t *rng, int64_t size)
{
    double p = c->pa * (double)size + c->pb, v;
    if (p < 0)
        p = 0;
    else if (p > 1)
        p = 1;
    do {
        if (eddy_rng_uniform (rng) < p)
            v = gamma_draw (rng, c->a1, c->b1);
        else
            v = gamma_draw (rng, c->a2, c->b2);
    } while (v > m->ln_run_max);
    int64_t run = (int64_t)exp (v);
    return run < 1 ? 1 : run;
}

/* One arrival stream: its clock (seconds from time 0) and weights. */
struct stream {
    const struct eddy_lublin_class *c;
    double w[BUCKETS];
    double t;
    double offset; /* start hour, in seconds */
};

/* Advance the stream's clock by one inter-arrival: spend exp(g) / load
 * seconds of rush-hour time at each bucket's weight per second.
 */
static void stream_next (struct stream *s, const struct eddy_lublin *m, eddy_rng_t *rng)
{
    double g;
    do
        g = gamma_draw (rng, s->c->aarr, s->c->barr);
    while (g > m->ln_arr_max);
    double budget = exp (g) / m->load_factor;
    for (;;) {
        double pos = fmod (s->t + s->offset, DAY_S);
        int b = (int)(pos / BUCKET_S);
        if (b >= BUCKETS)
            b = BUCKETS - 1;
        double left = (b + 1) * BUCKET_S - pos;
        if (left <= 0)
            left = BUCKET_S;
        double cost = s->w[b] * left;
        if (s->w[b] > 0 && budget <= cost) {
            s->t += budget / s->w[b];
            return;
        }
        budget -= cost;
        s->t += left;
    }
}

static bool prob_ok (double p)
{
    return p >= 0 && p <= 1;
}

static int check_class (const struct eddy_lublin_class *c, const char *name, eddy_error_t *err)
{
    if (!prob_ok (c->serial) || !prob_ok (c->pow2) || c->serial + c->pow2 > 1 + 1e-12
        || !prob_ok (c->uprob)) {
        eddy_error_set (err, "%s: probabilities must lie in [0, 1] (serial + pow2 <= 1)", name);
        return -1;
    }
    if (!(c->ulow >= 0) || !(c->ulow <= c->umed) || !(c->umed <= c->uhi) || !(c->uhi <= 24)) {
        eddy_error_set (err, "%s: size bounds need 0 <= ulow <= umed <= uhi <= 24", name);
        return -1;
    }
    if (!(c->a1 > 0) || !(c->b1 > 0) || !(c->a2 > 0) || !(c->b2 > 0) || !(c->aarr > 0)
        || !(c->barr > 0) || !(c->anum > 0) || !(c->bnum > 0)) {
        eddy_error_set (err, "%s: gamma parameters must be > 0", name);
        return -1;
    }
    return 0;
}

int eddy_lublin_generate (const struct eddy_lublin *m, eddy_rng_t *rng, size_t n,
                          struct eddy_gen_job *out, eddy_error_t *err)
{
    if (!m || !rng || (n && !out)) {
        errno = EINVAL;
        eddy_error_set (err, "invalid arguments");
        return -1;
    }
    if (m->procs < 1 || m->procs > EDDY_SWF_PROCS_MAX || !(m->load_factor > 0)
        || !(m->estimate_factor > 0) || !(m->ln_run_max > 0) || !(m->ln_arr_max > 0)
        || m->start_hour < 0 || m->start_hour > 23) {
        errno = EINVAL;
        eddy_error_set (err, "machine size, factors, bounds or start hour out of range");
        return -1;
    }
    if (check_class (&m->batch, m->typeless ? "model" : "batch", err) < 0
        || (!m->typeless && check_class (&m->inter, "interactive", err) < 0)) {
        errno = EINVAL;
        return -1;
    }
    struct stream st[2] = { { .c = &m->batch }, { .c = &m->inter } };
    int nstreams = m->typeless ? 1 : 2;
    for (int i = 0; i < nstreams; i++) {
        eddy_lublin_weights (st[i].c, st[i].w);
        st[i].offset = m->start_hour * 3600.0;
        stream_next (&st[i], m, rng);
    }
    for (size_t k = 0; k < n; k++) {
        int i = (nstreams == 2 && st[1].t < st[0].t) ? 1 : 0;
        struct eddy_gen_job *j = &out[k];
        j->submit = floor (st[i].t);
        j->procs = size_draw (st[i].c, rng, m->procs);
        j->run = run_draw (m, st[i].c, rng, j->procs);
        double req = ceil ((double)j->run * m->estimate_factor);
        j->req = req > EDDY_SWF_TIME_MAX ? EDDY_SWF_TIME_MAX : (req < 1 ? 1 : (int64_t)req);
        j->user = j->group = -1;
        j->queue = (nstreams == 2 && i == 1) ? 0 : 1;
        stream_next (&st[i], m, rng);
    }
    return 0;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int eddy_resample (const struct eddy_swf_job *src, size_t nsrc, double load_factor,
                   eddy_rng_t *rng, size_t n, struct eddy_gen_job *out, eddy_error_t *err)
{
    if (!src || nsrc == 0 || !rng || (n && !out)) {
        errno = EINVAL;
        eddy_error_set (err, "the trace has no jobs to resample");
        return -1;
    }
    if (!(load_factor > 0) || load_factor > 1e6) {
        errno = EINVAL;
        eddy_error_set (err, "load factor must be > 0 (and at most 1e6)");
        return -1;
    }
    double *t = malloc (nsrc * sizeof (*t));
    if (!t) {
        eddy_error_set (err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < nsrc; i++)
        t[i] = src[i].submit;
    qsort (t, nsrc, sizeof (*t), cmp_double);
    double span = t[nsrc - 1] - t[0];
    double period = span + (nsrc > 1 ? span / (double)(nsrc - 1) : 1.0);
    if (period <= 0)
        period = 1.0;
    for (size_t k = 0; k < n; k++) {
        const struct eddy_swf_job *s = &src[eddy_rng_below (rng, nsrc)];
        double at = (double)(k / nsrc) * period + (t[k % nsrc] - t[0]);
        struct eddy_gen_job *j = &out[k];
        j->submit = floor (at / load_factor);
        j->run = (int64_t)s->run;
        j->procs = s->procs;
        j->req = (int64_t)s->req;
        j->user = s->user;
        j->group = s->group;
        j->queue = s->queue;
    }
    free (t);
    return 0;
}

int eddy_gen_write_swf (FILE *f, const struct eddy_gen_job *jobs, size_t n, int64_t procs,
                        const char *computer, const char *const *notes)
{
    fprintf (f, "; Version: 2.2\n; Computer: %s\n", computer ? computer : "eddy sim generate");
    fprintf (f, "; MaxJobs: %zu\n; MaxRecords: %zu\n", n, n);
    fprintf (f, "; MaxNodes: %lld\n; MaxProcs: %lld\n", (long long)procs, (long long)procs);
    for (size_t i = 0; notes && notes[i]; i++)
        fprintf (f, "; Note: %s\n", notes[i]);
    for (size_t i = 0; i < n; i++) {
        const struct eddy_gen_job *j = &jobs[i];
        /* id submit wait run alloc cpu mem procs req reqmem status user
         * group exe queue partition preceding think */
        fprintf (f, "%zu %.0f -1 %lld %lld -1 -1 %lld %lld -1 1 %lld %lld -1 %lld -1 -1 -1\n", i + 1,
                 j->submit, (long long)j->run, (long long)j->procs, (long long)j->procs,
                 (long long)j->req, (long long)j->user, (long long)j->group, (long long)j->queue);
    }
    if (fflush (f) != 0 || ferror (f))
        return -1;
    return 0;
}
