/* cmd-queue.c - `eddy queue drain|idle`: wait until the queue is empty or
 * nothing runs.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int queue_run (int argc, char **argv);

const struct eddy_cmd cmd_queue = {
    .name = "queue",
    .usage = "eddy queue drain|idle [--timeout S]",
    .summary = "Wait until no job is active (drain) or none is running (idle).",
    .help = "  -t, --timeout=S   give up after S seconds (exit 1)\n",
    .run = queue_run,
};

static int queue_run (int argc, char **argv)
{
    static const struct option opts[] = {
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    double timeout = 0;
    int c;

    if (argc < 2)
        eddy_cmd_usage (&cmd_queue, true);
    const char *sub = argv[1];
    if (!strcmp (sub, "--help") || !strcmp (sub, "-h"))
        eddy_cmd_usage (&cmd_queue, false);
    if (strcmp (sub, "drain") && strcmp (sub, "idle"))
        eddy_cmd_die ("queue", "unknown subcommand '%s' (try: drain, idle)", sub);
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long (argc, argv, "t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            timeout = client_parse_seconds ("queue", "timeout", optarg);
            break;
        case 'h':
            eddy_cmd_usage (&cmd_queue, false);
        default:
            eddy_cmd_usage (&cmd_queue, true);
        }
    }
    if (optind != argc)
        eddy_cmd_usage (&cmd_queue, true);
    eddy_handle_t *h = client_open ("queue");
    char topic[32];
    snprintf (topic, sizeof (topic), "job-manager.%s", sub);
    eddy_future_t *f = eddy_rpc (h, topic, NULL, EDDY_NODEID_ANY, 0);
    if (!f)
        eddy_cmd_die ("queue", "%s: cannot send", topic);
    if (eddy_future_wait_for (f, timeout) < 0)
        eddy_cmd_die ("queue", "%s: timed out after %.1f s", sub, timeout);
    client_rpc_get ("queue", f, topic);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}
