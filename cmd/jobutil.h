/* jobutil.h - what the job commands share: ids, waiting, output. */
#ifndef EDDY_CMD_JOBUTIL_H
#define EDDY_CMD_JOBUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/handle.h"

/* Parse a job id in any FLUID form, or exit with "eddy-CMD: ...". */
uint64_t jobutil_parse_id (const char *cmd, const char *s);

/* -u USER: a name, a uid, or "all" (any case; -1); an unknown name exits
 * with "eddy-CMD: WHAT: unknown user 'NAME'".
 */
int jobutil_parse_user (const char *cmd, const char *what, const char *s);

/* The F58 form of id (static buffer per call site: copy it to keep it). */
void jobutil_f58 (uint64_t id, char *buf, size_t len);

/* The exit code a command should pass on for a finished job, from the
 * job-manager.wait result: the task exit code, 128 + signal, or 1 for a
 * job that failed with an exception and no status.
 */
int jobutil_exit_code (json_t *result);

/* A whole file ("-" = stdin, at most 64 MiB), malloc'd and NUL-terminated
 * (the NUL not counted in *lenp); NULL + errno. */
char *jobutil_read_file (const char *path, size_t *lenp);

/* "eddy-CMD: JOB: exception TYPE[: NOTE]" on stderr (no colon when the note
 * is empty). */
void jobutil_print_exception (const char *cmd, const char *job, const json_t *exc);

/* Print the job's output as it arrives and wait for the job to end;
 * returns its exit code (as above).  Prints a line on stderr for a fatal
 * exception, as flux run does.
 */
int jobutil_attach (const char *cmd, eddy_handle_t *h, uint64_t id);

/* As jobutil_attach, and feed the job's stdin from io->fd (-1: none) as
 * exec.stdin requests to rank 0 (docs/protocols.md): at most
 * JOBUTIL_STDIN_WINDOW chunks of JOBUTIL_STDIN_CHUNK bytes unanswered (one
 * until the job took the first), EOF sent as such.  With io->pty and a
 * terminal on io->fd, the terminal is put in raw mode (restored at exit,
 * also on a fatal signal) and its size is sent at start and on SIGWINCH.
 */
#define JOBUTIL_STDIN_CHUNK 65536
#define JOBUTIL_STDIN_WINDOW 4
struct jobutil_io {
    int fd;
    bool pty;
};
int jobutil_attach_io (const char *cmd, eddy_handle_t *h, uint64_t id, const struct jobutil_io *io);

/* Make sure descriptor 0 is open before anything else opens one (a
 * closed stdin, <&-, becomes /dev/null: the job reads EOF), so that the
 * broker's connection is never taken for stdin.  Call it first.
 */
void jobutil_stdin_guard (void);

/* Signing a submission (engine/util/sign.h).  jobutil_sign_open () asks
 * job-ingest how to sign (job-ingest.sign-info: the default type and
 * munged's socket); jobutil_sign () returns J for the jobspec's canonical
 * bytes (compact JSON, keys sorted: what job-ingest compares), or NULL
 * when the instance signs with "none" (an unsigned submission: the
 * connection's credentials say who submits).  Either dies with the
 * signing library's message ("cannot connect to munged at PATH (is munged
 * running?)").  EDDY_SIGN_TYPE, if set, overrides the default type.
 */
struct eddy_sign_conf;
struct eddy_sign_conf *jobutil_sign_open (const char *cmd, eddy_handle_t *h);
char *jobutil_sign (const char *cmd, const struct eddy_sign_conf *conf, json_t *jobspec);

#endif /* !EDDY_CMD_JOBUTIL_H */
