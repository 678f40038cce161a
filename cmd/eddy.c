#include "config.h"
/* eddy.c - the eddy front end: `eddy CMD [ARGS...]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

static int help_run (int argc, char **argv);

const struct eddy_cmd cmd_help = {
    .name = "help",
    .usage = "eddy help [COMMAND]",
    .summary = "List eddy's commands, or show one command's usage.",
    .run = help_run,
};

static void list_commands (FILE *f)
{
    fprintf (f, "Usage: eddy COMMAND [ARGS...]\n\nCommands:\n");
    for (int i = 0; eddy_cmds[i]; i++)
        fprintf (f, "  %-10s %s\n", eddy_cmds[i]->name, eddy_cmds[i]->summary);
    fprintf (f, "\nRun 'eddy COMMAND --help' for a command's options.\n");
}

static int help_run (int argc, char **argv)
{
    eddy_cmd_operands (&cmd_help, NULL, argc, argv, 1, 0, 1, NULL);
    if (argc == 2 && (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")))
        eddy_cmd_usage (&cmd_help, false);
    if (argc == 2) {
        const struct eddy_cmd *cmd = eddy_cmd_lookup (argv[1]);
        if (!cmd)
            eddy_cmd_die ("help", "unknown command '%s'", argv[1]);
        eddy_cmd_usage (cmd, false);
    }
    list_commands (stdout);
    return 0;
}

/* Edit distance (insert, delete, substitute), for "did you mean". */
static size_t distance (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The command nearest to name (a prefix of one, or at most 2 edits). */
static const char *nearest_command (const char *name)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; eddy_cmds[i]; i++) {
        const char *c = eddy_cmds[i]->name;
        size_t d = strncmp (c, name, strlen (name)) == 0 && strlen (name) >= 2 ? 1 : distance (name, c);
        if (d < bestd) {
            bestd = d;
            best = c;
        }
    }
    return best;
}

int main (int argc, char **argv)
{
    const struct eddy_cmd *cmd;

    if (argc < 2) {
        list_commands (stderr);
        return 1;
    }
    if (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))
        return help_run (1, argv);
    if (!strcmp (argv[1], "--version")) {
        printf ("eddy %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!(cmd = eddy_cmd_lookup (argv[1]))) {
        const char *near = nearest_command (argv[1]);
        if (near)
            fprintf (stderr, "eddy: unknown command '%s': did you mean '%s'? (eddy help lists them)\n",
                     argv[1], near);
        else
            fprintf (stderr, "eddy: unknown command '%s'; try 'eddy help'\n", argv[1]);
        return 1;
    }
    return cmd->run (argc - 1, argv + 1);
}
