/* cmd-submit.c - `eddy submit` and `eddy run`: build a V1 jobspec from a
 * command line and submit it; run also waits, shows the output and exits
 * with the job's status.  `eddy batch` and `eddy alloc` submit a job of
 * one `eddy start` task per node: a nested instance on the allocation,
 * running a script (batch) or a command with its output attached (alloc).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "engine/util/idset.h"
#include "sched/jobspec.h"

extern char **environ;

static int submit_run (int argc, char **argv);
static int run_run (int argc, char **argv);
static int batch_run (int argc, char **argv);
static int alloc_run (int argc, char **argv);

/* The options of submit, run, batch and alloc: the table of each names
 * what its parser takes.  The shape of the job, for a job's tasks: */
#define TASK_OPTS                                                                          \
    EDDY_OPT_ARG ("nodes", 'N', "N", "number of nodes"),                                   \
    EDDY_OPT_ARG ("ntasks", 'n', "N", "number of tasks (default 1)"),                      \
    EDDY_OPT_ARG ("cores-per-task", 'c', "N", "cores per task (default 1)"),               \
    EDDY_OPT_ARG ("gpus-per-task", 'g', "N", "gpus per task (default 0)")

/* ... and for a new instance's brokers */
#define NEST_OPTS                                                                          \
    EDDY_OPT_ARG ("nodes", 'N', "N", "nodes of the new instance, one broker each (default 1)"), \
    EDDY_OPT_ARG ("ntasks", 'n', "N", "slots to allocate over them (default: whole nodes)"), \
    EDDY_OPT_ARG ("cores-per-task", 'c', "N", "cores per slot (default 1, with -n)"),      \
    EDDY_OPT_ARG ("gpus-per-task", 'g', "N", "gpus per slot (default 0)")

#define COMMON_OPTS                                                                        \
    EDDY_OPT_ARG ("time-limit", 't', "T",                                                  \
                  "time limit: minutes, or a duration such as 30s, 1.5m, 2h"),             \
    EDDY_OPT_LARG ("urgency", 'u', "N", "0 (hold) to 31 (expedite); default 16"),          \
    EDDY_OPT_ARG ("setattr", 'S', "K=V",                                                   \
                  "set jobspec attribute K (under attributes.system unless it starts "     \
                  "with user. or system.); V is JSON or a string"),                        \
    EDDY_OPT_ARG ("queue", 'q', "NAME", "submit to queue NAME (eddy queue list)"),         \
    EDDY_OPT_LARG ("cwd", 'D', "DIR", "run the tasks in DIR (default: the current directory)"), \
    EDDY_OPT_LARG ("env", 'E', "RULE",                                                     \
                   "NAME=VAL sets, -PATTERN drops, PATTERN copies from here, ^FILE reads " \
                   "rules from FILE (applied in order to a copy of this environment)"),    \
    EDDY_OPT_LARG ("env-remove", 'R', "PATTERN",                                           \
                   "drop the variables PATTERN matches (as --env=-PATTERN)")

#define IO_OPTS                                                                            \
    EDDY_OPT_LARG ("output", 'O', "FILE",                                                  \
                   "write the tasks' stdout (and stderr, unless --error) to FILE; {{id}} " \
                   "is the job id (F58), {{id.dec}} in decimal"),                          \
    EDDY_OPT_LARG ("error", 'e', "FILE", "write the tasks' stderr to FILE")

#define PLACE_OPTS                                                                         \
    EDDY_OPT_LARG ("cpu-affinity", 'A', "MODE",                                            \
                   "bind each task to the job's cores on its node (on, the default), to "  \
                   "its share of them (per-task), or not (off)"),                          \
    EDDY_OPT_LARG ("gpu-affinity", 'G', "MODE",                                            \
                   "CUDA_VISIBLE_DEVICES: the node's gpus of the job (on, the default), "  \
                   "each task's share (per-task), or unset (off)"),                        \
    EDDY_OPT_LARG ("dependency", 'd', "SCHEME:JOB",                                        \
                   "wait for JOB: after (started), afterany (ended), afterok (ended "      \
                   "successfully), afternotok (failed)"),                                  \
    EDDY_OPT_LARG ("begin-time", 'b', "TIME",                                              \
                   "hold the job until TIME: +DURATION, epoch seconds or "                 \
                   "YYYY-MM-DDTHH:MM[:SS][Z]"),                                            \
    EDDY_OPT_LARG ("job-name", 'J', "NAME",                                                \
                   "the job's name in eddy jobs (default: the command's; for eddy batch, " \
                   "the script's)")

#define QUIET_OPT EDDY_OPT_LFLAG ("quiet", 'Q', "do not print job ids")

const struct eddy_cmd cmd_submit = {
    .name = "submit",
    .usage = "eddy submit [OPTIONS] COMMAND [ARGS...]",
    .summary = "Submit a job; print its id.",
    .opts = (const struct eddy_opt[]){
        TASK_OPTS,
        COMMON_OPTS,
        IO_OPTS,
        PLACE_OPTS,
        QUIET_OPT,
        EDDY_OPT_LARG ("cc", 'C', "IDSET", "submit one copy per id; {cc} in the command is replaced"),
        EDDY_OPT_LFLAG ("wait", 'w', "wait for the jobs; exit with the highest exit code"),
        EDDY_OPT_END,
    },
    .run = submit_run,
};

const struct eddy_cmd cmd_run = {
    .name = "run",
    .usage = "eddy run [OPTIONS] COMMAND [ARGS...]",
    .summary = "Run a job: submit, show its output, exit with its status.",
    .opts = (const struct eddy_opt[]){
        TASK_OPTS,
        COMMON_OPTS,
        IO_OPTS,
        PLACE_OPTS,
        QUIET_OPT,
        EDDY_OPT_LARG ("input", 'I', "FILE|RANKS",
                       "feed the job's stdin from FILE, or this stdin to the task ranks RANKS "
                       "(an idset, or all; default: task 0)"),
        EDDY_OPT_LFLAG ("pty", 'P',
                        "run task 0 on a pseudo-terminal (raw mode here when stdin is a terminal)"),
        EDDY_OPT_END,
    },
    .run = run_run,
};

const struct eddy_cmd cmd_batch = {
    .name = "batch",
    .usage = "eddy batch [OPTIONS] SCRIPT [ARGS...]",
    .summary = "Submit a script to run in a new instance on its own allocation; print its id.",
    .opts = (const struct eddy_opt[]){
        NEST_OPTS,
        COMMON_OPTS,
        EDDY_OPT_LARG ("output", 'O', "FILE",
                       "the script's stdout (and stderr, unless --error); default eddy-{{id}}.out"),
        EDDY_OPT_LARG ("error", 'e', "FILE", "the script's stderr"),
        PLACE_OPTS,
        EDDY_OPT_LFLAG ("quiet", 'Q', "do not print the job id"),
        EDDY_OPT_TEXT ("The script (copied into the job now) runs with EDDY_URI set to the new\n"
                       "instance, whose resources are exactly the job's; the instance ends when\n"
                       "the script does, and the job's status is the script's.\n"),
        EDDY_OPT_END,
    },
    .run = batch_run,
};

const struct eddy_cmd cmd_alloc = {
    .name = "alloc",
    .usage = "eddy alloc [OPTIONS] [COMMAND [ARGS...]]",
    .summary = "Run COMMAND (or a shell) in a new instance on its own allocation.",
    .opts = (const struct eddy_opt[]){
        NEST_OPTS,
        COMMON_OPTS,
        IO_OPTS,
        PLACE_OPTS,
        QUIET_OPT,
        EDDY_OPT_LFLAG ("pty", 'P',
                        "a pseudo-terminal for the command even when stdin is not a terminal "
                        "(the default when it is)"),
        EDDY_OPT_TEXT ("The command's output is shown here as the job runs (as eddy run's), this\n"
                       "stdin is its stdin; eddy alloc exits with its status.\n"),
        EDDY_OPT_END,
    },
    .run = alloc_run,
};

struct opts {
    int nodes, ntasks, cores, gpus;
    bool ntasks_set, cores_set;
    double duration;
    int urgency;
    bool quiet, wait;
    const char *cc;
    json_t *attrs;
    const char *cwd;
    json_t *env_rules; /* --env and --env-remove, in order */
    json_t *deps;      /* attributes.system.dependencies, or NULL */
    const char *input; /* --input: a file, or the task ranks that take stdin */
    bool pty;
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

static json_t *sys_attrs (json_t *attrs)
{
    json_t *sys = json_object_get (attrs, "system");
    if (!json_is_object (sys))
        json_object_set_new (attrs, "system", (sys = json_object ()));
    return sys;
}

/* --output/--error: attributes.system.shell.options.output.STREAM, a file
 * the exec service opens (the path is a template: the id is not known yet).
 */
static void set_output (const char *cmd, json_t *attrs, const char *stream, const char *path)
{
    if (!*path)
        eddy_cmd_die (cmd, "--%s: the file name is empty", !strcmp (stream, "stdout") ? "output"
                                                                                       : "error");
    json_t *o = sys_attrs (attrs);
    const char *keys[] = { "shell", "options", "output" };
    for (size_t i = 0; i < 3; i++) {
        json_t *sub = json_object_get (o, keys[i]);
        if (!json_is_object (sub))
            json_object_set_new (o, keys[i], (sub = json_object ()));
        o = sub;
    }
    json_object_set_new (o, stream, json_pack ("{s:s s:s}", "type", "file", "path", path));
}

/* attributes.system.shell.options.KEY = value (taken). */
static void set_shell_option (json_t *attrs, const char *key, json_t *value)
{
    json_t *o = sys_attrs (attrs);
    const char *keys[] = { "shell", "options" };
    for (size_t i = 0; i < 2; i++) {
        json_t *sub = json_object_get (o, keys[i]);
        if (!json_is_object (sub))
            json_object_set_new (o, keys[i], (sub = json_object ()));
        o = sub;
    }
    json_object_set_new (o, key, value);
}

/* --cpu-affinity=MODE and --gpu-affinity=MODE: shell.options.cpu-affinity
 * and gpu-affinity, with flux-shell(1)'s modes (job-ingest refuses others
 * too).
 */
static void set_affinity (const char *cmd, json_t *attrs, const char *mode, const char *which)
{
    if (strcmp (mode, "off") && strcmp (mode, "on") && strcmp (mode, "per-task"))
        eddy_cmd_die (cmd, "--%s: '%s' is not off, on or per-task", which, mode);
    set_shell_option (attrs, which, json_string (mode));
}

/* --env=^FILE: one rule per line of FILE (blank lines and # comments
 * skipped), as flux submit reads them.
 */
static void env_rules_file (const char *cmd, json_t *rules, const char *path)
{
    size_t len;
    char *text = jobutil_read_file (path, &len), *save = NULL;
    if (!text)
        eddy_cmd_die (cmd, "--env=^%s: %s", path, strerror (errno));
    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = strlen (line);
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!*line || *line == '#')
            continue;
        if (*line == '^')
            eddy_cmd_die (cmd, "--env=^%s: a file of rules cannot name another (%s)", path, line);
        json_array_append_new (rules, json_string (line));
    }
    free (text);
}

static const char *const dep_schemes[] = { "after", "afterany", "afterok", "afternotok", NULL };

/* --dependency=SCHEME:JOB (RFC 26): the job id is checked here and sent in
 * F58 form, so that a typo is refused before anything is submitted.
 */
static void add_dependency (const char *cmd, struct opts *o, const char *arg)
{
    const char *colon = strchr (arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : 0;
    bool known = false;
    eddy_fluid_t id;
    eddy_error_t err;
    char f58[64];

    for (size_t i = 0; colon && dep_schemes[i]; i++)
        if (strlen (dep_schemes[i]) == n && !strncmp (dep_schemes[i], arg, n))
            known = true;
    if (!colon || !known)
        eddy_cmd_die (cmd, "--dependency: '%s' is not SCHEME:JOBID with SCHEME one of after, "
                      "afterany, afterok, afternotok", arg);
    if (eddy_fluid_parse (colon + 1, &id, &err) < 0)
        eddy_cmd_die (cmd, "--dependency: '%s' is not a job id: %s", colon + 1, err.text);
    jobutil_f58 (id, f58, sizeof (f58));
    if (!o->deps)
        o->deps = json_array ();
    json_array_append_new (o->deps, json_pack ("{s:s% s:s}", "scheme", arg, n, "value", f58));
}

/* --begin-time: "+DURATION" from now, epoch seconds, or an ISO 8601 date
 * and time (local time, or UTC with a trailing Z).
 */
static double parse_begin_time (const char *cmd, const char *s)
{
    eddy_error_t err;
    double d;
    char *end;
    struct tm tm;
    struct timespec now;

    clock_gettime (CLOCK_REALTIME, &now);
    if (s[0] == '+') {
        if (eddy_fsd_parse (s + 1, &d, &err) < 0)
            eddy_cmd_die (cmd, "--begin-time: '%s': %s", s, err.text);
        return (double)now.tv_sec + now.tv_nsec * 1e-9 + d;
    }
    errno = 0;
    d = strtod (s, &end);
    if (end != s && *end == '\0' && errno == 0 && d >= 0)
        return d;
    const char *forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                            "%Y-%m-%d %H:%M", NULL };
    for (size_t i = 0; forms[i]; i++) {
        memset (&tm, 0, sizeof (tm));
        end = strptime (s, forms[i], &tm);
        if (!end || (*end && strcmp (end, "Z") != 0))
            continue;
        tm.tm_isdst = -1;
        time_t t = *end ? timegm (&tm) : mktime (&tm);
        if (t == (time_t)-1)
            break;
        return (double)t;
    }
    eddy_cmd_die (cmd, "--begin-time: '%s' is not +DURATION, epoch seconds or "
                  "YYYY-MM-DDTHH:MM[:SS][Z]", s);
    return 0;
}

static void add_begin_time (const char *cmd, struct opts *o, const char *arg)
{
    char text[64];
    snprintf (text, sizeof (text), "%.3f", parse_begin_time (cmd, arg));
    if (!o->deps)
        o->deps = json_array ();
    json_array_append_new (o->deps, json_pack ("{s:s s:s}", "scheme", "begin-time", "value", text));
}

/* attributes.system.job.name (as Flux's): printable, at most 63 bytes
 * (what eddy jobs shows of a name); refused otherwise. */
static void set_job_name (const char *cmd, json_t *attrs, const char *name)
{
    size_t n = strlen (name);
    if (n == 0 || n > 63)
        eddy_cmd_die (cmd, "--job-name: '%s' is %s", name, n ? "longer than 63 bytes" : "empty");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            eddy_cmd_die (cmd, "--job-name: the name holds a control character");
    json_t *sys = sys_attrs (attrs);
    json_t *job = json_object_get (sys, "job");
    if (!json_is_object (job)) {
        job = json_object ();
        json_object_set_new (sys, "job", job);
    }
    json_object_set_new (job, "name", json_string (name));
}

static int parse_opts (const char *cmd, const struct eddy_cmd *ec, int argc, char **argv,
                       struct opts *o, bool is_submit, bool need_command)
{
    int c;
    memset (o, 0, sizeof (*o));
    o->ntasks = 1;
    o->cores = 1;
    o->urgency = 16;
    o->attrs = json_object ();
    o->env_rules = json_array ();
    optind = 1;
    while ((c = eddy_opt_next (ec, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'N':
            o->nodes = parse_count (cmd, "nodes", optarg, 1);
            break;
        case 'n':
            o->ntasks = parse_count (cmd, "ntasks", optarg, 1);
            o->ntasks_set = true;
            break;
        case 'c':
            o->cores = parse_count (cmd, "cores-per-task", optarg, 1);
            o->cores_set = true;
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
        case 'q':
            json_object_set_new (sys_attrs (o->attrs), "queue",
                                 json_string (optarg)); /* a name, never JSON */
            break;
        case 'D':
            o->cwd = optarg;
            break;
        case 'E':
            if (!*optarg || !strcmp (optarg, "-") || !strcmp (optarg, "^"))
                eddy_cmd_die (cmd, "--env: the rule is empty");
            if (optarg[0] == '^')
                env_rules_file (cmd, o->env_rules, optarg + 1);
            else
                json_array_append_new (o->env_rules, json_string (optarg));
            break;
        case 'R':
            if (!*optarg)
                eddy_cmd_die (cmd, "--env-remove: the pattern is empty");
            json_array_append_new (o->env_rules, json_sprintf ("-%s", optarg));
            break;
        case 'O':
            set_output (cmd, o->attrs, "stdout", optarg);
            break;
        case 'e':
            set_output (cmd, o->attrs, "stderr", optarg);
            break;
        case 'd':
            add_dependency (cmd, o, optarg);
            break;
        case 'b':
            add_begin_time (cmd, o, optarg);
            break;
        case 'A':
            set_affinity (cmd, o->attrs, optarg, "cpu-affinity");
            break;
        case 'G':
            set_affinity (cmd, o->attrs, optarg, "gpu-affinity");
            break;
        case 'I':
            if (!*optarg)
                eddy_cmd_die (cmd, "--input: the file name is empty");
            o->input = optarg;
            break;
        case 'P':
            o->pty = true;
            break;
        case 'J':
            set_job_name (cmd, o->attrs, optarg);
            break;
        case 'C':
            o->cc = optarg;
            break;
        case 'w':
            o->wait = true;
            break;
        default:
            eddy_cmd_unhandled (ec, c);
        }
    }
    if (need_command && optind >= argc)
        eddy_cmd_die (cmd, ec == &cmd_batch ? "a SCRIPT is required" : "a COMMAND to run is required");
    if (o->deps)
        json_object_set (sys_attrs (o->attrs), "dependencies", o->deps);
    return optind;
}

/* $NAME and ${NAME} in a --env value, from this environment ("" if unset). */
static char *expand (const char *v)
{
    size_t cap = strlen (v) + 1, n = 0;
    char *out = xcalloc (cap, 1);
    while (*v) {
        const char *name = NULL, *next = NULL;
        size_t len = 0;
        if (v[0] == '$' && v[1] == '{' && strchr (v, '}')) {
            name = v + 2;
            len = strchr (v, '}') - name;
            next = name + len + 1;
        }
        else if (v[0] == '$' && (v[1] == '_' || (v[1] >= 'A' && v[1] <= 'Z')
                                 || (v[1] >= 'a' && v[1] <= 'z'))) {
            name = v + 1;
            while (name[len] == '_' || (name[len] >= 'A' && name[len] <= 'Z')
                   || (name[len] >= 'a' && name[len] <= 'z') || (name[len] >= '0' && name[len] <= '9'))
                len++;
            next = name + len;
        }
        const char *val = NULL;
        char *key = name ? xasprintf ("%.*s", (int)len, name) : NULL;
        if (key)
            val = getenv (key);
        free (key);
        size_t add = name ? (val ? strlen (val) : 0) : 1;
        if (n + add + 1 > cap) {
            cap = (n + add + 1) * 2;
            if (!(out = realloc (out, cap)))
                eddy_cmd_die ("submit", "out of memory");
        }
        if (name) {
            if (val)
                memcpy (out + n, val, add);
            v = next;
        }
        else
            out[n] = *v++;
        n += add;
        out[n] = '\0';
    }
    return out;
}

/* The job's environment: a copy of this one, then each rule in order
 * (as flux submit --env): -PATTERN removes the matching variables,
 * NAME=VALUE sets one ($NAME expanded from here), PATTERN copies the
 * matching ones from here.
 */
static json_t *environment (const char *cmd, json_t *rules)
{
    json_t *env = json_object ();
    json_t *rule;
    size_t i;

    for (char **e = environ; e && *e; e++) {
        char *eq = strchr (*e, '=');
        if (!eq)
            continue;
        char *name = strndup (*e, eq - *e);
        if (name)
            json_object_set_new (env, name, json_string (eq + 1));
        free (name);
    }
    json_array_foreach (rules, i, rule) {
        const char *r = json_string_value (rule), *eq = strchr (r, '=');
        if (r[0] == '-') {
            const char *key;
            json_t *v;
            void *tmp;
            json_object_foreach_safe (env, tmp, key, v) {
                if (fnmatch (r + 1, key, 0) == 0)
                    json_object_del (env, key);
            }
        }
        else if (eq) {
            if (eq == r)
                eddy_cmd_die (cmd, "--env: '%s' has no variable name", r);
            char *name = xasprintf ("%.*s", (int)(eq - r), r), *val = expand (eq + 1);
            json_object_set_new (env, name, json_string (val));
            free (name);
            free (val);
        }
        else {
            for (char **e = environ; e && *e; e++) {
                char *q = strchr (*e, '=');
                if (!q)
                    continue;
                char *name = xasprintf ("%.*s", (int)(q - *e), *e);
                if (fnmatch (r, name, 0) == 0)
                    json_object_set_new (env, name, json_string (q + 1));
                free (name);
            }
        }
    }
    return env;
}

/* --cwd: absolute, and a directory now (a typo fails here, not in the job). */
static void job_cwd (const char *cmd, const char *dir, char *cwd, size_t len)
{
    struct stat st;
    if (!getcwd (cwd, len))
        snprintf (cwd, len, "/");
    if (!dir)
        return;
    if (stat (dir, &st) < 0)
        eddy_cmd_die (cmd, "--cwd: %s: %s", dir, strerror (errno));
    if (!S_ISDIR (st.st_mode))
        eddy_cmd_die (cmd, "--cwd: %s: not a directory", dir);
    if (dir[0] == '/')
        snprintf (cwd, len, "%s", dir);
    else {
        size_t n = strlen (cwd);
        if (snprintf (cwd + n, len - n, "%s%s", n > 1 ? "/" : "", dir) >= (int)(len - n))
            eddy_cmd_die (cmd, "--cwd: %s: the path is too long", dir);
    }
}

static json_t *make_jobspec (const char *cmd, struct opts *o, int argc, char **argv)
{
    char cwd[PATH_MAX];
    eddy_error_t err;
    job_cwd (cmd, o->cwd, cwd, sizeof (cwd));
    json_t *env = environment (cmd, o->env_rules);
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

static eddy_future_t *send_submit (eddy_handle_t *h,
                                   const struct eddy_sign_conf *sign,
                                   json_t *jobspec,
                                   int urgency)
{
    char *J = jobutil_sign ("submit", sign, jobspec);
    eddy_future_t *f;

    if (J)
        f = eddy_rpc_pack (h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:O s:i s:s}", "jobspec",
                           jobspec, "urgency", urgency, "J", J);
    else
        f = eddy_rpc_pack (h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:O s:i}", "jobspec",
                           jobspec, "urgency", urgency);
    free (J);
    return f;
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
    int i = parse_opts ("submit", &cmd_submit, argc, argv, &o, true, true);
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
    struct eddy_sign_conf *sign = jobutil_sign_open ("submit", h);
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
        if (!(fs[k] = send_submit (h, sign, js, o.urgency)))
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
    free (sign);
    eddy_idset_destroy (cc);
    json_decref (o.attrs);
    json_decref (o.env_rules);
    json_decref (o.deps);
    client_close (h);
    return rc;
}

/* --input=FILE|RANKS: an existing file, else an idset (or "all") of the
 * task ranks that take this stdin; the descriptor to feed from.
 */
static int run_input (const char *cmd, struct opts *o)
{
    const char *ranks = "0";
    int fd = STDIN_FILENO;

    jobutil_stdin_guard ();
    if (o->input) {
        eddy_idset_t *ids = eddy_idset_decode (o->input, NULL);
        bool isranks = (ids || !strcmp (o->input, "all")) && access (o->input, F_OK) < 0;
        eddy_idset_destroy (ids);
        if (isranks)
            ranks = o->input;
        else if ((fd = open (o->input, O_RDONLY | O_CLOEXEC)) < 0)
            eddy_cmd_die (cmd, "--input: %s: %s", o->input, strerror (errno));
    }
    json_t *shopts = json_object_get (json_object_get (sys_attrs (o->attrs), "shell"), "options");
    if (o->input || !json_object_get (shopts, "stdin")) /* else -S set it */
        set_shell_option (o->attrs, "stdin", json_string (ranks));
    if (o->pty) {
        set_shell_option (o->attrs, "pty", json_true ());
        /* the terminal's size from the start: the task may ask before the
         * client's first winsize message arrives */
        struct winsize ws;
        if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
            set_shell_option (o->attrs, "winsize",
                              json_pack ("{s:i s:i}", "rows", (int)ws.ws_row, "cols", (int)ws.ws_col));
    }
    return fd;
}

static int run_run (int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("run", &cmd_run, argc, argv, &o, false, true);
    int fd = run_input ("run", &o);
    eddy_handle_t *h = client_open ("run");
    json_t *js = make_jobspec ("run", &o, argc - i, argv + i);
    struct eddy_sign_conf *sign = jobutil_sign_open ("run", h);
    eddy_future_t *f = send_submit (h, sign, js, o.urgency);
    free (sign);
    if (!f)
        eddy_cmd_die ("run", "%s", strerror (errno));
    uint64_t id = get_id ("run", f);
    eddy_future_destroy (f);
    json_decref (js);
    struct jobutil_io io = { .fd = fd, .pty = o.pty };
    int rc = jobutil_attach_io ("run", h, id, &io);
    json_decref (o.attrs);
    json_decref (o.env_rules);
    json_decref (o.deps);
    client_close (h);
    return rc;
}

/* The eddy executable (the nested instance's `eddy start`): this one. */
static char *self_exe (const char *cmd)
{
    char path[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", path, sizeof (path) - 1);
    if (n <= 0)
        eddy_cmd_die (cmd, "cannot find the eddy executable: %s", strerror (errno));
    path[n] = '\0';
    return xstrdup (path);
}

/* The jobspec of a nested instance: -N nodes, on each one task (`eddy
 * start ARGS`, one broker); the slots -n of -c cores spread over them,
 * or whole nodes when neither is given (as flux batch and alloc).
 */
static json_t *nest_jobspec (const char *cmd, struct opts *o, int argc, char **argv)
{
    if (o->nodes == 0)
        o->nodes = 1;
    if (!o->ntasks_set)
        o->ntasks = o->nodes;
    if (o->ntasks < o->nodes)
        eddy_cmd_die (cmd, "--ntasks %d is fewer than --nodes %d (a node needs a slot)", o->ntasks,
                      o->nodes);
    bool whole = !o->ntasks_set && !o->cores_set;
    char **v = xcalloc (argc + 3, sizeof (char *));
    v[0] = self_exe (cmd);
    v[1] = "start";
    for (int i = 0; i < argc; i++)
        v[2 + i] = argv[i];
    json_t *js = make_jobspec (cmd, o, argc + 2, v);
    free (v[0]);
    free (v);
    /* the slots stay as asked; the tasks are one per node */
    json_t *task = json_array_get (json_object_get (js, "tasks"), 0);
    if (!task || json_object_set_new (task, "count", json_pack ("{s:i}", "total", o->nodes)) < 0)
        eddy_cmd_die (cmd, "out of memory");
    if (whole) {
        json_t *node = json_array_get (json_object_get (js, "resources"), 0);
        if (node && !strcmp (json_string_value (json_object_get (node, "type")), "node"))
            json_object_set_new (node, "exclusive", json_true ());
    }
    eddy_error_t err;
    eddy_jobspec_t *p = eddy_jobspec_parse (js, EDDY_JOBSPEC_V1, &err);
    if (!p)
        eddy_cmd_die (cmd, "invalid job: %s", err.text);
    eddy_jobspec_destroy (p);
    return js;
}

static uint64_t nest_submit (const char *cmd, eddy_handle_t *h, struct opts *o, json_t *js)
{
    struct eddy_sign_conf *sign = jobutil_sign_open (cmd, h);
    eddy_future_t *f = send_submit (h, sign, js, o->urgency);
    free (sign);
    if (!f)
        eddy_cmd_die (cmd, "%s", strerror (errno));
    uint64_t id = get_id (cmd, f);
    eddy_future_destroy (f);
    return id;
}

static int batch_run (int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("batch", &cmd_batch, argc, argv, &o, false, true);
    size_t len;
    char *text = jobutil_read_file (argv[i], &len);

    if (!text)
        eddy_cmd_die ("batch", "%s: %s", argv[i], strerror (errno));
    if (len == 0 || strlen (text) != len)
        eddy_cmd_die ("batch", "%s: %s", argv[i], len ? "not a text file (it holds NUL bytes)" : "empty");
    json_t *sys = sys_attrs (o.attrs);
    json_t *shopts = json_object_get (json_object_get (sys, "shell"), "options");
    if (!json_object_get (json_object_get (shopts, "output"), "stdout"))
        set_output ("batch", o.attrs, "stdout", "eddy-{{id}}.out");
    json_object_set_new (sys, "batch", json_pack ("{s:s}", "script", text));
    free (text);
    /* named after its script, as Flux's batch jobs */
    if (!json_object_get (json_object_get (sys, "job"), "name")) {
        const char *slash = strrchr (argv[i], '/');
        char name[64];
        snprintf (name, sizeof (name), "%s", slash ? slash + 1 : argv[i]);
        set_job_name ("batch", o.attrs, name);
    }
    /* the script's own arguments go after --batch: eddy start passes them on */
    char **v = xcalloc (argc - i + 1, sizeof (char *));
    v[0] = "--batch";
    for (int k = i + 1; k < argc; k++)
        v[k - i] = argv[k];
    eddy_handle_t *h = client_open ("batch");
    json_t *js = nest_jobspec ("batch", &o, argc - i, v);
    free (v);
    uint64_t id = nest_submit ("batch", h, &o, js);
    if (!o.quiet) {
        char f58[64];
        jobutil_f58 (id, f58, sizeof (f58));
        printf ("%s\n", f58);
    }
    json_decref (js);
    json_decref (o.attrs);
    json_decref (o.env_rules);
    json_decref (o.deps);
    client_close (h);
    return 0;
}

static int alloc_run (int argc, char **argv)
{
    struct opts o;
    int i = parse_opts ("alloc", &cmd_alloc, argc, argv, &o, false, false);
    /* interactive (as flux alloc): this stdin to the command, on a
     * terminal when it is one */
    o.pty = o.pty || isatty (STDIN_FILENO);
    int fd = run_input ("alloc", &o);
    eddy_handle_t *h = client_open ("alloc");
    json_t *js = nest_jobspec ("alloc", &o, argc - i, argv + i);
    uint64_t id = nest_submit ("alloc", h, &o, js);
    struct jobutil_io io = { .fd = fd, .pty = o.pty };
    int rc = jobutil_attach_io ("alloc", h, id, &io);
    json_decref (js);
    json_decref (o.attrs);
    json_decref (o.env_rules);
    json_decref (o.deps);
    client_close (h);
    return rc;
}
