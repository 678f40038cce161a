/* contain.h - what must not outlive a job: a record per running job on
 * this rank (a small file in a directory the broker owns, naming the
 * job's guard, its tasks and its cgroup, each pid with its start time),
 * so that a broker started again kills whatever its predecessor left
 * running; and, where the machine lets the broker make one, a cgroup v2
 * per job, which holds every process of the job whatever session or
 * group it moves to.  Private to exec/ (shell.c).
 */
#ifndef EDDY_EXEC_CONTAIN_H
#define EDDY_EXEC_CONTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct exec_ctx;
struct contain;
struct contain_job;

/* ---- the rank's containment ----
 *
 * contain_create looks for a cgroup v2 hierarchy where the broker may make
 * child cgroups of its own cgroup (it makes and removes a probe); when
 * there is none it logs one info line and jobs are contained by their
 * process group (and their guard) only.  NULL and errno on ENOMEM.
 *
 * contain_set_dir names the directory for records (made, one level, if
 * missing) once the broker says which it is.  Every record already there
 * is a previous broker's on this rank: what it lists that is still alive
 * (pid and start time both match; a record of another boot lists nothing
 * alive) is killed, its cgroup too, and the record removed; each such job
 * is logged.  Jobs started before the directory was known get their
 * records then.  -1 and errno if the directory cannot be made (nothing
 * will be recorded; logged).
 *
 * contain_destroy frees everything; records of jobs whose end was not yet
 * seen stay for the next start to sweep.
 */
struct contain *contain_create (struct exec_ctx *ctx);
int contain_set_dir (struct contain *c, const char *dir);
void contain_destroy (struct contain *c);
/* The cgroup directory jobs go under, or NULL (tests and logs). */
const char *contain_cgroup_base (const struct contain *c);

/* ---- one job's processes ----
 *
 * contain_job_create, before the guard is started: the job's record is
 * written (if the directory is known) and then its cgroup made (only if
 * the record names it).  NULL and errno on ENOMEM only: a job that cannot
 * be recorded or get a cgroup still runs, contained by its guard.
 * contain_job_cgroup is the directory the guard must join, or NULL.
 * contain_job_guard and contain_job_task add a started pid to the record.
 *
 * contain_job_end, once the guard has been reaped (or never started):
 * clean says the guard exited by itself after killing the job (its normal
 * end); otherwise every recorded task still alive and its process group
 * are killed.  The cgroup is killed in any case and removed (retried on a
 * timer while processes are still dying), then the record.  Takes cj.
 */
struct contain_job *contain_job_create (struct contain *c, uint64_t id);
const char *contain_job_cgroup (const struct contain_job *cj);
void contain_job_guard (struct contain_job *cj, pid_t pid);
void contain_job_task (struct contain_job *cj, pid_t pid);
void contain_job_end (struct contain_job *cj, bool clean);

/* ---- parsing (untrusted text) ---- */

/* The start time (field 22, clock ticks since boot) in the text of
 * /proc/PID/stat.  0 if malformed.
 */
unsigned long long contain_stat_starttime (const char *text, size_t len);

struct contain_pid {
    pid_t pid;
    unsigned long long start;
};

/* A record as read back: lines "eddy-exec-record 1", "boot ID", "job N",
 * "cgroup PATH", "guard PID START", "task PID START"; unknown lines are
 * skipped, and so is a last line without its newline (its writer died
 * mid-line).  The first line must be the version.  Returns 0, or -1
 * (EINVAL) when it is not a record; rec's arrays are malloc'd (free them
 * with contain_record_clear).
 */
struct contain_record {
    char boot[40];
    uint64_t id;
    char *cgroup;
    struct contain_pid guard;
    struct contain_pid *tasks;
    int ntasks;
};
int contain_record_parse (const char *text, size_t len, struct contain_record *rec);
void contain_record_clear (struct contain_record *rec);

#endif /* !EDDY_EXEC_CONTAIN_H */
