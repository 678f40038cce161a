/* kvs-commit.c - synchronous put+commit from one client of a running
 * instance ($EDDY_URI), for bench-kvs.sh: commits/s into an empty
 * directory, then again into a directory already holding BIG keys.
 *   kvs-commit [COUNT [BIG]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/future.h"
#include "kvs/kvs.h"
#include "transport/local/client.h"

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void commit (eddy_handle_t *h, eddy_kvs_txn_t *txn)
{
    eddy_future_t *f = eddy_kvs_commit (h, NULL, 0, txn);
    if (!f || eddy_rpc_get (f, NULL) < 0) {
        fprintf (stderr, "kvs-commit: %s\n", f ? eddy_future_error_string (f) : "cannot send");
        exit (1);
    }
    eddy_future_destroy (f);
}

/* COUNT synchronous commits of one put each into dir; commits/s. */
static double run (eddy_handle_t *h, const char *dir, long count, long base)
{
    char key[64];
    double t0 = now ();
    for (long i = 0; i < count; i++) {
        eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
        snprintf (key, sizeof (key), "%s.key%ld", dir, base + i);
        if (!txn || eddy_kvs_txn_put_pack (txn, key, "I", (json_int_t)i) < 0)
            exit (1);
        commit (h, txn);
        eddy_kvs_txn_destroy (txn);
    }
    return count / (now () - t0);
}

int main (int argc, char **argv)
{
    long count = argc > 1 ? atol (argv[1]) : 20000;
    long big = argc > 2 ? atol (argv[2]) : 100000;
    eddy_error_t err;
    eddy_handle_t *h;
    char key[64];

    if (count < 1 || big < 0) {
        fprintf (stderr, "usage: kvs-commit [COUNT [BIG]]\n");
        return 1;
    }
    if (!(h = eddy_open (NULL, &err))) {
        fprintf (stderr, "kvs-commit: %s\n", err.text);
        return 1;
    }
    double empty = run (h, "empty", count, 0);
    printf ("put+commit, empty store: %ld in one directory, %.0f commits/s\n", count, empty);

    /* fill one directory with BIG keys, 1000 per commit */
    double t0 = now ();
    for (long i = 0; i < big; i += 1000) {
        eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
        for (long j = i; j < i + 1000 && j < big; j++) {
            snprintf (key, sizeof (key), "big.key%ld", j);
            if (eddy_kvs_txn_put_pack (txn, key, "I", (json_int_t)j) < 0)
                exit (1);
        }
        commit (h, txn);
        eddy_kvs_txn_destroy (txn);
    }
    printf ("filled big with %ld keys in %.2f s\n", big, now () - t0);
    double full = run (h, "big", count, big);
    printf ("put+commit, %ld keys in the directory: %ld more, %.0f commits/s\n", big, count, full);
    eddy_close (h);
    return 0;
}
