/* account-jobs.c - `eddy account jobs`: archived jobs (sacct-like), read
 * from the job archive's database (docs/accounting.md "Job archive").
 */
#include <math.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd.h"

static const char *user_name (int64_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid ((uid_t)uid);
    if (pw)
        return pw->pw_name;
    snprintf (buf, len, "%lld", (long long)uid);
    return buf;
}

/* The default format's columns, and every field a format may name. */
static const char *const fields[] = { "id",       "user",      "userid",     "bank",   "queue",
                                      "name",     "t_submit",  "t_run",      "t_inactive",
                                      "nnodes",   "ncores",    "ngpus",      "state",
                                      "result",   "exit_status", "runtime",  NULL };

static void put_field (json_t *o, const char *f)
{
    json_t *v = json_object_get (o, f);
    if (json_is_string (v))
        fputs (json_string_value (v), stdout);
    else if (json_is_integer (v))
        printf ("%lld", (long long)json_integer_value (v));
    else if (json_is_real (v))
        printf ("%.3f", json_real_value (v));
    else
        fputs ("-", stdout);
}

/* -o FORMAT: text with {field} */
static void print_format (json_t *o, const char *format)
{
    for (const char *p = format; *p; p++) {
        if (*p == '{') {
            const char *e = strchr (p, '}');
            if (!e)
                eddy_cmd_die ("account", "jobs: -o: unclosed '{' in '%s'", format);
            char name[64];
            snprintf (name, sizeof (name), "%.*s", (int)(e - p - 1), p + 1);
            bool known = false;
            for (int i = 0; fields[i]; i++)
                known |= !strcmp (fields[i], name);
            if (!known)
                eddy_cmd_die ("account", "jobs: -o: unknown field '%s'", name);
            put_field (o, name);
            p = e;
        } else if (*p == '\\' && p[1] == 'n') {
            putchar ('\n');
            p++;
        } else
            putchar (*p);
    }
    putchar ('\n');
}

int account_jobs (const char *archive, const char *user, const char *bank, double since,
                  double until, const char *format, bool json)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_open_v2 (archive, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        eddy_cmd_die ("account", "jobs: %s: %s", archive, db ? sqlite3_errmsg (db) : "cannot open");
    sqlite3_busy_timeout (db, 5000);
    int64_t uid = -1;
    if (user) {
        char *end;
        struct passwd *pw = getpwnam (user);
        long long v = strtoll (user, &end, 10);
        if (pw)
            uid = pw->pw_uid;
        else if (*user && !*end && v >= 0)
            uid = v;
        else
            eddy_cmd_die ("account", "jobs: no user '%s'", user);
    }
    const char *sql = "SELECT id, userid, bank, queue, name, t_submit, t_run, t_inactive, nnodes, "
                      "ncores, ngpus, state, result, exit_status FROM jobs "
                      "WHERE (? < 0 OR userid = ?) AND (? IS NULL OR bank = ?) "
                      "AND t_inactive >= ? AND t_inactive < ? ORDER BY t_inactive, id";
    if (sqlite3_prepare_v2 (db, sql, -1, &q, NULL) != SQLITE_OK)
        eddy_cmd_die ("account", "jobs: %s: %s (is it a job archive?)", archive,
                      sqlite3_errmsg (db));
    sqlite3_bind_int64 (q, 1, uid);
    sqlite3_bind_int64 (q, 2, uid);
    if (bank) {
        sqlite3_bind_text (q, 3, bank, -1, SQLITE_STATIC);
        sqlite3_bind_text (q, 4, bank, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null (q, 3);
        sqlite3_bind_null (q, 4);
    }
    sqlite3_bind_double (q, 5, since);
    sqlite3_bind_double (q, 6, isinf (until) ? 1e300 : until);
    json_t *all = json ? json_array () : NULL;
    if (!json && !format)
        printf ("%-20s %-10s %-10s %-10s %6s %6s %10s %-10s %4s\n", "JOBID", "USER", "BANK",
                "QUEUE", "NODES", "CORES", "RUNTIME", "RESULT", "EXIT");
    int rc;
    while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
        char ubuf[32];
        const char *txt;
        int64_t userid = sqlite3_column_int64 (q, 1);
        double t_run = sqlite3_column_double (q, 6), t_inactive = sqlite3_column_double (q, 7);
        json_t *o = json_pack ("{s:I s:s s:I s:f s:f s:f s:I s:I s:I}", "id",
                               (json_int_t)sqlite3_column_int64 (q, 0), "user",
                               user_name (userid, ubuf, sizeof (ubuf)), "userid",
                               (json_int_t)userid, "t_submit", sqlite3_column_double (q, 5),
                               "t_run", t_run, "t_inactive", t_inactive, "nnodes",
                               (json_int_t)sqlite3_column_int64 (q, 8), "ncores",
                               (json_int_t)sqlite3_column_int64 (q, 9), "ngpus",
                               (json_int_t)sqlite3_column_int64 (q, 10));
        if (!o)
            eddy_cmd_die ("account", "out of memory");
        static const struct {
            int col;
            const char *key;
        } texts[] = { { 2, "bank" }, { 3, "queue" }, { 4, "name" }, { 11, "state" }, { 12, "result" } };
        for (size_t i = 0; i < sizeof (texts) / sizeof (texts[0]); i++)
            json_object_set_new (o, texts[i].key,
                                 (txt = (const char *)sqlite3_column_text (q, texts[i].col))
                                     ? json_string (txt)
                                     : json_null ());
        json_object_set_new (o, "exit_status",
                             sqlite3_column_type (q, 13) == SQLITE_NULL
                                 ? json_null ()
                                 : json_integer (sqlite3_column_int64 (q, 13)));
        json_object_set_new (o, "runtime",
                             json_real (t_run > 0 && t_inactive >= t_run ? t_inactive - t_run : 0));
        if (json)
            json_array_append_new (all, o);
        else {
            if (format)
                print_format (o, format);
            else {
                printf ("%-20lld %-10s %-10s %-10s %6lld %6lld %10.1f %-10s ",
                        (long long)json_integer_value (json_object_get (o, "id")),
                        json_string_value (json_object_get (o, "user")),
                        json_string_value (json_object_get (o, "bank")) ?: "-",
                        json_string_value (json_object_get (o, "queue")) ?: "-",
                        (long long)json_integer_value (json_object_get (o, "nnodes")),
                        (long long)json_integer_value (json_object_get (o, "ncores")),
                        json_real_value (json_object_get (o, "runtime")),
                        json_string_value (json_object_get (o, "result")) ?: "-");
                put_field (o, "exit_status");
                putchar ('\n');
            }
            json_decref (o);
        }
    }
    if (rc != SQLITE_DONE)
        eddy_cmd_die ("account", "jobs: %s: %s", archive, sqlite3_errmsg (db));
    sqlite3_finalize (q);
    sqlite3_close (db);
    if (json) {
        char *s = json_dumps (all, JSON_INDENT (2) | JSON_SORT_KEYS);
        printf ("%s\n", s ? s : "[]");
        free (s);
        json_decref (all);
    }
    return 0;
}
