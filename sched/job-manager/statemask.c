/* statemask.c - job state names and groups to a mask (statemask.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched/job-manager/statemask.h"

static const struct {
    const char *name;
    int mask;
} names[] = {
    { "depend", 0x01 },  { "priority", 0x02 },  { "sched", 0x04 },
    { "run", 0x08 },     { "cleanup", 0x10 },   { "inactive", JOB_MASK_INACTIVE },
    { "pending", JOB_MASK_PENDING }, { "running", JOB_MASK_RUNNING },
    { "active", JOB_MASK_ACTIVE },
};

int jobmgr_statemask_parse (const char *s, eddy_error_t *err)
{
    int mask = 0;
    const char *p = s;

    if (!s || !*s) {
        eddy_error_set (err, "no job state given");
        errno = EINVAL;
        return -1;
    }
    while (*p) {
        size_t len = strcspn (p, ",");
        size_t i;
        for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
            if (strlen (names[i].name) == len && !strncasecmp (names[i].name, p, len))
                break;
        if (i == sizeof (names) / sizeof (names[0])) {
            eddy_error_set (err, "'%.*s' is not a job state (depend, priority, sched, run, "
                            "cleanup, inactive, pending, running, active)", (int)len, p);
            errno = EINVAL;
            return -1;
        }
        mask |= names[i].mask;
        p += len;
        if (*p == ',' && *++p == '\0') {
            eddy_error_set (err, "'%s': a state list cannot end with a comma", s);
            errno = EINVAL;
            return -1;
        }
    }
    return mask;
}
