/* cmd-shutdown.c - `eddy shutdown`: an orderly stop of the whole instance
 * (rank 0 unloads its modules, every rank leaves, the brokers exit 0).
 * Jobs still pending stay in the statedir for the next start.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "transport/local/client.h"

static int shutdown_run (int argc, char **argv);

const struct eddy_cmd cmd_shutdown = {
    .name = "shutdown",
    .usage = "eddy shutdown [--timeout=S] [--no-wait]",
    .summary = "Stop the instance in order (its queue is kept in the statedir).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("timeout", 't', "S", "give up waiting after S seconds (exit 1; default 60)"),
        EDDY_OPT_LFLAG ("no-wait", 'n', "return once rank 0 has begun to shut down"),
        EDDY_OPT_TEXT ("Without EDDY_URI it stops this node's system instance.  It waits until\n"
                       "the broker it talks to no longer answers.\n"),
        EDDY_OPT_END,
    },
    .run = shutdown_run,
};

static void nap (double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
    nanosleep (&ts, NULL);
}

/* Until nothing accepts a connection at uri, or the deadline. */
static int wait_gone (const char *uri, double deadline)
{
    eddy_error_t err;
    eddy_handle_t *h;

    while ((h = eddy_open (uri, &err))) {
        eddy_close (h);
        if (client_monotime () > deadline)
            return -1;
        nap (0.02);
    }
    return 0;
}

static int shutdown_run (int argc, char **argv)
{
    double timeout = 60.0;
    bool wait = true;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_shutdown, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 't':
            timeout = client_parse_seconds ("shutdown", "timeout", optarg);
            break;
        case 'n':
            wait = false;
            break;
        default:
            eddy_cmd_unhandled (&cmd_shutdown, c);
        }
    }
    eddy_cmd_operands (&cmd_shutdown, NULL, argc, argv, optind, 0, 0, NULL);

    double deadline = client_monotime () + timeout;
    char *uri = client_uri ("shutdown");
    eddy_handle_t *h = client_open ("shutdown");
    /* asked first, so that the broker cannot reach exit before we wait */
    eddy_future_t *gone = eddy_rpc_pack (h, "broker.state-wait", EDDY_NODEID_ANY, 0, "{s:s}",
                                         "state", "exit");
    eddy_future_t *f = client_rpc_take ("shutdown", h, "broker.shutdown",
                                        json_pack ("{s:i}", "exit_code", 0), 0);
    eddy_future_destroy (f);
    int rc = 0;
    if (wait) {
        /* an answer, or the connection closing, both mean the local broker
         * is leaving; then wait for its socket to go quiet */
        double left = deadline - client_monotime ();
        if (!gone || eddy_future_wait_for (gone, left > 0.01 ? left : 0.01) < 0) {
            if (errno == ETIMEDOUT) {
                eddy_cmd_error ("shutdown", "the instance did not stop within %.0f s", timeout);
                rc = 1;
            }
        }
    }
    eddy_future_destroy (gone);
    eddy_close (h);
    if (wait && rc == 0 && wait_gone (uri, deadline) < 0) {
        eddy_cmd_error ("shutdown", "the broker still answers after %.0f s", timeout);
        rc = 1;
    }
    free (uri);
    return rc;
}
