/* cmd-jobs.c - `eddy jobs`: list jobs from the job-list module. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"

static int jobs_run (int argc, char **argv);

#define DEFAULT_FORMAT                                                                         \
    "{id.f58:>12} {username:<8} {name:<10.10} {st:>2} {ntasks:>6} {nnodes:>6} "                \
    "{runtime:>8} {returncode:>6} {info}"

const struct eddy_cmd cmd_jobs = {
    .name = "jobs",
    .usage = "eddy jobs [-a] [-A] [-c N] [-o FORMAT] [--json] [--no-header]",
    .summary = "List jobs (active by default).",
    .help = "  -a, --all          active and inactive jobs of this user\n"
            "  -A                 every user's jobs\n"
            "  -c, --count=N      at most N jobs\n"
            "  -o, --format=FMT   fields in braces, each optionally {field:>WIDTH} or\n"
            "                     {field:<WIDTH}: id id.f58 id.dec username userid name\n"
            "                     state st result returncode waitstatus ntasks nnodes\n"
            "                     priority urgency t_submit t_run t_inactive runtime\n"
            "                     exception.type exception.note info\n"
            "      --json         one JSON object per job per line\n"
            "  -n, --no-header    no header line\n",
    .run = jobs_run,
};

static const char *state_single (const char *state, const char *result)
{
    if (!strcmp (state, "INACTIVE")) {
        if (!strcmp (result, "COMPLETED"))
            return "CD";
        if (!strcmp (result, "CANCELED"))
            return "CA";
        if (!strcmp (result, "TIMEOUT"))
            return "TO";
        return "F";
    }
    static const char *const map[][2] = {
        { "DEPEND", "D" }, { "PRIORITY", "P" }, { "SCHED", "S" }, { "RUN", "R" }, { "CLEANUP", "C" },
    };
    for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
        if (!strcmp (map[i][0], state))
            return map[i][1];
    return "?";
}

/* The text of one field for one job; buf holds what is built here. */
static const char *field (json_t *job, const char *name, char *buf, size_t len, double now)
{
    const char *state = json_string_value (json_object_get (job, "state"));
    const char *result = json_string_value (json_object_get (job, "result"));
    uint64_t id = (uint64_t)json_integer_value (json_object_get (job, "id"));
    json_t *v;

    state = state ? state : "?";
    result = result ? result : "";
    if (!strcmp (name, "id") || !strcmp (name, "id.f58")) {
        jobutil_f58 (id, buf, len);
        return buf;
    }
    if (!strcmp (name, "id.dec")) {
        snprintf (buf, len, "%ju", (uintmax_t)id);
        return buf;
    }
    if (!strcmp (name, "username")) {
        int uid = (int)json_integer_value (json_object_get (job, "userid"));
        struct passwd *pw = getpwuid (uid);
        snprintf (buf, len, "%s", pw ? pw->pw_name : "?");
        if (!pw)
            snprintf (buf, len, "%d", uid);
        return buf;
    }
    if (!strcmp (name, "st"))
        return state_single (state, result);
    if (!strcmp (name, "state"))
        return state;
    if (!strcmp (name, "result"))
        return result;
    if (!strcmp (name, "runtime")) {
        double t_run = json_real_value (json_object_get (job, "t_run"));
        double t_end = json_real_value (json_object_get (job, "t_cleanup"));
        if (t_run <= 0) {
            snprintf (buf, len, "0.0");
            return buf;
        }
        snprintf (buf, len, "%.3f", (t_end > 0 ? t_end : now) - t_run);
        return buf;
    }
    if (!strcmp (name, "returncode")) {
        if (!(v = json_object_get (job, "returncode")))
            return "";
        snprintf (buf, len, "%d", (int)json_integer_value (v));
        return buf;
    }
    if (!strcmp (name, "info")) {
        const char *type = NULL, *note = NULL;
        json_unpack (job, "{s?{s?s s?s}}", "exception", "type", &type, "note", &note);
        if (type) {
            snprintf (buf, len, "%s%s%s", type, note && *note ? ": " : "", note ? note : "");
            return buf;
        }
        return "";
    }
    if (!strncmp (name, "exception.", 10)) {
        json_t *exc = json_object_get (job, "exception");
        const char *s = json_string_value (json_object_get (exc, name + 10));
        return s ? s : "";
    }
    if (!(v = json_object_get (job, name)))
        return "";
    if (json_is_string (v))
        return json_string_value (v);
    if (json_is_integer (v)) {
        snprintf (buf, len, "%lld", (long long)json_integer_value (v));
        return buf;
    }
    if (json_is_real (v)) {
        snprintf (buf, len, "%.3f", json_real_value (v));
        return buf;
    }
    return "";
}

static const char *const known[] = {
    "id", "id.f58", "id.dec", "username", "userid", "name", "state", "st", "result",
    "returncode", "waitstatus", "ntasks", "nnodes", "priority", "urgency", "t_submit", "t_run",
    "t_inactive", "t_cleanup", "runtime", "exception.type", "exception.note", "info", "duration",
    NULL,
};

/* Format one line: fmt has {name[!conv][:[<>]width[.prec]]} fields. */
static void format_line (const char *fmt, json_t *job, bool header, double now, FILE *out)
{
    const char *p = fmt;
    while (*p) {
        if (*p != '{') {
            fputc (*p++, out);
            continue;
        }
        const char *close = strchr (p, '}');
        if (!close)
            eddy_cmd_die ("jobs", "format: unterminated '{' in \"%s\"", fmt);
        char spec[128];
        size_t n = close - p - 1;
        if (n >= sizeof (spec))
            eddy_cmd_die ("jobs", "format: field too long");
        memcpy (spec, p + 1, n);
        spec[n] = '\0';
        char *colon = strchr (spec, ':');
        char *bang = strchr (spec, '!');
        int width = 0, prec = -1;
        bool left = false;
        if (colon) {
            *colon = '\0';
            char *w = colon + 1;
            if (*w == '<' || *w == '>') {
                left = *w == '<';
                w++;
            }
            width = atoi (w);
            char *dot = strchr (w, '.');
            if (dot)
                prec = atoi (dot + 1);
        }
        if (bang)
            *bang = '\0';
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok = ok || !strcmp (known[i], spec);
        if (!ok)
            eddy_cmd_die ("jobs", "format: unknown field '%s'", spec);
        char buf[256], up[64];
        const char *text;
        if (header) {
            size_t k;
            const char *h = !strcmp (spec, "id.f58") || !strcmp (spec, "id.dec") ? "id"
                            : !strcmp (spec, "username")                       ? "user"
                            : !strcmp (spec, "runtime")                        ? "time"
                            : !strcmp (spec, "returncode")                     ? "status"
                                                                                : spec;
            for (k = 0; h[k] && k < sizeof (up) - 1; k++)
                up[k] = (h[k] >= 'a' && h[k] <= 'z') ? h[k] - 32 : h[k];
            up[k] = '\0';
            text = up;
        }
        else
            text = field (job, spec, buf, sizeof (buf), now);
        if (prec >= 0)
            fprintf (out, left ? "%-*.*s" : "%*.*s", width, prec, text);
        else
            fprintf (out, left ? "%-*s" : "%*s", width, text);
        p = close + 1;
    }
    fputc ('\n', out);
}

static int jobs_run (int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "count", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "no-header", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool all = false, every_user = false, json = false, header = true;
    const char *fmt = DEFAULT_FORMAT;
    int count = 0, c;

    optind = 1;
    while ((c = getopt_long (argc, argv, "aAc:o:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'A':
            every_user = true;
            break;
        case 'c': {
            char *end;
            count = strtol (optarg, &end, 10);
            if (end == optarg || *end || count < 0)
                eddy_cmd_die ("jobs", "--count: '%s' is not a count", optarg);
            break;
        }
        case 'o':
            fmt = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            header = false;
            break;
        case 'h':
            eddy_cmd_usage (&cmd_jobs, false);
        default:
            eddy_cmd_usage (&cmd_jobs, true);
        }
    }
    if (optind != argc)
        eddy_cmd_usage (&cmd_jobs, true);
    /* check the format before asking anything */
    FILE *devnull = fopen ("/dev/null", "w");
    if (devnull) {
        format_line (fmt, NULL, true, 0, devnull);
        fclose (devnull);
    }

    eddy_handle_t *h = client_open ("jobs");
    json_t *req = json_pack ("{s:i s:s}", "max_entries", count, "states", all ? "all" : "active");
    if (!every_user)
        json_object_set_new (req, "userid", json_integer ((int)getuid ()));
    eddy_future_t *f = client_rpc ("jobs", h, "job-list.list", req, EDDY_NODEID_ANY);
    json_t *jobs, *job;
    size_t i;
    if (eddy_rpc_get_unpack (f, "{s:o}", "jobs", &jobs) < 0)
        eddy_cmd_die ("jobs", "job-list.list: malformed response");
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    double now = ts.tv_sec + ts.tv_nsec * 1e-9;
    if (json) {
        json_array_foreach (jobs, i, job) {
            char *s = json_dumps (job, JSON_COMPACT);
            printf ("%s\n", s);
            free (s);
        }
    }
    else {
        if (header)
            format_line (fmt, NULL, true, now, stdout);
        json_array_foreach (jobs, i, job)
            format_line (fmt, job, false, now, stdout);
    }
    eddy_future_destroy (f);
    json_decref (req);
    client_close (h);
    return 0;
}
