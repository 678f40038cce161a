/* cmd-submit.c - `eddy submit` and `eddy run`: build a V1 jobspec from a
 * command line and submit it; run also waits, shows the output and exits
 * with the job's status.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fsd.h"
#include "engine/util/idset.h"
#include "sched/jobspec.h"

extern char **environ;

static int submit_run (int argc, char **argv);
static int run_run (int argc, char **argv);

#define SUBMIT_HELP                                                                            \
    "  -N, --nodes=N         number of nodes\n"                                                \
    "  -n, --ntasks=N        number of tasks (default 1)\n"                                    \
    "  -c, --cores-per-task=N  cores per task (default 1)\n"                                   \
    "  -g, --gpus-per-task=N   gpus per task (default 0)\n"                                    \
    "  -t, --time-limit=T    time limit: minutes, or a duration such as 30s, 1.5m, 2h\n"       \
    "      --urgency=N       0 (hold) to 31 (expedite); default 16\n"                          \
    "  -S, --setattr=K=V     set jobspec attribute K (under attributes.system unless it\n"     \
    "                        starts with user. or system.); V is JSON or a string\n"           \
    "  -q, --queue=NAME      submit to queue NAME (eddy queue list)\n"                         \
    "      --quiet           do not print job ids\n"

const struct eddy_cmd cmd_submit = {
    .name = "submit",
    .usage = "eddy submit [OPTIONS] COMMAND [ARGS...]",
    .summary = "Submit a job; print its id.",
    .help = SUBMIT_HELP "      --cc=IDSET        submit one copy per id; {cc} in the command is replaced\n"
                        "      --wait            wait for the jobs; exit with the highest exit code\n",
    .run = submit_run,
};

const struct eddy_cmd cmd_run = {
    .name = "run",
    .usage = "eddy run [OPTIONS] COMMAND [ARGS...]",
    .summary = "Run a job: submit, show its output, exit with its status.",
    .help = SUBMIT_HELP,
    .run = run_run,
};

struct opts {
    int nodes, ntasks, cores, gpus;
    double duration;
    int urgency;
    bool quiet, wait;
    const char *cc;
    json_t *attrs;
};

static int parse_count (const char *cmd, const char *opt, const char *s, int min)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min || v > 1000000)
        eddy_cmd_die (cmd, "--%s: '%s' is not a number >= %d", opt, s, min);
    return (int)v;
}

/* Set attrs["system"|"user"][path...] = value for "a.b.c=value". */
static void setattr (const char *cmd, json_t *attrs, const char *kv)
{
    char *s = xstrdup (kv), *eq = strchr (s, '=');
    if (!eq || eq == s)
        eddy_cmd_die (cmd, "--setattr expects KEY=VALUE, got '%s'", kv);
    *eq = '\0';
    char *key = s;
    char *path = (strncmp (key, "user.", 5) && strncmp (key, "system.", 7))
                     ? xasprintf ("system.%s", key)
                     : xstrdup (key);
    json_t *val = json_loads (eq + 1, JSON_DECODE_ANY, NULL);
    if (!val)
        val = json_string (eq + 1);
    json_t *o = attrs;
    char *save = NULL, *tok = strtok_r (path, ".", &save);
    while (tok) {
        char *next = strtok_r (NULL, ".", &save);
        if (!next) {
            json_object_set_new (o, tok, val);
            break;
        }
        json_t *sub = json_object_get (o, tok);
        if (!json_is_object (sub)) {
            sub = json_object ();
            json_object_set_new (o, tok, sub);
        }
        o = sub;
        tok = next;
    }
    free (path);
    free (s);
}

static int parse_opts (const char *cmd, const struct eddy_cmd *ec, int argc, char **argv,
                       struct opts *o, bool is_submit)
{
    static const struct option longopts[] = {
        { "nodes", required_argument, NULL, 'N' },
        { "ntasks", required_argument, NULL, 'n' },
        { "cores-per-task", required_argument, NULL, 'c' },
        { "gpus-per-task", required_argument, NULL, 'g' },
        { "time-limit", required_argument, NULL, 't' },
        { "urgency", required_argument, NULL, 'u' },
        { "setattr", required_argument, NULL, 'S' },
        { "quiet", no_argument, NULL, 'Q' },
        { "queue", required_argument, NULL, 'q' },
        { "cc", required_argument, NULL, 'C' },
        { "wait", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    memset (o, 0, sizeof (*o));
    o->ntasks = 1;
    o->cores = 1;
    o->urgency = 16;
    o->attrs = json_object ();
    optind = 1;
    while ((c = getopt_long (argc, argv, "+N:n:c:g:t:S:q:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'N':
            o->nodes = parse_count (cmd, "nodes", optarg, 1);
            break;
        case 'n':
            o->ntasks = parse_count (cmd, "ntasks", optarg, 1);
            break;
        case 'c':
            o->cores = parse_count (cmd, "cores-per-task", optarg, 1);
            break;
        case 'g':
            o->gpus = parse_count (cmd, "gpus-per-task", optarg, 0);
            break;
        case 't': {
            char *end;
            double v = strtod (optarg, &end);
            eddy_error_t err;
            if (end != optarg && *end == '\0' && v >= 0)
                o->duration = v * 60.0; /* a bare number is minutes, as flux */
            else if (eddy_fsd_parse (optarg, &o->duration, &err) < 0)
                eddy_cmd_die (cmd, "--time-limit: %s", err.text);
            break;
        }
        case 'u':
            o->urgency = parse_count (cmd, "urgency", optarg, 0);
            if (o->urgency > 31)
                eddy_cmd_die (cmd, "--urgency must be 0-31");
            break;
        case 'S':
            setattr (cmd, o->attrs, optarg);
            break;
        case 'Q':
            o->quiet = true;
            break;
        case 'q': {
            json_t *sys = json_object_get (o->attrs, "system");
            if (!json_is_object (sys))
                json_object_set_new (o->attrs, "system", (sys = json_object ()));
            json_object_set_new (sys, "queue", json_string (optarg)); /* a name, never JSON */
            break;
        }
        case 'C':
            if (!is_submit)
                eddy_cmd_usage (ec, true);
            o->cc = optarg;
            break;
        case 'w':
            if (!is_submit)
                eddy_cmd_usage (ec, true);
            o->wait = true;
            break;
        case 'h':
            eddy_cmd_usage (ec, false);
        default:
            eddy_cmd_usage (ec, true);
        }
    }
    if (optind >= argc)
        eddy_cmd_die (cmd, "a COMMAND to run is required");
    return optind;
}

static json_t *environment (void)
{
    json_t *env = json_object ();
    for (char **e = environ; e && *e; e++) {
        char *eq = strchr (*e, '=');
        if (!eq)
            continue;
        char *name = strndup (*e, eq - *e);
        if (name)
            json_object_set_new (env, name, json_string (eq + 1));
        free (name);
    }
    return env;
}

static json_t *make_jobspec (const char *cmd, struct opts *o, int argc, char **argv)
{
    char cwd[PATH_MAX];
    eddy_error_t err;
    if (!getcwd (cwd, sizeof (cwd)))
        snprintf (cwd, sizeof (cwd), "/");
    json_t *env = environment ();
    json_t *user_attrs = json_object_get (o->attrs, "user");
    json_t *sys = json_object_get (o->attrs, "system");
    struct eddy_jobspec_request req = {
        .argc = argc,
        .argv = argv,
        .ntasks = o->ntasks,
        .nnodes = o->nodes,
        .cores_per_task = o->cores,
        .gpus_per_task = o->gpus,
        .duration = o->duration,
        .cwd = cwd,
        .environment = env,
        .attributes = NULL,
    };
    eddy_jobspec_t *js = eddy_jobspec_from_command (&req, &err);
    json_decref (env);
    if (!js)
        eddy_cmd_die (cmd, "%s", err.text);
    json_t *obj = json_deep_copy (eddy_jobspec_json (js));
    eddy_jobspec_destroy (js);
    json_t *attrs = json_object_get (obj, "attributes");
    /* merge --setattr values over what the constructor made */
    if (sys) {
        json_t *s = json_object_get (attrs, "system");
        if (!s)
            json_object_set_new (attrs, "system", (s = json_object ()));
        json_object_update_recursive (s, sys);
    }
    if (user_attrs)
        json_object_set (attrs, "user", user_attrs);
    /* validate what we send: a bad --setattr shows up here, not later */
    if (!(js = eddy_jobspec_parse (obj, EDDY_JOBSPEC_V1, &err)))
        eddy_cmd_die (cmd, "invalid job: %s", err.text);
    eddy_jobspec_destroy (js);
    return obj;
}

/* Replace "{cc}" in every argument with the copy's number. */
static char **cc_argv (int argc, char **argv, unsigned cc)
{
    char **v = xcalloc (argc + 1, sizeof (char *));
    char num[16];
    snprintf (num, sizeof (num), "%u", cc);
    for (int i = 0; i < argc; i++) {
        const char *p = argv[i], *hit;
        size_t len = 1;
        char *out;
        for (const char *q = p; (hit = strstr (q, "{cc}")); q = hit + 4)
            len += strlen (num);
        out = xcalloc (strlen (p) + len, 1);
        char *w = out;
        while ((hit = strstr (p, "{cc}"))) {
            memcpy (w, p, hit - p);
            w += hit - p;
            w = stpcpy (w, num);
            p = hit + 4;
        }
        strcpy (w, p);
        v[i] = out;
    }
    return v;
}

static eddy_future_t *send_submit (eddy_handle_t *h, json_t *jobspec, int urgency)
{
    return eddy_rpc_pack (h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:O s:i}", "jobspec",
                          jobspec, "urgency", urgency);
}

static uint64_t get_id (const char *cmd, eddy_future_t *f)
{
    json_int_t id;
    if (eddy_rpc_get_unpack (f, "{s:I}", "id", &id) < 0)
        eddy_cmd_die (cmd, "%s", eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                             : strerror (errno));
    return (uint64_t)id;
}

static int submit_run (int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("submit", &cmd_submit, argc, argv, &o, true);
    eddy_idset_t *cc = NULL;
    eddy_error_t err;
    size_t n = 1;

    if (o.cc) {
        if (!(cc = eddy_idset_decode (o.cc, &err)))
            eddy_cmd_die ("submit", "--cc: %s", err.text);
        n = eddy_idset_count (cc);
        if (n == 0)
            eddy_cmd_die ("submit", "--cc: the idset is empty");
    }
    eddy_handle_t *h = client_open ("submit");
    eddy_future_t **fs = xcalloc (n, sizeof (*fs));
    /* send every submission first, then collect: pipelined */
    unsigned id = cc ? eddy_idset_first (cc) : 0;
    for (size_t k = 0; k < n; k++) {
        json_t *js;
        if (cc) {
            char **v = cc_argv (argc - i, argv + i, id);
            js = make_jobspec ("submit", &o, argc - i, v);
            for (int j = 0; j < argc - i; j++)
                free (v[j]);
            free (v);
            id = eddy_idset_next (cc, id);
        }
        else
            js = make_jobspec ("submit", &o, argc - i, argv + i);
        if (!(fs[k] = send_submit (h, js, o.urgency)))
            eddy_cmd_die ("submit", "%s", strerror (errno));
        json_decref (js);
    }
    uint64_t *ids = xcalloc (n, sizeof (*ids));
    for (size_t k = 0; k < n; k++) {
        ids[k] = get_id ("submit", fs[k]);
        eddy_future_destroy (fs[k]);
        if (!o.quiet) {
            char f58[64];
            jobutil_f58 (ids[k], f58, sizeof (f58));
            printf ("%s\n", f58);
        }
    }
    fflush (stdout);
    int rc = 0;
    if (o.wait) {
        for (size_t k = 0; k < n; k++)
            fs[k] = eddy_rpc_pack (h, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}", "id",
                                   (json_int_t)ids[k]);
        for (size_t k = 0; k < n; k++) {
            json_t *res;
            if (!fs[k] || eddy_rpc_get (fs[k], &res) < 0)
                eddy_cmd_die ("submit", "job-manager.wait: %s",
                              fs[k] ? eddy_future_error_string (fs[k]) : strerror (errno));
            int code = jobutil_exit_code (res);
            if (code > rc)
                rc = code;
            eddy_future_destroy (fs[k]);
        }
    }
    free (ids);
    free (fs);
    eddy_idset_destroy (cc);
    json_decref (o.attrs);
    client_close (h);
    return rc;
}

static int run_run (int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("run", &cmd_run, argc, argv, &o, false);
    eddy_handle_t *h = client_open ("run");
    json_t *js = make_jobspec ("run", &o, argc - i, argv + i);
    eddy_future_t *f = send_submit (h, js, o.urgency);
    if (!f)
        eddy_cmd_die ("run", "%s", strerror (errno));
    uint64_t id = get_id ("run", f);
    eddy_future_destroy (f);
    json_decref (js);
    int rc = jobutil_attach ("run", h, id);
    json_decref (o.attrs);
    client_close (h);
    return rc;
}
