/* backing_sqlite.c - the sqlite backing store: DIR/content.sqlite in WAL
 * mode, a table of blobs (with an epoch each, for garbage collection), a
 * table of named checkpoints (the KVS root), and a meta table (the store's
 * generation).  A batch of blobs and its checkpoint are one transaction,
 * so a failure (a full disk, the quota) leaves the store as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "kvs/backing.h"

struct sq {
    sqlite3 *db;
    sqlite3_stmt *load, *store, *ckpt_put, *ckpt_get, *begin, *commit, *rollback;
    int64_t epoch;
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

static void sq_close (void *impl)
{
    struct sq *s = impl;
    if (s) {
        int saved_errno = errno;
        sqlite3_finalize (s->load);
        sqlite3_finalize (s->store);
        sqlite3_finalize (s->ckpt_put);
        sqlite3_finalize (s->ckpt_get);
        sqlite3_finalize (s->begin);
        sqlite3_finalize (s->commit);
        sqlite3_finalize (s->rollback);
        sqlite3_close (s->db);
        free (s);
        errno = saved_errno;
    }
}

static void *sq_open (const char *dir, json_t *opts, eddy_error_t *err)
{
    struct sq *s = NULL;
    char *path = NULL;
    json_int_t max_size = 0;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!dir || !*dir) {
        eddy_error_set (err, "sqlite backing store needs a state directory");
        errno = EINVAL;
        return NULL;
    }
    if (opts && json_unpack (opts, "{s?I}", "max-size", &max_size) < 0) {
        eddy_error_set (err, "max-size must be an integer (bytes)");
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
    rc = sqlite3_open_v2 (path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        sq_fail (s, rc, err, path);
        goto error;
    }
    sqlite3_extended_result_codes (s->db, 0);
    if ((rc = sqlite3_exec (s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                            NULL))
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
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        { &s->load, "SELECT object FROM objects WHERE hash = ?1" },
        { &s->store, "INSERT INTO objects (hash, size, epoch, object) VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT (hash) DO UPDATE SET epoch = excluded.epoch" },
        { &s->ckpt_put, "INSERT OR REPLACE INTO checkpoints (key, value, epoch) VALUES (?1, ?2, ?3)" },
        { &s->ckpt_get, "SELECT value FROM checkpoints WHERE key = ?1" },
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
    free (path);
    return s;
error:
    sqlite3_finalize (st);
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
    int rc;

    if ((rc = step_done (s->begin)) != SQLITE_OK)
        return sq_fail (s, rc, err, "content store");
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text (s->store, 1, refs[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64 (s->store, 2, (sqlite3_int64)lens[i]);
        sqlite3_bind_int64 (s->store, 3, s->epoch);
        sqlite3_bind_blob (s->store, 4, data[i], (int)lens[i], SQLITE_STATIC);
        rc = step_done (s->store);
        sqlite3_clear_bindings (s->store);
        if (rc != SQLITE_OK)
            goto error;
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
    sqlite3_stmt *st;
    *count = *bytes = 0;
    if (sqlite3_prepare_v2 (s->db, "SELECT count(*), total(size) FROM objects", -1, &st, NULL)
        == SQLITE_OK) {
        if (sqlite3_step (st) == SQLITE_ROW) {
            *count = (uint64_t)sqlite3_column_int64 (st, 0);
            *bytes = (uint64_t)sqlite3_column_double (st, 1);
        }
        sqlite3_finalize (st);
    }
}

const struct eddy_backing_ops eddy_backing_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .load = sq_load,
    .store = sq_store,
    .checkpoint_get = sq_checkpoint_get,
    .stats = sq_stats,
};
