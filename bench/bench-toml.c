/* bench-toml.c - TOML parser throughput on a generated ~1 MB document.
 *
 * The document mixes headers, arrays of tables, inline tables, arrays,
 * strings (with escapes), integers, floats and dates, like a large config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/util/toml.h"

#define TARGET_BYTES (1024 * 1024)
#define RUNS 21

static char *generate (size_t *lenp)
{
    size_t cap = TARGET_BYTES + 4096, len = 0;
    char *buf = malloc (cap);
    unsigned x = 12345; /* fixed sequence: every run parses the same text */
    if (!buf)
        return NULL;
    for (int n = 0; len < TARGET_BYTES; n++) {
        x = x * 1103515245u + 12345u;
        len += (size_t)snprintf (
            buf + len, cap - len,
            "[node.n%d]\n"
            "hostname = \"node%04d.cluster.example\"\n"
            "rank = %d\n"
            "cores = \"0-%u\"\n"
            "load = %u.%03u\n"
            "weight = %ue-3\n"
            "mask = 0x%08x\n"
            "enabled = %s\n"
            "props = [\"batch\", \"gpu\\tA100\", 'lit\\eral', %d_000]\n"
            "addr = { ip = \"10.%u.%u.%u\", port = %u }\n"
            "since = 2024-%02u-%02uT%02u:%02u:%02uZ\n"
            "[[node.n%d.disk]]\n"
            "dev = '/dev/nvme%un1'\n"
            "size = %u\n"
            "# a comment line to skip\n"
            "\n",
            n, n, n, (x >> 4) % 128, (x >> 8) % 100, (x >> 12) % 1000, (x >> 3) % 5000,
            x, (x & 1) ? "true" : "false", 1 + n % 999, (x >> 16) % 256, (x >> 8) % 256,
            n % 256, 1024 + n % 60000, 1 + (x >> 5) % 12, 1 + (x >> 9) % 28,
            (x >> 13) % 24, (x >> 17) % 60, (x >> 21) % 60, n, n % 4,
            (x >> 2) % 100000);
    }
    *lenp = len;
    return buf;
}

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

int main (void)
{
    size_t len;
    char *doc = generate (&len);
    double t[RUNS];
    eddy_error_t err;

    if (!doc) {
        fprintf (stderr, "bench-toml: out of memory\n");
        return 1;
    }
    for (int i = 0; i < RUNS; i++) {
        double t0 = now ();
        json_t *o = eddy_toml_parse (doc, len, "bench", &err);
        t[i] = now () - t0;
        if (!o) {
            fprintf (stderr, "bench-toml: %s\n", err.text);
            return 1;
        }
        json_decref (o);
    }
    qsort (t, RUNS, sizeof (t[0]), cmp);
    double med = t[RUNS / 2];
    printf ("toml parse %.2f MB mixed document: %.2f ms/op, %.1f MB/s (median of %d)\n",
            len / 1048576.0, med * 1e3, len / 1048576.0 / med, RUNS);
    free (doc);
    return 0;
}
