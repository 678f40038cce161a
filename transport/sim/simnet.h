/* simnet.h - simulated overlay links for the discrete-event reactor.
 *
 * Every rank gets a port; a message sent on a link is delivered after the
 * link's latency (plus seeded jitter and any injected delay), by
 * reference and never encoded.  Links are FIFO: jitter never reorders
 * messages on one link.  Faults: kill a rank, cut a link, delay a link,
 * each at a virtual time.
 */
#ifndef EDDY_SIMNET_H
#define EDDY_SIMNET_H

#include <stdint.h>

#include "engine/reactor.h"
#include "engine/transport.h"

typedef struct eddy_simnet eddy_simnet_t;

/* Create a network of `size` ranks on the tree of `fanout` (see
 * engine/broker/topology.h).  latency and jitter are seconds per hop
 * (jitter: uniform extra delay in [0, jitter) from the seeded rng).
 */
eddy_simnet_t *eddy_simnet_create (eddy_reactor_t *r,
                                   uint32_t size,
                                   int fanout,
                                   double latency,
                                   double jitter,
                                   uint64_t seed);
void eddy_simnet_destroy (eddy_simnet_t *net);

/* Close the network while the reactor goes on (a nested instance that is
 * done): nothing more is sent or delivered; messages still on the wire are
 * dropped when due.  drained (may be NULL) is called once none is left, at
 * once if none is: only then may the network be destroyed.
 */
void eddy_simnet_close (eddy_simnet_t *net, void (*drained) (void *arg), void *arg);

/* The overlay ops and the per-rank transport object to pass with them;
 * attach the broker's callbacks (eddy_broker_overlay_cb ()) to the port.
 */
extern const struct eddy_overlay_ops eddy_simnet_ops;
void *eddy_simnet_port (eddy_simnet_t *net, uint32_t rank);
int eddy_simnet_attach (eddy_simnet_t *net,
                        uint32_t rank,
                        const struct eddy_overlay_cb *cb,
                        void *arg);

/* Faults at virtual time `at` (absolute; a past time means now).
 * kill: the rank falls silent; its parent and children see the connection
 *   drop one latency later, as after a TCP reset.
 * cut: the link between rank and its parent drops every message, silently
 *   (only keepalive timeouts notice).
 * heal: a cut link carries messages again (what was dropped stays lost):
 *   the rank speaks to its parent again, which says hello back if it
 *   declared the rank lost meanwhile.
 * delay: add `extra` seconds to the link between rank and its parent.
 */
int eddy_simnet_kill (eddy_simnet_t *net, uint32_t rank, double at);
int eddy_simnet_cut (eddy_simnet_t *net, uint32_t rank, double at);
int eddy_simnet_heal (eddy_simnet_t *net, uint32_t rank, double at);
int eddy_simnet_delay (eddy_simnet_t *net, uint32_t rank, double extra, double at);
bool eddy_simnet_alive (eddy_simnet_t *net, uint32_t rank);

/* A killed rank's port carries messages again, now (a new broker behind it,
 * attached first: eddy_simnet_attach ()).  Its link is not cut.  Nothing is
 * said to its parent or children: they hear of it when it speaks (a hello,
 * or theirs that now reaches it).  -1 EINVAL if the rank is out of range,
 * EEXIST if it is alive. */
int eddy_simnet_revive (eddy_simnet_t *net, uint32_t rank);

/* Messages delivered so far (each hop counts once). */
uint64_t eddy_simnet_delivered (eddy_simnet_t *net);

#endif /* !EDDY_SIMNET_H */
