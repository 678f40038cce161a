/* cmd-job.c - `eddy job SUBCOMMAND`: job utilities.  Subcommands are rows
 * of a table so that cancel, info, ... can join `id` here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/fsd.h"
#include "kvs/kvs.h"
#include "sched/job-manager/statemask.h"
#include "sched/jobspec.h"

static int job_run (int argc, char **argv);
static int job_id (int argc, char **argv);
static int job_cancel (int argc, char **argv);
static int job_cancelall (int argc, char **argv);
static int job_urgency (int argc, char **argv);
static int job_eventlog (int argc, char **argv);
static int job_info (int argc, char **argv);
static int job_attach (int argc, char **argv);
static int job_wait (int argc, char **argv);
static int job_submit (int argc, char **argv);
static int job_purge (int argc, char **argv);
static int job_priority (int argc, char **argv);

struct job_subcmd {
    const char *name;
    const char *usage;
    const char *summary;
    int (*run) (int argc, char **argv);
};

static const struct job_subcmd subcmds[] = {
    {"id", "eddy job id [--to=FORM] [ID...]",
     "convert job ids (FLUIDs) between forms: dec, hex, dothex, kvs, f58, f58plain, "
     "emoji",
     job_id},
    {"cancel", "eddy job cancel ID...", "cancel jobs", job_cancel},
    {"cancelall", "eddy job cancelall [-f] [-s STATES] [-u USER] [-q QUEUE]",
     "cancel your active jobs (-f to confirm)", job_cancelall},
    {"urgency", "eddy job urgency ID N|hold|expedite|default",
     "set a job's urgency (0 hold - 31 expedite)", job_urgency},
    {"priority", "eddy job priority [--json] ID",
     "show a pending job's priority and its factors", job_priority},
    {"eventlog", "eddy job eventlog [-p NAME] ID", "print a job's eventlog (or output)",
     job_eventlog},
    {"info", "eddy job info ID KEY", "print a job's jobspec, J, R or eventlog", job_info},
    {"attach", "eddy job attach ID", "show a job's output, wait, exit with its status",
     job_attach},
    {"wait", "eddy job wait ID", "wait for a job; exit with its status", job_wait},
    {"submit", "eddy job submit [--urgency=N] [--signed=JFILE] FILE",
     "submit a jobspec file (YAML or JSON, - = stdin)",
     job_submit},
    {"purge", "eddy job purge [--age-limit=FSD] [--num-limit=N] [--force]",
     "remove inactive jobs from the KVS (--force to do it)", job_purge},
    {NULL, NULL, NULL, NULL},
};

const struct eddy_cmd cmd_job = {
    .name = "job",
    .usage = "eddy job SUBCOMMAND [OPTIONS] [ARGS...]",
    .summary = "Job utilities: id, cancel, cancelall, urgency, eventlog, info, attach, wait, submit.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Subcommands:\n"),
        EDDY_OPT_SUB ("cancel", "  cancel ID...            cancel jobs\n"),
        EDDY_OPT_SUB ("cancelall", "  cancelall [OPTIONS]     cancel your active jobs, or those in STATES, of USER,\n"
                                   "                          in QUEUE; without -f only count them\n"),
        EDDY_OPT_FLAG ("force", 'f', "cancel them (without it, only count them)"),
        EDDY_OPT_ARG ("states", 's', "STATES", "depend, priority, sched, run, cleanup; pending, running, active (the default)"),
        EDDY_OPT_ARG ("user", 'u', "USER|all", "the jobs of USER (default: yours)"),
        EDDY_OPT_ARG ("queue", 'q', "QUEUE", "the jobs in QUEUE"),
        EDDY_OPT_ARG ("message", 'm', "NOTE", "the note of the cancel exception"),
        EDDY_OPT_SUB ("urgency", "  urgency ID N|hold|expedite|default\n"
                                 "                          set urgency 0-31 (words in any case): hold = 0,\n"
                                 "                          default = 16, expedite = 31\n"),
        EDDY_OPT_SUB ("priority", "  priority [--json] ID    the job's priority, the plugin's factors and weights\n"
                                  "                          (weighted sum + 1 is the priority), why it is held\n"),
        EDDY_OPT_LFLAG ("json", 'j', "the answer as JSON"),
        EDDY_OPT_SUB ("eventlog", "  eventlog [-p NAME] ID   print the job's eventlog\n"),
        EDDY_OPT_ARG ("path", 'p', "NAME", "eventlog (the default) or output"),
        EDDY_OPT_SUB ("info", "  info ID KEY             print jobspec, J (its signed form), R or eventlog\n"
                              "                          from the KVS\n"),
        EDDY_OPT_SUB ("attach", "  attach ID               print output as it comes; exit with the job's status\n"),
        EDDY_OPT_SUB ("wait", "  wait ID                 wait for the job; exit with its status\n"),
        EDDY_OPT_SUB ("submit", "  submit [OPTIONS] FILE   submit a jobspec (YAML or JSON; - = stdin) as\n"
                                "                          it is: the instance validates it; prints the id.\n"
                                "                          It is signed as eddy submit signs, or sent with\n"
                                "                          the signed form in JFILE (docs/security.md)\n"),
        EDDY_OPT_LARG ("urgency", 'U', "N", "0 (hold) to 31 (expedite); default 16"),
        EDDY_OPT_LARG ("signed", 'S', "JFILE", "send the signed form in JFILE, not one made here"),
        EDDY_OPT_SUB ("purge", "  purge [OPTIONS]         remove inactive jobs older than FSD, or beyond the\n"
                               "                          newest N (default: [job-manager]'s limits); without\n"
                               "                          --force only count them\n"),
        EDDY_OPT_LARG ("age-limit", 'a', "FSD", "those inactive for longer than FSD"),
        EDDY_OPT_LARG ("num-limit", 'n', "N", "those beyond the newest N"),
        EDDY_OPT_FLAG ("force", 'f', "purge them (without it, only count them)"),
        EDDY_OPT_SUB ("id", "  id [--to=FORM] [ID...]  convert job ids; any form is accepted on\n"
                            "                          input.  With no ID, ids are read from standard input.\n"),
        EDDY_OPT_ARG ("to", 't', "FORM", "dec (default), hex, dothex, kvs, f58, f58plain or emoji"),
        EDDY_OPT_END,
    },
    .run = job_run,
};

static void convert (const char *s, eddy_fluid_type_t to)
{
    eddy_fluid_t id;
    eddy_error_t err;
    char buf[EDDY_FLUID_STRMAX];
    if (eddy_fluid_parse (s, &id, &err) < 0)
        eddy_cmd_die ("job", "invalid job id '%s': %s", s, err.text);
    if (eddy_fluid_encode (buf, sizeof (buf), id, to) < 0)
        eddy_cmd_die ("job", "cannot encode %s as %s", s, eddy_fluid_type_name (to));
    printf ("%s\n", buf);
}

static int job_id (int argc, char **argv)
{
    eddy_fluid_type_t to = EDDY_FLUID_DEC;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "id", 0, argc, argv)) != -1) {
        switch (c) {
        case 't':
            to = eddy_fluid_type_lookup (optarg);
            if (!to || to == EDDY_FLUID_WORDS)
                eddy_cmd_die ("job", "unknown id form '%s'", optarg);
            break;
        default:
            eddy_cmd_unhandled (&cmd_job, c);
        }
    }
    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            convert (argv[i], to);
    } else {
        char *line = NULL;
        size_t alloc = 0;
        while (getline (&line, &alloc, stdin) >= 0) {
            char *save = NULL;
            for (char *tok = strtok_r (line, " \t\r\n", &save); tok;
                 tok = strtok_r (NULL, " \t\r\n", &save))
                convert (tok, to);
        }
        free (line);
    }
    if (fflush (stdout) != 0)
        eddy_cmd_die ("job", "error writing output");
    return 0;
}

static int job_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_job, NULL, argc, argv);
    if (i >= argc)
        eddy_cmd_usage_error (
            &cmd_job, NULL,
            "needs a subcommand: id, cancel, cancelall, urgency, priority, "
            "eventlog, info, attach, wait, submit, purge");
    for (const struct job_subcmd *s = subcmds; s->name; s++)
        if (!strcmp (s->name, argv[i]))
            return s->run (argc - i, argv + i);
    eddy_cmd_die ("job", "unknown subcommand '%s'", argv[i]);
}

/* The options of a subcommand (its table's, at least --help) before its
 * operands; then argv[1] is the first operand.  Fewer than want_min
 * operands: the usage error missing; want_max < 0: no limit.
 */
static void
need_args (int *argc, char ***argv, int want_min, int want_max, const char *missing)
{
    const char *sub = (*argv)[0];
    int i = eddy_opt_operands (&cmd_job, sub, *argc, *argv);
    *argc -= i - 1;
    *argv += i - 1;
    eddy_cmd_operands (&cmd_job, sub, *argc, *argv, 1, want_min, want_max, missing);
}

static int job_cancel (int argc, char **argv)
{
    need_args (&argc, &argv, 1, -1, "cancel needs a job ID");
    eddy_handle_t *h = client_open ("job");
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        uint64_t id = jobutil_parse_id ("job", argv[i]);
        eddy_future_t *f = eddy_rpc_pack (h, "job-manager.cancel", EDDY_NODEID_ANY, 0, "{s:I}",
                                          "id", (json_int_t)id);
        if (!f || eddy_rpc_get (f, NULL) < 0) {
            eddy_cmd_error ("job", "cancel %s: %s", argv[i],
                            f ? eddy_future_error_string (f) : "cannot send");
            rc = 1;
        }
        eddy_future_destroy (f);
    }
    client_close (h);
    return rc;
}

static int job_cancelall (int argc, char **argv)
{
    const char *states = "active", *queue = NULL, *note = NULL;
    int userid = (int)getuid (), c;
    bool force = false;
    eddy_error_t err;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "cancelall", 0, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 's':
            states = optarg;
            break;
        case 'u':
            userid = jobutil_parse_user ("job", "cancelall", optarg);
            break;
        case 'q':
            queue = optarg;
            break;
        case 'm':
            note = optarg;
            break;
        default:
            eddy_cmd_unhandled (&cmd_job, c);
        }
    }
    eddy_cmd_operands (&cmd_job, argv[0], argc, argv, optind, 0, 0, NULL);
    int mask = jobmgr_statemask_parse (states, &err);
    if (mask < 0)
        eddy_cmd_die ("job", "cancelall: --states: %s", err.text);
    if (mask & JOB_MASK_INACTIVE)
        eddy_cmd_die ("job", "cancelall: --states: inactive jobs cannot be canceled");
    eddy_handle_t *h = client_open ("job");
    json_t *o = json_pack ("{s:s s:i s:b}", "states", states, "userid", userid, "dry_run", !force);
    if (queue)
        json_object_set_new (o, "queue", json_string (queue));
    if (note)
        json_object_set_new (o, "note", json_string (note));
    eddy_future_t *f = client_rpc_take ("job", h, "job-manager.cancelall", o, EDDY_NODEID_ANY);
    json_t *r = client_rpc_get ("job", f, "job-manager.cancelall");
    int n = (int)json_integer_value (json_object_get (r, "count"));
    if (!force)
        fprintf (stderr, "eddy-job: cancelall matched %d jobs (-f to confirm)\n", n);
    else
        fprintf (stderr, "eddy-job: canceled %d jobs\n", n);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

static int parse_urgency (const char *what, const char *s)
{
    if (!strcasecmp (s, "hold"))
        return 0;
    if (!strcasecmp (s, "expedite"))
        return 31;
    if (!strcasecmp (s, "default"))
        return 16;
    char *end;
    long v = strtol (s, &end, 10);
    /* digits only: no sign, no space */
    if (!(*s >= '0' && *s <= '9') || *end || v > 31)
        eddy_cmd_die ("job", "%s: '%s' is not 0-31, hold, default or expedite", what, s);
    return (int)v;
}

static int job_urgency (int argc, char **argv)
{
    need_args (&argc, &argv, 1, 2, "urgency needs a job ID and an urgency");
    if (argc < 3)
        eddy_cmd_usage_error (
            &cmd_job, "urgency",
            "urgency needs an urgency (N, hold, expedite, default) after the ID");
    uint64_t id = jobutil_parse_id ("job", argv[1]);
    int urgency = parse_urgency ("urgency", argv[2]);
    eddy_handle_t *h = client_open ("job");
    eddy_future_destroy (client_rpc_take ("job", h, "job-manager.urgency",
                                     json_pack ("{s:I s:i}", "id", (json_int_t)id, "urgency",
                                                urgency),
                                     EDDY_NODEID_ANY));
    client_close (h);
    return 0;
}

static int job_priority (int argc, char **argv)
{
    bool json = false;
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "priority", EDDY_OPT_INORDER, argc, argv)) != -1) {
        if (c != 'j')
            eddy_cmd_unhandled (&cmd_job, c);
        json = true;
    }
    argc -= optind - 1;
    argv += optind - 1;
    eddy_cmd_operands (&cmd_job, "priority", argc, argv, 1, 1, 1,
                       "priority needs a job ID");
    uint64_t id = jobutil_parse_id ("job", argv[1]);
    eddy_handle_t *h = client_open ("job");
    eddy_future_t *f = client_rpc_take ("job", h, "job-manager.priority-info",
                                        json_pack ("{s:I}", "id", (json_int_t)id),
                                        EDDY_NODEID_ANY);
    json_t *r = client_rpc_get ("job", f, "job-manager.priority-info");
    if (json) {
        char *s = json_dumps (r, JSON_COMPACT | JSON_SORT_KEYS);
        printf ("%s\n", s ? s : "{}");
        free (s);
    }
    else {
        static const char *const names[] = { "fairshare", "age", "size", "queue", "urgency" };
        json_t *fa = json_object_get (r, "factors"), *we = json_object_get (r, "weights");
        const char *bank = json_string_value (json_object_get (r, "bank"));
        const char *reason = json_string_value (json_object_get (r, "reason"));
        printf ("job %s: priority %jd (%s plugin, %s)%s%s\n", argv[1],
                (intmax_t)json_integer_value (json_object_get (r, "priority")),
                json_string_value (json_object_get (r, "plugin")),
                json_string_value (json_object_get (r, "state")), bank ? ", bank " : "",
                bank ? bank : "");
        printf ("%-10s %10s %10s %12s\n", "FACTOR", "VALUE", "WEIGHT", "WEIGHTED");
        for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
            double v = json_number_value (json_object_get (fa, names[i]));
            double w = json_number_value (json_object_get (we, names[i]));
            printf ("%-10s %10.6g %10g %12.6g\n", names[i], v, w, v * w);
        }
        if (reason)
            printf ("held: %s\n", reason);
    }
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

/* Print a KVS value of the job: eventlogs line by line, JSON compactly. */
static int print_key (const char *what, const char *arg, const char *suffix)
{
    uint64_t id = jobutil_parse_id ("job", arg);
    char key[128];
    const char *text;
    eddy_kvs_job_key (key, sizeof (key), id, suffix);
    eddy_handle_t *h = client_open ("job");
    eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, key);
    if (!f || eddy_kvs_lookup_get (f, &text) < 0)
        eddy_cmd_die ("job", "%s %s: %s", what, arg,
                      errno == ENOENT ? "no such job or key"
                                      : (f ? eddy_future_error_string (f) : strerror (errno)));
    fputs (text, stdout);
    size_t n = strlen (text);
    if (n == 0 || text[n - 1] != '\n')
        fputc ('\n', stdout);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

static int job_eventlog (int argc, char **argv)
{
    const char *name = "eventlog";
    int c;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "eventlog", EDDY_OPT_INORDER, argc, argv)) != -1) {
        if (c != 'p')
            eddy_cmd_unhandled (&cmd_job, c);
        name = optarg;
    }
    int i = optind;
    eddy_cmd_operands (&cmd_job, "eventlog", argc, argv, i, 1, 1,
                       "eventlog needs a job ID");
    if (strcmp (name, "eventlog") && strcmp (name, "output"))
        eddy_cmd_die ("job", "eventlog: unknown eventlog '%s' (eventlog, output)", name);
    return print_key ("eventlog", argv[i], name);
}

static int job_info (int argc, char **argv)
{
    need_args (&argc, &argv, 1, 2, "info needs a job ID and a KEY");
    if (argc < 3)
        eddy_cmd_usage_error (&cmd_job, "info", "info needs a KEY after the ID");
    if (strcmp (argv[2], "jobspec") && strcmp (argv[2], "R") && strcmp (argv[2], "eventlog")
        && strcmp (argv[2], "output") && strcmp (argv[2], "J"))
        eddy_cmd_die ("job", "info: unknown key '%s' (jobspec, J, R, eventlog, output)", argv[2]);
    return print_key ("info", argv[1], argv[2]);
}

static int job_attach (int argc, char **argv)
{
    need_args (&argc, &argv, 1, 1, "attach needs a job ID");
    jobutil_stdin_guard ();
    uint64_t id = jobutil_parse_id ("job", argv[1]);
    eddy_handle_t *h = client_open ("job");
    /* this stdin to the job, when it takes one (eddy run's); a pty job
     * (shell.options.pty) gets this terminal in raw mode, as eddy run
     * --pty does */
    struct jobutil_io io = { .fd = STDIN_FILENO };
    char key[128];
    const char *text;
    eddy_kvs_job_key (key, sizeof (key), id, "jobspec");
    eddy_future_t *f = eddy_kvs_lookup (h, NULL, 0, key);
    json_t *js = f && eddy_kvs_lookup_get (f, &text) == 0 ? json_loads (text, 0, NULL) : NULL;
    json_t *sys = json_object_get (json_object_get (js, "attributes"), "system");
    io.pty = json_is_true (
        json_object_get (json_object_get (json_object_get (sys, "shell"), "options"), "pty"));
    json_decref (js);
    eddy_future_destroy (f);
    int rc = jobutil_attach_io ("job", h, id, &io);
    client_close (h);
    return rc;
}

static int job_wait (int argc, char **argv)
{
    need_args (&argc, &argv, 1, 1, "wait needs a job ID");
    uint64_t id = jobutil_parse_id ("job", argv[1]);
    eddy_handle_t *h = client_open ("job");
    eddy_future_t *f = client_rpc_take ("job", h, "job-manager.wait",
                                   json_pack ("{s:I}", "id", (json_int_t)id), EDDY_NODEID_ANY);
    json_t *res = client_rpc_get ("job", f, "job-manager.wait");
    int rc = jobutil_exit_code (res);
    json_t *exc = json_object_get (res, "exception");
    if (exc)
        jobutil_print_exception ("job", argv[1], exc);
    eddy_future_destroy (f);
    client_close (h);
    return rc;
}

/* J from a file (--signed), without the line break a tool adds. */
static char *read_signed (const char *path)
{
    size_t len;
    char *J = jobutil_read_file (path, &len);
    if (!J)
        eddy_cmd_die ("job", "--signed=%s: %s", path, strerror (errno));
    while (len > 0 && (J[len - 1] == '\n' || J[len - 1] == '\r' || J[len - 1] == ' '))
        J[--len] = '\0';
    return J;
}

/* Submit a jobspec file as it is: job-ingest validates it, so a bad one
 * gets the instance's own message.  --signed=JFILE sends JFILE's signed
 * form instead of signing here (made elsewhere, e.g. with munge(1) over the
 * output of `eddy jobspec convert --level=v1`): job-ingest checks it.
 */
static int job_submit (int argc, char **argv)
{
    int urgency = 16, c;
    char *signed_J = NULL;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "submit", EDDY_OPT_INORDER, argc, argv)) != -1) {
        if (c == 'U')
            urgency = parse_urgency ("--urgency", optarg);
        else if (c == 'S') {
            free (signed_J);
            signed_J = read_signed (optarg);
        }
        else
            eddy_cmd_unhandled (&cmd_job, c);
    }
    int i = optind;
    eddy_cmd_operands (&cmd_job, "submit", argc, argv, i, 1, 1,
                       "submit needs a jobspec FILE");
    size_t len;
    char *text = jobutil_read_file (argv[i], &len);
    if (!text)
        eddy_cmd_die ("job", "%s: %s", argv[i], strerror (errno));
    eddy_error_t err;
    json_t *jobspec = eddy_jobspec_load (text, len, &err);
    free (text);
    if (!jobspec)
        eddy_cmd_die ("job", "%s: %s", argv[i], err.text);
    eddy_handle_t *h = client_open ("job");
    struct eddy_sign_conf *sign = signed_J ? NULL : jobutil_sign_open ("job", h);
    char *J = signed_J ? signed_J : jobutil_sign ("job", sign, jobspec);
    eddy_future_t *f = J ? eddy_rpc_pack (h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
                                          "{s:o s:i s:s}", "jobspec", jobspec, "urgency", urgency,
                                          "J", J)
                         : eddy_rpc_pack (h, "job-ingest.submit", EDDY_NODEID_ANY, 0, "{s:o s:i}",
                                          "jobspec", jobspec, "urgency", urgency);
    free (J);
    free (sign);
    json_int_t id;
    if (!f || eddy_rpc_get_unpack (f, "{s:I}", "id", &id) < 0)
        eddy_cmd_die ("job", "%s: %s", argv[i],
                      f && eddy_future_error_string (f) ? eddy_future_error_string (f) : strerror (errno));
    char f58[64];
    jobutil_f58 ((uint64_t)id, f58, sizeof (f58));
    printf ("%s\n", f58);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}

/* eddy job purge: as flux job purge, a count first, --force to act. */
static int job_purge (int argc, char **argv)
{
    json_t *o = json_object ();
    bool force = false;
    eddy_error_t err;
    double age;
    char *end;
    long num;
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_job, "purge", 0, argc, argv)) != -1) {
        switch (c) {
        case 'a':
            if (eddy_fsd_parse (optarg, &age, &err) < 0)
                eddy_cmd_die ("job", "purge: --age-limit: %s", err.text);
            json_object_set_new (o, "age_limit", json_real (age));
            break;
        case 'n':
            errno = 0;
            num = strtol (optarg, &end, 10);
            if (errno || end == optarg || *end || num < 0 || num > 0x7fffffff)
                eddy_cmd_die ("job", "purge: --num-limit: '%s' is not a count >= 0", optarg);
            json_object_set_new (o, "num_limit", json_integer (num));
            break;
        case 'f':
            force = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_job, c);
        }
    }
    eddy_cmd_operands (&cmd_job, argv[0], argc, argv, optind, 0, 0, NULL);
    json_object_set_new (o, "force", json_boolean (force));
    eddy_handle_t *h = client_open ("job");
    eddy_future_t *f = client_rpc_take ("job", h, "job-manager.purge", o, EDDY_NODEID_ANY);
    json_t *r = client_rpc_get ("job", f, "job-manager.purge");
    int n = (int)json_integer_value (json_object_get (r, "count"));
    if (force)
        printf ("purged %d inactive jobs\n", n);
    else
        printf ("%d inactive jobs would be purged (--force to purge them)\n", n);
    eddy_future_destroy (f);
    client_close (h);
    return 0;
}
