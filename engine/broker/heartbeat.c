/* heartbeat.c - the heartbeat module: rank 0 publishes heartbeat.pulse
 * every `period` seconds (args {"period": S}, default 2).  Other ranks do
 * nothing.  A small, real module for the module host.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/broker/broker.h"
#include "engine/future.h"

struct heartbeat {
    eddy_handle_t *h;
    eddy_watcher_t *timer;
    double period;
    int count;
};

static void pulse_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct heartbeat *hb = arg;
    json_t *o = json_pack ("{s:i}", "count", ++hb->count);
    eddy_event_publish (hb->h, "heartbeat.pulse", o);
    json_decref (o);
}

static void hb_unload (void *ctx)
{
    struct heartbeat *hb = ctx;
    if (hb) {
        eddy_watcher_destroy (hb->timer);
        free (hb);
    }
}

static int hb_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct heartbeat *hb;
    double period = 2.0;

    if (args && json_unpack (args, "{s?F}", "period", &period) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (!(period > 0) || period > 86400) {
        errno = EINVAL;
        return -1;
    }
    if (!(hb = calloc (1, sizeof (*hb))))
        return -1;
    hb->h = h;
    hb->period = period;
    if (eddy_handle_rank (h) == 0) {
        hb->timer = eddy_timer_create (eddy_handle_reactor (h), period, period, pulse_cb, hb);
        if (!hb->timer) {
            free (hb);
            return -1;
        }
        eddy_watcher_start (hb->timer);
    }
    *ctx = hb;
    return 0;
}

const struct eddy_module eddy_module_heartbeat = {
    .name = "heartbeat",
    .load = hb_load,
    .unload = hb_unload,
};
