/* cmd-account.c - `eddy account`: the accounting database (banks, users,
 * limits) and its reports (shares; jobs from the archive).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/acctdb.h"
#include "cmd/client.h"
#include "cmd/cmd.h"
#include "sched/fairshare.h"

static int account_run (int argc, char **argv);

const struct eddy_cmd cmd_account = {
    .name = "account",
    .usage = "eddy account [-p DB] COMMAND [OPTIONS] [ARGS]",
    .summary = "Manage banks, users and limits; show shares and archived jobs.",
    .help = "  -p, --path=DB       the accounting database (default " EDDY_ACCTDB_DEFAULT ")\n"
            "Commands:\n"
            "  create-db                          make a new, empty database\n"
            "  add-bank [--parent-bank=P] NAME SHARES   a bank (the first, without a parent,\n"
            "                                     is the root)\n"
            "  edit-bank NAME --shares=N\n"
            "  delete-bank NAME                   (no users or sub-banks)\n"
            "  add-user --username=U --bank=B [--userid=N] [--shares=N]\n"
            "           [--max-running-jobs=N] [--max-active-jobs=N] [--queues=Q,...]\n"
            "  edit-user --username=U [--bank=B] [--userid=N] [--shares=N]\n"
            "           [--max-running-jobs=N] [--max-active-jobs=N] [--queues=Q,...]\n"
            "  delete-user --username=U [--bank=B]\n"
            "  view-user [--json] USER\n"
            "  view-bank [--tree] [--json] NAME\n"
            "  list-users [--json]\n"
            "  list-banks [--json]\n"
            "  shares [--archive=DB] [--half-life=S] [--now=T] [--json] [--instance]\n"
            "                                     the tree of shares, usage and fair-share\n"
            "                                     factors (usage: core-seconds from the job\n"
            "                                     archive, decayed; default half-life 7 days);\n"
            "                                     --instance: the factors the instance at\n"
            "                                     EDDY_URI computes now ([accounting])\n"
            "  jobs [--archive=DB] [-u USER] [-b BANK] [--since=T] [--until=T]\n"
            "       [-o FORMAT] [--json]          archived jobs (docs/accounting.md)\n",
    .run = account_run,
};

#define ARCHIVE_DEFAULT "/var/lib/eddy/job-archive.db"

static void die_err (const char *what, eddy_error_t *err)
{
    eddy_cmd_die ("account", "%s: %s", what, err->text);
}

static int64_t parse_count (const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll (s, &end, 10);
    if (errno || end == s || *end || v < 0)
        eddy_cmd_die ("account", "--%s: '%s' is not an integer >= 0", opt, s);
    return v;
}

static double parse_time (const char *opt, const char *s)
{
    char *end;
    double v = strtod (s, &end);
    if (end == s || *end || !(v >= 0))
        eddy_cmd_die ("account", "--%s: '%s' is not a time in seconds >= 0", opt, s);
    return v;
}

static void print_json (json_t *o)
{
    char *s = json_dumps (o, JSON_INDENT (2) | JSON_SORT_KEYS);
    if (!s)
        eddy_cmd_die ("account", "out of memory");
    printf ("%s\n", s);
    free (s);
}

/* ---- user and bank options, shared by add-user and edit-user ---- */

enum { O_USERNAME = 256, O_BANK, O_USERID, O_SHARES, O_MAXRUN, O_MAXACT, O_QUEUES, O_PARENT,
       O_JSON, O_TREE, O_ARCHIVE, O_HALFLIFE, O_NOW, O_SINCE, O_UNTIL, O_INSTANCE };

static const struct option user_opts[] = {
    { "username", required_argument, NULL, O_USERNAME },
    { "bank", required_argument, NULL, O_BANK },
    { "userid", required_argument, NULL, O_USERID },
    { "shares", required_argument, NULL, O_SHARES },
    { "max-running-jobs", required_argument, NULL, O_MAXRUN },
    { "max-active-jobs", required_argument, NULL, O_MAXACT },
    { "queues", required_argument, NULL, O_QUEUES },
    { "parent-bank", required_argument, NULL, O_PARENT },
    { "json", no_argument, NULL, O_JSON },
    { "tree", no_argument, NULL, O_TREE },
    { "archive", required_argument, NULL, O_ARCHIVE },
    { "half-life", required_argument, NULL, O_HALFLIFE },
    { "now", required_argument, NULL, O_NOW },
    { "since", required_argument, NULL, O_SINCE },
    { "until", required_argument, NULL, O_UNTIL },
    { "instance", no_argument, NULL, O_INSTANCE },
    { "user", required_argument, NULL, 'u' },
    { "format", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct opts {
    struct eddy_acct_user u;
    const char *parent, *archive, *format;
    bool json, tree, instance;
    double half_life, now, since, until;
    bool seen[O_INSTANCE + 1];
};

/* Parse a subcommand's options; `allowed` lists the ones it takes. */
static void parse_opts (const char *sub, int argc, char **argv, const int *allowed, struct opts *o)
{
    int c;
    memset (o, 0, sizeof (*o));
    o->u.userid = o->u.shares = o->u.max_running = o->u.max_active = -1;
    o->half_life = 7 * 86400.0;
    o->now = (double)time (NULL);
    o->until = INFINITY;
    optind = 0; /* glibc: start over (the top level stopped at the command) */
    while ((c = getopt_long (argc, argv, "u:b:o:h", user_opts, NULL)) != -1) {
        if (c == 'h')
            eddy_cmd_usage (&cmd_account, false);
        if (c == 'u')
            c = O_USERNAME;
        else if (c == 'b')
            c = O_BANK;
        bool ok = false;
        for (const int *a = allowed; *a; a++)
            ok |= *a == c;
        if (!ok || c == '?') {
            if (c != '?')
                eddy_cmd_error ("account", "%s: option '%s' does not apply", sub, argv[optind - 1]);
            eddy_cmd_die ("account", "%s: see eddy account --help", sub);
        }
        if (c >= O_USERNAME && c <= O_INSTANCE)
            o->seen[c] = true;
        switch (c) {
        case O_USERNAME:
            o->u.username = optarg;
            break;
        case O_BANK:
            o->u.bank = optarg;
            break;
        case O_USERID:
            o->u.userid = parse_count ("userid", optarg);
            break;
        case O_SHARES:
            o->u.shares = parse_count ("shares", optarg);
            break;
        case O_MAXRUN:
            o->u.max_running = parse_count ("max-running-jobs", optarg);
            break;
        case O_MAXACT:
            o->u.max_active = parse_count ("max-active-jobs", optarg);
            break;
        case O_QUEUES:
            o->u.queues = optarg;
            break;
        case O_PARENT:
            o->parent = optarg;
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_TREE:
            o->tree = true;
            break;
        case O_ARCHIVE:
            o->archive = optarg;
            break;
        case O_HALFLIFE:
            o->half_life = parse_time ("half-life", optarg);
            break;
        case O_NOW:
            o->now = parse_time ("now", optarg);
            break;
        case O_SINCE:
            o->since = parse_time ("since", optarg);
            break;
        case O_UNTIL:
            o->until = parse_time ("until", optarg);
            break;
        case O_INSTANCE:
            o->instance = true;
            break;
        case 'o':
            o->format = optarg;
            break;
        }
    }
}

static void need_args (const char *sub, int argc, int want, const char *what)
{
    if (argc - optind != want)
        eddy_cmd_die ("account", "%s: expected %s", sub, what);
}

/* ---- views ---- */

static void print_users (json_t *users)
{
    size_t i;
    json_t *u;
    printf ("%-16s %-16s %8s %6s %8s %8s %s\n", "USERNAME", "BANK", "USERID", "SHARES",
            "MAXRUN", "MAXACT", "QUEUES");
    json_array_foreach (users, i, u)
    {
        const char *q = json_string_value (json_object_get (u, "queues"));
        printf ("%-16s %-16s %8lld %6lld %8lld %8lld %s\n",
                json_string_value (json_object_get (u, "username")),
                json_string_value (json_object_get (u, "bank")),
                (long long)json_integer_value (json_object_get (u, "userid")),
                (long long)json_integer_value (json_object_get (u, "shares")),
                (long long)json_integer_value (json_object_get (u, "max_running_jobs")),
                (long long)json_integer_value (json_object_get (u, "max_active_jobs")),
                q && *q ? q : "*");
    }
}

/* banks in tree order, each with depth */
static json_t *bank_subtree (json_t *banks, const char *name)
{
    json_t *out = json_array ();
    size_t i;
    json_t *b;
    int depth = -1;
    json_array_foreach (banks, i, b)
    {
        int d = (int)json_integer_value (json_object_get (b, "depth"));
        if (depth < 0) {
            if (!strcmp (json_string_value (json_object_get (b, "bank")), name)) {
                depth = d;
                json_array_append (out, b);
            }
        } else if (d > depth)
            json_array_append (out, b);
        else
            break;
    }
    if (depth < 0) {
        json_decref (out);
        return NULL;
    }
    return out;
}

static int view_bank (eddy_acctdb_t *db, struct opts *o, const char *name)
{
    eddy_error_t err;
    json_t *banks = eddy_acctdb_banks (db, &err), *users;
    if (!banks)
        die_err ("view-bank", &err);
    json_t *sub = bank_subtree (banks, name);
    if (!sub)
        eddy_cmd_die ("account", "view-bank: no bank '%s'", name);
    if (!(users = eddy_acctdb_users (db, NULL, &err)))
        die_err ("view-bank", &err);
    if (!o->tree) {
        /* the bank and its own users */
        json_t *b = json_array_get (sub, 0), *mine = json_array ();
        size_t i;
        json_t *u;
        json_array_foreach (users, i, u)
            if (!strcmp (json_string_value (json_object_get (u, "bank")), name))
                json_array_append (mine, u);
        if (o->json) {
            json_t *x = json_deep_copy (b);
            json_object_del (x, "depth");
            json_object_set_new (x, "users", mine);
            print_json (x);
            json_decref (x);
        } else {
            json_t *p = json_object_get (b, "parent");
            printf ("bank %s  parent %s  shares %lld\n", name,
                    json_is_string (p) ? json_string_value (p) : "-",
                    (long long)json_integer_value (json_object_get (b, "shares")));
            if (json_array_size (mine))
                print_users (mine);
            json_decref (mine);
        }
    } else if (o->json) {
        size_t i;
        json_t *b;
        json_array_foreach (sub, i, b)
        {
            json_t *mine = json_array ();
            size_t k;
            json_t *u;
            json_array_foreach (users, k, u)
                if (!strcmp (json_string_value (json_object_get (u, "bank")),
                             json_string_value (json_object_get (b, "bank"))))
                    json_array_append (mine, u);
            json_object_set_new (b, "users", mine);
        }
        print_json (sub);
    } else {
        size_t i;
        json_t *b;
        int top = (int)json_integer_value (json_object_get (json_array_get (sub, 0), "depth"));
        printf ("%-32s %8s\n", "BANK/USER", "SHARES");
        json_array_foreach (sub, i, b)
        {
            int d = (int)json_integer_value (json_object_get (b, "depth")) - top;
            const char *bn = json_string_value (json_object_get (b, "bank"));
            printf ("%*s%-*s %8lld\n", 2 * d, "", 32 - 2 * d, bn,
                    (long long)json_integer_value (json_object_get (b, "shares")));
            size_t k;
            json_t *u;
            json_array_foreach (users, k, u)
                if (!strcmp (json_string_value (json_object_get (u, "bank")), bn))
                    printf ("%*s%-*s %8lld\n", 2 * d + 2, "", 30 - 2 * d,
                            json_string_value (json_object_get (u, "username")),
                            (long long)json_integer_value (json_object_get (u, "shares")));
        }
    }
    json_decref (sub);
    json_decref (banks);
    json_decref (users);
    return 0;
}

/* ---- shares: the fair-share tree from the database and the archive ---- */

/* Decayed core-seconds of every association, from one pass over the
 * archive's jobs (a job's usage counts at its end time): an object
 * "USERID:BANK" -> usage, or NULL (said on stderr) if the archive cannot
 * be read. */
static json_t *archive_usage (const char *path, double now, double half_life)
{
    sqlite3 *a = NULL;
    sqlite3_stmt *q = NULL;
    json_t *usage = json_object ();
    int s = SQLITE_ERROR;
    if (!usage || sqlite3_open_v2 (path, &a, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    sqlite3_busy_timeout (a, 5000);
    if (sqlite3_prepare_v2 (a,
                            "SELECT userid, bank, ncores, t_run, t_inactive FROM jobs WHERE "
                            "bank IS NOT NULL AND t_run > 0 AND t_inactive >= t_run AND "
                            "t_inactive <= ?",
                            -1, &q, NULL)
        != SQLITE_OK)
        goto done;
    sqlite3_bind_double (q, 1, now);
    while ((s = sqlite3_step (q)) == SQLITE_ROW) {
        char key[160];
        snprintf (key, sizeof (key), "%lld:%s", (long long)sqlite3_column_int64 (q, 0),
                  (const char *)sqlite3_column_text (q, 1));
        double cores = sqlite3_column_double (q, 2), t0 = sqlite3_column_double (q, 3),
               t1 = sqlite3_column_double (q, 4);
        double u = eddy_fairshare_decay (cores * (t1 - t0), now - t1, half_life);
        json_object_set_new (usage, key,
                             json_real (json_real_value (json_object_get (usage, key)) + u));
    }
done:
    if (s != SQLITE_DONE) {
        eddy_cmd_error ("account", "shares: %s: %s", path, a ? sqlite3_errmsg (a) : "cannot open");
        json_decref (usage);
        usage = NULL;
    }
    sqlite3_finalize (q);
    sqlite3_close (a);
    return usage;
}

static int shares (eddy_acctdb_t *db, struct opts *o)
{
    eddy_error_t err;
    json_t *banks = eddy_acctdb_banks (db, &err), *users;
    if (!banks)
        die_err ("shares", &err);
    if (!(users = eddy_acctdb_users (db, NULL, &err)))
        die_err ("shares", &err);
    json_t *usage = NULL;
    if (o->archive && !(usage = archive_usage (o->archive, o->now, o->half_life)))
        exit (1);
    size_t nb = json_array_size (banks), nu = json_array_size (users), n = 0;
    if (nb == 0)
        eddy_cmd_die ("account", "shares: no banks yet (eddy account add-bank)");
    struct eddy_fs_node *t = xcalloc (nb + nu, sizeof (*t));
    int *depth = xcalloc (nb + nu, sizeof (*depth));
    const char **bankof = xcalloc (nb + nu, sizeof (*bankof));
    /* banks in tree order; each bank's users right after it */
    size_t i;
    json_t *b;
    json_array_foreach (banks, i, b)
    {
        const char *bn = json_string_value (json_object_get (b, "bank"));
        json_t *p = json_object_get (b, "parent");
        int parent = -1;
        for (size_t k = 0; json_is_string (p) && k < n; k++)
            if (!t[k].user && !strcmp (t[k].name, json_string_value (p)))
                parent = (int)k;
        size_t me = n++;
        t[me] = (struct eddy_fs_node){ .name = bn, .parent = parent,
                                       .shares = (double)json_integer_value (json_object_get (b, "shares")) };
        depth[me] = (int)json_integer_value (json_object_get (b, "depth"));
        size_t k;
        json_t *u;
        json_array_foreach (users, k, u)
        {
            if (strcmp (json_string_value (json_object_get (u, "bank")), bn))
                continue;
            struct eddy_fs_node *x = &t[n];
            x->name = json_string_value (json_object_get (u, "username"));
            x->parent = (int)me;
            x->shares = (double)json_integer_value (json_object_get (u, "shares"));
            x->user = true;
            bankof[n] = bn;
            depth[n] = depth[me] + 1;
            char key[160];
            snprintf (key, sizeof (key), "%lld:%s",
                      (long long)json_integer_value (json_object_get (u, "userid")), bn);
            x->usage = json_real_value (json_object_get (usage, key));
            n++;
        }
    }
    if (eddy_fairshare_compute (t, n, &err) < 0)
        die_err ("shares", &err);
    if (o->json) {
        json_t *a = json_array ();
        for (size_t k = 0; k < n; k++) {
            json_t *x = json_pack ("{s:s s:s s:f s:f s:f s:f s:f s:i}", "name", t[k].name, "type",
                                   t[k].user ? "user" : "bank", "shares", t[k].shares,
                                   "norm_shares", t[k].norm_shares, "usage", t[k].usage,
                                   "norm_usage", t[k].norm_usage, "fairshare", t[k].factor,
                                   "depth", depth[k]);
            if (t[k].user)
                json_object_set_new (x, "bank", json_string (bankof[k]));
            json_array_append_new (a, x);
        }
        print_json (a);
        json_decref (a);
    } else {
        printf ("%-28s %8s %10s %14s %10s %9s\n", "BANK/USER", "SHARES", "NORMSHARES", "USAGE",
                "NORMUSAGE", "FAIRSHARE");
        for (size_t k = 0; k < n; k++)
            printf ("%*s%-*s %8.0f %10.6f %14.0f %10.6f %9.6f\n", 2 * depth[k], "",
                    28 - 2 * depth[k], t[k].name, t[k].shares, t[k].norm_shares, t[k].usage,
                    t[k].norm_usage, t[k].factor);
    }
    free (t);
    free (depth);
    free (bankof);
    json_decref (usage);
    json_decref (banks);
    json_decref (users);
    return 0;
}

int account_jobs (const char *archive, const char *user, const char *bank, double since,
                  double until, const char *format, bool json);

static int account_run (int argc, char **argv)
{
    static const struct option top_opts[] = {
        { "path", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv ("EDDY_ACCOUNTING_DB");
    int c;
    if (!path)
        path = EDDY_ACCTDB_DEFAULT;
    optind = 1;
    /* options before the command only */
    while ((c = getopt_long (argc, argv, "+p:h", top_opts, NULL)) != -1) {
        if (c == 'p')
            path = optarg;
        else if (c == 'h')
            eddy_cmd_usage (&cmd_account, false);
        else
            eddy_cmd_usage (&cmd_account, true);
    }
    if (optind >= argc)
        eddy_cmd_usage (&cmd_account, true);
    const char *sub = argv[optind];
    int sargc = argc - optind;
    char **sargv = argv + optind;
    eddy_error_t err;
    struct opts o;

    if (!strcmp (sub, "create-db")) {
        static const int ok[] = { 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "no arguments");
        eddy_acctdb_t *db = eddy_acctdb_open (path, true, &err);
        if (!db)
            die_err ("create-db", &err);
        eddy_acctdb_close (db);
        return 0;
    }
    if (!strcmp (sub, "shares")) {
        static const int ok[] = { O_ARCHIVE, O_HALFLIFE, O_NOW, O_JSON, O_INSTANCE, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        if (o.instance) {
            need_args (sub, sargc, 0, "no arguments");
            if (o.archive || o.seen[O_HALFLIFE] || o.seen[O_NOW])
                eddy_cmd_die ("account", "shares: --instance takes the instance's archive and "
                                         "half-life ([accounting])");
            eddy_handle_t *h = client_open ("account");
            eddy_future_t *f = client_rpc_take ("account", h, "job-archive.fairshare",
                                                json_pack ("{s:b}", "update", 1), 0);
            json_t *users = json_object_get (client_rpc_get ("account", f, "job-archive.fairshare"),
                                             "users");
            if (o.json)
                print_json (users);
            else {
                size_t i;
                json_t *u;
                printf ("%8s %-16s %10s %14s %9s\n", "USERID", "BANK", "NORMSHARES", "USAGE",
                        "FAIRSHARE");
                json_array_foreach (users, i, u)
                    printf ("%8lld %-16s %10.6f %14.0f %9.6f\n",
                            (long long)json_integer_value (json_object_get (u, "userid")),
                            json_string_value (json_object_get (u, "bank")),
                            json_real_value (json_object_get (u, "norm_shares")),
                            json_real_value (json_object_get (u, "usage")),
                            json_real_value (json_object_get (u, "fairshare")));
            }
            eddy_future_destroy (f);
            client_close (h);
            return 0;
        }
    }
    if (!strcmp (sub, "jobs")) {
        static const int ok[] = { O_ARCHIVE, O_USERNAME, O_BANK, O_SINCE, O_UNTIL, 'o', O_JSON, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "no arguments");
        return account_jobs (o.archive ? o.archive : ARCHIVE_DEFAULT, o.u.username, o.u.bank,
                             o.since, o.until, o.format, o.json);
    }
    static const char *const known[] = { "add-bank", "edit-bank", "delete-bank", "add-user",
                                         "edit-user", "delete-user", "view-user", "view-bank",
                                         "list-users", "list-banks", "shares", NULL };
    bool found = false;
    for (int i = 0; known[i]; i++)
        found |= !strcmp (known[i], sub);
    if (!found)
        eddy_cmd_die ("account", "unknown command '%s' (see eddy account --help)", sub);
    eddy_acctdb_t *db = eddy_acctdb_open (path, false, &err);
    if (!db)
        die_err (sub, &err);
    int rc = 0;

    if (!strcmp (sub, "add-bank")) {
        static const int ok[] = { O_PARENT, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 2, "NAME SHARES");
        int64_t s = parse_count ("shares", sargv[optind + 1]);
        if (eddy_acctdb_add_bank (db, sargv[optind], o.parent, s, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "edit-bank")) {
        static const int ok[] = { O_SHARES, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 1, "NAME");
        if (o.u.shares < 0)
            eddy_cmd_die ("account", "edit-bank: --shares=N is required");
        if (eddy_acctdb_edit_bank (db, sargv[optind], o.u.shares, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "delete-bank")) {
        static const int ok[] = { 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 1, "NAME");
        if (eddy_acctdb_delete_bank (db, sargv[optind], &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "add-user") || !strcmp (sub, "edit-user")) {
        static const int ok[] = { O_USERNAME, O_BANK, O_USERID, O_SHARES, O_MAXRUN, O_MAXACT,
                                  O_QUEUES, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "options only");
        if (!o.u.username)
            eddy_cmd_die ("account", "%s: --username=U is required", sub);
        if (!strcmp (sub, "add-user") ? eddy_acctdb_add_user (db, &o.u, &err) < 0
                                      : eddy_acctdb_edit_user (db, &o.u, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "delete-user")) {
        static const int ok[] = { O_USERNAME, O_BANK, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "options only");
        if (!o.u.username)
            eddy_cmd_die ("account", "delete-user: --username=U is required");
        if (eddy_acctdb_delete_user (db, o.u.username, o.u.bank, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "view-user") || !strcmp (sub, "list-users")) {
        static const int ok[] = { O_JSON, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        bool one = !strcmp (sub, "view-user");
        need_args (sub, sargc, one ? 1 : 0, one ? "USER" : "no arguments");
        json_t *users = eddy_acctdb_users (db, one ? sargv[optind] : NULL, &err);
        if (!users)
            die_err (sub, &err);
        if (one && json_array_size (users) == 0)
            eddy_cmd_die ("account", "view-user: no user '%s'", sargv[optind]);
        if (o.json)
            print_json (users);
        else
            print_users (users);
        json_decref (users);
    } else if (!strcmp (sub, "view-bank")) {
        static const int ok[] = { O_JSON, O_TREE, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 1, "NAME");
        rc = view_bank (db, &o, sargv[optind]);
    } else if (!strcmp (sub, "list-banks")) {
        static const int ok[] = { O_JSON, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "no arguments");
        json_t *banks = eddy_acctdb_banks (db, &err);
        if (!banks)
            die_err (sub, &err);
        if (o.json)
            print_json (banks);
        else {
            size_t i;
            json_t *b;
            printf ("%-24s %-24s %8s\n", "BANK", "PARENT", "SHARES");
            json_array_foreach (banks, i, b)
            {
                json_t *p = json_object_get (b, "parent");
                printf ("%-24s %-24s %8lld\n", json_string_value (json_object_get (b, "bank")),
                        json_is_string (p) ? json_string_value (p) : "-",
                        (long long)json_integer_value (json_object_get (b, "shares")));
            }
        }
        json_decref (banks);
    } else if (!strcmp (sub, "shares")) {
        static const int ok[] = { O_ARCHIVE, O_HALFLIFE, O_NOW, O_JSON, 0 };
        parse_opts (sub, sargc, sargv, ok, &o);
        need_args (sub, sargc, 0, "no arguments");
        rc = shares (db, &o);
    }
    eddy_acctdb_close (db);
    return rc;
}
