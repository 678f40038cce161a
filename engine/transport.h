/* transport.h - the seams between a broker and the links that carry its
 * messages: the overlay (parent and children: ZeroMQ or simulated links)
 * and the local connector (command-line clients on an AF_UNIX socket).
 *
 * A transport is driven by the broker through an ops table and reports
 * back through a callback table, so a transport can be tested without a
 * broker and a broker without a real network.
 */
#ifndef EDDY_TRANSPORT_H
#define EDDY_TRANSPORT_H

#include <stdint.h>

#include "engine/msg.h"

/* Overlay
 *
 * send_parent / send_child: queue msg (borrowed; the transport takes its
 * own reference or encodes it at once).  -1 + errno (EHOSTUNREACH for an
 * unknown or disconnected child).  Messages on one link arrive in the
 * order they were sent.  disconnect_child forgets a child (it may
 * reconnect).  destroy (NULL) is a no-op.
 */
struct eddy_overlay_ops {
    int (*send_parent) (void *t, const eddy_msg_t *msg);
    int (*send_child) (void *t, uint32_t rank, const eddy_msg_t *msg);
    int (*disconnect_child) (void *t, uint32_t rank);
    void (*destroy) (void *t);
};

/* What an overlay transport reports.  Messages are borrowed. */
struct eddy_overlay_cb {
    void (*recv_parent) (void *arg, const eddy_msg_t *msg);
    void (*recv_child) (void *arg, uint32_t rank, const eddy_msg_t *msg);
    /* the peer went away (TCP reset, simulated kill or cut link) */
    void (*child_disconnected) (void *arg, uint32_t rank);
    void (*parent_disconnected) (void *arg);
    /* a line for the broker's log; level is a syslog level (LOG_ERR...) */
    void (*log) (void *arg, int level, const char *text);
};

/* Local connector
 *
 * Clients are numbered by connection id (never reused by one connector).
 * The connector sets each received message's credentials from the
 * socket's peer (userid; rolemask OWNER for the instance owner, else USER)
 * before passing it on.
 */
struct eddy_connector_ops {
    int (*send) (void *c, uint32_t connid, const eddy_msg_t *msg);
    int (*disconnect) (void *c, uint32_t connid);
    void (*destroy) (void *c);
};

struct eddy_connector_cb {
    void (*recv) (void *arg, uint32_t connid, const eddy_msg_t *msg);
    void (*disconnected) (void *arg, uint32_t connid);
    void (*log) (void *arg, int level, const char *text);
};

#endif /* !EDDY_TRANSPORT_H */
