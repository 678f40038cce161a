/* bench-rlist.c - R alloc/free cycles on a 16,384-rank R (32 cores per rank):
 * alloc 1 core, alloc 64 cores, alloc 16 nodes exclusive, free all three.
 * Also R decode and encode of the whole machine.  Prints us per operation
 * (median of several runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/rlist.h"

#define NRANKS 16384
#define RUNS 7

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median (double *v, int n)
{
    qsort (v, n, sizeof (v[0]), cmp);
    return v[n / 2];
}

static eddy_rlist_t *machine (void)
{
    eddy_error_t err;
    eddy_rlist_t *rl = eddy_rlist_create ();
    char host[32];
    for (unsigned r = 0; rl && r < NRANKS; r++) {
        snprintf (host, sizeof (host), "node%u", r);
        if (eddy_rlist_add_rank (rl, r, host, "0-31", NULL, &err) < 0) {
            fprintf (stderr, "bench-rlist: %s\n", err.text);
            exit (1);
        }
    }
    return rl;
}

/* One cycle: three allocations then three frees. */
static void cycle (eddy_rlist_t *pool)
{
    eddy_error_t err;
    eddy_rlist_t *a = eddy_rlist_alloc_cores (pool, 1, &err);
    eddy_rlist_t *b = eddy_rlist_alloc_cores (pool, 64, &err);
    eddy_rlist_t *c = eddy_rlist_alloc_nodes (pool, 16, &err);
    if (!a || !b || !c) {
        fprintf (stderr, "bench-rlist: alloc failed: %s\n", err.text);
        exit (1);
    }
    if (eddy_rlist_free (pool, a, &err) < 0 || eddy_rlist_free (pool, b, &err) < 0 ||
        eddy_rlist_free (pool, c, &err) < 0) {
        fprintf (stderr, "bench-rlist: free failed: %s\n", err.text);
        exit (1);
    }
    eddy_rlist_destroy (a);
    eddy_rlist_destroy (b);
    eddy_rlist_destroy (c);
}

static void bench_cycles (eddy_rlist_t *pool, const char *label)
{
    double t[RUNS];
    const int n = 200;
    for (int run = 0; run < RUNS; run++) {
        double t0 = now ();
        for (int i = 0; i < n; i++)
            cycle (pool);
        t[run] = (now () - t0) / n * 1e6;
    }
    printf ("rlist alloc/free cycle (1 core, 64 cores, 16 nodes excl) %s: "
            "%.1f us/cycle (median of %d)\n",
            label, median (t, RUNS), RUNS);
}

int main (void)
{
    eddy_error_t err;
    eddy_rlist_t *pool = machine ();
    double t[RUNS];

    bench_cycles (pool, "16384 ranks x 32 cores, idle");

    /* Busy machine: the first half taken by whole-node jobs, and every
     * second core of the next quarter by single-core jobs, so first-fit
     * must scan past them.
     */
    eddy_rlist_t *half = eddy_rlist_alloc_nodes (pool, NRANKS / 2, &err);
    eddy_rlist_t *frag = eddy_rlist_alloc_cores (pool, NRANKS / 4 * 31, &err);
    if (!half || !frag) {
        fprintf (stderr, "bench-rlist: %s\n", err.text);
        return 1;
    }
    bench_cycles (pool, "16384 ranks, 74% busy");
    eddy_rlist_free (pool, half, &err);
    eddy_rlist_free (pool, frag, &err);
    eddy_rlist_destroy (half);
    eddy_rlist_destroy (frag);

    char *R = eddy_rlist_encode (pool);
    for (int run = 0; run < RUNS; run++) {
        double t0 = now ();
        eddy_rlist_t *rl = eddy_rlist_decode (R, strlen (R), 0, &err);
        t[run] = (now () - t0) * 1e6;
        if (!rl) {
            fprintf (stderr, "bench-rlist: decode: %s\n", err.text);
            return 1;
        }
        eddy_rlist_destroy (rl);
    }
    printf ("rlist decode 16384 ranks (%zu bytes): %.1f us/op (median of %d)\n",
            strlen (R), median (t, RUNS), RUNS);
    for (int run = 0; run < RUNS; run++) {
        double t0 = now ();
        char *s = eddy_rlist_encode (pool);
        t[run] = (now () - t0) * 1e6;
        free (s);
    }
    printf ("rlist encode 16384 ranks: %.1f us/op (median of %d)\n", median (t, RUNS),
            RUNS);
    free (R);
    eddy_rlist_destroy (pool);
    return 0;
}
