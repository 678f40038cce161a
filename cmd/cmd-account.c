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

#define ARCHIVE_DEFAULT "/var/lib/eddy/job-archive.db"

/* the keys of long-only options */
enum { O_USERNAME = 256, O_BANK, O_USERID, O_SHARES, O_MAXRUN, O_MAXACT, O_QUEUES, O_PARENT,
       O_JSON, O_TREE, O_ARCHIVE, O_HALFLIFE, O_NOW, O_SINCE, O_UNTIL, O_INSTANCE };

const struct eddy_cmd cmd_account = {
    .name = "account",
    .usage = "eddy account [-p DB] COMMAND [OPTIONS] [ARGS]",
    .summary = "Manage banks, users and limits; show shares and archived jobs.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("path", 'p', "DB", "the accounting database (default " EDDY_ACCTDB_DEFAULT ")"),
        EDDY_OPT_TEXT ("Commands:\n"),
        EDDY_OPT_SUB ("create-db", "  create-db                          make a new, empty database\n"),
        EDDY_OPT_SUB ("add-bank", "  add-bank [--parent-bank=P] NAME SHARES   a bank (the first, without a parent,\n"
                                  "                                     is the root)\n"),
        EDDY_OPT_LARG ("parent-bank", O_PARENT, "P", "the bank's parent"),
        EDDY_OPT_SUB ("edit-bank", "  edit-bank NAME --shares=N\n"),
        EDDY_OPT_LARG ("shares", O_SHARES, "N", "the bank's shares"),
        EDDY_OPT_SUB ("delete-bank", "  delete-bank NAME                   (no users or sub-banks)\n"),
        EDDY_OPT_SUB ("add-user edit-user", "  add-user --username=U --bank=B [OPTIONS]\n"
                                            "  edit-user --username=U [OPTIONS]\n"),
        EDDY_OPT_ARG ("username", 'u', "U", "the user's name"),
        EDDY_OPT_ARG ("user", 'u', "U", NULL),
        EDDY_OPT_ARG ("bank", 'b', "B", "the user's bank (add-user: required)"),
        EDDY_OPT_LARG ("userid", O_USERID, "N", "the user's uid"),
        EDDY_OPT_LARG ("shares", O_SHARES, "N", "the user's shares in the bank"),
        EDDY_OPT_LARG ("max-running-jobs", O_MAXRUN, "N", "at most N running jobs"),
        EDDY_OPT_LARG ("max-active-jobs", O_MAXACT, "N", "at most N active jobs"),
        EDDY_OPT_LARG ("queues", O_QUEUES, "Q,...", "the queues the user may submit to"),
        EDDY_OPT_SUB ("delete-user", "  delete-user --username=U [--bank=B]\n"),
        EDDY_OPT_ARG ("username", 'u', "U", "the user's name"),
        EDDY_OPT_ARG ("user", 'u', "U", NULL),
        EDDY_OPT_ARG ("bank", 'b', "B", "only from bank B"),
        EDDY_OPT_SUB ("view-user", "  view-user [--json] USER\n"),
        EDDY_OPT_SUB ("view-bank", "  view-bank [--tree] [--json] NAME\n"),
        EDDY_OPT_LFLAG ("tree", O_TREE, "the bank and the banks and users below it"),
        EDDY_OPT_SUB ("list-users", "  list-users [--json]\n"),
        EDDY_OPT_SUB ("list-banks", "  list-banks [--json]\n"),
        EDDY_OPT_SUB ("view-user view-bank list-users list-banks", ""),
        EDDY_OPT_LFLAG ("json", O_JSON, "as JSON"),
        EDDY_OPT_SUB ("shares", "  shares [OPTIONS]                   the tree of shares, usage and fair-share\n"
                                "                                     factors (usage: core-seconds from the job\n"
                                "                                     archive, decayed)\n"),
        EDDY_OPT_LARG ("half-life", O_HALFLIFE, "S", "the decay's half-life (default 7 days)"),
        EDDY_OPT_LARG ("now", O_NOW, "T", "the usage as of T (seconds since the epoch; default now)"),
        EDDY_OPT_LFLAG ("instance", O_INSTANCE, "the factors the instance at EDDY_URI computes now ([accounting])"),
        EDDY_OPT_SUB ("jobs", "  jobs [OPTIONS]                     archived jobs (docs/accounting.md)\n"),
        EDDY_OPT_ARG ("user", 'u', "USER", "the jobs of USER"),
        EDDY_OPT_ARG ("username", 'u', "USER", NULL),
        EDDY_OPT_ARG ("bank", 'b', "BANK", "the jobs of BANK"),
        EDDY_OPT_LARG ("since", O_SINCE, "T", "that ended at T or later (seconds since the epoch)"),
        EDDY_OPT_LARG ("until", O_UNTIL, "T", "that ended before T"),
        EDDY_OPT_ARG ("format", 'o', "FORMAT", "the fields of a line (docs/accounting.md)"),
        EDDY_OPT_SUB ("shares jobs", ""),
        EDDY_OPT_LARG ("archive", O_ARCHIVE, "DB", "the job archive (default " ARCHIVE_DEFAULT ")"),
        EDDY_OPT_LFLAG ("json", O_JSON, "as JSON"),
        EDDY_OPT_END,
    },
    .run = account_run,
};


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



struct opts {
    struct eddy_acct_user u;
    const char *parent, *archive, *format;
    bool json, tree, instance;
    double half_life, now, since, until;
    bool seen[O_INSTANCE + 1];
};

/* Parse a subcommand's options (its section of the table). */
static void parse_opts (const char *sub, int argc, char **argv, struct opts *o)
{
    int c;
    memset (o, 0, sizeof (*o));
    o->u.userid = o->u.shares = o->u.max_running = o->u.max_active = -1;
    o->half_life = 7 * 86400.0;
    o->now = (double)time (NULL);
    o->until = INFINITY;
    optind = 0; /* glibc: start over (the top level stopped at the command) */
    while ((c = eddy_opt_next (&cmd_account, sub, 0, argc, argv)) != -1) {
        if (c == 'u')
            c = O_USERNAME;
        else if (c == 'b')
            c = O_BANK;
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
    const char *path = getenv ("EDDY_ACCOUNTING_DB");
    int c;
    if (!path)
        path = EDDY_ACCTDB_DEFAULT;
    optind = 1;
    /* options before the command only */
    while ((c = eddy_opt_next (&cmd_account, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        if (c == 'p')
            path = optarg;
        else
            eddy_cmd_unhandled (&cmd_account, c);
    }
    if (optind >= argc)
        eddy_cmd_usage_error (
            &cmd_account, NULL,
            "needs a subcommand: create-db, add-bank, edit-bank, delete-bank, "
            "add-user, edit-user, delete-user, view-user, view-bank, list-users, "
            "list-banks, shares, jobs");
    const char *sub = argv[optind];
    int sargc = argc - optind;
    char **sargv = argv + optind;
    /* the subcommand's options checked, --help answered, before the
     * database is opened; parse_opts reads them again */
    optind = 0;
    while (eddy_opt_next (&cmd_account, sub, 0, sargc, sargv) != -1)
        ;
    eddy_error_t err;
    struct opts o;

    if (!strcmp (sub, "create-db")) {
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 0, "no arguments");
        eddy_acctdb_t *db = eddy_acctdb_open (path, true, &err);
        if (!db)
            die_err ("create-db", &err);
        eddy_acctdb_close (db);
        return 0;
    }
    if (!strcmp (sub, "shares")) {
        parse_opts (sub, sargc, sargv, &o);
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
        parse_opts (sub, sargc, sargv, &o);
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
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 2, "NAME SHARES");
        int64_t s = parse_count ("shares", sargv[optind + 1]);
        if (eddy_acctdb_add_bank (db, sargv[optind], o.parent, s, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "edit-bank")) {
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 1, "NAME");
        if (o.u.shares < 0)
            eddy_cmd_die ("account", "edit-bank: --shares=N is required");
        if (eddy_acctdb_edit_bank (db, sargv[optind], o.u.shares, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "delete-bank")) {
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 1, "NAME");
        if (eddy_acctdb_delete_bank (db, sargv[optind], &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "add-user") || !strcmp (sub, "edit-user")) {
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 0, "options only");
        if (!o.u.username)
            eddy_cmd_die ("account", "%s: --username=U is required", sub);
        if (!strcmp (sub, "add-user") ? eddy_acctdb_add_user (db, &o.u, &err) < 0
                                      : eddy_acctdb_edit_user (db, &o.u, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "delete-user")) {
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 0, "options only");
        if (!o.u.username)
            eddy_cmd_die ("account", "delete-user: --username=U is required");
        if (eddy_acctdb_delete_user (db, o.u.username, o.u.bank, &err) < 0)
            die_err (sub, &err);
    } else if (!strcmp (sub, "view-user") || !strcmp (sub, "list-users")) {
        parse_opts (sub, sargc, sargv, &o);
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
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 1, "NAME");
        rc = view_bank (db, &o, sargv[optind]);
    } else if (!strcmp (sub, "list-banks")) {
        parse_opts (sub, sargc, sargv, &o);
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
        parse_opts (sub, sargc, sargv, &o);
        need_args (sub, sargc, 0, "no arguments");
        rc = shares (db, &o);
    }
    eddy_acctdb_close (db);
    return rc;
}
