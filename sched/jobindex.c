/* jobindex.c - the KVS index of active jobs (see jobindex.h): its keys,
 * and what a restart reads before walking it: the version key and the
 * descent to the largest job id, two chains of lookups in parallel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "sched/jobindex.h"

#define ID_GROUPS 4 /* 16-bit groups of an id, one directory level each */

/* ---- keys ---- */

int eddy_jobindex_key (char *buf, size_t len, uint64_t id)
{
    if (!buf) {
        errno = EINVAL;
        return -1;
    }
    int n = snprintf (buf, len, EDDY_JOBINDEX_DIR ".%04x.%04x.%04x.%04x",
                      (unsigned)(id >> 48) & 0xffff, (unsigned)(id >> 32) & 0xffff,
                      (unsigned)(id >> 16) & 0xffff, (unsigned)id & 0xffff);
    if (n < 0 || (size_t)n >= len) {
        errno = EOVERFLOW;
        return -1;
    }
    return n;
}

static int hexval (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly ndigits lower-case hex digits. */
static int parse_hex (const char *name, size_t ndigits, uint64_t *v)
{
    uint64_t x = 0;
    if (!name || strlen (name) != ndigits)
        goto invalid;
    for (size_t i = 0; i < ndigits; i++) {
        int d = hexval (name[i]);
        if (d < 0)
            goto invalid;
        x = x << 4 | (uint64_t)d;
    }
    *v = x;
    return 0;
invalid:
    errno = EINVAL;
    return -1;
}

int eddy_jobindex_add (eddy_kvs_txn_t *txn, uint64_t id)
{
    char key[64];
    if (eddy_jobindex_key (key, sizeof (key), id) < 0)
        return -1;
    return eddy_kvs_txn_put (txn, key, "1");
}

/* The entry goes, and with it the levels above that it leaves empty
 * (deepest first), so the index holds no more directories than the
 * active jobs need.
 */
int eddy_jobindex_remove (eddy_kvs_txn_t *txn, uint64_t id)
{
    char key[64];
    char *dot;
    if (eddy_jobindex_key (key, sizeof (key), id) < 0 || eddy_kvs_txn_unlink (txn, key) < 0)
        return -1;
    for (int level = 0; level < ID_GROUPS - 1; level++) {
        if (!(dot = strrchr (key, '.')))
            break;
        *dot = '\0';
        if (eddy_kvs_txn_prune (txn, key) < 0)
            return -1;
    }
    return 0;
}

int eddy_jobindex_mark (eddy_kvs_txn_t *txn)
{
    return eddy_kvs_txn_put_pack (txn, EDDY_JOBINDEX_VERSION_KEY, "i", EDDY_JOBINDEX_VERSION);
}

int eddy_jobindex_max_entry (const char *const names[], size_t n, int depth, uint64_t prefix,
                             uint32_t bound, uint64_t *id)
{
    uint64_t best = 0;
    bool found = false;

    if (depth < 0 || depth >= ID_GROUPS || (n > 0 && !names) || !id) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (parse_hex (names[i], 4, &v) < 0 || v >= bound)
            continue;
        if (!found || v > best)
            best = v;
        found = true;
    }
    if (!found) {
        errno = ENOENT;
        return -1;
    }
    *id = prefix | best << (16 * (ID_GROUPS - 1 - depth));
    return 0;
}

/* ---- reading ---- */

enum { Q_VERSION, Q_DESCENT, NQ };

struct eddy_jobindex_read {
    eddy_handle_t *h;
    eddy_jobindex_f cb;
    void *arg;
    eddy_future_t *f[NQ];
    int errnum;
    bool absent;

    /* the descent: the level being listed, the groups chosen above it,
     * and at each level the bound below which to look next time (after a
     * level below turned out empty) */
    int depth;
    uint64_t prefix;
    uint32_t bound[ID_GROUPS];
    uint64_t max_id;
};

static void note_error (eddy_jobindex_read_t *rd, int errnum)
{
    if (!rd->errnum)
        rd->errnum = errnum ? errnum : EIO;
}

static void maybe_done (eddy_jobindex_read_t *rd)
{
    for (int i = 0; i < NQ; i++)
        if (rd->f[i])
            return;
    rd->cb (rd, rd->errnum ? rd->errnum : rd->absent ? ENOENT : 0, rd->arg); /* may destroy rd */
}

static void finish (eddy_jobindex_read_t *rd, int q)
{
    eddy_future_destroy (rd->f[q]);
    rd->f[q] = NULL;
    maybe_done (rd);
}

static void version_cb (eddy_future_t *f, void *arg)
{
    eddy_jobindex_read_t *rd = arg;
    int v = 0;

    if (eddy_kvs_lookup_get_unpack (f, "i", &v) < 0) {
        if (errno == ENOENT)
            rd->absent = true;
        else {
            eddy_log (rd->h, LOG_ERR, "job index: %s: %s", EDDY_JOBINDEX_VERSION_KEY,
                      eddy_future_error_string (f));
            note_error (rd, errno);
        }
    }
    else if (v != EDDY_JOBINDEX_VERSION) {
        eddy_log (rd->h, LOG_WARNING, "job index: version %d, not %d: rebuilt from the job directory",
                  v, EDDY_JOBINDEX_VERSION);
        rd->absent = true;
    }
    finish (rd, Q_VERSION);
}

static void descent_cb (eddy_future_t *f, void *arg);

static int descent_send (eddy_jobindex_read_t *rd)
{
    char key[64];
    int n = snprintf (key, sizeof (key), "job");
    for (int i = 0; i < rd->depth; i++)
        n += snprintf (key + n, sizeof (key) - (size_t)n, ".%04x",
                       (unsigned)(rd->prefix >> (16 * (ID_GROUPS - 1 - i))) & 0xffff);
    eddy_future_destroy (rd->f[Q_DESCENT]);
    if (!(rd->f[Q_DESCENT] = eddy_kvs_lookup (rd->h, NULL, 0, key))
        || eddy_future_then (rd->f[Q_DESCENT], -1, descent_cb, rd) < 0) {
        eddy_future_destroy (rd->f[Q_DESCENT]);
        rd->f[Q_DESCENT] = NULL;
        return -1;
    }
    return 0;
}

/* Go back up past levels with nothing left below their bound; false when
 * the whole directory is exhausted.
 */
static bool descent_back (eddy_jobindex_read_t *rd)
{
    while (rd->depth > 0) {
        rd->depth--;
        uint64_t mask = (uint64_t)0xffff << (16 * (ID_GROUPS - 1 - rd->depth));
        uint32_t tried = (uint32_t)((rd->prefix & mask) >> (16 * (ID_GROUPS - 1 - rd->depth)));
        rd->prefix &= ~mask;
        rd->bound[rd->depth] = tried; /* only smaller groups remain */
        for (int d = rd->depth + 1; d < ID_GROUPS; d++)
            rd->bound[d] = 0x10000;
        if (tried > 0)
            return true;
    }
    return false;
}

static void descent_cb (eddy_future_t *f, void *arg)
{
    eddy_jobindex_read_t *rd = arg;
    json_t *names;
    const char **v = NULL;
    uint64_t id;

    if (eddy_kvs_lookup_get_dir (f, &names) < 0) {
        if (errno != ENOENT || rd->depth == 0) {
            if (errno != ENOENT) {
                eddy_log (rd->h, LOG_ERR, "job index: the job directory: %s",
                          eddy_future_error_string (f));
                note_error (rd, errno);
            }
            finish (rd, Q_DESCENT); /* no job directory: no job yet */
            return;
        }
        names = NULL; /* gone meanwhile: as if empty */
    }
    size_t n = json_array_size (names);
    if (n > 0 && !(v = calloc (n, sizeof (*v)))) {
        note_error (rd, ENOMEM);
        finish (rd, Q_DESCENT);
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_string_value (json_array_get (names, i));
    int rc = eddy_jobindex_max_entry (v, n, rd->depth, rd->prefix, rd->bound[rd->depth], &id);
    free (v);
    if (rc == 0) {
        if (rd->depth == ID_GROUPS - 1) {
            rd->max_id = id;
            finish (rd, Q_DESCENT);
            return;
        }
        rd->prefix = id;
        rd->depth++;
    }
    else if (!descent_back (rd)) {
        finish (rd, Q_DESCENT); /* nothing but empty directories */
        return;
    }
    if (descent_send (rd) < 0) {
        note_error (rd, errno);
        finish (rd, Q_DESCENT);
    }
}

eddy_jobindex_read_t *eddy_jobindex_read (eddy_handle_t *h, eddy_jobindex_f cb, void *arg)
{
    eddy_jobindex_read_t *rd;

    if (!h || !cb) {
        errno = EINVAL;
        return NULL;
    }
    if (!(rd = calloc (1, sizeof (*rd))))
        return NULL;
    rd->h = h;
    rd->cb = cb;
    rd->arg = arg;
    for (int i = 0; i < ID_GROUPS; i++)
        rd->bound[i] = 0x10000;
    if (!(rd->f[Q_VERSION] = eddy_kvs_lookup (h, NULL, 0, EDDY_JOBINDEX_VERSION_KEY))
        || eddy_future_then (rd->f[Q_VERSION], -1, version_cb, rd) < 0 || descent_send (rd) < 0) {
        eddy_jobindex_read_destroy (rd);
        return NULL;
    }
    return rd;
}

void eddy_jobindex_read_destroy (eddy_jobindex_read_t *rd)
{
    if (rd) {
        int saved_errno = errno;
        for (int i = 0; i < NQ; i++)
            eddy_future_destroy (rd->f[i]);
        free (rd);
        errno = saved_errno;
    }
}

uint64_t eddy_jobindex_max_id (eddy_jobindex_read_t *rd)
{
    return rd ? rd->max_id : 0;
}
