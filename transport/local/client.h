/* client.h - the client side of the local connector: a handle on an
 * AF_UNIX connection to a broker (local://PATH), for command-line tools.
 */
#ifndef EDDY_TRANSPORT_LOCAL_CLIENT_H
#define EDDY_TRANSPORT_LOCAL_CLIENT_H

#include "engine/error.h"
#include "engine/handle.h"
#include "engine/reactor.h"

/* Open and close
 *
 * eddy_open () connects to uri, "local:///absolute/path", or to $EDDY_URI
 * when uri is NULL, on a libev reactor of its own (eddy_handle_reactor ()
 * returns it).  NULL + errno and a message in err on failure: EINVAL for a
 * missing or malformed URI (err: "EDDY_URI is not set: run inside 'eddy
 * start'", or what is wrong with it), ENAMETOOLONG, or the errno of
 * connect () (ENOENT, ECONNREFUSED, EACCES...).
 *
 * eddy_close () destroys the handle, its connection and its reactor (so
 * does eddy_handle_destroy ()).  Outstanding futures must be destroyed
 * first.  NULL is a no-op; errno is kept.
 *
 * Sending never blocks: frames wait in an output queue drained as the
 * socket accepts them, so thousands of pipelined requests cannot deadlock
 * against the broker's responses.
 *
 * Losing the broker (end of file, a socket error, or a frame that does not
 * decode) fails every outstanding RPC with ECONNRESET, as an error
 * response delivered to the handle on the next reactor iteration
 * (eddy_rpc_get () returns -1, continuations run), the request whose
 * send found the loss included; later sends fail with ECONNRESET; a
 * broker that refused the connection ("local.refused", server.h) gives
 * its errnum and reason instead of ECONNRESET; and a reactor created by eddy_open () is stopped with
 * eddy_reactor_stop_error (), so eddy_reactor_run () returns -1.
 */
eddy_handle_t *eddy_open (const char *uri, eddy_error_t *err);
void eddy_close (eddy_handle_t *h);

/* The same on a reactor the caller owns (and keeps: closing the handle
 * does not destroy it, and a lost connection does not stop it).  path is
 * the socket path itself, not a URI.
 */
eddy_handle_t *
eddy_local_connect (eddy_reactor_t *r, const char *path, eddy_error_t *err);

/* eddy_open () over a stream already connected to a broker's local
 * socket through something else (fd: one end of a socketpair whose other
 * end a relay, e.g. `ssh HOST eddy relay PATH`, copies to and from the
 * socket).  The handle owns fd and a reactor of its own.  name is for
 * messages. */
eddy_handle_t *eddy_local_connect_fd (int fd, const char *name, eddy_error_t *err);

/* True once the connection to the broker is lost. */
bool eddy_local_is_lost (eddy_handle_t *h);

#endif /* !EDDY_TRANSPORT_LOCAL_CLIENT_H */
