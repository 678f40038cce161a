/* cmd-event.c - `eddy event pub|sub`: publish and watch events. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int event_run (int argc, char **argv);

const struct eddy_cmd cmd_event = {
    .name = "event",
    .usage = "eddy event pub TOPIC [JSON] | eddy event sub [--count N] [TOPIC-PREFIX...]",
    .summary = "Publish an event, or print events as they arrive.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("pub", "pub: publish TOPIC with an optional JSON payload; prints its sequence number.\n"),
        EDDY_OPT_SUB ("sub", "sub: print 'seq topic payload' for events matching any prefix (all if none).\n"),
        EDDY_OPT_ARG ("count", 'c', "N", "exit after N events"),
        EDDY_OPT_END,
    },
    .run = event_run,
};

static int pub (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_event, "pub", argc, argv);
    argc -= i - 1;
    argv += i - 1;
    eddy_cmd_operands (&cmd_event, "pub", argc, argv, 1, 1, 2, "pub needs a TOPIC");
    json_t *payload = NULL;
    if (argc == 3) {
        json_error_t jerr;
        if (!(payload = json_loads (argv[2], JSON_DECODE_ANY, &jerr)))
            eddy_cmd_die ("event", "pub: payload is not JSON: %s", jerr.text);
    }
    eddy_handle_t *h = client_open ("event");
    json_t *req = json_pack ("{s:s}", "topic", argv[1]);
    if (payload)
        json_object_set_new (req, "payload", payload);
    eddy_future_t *f = client_rpc ("event", h, "event.pub", req, EDDY_NODEID_ANY);
    int seq = 0;
    eddy_rpc_get_unpack (f, "{s:i}", "seq", &seq);
    printf ("%d\n", seq);
    eddy_future_destroy (f);
    json_decref (req);
    client_close (h);
    return 0;
}

struct subctx {
    long count;
    long seen;
};

static void event_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct subctx *ctx = arg;
    json_t *p = eddy_msg_payload (msg);
    char *s = p ? json_dumps (p, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    printf ("%u %s%s%s\n", eddy_msg_seq (msg), eddy_msg_topic (msg), s ? " " : "", s ? s : "");
    fflush (stdout);
    free (s);
    if (ctx->count > 0 && ++ctx->seen >= ctx->count)
        eddy_reactor_stop (eddy_handle_reactor (h));
}

static int sub (int argc, char **argv)
{
    struct subctx ctx = { -1, 0 };
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_event, "sub", 0, argc, argv)) != -1) {
        char *end;
        switch (c) {
        case 'c':
            ctx.count = strtol (optarg, &end, 10);
            if (end == optarg || *end || ctx.count < 1)
                eddy_cmd_die ("event", "--count: '%s' is not a count >= 1", optarg);
            break;
        default:
            eddy_cmd_unhandled (&cmd_event, c);
        }
    }
    eddy_handle_t *h = client_open ("event");
    eddy_msg_handler_t *mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_EVENT, "*", event_cb, &ctx);
    if (!mh)
        eddy_cmd_die ("event", "sub: %s", strerror (errno));
    if (optind == argc) {
        if (eddy_event_subscribe (h, "") < 0)
            eddy_cmd_die ("event", "sub: %s", strerror (errno));
    }
    for (int i = optind; i < argc; i++)
        if (eddy_event_subscribe (h, argv[i]) < 0)
            eddy_cmd_die ("event", "sub %s: %s", argv[i], strerror (errno));
    /* the subscription is in place once the broker has answered a request
     * sent after it; say so on stderr for scripts that wait for it */
    eddy_future_destroy (client_rpc ("event", h, "broker.ping", NULL, EDDY_NODEID_ANY));
    fprintf (stderr, "eddy-event: subscribed\n");
    int rc = eddy_reactor_run (eddy_handle_reactor (h), EDDY_RUN_DEFAULT);
    eddy_msg_handler_destroy (mh);
    client_close (h);
    if (rc < 0)
        eddy_cmd_die ("event", "sub: lost the connection to the broker");
    return 0;
}

static int event_run (int argc, char **argv)
{
    if (argc < 2)
        eddy_cmd_usage_error (&cmd_event, NULL, "needs a subcommand: pub, sub");
    if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))
        eddy_cmd_usage (&cmd_event, false);
    if (!strcmp (argv[1], "pub"))
        return pub (argc - 1, argv + 1);
    if (!strcmp (argv[1], "sub"))
        return sub (argc - 1, argv + 1);
    eddy_cmd_die ("event", "unknown subcommand '%s' (try: pub, sub)", argv[1]);
}
