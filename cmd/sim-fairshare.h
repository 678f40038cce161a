/* sim-fairshare.h - fair share for eddy sim replay (--priority, --accounts):
 * an accounting database built from the trace's users and groups (or a
 * file), the job-archive's and the job manager's arguments.
 */
#ifndef EDDY_CMD_SIM_FAIRSHARE_H
#define EDDY_CMD_SIM_FAIRSHARE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"
#include "traces/swf.h"

struct sim_fairshare {
    char *dir;          /* a temporary directory holding the database */
    uint32_t *userids;  /* per job: its user (UINT32_MAX: the driver's own) */
    const char **banks; /* per job: its bank, or NULL (the user's default) */
    char **bank_names;  /* what banks points into */
    size_t nbank_names;
    json_t *archive;  /* job-archive's args */
    json_t *priority; /* the job manager's priority table */
};

/* Build it for n jobs: accounts (may be NULL: one bank per SWF group, 1
 * share each; each user of a group in it with 1 share, no limits) is a
 * file of lines "bank NAME SHARES [PARENT]" and "user SWF-USER BANK
 * [SHARES]" (# comments).  -1 + err on a bad file.
 */
int sim_fairshare_setup (struct sim_fairshare *fs,
                         const struct eddy_swf_job *jobs,
                         size_t n,
                         const char *accounts,
                         eddy_error_t *err);
void sim_fairshare_cleanup (struct sim_fairshare *fs);

#endif
