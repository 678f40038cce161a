/* cmd-jobs.c - `eddy jobs`: list jobs from the job-list module. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobfmt.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "sched/jobfilter.h"

static int jobs_run (int argc, char **argv);

#define DEFAULT_FORMAT                                                                         \
    "{id.f58:>12} {username:<8} {name:<10.10} {st:>2} {ntasks:>6} {nnodes:>6} "                \
    "{runtime:>8} {returncode:>6} {info}"

const struct eddy_cmd cmd_jobs = {
    .name = "jobs",
    .usage = "eddy jobs [-a] [-A] [-f STATES] [-u USER] [-q QUEUE] [--since=TIME] [-c N]\n"
             "          [-o FORMAT] [--json] [--no-header]",
    .summary = "List jobs (active by default).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_FLAG ("all", 'a', "active and inactive jobs"),
        EDDY_OPT_FLAG (NULL, 'A', "every user's jobs (-u all)"),
        EDDY_OPT_ARG ("filter", 'f', "STATES", "jobs in these states or with these results, comma-separated, any case: depend priority sched run cleanup inactive; pending running active all; completed failed canceled timeout"),
        EDDY_OPT_ARG ("user", 'u', "USER", "jobs of USER (a name or uid; all = every user); default: yours"),
        EDDY_OPT_ARG ("queue", 'q', "QUEUE", "jobs in QUEUE"),
        EDDY_OPT_LARG ("since", 'S', "TIME", "inactive jobs only if they ended after TIME (implies -a without -f): a duration ago, -1h or 1d (FSD: s m h d), or a local time 2026-01-31[THH:MM[:SS]]"),
        EDDY_OPT_ARG ("count", 'c', "N", "at most N jobs"),
        EDDY_OPT_ARG ("format", 'o', "FMT", "fields in braces, each optionally {field:>WIDTH} or {field:<WIDTH}: id id.f58 id.dec username userid name queue state st result returncode waitstatus ntasks nnodes nodelist priority urgency t_submit t_run t_cleanup t_inactive runtime duration waiting exception.type exception.note info.  {t_submit!d} (any t_ field) is the local time 2026-01-31T08:00:00 (the bare field: seconds since the epoch); runtime is an elapsed time (1.5s 2m3s 1h2m 1d3h), {duration!e} too. info: why a pending job waits (held, depends on ID, begin-time, queue stopped; resources: the first of its queue; priority: behind another), a running job's nodes, an inactive job's exception"),
        EDDY_OPT_LFLAG ("json", 'j', "one JSON object per job per line (raw numbers)"),
        EDDY_OPT_FLAG ("no-header", 'n', "no header line"),
        EDDY_OPT_END,
    },
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

/* uid -> user name, each uid looked up once: getpwuid () reads the
 * passwd database (a file, or a directory service) at every call, and a
 * listing has few users and many rows. */
struct uname {
    int uid;
    char *name;
    struct uname *next;
};
static struct uname *unames[256];

static const char *username (int uid)
{
    struct uname **b = &unames[(unsigned)uid % 256], *u;
    for (u = *b; u; u = u->next)
        if (u->uid == uid)
            return u->name;
    struct passwd *pw = getpwuid (uid);
    u = xmalloc (sizeof (*u));
    u->uid = uid;
    u->name = pw ? xstrdup (pw->pw_name) : xasprintf ("%d", uid);
    u->next = *b;
    *b = u;
    return u->name;
}

static bool is_time_field (const char *name)
{
    return !strcmp (name, "t_submit") || !strcmp (name, "t_run") || !strcmp (name, "t_cleanup")
           || !strcmp (name, "t_inactive");
}

static double runtime_of (json_t *job, double now)
{
    double t_run = json_real_value (json_object_get (job, "t_run"));
    double t_end = json_real_value (json_object_get (job, "t_cleanup"));
    return t_run > 0 ? (t_end > 0 ? t_end : now) - t_run : 0;
}

/* The text of one field for one job (conv: the !CONV letter or 0); buf
 * holds what is built here. */
static const char *field (json_t *job, const char *name, int conv, char *buf, size_t len,
                          double now)
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
    if (!strcmp (name, "username"))
        return username ((int)json_integer_value (json_object_get (job, "userid")));
    if (conv == 'd')
        return jobfmt_iso (json_number_value (json_object_get (job, name)), buf, len);
    if (conv == 'e' && strcmp (name, "runtime") != 0)
        return jobfmt_elapsed (json_number_value (json_object_get (job, name)), buf, len);
    if (!strcmp (name, "st"))
        return state_single (state, result);
    if (!strcmp (name, "state"))
        return state;
    if (!strcmp (name, "result"))
        return result;
    if (!strcmp (name, "runtime"))
        return jobfmt_elapsed (runtime_of (job, now), buf, len);
    if (!strcmp (name, "returncode")) {
        if (!(v = json_object_get (job, "returncode")))
            return "";
        snprintf (buf, len, "%d", (int)json_integer_value (v));
        return buf;
    }
    if (!strcmp (name, "info")) {
        const char *type = NULL, *note = NULL, *s;
        if ((s = json_string_value (json_object_get (job, "waiting"))))
            return s; /* pending: why */
        json_unpack (job, "{s?{s?s s?s}}", "exception", "type", &type, "note", &note);
        if (type) {
            snprintf (buf, len, "%s%s%s", type, note && *note ? ": " : "", note ? note : "");
            return buf;
        }
        if (strcmp (state, "INACTIVE") != 0 && (s = json_string_value (json_object_get (job, "nodelist"))))
            return s; /* running: where */
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
    "queue", "nodelist", "waiting", NULL,
};

/* The job-list keys the format's fields read, added to attrs (a table
 * asks only for what it shows: less to send and decode per job). */
static void format_attrs (const char *fmt, json_t *attrs)
{
    static const struct {
        const char *field;
        const char *keys;
    } map[] = {
        { "id", "" }, { "id.f58", "" }, { "id.dec", "" }, { "username", "userid" },
        { "st", "state result" }, { "runtime", "t_run t_cleanup" },
        { "info", "state waiting exception nodelist" }, { "exception.type", "exception" },
        { "exception.note", "exception" },
    };
    for (const char *p = fmt; (p = strchr (p, '{'));) {
        size_t n = strcspn (++p, "!:}");
        char name[64], keys[64];
        snprintf (name, sizeof (name), "%.*s", (int)n, p);
        snprintf (keys, sizeof (keys), "%s", name); /* the field's own key by default */
        for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
            if (!strcmp (map[i].field, name))
                snprintf (keys, sizeof (keys), "%s", map[i].keys);
        char *save = NULL;
        for (char *k = strtok_r (keys, " ", &save); k; k = strtok_r (NULL, " ", &save))
            json_array_append_new (attrs, json_string (k));
    }
}

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
        int conv = 0;
        if (bang) {
            *bang = '\0';
            conv = bang[1];
            if (!conv || bang[2])
                eddy_cmd_die ("jobs", "format: '!%s' is not a conversion (!d, !e)", bang + 1);
        }
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok = ok || !strcmp (known[i], spec);
        if (!ok)
            eddy_cmd_die ("jobs", "format: unknown field '%s'", spec);
        if (conv == 'd' && !is_time_field (spec))
            eddy_cmd_die ("jobs", "format: !d (a local time) is for t_submit, t_run, t_cleanup "
                                  "and t_inactive, not '%s'", spec);
        if (conv == 'e' && strcmp (spec, "runtime") && strcmp (spec, "duration"))
            eddy_cmd_die ("jobs", "format: !e (an elapsed time) is for runtime and duration, "
                                  "not '%s'", spec);
        if (conv && conv != 'd' && conv != 'e')
            eddy_cmd_die ("jobs", "format: '!%c' is not a conversion (!d, !e)", conv);
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
            text = field (job, spec, conv, buf, sizeof (buf), now);
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
    bool all = false, json = false, header = true;
    const char *fmt = DEFAULT_FORMAT, *states = NULL, *queue = NULL, *since_arg = NULL;
    int count = 0, c, userid = (int)getuid ();
    eddy_error_t err;
    struct timespec ts;

    clock_gettime (CLOCK_REALTIME, &ts);
    double now = ts.tv_sec + ts.tv_nsec * 1e-9, since = 0;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_jobs, NULL, 0, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'A':
            userid = -1;
            break;
        case 'c': {
            char *end;
            count = strtol (optarg, &end, 10);
            if (end == optarg || *end || count < 0)
                eddy_cmd_die ("jobs", "--count: '%s' is not a count", optarg);
            break;
        }
        case 'f':
            if (eddy_jobfilter_parse (optarg, &err) < 0)
                eddy_cmd_die ("jobs", "--filter: %s", err.text);
            states = optarg;
            break;
        case 'u':
            userid = jobutil_parse_user ("jobs", "--user", optarg);
            break;
        case 'q':
            if (!*optarg)
                eddy_cmd_die ("jobs", "--queue: an empty queue name");
            queue = optarg;
            break;
        case 'S':
            if (jobfmt_parse_since (optarg, now, &since, &err) < 0)
                eddy_cmd_die ("jobs", "--since: %s", err.text);
            since_arg = optarg;
            break;
        case 'o':
            fmt = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            header = false;
            break;
        default:
            eddy_cmd_unhandled (&cmd_jobs, c);
        }
    }
    eddy_cmd_operands (&cmd_jobs, NULL, argc, argv, optind, 0, 0, NULL);
    /* check the format before asking anything */
    FILE *devnull = fopen ("/dev/null", "w");
    if (devnull) {
        format_line (fmt, NULL, true, 0, devnull);
        fclose (devnull);
    }
    if (!states) /* --since is about inactive jobs: it implies -a */
        states = all || since_arg ? "all" : "active";

    eddy_handle_t *h = client_open ("jobs");
    json_t *req = json_pack ("{s:i s:s}", "max_entries", count, "states", states);
    if (userid >= 0)
        json_object_set_new (req, "userid", json_integer (userid));
    if (queue)
        json_object_set_new (req, "queue", json_string (queue));
    if (since_arg)
        json_object_set_new (req, "since", json_real (since));
    if (!json) {
        json_t *attrs = json_array ();
        format_attrs (fmt, attrs);
        json_object_set_new (req, "attrs", attrs);
    }
    eddy_future_t *f = client_rpc ("jobs", h, "job-list.list", req, EDDY_NODEID_ANY);
    json_t *jobs, *job;
    size_t i;
    if (eddy_rpc_get_unpack (f, "{s:o}", "jobs", &jobs) < 0)
        eddy_cmd_die ("jobs", "job-list.list: malformed response");
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
    if (fflush (stdout) != 0)
        eddy_cmd_die ("jobs", "error writing output");
    eddy_future_destroy (f);
    json_decref (req);
    client_close (h);
    return 0;
}
