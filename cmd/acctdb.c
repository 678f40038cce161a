/* acctdb.c - the accounting database on sqlite. */
#include <errno.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/acctdb.h"

#define SCHEMA_VERSION 1

struct eddy_acctdb {
    sqlite3 *db;
};

static const char schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE banks ("
    "  bank TEXT PRIMARY KEY,"
    "  parent TEXT REFERENCES banks (bank),"
    "  shares INTEGER NOT NULL CHECK (shares >= 0));"
    "CREATE TABLE users ("
    "  username TEXT NOT NULL,"
    "  bank TEXT NOT NULL REFERENCES banks (bank),"
    "  userid INTEGER NOT NULL,"
    "  shares INTEGER NOT NULL CHECK (shares >= 0),"
    "  max_running_jobs INTEGER NOT NULL CHECK (max_running_jobs >= 0),"
    "  max_active_jobs INTEGER NOT NULL CHECK (max_active_jobs >= 0),"
    "  queues TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (username, bank));"
    "CREATE INDEX users_bank ON users (bank);";

static int db_error (eddy_acctdb_t *db, eddy_error_t *err, const char *what)
{
    eddy_error_set (err, "%s: %s", what, sqlite3_errmsg (db->db));
    errno = EIO;
    return -1;
}

static int exec_sql (eddy_acctdb_t *db, const char *sql, eddy_error_t *err)
{
    char *msg = NULL;
    if (sqlite3_exec (db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        eddy_error_set (err, "%s", msg ? msg : sqlite3_errmsg (db->db));
        sqlite3_free (msg);
        errno = EIO;
        return -1;
    }
    return 0;
}

eddy_acctdb_t *eddy_acctdb_open (const char *path, bool create, eddy_error_t *err)
{
    eddy_acctdb_t *db = calloc (1, sizeof (*db));
    struct stat st;
    if (!db) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    if (create && stat (path, &st) == 0) {
        eddy_error_set (err, "%s already exists", path);
        errno = EEXIST;
        goto fail;
    }
    if (!create && stat (path, &st) < 0) {
        eddy_error_set (err, "%s: %s (make one with eddy account create-db)", path,
                        strerror (errno));
        goto fail;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2 (path, &db->db, flags, NULL) != SQLITE_OK) {
        eddy_error_set (err, "%s: %s", path, db->db ? sqlite3_errmsg (db->db) : "cannot open");
        errno = EIO;
        goto fail;
    }
    sqlite3_busy_timeout (db->db, 5000);
    if (exec_sql (db, "PRAGMA foreign_keys = ON;", err) < 0)
        goto fail;
    if (create) {
        char sql[160];
        snprintf (sql, sizeof (sql), "INSERT INTO meta VALUES ('schema', '%d');", SCHEMA_VERSION);
        if (exec_sql (db, "PRAGMA journal_mode = WAL;", err) < 0
            || exec_sql (db, "BEGIN IMMEDIATE;", err) < 0 || exec_sql (db, schema, err) < 0
            || exec_sql (db, sql, err) < 0 || exec_sql (db, "COMMIT;", err) < 0) {
            sqlite3_close (db->db);
            db->db = NULL;
            unlink (path);
            goto fail;
        }
        return db;
    }
    /* an existing file: it must be ours */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (db->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &q, NULL)
            != SQLITE_OK
        || sqlite3_step (q) != SQLITE_ROW) {
        eddy_error_set (err, "%s is not an eddy accounting database (%s)", path,
                        sqlite3_errmsg (db->db));
        sqlite3_finalize (q);
        errno = EINVAL;
        goto fail;
    }
    int version = sqlite3_column_int (q, 0);
    sqlite3_finalize (q);
    if (version != SCHEMA_VERSION) {
        eddy_error_set (err, "%s: schema version %d, this eddy knows %d", path, version,
                        SCHEMA_VERSION);
        errno = EINVAL;
        goto fail;
    }
    return db;
fail:
    eddy_acctdb_close (db);
    return NULL;
}

void eddy_acctdb_close (eddy_acctdb_t *db)
{
    if (db) {
        int saved = errno;
        if (db->db)
            sqlite3_close (db->db);
        free (db);
        errno = saved;
    }
}

/* ---- statements ---- */

static sqlite3_stmt *prepare (eddy_acctdb_t *db, const char *sql, eddy_error_t *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (db->db, sql, -1, &q, NULL) != SQLITE_OK) {
        db_error (db, err, "prepare");
        return NULL;
    }
    return q;
}

/* Does the query (text parameters) return a row? -1 on error. */
static int exists (eddy_acctdb_t *db, const char *sql, const char *a, const char *b,
                   eddy_error_t *err)
{
    sqlite3_stmt *q = prepare (db, sql, err);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text (q, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step (q);
    sqlite3_finalize (q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_error (db, err, "query");
}

/* 0 if bank name exists; else -1 with err ("no bank 'NAME'" and what
 * follows, ENOENT) or the query's error. */
static int need_bank (eddy_acctdb_t *db, const char *name, const char *what, eddy_error_t *err)
{
    int e = exists (db, "SELECT 1 FROM banks WHERE bank = ?", name, NULL, err);
    if (e == 0) {
        eddy_error_set (err, "no bank '%s'%s", name, what);
        errno = ENOENT;
    }
    return e > 0 ? 0 : -1;
}

static int begin (eddy_acctdb_t *db, eddy_error_t *err)
{
    return exec_sql (db, "BEGIN IMMEDIATE;", err);
}

static int commit (eddy_acctdb_t *db, eddy_error_t *err)
{
    if (exec_sql (db, "COMMIT;", err) < 0) {
        sqlite3_exec (db->db, "ROLLBACK;", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int rollback (eddy_acctdb_t *db)
{
    int saved = errno;
    sqlite3_exec (db->db, "ROLLBACK;", NULL, NULL, NULL);
    errno = saved;
    return -1;
}

static int step_done (eddy_acctdb_t *db, sqlite3_stmt *q, eddy_error_t *err, const char *what)
{
    int rc = sqlite3_step (q);
    sqlite3_finalize (q);
    if (rc != SQLITE_DONE)
        return db_error (db, err, what);
    return 0;
}

static bool name_ok (const char *s)
{
    if (!s || !*s || strlen (s) > 128)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

int eddy_acctdb_add_bank (eddy_acctdb_t *db, const char *name, const char *parent, int64_t shares,
                          eddy_error_t *err)
{
    if (!name_ok (name)) {
        eddy_error_set (err, "'%s' is not a bank name (letters, digits, '_', '-', '.')",
                        name ? name : "");
        errno = EINVAL;
        return -1;
    }
    if (shares < 0) {
        eddy_error_set (err, "shares must be >= 0");
        errno = EINVAL;
        return -1;
    }
    if (begin (db, err) < 0)
        return -1;
    int e = exists (db, "SELECT 1 FROM banks WHERE bank = ?", name, NULL, err);
    if (e != 0) {
        if (e > 0) {
            eddy_error_set (err, "bank '%s' already exists", name);
            errno = EEXIST;
        }
        return rollback (db);
    }
    if (parent) {
        if (need_bank (db, parent, " (the parent)", err) < 0)
            return rollback (db);
    } else if ((e = exists (db, "SELECT 1 FROM banks WHERE parent IS NULL AND bank != ?", name,
                            NULL, err))
               != 0) {
        if (e > 0) {
            eddy_error_set (err, "there is a root bank already: give --parent-bank");
            errno = EEXIST;
        }
        return rollback (db);
    }
    sqlite3_stmt *q = prepare (db, "INSERT INTO banks (bank, parent, shares) VALUES (?, ?, ?)", err);
    if (!q)
        return rollback (db);
    sqlite3_bind_text (q, 1, name, -1, SQLITE_STATIC);
    if (parent)
        sqlite3_bind_text (q, 2, parent, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (q, 2);
    sqlite3_bind_int64 (q, 3, shares);
    if (step_done (db, q, err, "add-bank") < 0)
        return rollback (db);
    return commit (db, err);
}

int eddy_acctdb_edit_bank (eddy_acctdb_t *db, const char *name, int64_t shares, eddy_error_t *err)
{
    if (shares < 0) {
        eddy_error_set (err, "shares must be >= 0");
        errno = EINVAL;
        return -1;
    }
    if (begin (db, err) < 0)
        return -1;
    if (need_bank (db, name, "", err) < 0)
        return rollback (db);
    sqlite3_stmt *q = prepare (db, "UPDATE banks SET shares = ? WHERE bank = ?", err);
    if (!q)
        return rollback (db);
    sqlite3_bind_int64 (q, 1, shares);
    sqlite3_bind_text (q, 2, name, -1, SQLITE_STATIC);
    if (step_done (db, q, err, "edit-bank") < 0)
        return rollback (db);
    return commit (db, err);
}

int eddy_acctdb_delete_bank (eddy_acctdb_t *db, const char *name, eddy_error_t *err)
{
    if (begin (db, err) < 0)
        return -1;
    int e;
    if (need_bank (db, name, "", err) < 0)
        return rollback (db);
    if ((e = exists (db, "SELECT 1 FROM banks WHERE parent = ?", name, NULL, err)) != 0
        || (e = exists (db, "SELECT 1 FROM users WHERE bank = ?", name, NULL, err)) != 0) {
        if (e > 0) {
            eddy_error_set (err, "bank '%s' has sub-banks or users: delete those first", name);
            errno = ENOTEMPTY;
        }
        return rollback (db);
    }
    sqlite3_stmt *q = prepare (db, "DELETE FROM banks WHERE bank = ?", err);
    if (!q)
        return rollback (db);
    sqlite3_bind_text (q, 1, name, -1, SQLITE_STATIC);
    if (step_done (db, q, err, "delete-bank") < 0)
        return rollback (db);
    return commit (db, err);
}

static int check_user_fields (const struct eddy_acct_user *u, eddy_error_t *err)
{
    if (!name_ok (u->username)) {
        eddy_error_set (err, "'%s' is not a user name", u->username ? u->username : "");
        errno = EINVAL;
        return -1;
    }
    if (u->queues && *u->queues) {
        for (const char *p = u->queues; *p; p++)
            if (!(*p == ',' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')) {
                eddy_error_set (err, "'%s' is not a comma list of queue names", u->queues);
                errno = EINVAL;
                return -1;
            }
    }
    return 0;
}

int eddy_acctdb_add_user (eddy_acctdb_t *db, const struct eddy_acct_user *u, eddy_error_t *err)
{
    if (check_user_fields (u, err) < 0)
        return -1;
    int64_t userid = u->userid;
    if (userid < 0) {
        struct passwd *pw = getpwnam (u->username);
        if (!pw) {
            eddy_error_set (err, "no user '%s' on this system: give --userid", u->username);
            errno = ENOENT;
            return -1;
        }
        userid = pw->pw_uid;
    }
    if (!u->bank) {
        eddy_error_set (err, "--bank is required");
        errno = EINVAL;
        return -1;
    }
    if (begin (db, err) < 0)
        return -1;
    int e;
    if (need_bank (db, u->bank, "", err) < 0)
        return rollback (db);
    if ((e = exists (db, "SELECT 1 FROM banks WHERE parent = ?", u->bank, NULL, err)) != 0) {
        if (e > 0) {
            eddy_error_set (err, "bank '%s' has sub-banks: users belong to leaf banks", u->bank);
            errno = EINVAL;
        }
        return rollback (db);
    }
    if ((e = exists (db, "SELECT 1 FROM users WHERE username = ? AND bank = ?", u->username,
                     u->bank, err))
        != 0) {
        if (e > 0) {
            eddy_error_set (err, "user '%s' is in bank '%s' already", u->username, u->bank);
            errno = EEXIST;
        }
        return rollback (db);
    }
    sqlite3_stmt *q = prepare (db,
                               "INSERT INTO users (username, bank, userid, shares, "
                               "max_running_jobs, max_active_jobs, queues) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               err);
    if (!q)
        return rollback (db);
    sqlite3_bind_text (q, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text (q, 2, u->bank, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (q, 3, userid);
    sqlite3_bind_int64 (q, 4, u->shares >= 0 ? u->shares : 1);
    sqlite3_bind_int64 (q, 5, u->max_running >= 0 ? u->max_running : 5);
    sqlite3_bind_int64 (q, 6, u->max_active >= 0 ? u->max_active : 7);
    sqlite3_bind_text (q, 7, u->queues ? u->queues : "", -1, SQLITE_STATIC);
    if (step_done (db, q, err, "add-user") < 0)
        return rollback (db);
    return commit (db, err);
}

int eddy_acctdb_edit_user (eddy_acctdb_t *db, const struct eddy_acct_user *u, eddy_error_t *err)
{
    if (check_user_fields (u, err) < 0)
        return -1;
    if (begin (db, err) < 0)
        return -1;
    int e = u->bank ? exists (db, "SELECT 1 FROM users WHERE username = ? AND bank = ?",
                              u->username, u->bank, err)
                    : exists (db, "SELECT 1 FROM users WHERE username = ?", u->username, NULL, err);
    if (e <= 0) {
        if (e == 0) {
            if (u->bank)
                eddy_error_set (err, "user '%s' is not in bank '%s'", u->username, u->bank);
            else
                eddy_error_set (err, "no user '%s'", u->username);
            errno = ENOENT;
        }
        return rollback (db);
    }
    struct {
        const char *col;
        int64_t v;
    } ints[] = {
        { "shares", u->shares },
        { "max_running_jobs", u->max_running },
        { "max_active_jobs", u->max_active },
        { "userid", u->userid },
    };
    for (size_t i = 0; i < sizeof (ints) / sizeof (ints[0]); i++) {
        if (ints[i].v < 0)
            continue;
        char sql[160];
        snprintf (sql, sizeof (sql), "UPDATE users SET %s = ? WHERE username = ?%s", ints[i].col,
                  u->bank ? " AND bank = ?" : "");
        sqlite3_stmt *q = prepare (db, sql, err);
        if (!q)
            return rollback (db);
        sqlite3_bind_int64 (q, 1, ints[i].v);
        sqlite3_bind_text (q, 2, u->username, -1, SQLITE_STATIC);
        if (u->bank)
            sqlite3_bind_text (q, 3, u->bank, -1, SQLITE_STATIC);
        if (step_done (db, q, err, "edit-user") < 0)
            return rollback (db);
    }
    if (u->queues) {
        sqlite3_stmt *q = prepare (db,
                                   u->bank ? "UPDATE users SET queues = ? WHERE username = ? AND "
                                             "bank = ?"
                                           : "UPDATE users SET queues = ? WHERE username = ?",
                                   err);
        if (!q)
            return rollback (db);
        sqlite3_bind_text (q, 1, u->queues, -1, SQLITE_STATIC);
        sqlite3_bind_text (q, 2, u->username, -1, SQLITE_STATIC);
        if (u->bank)
            sqlite3_bind_text (q, 3, u->bank, -1, SQLITE_STATIC);
        if (step_done (db, q, err, "edit-user") < 0)
            return rollback (db);
    }
    return commit (db, err);
}

int eddy_acctdb_delete_user (eddy_acctdb_t *db, const char *username, const char *bank,
                             eddy_error_t *err)
{
    if (begin (db, err) < 0)
        return -1;
    int e = bank ? exists (db, "SELECT 1 FROM users WHERE username = ? AND bank = ?", username,
                           bank, err)
                 : exists (db, "SELECT 1 FROM users WHERE username = ?", username, NULL, err);
    if (e <= 0) {
        if (e == 0) {
            if (bank)
                eddy_error_set (err, "user '%s' is not in bank '%s'", username, bank);
            else
                eddy_error_set (err, "no user '%s'", username);
            errno = ENOENT;
        }
        return rollback (db);
    }
    sqlite3_stmt *q = prepare (db,
                               bank ? "DELETE FROM users WHERE username = ? AND bank = ?"
                                    : "DELETE FROM users WHERE username = ?",
                               err);
    if (!q)
        return rollback (db);
    sqlite3_bind_text (q, 1, username, -1, SQLITE_STATIC);
    if (bank)
        sqlite3_bind_text (q, 2, bank, -1, SQLITE_STATIC);
    if (step_done (db, q, err, "delete-user") < 0)
        return rollback (db);
    return commit (db, err);
}

json_t *eddy_acctdb_users (eddy_acctdb_t *db, const char *username, eddy_error_t *err)
{
    sqlite3_stmt *q = prepare (db,
                               username ? "SELECT username, bank, userid, shares, "
                                          "max_running_jobs, max_active_jobs, queues FROM users "
                                          "WHERE username = ? ORDER BY username, bank"
                                        : "SELECT username, bank, userid, shares, "
                                          "max_running_jobs, max_active_jobs, queues FROM users "
                                          "ORDER BY username, bank",
                               err);
    json_t *a = json_array ();
    int rc;
    if (!q || !a) {
        sqlite3_finalize (q);
        json_decref (a);
        return NULL;
    }
    if (username)
        sqlite3_bind_text (q, 1, username, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
        json_t *o = json_pack ("{s:s s:s s:I s:I s:I s:I s:s}", "username",
                               (const char *)sqlite3_column_text (q, 0), "bank",
                               (const char *)sqlite3_column_text (q, 1), "userid",
                               (json_int_t)sqlite3_column_int64 (q, 2), "shares",
                               (json_int_t)sqlite3_column_int64 (q, 3), "max_running_jobs",
                               (json_int_t)sqlite3_column_int64 (q, 4), "max_active_jobs",
                               (json_int_t)sqlite3_column_int64 (q, 5), "queues",
                               (const char *)sqlite3_column_text (q, 6));
        if (!o || json_array_append_new (a, o) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize (q);
    if (rc != SQLITE_DONE) {
        json_decref (a);
        db_error (db, err, "users");
        return NULL;
    }
    return a;
}

/* Append bank `name`'s subtree (its row first, then its children by name). */
static int bank_walk (eddy_acctdb_t *db, json_t *all, const char *name, json_t *out, int depth)
{
    size_t i;
    json_t *b;
    if (depth > 64)
        return -1; /* a cycle cannot be made through this API; refuse one anyway */
    json_array_foreach (all, i, b)
    {
        json_t *p = json_object_get (b, "parent");
        bool match = name ? (json_is_string (p) && !strcmp (json_string_value (p), name))
                          : json_is_null (p);
        if (!match)
            continue;
        json_object_set_new (b, "depth", json_integer (depth));
        json_array_append (out, b);
        if (bank_walk (db, all, json_string_value (json_object_get (b, "bank")), out, depth + 1) < 0)
            return -1;
    }
    return 0;
}

json_t *eddy_acctdb_banks (eddy_acctdb_t *db, eddy_error_t *err)
{
    sqlite3_stmt *q = prepare (db, "SELECT bank, parent, shares FROM banks ORDER BY bank", err);
    json_t *all = json_array (), *out = json_array ();
    int rc;
    if (!q || !all || !out)
        goto fail;
    while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
        const char *parent = (const char *)sqlite3_column_text (q, 1);
        json_t *o = json_pack ("{s:s s:o s:I}", "bank", (const char *)sqlite3_column_text (q, 0),
                               "parent", parent ? json_string (parent) : json_null (), "shares",
                               (json_int_t)sqlite3_column_int64 (q, 2));
        if (!o || json_array_append_new (all, o) < 0)
            goto fail;
    }
    if (rc != SQLITE_DONE) {
        db_error (db, err, "banks");
        goto fail;
    }
    sqlite3_finalize (q);
    q = NULL;
    if (bank_walk (db, all, NULL, out, 0) < 0) {
        eddy_error_set (err, "the bank tree has a cycle");
        goto fail;
    }
    json_decref (all);
    return out;
fail:
    sqlite3_finalize (q);
    json_decref (all);
    json_decref (out);
    return NULL;
}
