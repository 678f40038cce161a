/* modules.c - the table of statically linked broker modules. */
#include <stddef.h>

#include "cmd/modules.h"

const struct eddy_module *const eddy_builtin_modules[] = {
    &eddy_module_heartbeat,
    NULL,
};
