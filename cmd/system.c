/* system.c - the system instance's well-known paths (system.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/system.h"

const char *eddy_system_rundir (void)
{
    const char *s = getenv ("EDDY_SYSTEM_RUNDIR");
    return s && *s ? s : EDDY_SYSTEM_RUNDIR;
}

char *eddy_system_uri (void)
{
    char *uri;
    if (asprintf (&uri, "local://%s/local", eddy_system_rundir ()) < 0)
        return NULL;
    return uri;
}
