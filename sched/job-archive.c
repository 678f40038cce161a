/* job-archive.c - the job-archive module: inactive jobs into an sqlite
 * database (docs/accounting.md "Job archive"), for accounting reports and
 * fair share.
 *
 * It follows the job manager's journal, keeps what it needs of each
 * active job (user, bank, queue, name, times, sizes, result; the jobspec
 * and R as text), and when a job becomes inactive (clean) queues its row.
 * Every `period` seconds (a reactor timer, so the simulator runs it the
 * same) the queued rows go in with one transaction (INSERT OR IGNORE: the
 * id is the primary key, a job is never there twice) and rows older than
 * `retention` go out.  A failed write (a full disk, a locked file past
 * `busytimeout`) is an error in the log; the rows stay queued and the
 * next period tries again, so the archive catches up when space returns.
 *
 * At load, the jobs that ended while no archiver ran (an instance
 * restarted, the module loaded late) are read back from the KVS job
 * directory (sched/jobscan.h) and queued unless the database has them.
 *
 * The module is the one place in sched/ that does file I/O (contracts.allow):
 * its database is its purpose, as the content store's is the backing store's.
 * dbpath ":memory:" keeps the archive in memory (a replay that only reads it
 * back through the module's own request).
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "engine/util/fsd.h"
#include "engine/util/eventlog.h"
#include "engine/util/u64map.h"
#include "sched/jobscan.h"
#include "sched/fairshare.h"
#include "sched/jobspec.h"
#include "sched/modules.h"
#include "sched/rlist.h"

struct arec {
    uint64_t id;
    int64_t userid;
    char *bank, *queue, *name;
    double t_submit, t_run, t_inactive;
    int nnodes, ncores, ngpus;
    bool finished, fatal;
    int waitstatus;
    char *exc_type;
    char *R, *jobspec; /* JSON text */
    struct arec *next;          /* in the queue of rows to write */
    struct arec *aprev, *anext; /* among the active ones (the map's values) */
};

/* Decayed core-seconds of one (userid, bank): value v at reference time t. */
struct usage {
    int64_t userid;
    char *bank;
    double v, t;
    struct usage *next;
};

struct archive {
    eddy_handle_t *h;
    sqlite3 *db;
    char *dbpath;
    double period, busytimeout, retention;
    eddy_u64map_t *active; /* id -> struct arec, also listed from active_head */
    struct arec *active_head;
    struct arec *queue_head, *queue_tail;
    size_t queued;
    uint64_t written, failures;
    eddy_future_t *journal;
    eddy_jobscan_t *scan;
    eddy_watcher_t *period_w, *retry_w;
    eddy_msg_handler_t **handlers;
    bool failing; /* the last write failed (logged once until it works) */
    /* fair share ([accounting]): usage kept up to date as rows are written */
    char *acct_path;
    double half_life, fs_period;
    struct usage *usage;
    eddy_watcher_t *fs_w;
    json_t *last_factors; /* what the last update computed */
    bool fs_failing, fs_sent_error;
};

static void rec_free (struct arec *r)
{
    if (r) {
        free (r->bank);
        free (r->queue);
        free (r->name);
        free (r->exc_type);
        free (r->R);
        free (r->jobspec);
        free (r);
    }
}

static char *dup_or_null (const char *s)
{
    return s && *s ? strdup (s) : NULL;
}

static void set_from_jobspec (struct arec *r, json_t *jobspec)
{
    eddy_jobspec_t *js = eddy_jobspec_parse (jobspec, EDDY_JOBSPEC_V1, NULL);
    if (js) {
        json_t *sys = json_object_get (eddy_jobspec_attributes (js), "system");
        const char *queue = eddy_jobspec_queue (js);
        const char *bank = json_string_value (json_object_get (sys, "bank"));
        const char *name = json_string_value (json_object_get (json_object_get (sys, "job"), "name"));
        if (!name) {
            json_t *cmd = json_object_get (json_array_get (json_object_get (jobspec, "tasks"), 0),
                                           "command");
            const char *arg0 = json_string_value (json_array_get (cmd, 0));
            if (arg0) {
                const char *slash = strrchr (arg0, '/');
                name = slash ? slash + 1 : arg0;
            }
        }
        free (r->queue);
        free (r->bank);
        free (r->name);
        r->queue = dup_or_null (queue);
        r->bank = dup_or_null (bank);
        r->name = dup_or_null (name);
        eddy_jobspec_destroy (js);
    }
    free (r->jobspec);
    r->jobspec = jobspec ? json_dumps (jobspec, JSON_COMPACT) : NULL;
}

static void set_from_R (struct arec *r, json_t *R)
{
    eddy_rlist_t *rl = R ? eddy_rlist_from_json (R, 0, NULL) : NULL;
    if (rl) {
        r->nnodes = (int)eddy_rlist_count (rl, EDDY_RLIST_NODES);
        r->ncores = (int)eddy_rlist_count (rl, EDDY_RLIST_CORES);
        r->ngpus = (int)eddy_rlist_count (rl, EDDY_RLIST_GPUS);
        eddy_rlist_destroy (rl);
    }
    free (r->R);
    r->R = R ? json_dumps (R, JSON_COMPACT) : NULL;
}

static struct arec *rec_create (uint64_t id, double ts, json_t *ctx, json_t *jobspec)
{
    struct arec *r = calloc (1, sizeof (*r));
    json_int_t userid = 0;
    if (!r)
        return NULL;
    r->id = id;
    r->t_submit = ts;
    r->t_run = -1;
    r->waitstatus = -1;
    json_unpack (ctx, "{s?I}", "userid", &userid);
    r->userid = userid;
    if (jobspec)
        set_from_jobspec (r, jobspec);
    return r;
}

/* One entry after submit; true once the job is inactive. */
static bool rec_apply (struct arec *r, const char *name, double ts, json_t *ctx, json_t *R)
{
    if (!strcmp (name, "alloc")) {
        r->t_run = ts;
        if (R)
            set_from_R (r, R);
    } else if (!strcmp (name, "finish")) {
        json_unpack (ctx, "{s:i}", "status", &r->waitstatus);
        r->finished = true;
    } else if (!strcmp (name, "exception")) {
        int severity = 1;
        const char *type = "";
        json_unpack (ctx, "{s?i s?s}", "severity", &severity, "type", &type);
        if (severity == 0 && !r->fatal) {
            r->fatal = true;
            free (r->exc_type);
            r->exc_type = dup_or_null (type);
        }
    } else if (!strcmp (name, "clean")) {
        r->t_inactive = ts;
        return true;
    }
    return false;
}

/* As eddy jobs says it (sched/job-list.c). */
static const char *result_of (const struct arec *r)
{
    if (r->fatal) {
        const char *t = r->exc_type ? r->exc_type : "";
        if (!strcmp (t, "cancel"))
            return "CANCELED";
        if (!strcmp (t, "timeout"))
            return "TIMEOUT";
        return "FAILED";
    }
    return r->finished && r->waitstatus == 0 ? "COMPLETED" : "FAILED";
}

static int active_add (struct archive *ar, struct arec *r)
{
    if (eddy_u64map_put (ar->active, r->id, r) < 0)
        return -1;
    r->aprev = NULL;
    r->anext = ar->active_head;
    if (ar->active_head)
        ar->active_head->aprev = r;
    ar->active_head = r;
    return 0;
}

static void active_del (struct archive *ar, struct arec *r)
{
    eddy_u64map_remove (ar->active, r->id);
    if (r->aprev)
        r->aprev->anext = r->anext;
    else
        ar->active_head = r->anext;
    if (r->anext)
        r->anext->aprev = r->aprev;
    r->aprev = r->anext = NULL;
}

static void enqueue (struct archive *ar, struct arec *r)
{
    r->next = NULL;
    if (ar->queue_tail)
        ar->queue_tail->next = r;
    else
        ar->queue_head = r;
    ar->queue_tail = r;
    ar->queued++;
}

/* ---- usage (decayed core-seconds per user and bank) ---- */

static struct usage *usage_find (struct archive *ar, int64_t userid, const char *bank, bool create)
{
    for (struct usage *u = ar->usage; u; u = u->next)
        if (u->userid == userid && !strcmp (u->bank, bank ? bank : ""))
            return u;
    if (!create)
        return NULL;
    struct usage *u = calloc (1, sizeof (*u));
    if (!u || !(u->bank = strdup (bank ? bank : ""))) {
        free (u);
        return NULL;
    }
    u->userid = userid;
    u->next = ar->usage;
    ar->usage = u;
    return u;
}

/* A job of `cores` that ran [t_run, t_end] adds its core-seconds, counted
 * at its end: U(now) = sum of u_j 2^(-(now - end_j) / half-life). */
static void usage_add (struct archive *ar, int64_t userid, const char *bank, double cores,
                       double t_run, double t_end)
{
    if (!ar->acct_path || !(t_run > 0) || !(t_end >= t_run))
        return;
    struct usage *u = usage_find (ar, userid, bank, true);
    if (!u)
        return;
    double amount = cores * (t_end - t_run);
    if (t_end >= u->t) {
        u->v = eddy_fairshare_decay (u->v, t_end - u->t, ar->half_life) + amount;
        u->t = t_end;
    } else
        u->v += eddy_fairshare_decay (amount, u->t - t_end, ar->half_life);
}

static double usage_now (struct archive *ar, int64_t userid, const char *bank, double now)
{
    struct usage *u = usage_find (ar, userid, bank, false);
    return u ? eddy_fairshare_decay (u->v, now - u->t, ar->half_life) : 0;
}

/* ---- the database ---- */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS jobs ("
    "  id INTEGER PRIMARY KEY, userid INTEGER NOT NULL, bank TEXT, queue TEXT, name TEXT,"
    "  t_submit REAL NOT NULL, t_run REAL NOT NULL, t_inactive REAL NOT NULL,"
    "  nnodes INTEGER NOT NULL, ncores INTEGER NOT NULL, ngpus INTEGER NOT NULL,"
    "  state TEXT NOT NULL, result TEXT NOT NULL, exit_status INTEGER, R TEXT, jobspec TEXT);"
    "CREATE INDEX IF NOT EXISTS jobs_user ON jobs (userid, bank);"
    "CREATE INDEX IF NOT EXISTS jobs_inactive ON jobs (t_inactive);";

static int db_open (struct archive *ar)
{
    if (sqlite3_open_v2 (ar->dbpath, &ar->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
        != SQLITE_OK) {
        eddy_log (ar->h, LOG_ERR, "%s: %s", ar->dbpath,
                  ar->db ? sqlite3_errmsg (ar->db) : "cannot open");
        return -1;
    }
    sqlite3_busy_timeout (ar->db, (int)(ar->busytimeout * 1000));
    char *msg = NULL;
    if (sqlite3_exec (ar->db, "PRAGMA journal_mode = WAL;", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_exec (ar->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        eddy_log (ar->h, LOG_ERR, "%s: %s", ar->dbpath, msg ? msg : sqlite3_errmsg (ar->db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static bool db_has (struct archive *ar, uint64_t id)
{
    sqlite3_stmt *q = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (ar->db, "SELECT 1 FROM jobs WHERE id = ?", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (q, 1, (sqlite3_int64)id);
        found = sqlite3_step (q) == SQLITE_ROW;
    }
    sqlite3_finalize (q);
    return found;
}

/* Write every queued row in one transaction, then apply retention.  On
 * failure nothing is written (rollback) and the rows stay queued. */
static int flush (struct archive *ar)
{
    sqlite3_stmt *q = NULL;
    char *msg = NULL;
    size_t n = 0;
    if (!ar->queue_head && !(ar->retention > 0))
        return 0;
    if (sqlite3_exec (ar->db, "BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2 (ar->db,
                            "INSERT OR IGNORE INTO jobs (id, userid, bank, queue, name, t_submit, "
                            "t_run, t_inactive, nnodes, ncores, ngpus, state, result, "
                            "exit_status, R, jobspec) VALUES (?,?,?,?,?,?,?,?,?,?,?,'INACTIVE',?,?,?,?)",
                            -1, &q, NULL)
        != SQLITE_OK)
        goto fail;
    for (struct arec *r = ar->queue_head; r; r = r->next) {
        sqlite3_reset (q);
        sqlite3_clear_bindings (q);
        sqlite3_bind_int64 (q, 1, (sqlite3_int64)r->id);
        sqlite3_bind_int64 (q, 2, r->userid);
        sqlite3_bind_text (q, 3, r->bank, -1, SQLITE_STATIC);
        sqlite3_bind_text (q, 4, r->queue, -1, SQLITE_STATIC);
        sqlite3_bind_text (q, 5, r->name, -1, SQLITE_STATIC);
        sqlite3_bind_double (q, 6, r->t_submit);
        sqlite3_bind_double (q, 7, r->t_run);
        sqlite3_bind_double (q, 8, r->t_inactive);
        sqlite3_bind_int (q, 9, r->nnodes);
        sqlite3_bind_int (q, 10, r->ncores);
        sqlite3_bind_int (q, 11, r->ngpus);
        sqlite3_bind_text (q, 12, result_of (r), -1, SQLITE_STATIC);
        if (r->finished)
            /* the exit code as a shell reports it: 128 + signal */
            sqlite3_bind_int (q, 13, (r->waitstatus & 0x7f) ? 128 + (r->waitstatus & 0x7f)
                                                            : (r->waitstatus >> 8) & 0xff);
        else
            sqlite3_bind_null (q, 13);
        sqlite3_bind_text (q, 14, r->R, -1, SQLITE_STATIC);
        sqlite3_bind_text (q, 15, r->jobspec, -1, SQLITE_STATIC);
        if (sqlite3_step (q) != SQLITE_DONE)
            goto fail;
        n++;
    }
    sqlite3_finalize (q);
    q = NULL;
    if (ar->retention > 0) {
        if (sqlite3_prepare_v2 (ar->db, "DELETE FROM jobs WHERE t_inactive < ?", -1, &q, NULL)
            != SQLITE_OK)
            goto fail;
        sqlite3_bind_double (q, 1, eddy_reactor_now (eddy_handle_reactor (ar->h)) - ar->retention);
        if (sqlite3_step (q) != SQLITE_DONE)
            goto fail;
        sqlite3_finalize (q);
        q = NULL;
    }
    if (sqlite3_exec (ar->db, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    while (ar->queue_head) {
        struct arec *r = ar->queue_head;
        ar->queue_head = r->next;
        usage_add (ar, r->userid, r->bank, r->ncores, r->t_run, r->t_inactive);
        rec_free (r);
    }
    ar->queue_tail = NULL;
    ar->queued = 0;
    ar->written += n;
    if (ar->failing) {
        eddy_log (ar->h, LOG_NOTICE, "%s: writing again: %zu jobs archived", ar->dbpath, n);
        ar->failing = false;
    }
    return 0;
fail:
    if (!ar->failing || ar->failures % 100 == 0)
        eddy_log (ar->h, LOG_ERR, "%s: cannot archive %zu jobs (kept, tried again in %g s): %s",
                  ar->dbpath, ar->queued, ar->period, msg ? msg : sqlite3_errmsg (ar->db));
    sqlite3_free (msg);
    sqlite3_finalize (q);
    sqlite3_exec (ar->db, "ROLLBACK;", NULL, NULL, NULL);
    ar->failing = true;
    ar->failures++;
    return -1;
}

static void period_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    flush (arg);
}

/* ---- fair share: the accounting database's tree, this archive's usage ---- */

/* Usage from every row of the archive (at load; then rows as written). */
static int usage_load (struct archive *ar)
{
    sqlite3_stmt *q = NULL;
    int rc;
    if (sqlite3_prepare_v2 (ar->db,
                            "SELECT userid, bank, ncores, t_run, t_inactive FROM jobs "
                            "WHERE t_run > 0 ORDER BY t_inactive", -1, &q, NULL)
        != SQLITE_OK)
        return -1;
    while ((rc = sqlite3_step (q)) == SQLITE_ROW)
        usage_add (ar, sqlite3_column_int64 (q, 0), (const char *)sqlite3_column_text (q, 1),
                   sqlite3_column_double (q, 2), sqlite3_column_double (q, 3),
                   sqlite3_column_double (q, 4));
    sqlite3_finalize (q);
    return rc == SQLITE_DONE ? 0 : -1;
}

struct bank_row {
    char *name, *parent;
    double shares;
};

static void fs_error (struct archive *ar, const char *what, sqlite3 *db)
{
    if (!ar->fs_failing)
        eddy_log (ar->h, LOG_ERR, "[accounting] %s: %s: %s", ar->acct_path, what,
                  db ? sqlite3_errmsg (db) : "cannot open");
    ar->fs_failing = true;
}

static void fs_update_cb (eddy_future_t *f, void *arg)
{
    struct archive *ar = arg;
    if (eddy_rpc_get (f, NULL) < 0 && !ar->fs_sent_error) {
        eddy_log (ar->h, LOG_INFO, "job-manager.priority-update: %s (fair share not applied)",
                  eddy_future_error_string (f));
        ar->fs_sent_error = true;
    }
    eddy_future_destroy (f);
}

/* Read the tree, compute every association's factor, send them to the job
 * manager (job-manager.priority-update) and keep them for
 * job-archive.fairshare. */
static void fairshare_update (struct archive *ar)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    struct bank_row *banks = NULL;
    size_t nbanks = 0, nusers = 0, n = 0;
    struct eddy_fs_node *t = NULL;
    json_t *users = NULL, *assoc = json_array ();
    double now = eddy_reactor_now (eddy_handle_reactor (ar->h));
    int rc;

    if (!assoc)
        return;
    if (sqlite3_open_v2 (ar->acct_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fs_error (ar, "open", db);
        goto done;
    }
    sqlite3_busy_timeout (db, (int)(ar->busytimeout * 1000));
    if (sqlite3_prepare_v2 (db, "SELECT bank, parent, shares FROM banks ORDER BY bank", -1, &q,
                            NULL)
        != SQLITE_OK) {
        fs_error (ar, "banks", db);
        goto done;
    }
    while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
        struct bank_row *nb = realloc (banks, (nbanks + 1) * sizeof (*banks));
        if (!nb)
            goto done;
        banks = nb;
        const char *parent = (const char *)sqlite3_column_text (q, 1);
        banks[nbanks].name = strdup ((const char *)sqlite3_column_text (q, 0));
        banks[nbanks].parent = parent ? strdup (parent) : NULL;
        banks[nbanks].shares = sqlite3_column_double (q, 2);
        nbanks++;
    }
    sqlite3_finalize (q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        fs_error (ar, "banks", db);
        goto done;
    }
    if (!(users = json_array ()))
        goto done;
    if (sqlite3_prepare_v2 (db,
                            "SELECT userid, bank, shares, max_running_jobs, max_active_jobs, "
                            "queues, username FROM users ORDER BY rowid",
                            -1, &q, NULL)
        != SQLITE_OK) {
        fs_error (ar, "users", db);
        goto done;
    }
    while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
        json_t *u = json_pack ("{s:I s:s s:f s:I s:I s:s s:s}", "userid",
                               (json_int_t)sqlite3_column_int64 (q, 0), "bank",
                               (const char *)sqlite3_column_text (q, 1), "shares",
                               sqlite3_column_double (q, 2), "max_running_jobs",
                               (json_int_t)sqlite3_column_int64 (q, 3), "max_active_jobs",
                               (json_int_t)sqlite3_column_int64 (q, 4), "queues",
                               (const char *)sqlite3_column_text (q, 5), "username",
                               (const char *)sqlite3_column_text (q, 6));
        if (!u || json_array_append_new (users, u) < 0)
            goto done;
    }
    sqlite3_finalize (q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        fs_error (ar, "users", db);
        goto done;
    }
    nusers = json_array_size (users);
    if (nbanks == 0)
        goto done;
    /* the tree, parents first: banks breadth first from the root, each
     * bank's users after the banks (a user's parent is its bank) */
    if (!(t = calloc (nbanks + nusers, sizeof (*t))))
        goto done;
    int *bank_of = calloc (nbanks, sizeof (int));
    if (!bank_of)
        goto done;
    for (size_t i = 0; i < nbanks; i++)
        bank_of[i] = -1;
    for (size_t i = 0; i < nbanks; i++)
        if (!banks[i].parent) {
            t[n] = (struct eddy_fs_node){ .name = banks[i].name, .parent = -1,
                                          .shares = banks[i].shares };
            bank_of[i] = (int)n++;
            break;
        }
    for (size_t head = 0; head < n; head++)
        for (size_t i = 0; i < nbanks; i++)
            if (bank_of[i] < 0 && banks[i].parent && !strcmp (banks[i].parent, t[head].name)) {
                t[n] = (struct eddy_fs_node){ .name = banks[i].name, .parent = (int)head,
                                              .shares = banks[i].shares };
                bank_of[i] = (int)n++;
            }
    size_t nb_in = n;
    size_t i;
    json_t *u;
    json_array_foreach (users, i, u) {
        const char *bank = json_string_value (json_object_get (u, "bank"));
        int parent = -1;
        for (size_t k = 0; k < nb_in; k++)
            if (!strcmp (t[k].name, bank))
                parent = (int)k;
        if (parent < 0)
            continue; /* its bank is not under the root */
        int64_t uid = json_integer_value (json_object_get (u, "userid"));
        t[n] = (struct eddy_fs_node){ .name = json_string_value (json_object_get (u, "username")),
                                      .parent = parent,
                                      .shares = json_real_value (json_object_get (u, "shares")),
                                      .usage = usage_now (ar, uid, bank, now), .user = true };
        json_object_set_new (u, "node", json_integer ((json_int_t)n));
        n++;
    }
    free (bank_of);
    eddy_error_t err;
    if (eddy_fairshare_compute (t, n, &err) < 0) {
        if (!ar->fs_failing)
            eddy_log (ar->h, LOG_ERR, "[accounting] %s: %s", ar->acct_path, err.text);
        ar->fs_failing = true;
        goto done;
    }
    /* the first association of a user (by when it was added) is its default bank */
    json_array_foreach (users, i, u) {
        json_t *node = json_object_get (u, "node");
        if (!node)
            continue;
        struct eddy_fs_node *x = &t[json_integer_value (node)];
        int64_t uid = json_integer_value (json_object_get (u, "userid"));
        bool first = true;
        size_t k;
        json_t *w;
        json_array_foreach (assoc, k, w)
            if (json_integer_value (json_object_get (w, "userid")) == uid)
                first = false;
        json_t *a = json_pack ("{s:I s:s s:f s:f s:f s:I s:I s:s s:b}", "userid", (json_int_t)uid,
                               "bank", json_string_value (json_object_get (u, "bank")), "fairshare",
                               x->factor, "usage", x->usage, "norm_shares", x->norm_shares,
                               "max_running_jobs", json_integer_value (json_object_get (u, "max_running_jobs")),
                               "max_active_jobs", json_integer_value (json_object_get (u, "max_active_jobs")),
                               "queues", json_string_value (json_object_get (u, "queues")), "default", first);
        if (a)
            json_array_append_new (assoc, a);
    }
    if (ar->fs_failing)
        eddy_log (ar->h, LOG_NOTICE, "[accounting] %s: fair share computed again", ar->acct_path);
    ar->fs_failing = false;
    json_decref (ar->last_factors);
    ar->last_factors = json_incref (assoc);
    eddy_future_t *f = eddy_rpc_pack (ar->h, "job-manager.priority-update", EDDY_NODEID_ANY, 0,
                                      "{s:O s:f}", "users", assoc, "time", now);
    if (!f || eddy_future_then (f, -1, fs_update_cb, ar) < 0)
        eddy_future_destroy (f);
done:
    sqlite3_finalize (q);
    if (db)
        sqlite3_close (db);
    for (size_t k = 0; k < nbanks; k++) {
        free (banks[k].name);
        free (banks[k].parent);
    }
    free (banks);
    free (t);
    json_decref (users);
    json_decref (assoc);
}

static void fs_timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    fairshare_update (arg);
}

/* ---- the journal ---- */

static void apply (struct archive *ar, json_t *item)
{
    json_int_t id;
    json_t *entry, *jobspec = NULL;
    const char *name;
    double ts;

    if (json_unpack (item, "{s:I s:o s?o}", "id", &id, "entry", &entry, "jobspec", &jobspec) < 0
        || json_unpack (entry, "{s:F s:s}", "timestamp", &ts, "name", &name) < 0)
        return;
    json_t *ctx = json_object_get (entry, "context");
    struct arec *r = eddy_u64map_get (ar->active, (uint64_t)id);
    if (!strcmp (name, "submit")) {
        if (!r && (r = rec_create ((uint64_t)id, ts, ctx, jobspec)) && active_add (ar, r) < 0)
            rec_free (r);
        return;
    }
    if (!r)
        return;
    if (rec_apply (r, name, ts, ctx, json_object_get (item, "R"))) {
        active_del (ar, r);
        enqueue (ar, r);
    }
}

static void journal_cb (eddy_future_t *f, void *arg);

static void subscribe (struct archive *ar)
{
    eddy_future_t *f = eddy_rpc (ar->h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                 EDDY_RPC_STREAMING);
    if (!f || eddy_future_then (f, -1, journal_cb, ar) < 0) {
        eddy_future_destroy (f);
        eddy_watcher_start (ar->retry_w);
        return;
    }
    ar->journal = f;
}

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct archive *ar = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0) {
        eddy_future_destroy (f);
        ar->journal = NULL;
        eddy_watcher_start (ar->retry_w);
        return;
    }
    if (o && json_unpack (o, "{s:o}", "events", &events) == 0)
        json_array_foreach (events, i, item)
            apply (ar, item);
    eddy_future_reset (f);
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct archive *ar = arg;
    if (!ar->journal)
        subscribe (ar);
}

/* ---- jobs that ended before this module ran: from the KVS ---- */

static int scan_eventlog_cb (uint64_t id, const char *text, void *arg)
{
    struct archive *ar = arg;
    json_t *events = eddy_eventlog_decode (text, NULL), *entry, *ctx;
    struct arec *r = NULL;
    bool done = false;
    const char *name;
    double ts;
    size_t i;

    if (eddy_u64map_get (ar->active, id))
        goto out;
    json_array_foreach (events, i, entry) {
        if (eddy_eventlog_entry_parse (entry, &ts, &name, &ctx) < 0)
            break;
        if (i == 0) {
            if (strcmp (name, "submit") != 0 || !(r = rec_create (id, ts, ctx, NULL)))
                break;
        } else if (rec_apply (r, name, ts, ctx, NULL)) {
            done = true;
            break;
        }
    }
out:
    json_decref (events);
    if (!done) {
        rec_free (r);
        return 0;
    }
    /* keep it aside until its jobspec and R are read */
    if (active_add (ar, r) < 0) {
        rec_free (r);
        return 0;
    }
    return EDDY_JOBSCAN_JOBSPEC | EDDY_JOBSCAN_R;
}

static void scan_extra_cb (uint64_t id, const char *eventlog, json_t *jobspec, json_t *R, void *arg)
{
    struct archive *ar = arg;
    struct arec *r = eddy_u64map_get (ar->active, id);
    if (!r || r->t_inactive <= 0)
        return;
    active_del (ar, r);
    if (jobspec)
        set_from_jobspec (r, jobspec);
    if (R)
        set_from_R (r, R);
    enqueue (ar, r);
}

static bool scan_known_cb (uint64_t id, void *arg)
{
    struct archive *ar = arg;
    return eddy_u64map_get (ar->active, id) != NULL || db_has (ar, id);
}

static void scan_done_cb (eddy_jobscan_t *scan, int errnum, void *arg)
{
    struct archive *ar = arg;
    if (ar->queued)
        eddy_log (ar->h, LOG_INFO, "%zu jobs inactive before this archiver ran: queued", ar->queued);
    eddy_jobscan_destroy (scan);
    ar->scan = NULL;
}

static const struct eddy_jobscan_ops scan_ops = {
    .eventlog = scan_eventlog_cb,
    .extra = scan_extra_cb,
    .done = scan_done_cb,
    .known = scan_known_cb,
};

/* ---- requests ---- */

/* job-archive.stats {} -> {dbpath, written, queued, failures, active} */
static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct archive *ar = arg;
    eddy_respond_pack (h, msg, "{s:s s:I s:I s:I s:I}", "dbpath", ar->dbpath, "written",
                       (json_int_t)ar->written, "queued", (json_int_t)ar->queued, "failures",
                       (json_int_t)ar->failures, "active",
                       (json_int_t)eddy_u64map_count (ar->active));
}

/* job-archive.flush {} -> {written}: write what is queued now (tests, and
 * an administrator before a backup); an error if the write fails */
static void flush_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct archive *ar = arg;
    if (flush (ar) < 0) {
        char why[256];
        snprintf (why, sizeof (why), "cannot write the archive: %s", sqlite3_errmsg (ar->db));
        eddy_respond_error (h, msg, EIO, why);
        return;
    }
    eddy_respond_pack (h, msg, "{s:I}", "written", (json_int_t)ar->written);
}

/* job-archive.fairshare {} -> {users: [...]}: the last factors computed
 * (update: compute now first) */
static void fairshare_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct archive *ar = arg;
    int update = 0;
    json_unpack (eddy_msg_payload (msg), "{s?b}", "update", &update);
    if (!ar->acct_path) {
        eddy_respond_error (h, msg, ENOSYS, "no [accounting] dbpath: no fair share");
        return;
    }
    if (update) {
        flush (ar);
        fairshare_update (ar);
    }
    eddy_respond_pack (h, msg, "{s:O}", "users", ar->last_factors ? ar->last_factors : json_array ());
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "job-archive.fairshare", fairshare_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "job-archive.stats", stats_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "job-archive.flush", flush_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

static void archive_unload (void *ctx)
{
    struct archive *ar = ctx;
    if (!ar)
        return;
    if (ar->db && ar->queue_head)
        flush (ar); /* last chance; what fails is read back from the KVS next time */
    eddy_jobscan_destroy (ar->scan);
    eddy_future_destroy (ar->journal);
    eddy_watcher_destroy (ar->period_w);
    eddy_watcher_destroy (ar->retry_w);
    eddy_watcher_destroy (ar->fs_w);
    json_decref (ar->last_factors);
    while (ar->usage) {
        struct usage *u = ar->usage;
        ar->usage = u->next;
        free (u->bank);
        free (u);
    }
    free (ar->acct_path);
    eddy_msg_handler_delvec (ar->handlers);
    while (ar->active_head) {
        struct arec *r = ar->active_head;
        active_del (ar, r);
        rec_free (r);
    }
    eddy_u64map_destroy (ar->active);
    while (ar->queue_head) {
        struct arec *r = ar->queue_head;
        ar->queue_head = r->next;
        rec_free (r);
    }
    if (ar->db)
        sqlite3_close (ar->db);
    free (ar->dbpath);
    free (ar);
}

/* A duration: seconds (a number) or RFC 23 text ("30s", "5m", "2h", "7d"). */
static int duration (json_t *v, double *out)
{
    if (!v)
        return 0;
    if (json_is_number (v)) {
        *out = json_number_value (v);
        return *out >= 0 ? 0 : -1;
    }
    const char *s = json_string_value (v);
    return s ? eddy_fsd_parse (s, out, NULL) : -1;
}

static int archive_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct archive *ar = calloc (1, sizeof (*ar));
    const json_t *conf = eddy_handle_config (h);
    json_t *dbpath;
    if (!ar)
        return -1;
    ar->h = h;
    ar->period = 60;
    ar->busytimeout = 50;
    /* module arguments win over [archive] */
    const char *keys[] = { "period", "busytimeout", "retention" };
    double *vals[] = { &ar->period, &ar->busytimeout, &ar->retention };
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get (args, keys[i]);
        if (!v)
            v = json_object_get (conf, keys[i]);
        if (duration (v, vals[i]) < 0) {
            eddy_log (h, LOG_ERR, "[archive] %s: expected a duration (seconds, or 30s, 5m, 2h, 7d)",
                      keys[i]);
            goto inval;
        }
    }
    if (!(ar->period > 0)) {
        eddy_log (h, LOG_ERR, "[archive] period must be > 0");
        goto inval;
    }
    if (!(dbpath = json_object_get (args, "dbpath")))
        dbpath = json_object_get (conf, "dbpath");
    if (!json_is_string (dbpath) || !*json_string_value (dbpath)) {
        eddy_log (h, LOG_ERR, "[archive] dbpath (a file, or \":memory:\") is required");
        goto inval;
    }
    if (!(ar->dbpath = strdup (json_string_value (dbpath))) || !(ar->active = eddy_u64map_create ()))
        goto fail;
    if (db_open (ar) < 0)
        goto inval;
    /* [accounting]: fair share from this archive's usage */
    json_t *acct = json_object_get (args, "accounting");
    if (!acct)
        acct = json_object_get (conf, "accounting");
    if (acct) {
        json_t *p = json_object_get (acct, "dbpath");
        ar->half_life = 7 * 86400;
        ar->fs_period = 300;
        if (!json_is_string (p) || duration (json_object_get (acct, "half-life"), &ar->half_life) < 0
            || duration (json_object_get (acct, "period"), &ar->fs_period) < 0
            || !(ar->fs_period > 0)) {
            eddy_log (h, LOG_ERR, "[accounting]: dbpath (a path) is required; half-life and period "
                                  "are durations (period > 0)");
            goto inval;
        }
        if (!(ar->acct_path = strdup (json_string_value (p))))
            goto fail;
        if (usage_load (ar) < 0) {
            eddy_log (h, LOG_ERR, "%s: cannot read usage: %s", ar->dbpath, sqlite3_errmsg (ar->db));
            goto inval;
        }
    }
    eddy_reactor_t *r = eddy_handle_reactor (h);
    if (ar->acct_path) {
        if (!(ar->fs_w = eddy_timer_create (r, 0, ar->fs_period, fs_timer_cb, ar)))
            goto fail;
        eddy_watcher_start (ar->fs_w);
    }
    if (!(ar->period_w = eddy_timer_create (r, ar->period, ar->period, period_cb, ar))
        || !(ar->retry_w = eddy_timer_create (r, 1.0, 0, retry_cb, ar))
        || eddy_msg_handler_addvec (h, handlers, ar, &ar->handlers) < 0
        || eddy_service_register (h, "job-archive") < 0)
        goto fail;
    eddy_watcher_start (ar->period_w);
    subscribe (ar);
    if (!(ar->scan = eddy_jobscan_start (h, &scan_ops, ar)))
        eddy_log (h, LOG_ERR, "cannot read back the jobs that ended before: %s", strerror (errno));
    *ctx = ar;
    return 0;
inval:
    archive_unload (ar);
    errno = EINVAL;
    return -1;
fail:
    archive_unload (ar);
    return -1;
}

static const char *const archive_extra[] = { "accounting", NULL };

const struct eddy_module eddy_module_job_archive = {
    .name = "job-archive",
    .load = archive_load,
    .unload = archive_unload,
    .config_table = "archive", /* Flux's name */
    .config_extra = archive_extra,
};
