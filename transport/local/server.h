/* server.h - the broker side of the local connector: command-line clients
 * on an AF_UNIX stream socket (local://PATH), each a numbered connection
 * whose messages carry the credentials of the peer process.
 */
#ifndef EDDY_TRANSPORT_LOCAL_SERVER_H
#define EDDY_TRANSPORT_LOCAL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/error.h"
#include "engine/reactor.h"
#include "engine/transport.h"

typedef struct eddy_local_server eddy_local_server_t;

/* Create and destroy
 *
 * eddy_local_server_create () listens on `path` (mode 0600: only the
 * instance owner may connect until eddy_local_server_chmod () opens it).
 * A leftover socket file nobody listens on is replaced; a live one gives
 * EADDRINUSE.  Messages are read on r (a libev reactor: ENOSYS in the
 * simulator) and reported through cb (copied) with arg.  -1/NULL + errno
 * and err on failure: EINVAL (bad argument), ENAMETOOLONG (path too long
 * for sun_path), EADDRINUSE, or the errno of socket (), bind (), listen ().
 *
 * Per connection: connid counts up from 1 and is never reused by one
 * server; every received message gets credentials from SO_PEERCRED
 * (userid = uid; rolemask OWNER if uid is the server's effective uid, or
 * 0 when allow_root_owner is set, else USER), overriding whatever the
 * client wrote in the frame.  A guest (USER) is refused at accept unless
 * allow_guest is set: it is sent one EDDY_MSGTYPE_CONTROL message
 * "local.refused" carrying EPERM and the reason, then closed (the client
 * fails its RPCs with that text).  A frame longer than
 * EDDY_LOCAL_FRAME_MAX, an undecodable frame, a frame of another wire
 * version, or an output queue over its limit closes that connection with
 * a cb->log line; cb->disconnected then reports it (on a later reactor
 * iteration, never from inside an ops call).  End of file or a socket
 * error is reported the same way.  A connection closed by
 * eddy_local_server_ops.disconnect is not reported.
 *
 * eddy_local_server_destroy () closes every connection (no callbacks) and
 * unlinks the socket path.  NULL is a no-op; errno is kept.  The server
 * must not be destroyed from inside one of its callbacks.
 */
eddy_local_server_t *eddy_local_server_create (eddy_reactor_t *r,
                                               const char *path,
                                               const struct eddy_connector_cb *cb,
                                               void *arg,
                                               eddy_error_t *err);
void eddy_local_server_destroy (eddy_local_server_t *s);

/* Settings
 *
 * chmod: the socket file's mode (e.g. 0777 for a multi-user instance whose
 * access control is the rolemask).  -1 + errno from chmod () on failure.
 * set_access: whether guests may connect and whether root is an owner
 * (both false by default; applies to connections accepted later).
 * set_outq_max: the per-connection output queue limit in bytes (default
 * 64 MiB); set_user_outq_max: the limit over all connections of one uid
 * (default 256 MiB); set_total_outq_max: over all connections (default
 * 1 GiB).  A send past its connection's limit closes that connection;
 * past the uid's or the total, the connection of that uid (or of anyone)
 * with the most output queued is closed, until the frame fits or the
 * connection sent to is the one closed; each with a log line naming the
 * limit.
 * set_wire_version: the version encoded and expected (default
 * EDDY_WIRE_VERSION; tests use it to exercise the refusal).
 */
int eddy_local_server_chmod (eddy_local_server_t *s, mode_t mode, eddy_error_t *err);
void eddy_local_server_set_access (eddy_local_server_t *s,
                                   bool allow_guest,
                                   bool allow_root_owner);
void eddy_local_server_set_outq_max (eddy_local_server_t *s, size_t bytes);
void eddy_local_server_set_user_outq_max (eddy_local_server_t *s, size_t bytes);
void eddy_local_server_set_total_outq_max (eddy_local_server_t *s, size_t bytes);
void eddy_local_server_set_wire_version (eddy_local_server_t *s, int version);

/* Whose uid is the owner (default the effective uid): tests use it to be
 * a guest of their own server.
 */
void eddy_local_server_set_owner (eddy_local_server_t *s, uid_t owner);

/* The path listened on, the number of open connections, and the output
 * bytes queued for connid (0 for an unknown one).
 */
const char *eddy_local_server_path (eddy_local_server_t *s);
size_t eddy_local_server_count (eddy_local_server_t *s);
size_t eddy_local_server_queued (eddy_local_server_t *s, uint32_t connid);

/* Connector ops (c = eddy_local_server_t *)
 *
 * send: encode and queue msg (borrowed) for connid, writing what the
 *   socket takes now; 0, or -1 + errno: EHOSTUNREACH for an unknown or
 *   closed connection, EMSGSIZE/EINVAL if msg cannot be encoded,
 *   ECONNRESET if a queue limit closed this connection (it is reported
 *   through cb->disconnected later; so is another one closed to make
 *   room).
 * disconnect: close connid now (-1 EHOSTUNREACH if unknown).
 * destroy: eddy_local_server_destroy ().
 */
extern const struct eddy_connector_ops eddy_local_server_ops;

int eddy_local_server_send (eddy_local_server_t *s,
                            uint32_t connid,
                            const eddy_msg_t *msg);
int eddy_local_server_disconnect (eddy_local_server_t *s, uint32_t connid);

#endif /* !EDDY_TRANSPORT_LOCAL_SERVER_H */
