/* builtins.c - the table of eddy subcommands (one line each, sorted). */
#include <stddef.h>
#include "cmd/cmd.h"

extern const struct eddy_cmd cmd_account;
extern const struct eddy_cmd cmd_alloc;
extern const struct eddy_cmd cmd_batch;
extern const struct eddy_cmd cmd_config;
extern const struct eddy_cmd cmd_content;
extern const struct eddy_cmd cmd_cron;
extern const struct eddy_cmd cmd_dmesg;
extern const struct eddy_cmd cmd_env;
extern const struct eddy_cmd cmd_event;
extern const struct eddy_cmd cmd_exec;
extern const struct eddy_cmd cmd_getattr;
extern const struct eddy_cmd cmd_help;
extern const struct eddy_cmd cmd_hostlist;
extern const struct eddy_cmd cmd_hwloc;
extern const struct eddy_cmd cmd_idset;
extern const struct eddy_cmd cmd_job;
extern const struct eddy_cmd cmd_jobs;
extern const struct eddy_cmd cmd_jobspec;
extern const struct eddy_cmd cmd_keygen;
extern const struct eddy_cmd cmd_kvs;
extern const struct eddy_cmd cmd_logger;
extern const struct eddy_cmd cmd_lsattr;
extern const struct eddy_cmd cmd_module;
extern const struct eddy_cmd cmd_overlay;
extern const struct eddy_cmd cmd_ping;
extern const struct eddy_cmd cmd_perilog_run;
extern const struct eddy_cmd cmd_proxy;
extern const struct eddy_cmd cmd_ps;
extern const struct eddy_cmd cmd_queue;
extern const struct eddy_cmd cmd_R;
extern const struct eddy_cmd cmd_relay;
extern const struct eddy_cmd cmd_resource;
extern const struct eddy_cmd cmd_run;
extern const struct eddy_cmd cmd_setattr;
extern const struct eddy_cmd cmd_shutdown;
extern const struct eddy_cmd cmd_sim;
extern const struct eddy_cmd cmd_start;
extern const struct eddy_cmd cmd_submit;
extern const struct eddy_cmd cmd_version;

const struct eddy_cmd *const eddy_cmds[] = {
    &cmd_account,
    &cmd_alloc,
    &cmd_batch,
    &cmd_config,
    &cmd_content,
    &cmd_cron,
    &cmd_dmesg,
    &cmd_env,
    &cmd_event,
    &cmd_exec,
    &cmd_getattr,
    &cmd_help,
    &cmd_hostlist,
    &cmd_hwloc,
    &cmd_idset,
    &cmd_job,
    &cmd_jobs,
    &cmd_jobspec,
    &cmd_keygen,
    &cmd_kvs,
    &cmd_logger,
    &cmd_lsattr,
    &cmd_module,
    &cmd_overlay,
    &cmd_ping,
    &cmd_perilog_run,
    &cmd_proxy,
    &cmd_ps,
    &cmd_queue,
    &cmd_R,
    &cmd_relay,
    &cmd_resource,
    &cmd_run,
    &cmd_setattr,
    &cmd_shutdown,
    &cmd_sim,
    &cmd_start,
    &cmd_submit,
    &cmd_version,
    NULL,
};
