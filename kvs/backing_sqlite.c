/* backing_sqlite.c - the sqlite backing store: DIR/content.sqlite in WAL
 * mode, a table of blobs (with an epoch each, for garbage collection: see
 * backing.h), a table of named checkpoints (the KVS root), and a meta
 * table (the store's generation, and the tally of blobs and bytes, so
 * that opening a large store does not count its blobs).  A batch of blobs
 * and its checkpoint are one transaction, so a failure (a full disk, the
 * quota) leaves the store as it was; so is a collection's sweep.
 *
 * The tally is kept in memory and written by each collection and at
 * close, not by every store: a row updated per commit is one more page in
 * the WAL per commit (about a tenth of a commit's cost).  'clean' in the
 * meta table says whether the written tally is exact: 0 from open to a
 * clean close, so a store left by a crash is counted once when reopened.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "kvs/backing.h"
#include "kvs/blobtab.h"

struct sq {
    sqlite3 *db;
    char *temp_path; /* a temporary store: its file, removed at close */
    sqlite3_stmt *load, *store, *store_young, *refresh, *ckpt_put, *ckpt_get, *ckpts, *begin, *commit,
        *rollback, *sweep, *bump, *tally_set;
    bool tally_open; /* 'clean' is 0 on disk: close must write the tally */
    int64_t epoch; /* the current generation */
    uint64_t count, bytes;
    struct gc *gc; /* the collection running (for the sweep's SQL function) */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS objects ("
    "  hash TEXT PRIMARY KEY, size INTEGER NOT NULL, epoch INTEGER NOT NULL,"
    "  object BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL, epoch INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES ('epoch', 0);"
    "UPDATE meta SET value = value + 1 WHERE key = 'epoch';";

static int errno_of (int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return ENOSPC;
    case SQLITE_READONLY:
        return EROFS;
    case SQLITE_NOMEM:
        return ENOMEM;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return EACCES;
    default:
        return EIO;
    }
}

static int sq_fail (struct sq *s, int rc, eddy_error_t *err, const char *what)
{
    int e = errno_of (rc);
    eddy_error_set (err, "%s: %s", what, s && s->db ? sqlite3_errmsg (s->db) : sqlite3_errstr (rc));
    errno = e;
    return -1;
}

/* Remove a store's file and its -wal and -shm companions (those missing
 * are no error); -1 + errno for the first that could not go.
 */
static int remove_store (const char *path)
{
    char side[PATH_MAX];
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        snprintf (side, sizeof (side), "%s%s", path, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        if (unlink (side) < 0 && errno != ENOENT && rc == 0)
            rc = -1;
    }
    return rc;
}

static int write_tally (struct sq *s, int clean);

static void sq_close (void *impl)
{
    struct sq *s = impl;
    if (s) {
        int saved_errno = errno;
        /* a failure leaves 'clean' 0: the next open counts */
        if (s->tally_open && !s->temp_path)
            (void)write_tally (s, 1);
        sqlite3_stmt *all[] = { s->load, s->store, s->store_young, s->refresh, s->ckpt_put, s->ckpt_get,
                                s->ckpts, s->begin, s->commit, s->rollback, s->sweep, s->bump,
                                s->tally_set };
        for (size_t i = 0; i < sizeof (all) / sizeof (all[0]); i++)
            sqlite3_finalize (all[i]);
        sqlite3_close (s->db);
        if (s->temp_path)
            remove_store (s->temp_path);
        free (s->temp_path);
        free (s);
        errno = saved_errno;
    }
}

static int step_done (sqlite3_stmt *st);

/* Set the tally of blobs and bytes, inside the caller's transaction. */
static int tally (struct sq *s, uint64_t count, uint64_t bytes)
{
    sqlite3_stmt *st = s->tally_set;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)count);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)bytes);
    int rc = step_done (st);
    sqlite3_clear_bindings (st);
    return rc;
}

/* Write the tally in memory and 'clean' (one transaction); an sqlite
 * result code.
 */
static int write_tally (struct sq *s, int clean)
{
    char sql[192];
    snprintf (sql, sizeof (sql),
              "INSERT OR REPLACE INTO meta VALUES ('count', %llu), ('bytes', %llu), ('clean', %d);",
              (unsigned long long)s->count, (unsigned long long)s->bytes, clean);
    return sqlite3_exec (s->db, sql, NULL, NULL, NULL);
}

/* The tally from the meta table.  It is exact if the store was closed
 * cleanly ('clean' 1), or was written by an eddy that updated it with
 * every store (no 'clean' row); otherwise (a crash, or a store from
 * before the tally) count the blobs this once.  Then mark it open.
 */
static int read_tally (struct sq *s, eddy_error_t *err)
{
    static const char get[] = "SELECT key, value FROM meta WHERE key IN ('count', 'bytes', 'clean')";
    sqlite3_stmt *st = NULL;
    int rc, found = 0;
    int64_t clean = 0;

    if ((rc = sqlite3_prepare_v2 (s->db, get, -1, &st, NULL)) != SQLITE_OK)
        return sq_fail (s, rc, err, "reading the blob tally");
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text (st, 0);
        int64_t v = sqlite3_column_int64 (st, 1);
        if (!k)
            continue;
        if (!strcmp (k, "count"))
            s->count = (uint64_t)v, found |= 1;
        else if (!strcmp (k, "bytes"))
            s->bytes = (uint64_t)v, found |= 2;
        else
            clean = v, found |= 4;
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
        return sq_fail (s, rc, err, "reading the blob tally");
    if ((found & 3) != 3 || ((found & 4) && clean != 1)) {
        if ((rc = sqlite3_prepare_v2 (s->db, "SELECT count(*), total(size) FROM objects", -1, &st, NULL))
                != SQLITE_OK
            || (rc = sqlite3_step (st)) != SQLITE_ROW) {
            sqlite3_finalize (st);
            return sq_fail (s, rc, err, "counting blobs");
        }
        s->count = (uint64_t)sqlite3_column_int64 (st, 0);
        s->bytes = (uint64_t)sqlite3_column_double (st, 1);
        sqlite3_finalize (st);
    }
    if ((rc = write_tally (s, 0)) != SQLITE_OK)
        return sq_fail (s, rc, err, "recording the blob tally");
    s->tally_open = true;
    return 0;
}

static void gc_doomed (sqlite3_context *cx, int argc, sqlite3_value **argv);

/* The store holds every job's environment: create it 0600 (sqlite gives
 * its -wal and -shm files the same mode) and tighten one an older eddy
 * made 0644, with its companions; the contents are not touched.
 */
static int make_private (const char *path, eddy_error_t *err)
{
    char side[PATH_MAX];
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod (fd, 0600) < 0) {
        eddy_error_set (err, "%s: %s", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    close (fd);
    for (int i = 0; i < 2; i++) {
        snprintf (side, sizeof (side), "%s%s", path, i ? "-shm" : "-wal");
        if (chmod (side, 0600) < 0 && errno != ENOENT) {
            eddy_error_set (err, "%s: %s", side, strerror (errno));
            return -1;
        }
    }
    return 0;
}

static void *sq_open (const char *dir, json_t *opts, eddy_error_t *err)
{
    struct sq *s = NULL;
    char *path = NULL;
    json_int_t max_size = 0;
    int temporary = 0;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!dir || !*dir) {
        eddy_error_set (err, "sqlite backing store needs a state directory");
        errno = EINVAL;
        return NULL;
    }
    if (opts && json_unpack (opts, "{s?I s?b}", "max-size", &max_size, "temporary", &temporary) < 0) {
        eddy_error_set (err, "max-size must be an integer (bytes), temporary a boolean");
        errno = EINVAL;
        return NULL;
    }
    if (mkdir (dir, 0700) < 0 && errno != EEXIST) {
        eddy_error_set (err, "%s: %s", dir, strerror (errno));
        return NULL;
    }
    if (!(s = calloc (1, sizeof (*s))) || asprintf (&path, "%s/content.sqlite", dir) < 0) {
        free (s);
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    /* A temporary store starts empty whatever an earlier instance with the
     * same runtime directory left, and is removed at close. */
    if (temporary) {
        if (remove_store (path) < 0) {
            eddy_error_set (err, "%s: %s", path, strerror (errno));
            goto error;
        }
        s->temp_path = path;
    }
    if (make_private (path, err) < 0)
        goto error;
    rc = sqlite3_open_v2 (path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        sq_fail (s, rc, err, path);
        goto error;
    }
    sqlite3_extended_result_codes (s->db, 0);
    /* A temporary store has nothing to keep across a crash (the next
     * instance removes it), so it skips the syncs and the file locks.
     * The WAL is checkpointed at 8,192 pages (32 MiB) rather than
     * sqlite's 1,000: the pages every commit rewrites (the last leaf, the
     * index's upper levels, the checkpoint row) are copied back once per
     * checkpoint, and the checkpoint's fsync is paid less often. */
    if ((rc = sqlite3_exec (s->db,
                            s->temp_path ? "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;"
                                           " PRAGMA synchronous=OFF;"
                                         : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;",
                            NULL, NULL, NULL))
            != SQLITE_OK
        || (rc = sqlite3_exec (s->db, schema, NULL, NULL, NULL)) != SQLITE_OK) {
        sq_fail (s, rc, err, path);
        goto error;
    }
    if (max_size > 0) {
        char sql[128];
        snprintf (sql, sizeof (sql), "PRAGMA max_page_count = %lld;",
                  (long long)(max_size / 4096 > 8 ? max_size / 4096 : 8));
        if ((rc = sqlite3_exec (s->db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
            sq_fail (s, rc, err, "max-size");
            goto error;
        }
    }
    if ((rc = sqlite3_prepare_v2 (s->db, "SELECT value FROM meta WHERE key = 'epoch'", -1, &st, NULL))
            != SQLITE_OK
        || sqlite3_step (st) != SQLITE_ROW) {
        sq_fail (s, rc, err, "reading the store's generation");
        goto error;
    }
    s->epoch = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    st = NULL;
    if (read_tally (s, err) < 0)
        goto error;
    if ((rc = sqlite3_create_function (s->db, "eddy_gc_doomed", 3, SQLITE_UTF8, s, gc_doomed, NULL, NULL))
        != SQLITE_OK) {
        sq_fail (s, rc, err, "registering the collector");
        goto error;
    }
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        { &s->load, "SELECT object FROM objects WHERE hash = ?1" },
        { &s->store, "INSERT OR IGNORE INTO objects (hash, size, epoch, object) VALUES (?1, ?2, 0, ?4)" },
        { &s->store_young, "INSERT OR IGNORE INTO objects (hash, size, epoch, object)"
                           " VALUES (?1, ?2, ?3, ?4)" },
        { &s->refresh, "UPDATE objects SET epoch = ?2 WHERE hash = ?1" },
        { &s->ckpt_put, "INSERT OR REPLACE INTO checkpoints (key, value, epoch) VALUES (?1, ?2, ?3)" },
        { &s->ckpt_get, "SELECT value FROM checkpoints WHERE key = ?1" },
        { &s->ckpts, "SELECT value FROM checkpoints" },
        { &s->sweep, "DELETE FROM objects WHERE eddy_gc_doomed (hash, size, epoch)" },
        { &s->bump, "UPDATE meta SET value = value + 1 WHERE key = 'epoch'" },
        { &s->tally_set, "UPDATE meta SET value = CASE key WHEN 'count' THEN ?1 ELSE ?2 END"
                         " WHERE key IN ('count', 'bytes')" },
        { &s->begin, "BEGIN IMMEDIATE" },
        { &s->commit, "COMMIT" },
        { &s->rollback, "ROLLBACK" },
    };
    for (size_t i = 0; i < sizeof (stmts) / sizeof (stmts[0]); i++) {
        if ((rc = sqlite3_prepare_v2 (s->db, stmts[i].sql, -1, stmts[i].st, NULL)) != SQLITE_OK) {
            sq_fail (s, rc, err, "preparing statements");
            goto error;
        }
    }
    if (!s->temp_path)
        free (path);
    return s;
error:
    sqlite3_finalize (st);
    if (!s->temp_path)
        free (path);
    sq_close (s);
    return NULL;
}

static int sq_load (void *impl, const char *ref, void **data, size_t *len)
{
    struct sq *s = impl;
    int rc, e = 0;
    char *buf = NULL;

    sqlite3_bind_text (s->load, 1, ref, -1, SQLITE_STATIC);
    rc = sqlite3_step (s->load);
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes (s->load, 0);
        const void *p = sqlite3_column_blob (s->load, 0);
        if (!(buf = malloc ((size_t)n + 1)))
            e = ENOMEM;
        else {
            if (n > 0)
                memcpy (buf, p, (size_t)n);
            buf[n] = '\0';
            *data = buf;
            *len = (size_t)n;
        }
    }
    else
        e = rc == SQLITE_DONE ? ENOENT : errno_of (rc);
    sqlite3_reset (s->load);
    sqlite3_clear_bindings (s->load);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

static int step_done (sqlite3_stmt *st)
{
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int sq_store (void *impl,
                     size_t n,
                     const char *const refs[],
                     const void *const data[],
                     const size_t lens[],
                     const char *ckpt_key,
                     const char *ckpt_value,
                     eddy_error_t *err)
{
    struct sq *s = impl;
    /* blobs under a checkpoint are its to keep alive; others are young */
    sqlite3_stmt *ins = ckpt_key ? s->store : s->store_young;
    uint64_t added = 0, added_bytes = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        if (lens[i] > INT_MAX) {
            eddy_error_set (err, "content store: a blob of %zu bytes is too large", lens[i]);
            errno = EFBIG;
            return -1;
        }
    }
    if ((rc = step_done (s->begin)) != SQLITE_OK)
        return sq_fail (s, rc, err, "content store");
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text (ins, 1, refs[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64 (ins, 2, (sqlite3_int64)lens[i]);
        if (!ckpt_key)
            sqlite3_bind_int64 (ins, 3, s->epoch);
        sqlite3_bind_blob (ins, 4, data[i], (int)lens[i], SQLITE_STATIC);
        rc = step_done (ins);
        sqlite3_clear_bindings (ins);
        if (rc != SQLITE_OK)
            goto error;
        if (sqlite3_changes (s->db) > 0) {
            added++;
            added_bytes += lens[i];
        }
        else if (!ckpt_key) {
            sqlite3_bind_text (s->refresh, 1, refs[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64 (s->refresh, 2, s->epoch);
            rc = step_done (s->refresh);
            sqlite3_clear_bindings (s->refresh);
            if (rc != SQLITE_OK)
                goto error;
        }
    }
    if (ckpt_key) {
        sqlite3_bind_text (s->ckpt_put, 1, ckpt_key, -1, SQLITE_STATIC);
        sqlite3_bind_text (s->ckpt_put, 2, ckpt_value, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (s->ckpt_put, 3, s->epoch);
        rc = step_done (s->ckpt_put);
        sqlite3_clear_bindings (s->ckpt_put);
        if (rc != SQLITE_OK)
            goto error;
    }
    if ((rc = step_done (s->commit)) != SQLITE_OK)
        goto error;
    s->count += added;
    s->bytes += added_bytes;
    return 0;
error:
    sq_fail (s, rc, err, "content store");
    int saved_errno = errno;
    if (!sqlite3_get_autocommit (s->db))
        step_done (s->rollback);
    errno = saved_errno;
    return -1;
}

static int sq_checkpoint_get (void *impl, const char *key, char **value)
{
    struct sq *s = impl;
    int rc, e = 0;

    sqlite3_bind_text (s->ckpt_get, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step (s->ckpt_get);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text (s->ckpt_get, 0);
        if (!(*value = strdup (v ? v : "")))
            e = ENOMEM;
    }
    else
        e = rc == SQLITE_DONE ? ENOENT : errno_of (rc);
    sqlite3_reset (s->ckpt_get);
    sqlite3_clear_bindings (s->ckpt_get);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

static void sq_stats (void *impl, uint64_t *count, uint64_t *bytes)
{
    struct sq *s = impl;
    *count = s->count;
    *bytes = s->bytes;
}

/* ---- garbage collection ---- */

struct gc {
    struct sq *s;
    eddy_blobtab_t *marked;
    struct eddy_digest *stack;
    size_t n, cap;
    struct eddy_backing_gc *res;
    int rc; /* an sqlite error while marking */
};

/* Reached digest: mark it and put it on the stack to be scanned. */
static int mark_one (const struct eddy_digest *digest, void *arg)
{
    struct gc *g = arg;
    bool added;

    if (!eddy_blobtab_add (g->marked, digest, NULL, 0, &added)) {
        g->rc = SQLITE_NOMEM;
        return -1;
    }
    if (!added)
        return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        void *p = realloc (g->stack, cap * sizeof (g->stack[0]));
        if (!p) {
            g->rc = SQLITE_NOMEM;
            return -1;
        }
        g->stack = p;
        g->cap = cap;
    }
    g->stack[g->n++] = *digest;
    return 0;
}

/* Scan the blob a digest names for more blobrefs (a missing one is
 * counted, not an error: the kvs may name blobs it never got to store).
 */
static int mark_scan (struct gc *g, const struct eddy_digest *digest)
{
    struct sq *s = g->s;
    char ref[EDDY_BLOBREF_SIZE];
    int rc, ret = 0;

    eddy_blobref_format (digest, ref);
    sqlite3_bind_text (s->load, 1, ref, -1, SQLITE_STATIC);
    rc = sqlite3_step (s->load);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob (s->load, 0);
        int len = sqlite3_column_bytes (s->load, 0);
        ret = eddy_blobref_scan (p, (size_t)len, mark_one, g);
    }
    else if (rc == SQLITE_DONE)
        g->res->missing++;
    else {
        g->rc = rc;
        ret = -1;
    }
    sqlite3_reset (s->load);
    sqlite3_clear_bindings (s->load);
    return ret;
}

/* SQL eddy_gc_doomed (hash, size, epoch): 1 for a blob to delete. */
static void gc_doomed (sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct sq *s = sqlite3_user_data (cx);
    struct gc *g = s->gc;
    const char *ref = (const char *)sqlite3_value_text (argv[0]);
    int64_t size = sqlite3_value_int64 (argv[1]);
    int64_t epoch = sqlite3_value_int64 (argv[2]);
    struct eddy_digest digest;

    if (!g) {
        sqlite3_result_int (cx, 0);
        return;
    }
    if (eddy_blobref_parse (ref, &digest) == 0 && eddy_blobtab_get (g->marked, &digest)) {
        g->res->live++;
        g->res->live_bytes += (uint64_t)size;
        sqlite3_result_int (cx, 0);
    }
    else if (epoch == s->epoch) {
        g->res->live++;
        g->res->young++;
        g->res->live_bytes += (uint64_t)size;
        sqlite3_result_int (cx, 0);
    }
    else {
        /* a malformed hash names no blob anyone can ask for: garbage */
        g->res->freed++;
        g->res->freed_bytes += (uint64_t)size;
        sqlite3_result_int (cx, 1);
    }
}

static int sq_gc (void *impl, struct eddy_backing_gc *res, eddy_error_t *err)
{
    struct sq *s = impl;
    struct gc g = { .s = s, .res = res };
    int rc;

    memset (res, 0, sizeof (*res));
    if (!(g.marked = eddy_blobtab_create ())) {
        eddy_error_set (err, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    /* mark: from every checkpoint, depth first */
    while ((rc = sqlite3_step (s->ckpts)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text (s->ckpts, 0);
        if (v && eddy_blobref_scan (v, strlen (v), mark_one, &g) < 0) {
            rc = g.rc;
            break;
        }
    }
    sqlite3_reset (s->ckpts);
    if (rc != SQLITE_DONE)
        goto error;
    while (g.n > 0) {
        struct eddy_digest d = g.stack[--g.n]; /* mark_scan may grow the stack */
        if (mark_scan (&g, &d) < 0) {
            rc = g.rc;
            goto error;
        }
    }
    /* sweep and start a new generation, in one transaction */
    if ((rc = step_done (s->begin)) != SQLITE_OK)
        goto error;
    s->gc = &g;
    rc = step_done (s->sweep);
    s->gc = NULL;
    if (rc != SQLITE_OK || (rc = step_done (s->bump)) != SQLITE_OK
        || (rc = tally (s, res->live, res->live_bytes)) != SQLITE_OK
        || (rc = step_done (s->commit)) != SQLITE_OK) {
        if (!sqlite3_get_autocommit (s->db))
            step_done (s->rollback);
        goto error;
    }
    s->epoch++;
    s->count = res->live;
    s->bytes = res->live_bytes;
    eddy_blobtab_destroy (g.marked);
    free (g.stack);
    return 0;
error:
    eddy_blobtab_destroy (g.marked);
    free (g.stack);
    memset (res, 0, sizeof (*res));
    return sq_fail (s, rc, err, "garbage collection");
}

const struct eddy_backing_ops eddy_backing_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .load = sq_load,
    .store = sq_store,
    .checkpoint_get = sq_checkpoint_get,
    .stats = sq_stats,
    .gc = sq_gc,
};
