/* cmd-config.c - `eddy config`: check TOML configuration, print a value of
 * the files or of a running instance, reload an instance's.
 *
 *   eddy config check PATH                          validate a file or a conf.d
 *   eddy config get [-c PATH | --rank R] [KEY]      print a value as JSON
 *   eddy config reload                              reread rank 0's files
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd/bootstrap.h"
#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/config-schema.h"
#include "engine/util/toml.h"

static int config_run (int argc, char **argv);

const struct eddy_cmd cmd_config = {
    .name = "config",
    .usage = "eddy config check PATH | eddy config get [-c PATH | -r RANK] [KEY] | "
             "eddy config reload",
    .summary = "Check TOML configuration, print its values, reload an instance's.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("check PATH   parse and validate PATH, a TOML file or a directory whose\n"
                       "             *.toml files are merged as one table; exit 0 when valid\n"
                       "             (unknown tables and keys are warnings on stderr), else\n"
                       "             print FILE:LINE:COL: message (a TOML error) or FILE: KEY:\n"
                       "             message (a wrong value) and exit 1\n"
                       "get [KEY]    print the value at the dotted KEY (e.g. sched.policy), or\n"
                       "             everything, as JSON; tables print as objects, dates and\n"
                       "             times and inf/nan as strings.  Inside an instance\n"
                       "             ($EDDY_URI) it asks the broker, which holds rank 0's\n"
                       "             configuration; with --config-path it reads the files,\n"
                       "             else $EDDY_CONFIG_PATH's, else it asks the system instance\n"
                       "reload       reread rank 0's configuration files and hand them to every\n"
                       "             rank (as SIGHUP does); an invalid one is refused, the old\n"
                       "             one stays and the error is printed\n"
                       "\n"),
        EDDY_OPT_ARG ("config-path", 'c', "PATH", "read PATH instead of asking the instance (outside one, default: $EDDY_CONFIG_PATH)"),
        EDDY_OPT_ARG ("rank", 'r', "R", "ask rank R (default: the local broker)"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = config_run,
};


static void warn (int level, const char *text, void *arg)
{
    if (level <= LOG_WARNING)
        eddy_cmd_error ("config", "%s", text);
}

static json_t *load (const char *path)
{
    eddy_error_t err;
    json_t *o = eddy_config_read (path, warn, NULL, &err);
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

static void print (const json_t *v)
{
    json_t *out;
    char *s;

    if (!(out = plain (v)) || !(s = json_dumps (out, JSON_ENCODE_ANY | JSON_COMPACT)))
        eddy_cmd_die ("config", "out of memory");
    printf ("%s\n", s);
    free (s);
    json_decref (out);
}

static int get (const char *path, const char *key)
{
    json_t *conf = load (path), *v = conf;
    char *copy = xstrdup (key ? key : ""), *save = NULL, *part;

    for (part = strtok_r (copy, ".", &save); part; part = strtok_r (NULL, ".", &save)) {
        if (!json_is_object (v) || eddy_toml_datetime (v, NULL) ||
            !(v = json_object_get (v, part)))
            eddy_cmd_die ("config", "%s: no such key in %s", key, path);
    }
    free (copy);
    print (v);
    json_decref (conf);
    return 0;
}

/* The configuration in force in the instance, from the broker. */
static int get_instance (uint32_t rank, const char *key)
{
    eddy_handle_t *h = client_open ("config");
    json_t *req = key ? json_pack ("{s:s}", "key", key) : json_object ();
    eddy_future_t *f = client_rpc_take ("config", h, "config.get", req, rank);
    json_t *o = client_rpc_get ("config", f, "config.get"), *v;

    if (json_unpack (o, "{s:o}", "value", &v) < 0)
        eddy_cmd_die ("config", "config.get: malformed response");
    print (v);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

static int reload (void)
{
    eddy_handle_t *h = client_open ("config");
    eddy_future_t *f = client_rpc_take ("config", h, "config.reload", json_object (), 0);
    client_rpc_get ("config", f, "config.reload");
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

static int config_run (int argc, char **argv)
{
    const char *path = NULL;
    uint32_t rank = EDDY_NODEID_ANY;
    bool have_rank = false;
    int c;

    while ((c = eddy_opt_next (&cmd_config, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'r':
            rank = client_parse_rank ("config", optarg);
            have_rank = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_config, c);
        }
    }
    if (optind >= argc)
        eddy_cmd_usage_error (&cmd_config, NULL,
                              "needs a subcommand: check, get, reload");
    const char *sub = argv[optind++];
    if (!strcmp (sub, "check")) {
        eddy_cmd_operands (&cmd_config, "check", argc, argv, optind, 1, 1,
                           "check needs a PATH");
        json_t *conf = load (argv[optind]);
        /* what the brokers check beyond the schema: bootstrap.hosts as a
         * whole (duplicates, parents, the tree) and exclude against it;
         * which host this is does not matter here */
        eddy_error_t err;
        eddy_bootstrap_t *bs = eddy_bootstrap_create (conf, NULL, 0, &err);
        if ((!bs && errno != ENOENT) || eddy_bootstrap_check_exclude (bs, conf, &err) < 0)
            eddy_cmd_die ("config", "%s: %s", argv[optind], err.text);
        eddy_bootstrap_destroy (bs);
        json_decref (conf);
        return 0;
    }
    if (!strcmp (sub, "get")) {
        const char *key = optind < argc ? argv[optind] : NULL;
        eddy_cmd_operands (&cmd_config, "get", argc, argv, optind, 0, 1, NULL);
        if (path && have_rank)
            eddy_cmd_usage_error (&cmd_config, "get",
                                  "get takes --config-path or --rank, not both");
        /* the files when asked for, else the instance we are in */
        if (!path && (have_rank || getenv ("EDDY_URI")))
            return get_instance (rank, key);
        if (!path)
            path = getenv ("EDDY_CONFIG_PATH");
        if (!path || !*path)
            return get_instance (rank, key); /* the system instance's */
        return get (path, key);
    }
    if (!strcmp (sub, "reload")) {
        eddy_cmd_operands (&cmd_config, "reload", argc, argv, optind, 0, 0, NULL);
        return reload ();
    }
    eddy_cmd_usage_error (&cmd_config, NULL, "unknown subcommand '%s'", sub);
}
