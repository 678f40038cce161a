/* cmd-config.c - `eddy config`: check TOML configuration, print a value.
 *
 *   eddy config check PATH                      validate a file or a conf.d
 *   eddy config get [--config-path=PATH] KEY    print one value as JSON
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/configfile.h"
#include "engine/util/toml.h"

static int config_run (int argc, char **argv);

const struct eddy_cmd cmd_config = {
    .name = "config",
    .usage = "eddy config check PATH | eddy config get [--config-path=PATH] KEY",
    .summary = "Check TOML configuration, or print one of its values as JSON.",
    .help = "check PATH   parse PATH, a TOML file or a directory whose *.toml files\n"
            "             are merged as one table; silent and exit 0 when valid,\n"
            "             else print FILE:LINE:COL: message and exit 1\n"
            "get KEY      print the value at the dotted KEY (e.g. resource.path)\n"
            "             as JSON; tables print as objects, dates and times and\n"
            "             inf/nan as strings\n"
            "\n"
            "  -c, --config-path=PATH  configuration file or directory for get\n"
            "                          (default: $EDDY_CONFIG_PATH)\n"
            "  -h, --help              show this help\n",
    .run = config_run,
};

static const struct option longopts[] = {
    {"config-path", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static json_t *load (const char *path)
{
    eddy_error_t err;
    json_t *o = eddy_config_load (path, &err);
    if (!o)
        eddy_cmd_die ("config", "%s", err.text);
    return o;
}

/* JSON for printing: date/time and inf/nan objects become their text. */
static json_t *plain (const json_t *v)
{
    const char *text;
    json_t *out;

    if (eddy_toml_datetime (v, &text))
        return json_string (text);
    if (json_is_object (v) && eddy_toml_float (v, NULL))
        return json_incref (json_object_get (v, "toml-float"));
    if (json_is_object (v)) {
        const char *key;
        size_t klen;
        json_t *m;
        out = json_object ();
        json_object_keylen_foreach ((json_t *)v, key, klen, m)
        {
            if (!out || json_object_setn_new (out, key, klen, plain (m)) < 0)
                eddy_cmd_die ("config", "out of memory");
        }
        return out;
    }
    if (json_is_array (v)) {
        out = json_array ();
        for (size_t i = 0; i < json_array_size (v); i++)
            if (!out || json_array_append_new (out, plain (json_array_get (v, i))) < 0)
                eddy_cmd_die ("config", "out of memory");
        return out;
    }
    return json_incref ((json_t *)v);
}

static int get (const char *path, const char *key)
{
    json_t *conf = load (path), *v = conf, *out;
    char *copy = xstrdup (key), *save = NULL, *part;
    char *s;

    for (part = strtok_r (copy, ".", &save); part; part = strtok_r (NULL, ".", &save)) {
        if (!json_is_object (v) || eddy_toml_datetime (v, NULL) ||
            !(v = json_object_get (v, part)))
            eddy_cmd_die ("config", "%s: no such key in %s", key, path);
    }
    free (copy);
    if (!(out = plain (v)) || !(s = json_dumps (out, JSON_ENCODE_ANY | JSON_COMPACT)))
        eddy_cmd_die ("config", "out of memory");
    printf ("%s\n", s);
    free (s);
    json_decref (out);
    json_decref (conf);
    return 0;
}

static int config_run (int argc, char **argv)
{
    const char *path = getenv ("EDDY_CONFIG_PATH");
    int c;

    while ((c = getopt_long (argc, argv, "hc:", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            eddy_cmd_usage (&cmd_config, false);
        default:
            eddy_cmd_usage (&cmd_config, true);
        }
    }
    if (optind >= argc)
        eddy_cmd_usage (&cmd_config, true);
    const char *sub = argv[optind++];
    if (!strcmp (sub, "check")) {
        if (argc - optind != 1)
            eddy_cmd_usage (&cmd_config, true);
        json_decref (load (argv[optind]));
        return 0;
    }
    if (!strcmp (sub, "get")) {
        if (argc - optind != 1)
            eddy_cmd_usage (&cmd_config, true);
        if (!path || !*path)
            eddy_cmd_die ("config", "get: no configuration: use --config-path or set "
                                    "EDDY_CONFIG_PATH");
        return get (path, argv[optind]);
    }
    eddy_cmd_error ("config", "unknown subcommand '%s'", sub);
    eddy_cmd_usage (&cmd_config, true);
}
