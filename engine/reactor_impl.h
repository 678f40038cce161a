/* reactor_impl.h - the reactor backend seam (private to engine/ and sim/).
 *
 * A backend embeds struct eddy_reactor first in its own reactor struct and
 * struct eddy_watcher first in its own watcher struct (watcher_size bytes).
 */
#ifndef EDDY_REACTOR_IMPL_H
#define EDDY_REACTOR_IMPL_H

#include <stddef.h>
#include "engine/reactor.h"

enum watcher_kind { WATCHER_TIMER, WATCHER_CHECK, WATCHER_IDLE, WATCHER_FD };

struct eddy_watcher {
    eddy_reactor_t *r;
    enum watcher_kind kind;
    bool active;
    eddy_watcher_f cb;
    void *arg;
    double after;
    double repeat;
    int fd;
    int events;
};

struct eddy_reactor_ops {
    const char *name;
    bool is_sim;
    size_t watcher_size;
    void (*destroy) (eddy_reactor_t *r);
    int (*run) (eddy_reactor_t *r, eddy_run_flags_t flags);
    void (*stop) (eddy_reactor_t *r, int rc);
    double (*now) (eddy_reactor_t *r);
    void (*now_update) (eddy_reactor_t *r);
    double (*wallclock) (eddy_reactor_t *r);
    /* init is called once after the common fields are set; -1 + errno */
    int (*watcher_init) (eddy_watcher_t *w);
    void (*watcher_start) (eddy_watcher_t *w);
    void (*watcher_stop) (eddy_watcher_t *w);
    void (*watcher_fini) (eddy_watcher_t *w);
};

struct eddy_reactor {
    const struct eddy_reactor_ops *ops;
    int nwatchers; /* live watchers, for the destroy-time assertion */
    struct eddy_stats stats;
    const struct eddy_nest_ops *nest_ops; /* engine/nest.h, NULL: none */
    void *nest_world;
    struct {
        void *value;
        void (*destroy) (void *);
    } shared[EDDY_REACTOR_SHARED_MAX]; /* eddy_reactor_shared_set () */
};

#endif /* !EDDY_REACTOR_IMPL_H */
