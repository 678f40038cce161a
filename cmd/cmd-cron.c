/* cmd-cron.c - `eddy cron`: commands on a schedule, run on rank 0 by the
 * cron module (sched/cron.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "engine/util/fsd.h"

static int cron_run (int argc, char **argv);

const struct eddy_cmd cmd_cron = {
    .name = "cron",
    .usage = "eddy cron interval|event|tab|list|stop|start|delete|dump [OPTIONS] ...",
    .summary = "Run commands on rank 0 on a schedule (timed by the instance).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("interval", "  interval [OPTIONS] INTERVAL COMMAND...\n"
                                  "      every INTERVAL seconds (or 30s, 5m, 2h, 1d), the first after --after\n"
                                  "      (default INTERVAL), --count times (default: always)\n"),
        EDDY_OPT_LARG ("count", 'c', "N", "run N times (default: always)"),
        EDDY_OPT_SUB ("event", "  event [OPTIONS] TOPIC COMMAND...\n"
                               "      on every Nth event whose topic starts with TOPIC, after the first\n"
                               "      --after, at most once per --min-interval\n"),
        EDDY_OPT_LARG ("nth", 'n', "N", "every Nth event (default 1)"),
        EDDY_OPT_LARG ("min-interval", 'm', "S", "at most once per S seconds"),
        EDDY_OPT_SUB ("interval event", "  interval, event:\n"),
        EDDY_OPT_LARG ("name", 'N', "N", "the entry's name"),
        EDDY_OPT_LARG ("after", 'a', "S|N", "interval: the first run after S seconds; event: after the first N events"),
        EDDY_OPT_SUB ("tab", "  tab [OPTIONS] [FILE]\n"
                             "      crontab(5) lines \"MIN HOUR MDAY MONTH WDAY COMMAND\" from FILE or\n"
                             "      stdin (# comments, blank lines), in this machine's local time\n"),
        EDDY_OPT_SUB ("interval event tab", "  interval, event, tab:\n"),
        EDDY_OPT_LARG ("timeout", 't', "S", "kill a run of the command after S seconds (default: never)"),
        EDDY_OPT_SUB ("list", "  list [OPTIONS]  the entries and their statistics\n"),
        EDDY_OPT_LFLAG ("json", 'j', "as JSON"),
        EDDY_OPT_SUB ("stop start delete dump", "  stop ID | start ID | delete ID | dump ID\n"),
        EDDY_OPT_SUB (NULL, "A command runs under /bin/sh -c on rank 0 as the instance owner; its\n"
                            "output goes to the instance's log (eddy dmesg).  Entries live until the\n"
                            "instance stops.\n"),
        EDDY_OPT_END,
    },
    .run = cron_run,
};

static double parse_duration (const char *opt, const char *s)
{
    double v;
    if (eddy_fsd_parse (s, &v, NULL) < 0)
        eddy_cmd_die ("cron", "%s: '%s' is not a duration (seconds, or 30s, 5m, 2h, 1d)", opt, s);
    return v;
}

static long parse_count (const char *opt, const char *s, long min)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min)
        eddy_cmd_die ("cron", "%s: '%s' is not an integer >= %ld", opt, s, min);
    return v;
}

/* The command words as one shell command line. */
static char *join (int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen (argv[i]) + 1;
    char *s = xmalloc (len);
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        strcat (s, argv[i]);
        if (i + 1 < argc)
            strcat (s, " ");
    }
    return s;
}

static int create (eddy_handle_t *h, json_t *req)
{
    eddy_future_t *f = client_rpc_take ("cron", h, "cron.create", req, 0);
    int id;
    if (json_unpack (client_rpc_get ("cron", f, "cron.create"), "{s:i}", "id", &id) < 0)
        eddy_cmd_die ("cron", "cron.create: no id in the answer");
    eddy_future_destroy (f);
    return id;
}

/* One entry (req taken, with its --name if given): print its id. */
static int create_one (json_t *req, const char *name)
{
    if (name)
        json_object_set_new (req, "name", json_string (name));
    eddy_handle_t *h = client_open ("cron");
    printf ("%d\n", create (h, req));
    client_close (h);
    return 0;
}

static int local_offset (void)
{
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    return (int)tm.tm_gmtoff;
}

static void print_list (json_t *entries)
{
    size_t i;
    json_t *e;
    printf ("%4s %-8s %-20s %6s %6s %-8s %-19s %s\n", "ID", "TYPE", "NAME", "RUNS", "FAILS",
            "STATE", "NEXT", "COMMAND");
    json_array_foreach (entries, i, e) {
        json_t *st = json_object_get (e, "stats");
        double next = json_real_value (json_object_get (st, "next"));
        char when[32] = "-";
        if (next > 0) {
            time_t t = (time_t)next;
            struct tm tm;
            localtime_r (&t, &tm);
            strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%S", &tm);
        }
        printf ("%4lld %-8s %-20.20s %6lld %6lld %-8s %-19s %s\n",
                (long long)json_integer_value (json_object_get (e, "id")),
                json_string_value (json_object_get (e, "type")),
                json_string_value (json_object_get (e, "name")),
                (long long)json_integer_value (json_object_get (st, "runs")),
                (long long)json_integer_value (json_object_get (st, "failures")),
                json_is_true (json_object_get (e, "stopped")) ? "stopped" : "active", when,
                json_string_value (json_object_get (e, "command")));
    }
}

static int cron_run (int argc, char **argv)
{
    int first = eddy_opt_operands (&cmd_cron, NULL, argc, argv);
    if (first >= argc)
        eddy_cmd_usage_error (
            &cmd_cron, NULL,
            "needs a subcommand: interval, event, tab, list, stop, start, "
            "delete, dump");
    argc -= first - 1;
    argv += first - 1;
    const char *sub = argv[1];
    const char *name = NULL, *after = NULL;
    long count = 0, nth = 1;
    double timeout = 0, min_interval = 0;
    bool json = false;
    int c;
    /* the options after the subcommand: argv[1] on */
    argc--;
    argv++;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_cron, sub, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'N':
            name = optarg;
            break;
        case 'a':
            after = optarg;
            break;
        case 'c':
            count = parse_count ("--count", optarg, 0);
            break;
        case 't':
            timeout = parse_duration ("--timeout", optarg);
            break;
        case 'n':
            nth = parse_count ("--nth", optarg, 1);
            break;
        case 'm':
            min_interval = parse_duration ("--min-interval", optarg);
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_cron, c);
        }
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    if (!strcmp (sub, "interval")) {
        if (nargs < 2)
            eddy_cmd_die ("cron", "interval: expected INTERVAL COMMAND...");
        double iv = parse_duration ("INTERVAL", args[0]);
        if (!(iv > 0))
            eddy_cmd_die ("cron", "interval: INTERVAL must be > 0");
        char *cmd = join (nargs - 1, args + 1);
        json_t *req = json_pack ("{s:s s:s s:f s:I s:f}", "type", "interval", "command", cmd,
                                 "interval", iv, "count", (json_int_t)count, "timeout", timeout);
        if (after)
            json_object_set_new (req, "after", json_real (parse_duration ("--after", after)));
        free (cmd);
        return create_one (req, name);
    }
    if (!strcmp (sub, "event")) {
        if (nargs < 2)
            eddy_cmd_die ("cron", "event: expected TOPIC COMMAND...");
        char *cmd = join (nargs - 1, args + 1);
        json_t *req = json_pack ("{s:s s:s s:s s:I s:f s:f}", "type", "event", "command", cmd,
                                 "topic", args[0], "nth", (json_int_t)nth, "min_interval",
                                 min_interval, "timeout", timeout);
        if (after)
            json_object_set_new (req, "after", json_integer (parse_count ("--after", after, 0)));
        free (cmd);
        return create_one (req, name);
    }
    if (!strcmp (sub, "tab")) {
        if (nargs > 1)
            eddy_cmd_die ("cron", "tab: expected at most one FILE");
        FILE *f = nargs ? fopen (args[0], "r") : stdin;
        if (!f)
            eddy_cmd_die ("cron", "tab: %s: %s", args[0], strerror (errno));
        char line[4096];
        int lineno = 0, offset = local_offset ();
        json_t *reqs = json_array ();
        while (fgets (line, sizeof (line), f)) {
            lineno++;
            line[strcspn (line, "\n")] = '\0';
            char *p = line;
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p || *p == '#')
                continue;
            /* five fields, then the command */
            char *q = p;
            for (int k = 0; k < 5; k++) {
                while (*q && *q != ' ' && *q != '\t')
                    q++;
                while (*q == ' ' || *q == '\t')
                    q++;
            }
            if (!*q)
                eddy_cmd_die ("cron", "tab: line %d: expected 5 time fields and a command", lineno);
            char spec[512];
            snprintf (spec, sizeof (spec), "%.*s", (int)(q - p), p);
            json_array_append_new (reqs, json_pack ("{s:s s:s s:s s:i s:f}", "type", "tab",
                                                    "command", q, "spec", spec, "utc_offset",
                                                    offset, "timeout", timeout));
        }
        if (f != stdin)
            fclose (f);
        eddy_handle_t *h = client_open ("cron");
        size_t i;
        json_t *r;
        json_array_foreach (reqs, i, r)
            printf ("%d\n", create (h, json_incref (r)));
        json_decref (reqs);
        client_close (h);
        return 0;
    }
    if (!strcmp (sub, "list")) {
        if (nargs)
            eddy_cmd_die ("cron", "list: unexpected argument '%s'", args[0]);
        eddy_handle_t *h = client_open ("cron");
        eddy_future_t *f = client_rpc ("cron", h, "cron.list", NULL, 0);
        json_t *entries = json_object_get (client_rpc_get ("cron", f, "cron.list"), "entries");
        if (json) {
            char *s = json_dumps (entries, JSON_INDENT (2));
            printf ("%s\n", s ? s : "[]");
            free (s);
        } else
            print_list (entries);
        eddy_future_destroy (f);
        client_close (h);
        return 0;
    }
    static const char *const by_id[] = { "stop", "start", "delete", "dump", NULL };
    for (int i = 0; by_id[i]; i++) {
        if (strcmp (sub, by_id[i]))
            continue;
        if (nargs != 1)
            eddy_cmd_die ("cron", "%s: expected ID", sub);
        long id = parse_count ("ID", args[0], 1);
        char topic[32];
        snprintf (topic, sizeof (topic), "cron.%s", sub);
        eddy_handle_t *h = client_open ("cron");
        eddy_future_t *f = client_rpc_take ("cron", h, topic, json_pack ("{s:i}", "id", (int)id), 0);
        json_t *o = client_rpc_get ("cron", f, topic);
        if (!strcmp (sub, "dump")) {
            char *s = json_dumps (o, JSON_INDENT (2) | JSON_SORT_KEYS);
            printf ("%s\n", s ? s : "{}");
            free (s);
        }
        eddy_future_destroy (f);
        client_close (h);
        return 0;
    }
    eddy_cmd_die ("cron", "unknown subcommand '%s' (interval, event, tab, list, stop, start, "
                          "delete, dump)", sub);
}
