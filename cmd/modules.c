/* modules.c - the table of statically linked broker modules. */
#include <stddef.h>

#include "cmd/modules.h"
#include "sched/sched.h"

const struct eddy_module *const eddy_builtin_modules[] = {
    &eddy_module_heartbeat,
    &eddy_module_resource,
    &eddy_module_sched,
    NULL,
};
