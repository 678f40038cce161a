/* modules.c - the table of statically linked broker modules. */
#include <stddef.h>

#include "cmd/modules.h"
#include "exec/exec.h"
#include "kvs/content.h"
#include "kvs/kvs_module.h"
#include "sched/modules.h"
#include "sched/sched.h"
#include "sim/feed.h"

const struct eddy_module *const eddy_builtin_modules[] = {
    &eddy_module_heartbeat,
    &eddy_module_content,
    &eddy_module_kvs,
    &eddy_module_exec,
    &eddy_module_rexec,
    &eddy_module_resource,
    &eddy_module_sched,
    &eddy_module_job_manager,
    &eddy_module_job_ingest,
    &eddy_module_job_list,
    &eddy_module_job_archive,
    &eddy_module_cron,
    &eddy_module_feed,
    NULL,
};
