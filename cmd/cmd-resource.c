/* cmd-resource.c - `eddy resource list`: the instance's resources by state
 * (free, allocated, down), as the scheduler sees them (sched.resource-status).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "sched/rlist.h"

static int resource_run (int argc, char **argv);

const struct eddy_cmd cmd_resource = {
    .name = "resource",
    .usage = "eddy resource list [--states=LIST]",
    .summary = "Show the instance's resources by state.",
    .help = "list: one row per state with its node, core and gpu counts and the nodes\n"
            "(hostnames, or \"rank\" + ranks when hosts have no names).\n"
            "  -s, --states=LIST   comma-separated states to show (default\n"
            "                      free,allocated,down,excluded; excluded rows only\n"
            "                      when some ranks are excluded)\n",
    .run = resource_run,
};

static eddy_rlist_t *decode (json_t *o, const char *what)
{
    eddy_error_t err;
    eddy_rlist_t *rl = eddy_rlist_from_json (o, 0, &err);
    if (!rl)
        eddy_cmd_die ("resource", "sched.resource-status: %s: %s", what, err.text);
    return rl;
}

static void row (const char *state, const eddy_rlist_t *rl)
{
    char *nodes = NULL;

    if (eddy_rlist_count (rl, EDDY_RLIST_RANKS) > 0) {
        if (!(nodes = eddy_rlist_nodelist (rl))) {
            char *ranks = eddy_rlist_ranks (rl);
            nodes = xasprintf ("rank%s%s%s", strpbrk (ranks, ",-") ? "[" : "", ranks,
                               strpbrk (ranks, ",-") ? "]" : "");
            free (ranks);
        }
    }
    printf ("%10s %6zu %8zu %8zu %s\n", state, eddy_rlist_count (rl, EDDY_RLIST_NODES),
            eddy_rlist_count (rl, EDDY_RLIST_CORES),
            eddy_rlist_count (rl, EDDY_RLIST_GPUS), nodes ? nodes : "");
    free (nodes);
}

static bool wanted (const char *states, const char *state)
{
    size_t n = strlen (state);
    for (const char *p = states; p && *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        if (len == n && !strncmp (p, state, n))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static int resource_run (int argc, char **argv)
{
    static const struct option opts[] = {
        {"states", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *states = "free,allocated,down,excluded";
    int c;

    if (argc < 2)
        eddy_cmd_usage (&cmd_resource, true);
    const char *sub = argv[1];
    if (!strcmp (sub, "--help") || !strcmp (sub, "-h"))
        eddy_cmd_usage (&cmd_resource, false);
    if (strcmp (sub, "list") != 0)
        eddy_cmd_die ("resource", "unknown subcommand '%s' (try: list)", sub);
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long (argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            states = optarg;
            break;
        case 'h':
            eddy_cmd_usage (&cmd_resource, false);
        default:
            eddy_cmd_usage (&cmd_resource, true);
        }
    }
    if (optind != argc)
        eddy_cmd_usage (&cmd_resource, true);
    for (const char *p = states; *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        if (!((len == 4 && !strncmp (p, "free", 4)) ||
              (len == 9 && !strncmp (p, "allocated", 9)) ||
              (len == 4 && !strncmp (p, "down", 4)) ||
              (len == 8 && !strncmp (p, "excluded", 8))))
            eddy_cmd_die (
                "resource",
                "unknown state '%.*s' (states: free, allocated, down, excluded)",
                (int)len, p);
        p = comma ? comma + 1 : p + len;
    }

    eddy_handle_t *h = client_open ("resource");
    eddy_future_t *f =
        client_rpc ("resource", h, "sched.resource-status", NULL, EDDY_NODEID_ANY);
    json_t *o = client_rpc_get ("resource", f, "sched.resource-status");
    json_t *jall, *jalloc, *jdown, *jexcl = NULL;
    if (json_unpack (o, "{s:o s:o s:o s?o}", "all", &jall, "allocated", &jalloc, "down",
                     &jdown, "excluded", &jexcl) < 0)
        eddy_cmd_die ("resource", "sched.resource-status: malformed response");
    eddy_rlist_t *all = decode (jall, "all");
    eddy_rlist_t *allocated = decode (jalloc, "allocated");
    eddy_rlist_t *down = decode (jdown, "down");
    /* excluded ([resource] exclude): never scheduled; a job already
     * running there still counts as allocated */
    eddy_rlist_t *excl_all = jexcl ? decode (jexcl, "excluded") : eddy_rlist_create ();
    eddy_rlist_t *excluded =
        excl_all ? eddy_rlist_difference (excl_all, allocated) : NULL;
    eddy_rlist_t *busy0 = eddy_rlist_union (allocated, down);
    eddy_rlist_t *busy = busy0 && excluded ? eddy_rlist_union (busy0, excluded) : NULL;
    eddy_rlist_t *free_set = busy ? eddy_rlist_difference (all, busy) : NULL;
    if (!free_set)
        eddy_cmd_die ("resource", "out of memory");

    printf ("%10s %6s %8s %8s %s\n", "STATE", "NNODES", "NCORES", "NGPUS", "NODELIST");
    if (wanted (states, "free"))
        row ("free", free_set);
    if (wanted (states, "allocated"))
        row ("allocated", allocated);
    if (wanted (states, "down"))
        row ("down", down);
    if (wanted (states, "excluded") &&
        eddy_rlist_count (excluded, EDDY_RLIST_RANKS) > 0)
        row ("excluded", excluded);

    eddy_rlist_destroy (free_set);
    eddy_rlist_destroy (busy);
    eddy_rlist_destroy (busy0);
    eddy_rlist_destroy (excluded);
    eddy_rlist_destroy (excl_all);
    eddy_rlist_destroy (down);
    eddy_rlist_destroy (allocated);
    eddy_rlist_destroy (all);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}
