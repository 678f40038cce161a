/* cmd-kvs.c - `eddy kvs`: read, write, list, watch the key-value store,
 * and its eventlogs (as `flux kvs`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "engine/util/eventlog.h"
#include "kvs/kvs.h"

static int kvs_run (int argc, char **argv);

const struct eddy_cmd cmd_kvs = {
    .name = "kvs",
    .usage = "eddy kvs [-N NS] get [--watch] [--count N] KEY...\n"
             "       eddy kvs [-N NS] put KEY=VALUE...\n"
             "       eddy kvs [-N NS] ls [-R] [--json] [DIR]\n"
             "       eddy kvs [-N NS] dir [-R] [KEY]\n"
             "       eddy kvs [-N NS] unlink [-R] [-f] KEY...\n"
             "       eddy kvs [-N NS] mkdir KEY...\n"
             "       eddy kvs [-N NS] watch [--count N] KEY\n"
             "       eddy kvs [-N NS] eventlog get [--watch] [--count N] KEY\n"
             "       eddy kvs [-N NS] eventlog append KEY NAME [CONTEXT-JSON]\n"
             "       eddy kvs [-N NS] eventlog wait-event [--timeout S] KEY NAME\n"
             "       eddy kvs namespace create|remove NS [OWNER] | namespace list [--json]\n"
             "       eddy kvs stats [content]",
    .summary = "Read and write the key-value store.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("namespace", 'N', "NS", "use namespace NS (default: primary)"),
        EDDY_OPT_SUB ("put", "  put: VALUE is stored as JSON if it parses as JSON, else as a JSON string.\n"),
        EDDY_OPT_SUB ("ls dir unlink", ""),
        EDDY_OPT_FLAG ("recursive", 'R', "recurse into directories; unlink -R removes a directory"),
        EDDY_OPT_SUB ("unlink", ""),
        EDDY_OPT_FLAG ("force", 'f', "unlink: ignore missing keys"),
        EDDY_OPT_SUB ("get eventlog", ""),
        EDDY_OPT_FLAG ("watch", 'w', "keep printing changes"),
        EDDY_OPT_SUB ("get watch eventlog", ""),
        EDDY_OPT_ARG ("count", 'c', "N", "with --watch, or watch: stop after N values"),
        EDDY_OPT_SUB ("eventlog", ""),
        EDDY_OPT_ARG ("timeout", 't', "S", "wait-event: give up after S seconds (exit 1)"),
        EDDY_OPT_SUB ("ls namespace", ""),
        EDDY_OPT_LFLAG ("json", 'j', "ls, namespace list: one JSON object per entry and line ({key, dir}; {name, owner, seq})"),
        EDDY_OPT_SUB ("stats", "  stats: the kvs module's counters (commits, watchers, cache) as JSON;\n"
                               "    stats content: the content store's (blobs, bytes, garbage collection).\n"),
        EDDY_OPT_END,
    },
    .run = kvs_run,
};

static const char *ns_opt;

static void die_key (const char *key, eddy_future_t *f)
{
    const char *text = f ? eddy_future_error_string (f) : NULL;
    eddy_cmd_die ("kvs", "%s: %s", key, text ? text : strerror (errno));
}

/* Options of a subcommand: -R, -f, --watch, --count N, --timeout S. */
struct opts {
    bool recursive, force, watch, json;
    long count;
    double timeout;
};

/* sub: the table's section (argv[0], or "eventlog" for its subcommands) */
static int parse_opts (const char *sub, int argc, char **argv, struct opts *o)
{
    int c;
    memset (o, 0, sizeof (*o));
    o->timeout = -1;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_kvs, sub, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'R':
            o->recursive = true;
            break;
        case 'f':
            o->force = true;
            break;
        case 'w':
            o->watch = true;
            break;
        case 'j':
            o->json = true;
            break;
        case 'c': {
            char *end;
            o->count = strtol (optarg, &end, 10);
            if (*end || o->count < 1)
                eddy_cmd_die ("kvs", "--count: expected a positive integer");
            break;
        }
        case 't':
            o->timeout = client_parse_seconds ("kvs", "--timeout", optarg);
            break;
        default:
            eddy_cmd_unhandled (&cmd_kvs, c);
        }
    }
    return optind;
}

/* ---- get, watch ---- */

static int watch_key (eddy_handle_t *h, const char *key, int flags, long count,
                      void (*print) (const char *key, const char *text))
{
    eddy_future_t *f = eddy_kvs_watch (h, ns_opt, flags, key);
    const char *text;
    long n = 0;
    if (!f)
        die_key (key, NULL);
    while (count == 0 || n < count) {
        if (eddy_kvs_lookup_get (f, &text) < 0) {
            if (errno == ENODATA)
                break;
            die_key (key, f);
        }
        print (key, text);
        fflush (stdout);
        n++;
        eddy_future_reset (f);
    }
    eddy_future_destroy (f);
    return 0;
}

static void print_value (const char *key, const char *text)
{
    printf ("%s\n", text);
}

static int cmd_get (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "get", argc, argv, i, 1, -1, "get needs a KEY");
    if (o.watch && argc - i > 1)
        eddy_cmd_usage_error (&cmd_kvs, "get",
                              "get --watch takes one KEY: unexpected argument '%s'",
                              argv[i + 1]);
    if (o.watch || o.count)
        return watch_key (h, argv[i], 0, o.count, print_value);
    for (; i < argc; i++) {
        eddy_future_t *f = eddy_kvs_lookup (h, ns_opt, 0, argv[i]);
        const char *text;
        if (!f || eddy_kvs_lookup_get (f, &text) < 0)
            die_key (argv[i], errno == EISDIR ? NULL : f);
        printf ("%s\n", text);
        eddy_future_destroy (f);
    }
    return 0;
}

static int cmd_watch (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "watch", argc, argv, i, 1, 1, "watch needs a KEY");
    return watch_key (h, argv[i], EDDY_KVS_WAITCREATE, o.count, print_value);
}

/* ---- put, mkdir, unlink ---- */

static void commit (eddy_handle_t *h, eddy_kvs_txn_t *txn, const char *what)
{
    eddy_future_t *f = eddy_kvs_commit (h, ns_opt, 0, txn);
    if (!f || eddy_rpc_get (f, NULL) < 0) {
        /* the kvs names the key of an operation that does not apply */
        const char *text = f ? eddy_future_error_string (f) : NULL;
        size_t n = strlen (what);
        if (text && !strncmp (text, what, n) && text[n] == ':')
            eddy_cmd_die ("kvs", "%s", text);
        die_key (what, f);
    }
    eddy_future_destroy (f);
}

static int cmd_put (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "put", argc, argv, i, 1, -1, "put needs a KEY=VALUE");
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    if (!txn)
        eddy_cmd_die ("kvs", "out of memory");
    for (int k = i; k < argc; k++) {
        char *key = xstrdup (argv[k]);
        char *eq = strchr (key, '=');
        if (!eq)
            eddy_cmd_die ("kvs", "%s: expected KEY=VALUE", argv[k]);
        *eq = '\0';
        json_t *v = json_loads (eq + 1, JSON_DECODE_ANY, NULL);
        int rc = v ? eddy_kvs_txn_put_json (txn, key, v) : eddy_kvs_txn_put_pack (txn, key, "s", eq + 1);
        json_decref (v);
        if (rc < 0)
            eddy_cmd_die ("kvs", "%s: %s", key, errno == EINVAL ? "invalid key or value" : strerror (errno));
        free (key);
    }
    char *first = xstrdup (argv[i]);
    first[strcspn (first, "=")] = '\0';
    commit (h, txn, argc - i == 1 ? first : "put");
    free (first);
    eddy_kvs_txn_destroy (txn);
    return 0;
}

static int cmd_mkdir (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "mkdir", argc, argv, i, 1, -1, "mkdir needs a KEY");
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    if (!txn)
        eddy_cmd_die ("kvs", "out of memory");
    for (int k = i; k < argc; k++)
        if (eddy_kvs_txn_mkdir (txn, argv[k]) < 0)
            eddy_cmd_die ("kvs", "%s: invalid key", argv[k]);
    commit (h, txn, argc - i == 1 ? argv[i] : "mkdir");
    eddy_kvs_txn_destroy (txn);
    return 0;
}

static int cmd_unlink (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "unlink", argc, argv, i, 1, -1, "unlink needs a KEY");
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    if (!txn)
        eddy_cmd_die ("kvs", "out of memory");
    for (int k = i; k < argc; k++) {
        eddy_future_t *f = eddy_kvs_lookup (h, ns_opt, 0, argv[k]);
        if (!f || eddy_kvs_lookup_get (f, NULL) < 0) {
            if (errno == EISDIR && !o.recursive)
                eddy_cmd_die ("kvs", "%s: %s (use -R)", argv[k], strerror (EISDIR));
            if (errno == ENOENT && o.force) {
                eddy_future_destroy (f);
                continue;
            }
            if (errno != EISDIR)
                die_key (argv[k], f);
        }
        eddy_future_destroy (f);
        if (eddy_kvs_txn_unlink (txn, argv[k]) < 0)
            eddy_cmd_die ("kvs", "%s: invalid key", argv[k]);
    }
    commit (h, txn, argc - i == 1 ? argv[i] : "unlink");
    eddy_kvs_txn_destroy (txn);
    return 0;
}

/* ---- ls, dir ---- */

static char *join (const char *dir, const char *name)
{
    if (!strcmp (dir, ".") || !*dir)
        return xstrdup (name);
    return xasprintf ("%s.%s", dir, name);
}

/* A key as a JSON string (in a static buffer: one at a time). */
static const char *json_dumps_key (const char *key)
{
    static char *last;
    json_t *s = json_string (key);
    free (last);
    last = s ? json_dumps (s, JSON_ENCODE_ANY) : NULL;
    json_decref (s);
    if (!last)
        eddy_cmd_die ("kvs", "%s: not UTF-8", key);
    return last;
}

/* Look key up: 1 and *names for a directory, 0 and *text for a value. */
static int lookup_any (eddy_handle_t *h, const char *key, eddy_future_t **fp, json_t **names,
                       const char **text)
{
    eddy_future_t *f = eddy_kvs_lookup (h, ns_opt, 0, key);
    *fp = f;
    if (!f)
        die_key (key, NULL);
    if (eddy_kvs_lookup_get_dir (f, names) == 0)
        return 1;
    if (errno != ENOTDIR)
        die_key (key, f);
    if (eddy_kvs_lookup_get (f, text) < 0)
        die_key (key, f);
    return 0;
}

static void ls_dir (eddy_handle_t *h, const char *dir, bool recursive, bool heading)
{
    eddy_future_t *f;
    json_t *names;
    const char *text;
    size_t i;
    json_t *v;

    if (!lookup_any (h, dir, &f, &names, &text)) {
        printf ("%s\n", dir);
        eddy_future_destroy (f);
        return;
    }
    if (heading)
        printf ("%s:\n", dir);
    json_t *subdirs = json_array ();
    json_array_foreach (names, i, v) {
        const char *name = json_string_value (v);
        if (recursive) {
            char *path = join (dir, name);
            eddy_future_t *g;
            json_t *n2;
            const char *t2;
            if (lookup_any (h, path, &g, &n2, &t2)) {
                printf ("%s.\n", name);
                json_array_append_new (subdirs, json_string (path));
            }
            else
                printf ("%s\n", name);
            eddy_future_destroy (g);
            free (path);
        }
        else
            printf ("%s\n", name);
    }
    eddy_future_destroy (f);
    json_array_foreach (subdirs, i, v) {
        printf ("\n");
        ls_dir (h, json_string_value (v), true, true);
    }
    json_decref (subdirs);
}

/* ls --json: {"key": PATH, "dir": BOOL} per entry and line, PATH from the
 * root; with -R the entries below each directory follow it. */
static void ls_json (eddy_handle_t *h, const char *dir, bool recursive)
{
    eddy_future_t *f;
    json_t *names, *v;
    const char *text;
    size_t i;

    if (!lookup_any (h, dir, &f, &names, &text)) {
        printf ("{\"key\":%s,\"dir\":false}\n", json_dumps_key (dir));
        eddy_future_destroy (f);
        return;
    }
    json_array_foreach (names, i, v) {
        char *path = join (dir, json_string_value (v));
        eddy_future_t *g;
        json_t *n2;
        const char *t2;
        bool isdir = lookup_any (h, path, &g, &n2, &t2);
        eddy_future_destroy (g);
        printf ("{\"key\":%s,\"dir\":%s}\n", json_dumps_key (path), isdir ? "true" : "false");
        if (isdir && recursive)
            ls_json (h, path, true);
        free (path);
    }
    eddy_future_destroy (f);
}

static int cmd_ls (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "ls", argc, argv, i, 0, 1, NULL);
    if (o.json)
        ls_json (h, i < argc ? argv[i] : ".", o.recursive);
    else
        ls_dir (h, i < argc ? argv[i] : ".", o.recursive, o.recursive);
    return 0;
}

static void dir_print (eddy_handle_t *h, const char *dir, bool recursive)
{
    eddy_future_t *f;
    json_t *names, *v;
    const char *text;
    size_t i;

    if (!lookup_any (h, dir, &f, &names, &text))
        eddy_cmd_die ("kvs", "%s: %s", dir, strerror (ENOTDIR));
    json_array_foreach (names, i, v) {
        char *path = join (dir, json_string_value (v));
        eddy_future_t *g;
        json_t *n2;
        const char *t2;
        if (lookup_any (h, path, &g, &n2, &t2)) {
            if (recursive)
                dir_print (h, path, true);
            else
                printf ("%s.\n", path);
        }
        else
            printf ("%s = %s\n", path, t2);
        eddy_future_destroy (g);
        free (path);
    }
    eddy_future_destroy (f);
}

static int cmd_dir (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts (argv[0], argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "dir", argc, argv, i, 0, 1, NULL);
    dir_print (h, i < argc ? argv[i] : ".", o.recursive);
    return 0;
}

/* ---- eventlogs ---- */

static void print_entry (json_t *entry)
{
    double ts;
    const char *name;
    json_t *context;
    if (eddy_eventlog_entry_parse (entry, &ts, &name, &context) < 0)
        return;
    printf ("%.6f %s", ts, name);
    if (context && json_object_size (context) > 0) {
        char *s = json_dumps (context, JSON_COMPACT);
        printf (" %s", s ? s : "");
        free (s);
    }
    printf ("\n");
}

static void print_log (const char *key, const char *text)
{
    eddy_error_t err;
    json_t *log = eddy_eventlog_decode (text, &err);
    size_t i;
    json_t *e;
    if (!log)
        eddy_cmd_die ("kvs", "%s: %s", key, err.text);
    json_array_foreach (log, i, e) {
        print_entry (e);
    }
    json_decref (log);
}

static int eventlog_get (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("eventlog", argc, argv, &o);
    eddy_cmd_operands (&cmd_kvs, "eventlog", argc, argv, i, 1, 1,
                       "eventlog get needs a KEY");
    if (o.watch || o.count)
        return watch_key (h, argv[i], EDDY_KVS_WATCH_APPEND | EDDY_KVS_WAITCREATE, o.count, print_log);
    eddy_future_t *f = eddy_kvs_lookup (h, ns_opt, 0, argv[i]);
    const char *text;
    if (!f || eddy_kvs_lookup_get (f, &text) < 0)
        die_key (argv[i], errno == EISDIR ? NULL : f);
    print_log (argv[i], text);
    eddy_future_destroy (f);
    return 0;
}

static int eventlog_append (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("eventlog", argc, argv, &o);
    json_t *context = NULL, *entry;
    struct timespec ts;
    eddy_error_t err;
    char *line;

    eddy_cmd_operands (&cmd_kvs, "eventlog", argc, argv, i, 1, 3,
                       "eventlog append needs a KEY and an event NAME");
    if (argc - i < 2)
        eddy_cmd_usage_error (&cmd_kvs, "eventlog",
                              "eventlog append needs an event NAME after the KEY");
    if (argc - i == 3 && !(context = json_loads (argv[i + 2], 0, NULL)))
        eddy_cmd_die ("kvs", "%s: context is not a JSON object", argv[i]);
    clock_gettime (CLOCK_REALTIME, &ts);
    if (!(entry = eddy_eventlog_entry_create (ts.tv_sec + ts.tv_nsec * 1e-9, argv[i + 1], context))
        || eddy_eventlog_entry_check (entry, &err) < 0 || !(line = eddy_eventlog_entry_encode (entry)))
        eddy_cmd_die ("kvs", "%s: invalid event (name or context)", argv[i]);
    eddy_kvs_txn_t *txn = eddy_kvs_txn_create ();
    if (!txn || eddy_kvs_txn_append (txn, argv[i], line) < 0)
        eddy_cmd_die ("kvs", "%s: invalid key", argv[i]);
    commit (h, txn, argv[i]);
    eddy_kvs_txn_destroy (txn);
    free (line);
    json_decref (entry);
    json_decref (context);
    return 0;
}

static int eventlog_wait_event (eddy_handle_t *h, int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("eventlog", argc, argv, &o);
    const char *key, *name, *text;
    eddy_error_t err;

    eddy_cmd_operands (&cmd_kvs, "eventlog", argc, argv, i, 1, 2,
                       "eventlog wait-event needs a KEY and an event NAME");
    if (argc - i < 2)
        eddy_cmd_usage_error (&cmd_kvs, "eventlog",
                              "eventlog wait-event needs an event NAME after the KEY");
    key = argv[i];
    name = argv[i + 1];
    eddy_future_t *f = eddy_kvs_watch (h, ns_opt, EDDY_KVS_WATCH_APPEND | EDDY_KVS_WAITCREATE, key);
    if (!f)
        die_key (key, NULL);
    for (;;) {
        if (eddy_future_wait_for (f, o.timeout) < 0)
            eddy_cmd_die ("kvs", "%s: timed out waiting for %s", key, name);
        if (eddy_kvs_lookup_get (f, &text) < 0)
            die_key (key, f);
        json_t *log = eddy_eventlog_decode (text, &err), *e;
        size_t k;
        if (!log)
            eddy_cmd_die ("kvs", "%s: %s", key, err.text);
        json_array_foreach (log, k, e) {
            const char *n;
            if (eddy_eventlog_entry_parse (e, NULL, &n, NULL) == 0 && !strcmp (n, name)) {
                print_entry (e);
                json_decref (log);
                eddy_future_destroy (f);
                return 0;
            }
        }
        json_decref (log);
        eddy_future_reset (f);
    }
}

static int cmd_eventlog (eddy_handle_t *h, int argc, char **argv)
{
    if (argc < 2)
        eddy_cmd_usage_error (&cmd_kvs, "eventlog",
                              "eventlog needs a subcommand: get, append, wait-event");
    if (!strcmp (argv[1], "get"))
        return eventlog_get (h, argc - 1, argv + 1);
    if (!strcmp (argv[1], "append"))
        return eventlog_append (h, argc - 1, argv + 1);
    if (!strcmp (argv[1], "wait-event"))
        return eventlog_wait_event (h, argc - 1, argv + 1);
    eddy_cmd_usage_error (&cmd_kvs, "eventlog", "eventlog: unknown subcommand '%s'",
                          argv[1]);
}

/* ---- namespaces ---- */

static int cmd_namespace (eddy_handle_t *h, int argc, char **argv)
{
    bool json = false;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_kvs, "namespace", 0, argc, argv)) != -1) {
        if (c != 'j')
            eddy_cmd_unhandled (&cmd_kvs, c);
        json = true;
    }
    argc -= optind - 1;
    argv += optind - 1;
    eddy_future_t *f = NULL;
    if (argc < 2)
        eddy_cmd_usage_error (&cmd_kvs, "namespace",
                              "namespace needs a subcommand: list, create, remove");
    if (!strcmp (argv[1], "list"))
        eddy_cmd_operands (&cmd_kvs, "namespace", argc, argv, 2, 0, 0, NULL);
    else if (!strcmp (argv[1], "create"))
        eddy_cmd_operands (&cmd_kvs, "namespace", argc, argv, 2, 1, 2,
                           "namespace create needs a NAME");
    else if (!strcmp (argv[1], "remove"))
        eddy_cmd_operands (&cmd_kvs, "namespace", argc, argv, 2, 1, 1,
                           "namespace remove needs a NAME");
    else
        eddy_cmd_usage_error (&cmd_kvs, "namespace",
                              "namespace: unknown subcommand '%s'", argv[1]);
    if (!strcmp (argv[1], "list")) {
        f = client_rpc ("kvs", h, "kvs.namespace-list", NULL, 0);
        json_t *a = NULL, *v;
        size_t i;
        if (eddy_rpc_get_unpack (f, "{s:o}", "namespaces", &a) < 0)
            eddy_cmd_die ("kvs", "kvs.namespace-list: malformed response");
        json_array_foreach (a, i, v) {
            const char *name;
            json_int_t owner, seq;
            if (json_unpack (v, "{s:s s:I s:I}", "name", &name, "owner", &owner, "seq", &seq) < 0)
                continue;
            if (json) {
                char *text = json_dumps (v, JSON_COMPACT | JSON_SORT_KEYS);
                printf ("%s\n", text ? text : "{}");
                free (text);
            }
            else
                printf ("%-20s owner=%lld seq=%lld\n", name, (long long)owner, (long long)seq);
        }
    } else if (!strcmp (argv[1], "create")) {
        uint32_t owner = argc == 4 ? (uint32_t)strtoul (argv[3], NULL, 10) : (uint32_t)getuid ();
        if (!(f = eddy_kvs_namespace_create (h, argv[2], owner)) || eddy_rpc_get (f, NULL) < 0)
            die_key (argv[2], f);
    } else {
        if (!(f = eddy_kvs_namespace_remove (h, argv[2])) || eddy_rpc_get (f, NULL) < 0)
            die_key (argv[2], f);
    }
    eddy_future_destroy (f);
    return 0;
}

/* eddy kvs stats [content]: the kvs module's counters (or rank 0's content
 * module's), as JSON */
static int cmd_stats (eddy_handle_t *h, int argc, char **argv)
{
    json_t *o;
    int first = eddy_opt_operands (&cmd_kvs, "stats", argc, argv);
    argc -= first - 1;
    argv += first - 1;
    eddy_cmd_operands (&cmd_kvs, "stats", argc, argv, 1, 0, 1, NULL);
    if (argc == 2 && strcmp (argv[1], "content") != 0)
        eddy_cmd_usage_error (&cmd_kvs, "stats",
                              "stats: unknown store '%s' (content, or none: the KVS)",
                              argv[1]);
    const char *topic = argc == 2 ? "content.stats" : "kvs.stats";
    eddy_future_t *f = eddy_rpc (h, topic, NULL, 0, 0);
    if (!f || eddy_rpc_get (f, &o) < 0)
        eddy_cmd_die ("kvs", "%s: %s", topic, f ? eddy_future_error_string (f) : strerror (errno));
    char *s = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
    printf ("%s\n", s ? s : "{}");
    free (s);
    eddy_future_destroy (f);
    return 0;
}

static const struct {
    const char *name;
    int (*run) (eddy_handle_t *h, int argc, char **argv);
} subcmds[] = {
    { "get", cmd_get },       { "put", cmd_put },     { "ls", cmd_ls },
    { "dir", cmd_dir },       { "unlink", cmd_unlink }, { "mkdir", cmd_mkdir },
    { "watch", cmd_watch },   { "eventlog", cmd_eventlog }, { "namespace", cmd_namespace },
    { "stats", cmd_stats },
};

static int kvs_run (int argc, char **argv)
{
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_kvs, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        if (c != 'N')
            eddy_cmd_unhandled (&cmd_kvs, c);
        ns_opt = optarg;
    }
    int i = optind;
    if (i >= argc)
        eddy_cmd_usage_error (
            &cmd_kvs, NULL,
            "needs a subcommand: get, put, ls, dir, unlink, mkdir, watch, "
            "eventlog, namespace, stats");
    for (size_t k = 0; k < sizeof (subcmds) / sizeof (subcmds[0]); k++) {
        if (!strcmp (argv[i], subcmds[k].name)) {
            /* the subcommand's options checked, --help answered, before
             * connecting; its own parse reads them again */
            int sargc = argc - i;
            char **sargv = argv + i;
            const char *sub = sargv[0];
            if (!strcmp (sub, "eventlog") && sargc > 1 && sargv[1][0] != '-') {
                sargc--;
                sargv++;
            }
            optind = 1;
            while (eddy_opt_next (&cmd_kvs, sub, EDDY_OPT_INORDER, sargc, sargv) != -1)
                ;
            eddy_handle_t *h = client_open ("kvs");
            int rc = subcmds[k].run (h, argc - i, argv + i);
            client_close (h);
            return rc;
        }
    }
    eddy_cmd_die ("kvs", "unknown subcommand '%s'", argv[i]);
}
