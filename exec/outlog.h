/* outlog.h - the coordinator's writer of jobs' output eventlogs
 * (job.<dothex>.output in the KVS): every entry added in one reactor
 * iteration, for every job, goes in one KVS commit.  Private to exec/.
 */
#ifndef EDDY_EXEC_OUTLOG_H
#define EDDY_EXEC_OUTLOG_H

#include <jansson.h>
#include <stdint.h>

#include "engine/handle.h"

struct outlog;

/* Called once the commit holding a job's eof entries is done (or failed:
 * output is best effort, a failure is logged once).
 */
typedef void (*outlog_done_f) (void *arg);

/* Create and destroy.  destroy drops pending entries and never calls a
 * done callback.  NULL + ENOMEM.
 */
struct outlog *outlog_create (eddy_handle_t *h);
void outlog_destroy (struct outlog *o);

/* Entries for job id, timestamped with eddy_reactor_now ():
 * header: {"version":1, "encoding":{"stdout":"UTF-8","stderr":"UTF-8"},
 *   "count":{"stdout":ntasks,"stderr":ntasks}, "options":{}} (as Flux);
 * data: one per element of entries (contexts from exec.launch, borrowed);
 * close: one eof per stream {"stream":S,"rank":ranks}, then done (arg)
 *   once that commit completes.
 * 0, or -1 + errno (EINVAL, ENOMEM).
 */
int outlog_header (struct outlog *o, uint64_t id, int ntasks);
int outlog_data (struct outlog *o, uint64_t id, json_t *entries);
int outlog_close (struct outlog *o, uint64_t id, const char *ranks, outlog_done_f done, void *arg);

#endif /* !EDDY_EXEC_OUTLOG_H */
