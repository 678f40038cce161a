/* cmd-attr.c - `eddy getattr`, `eddy setattr`, `eddy lsattr`: broker
 * attributes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int getattr_run (int argc, char **argv);
static int setattr_run (int argc, char **argv);
static int lsattr_run (int argc, char **argv);

const struct eddy_cmd cmd_getattr = {
    .name = "getattr",
    .usage = "eddy getattr [--rank R] NAME",
    .summary = "Print the value of a broker attribute.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "R", "ask rank R (default: the local broker)"),
        EDDY_OPT_END,
    },
    .run = getattr_run,
};

const struct eddy_cmd cmd_setattr = {
    .name = "setattr",
    .usage = "eddy setattr [--rank R] NAME VALUE",
    .summary = "Set a broker attribute.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "R", "set it on rank R (default: the local broker)"),
        EDDY_OPT_END,
    },
    .run = setattr_run,
};

const struct eddy_cmd cmd_lsattr = {
    .name = "lsattr",
    .usage = "eddy lsattr [--rank R] [-v] [--json]",
    .summary = "List broker attributes (with -v, their values).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_ARG ("rank", 'r', "R", "ask rank R (default: the local broker)"),
        EDDY_OPT_FLAG ("values", 'v', "print values too"),
        EDDY_OPT_LFLAG ("json", 'j', "one JSON object: name -> value (null if unreadable)"),
        EDDY_OPT_END,
    },
    .run = lsattr_run,
};

/* Parse [--rank R] [-v]; returns the index of the first operand. */
static bool lsattr_json;

static int parse (const struct eddy_cmd *cmd, int argc, char **argv, uint32_t *rank, bool *values)
{
    int c;
    optind = 1;
    *rank = EDDY_NODEID_ANY;
    while ((c = eddy_opt_next (cmd, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            *rank = client_parse_rank (cmd->name, optarg);
            break;
        case 'v':
            *values = true;
            break;
        case 'j':
            *values = true;
            lsattr_json = true;
            break;
        default:
            eddy_cmd_unhandled (cmd, c);
        }
    }
    return optind;
}

static int getattr_run (int argc, char **argv)
{
    uint32_t rank;
    int i = parse (&cmd_getattr, argc, argv, &rank, NULL);
    eddy_cmd_operands (&cmd_getattr, NULL, argc, argv, i, 1, 1,
                       "needs an attribute NAME");
    eddy_handle_t *h = client_open ("getattr");
    json_t *req = json_pack ("{s:s}", "name", argv[i]);
    eddy_future_t *f = client_rpc ("getattr", h, "attr.get", req, rank);
    const char *value;
    if (eddy_rpc_get_unpack (f, "{s:s}", "value", &value) < 0)
        eddy_cmd_die ("getattr", "attr.get: malformed response");
    printf ("%s\n", value);
    eddy_future_destroy (f);
    json_decref (req);
    client_close (h);
    return 0;
}

static int setattr_run (int argc, char **argv)
{
    uint32_t rank;
    int i = parse (&cmd_setattr, argc, argv, &rank, NULL);
    eddy_cmd_operands (&cmd_setattr, NULL, argc, argv, i, 2, 2,
                       argc - i ? "needs a VALUE after the NAME"
                                : "needs a NAME and a VALUE");
    eddy_handle_t *h = client_open ("setattr");
    json_t *req = json_pack ("{s:s s:s}", "name", argv[i], "value", argv[i + 1]);
    eddy_future_destroy (client_rpc ("setattr", h, "attr.set", req, rank));
    json_decref (req);
    client_close (h);
    return 0;
}

static int lsattr_run (int argc, char **argv)
{
    uint32_t rank;
    bool values = false;
    int i = parse (&cmd_lsattr, argc, argv, &rank, &values);
    eddy_cmd_operands (&cmd_lsattr, NULL, argc, argv, i, 0, 0, NULL);
    eddy_handle_t *h = client_open ("lsattr");
    eddy_future_t *f = client_rpc ("lsattr", h, "attr.list", NULL, rank);
    json_t *names;
    if (eddy_rpc_get_unpack (f, "{s:o}", "names", &names) < 0 || !json_is_array (names))
        eddy_cmd_die ("lsattr", "attr.list: malformed response");
    size_t k;
    json_t *v, *all = lsattr_json ? json_object () : NULL;
    json_array_foreach (names, k, v) {
        const char *name = json_string_value (v);
        if (!name)
            continue;
        if (all) {
            json_t *req = json_pack ("{s:s}", "name", name);
            eddy_future_t *g = eddy_rpc (h, "attr.get", req, rank, 0);
            const char *value = NULL;
            if (g && eddy_rpc_get_unpack (g, "{s:s}", "value", &value) == 0)
                json_object_set_new (all, name, json_string (value));
            else
                json_object_set_new (all, name, json_null ());
            eddy_future_destroy (g);
            json_decref (req);
            continue;
        }
        if (!values) {
            printf ("%s\n", name);
            continue;
        }
        json_t *req = json_pack ("{s:s}", "name", name);
        eddy_future_t *g = eddy_rpc (h, "attr.get", req, rank, 0);
        const char *value = NULL;
        if (g && eddy_rpc_get_unpack (g, "{s:s}", "value", &value) == 0)
            printf ("%-24s %s\n", name, value);
        else
            printf ("%-24s -\n", name);
        eddy_future_destroy (g);
        json_decref (req);
    }
    if (all) {
        char *text = json_dumps (all, JSON_INDENT (2) | JSON_SORT_KEYS);
        printf ("%s\n", text ? text : "{}");
        free (text);
        json_decref (all);
    }
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}
