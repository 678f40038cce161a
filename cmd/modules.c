/* modules.c - the table of statically linked broker modules. */
#include <stddef.h>

#include "cmd/modules.h"
#include "exec/exec.h"

const struct eddy_module *const eddy_builtin_modules[] = {
    &eddy_module_heartbeat,
    &eddy_module_exec,
    NULL,
};
