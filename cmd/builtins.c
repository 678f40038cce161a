/* builtins.c - the table of eddy subcommands (one line each, sorted). */
#include <stddef.h>
#include "cmd/cmd.h"

extern const struct eddy_cmd cmd_help;
extern const struct eddy_cmd cmd_keygen;

const struct eddy_cmd *const eddy_cmds[] = {
    &cmd_help,
    &cmd_keygen,
    NULL,
};
