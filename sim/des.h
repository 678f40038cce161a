/* des.h - the discrete-event reactor backend: virtual time in one process.
 *
 * One iteration takes every event due at the earliest pending instant
 * (including events those handlers post for the same instant), then runs
 * the active check watchers in creation order.  Ties between events are
 * broken by (time, sequence), so a run is a pure function of its inputs.
 */
#ifndef EDDY_SIM_DES_H
#define EDDY_SIM_DES_H

#include <stdint.h>
#include "engine/reactor.h"

/* A posted event: a plain callback with two arguments, no watcher. */
typedef void (*eddy_sim_event_f) (eddy_reactor_t *r, void *a, void *b);

/* Make a simulator reactor whose clock starts at `start` seconds. */
eddy_reactor_t *eddy_sim_reactor_create (double start);

/* Run fn (r, a, b) `delay` seconds from now (delay >= 0).  Posting never
 * fails once the queue has room; -1 with ENOMEM if it cannot grow.
 */
int eddy_sim_post (eddy_reactor_t *r, double delay, eddy_sim_event_f fn, void *a, void *b);

/* The same; b is the event's to free: drop (b) runs if the reactor is
 * destroyed before the event (a message still on a simulated wire).
 */
int eddy_sim_post_owned (eddy_reactor_t *r, double delay, eddy_sim_event_f fn, void *a, void *b,
                         void (*drop) (void *b));

/* Counters for reports: events run (posted events and timer firings) and
 * iterations.  The reactor must be a simulator reactor.
 */
uint64_t eddy_sim_events (eddy_reactor_t *r);
uint64_t eddy_sim_iterations (eddy_reactor_t *r);

/* Number of posted events and active timers still queued. */
size_t eddy_sim_pending (eddy_reactor_t *r);

#endif /* !EDDY_SIM_DES_H */
