/* jobutil.h - what the job commands share: ids, waiting, output. */
#ifndef EDDY_CMD_JOBUTIL_H
#define EDDY_CMD_JOBUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/handle.h"

/* Parse a job id in any FLUID form, or exit with "eddy-CMD: ...". */
uint64_t jobutil_parse_id (const char *cmd, const char *s);

/* The F58 form of id (static buffer per call site: copy it to keep it). */
void jobutil_f58 (uint64_t id, char *buf, size_t len);

/* The exit code a command should pass on for a finished job, from the
 * job-manager.wait result: the task exit code, 128 + signal, or 1 for a
 * job that failed with an exception and no status.
 */
int jobutil_exit_code (json_t *result);

/* A whole file ("-" = stdin, at most 64 MiB), malloc'd; NULL + errno. */
char *jobutil_read_file (const char *path, size_t *lenp);

/* "eddy-CMD: JOB: exception TYPE[: NOTE]" on stderr (no colon when the note
 * is empty). */
void jobutil_print_exception (const char *cmd, const char *job, const json_t *exc);

/* Print the job's output as it arrives and wait for the job to end;
 * returns its exit code (as above).  Prints a line on stderr for a fatal
 * exception, as flux run does.
 */
int jobutil_attach (const char *cmd, eddy_handle_t *h, uint64_t id);

#endif /* !EDDY_CMD_JOBUTIL_H */
