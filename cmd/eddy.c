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
    if (argc > 2)
        eddy_cmd_usage (&cmd_help, true);
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
        fprintf (stderr, "eddy: unknown command '%s'; try 'eddy help'\n", argv[1]);
        return 1;
    }
    return cmd->run (argc - 1, argv + 1);
}
