/* bench-formats-util.c - timing of the engine/util formats at cluster size:
 * idset encode/decode of 16,384 members with holes, hostlist expansion of
 * 16,384 hosts.  Prints the median time per operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/util/hostlist.h"
#include "engine/util/idset.h"

#define RUNS 51

static double now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report (const char *what, double *t)
{
    qsort (t, RUNS, sizeof (*t), cmp_double);
    printf ("%s: %.1f us/op (median of %d)\n", what, t[RUNS / 2], RUNS);
}

/* 16,384 members out of 0..24575: every 3rd id missing. */
static eddy_idset_t *holey_idset (void)
{
    eddy_idset_t *ids = eddy_idset_create ();
    for (unsigned i = 0, n = 0; n < 16384; i++) {
        if (i % 3 != 2) {
            eddy_idset_set (ids, i);
            n++;
        }
    }
    return ids;
}

static size_t expand_all (const eddy_hostlist_t *hl)
{
    struct eddy_hostlist_iter it;
    size_t n = 0, bytes = 0;
    const char *h;
    eddy_hostlist_iter_init (&it, hl);
    while ((h = eddy_hostlist_iter_next (&it))) {
        bytes += strlen (h);
        n++;
    }
    return n + bytes;
}

int main (void)
{
    double t[RUNS];
    eddy_idset_t *ids = holey_idset ();
    char *s = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
    size_t sink = 0;

    for (int r = 0; r < RUNS; r++) {
        double t0 = now_us ();
        char *e = eddy_idset_encode (ids, EDDY_IDSET_RANGE);
        t[r] = now_us () - t0;
        sink += strlen (e);
        free (e);
    }
    report ("idset encode 16384 members with holes", t);
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_us ();
        eddy_idset_t *d = eddy_idset_decode (s, NULL);
        t[r] = now_us () - t0;
        sink += eddy_idset_count (d);
        eddy_idset_destroy (d);
    }
    report ("idset decode 16384 members with holes", t);

    const char *lists[] = {"node[0-16383]", NULL};
    /* the holey list: every 3rd host missing, as a compressed string */
    eddy_hostlist_t *holey = eddy_hostlist_create ();
    for (unsigned i = 0, n = 0; n < 16384; i++) {
        if (i % 3 != 2) {
            char name[32];
            snprintf (name, sizeof (name), "node%u", i);
            eddy_hostlist_append (holey, name);
            n++;
        }
    }
    char *holey_s = eddy_hostlist_encode (holey);
    lists[1] = holey_s;
    const char *labels[] = {"hostlist expand node[0-16383]",
                            "hostlist expand 16384 hosts with holes"};
    for (int k = 0; k < 2; k++) {
        for (int r = 0; r < RUNS; r++) {
            double t0 = now_us ();
            eddy_hostlist_t *hl = eddy_hostlist_decode (lists[k], NULL);
            sink += expand_all (hl);
            t[r] = now_us () - t0;
            eddy_hostlist_destroy (hl);
        }
        report (labels[k], t);
    }
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_us ();
        char *e = eddy_hostlist_encode (holey);
        t[r] = now_us () - t0;
        sink += strlen (e);
        free (e);
    }
    report ("hostlist encode 16384 hosts with holes", t);
    eddy_hostlist_destroy (holey);
    free (holey_s);
    free (s);
    eddy_idset_destroy (ids);
    return sink == 0;
}
