/* pmi_job.h - the PMI-1 service of one job on one rank, in the broker:
 * a socketpair per task (the task's end becomes its PMI_FD), the wire
 * protocol through exec/pmi.h, and the job-wide exchange of exec/pmi_xchg.h
 * carried as exec.pmi requests between the exec modules of the job's
 * ranks.  Everything is non-blocking: fd watchers for the tasks, futures
 * for the exchange.  Private to exec/ (shell.c).  docs/protocols.md
 * ("exec.pmi") says why the server lives here and not in eddy-shell.
 */
#ifndef EDDY_EXEC_PMI_JOB_H
#define EDDY_EXEC_PMI_JOB_H

#include <stdint.h>
#include <jansson.h>

#include "engine/msg.h"
#include "exec/exec_impl.h"

/* The descriptor number a task finds its PMI connection on (PMI_FD). */
#define PMI_JOB_TASK_FD 3
#define PMI_JOB_TASK_FD_STR "3"

struct pmi_job;

/* The PMI service of job id on this rank for tasks [base, base + ntasks)
 * of size.  spec is exec.launch's "pmi" object, {ranks: IDSET (the job's
 * ranks, in task order), map?: PMI_process_mapping}.  req is the
 * exec.launch stream (borrowed: it must outlive the object), on which a
 * broken or aborting client raises {type: "exception", note} once.  On
 * success task_fds[i] is task i's end of its socketpair (close-on-exec,
 * blocking; the caller passes it on and closes it).  NULL + errno
 * (EINVAL: a malformed spec, this rank not in it; ENOMEM; a socketpair's)
 * with errbuf saying why.
 */
struct pmi_job *pmi_job_create (struct exec_ctx *ctx, uint64_t id, const eddy_msg_t *req,
                                json_t *spec, int base, int ntasks, int size, int *task_fds,
                                char *errbuf, size_t errlen);
/* The tasks' connections close; requests held for the exchange are
 * answered with an error.
 */
void pmi_job_destroy (struct pmi_job *pj);

/* An exec.pmi request for this job {id, seq, from, kvs} (a child rank's
 * part of a barrier): held until the exchange answers it.
 */
void pmi_job_request (struct pmi_job *pj, const eddy_msg_t *msg);

#endif /* !EDDY_EXEC_PMI_JOB_H */
