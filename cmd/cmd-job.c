/* cmd-job.c - `eddy job SUBCOMMAND`: job utilities.  Subcommands are rows
 * of a table so that cancel, info, ... can join `id` here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/util/fluid.h"

static int job_run (int argc, char **argv);
static int job_id (int argc, char **argv);

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
    {NULL, NULL, NULL, NULL},
};

const struct eddy_cmd cmd_job = {
    .name = "job",
    .usage = "eddy job SUBCOMMAND [OPTIONS] [ARGS...]",
    .summary = "Job utilities (id).",
    .help = "Subcommands:\n"
            "  id [--to=FORM] [ID...]  convert job ids; any form is accepted on\n"
            "                          input; FORM is dec (default), hex, dothex,\n"
            "                          kvs, f58, f58plain or emoji.  With no ID,\n"
            "                          ids are read from standard input.\n",
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
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    eddy_fluid_type_t to = EDDY_FLUID_DEC;
    int c;
    optind = 1;
    while ((c = getopt_long (argc, argv, "t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            to = eddy_fluid_type_lookup (optarg);
            if (!to || to == EDDY_FLUID_WORDS)
                eddy_cmd_die ("job", "unknown id form '%s'", optarg);
            break;
        case 'h':
            printf ("Usage: %s\n%s\n", subcmds[0].usage, subcmds[0].summary);
            exit (0);
        default:
            fprintf (stderr, "Usage: %s\n", subcmds[0].usage);
            exit (1);
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
    if (argc < 2)
        eddy_cmd_usage (&cmd_job, true);
    if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))
        eddy_cmd_usage (&cmd_job, false);
    for (const struct job_subcmd *s = subcmds; s->name; s++)
        if (!strcmp (s->name, argv[1]))
            return s->run (argc - 1, argv + 1);
    eddy_cmd_die ("job", "unknown subcommand '%s'", argv[1]);
}
