/* exec.h - the exec module: job execution for the job manager.
 *
 * Loaded on every rank.  Rank 0 coordinates each job (exec.start,
 * exec.kill, time limits); every rank acts as the job shell for its part
 * of a job with the real backend (exec.launch, exec.signal): a guard
 * process per job (exec/guard.h) forks the tasks and kills whatever is
 * left of the job when it ends or the broker dies; the module reads the
 * tasks' output through pipes and their statuses from the guard.  Jobs of the sim backend, and any job whose jobspec sets
 * attributes.system.exec.test.run_duration, run no process: they finish
 * on a reactor timer, in virtual time in the simulator; such a job with
 * attributes.system.exec.test.nest runs a nested virtual instance instead
 * (through the reactor's nest seam, engine/nest.h: the simulator's only).
 * The protocol is in docs/protocols.md ("exec").
 *
 * Module args (a JSON object, all optional):
 *   backend          "real" (default) or "sim"; "real" needs the libev
 *                    reactor (file descriptors), so a simulator refuses it
 *   kill_timeout     seconds between SIGTERM and SIGKILL when a time limit
 *                    expires or a job is canceled (default 5, else
 *                    [exec] kill-timeout)
 *   test_time_limit  false: jobs without processes ignore their time limit
 *                    and always run for run_duration (trace replays, where
 *                    a job may run past its requested time); default true
 */
#ifndef EDDY_EXEC_H
#define EDDY_EXEC_H

#include "engine/broker/broker.h"

extern const struct eddy_module eddy_module_exec;
extern const struct eddy_module eddy_module_rexec; /* exec/rexec.c: commands for the owner */

#endif /* !EDDY_EXEC_H */
