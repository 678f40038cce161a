/* cmd-queue.c - `eddy queue`: the job manager's queues (docs/protocols.md,
 * "job-manager"): enable/disable submission, start/stop scheduling, show
 * their states and configuration; drain|idle wait until the queue is
 * empty or nothing runs.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int queue_run (int argc, char **argv);

const struct eddy_cmd cmd_queue = {
    .name = "queue",
    .usage = "eddy queue enable|disable|start|stop [-q NAME|--all] [REASON...]\n"
             "       eddy queue status [-q NAME] [-v] [--json]\n"
             "       eddy queue list [--json]\n"
             "       eddy queue drain|idle [--timeout S]",
    .summary = "Manage the job queues: submission, scheduling, states.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("  enable, disable   let submissions into the queue, or refuse them with REASON\n"
                       "  start, stop       let the queue's jobs be scheduled, or hold them pending\n"
                       "                    (running jobs go on)\n"
                       "  status            show whether the queues are enabled and started\n"
                       "  list              show the queues, their limits and resources\n"
                       "  drain, idle       wait until no job is active (drain) or none runs (idle)\n"),
        EDDY_OPT_SUB ("enable disable start stop status", ""),
        EDDY_OPT_ARG ("queue", 'q', "NAME", "the queue (default: the default queue)"),
        EDDY_OPT_SUB ("enable disable start stop", ""),
        EDDY_OPT_FLAG ("all", 'a', "every queue"),
        EDDY_OPT_SUB ("status", ""),
        EDDY_OPT_FLAG ("verbose", 'v', "status: also count the queue's jobs"),
        EDDY_OPT_SUB ("status list", ""),
        EDDY_OPT_LFLAG ("json", 'J', "status, list: the queues as a JSON array"),
        EDDY_OPT_SUB ("drain idle", ""),
        EDDY_OPT_ARG ("timeout", 't', "S", "drain, idle: give up after S seconds (exit 1)"),
        EDDY_OPT_END,
    },
    .run = queue_run,
};

static int wait_for (eddy_handle_t *h, const char *sub, double timeout)
{
    char topic[32];
    snprintf (topic, sizeof (topic), "job-manager.%s", sub);
    eddy_future_t *f = eddy_rpc (h, topic, NULL, EDDY_NODEID_ANY, 0);
    if (!f)
        eddy_cmd_die ("queue", "%s: cannot send", topic);
    if (eddy_future_wait_for (f, timeout) < 0)
        eddy_cmd_die ("queue", "%s: timed out after %.1f s", sub, timeout);
    client_rpc_get ("queue", f, topic);
    eddy_future_destroy (f);
    return 0;
}

/* The words after the options, joined by spaces (NULL: none). */
static char *join (int argc, char **argv)
{
    size_t len = 0;
    for (int i = 0; i < argc; i++)
        len += strlen (argv[i]) + 1;
    if (len == 0)
        return NULL;
    char *s = xcalloc (1, len);
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat (s, " ");
        strcat (s, argv[i]);
    }
    return s;
}

static void print_status (json_t *q, bool named, bool verbose)
{
    const char *name = json_string_value (json_object_get (q, "name"));
    const char *dr = json_string_value (json_object_get (q, "disable_reason"));
    const char *sr = json_string_value (json_object_get (q, "stop_reason"));
    json_t *jobs = json_object_get (q, "jobs");
    char prefix[128] = "";

    if (named)
        snprintf (prefix, sizeof (prefix), "%s: ", name);
    if (json_is_true (json_object_get (q, "enabled")))
        printf ("%sJob submission is enabled\n", prefix);
    else
        printf ("%sJob submission is disabled%s%s\n", prefix, dr ? ": " : "", dr ? dr : "");
    if (json_is_true (json_object_get (q, "started")))
        printf ("%sScheduling is started\n", prefix);
    else
        printf ("%sScheduling is stopped%s%s\n", prefix, sr ? ": " : "", sr ? sr : "");
    if (verbose) {
        printf ("%s%jd alloc requests queued\n", prefix,
                (intmax_t)json_integer_value (json_object_get (jobs, "queued")));
        printf ("%s%jd alloc requests pending to scheduler\n", prefix,
                (intmax_t)json_integer_value (json_object_get (jobs, "pending")));
        printf ("%s%jd free requests pending to scheduler\n", prefix,
                (intmax_t)json_integer_value (json_object_get (jobs, "free")));
        printf ("%s%jd running jobs\n", prefix,
                (intmax_t)json_integer_value (json_object_get (jobs, "running")));
    }
}

static void limit_text (char *buf, size_t len, json_int_t n)
{
    if (n > 0)
        snprintf (buf, len, "%jd", (intmax_t)n);
    else
        snprintf (buf, len, "-");
}

static void print_list (json_t *queues)
{
    size_t i;
    json_t *q;

    printf ("%-12s %-2s %-2s %-3s %10s %6s %6s  %s\n", "QUEUE", "EN", "ST", "DEF", "TLIMIT",
            "NNODES", "NCORES", "RESOURCES");
    json_array_foreach (queues, i, q) {
        json_t *lim = json_object_get (q, "limits");
        double d = json_number_value (json_object_get (lim, "duration"));
        char tl[32], nn[24], nc[24], res[256] = "";
        const char *r = json_string_value (json_object_get (q, "resources"));
        json_t *req = json_object_get (q, "requires");

        if (d > 0)
            snprintf (tl, sizeof (tl), "%gs", d);
        else
            snprintf (tl, sizeof (tl), "-");
        limit_text (nn, sizeof (nn), json_integer_value (json_object_get (lim, "nnodes")));
        limit_text (nc, sizeof (nc), json_integer_value (json_object_get (lim, "ncores")));
        snprintf (res, sizeof (res), "%s", r ? r : "all");
        for (size_t k = 0; k < json_array_size (req); k++) {
            size_t n = strlen (res);
            snprintf (res + n, sizeof (res) - n, "%s%s", k ? "," : " requires ",
                      json_string_value (json_array_get (req, k)));
        }
        printf ("%-12s %-2s %-2s %-3s %10s %6s %6s  %s\n",
                json_string_value (json_object_get (q, "name")),
                json_is_true (json_object_get (q, "enabled")) ? "y" : "n",
                json_is_true (json_object_get (q, "started")) ? "y" : "n",
                json_is_true (json_object_get (q, "default")) ? "*" : "", tl, nn, nc, res);
    }
}

static int queue_run (int argc, char **argv)
{
    static const char *const subs[] = { "drain", "idle", "enable", "disable", "start", "stop",
                                        "status", "list", NULL };
    double timeout = 0;
    const char *queue = NULL;
    bool all = false, verbose = false, known = false, as_json = false;
    int c;

    int first = eddy_opt_operands (&cmd_queue, NULL, argc, argv);
    if (first >= argc)
        eddy_cmd_usage_error (
            &cmd_queue, NULL,
            "needs a subcommand: enable, disable, start, stop, status, list, "
            "drain, idle");
    argc -= first - 1;
    argv += first - 1;
    const char *sub = argv[1];
    for (int i = 0; subs[i]; i++)
        known |= !strcmp (sub, subs[i]);
    if (!known)
        eddy_cmd_die ("queue", "unknown subcommand '%s' (try: enable, disable, start, stop, "
                      "status, list, drain, idle)", sub);
    bool waits = !strcmp (sub, "drain") || !strcmp (sub, "idle");
    bool sets = !strcmp (sub, "enable") || !strcmp (sub, "disable") || !strcmp (sub, "start")
                || !strcmp (sub, "stop");
    argc--;
    argv++;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_queue, sub, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 't':
            timeout = client_parse_seconds ("queue", "timeout", optarg);
            break;
        case 'q':
            queue = optarg;
            break;
        case 'a':
            all = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'J':
            as_json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_queue, c);
        }
    }
    if (all && queue)
        eddy_cmd_die ("queue", "%s: give --queue or --all, not both", sub);
    /* only disable and stop take a REASON */
    if (!(sets && (!strcmp (sub, "disable") || !strcmp (sub, "stop"))))
        eddy_cmd_operands (&cmd_queue, sub, argc, argv, optind, 0, 0, NULL);

    eddy_handle_t *h = client_open ("queue");
    if (waits)
        wait_for (h, sub, timeout);
    else if (sets) {
        char *reason = join (argc - optind, argv + optind);
        json_t *o = json_pack ("{s:s s:b}", "action", sub, "all", all);
        if (queue)
            json_object_set_new (o, "queue", json_string (queue));
        if (reason)
            json_object_set_new (o, "reason", json_string (reason));
        eddy_future_t *f = client_rpc_take ("queue", h, "job-manager.queue-set", o,
                                            EDDY_NODEID_ANY);
        client_rpc_get ("queue", f, "job-manager.queue-set");
        eddy_future_destroy (f);
        free (reason);
    }
    else {
        json_t *o = queue ? json_pack ("{s:s}", "queue", queue) : json_object ();
        eddy_future_t *f = client_rpc_take ("queue", h, "job-manager.queue-status", o,
                                            EDDY_NODEID_ANY);
        json_t *r = client_rpc_get ("queue", f, "job-manager.queue-status");
        json_t *queues = json_object_get (r, "queues");
        bool named = json_is_true (json_object_get (r, "named"));
        size_t i;
        json_t *q;
        if (as_json) {
            char *text = json_dumps (queues, JSON_COMPACT);
            printf ("%s\n", text ? text : "[]");
            free (text);
        }
        else if (!strcmp (sub, "list"))
            print_list (queues);
        else
            json_array_foreach (queues, i, q) print_status (q, named, verbose);
        eddy_future_destroy (f);
    }
    client_close (h);
    return 0;
}
