/* cmd-jobspec.c - `eddy jobspec`: validate jobspec files, convert YAML or
 * JSON jobspec to canonical compact JSON, and print the scheduler summary.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "sched/jobspec.h"

extern const struct eddy_cmd cmd_jobspec;

static eddy_jobspec_t *
load_file (const char *path, eddy_jobspec_level_t level, eddy_error_t *err)
{
    size_t len;
    char *buf = jobutil_read_file (path, &len);
    eddy_jobspec_t *js;

    if (!buf) {
        eddy_error_set (err, "%s", strerror (errno));
        return NULL;
    }
    js = eddy_jobspec_decode (buf, len, level, err);
    free (buf);
    return js;
}

static void format_duration (double d, char *buf, size_t size)
{
    if (d == floor (d) && fabs (d) < 1e15)
        snprintf (buf, size, "%.1f", d);
    else
        snprintf (buf, size, "%.15g", d);
}

static int run (int argc, char **argv)
{
    eddy_jobspec_level_t level = EDDY_JOBSPEC_V1;
    bool level_given = false;
    const char *sub;
    int c, rc = 0;

    if (eddy_opt_operands (&cmd_jobspec, NULL, argc, argv) >= argc)
        eddy_cmd_usage_error (&cmd_jobspec, NULL,
                              "needs a subcommand: validate, convert, summary");
    sub = argv[1];
    if (strcmp (sub, "validate") && strcmp (sub, "convert") && strcmp (sub, "summary"))
        eddy_cmd_usage_error (&cmd_jobspec, NULL, "unknown subcommand '%s'", sub);
    argc--;
    argv++;
    optind = 1;
    while ((c = eddy_opt_next (&cmd_jobspec, sub, 0, argc, argv)) != -1) {
        switch (c) {
        case 'l':
            if (!strcmp (optarg, "v1"))
                level = EDDY_JOBSPEC_V1;
            else if (!strcmp (optarg, "canonical"))
                level = EDDY_JOBSPEC_CANONICAL;
            else
                eddy_cmd_die ("jobspec", "--level must be v1 or canonical");
            level_given = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_jobspec, c);
        }
    }
    if (optind >= argc)
        eddy_cmd_usage_error (&cmd_jobspec, sub, "%s needs a jobspec FILE%s", sub,
                              strcmp (sub, "validate") ? "" : " (or several)");

    if (!strcmp (sub, "validate")) {
        for (int i = optind; i < argc; i++) {
            eddy_error_t err = {{0}};
            eddy_jobspec_t *js = load_file (argv[i], level, &err);
            if (!js) {
                eddy_cmd_error ("jobspec", "%s: %s", argv[i], err.text);
                rc = 1;
            } else
                printf ("%s: ok\n", argv[i]);
            eddy_jobspec_destroy (js);
        }
        return rc;
    }
    if (!strcmp (sub, "convert") || !strcmp (sub, "summary")) {
        bool convert = !strcmp (sub, "convert");
        eddy_error_t err = {{0}};
        eddy_jobspec_t *js;
        eddy_cmd_operands (&cmd_jobspec, sub, argc, argv, optind, 1, 1, NULL);
        /* converting and summarising accept canonical jobspec by default */
        if (!level_given)
            level = EDDY_JOBSPEC_CANONICAL;
        if (!(js = load_file (argv[optind], level, &err)))
            eddy_cmd_die ("jobspec", "%s: %s", argv[optind], err.text);
        if (convert) {
            char *s =
                json_dumps (eddy_jobspec_json (js), JSON_COMPACT | JSON_SORT_KEYS);
            if (!s)
                eddy_cmd_die ("jobspec", "out of memory");
            printf ("%s\n", s);
            free (s);
        } else {
            char dur[64];
            if (eddy_jobspec_summary_check (js, &err) < 0) {
                eddy_jobspec_destroy (js);
                eddy_cmd_die ("jobspec", "%s: %s", argv[optind], err.text);
            }
            format_duration (eddy_jobspec_duration (js), dur, sizeof (dur));
            printf ("nnodes=%d nslots=%d slot_size=%d slot_gpus=%d exclusive=%s "
                    "duration=%s ntasks=%d\n",
                    eddy_jobspec_nnodes (js), eddy_jobspec_nslots (js),
                    eddy_jobspec_cores_per_slot (js), eddy_jobspec_gpus_per_slot (js),
                    eddy_jobspec_exclusive (js) ? "true" : "false", dur,
                    eddy_jobspec_ntasks (js));
        }
        eddy_jobspec_destroy (js);
        return 0;
    }
    eddy_cmd_usage_error (&cmd_jobspec, NULL, "unknown subcommand '%s'", sub);
}

const struct eddy_cmd cmd_jobspec = {
    .name = "jobspec",
    .usage = "eddy jobspec validate [--level=v1|canonical] FILE...\n"
             "       eddy jobspec convert [--level=v1|canonical] FILE\n"
             "       eddy jobspec summary [--level=v1|canonical] FILE",
    .summary = "Validate, convert and summarise jobspec (RFC 14, RFC 25)",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_SUB ("validate convert summary",
                      "validate  check each FILE (YAML or JSON, - = stdin); prints\n"
                      "          'FILE: ok' or an error, exits 1 if any is invalid\n"
                      "convert   print FILE as canonical compact JSON (sorted keys)\n"
                      "summary   print the scheduler's view: nnodes nslots slot_size\n"
                      "          slot_gpus exclusive duration ntasks\n"),
        EDDY_OPT_ARG ("level", 'l', "LEVEL", "v1 (default for validate) or canonical (default for convert and summary)"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = run,
};
