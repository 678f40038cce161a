/* modules.c - the table of statically linked broker modules. */
#include <stddef.h>

#include "cmd/modules.h"
#include "exec/exec.h"
#include "kvs/content.h"
#include "kvs/kvs_module.h"

const struct eddy_module *const eddy_builtin_modules[] = {
    &eddy_module_heartbeat,
    &eddy_module_content,
    &eddy_module_kvs,
    &eddy_module_exec,
    NULL,
};
