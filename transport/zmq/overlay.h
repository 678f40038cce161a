/* overlay.h - a broker's tree overlay over ZeroMQ: a ROUTER bound for its
 * children and a DEALER connected to its parent, CURVE-secured on tcp://,
 * driven by the broker's libev reactor.
 *
 * Each message travels as one frame from eddy_msg_encode () (a ROUTER
 * message is [routing id][frame]).  A child's routing id is its rank in
 * decimal.  On connect a child sends a CONTROL message "zmq.hello",
 * which the parent answers in kind; both are consumed by the overlay and
 * never reach the broker.  They make a wire-version mismatch show up (and
 * be logged on both sides) at connect time rather than at the first real
 * message.
 */
#ifndef EDDY_TRANSPORT_ZMQ_OVERLAY_H
#define EDDY_TRANSPORT_ZMQ_OVERLAY_H

#include <stdint.h>

#include "engine/error.h"
#include "engine/reactor.h"
#include "engine/transport.h"
#include "transport/zmq/cert.h"

typedef struct eddy_zmq_overlay eddy_zmq_overlay_t;

/* Create and destroy
 *
 * eddy_zmq_overlay_create () makes the overlay of broker `rank` in an
 * instance of `size` brokers, with its own ZeroMQ context (one I/O thread,
 * non-blocking termination).  cb is copied; its functions may be NULL.
 * NULL + errno (EINVAL for rank >= size or no reactor) and err on failure.
 * eddy_zmq_overlay_destroy () closes everything, waiting at most the
 * socket linger (100 ms) for unsent messages.  NULL is a no-op; errno is
 * kept.  Do not destroy the overlay from inside one of its callbacks.
 */
eddy_zmq_overlay_t *eddy_zmq_overlay_create (eddy_reactor_t *r,
                                             uint32_t rank,
                                             uint32_t size,
                                             const struct eddy_overlay_cb *cb,
                                             void *arg,
                                             eddy_error_t *err);
void eddy_zmq_overlay_destroy (eddy_zmq_overlay_t *ov);

/* Security
 *
 * set_cert loads the instance certificate (eddy_zmq_cert_load ()) and
 * set_cert_keys takes one already in memory.  Call before bind and
 * connect (-1 EBUSY after).  With a certificate, every tcp:// endpoint
 * uses CURVE: the parent's ROUTER is the CURVE server with the instance
 * secret key and admits, through its ZAP handler, only clients presenting
 * the instance public key (a refusal is logged "overlay: refusing peer
 * ADDRESS: unknown CURVE key"); the child's DEALER uses the same keypair
 * and expects the instance public key as the server's.  ipc:// endpoints
 * run without CURVE (the socket file's permissions protect them).  Without
 * a certificate tcp:// is plain: the broker must refuse to run that way.
 */
int eddy_zmq_overlay_set_cert (eddy_zmq_overlay_t *ov,
                               const char *path,
                               eddy_error_t *err);
int eddy_zmq_overlay_set_cert_keys (eddy_zmq_overlay_t *ov,
                                    const struct eddy_zmq_cert *cert,
                                    eddy_error_t *err);

/* Endpoints
 *
 * bind: listen for children on "tcp://IP:PORT" (PORT may be * for any),
 * or "ipc://PATH"; may be called more than once (e.g. ipc and tcp).
 * bound_uri: the last endpoint bound, with the real port ("tcp://IP:PORT"),
 * or NULL before any bind; valid until the next bind or destroy.
 * connect: connect to the parent at uri (once; -1 EEXIST after).  The
 * connection is made in the background and retried while the parent is
 * away; messages sent before it is up are queued.
 * All return -1 + errno (the errno of zmq_bind/zmq_connect, e.g.
 * EADDRINUSE, EINVAL for a bad endpoint) and err on failure.
 */
int eddy_zmq_overlay_bind (eddy_zmq_overlay_t *ov,
                           const char *endpoint,
                           eddy_error_t *err);
const char *eddy_zmq_overlay_bound_uri (eddy_zmq_overlay_t *ov);
int eddy_zmq_overlay_connect (eddy_zmq_overlay_t *ov,
                              const char *parent_uri,
                              eddy_error_t *err);

/* The wire version encoded and expected (default EDDY_WIRE_VERSION from
 * config.h).  For tests of the refusal; call before connect.
 */
void eddy_zmq_overlay_set_wire_version (eddy_zmq_overlay_t *ov, int version);

/* Sending (also through eddy_zmq_overlay_ops)
 *
 * send_parent / send_child encode msg (borrowed) and queue it without
 * blocking and without a high-water mark (nothing is dropped silently).
 * Messages on one link arrive in the order sent.  -1 + errno:
 * EHOSTUNREACH (no parent connection made; a child that is not connected,
 * or that was refused for its wire version), EINVAL/EMSGSIZE if msg cannot
 * be encoded, or a libzmq errno.
 * disconnect_child forgets what the overlay knows of a child (its
 * connection, a refusal): its next message starts afresh.  The ZeroMQ
 * connection itself stays up (libzmq cannot close one peer of a ROUTER).
 */
int eddy_zmq_overlay_send_parent (eddy_zmq_overlay_t *ov, const eddy_msg_t *msg);
int eddy_zmq_overlay_send_child (eddy_zmq_overlay_t *ov,
                                 uint32_t rank,
                                 const eddy_msg_t *msg);
int eddy_zmq_overlay_disconnect_child (eddy_zmq_overlay_t *ov, uint32_t rank);

/* Overlay ops (t = eddy_zmq_overlay_t *).
 *
 * What is reported through eddy_overlay_cb:
 *   recv_parent / recv_child: every decoded message (borrowed).
 *   child_disconnected: a child whose connection closed (from the ROUTER's
 *     socket monitor: libzmq reports the file descriptor, which the overlay
 *     maps to the rank that last sent on it (ZMQ_SRCFD of its messages).
 *     A child that connected but never sent anything, not even its hello,
 *     is not reported; the broker's keepalive covers that case.)  Reported
 *     once per connection, before any message of the child's next one.
 *   parent_disconnected: the DEALER's connection to the parent closed
 *     after having been up (libzmq reconnects by itself).
 *   log: refusals (wire version, CURVE key, bad routing id), malformed
 *     frames (dropped), CURVE handshake failures.  Repeated CURVE failures
 *     are logged at the 1st, 2nd, 4th, 8th... occurrence.
 */
extern const struct eddy_overlay_ops eddy_zmq_overlay_ops;

#endif /* !EDDY_TRANSPORT_ZMQ_OVERLAY_H */
