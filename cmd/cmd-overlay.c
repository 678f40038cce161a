/* cmd-overlay.c - `eddy overlay status|parentof|disconnect`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int overlay_run (int argc, char **argv);

const struct eddy_cmd cmd_overlay = {
    .name = "overlay",
    .usage = "eddy overlay status [--rank R] [--summary] [--json] | parentof RANK | disconnect RANK",
    .summary = "Show the overlay tree's health, or act on one of its ranks.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("status", "status: the tree below rank R (default 0), each rank full, partial,\n"
                                "  degraded, lost or offline.\n"),
        EDDY_OPT_ARG ("rank", 'r', "R", "root of the subtree to show (default 0)"),
        EDDY_OPT_FLAG ("summary", 's', "print only the root's status"),
        EDDY_OPT_LFLAG ("json", 'j', "the subtree as JSON (rank, host, status, children)"),
        EDDY_OPT_SUB ("parentof", "parentof RANK: print the parent of RANK.\n"),
        EDDY_OPT_SUB ("disconnect", "disconnect RANK: make RANK's parent drop it (its subtree shuts down).\n"),
        EDDY_OPT_END,
    },
    .run = overlay_run,
};

static void print_tree (json_t *node, const char *prefix, bool last, bool root)
{
    int rank;
    const char *status, *host = "";
    json_t *kids = NULL;
    if (json_unpack (node, "{s:i s:s s?s s?o}", "rank", &rank, "status", &status, "host", &host,
                     "children", &kids) < 0)
        return;
    if (root)
        printf ("%d %s%s%s\n", rank, host, *host ? ": " : "", status);
    else
        printf ("%s%s %d %s%s%s\n", prefix, last ? "\u2514\u2500" : "\u251c\u2500", rank, host,
                *host ? ": " : "", status);
    char *sub = xasprintf ("%s%s", prefix, root ? "" : (last ? "   " : "\u2502  "));
    size_t n = json_is_array (kids) ? json_array_size (kids) : 0;
    for (size_t i = 0; i < n; i++)
        print_tree (json_array_get (kids, i), sub, i == n - 1, false);
    free (sub);
}

static uint32_t parse_rank_arg (const char *s)
{
    uint32_t r = client_parse_rank ("overlay", s);
    if (r == EDDY_NODEID_ANY)
        eddy_cmd_die ("overlay", "'%s' is not a rank", s);
    return r;
}

static int status (int argc, char **argv)
{
    uint32_t rank = 0;
    bool summary = false, json = false;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_overlay, "status", 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            rank = parse_rank_arg (optarg);
            break;
        case 's':
            summary = true;
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_overlay, c);
        }
    }
    eddy_cmd_operands (&cmd_overlay, "status", argc, argv, optind, 0, 0, NULL);
    eddy_handle_t *h = client_open ("overlay");
    eddy_future_t *f = client_rpc ("overlay", h, "overlay.status", NULL, rank);
    json_t *o = client_rpc_get ("overlay", f, "overlay.status");
    if (json) {
        char *text = json_dumps (o, JSON_INDENT (2) | JSON_SORT_KEYS);
        printf ("%s\n", text ? text : "{}");
        free (text);
    }
    else if (summary) {
        const char *st = "?";
        json_unpack (o, "{s:s}", "status", &st);
        printf ("%s\n", st);
    }
    else
        print_tree (o, "", true, true);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

static int parentof (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_overlay, "parentof", argc, argv);
    eddy_cmd_operands (&cmd_overlay, "parentof", argc, argv, i, 1, 1,
                       "parentof needs a RANK");
    uint32_t rank = parse_rank_arg (argv[i]);
    eddy_handle_t *h = client_open ("overlay");
    json_t *req = json_pack ("{s:i}", "rank", (json_int_t)rank);
    eddy_future_t *f = client_rpc ("overlay", h, "overlay.parentof", req, EDDY_NODEID_ANY);
    int parent;
    if (eddy_rpc_get_unpack (f, "{s:i}", "parent", &parent) < 0)
        eddy_cmd_die ("overlay", "overlay.parentof: malformed response");
    printf ("%d\n", parent);
    eddy_future_destroy (f);
    json_decref (req);
    client_close (h);
    return 0;
}

static int disconnect (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_overlay, "disconnect", argc, argv);
    eddy_cmd_operands (&cmd_overlay, "disconnect", argc, argv, i, 1, 1,
                       "disconnect needs a RANK");
    uint32_t rank = parse_rank_arg (argv[i]);
    eddy_handle_t *h = client_open ("overlay");
    json_t *req = json_pack ("{s:i}", "rank", (json_int_t)rank);
    eddy_future_t *f = client_rpc ("overlay", h, "overlay.parentof", req, EDDY_NODEID_ANY);
    int parent;
    if (eddy_rpc_get_unpack (f, "{s:i}", "parent", &parent) < 0)
        eddy_cmd_die ("overlay", "overlay.parentof: malformed response");
    eddy_future_destroy (f);
    eddy_future_destroy (client_rpc ("overlay", h, "overlay.disconnect", req, parent));
    json_decref (req);
    client_close (h);
    return 0;
}

static int overlay_run (int argc, char **argv)
{
    if (argc < 2)
        eddy_cmd_usage_error (&cmd_overlay, NULL,
                              "needs a subcommand: status, parentof, disconnect");
    if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))
        eddy_cmd_usage (&cmd_overlay, false);
    if (!strcmp (argv[1], "status"))
        return status (argc - 1, argv + 1);
    if (!strcmp (argv[1], "parentof"))
        return parentof (argc - 1, argv + 1);
    if (!strcmp (argv[1], "disconnect"))
        return disconnect (argc - 1, argv + 1);
    eddy_cmd_die ("overlay", "unknown subcommand '%s' (try: status, parentof, disconnect)", argv[1]);
}
