/* cmd-dmesg.c - `eddy dmesg` prints a broker's log ring; `eddy logger`
 * adds a line to it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int dmesg_run (int argc, char **argv);
static int logger_run (int argc, char **argv);

const struct eddy_cmd cmd_dmesg = {
    .name = "dmesg",
    .usage = "eddy dmesg [--rank R] [--clear] [--read-clear] [--json]",
    .summary = "Print a broker's log ring buffer.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "R", "read rank R's log (default: the local broker)"),
        EDDY_OPT_FLAG ("clear", 'C', "clear the log without printing it"),
        EDDY_OPT_FLAG ("read-clear", 'c', "print, then clear"),
        EDDY_OPT_LFLAG ("json", 'j', "one JSON object per entry and line (timestamp, level, rank, name, message)"),
        EDDY_OPT_END,
    },
    .run = dmesg_run,
};

const struct eddy_cmd cmd_logger = {
    .name = "logger",
    .usage = "eddy logger [--severity LEVEL] [--appname NAME] [--rank R] MESSAGE...",
    .summary = "Log a message in a broker's log ring buffer.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("severity", 's', "LEVEL", "emerg|alert|crit|err|warning|notice|info|debug (default notice)"),
        EDDY_OPT_ARG ("appname", 'n', "NAME", "component name (default logger)"),
        EDDY_OPT_ARG ("rank", 'r', "R", "log on rank R (default: the local broker)"),
        EDDY_OPT_END,
    },
    .run = logger_run,
};

static const char *const levels[] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL,
};

static int level_parse (const char *s)
{
    for (int i = 0; levels[i]; i++)
        if (!strcmp (levels[i], s))
            return i;
    return -1;
}

static void print_entry (json_t *o)
{
    double ts;
    int level, rank;
    const char *name, *msg;
    if (json_unpack (o, "{s:f s:i s:i s:s s:s}", "timestamp", &ts, "level", &level, "rank", &rank,
                     "name", &name, "message", &msg) < 0)
        eddy_cmd_die ("dmesg", "log.dmesg: malformed entry");
    time_t t = (time_t)ts;
    struct tm tm;
    char buf[64];
    gmtime_r (&t, &tm);
    strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
    printf ("%s.%06dZ %s.%s[%d]: %s\n", buf, (int)((ts - (double)t) * 1e6), name,
            level >= 0 && level <= 7 ? levels[level] : "?", rank, msg);
}

static int dmesg_run (int argc, char **argv)
{
    uint32_t rank = EDDY_NODEID_ANY;
    bool read = true, clear = false, json = false;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_dmesg, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            rank = client_parse_rank ("dmesg", optarg);
            break;
        case 'C':
            read = false;
            clear = true;
            break;
        case 'c':
            clear = true;
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_dmesg, c);
        }
    }
    eddy_cmd_operands (&cmd_dmesg, NULL, argc, argv, optind, 0, 0, NULL);
    eddy_handle_t *h = client_open ("dmesg");
    if (read) {
        eddy_future_t *f = eddy_rpc (h, "log.dmesg", NULL, rank, EDDY_RPC_STREAMING);
        json_t *o;
        if (!f)
            eddy_cmd_die ("dmesg", "log.dmesg: %s", strerror (errno));
        while (eddy_rpc_get (f, &o) == 0) {
            if (json) { /* one entry per line, as the broker keeps it */
                char *text = json_dumps (o, JSON_COMPACT | JSON_SORT_KEYS);
                printf ("%s\n", text ? text : "{}");
                free (text);
            } else
                print_entry (o);
            eddy_future_reset (f);
        }
        if (errno != ENODATA)
            eddy_cmd_die ("dmesg", "log.dmesg: %s", eddy_future_error_string (f));
        eddy_future_destroy (f);
    }
    if (clear)
        eddy_future_destroy (client_rpc ("dmesg", h, "log.clear", NULL, rank));
    client_close (h);
    return 0;
}

static int logger_run (int argc, char **argv)
{
    int level = LOG_NOTICE;
    const char *app = "logger";
    uint32_t rank = EDDY_NODEID_ANY;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_logger, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 's':
            if ((level = level_parse (optarg)) < 0)
                eddy_cmd_die ("logger", "--severity: '%s' is not a syslog level name", optarg);
            break;
        case 'n':
            app = optarg;
            break;
        case 'r':
            rank = client_parse_rank ("logger", optarg);
            break;
        default:
            eddy_cmd_unhandled (&cmd_logger, c);
        }
    }
    if (optind >= argc)
        eddy_cmd_usage_error (&cmd_logger, NULL, "needs a MESSAGE");
    size_t len = 0;
    for (int i = optind; i < argc; i++)
        len += strlen (argv[i]) + 1;
    char *msg = xcalloc (len + 1, 1);
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat (msg, " ");
        strcat (msg, argv[i]);
    }
    eddy_handle_t *h = client_open ("logger");
    json_t *req = json_pack ("{s:i s:s s:s}", "level", level, "name", app, "message", msg);
    eddy_future_destroy (client_rpc ("logger", h, "log.append", req, rank));
    json_decref (req);
    client_close (h);
    free (msg);
    return 0;
}
