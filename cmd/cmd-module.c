/* cmd-module.c - `eddy module list|load|remove|stats`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/client.h"
#include "cmd/cmd.h"

static int module_run (int argc, char **argv);

const struct eddy_cmd cmd_module = {
    .name = "module",
    .usage = "eddy module list|load|remove|stats [--rank R] [--json] [NAME [ARGS-JSON]]",
    .summary = "List, load or remove broker modules, or show one's counters.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("list load remove stats",
                      "list: modules loaded on the broker, with the services they provide.\n"
                      "load NAME [ARGS-JSON]: load a module linked into the broker.\n"
                      "remove NAME: unload it.\n"
                      "stats NAME: the module's counters (its NAME.stats answer, as JSON).\n"),
        EDDY_OPT_ARG ("rank", 'r', "R", "act on rank R (default: the local broker)"),
        EDDY_OPT_SUB ("list", ""),
        EDDY_OPT_LFLAG ("json", 'j', "list: the modules as JSON ({name, services})"),
        EDDY_OPT_END,
    },
    .run = module_run,
};

static int module_run (int argc, char **argv)
{
    uint32_t rank = EDDY_NODEID_ANY;
    bool json = false;
    int c;

    if (argc < 2)
        eddy_cmd_usage_error (&cmd_module, NULL,
                              "needs a subcommand: list, load, remove, stats");
    const char *sub = argv[1];
    if (!strcmp (sub, "--help") || !strcmp (sub, "-h"))
        eddy_cmd_usage (&cmd_module, false);
    argc--;
    argv++;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_module, sub, 0, argc, argv)) != -1) {
        switch (c) {
        case 'r':
            rank = client_parse_rank ("module", optarg);
            break;
        case 'j':
            json = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_module, c);
        }
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    eddy_handle_t *h;

    if (!strcmp (sub, "list")) {
        eddy_cmd_operands (&cmd_module, sub, nargs, args, 0, 0, 0, NULL);
        h = client_open ("module");
        eddy_future_t *f = client_rpc ("module", h, "module.list", NULL, rank);
        json_t *mods, *m;
        size_t i;
        if (eddy_rpc_get_unpack (f, "{s:o}", "modules", &mods) < 0)
            eddy_cmd_die ("module", "module.list: malformed response");
        if (json) {
            char *text = json_dumps (mods, JSON_INDENT (2));
            printf ("%s\n", text ? text : "[]");
            free (text);
            eddy_future_destroy (f);
            client_close (h);
            return 0;
        }
        printf ("%-20s %s\n", "Module", "Services");
        json_array_foreach (mods, i, m) {
            const char *name;
            json_t *svcs, *s;
            size_t j;
            if (json_unpack (m, "{s:s s:o}", "name", &name, "services", &svcs) < 0)
                continue;
            printf ("%-20s ", name);
            json_array_foreach (svcs, j, s) printf ("%s%s", j ? "," : "", json_string_value (s));
            printf ("\n");
        }
        eddy_future_destroy (f);
    }
    else if (!strcmp (sub, "load")) {
        eddy_cmd_operands (&cmd_module, sub, nargs, args, 0, 1, 2,
                           "load needs a module NAME");
        json_t *jargs = NULL;
        if (nargs == 2) {
            json_error_t jerr;
            if (!(jargs = json_loads (args[1], 0, &jerr)))
                eddy_cmd_die ("module", "load %s: arguments are not a JSON object: %s", args[0],
                              jerr.text);
        }
        h = client_open ("module");
        json_t *req = json_pack ("{s:s}", "name", args[0]);
        if (jargs)
            json_object_set_new (req, "args", jargs);
        eddy_future_destroy (client_rpc ("module", h, "module.load", req, rank));
        json_decref (req);
    }
    else if (!strcmp (sub, "remove")) {
        eddy_cmd_operands (&cmd_module, sub, nargs, args, 0, 1, 1,
                           "remove needs a module NAME");
        h = client_open ("module");
        json_t *req = json_pack ("{s:s}", "name", args[0]);
        eddy_future_destroy (client_rpc ("module", h, "module.remove", req, rank));
        json_decref (req);
    }
    else if (!strcmp (sub, "stats")) {
        eddy_cmd_operands (&cmd_module, sub, nargs, args, 0, 1, 1,
                           "stats needs a module NAME");
        char topic[128];
        json_t *o;
        if (snprintf (topic, sizeof (topic), "%s.stats", args[0]) >= (int)sizeof (topic))
            eddy_cmd_die ("module", "stats: module name too long");
        h = client_open ("module");
        eddy_future_t *f = client_rpc ("module", h, topic, NULL, rank);
        if (eddy_rpc_get (f, &o) < 0 || !o)
            eddy_cmd_die ("module", "%s: malformed response", topic);
        char *text = json_dumps (o, JSON_INDENT (2) | JSON_SORT_KEYS);
        printf ("%s\n", text ? text : "{}");
        free (text);
        eddy_future_destroy (f);
    }
    else
        eddy_cmd_die ("module", "unknown subcommand '%s' (try: list, load, remove, stats)", sub);
    client_close (h);
    return 0;
}
