/* nest.h - what a nested instance learns from the instance it runs in:
 * the R of the job whose tasks its brokers are (renumbered so that the
 * k-th rank of the allocation is the child's rank k, the broker that task
 * k starts) and the job's batch script.  Used by `eddy start` under PMI.
 */
#ifndef EDDY_CMD_NEST_H
#define EDDY_CMD_NEST_H

#include <jansson.h>

#include "engine/error.h"
#include "engine/util/sign.h"
#include "sched/renumber.h"

/* eddy_nest_renumber_R (): sched/renumber.h */

/* From the parent at uri, job id (any FLUID form): its R, renumbered
 * (*R, the caller's), and if script is not NULL its batch script
 * (attributes.system.batch.script, malloc'd, or NULL when the job has
 * none).  With verify (a parent this user does not trust), the script
 * is the one in the job's signed jobspec J (job.ID.J), unwrapped with
 * verify and signed by this process's user; the parent's copy of the
 * jobspec is not read.  0, or -1 with errno and err ("job ID: R: ...",
 * "job ID: J: ...": no J, a bad one, another user's: EPERM).
 */
int eddy_nest_fetch (const char *uri, const char *id, json_t **R, char **script,
                     const struct eddy_sign_conf *verify, eddy_error_t *err);

#endif /* !EDDY_CMD_NEST_H */
