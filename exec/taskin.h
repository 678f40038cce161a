/* taskin.h - a job's stdin on one rank: the chunks exec.input requests
 * carry, written without blocking to the stdin of the rank's tasks that
 * take it (pipes, or a pty's master), each request answered once every
 * one of those tasks took it.  What waits is bounded: a request past
 * EDDY_TASKIN_MAX queued bytes is refused (EAGAIN), so a fast client
 * cannot grow the broker.  The process must ignore SIGPIPE (eddy-broker
 * does): a task that closed its stdin makes a write EPIPE.  Private to
 * exec/ (shell.c).
 */
#ifndef EDDY_EXEC_TASKIN_H
#define EDDY_EXEC_TASKIN_H

#include <stdbool.h>

#include "engine/handle.h"
#include "engine/reactor.h"

struct taskin;

/* Bytes a job's stdin may hold queued on a rank (decoded). */
#define EDDY_TASKIN_MAX (1u << 20)

/* Create and destroy
 *
 * create () takes the n descriptors (each task's write end; set
 * non-blocking here; closed by destroy or at the stream's end).  With tty
 * there is one, a pty's master (a copy: the shell reads output from
 * another): EOF is the terminal's EOF character, not a close, and a
 * winsize is applied to it.  NULL + errno (ENOMEM, EINVAL); the
 * descriptors are then the caller's still.  destroy () answers what
 * waits with EPIPE; destroy (NULL) is a no-op.
 */
struct taskin *
taskin_create (eddy_handle_t *h, eddy_reactor_t *r, int n, const int *fds, bool tty);
void taskin_destroy (struct taskin *in);

/* An exec.input request (see docs/protocols.md): {id, data?: BASE64,
 * eof?: bool, winsize?: {rows, cols}}.  Answered {} once written to every
 * descriptor still open, EPIPE when none is (the tasks closed their stdin
 * or exited, or EOF came before), EAGAIN when the queue is full, EPROTO
 * when malformed.  The request is referenced until answered.
 */
void taskin_request (struct taskin *in, const eddy_msg_t *msg);

/* Whether any descriptor is still open (a task may still read). */
bool taskin_open (const struct taskin *in);

#endif /* !EDDY_EXEC_TASKIN_H */
