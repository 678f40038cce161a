/* builtins.c - the table of eddy subcommands (one line each, sorted). */
#include <stddef.h>
#include "cmd/cmd.h"

extern const struct eddy_cmd cmd_config;
extern const struct eddy_cmd cmd_help;
extern const struct eddy_cmd cmd_hostlist;
extern const struct eddy_cmd cmd_idset;
extern const struct eddy_cmd cmd_job;
extern const struct eddy_cmd cmd_jobspec;
extern const struct eddy_cmd cmd_R;
extern const struct eddy_cmd cmd_sim;

const struct eddy_cmd *const eddy_cmds[] = {
    &cmd_config,
    &cmd_help,
    &cmd_hostlist,
    &cmd_idset,
    &cmd_job,
    &cmd_jobspec,
    &cmd_R,
    &cmd_sim,
    NULL,
};
