/* bench-tree.c - the KVS hash tree's commit path alone (tree.c, treeobj.c
 * over a kvs cache, no broker): single-key put commits into a directory
 * already holding FILL keys, as the kvs module runs them.  Prints the time
 * per commit (wall clock, and CPU time, steadier on a busy machine) and
 * the objects and bytes each commit writes.
 *   bench-tree [COUNT [FILL...]]   (default 20000 commits, fills 0 and 100000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvs/blobref.h"
#include "kvs/cache.h"
#include "kvs/tree.h"

#define FILL_BATCH 1000 /* keys per commit while filling */

struct bench {
    eddy_kvs_cache_t *cache;
    struct eddy_kvs_tree t;
    char root[EDDY_BLOBREF_SIZE];
    char (*copied)[EDDY_BLOBREF_SIZE]; /* superseded this commit */
    size_t ncopied, copied_cap;
    size_t puts, bytes;
};

static json_t *b_get_obj (void *arg, const char *ref, eddy_error_t *err)
{
    struct bench *b = arg;
    json_t *o = eddy_kvs_cache_get_obj (b->cache, ref, err);
    if (!o && errno == ENOENT)
        errno = EAGAIN;
    return o;
}

static int b_get_data (void *arg, const char *ref, const void **data, size_t *len)
{
    struct bench *b = arg;
    if (eddy_kvs_cache_get_data (b->cache, ref, data, len) < 0) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}

static int b_put (void *arg, void *data, size_t len, json_t *obj, char ref[EDDY_BLOBREF_SIZE])
{
    struct bench *b = arg;
    eddy_blobref_hash (data, len, ref);
    b->puts++;
    b->bytes += len;
    return eddy_kvs_cache_insert_obj (b->cache, ref, data, len, obj, true);
}

static void b_copied (void *arg, const char *ref)
{
    struct bench *b = arg;
    if (b->ncopied == b->copied_cap) {
        size_t cap = b->copied_cap ? b->copied_cap * 2 : 64;
        char (*p)[EDDY_BLOBREF_SIZE] = realloc (b->copied, cap * sizeof (p[0]));
        if (!p)
            return; /* a hint only */
        b->copied = p;
        b->copied_cap = cap;
    }
    memcpy (b->copied[b->ncopied++], ref, EDDY_BLOBREF_SIZE);
}

static const struct eddy_kvs_tree_src src_ops = { b_get_obj, b_get_data, b_put, b_copied };

static double now_s (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die (struct bench *b, const char *what)
{
    fprintf (stderr, "bench-tree: %s: %s%s%s\n", what, strerror (errno),
             b->t.err.text[0] ? ": " : "", b->t.err.text);
    exit (1);
}

/* What the kvs module does once a batch is written: the blobs are stored
 * (clean now) and the directories it copied are garbage.
 */
static void settle (struct bench *b)
{
    eddy_kvs_cache_dirty_done (b->cache, true);
    for (size_t i = 0; i < b->ncopied; i++)
        eddy_kvs_cache_drop_clean (b->cache, b->copied[i]);
    b->ncopied = 0;
}

/* One commit putting keys "big.key<first>" .. "big.key<first + n - 1>". */
static void commit (struct bench *b, long first, long n)
{
    char key[64], value[32];
    json_t *work = eddy_kvs_tree_begin (&b->t, b->root);

    if (!work)
        die (b, "begin");
    for (long i = first; i < first + n; i++) {
        snprintf (key, sizeof (key), "big.key%ld", i);
        snprintf (value, sizeof (value), "%ld", i);
        json_t *op = json_pack ("{s:s s:s s:s}", "op", "put", "key", key, "value", value);
        if (!op || eddy_kvs_tree_apply (&b->t, work, op) < 0)
            die (b, "apply");
        json_decref (op);
    }
    if (eddy_kvs_tree_finish (&b->t, work, b->root) < 0)
        die (b, "finish");
    json_decref (work);
    settle (b);
}

/* The timed part, kept out of line so that a profile can be limited to it
 * (valgrind --tool=callgrind --toggle-collect=timed_commits).
 */
static __attribute__ ((noinline)) void timed_commits (struct bench *b, long first, long count)
{
    for (long i = 0; i < count; i++)
        commit (b, first + i, 1);
}

static void run (long count, long fill)
{
    struct bench b = { 0 };

    if (!(b.cache = eddy_kvs_cache_create ()))
        die (&b, "cache");
    eddy_kvs_tree_init (&b.t, &src_ops, &b);
    if (eddy_kvs_tree_empty_root (&b.t, b.root) < 0)
        die (&b, "empty root");
    for (long i = 0; i < fill; i += FILL_BATCH)
        commit (&b, i, fill - i < FILL_BATCH ? fill - i : FILL_BATCH);
    b.puts = b.bytes = 0;
    double t0 = now_s (CLOCK_MONOTONIC), c0 = now_s (CLOCK_PROCESS_CPUTIME_ID);
    timed_commits (&b, fill, count);
    double dt = now_s (CLOCK_MONOTONIC) - t0, dc = now_s (CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf ("tree put+commit, %ld keys in the directory: %.1f us/commit (%.0f/s),"
            " cpu %.1f us/commit; %.2f objects and %.0f bytes written per commit\n",
            fill, dt / count * 1e6, count / dt, dc / count * 1e6, (double)b.puts / count,
            (double)b.bytes / count);
    eddy_kvs_cache_destroy (b.cache);
    free (b.copied);
}

int main (int argc, char **argv)
{
    long count = argc > 1 ? atol (argv[1]) : 20000;

    if (count <= 0) {
        fprintf (stderr, "usage: bench-tree [COUNT [FILL...]]\n");
        return 1;
    }
    if (argc <= 2) {
        run (count, 0);
        run (count, 100000);
    }
    for (int i = 2; i < argc; i++)
        run (count, atol (argv[i]));
    return 0;
}
