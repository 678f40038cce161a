/* modules.h - the modules linked into eddy-broker and the simulator. */
#ifndef EDDY_CMD_MODULES_H
#define EDDY_CMD_MODULES_H

#include "engine/broker/broker.h"

extern const struct eddy_module *const eddy_builtin_modules[];

#endif /* !EDDY_CMD_MODULES_H */
