/* reactor.h - the event loop every eddy component runs on.
 *
 * One API, two worlds: the libev backend (real time, file descriptors) and
 * the discrete-event backend in sim/ (virtual time, no descriptors).
 * Components read time only through eddy_reactor_now () and wait only
 * through watchers, so the same code runs in both.
 */
#ifndef EDDY_REACTOR_H
#define EDDY_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eddy_reactor eddy_reactor_t;
typedef struct eddy_watcher eddy_watcher_t;

/* Called when a watcher fires.  revents is a mask of eddy_fd_events for
 * fd watchers and 0 otherwise.
 */
typedef void (*eddy_watcher_f) (eddy_reactor_t *r,
                                eddy_watcher_t *w,
                                int revents,
                                void *arg);

typedef enum {
    EDDY_POLLIN = 1,
    EDDY_POLLOUT = 2,
    EDDY_POLLERR = 4,
} eddy_fd_events_t;

typedef enum {
    EDDY_RUN_DEFAULT = 0, /* until stopped or nothing is active */
    EDDY_RUN_ONCE = 1,    /* one iteration, blocking for the first event */
    EDDY_RUN_NOWAIT = 2,  /* one iteration, never blocking */
} eddy_run_flags_t;

/* Reactors
 *
 * eddy_reactor_create () makes a libev reactor on the real clock.  The
 * simulator's reactor is made by eddy_sim_reactor_create () (sim/des.h).
 * eddy_reactor_run () returns 0 when stopped or out of work, -1 if
 * eddy_reactor_stop_error () was called.  Destroying a reactor with live
 * watchers is a caller error (the watchers must be destroyed first).
 */
eddy_reactor_t *eddy_reactor_create (void);
void eddy_reactor_destroy (eddy_reactor_t *r);
int eddy_reactor_run (eddy_reactor_t *r, eddy_run_flags_t flags);
void eddy_reactor_stop (eddy_reactor_t *r);
void eddy_reactor_stop_error (eddy_reactor_t *r);

/* Seconds.  Real: CLOCK_MONOTONIC cached at the start of each iteration
 * (plus eddy_reactor_wallclock () for wall time).  Sim: virtual time.
 */
double eddy_reactor_now (eddy_reactor_t *r);
void eddy_reactor_now_update (eddy_reactor_t *r);
double eddy_reactor_wallclock (eddy_reactor_t *r);

/* Work counters
 *
 * Cheap counts of the work done on a reactor, for reports (the replay's
 * summary, the broker.stats RPC), incremented where the work happens and
 * the same in both worlds.  In the simulator one reactor carries every
 * virtual broker, so the counts are the whole instance's.  Never for
 * behaviour.
 */
struct eddy_stats {
    uint64_t msgs;       /* messages originated: handle sends, broker
                          * responses, events and control messages (a
                          * message forwarded hop by hop counts once) */
    uint64_t commits;    /* kvs.commit requests received */
    uint64_t hashes;     /* blob hashes computed (SHA-256 calls) */
    uint64_t hash_bytes; /* bytes hashed */
};

/* The reactor's counters, zero at creation; components add to them. */
struct eddy_stats *eddy_reactor_stats (eddy_reactor_t *r);

/* Count one hash of len bytes (r may be NULL: nothing is counted). */
void eddy_reactor_count_hash (eddy_reactor_t *r, size_t len);

/* Values shared by the components on a reactor (the brokers of a
 * virtual cluster share their overlay's constant payload strings and an
 * empty configuration), each found by its destructor: get returns the
 * value set with that destructor, or NULL; set stores it (-1 EEXIST if
 * one with that destructor is there, ENOSPC once EDDY_REACTOR_SHARED_MAX
 * are).  The reactor calls the destructors when it is destroyed, the
 * last set first.
 */
#define EDDY_REACTOR_SHARED_MAX 4
void *eddy_reactor_shared_get (eddy_reactor_t *r, void (*destroy) (void *));
int eddy_reactor_shared_set (eddy_reactor_t *r, void *value, void (*destroy) (void *));

/* True when the backend is the simulator.  For reports and for the few
 * places that must refuse (fd watchers); never for behaviour.
 */
bool eddy_reactor_is_sim (eddy_reactor_t *r);

/* Watchers
 *
 * States as in libev: created (stopped), active (started), pending (its
 * event happened, callback not yet run), stopped.  Start and stop are
 * idempotent; neither allocates.  destroy (NULL) is a no-op.
 *
 * timer: fires once after `after` seconds, then every `repeat` seconds if
 *   repeat > 0.  In the simulator, timers due at the same instant fire in
 *   the order they were started (libev makes no such promise).
 * check: while active, runs once at the end of every reactor iteration,
 *   after every event of that iteration, and keeps the reactor from
 *   blocking.  This is the coalescing point of DESIGN.md contract 6:
 *   start it when work becomes pending, stop it in the callback.
 * idle: while active, runs once the reactor has nothing else to do at the
 *   current instant: no event due and no check watcher active.  In the
 *   simulator that is once per virtual instant, after every message chain
 *   of that instant has settled: the point for a scheduling pass that must
 *   see every arrival and completion of the instant.  Stop it in the
 *   callback when there is no more work.
 * fd: real backend only (the simulator returns NULL, errno ENOSYS).
 */
eddy_watcher_t *eddy_timer_create (eddy_reactor_t *r,
                                   double after,
                                   double repeat,
                                   eddy_watcher_f cb,
                                   void *arg);
void eddy_timer_set (eddy_watcher_t *w, double after, double repeat);
eddy_watcher_t *eddy_check_create (eddy_reactor_t *r, eddy_watcher_f cb, void *arg);
eddy_watcher_t *eddy_idle_create (eddy_reactor_t *r, eddy_watcher_f cb, void *arg);
eddy_watcher_t *eddy_fd_create (eddy_reactor_t *r,
                                int fd,
                                int events,
                                eddy_watcher_f cb,
                                void *arg);

void eddy_watcher_start (eddy_watcher_t *w);
void eddy_watcher_stop (eddy_watcher_t *w);
bool eddy_watcher_is_active (eddy_watcher_t *w);
void eddy_watcher_destroy (eddy_watcher_t *w);
void *eddy_watcher_arg (eddy_watcher_t *w);

#endif /* !EDDY_REACTOR_H */
