/* feed.c - the feed module: a workload submitted from inside the broker at
 * its own (compressed) times, for `eddy sim replay --real`.
 *
 * Request feed.start {speedup, jobs: [[index, offset, procs, run, req],
 * ...]} (offsets from the workload's first submit, in trace seconds,
 * ascending): the module answers {t0} (its reactor's time of offset 0,
 * one second from now) and submits each job to job-ingest at t0 +
 * offset / speedup, as `procs` slots of one core with the time limit
 * req / speedup and the test exec's run duration run / speedup, tagged
 * attributes.user.swf.index = index so its journal entries map back.
 * One timer, re-armed to the next due job: submissions keep the
 * reactor's time, which no process per job can.  feed.status -> {total,
 * submitted, answered, failed}.
 *
 * It uses the reactor only, so it loads in a real instance and in the
 * simulator alike.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "sim/feed.h"

struct fjob {
    json_int_t index;
    double offset, run, req;
    int procs;
};

struct feed {
    eddy_handle_t *h;
    struct fjob *jobs;
    size_t n, next, answered, failed;
    double t0, speedup;
    eddy_watcher_t *timer;
    eddy_msg_handler_t **handlers;
};

static void submit_cb (eddy_future_t *f, void *arg)
{
    struct feed *fd = arg;
    if (eddy_rpc_get (f, NULL) < 0) {
        fd->failed++;
        eddy_log (fd->h, LOG_ERR, "feed: a submission failed: %s", eddy_future_error_string (f));
    }
    fd->answered++;
    eddy_future_destroy (f);
}

static void submit (struct feed *fd, const struct fjob *j)
{
    double req = j->req / fd->speedup, run = j->run / fd->speedup;
    /* a zero limit means "none" in a jobspec: the smallest positive one */
    json_t *duration = json_real (req > 0 ? req : DBL_MIN);
    eddy_future_t *f = eddy_rpc_pack (
        fd->h, "job-ingest.submit", EDDY_NODEID_ANY, 0,
        "{s:{s:i s:[{s:s s:i s:s s:[{s:s s:i}]}] s:[{s:[s] s:s s:{s:i}}] "
        "s:{s:{s:o s:{s:{s:f}}} s:{s:{s:I}}}}}",
        "jobspec", "version", 1, "resources", "type", "slot", "count", j->procs, "label", "task",
        "with", "type", "core", "count", 1, "tasks", "command", "swf-job", "slot", "task", "count",
        "per_slot", 1, "attributes", "system", "duration", duration, "exec", "test",
        "run_duration", run, "user", "swf", "index", j->index);
    if (!f || eddy_future_then (f, -1, submit_cb, fd) < 0) {
        eddy_future_destroy (f);
        fd->failed++;
        fd->answered++;
    }
}

static void timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct feed *fd = arg;
    double now = eddy_reactor_now (r);
    while (fd->next < fd->n && fd->t0 + fd->jobs[fd->next].offset / fd->speedup <= now)
        submit (fd, &fd->jobs[fd->next++]);
    if (fd->next < fd->n) {
        eddy_timer_set (w, fd->t0 + fd->jobs[fd->next].offset / fd->speedup - now, 0);
        eddy_watcher_start (w);
    }
}

static void start_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct feed *fd = arg;
    json_t *jobs, *item;
    double speedup;
    size_t i;

    if (fd->jobs) {
        eddy_respond_error (h, msg, EBUSY, "feed: a workload is being fed already");
        return;
    }
    if (json_unpack (eddy_msg_payload (msg), "{s:F s:o}", "speedup", &speedup, "jobs", &jobs) < 0
        || !json_is_array (jobs) || !(speedup > 0)) {
        eddy_respond_error (h, msg, EPROTO, "feed.start: expected {speedup > 0, jobs: [...]}");
        return;
    }
    size_t n = json_array_size (jobs);
    struct fjob *fj = calloc (n ? n : 1, sizeof (*fj));
    if (!fj) {
        eddy_respond_error (h, msg, ENOMEM, "out of memory");
        return;
    }
    double last = 0;
    json_array_foreach (jobs, i, item) {
        struct fjob *j = &fj[i];
        if (json_unpack (item, "[I F i F F]", &j->index, &j->offset, &j->procs, &j->run, &j->req) < 0
            || !(j->offset >= last) || j->procs < 1 || !(j->run >= 0) || !(j->req >= 0)) {
            free (fj);
            eddy_respond_error (h, msg, EPROTO,
                                "feed.start: each job is [index, offset >= the previous, procs >= "
                                "1, run >= 0, req >= 0]");
            return;
        }
        last = j->offset;
    }
    fd->jobs = fj;
    fd->n = n;
    fd->speedup = speedup;
    fd->t0 = eddy_reactor_now (eddy_handle_reactor (h)) + 1.0;
    eddy_timer_set (fd->timer, 1.0, 0);
    eddy_watcher_start (fd->timer);
    eddy_respond_pack (h, msg, "{s:f}", "t0", fd->t0);
}

static void status_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct feed *fd = arg;
    eddy_respond_pack (h, msg, "{s:I s:I s:I s:I}", "total", (json_int_t)fd->n, "submitted",
                       (json_int_t)fd->next, "answered", (json_int_t)fd->answered, "failed",
                       (json_int_t)fd->failed);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "feed.start", start_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "feed.status", status_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

static void feed_unload (void *ctx)
{
    struct feed *fd = ctx;
    if (fd) {
        eddy_watcher_destroy (fd->timer);
        eddy_msg_handler_delvec (fd->handlers);
        free (fd->jobs);
        free (fd);
    }
}

static int feed_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct feed *fd = calloc (1, sizeof (*fd));
    if (!fd)
        return -1;
    fd->h = h;
    if (!(fd->timer = eddy_timer_create (eddy_handle_reactor (h), 1.0, 0, timer_cb, fd))
        || eddy_msg_handler_addvec (h, handlers, fd, &fd->handlers) < 0
        || eddy_service_register (h, "feed") < 0) {
        feed_unload (fd);
        return -1;
    }
    *ctx = fd;
    return 0;
}

const struct eddy_module eddy_module_feed = {
    .name = "feed",
    .load = feed_load,
    .unload = feed_unload,
};
