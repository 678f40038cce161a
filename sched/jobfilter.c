/* jobfilter.c - state, group and result names to a mask (jobfilter.h). */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sched/jobfilter.h"

static const struct {
    const char *name;
    int mask;
} words[] = {
    { "depend", EDDY_JOBF_DEPEND },       { "priority", EDDY_JOBF_PRIORITY },
    { "sched", EDDY_JOBF_SCHED },         { "run", EDDY_JOBF_RUN },
    { "cleanup", EDDY_JOBF_CLEANUP },     { "inactive", EDDY_JOBF_INACTIVE },
    { "pending", EDDY_JOBF_PENDING },     { "running", EDDY_JOBF_RUNNING },
    { "active", EDDY_JOBF_ACTIVE },       { "all", EDDY_JOBF_ALL },
    { "completed", EDDY_JOBF_COMPLETED }, { "failed", EDDY_JOBF_FAILED },
    { "canceled", EDDY_JOBF_CANCELED },   { "timeout", EDDY_JOBF_TIMEOUT },
};

#define NWORDS (sizeof (words) / sizeof (words[0]))

int eddy_jobfilter_parse (const char *s, eddy_error_t *err)
{
    int mask = 0;

    if (!s || !*s) {
        eddy_error_set (err, "no job state given");
        errno = EINVAL;
        return -1;
    }
    for (const char *p = s;;) {
        size_t len = strcspn (p, ",");
        size_t i;
        for (i = 0; i < NWORDS; i++)
            if (strlen (words[i].name) == len && !strncasecmp (words[i].name, p, len))
                break;
        if (i == NWORDS) {
            if (len == 0)
                eddy_error_set (err, "'%s': an empty state name", s);
            else
                eddy_error_set (err, "'%.*s' is not a job state (depend, priority, sched, run, "
                                     "cleanup, inactive; pending, running, active, all; "
                                     "completed, failed, canceled, timeout)",
                                (int)len, p);
            errno = EINVAL;
            return -1;
        }
        mask |= words[i].mask;
        if (p[len] == '\0')
            return mask;
        p += len + 1;
    }
}

int eddy_jobfilter_bit (const char *state, const char *result)
{
    static const char *const states[] = { "DEPEND", "PRIORITY", "SCHED", "RUN", "CLEANUP" };
    static const char *const results[] = { "COMPLETED", "FAILED", "CANCELED", "TIMEOUT" };

    if (!state)
        return 0;
    for (int i = 0; i < 5; i++)
        if (!strcmp (state, states[i]))
            return EDDY_JOBF_DEPEND << i;
    if (strcmp (state, "INACTIVE") != 0 || !result)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!strcmp (result, results[i]))
            return EDDY_JOBF_COMPLETED << i;
    return 0;
}
