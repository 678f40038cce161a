/* cron.c - the cron module (rank 0): commands run on a schedule, timed by
 * the reactor, through the rexec module (exec/rexec.c) of rank 0.
 *
 * Entries (docs/accounting.md "eddy cron"):
 *   interval {interval, after?, count?}    every `interval` seconds, the
 *                                         first after `after` (default
 *                                         interval), `count` times (0: always)
 *   event    {topic, nth?, after?, min_interval?}  on every nth event whose
 *                                         topic starts with `topic`, after
 *                                         the first `after`, at most once per
 *                                         min_interval seconds
 *   tab      {spec, utc_offset?}          crontab(5) fields (sched/crontab.h)
 * each with {command (run by /bin/sh -c), name?, timeout?}.  A run that is
 * still going when the next one is due is not started again (counted as
 * skipped).  Output goes to the log (info; stderr and failures at error).
 * Entries live in memory: an instance's cron table is made again by the
 * commands that made it (a systemd ExecStartPost, an rc script).
 *
 * Requests (owner only): cron.create {type, ...} -> {id}; cron.list ->
 * {entries: [...]}; cron.stop|cron.start|cron.delete {id}; cron.dump {id}
 * -> the entry.  In the simulator rexec runs nothing: each run is
 * recorded as failed with its reason.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "sched/crontab.h"
#include "sched/modules.h"

enum { T_INTERVAL, T_EVENT, T_TAB };
static const char *const type_names[] = { "interval", "event", "tab" };

struct entry {
    struct cron *cr;
    int id;
    int type;
    char *name, *command;
    double timeout;
    bool stopped;
    /* interval */
    double interval, after;
    json_int_t count;
    /* event */
    char *topic;
    json_int_t nth, skip;
    double min_interval;
    json_int_t events_seen;
    /* tab */
    char *spec;
    struct eddy_crontab ct;
    /* state */
    eddy_watcher_t *timer;
    eddy_future_t *run_f;
    double next, last_run, created;
    json_int_t runs, failures, skipped;
    int last_status;
    struct entry *prev, *nextp;
};

struct cron {
    eddy_handle_t *h;
    eddy_reactor_t *r;
    struct entry *entries;
    int next_id;
    bool subscribed;
    eddy_msg_handler_t **handlers;
    eddy_msg_handler_t *event_mh;
};

static void entry_free (struct entry *e)
{
    if (!e)
        return;
    eddy_watcher_destroy (e->timer);
    eddy_future_destroy (e->run_f);
    free (e->name);
    free (e->command);
    free (e->topic);
    free (e->spec);
    free (e);
}

static void log_output (struct entry *e, int level, const char *stream, const char *text)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr (p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen (p);
        eddy_log (e->cr->h, level, "cron-%d (%s) %s: %.*s", e->id, e->name, stream, len, p);
        p = nl ? nl + 1 : NULL;
    }
}

static void run_cb (eddy_future_t *f, void *arg)
{
    struct entry *e = arg;
    json_t *o;
    const char *out = "", *err = "";
    int status = -1;
    if (eddy_rpc_get (f, &o) < 0) {
        e->failures++;
        e->last_status = -1;
        eddy_log (e->cr->h, LOG_ERR, "cron-%d (%s): not run: %s", e->id, e->name,
                  eddy_future_error_string (f));
    } else {
        json_unpack (o, "{s:i s?s s?s}", "status", &status, "stdout", &out, "stderr", &err);
        e->last_status = status;
        if (status != 0)
            e->failures++;
        log_output (e, LOG_INFO, "stdout", out);
        log_output (e, LOG_ERR, "stderr", err);
        if (status != 0)
            eddy_log (e->cr->h, LOG_ERR, "cron-%d (%s): wait status %d", e->id, e->name, status);
    }
    eddy_future_destroy (f);
    e->run_f = NULL;
}

static void run (struct entry *e)
{
    if (e->run_f) {
        e->skipped++;
        eddy_log (e->cr->h, LOG_NOTICE, "cron-%d (%s): still running, this run skipped", e->id,
                  e->name);
        return;
    }
    e->runs++;
    e->last_run = eddy_reactor_now (e->cr->r);
    e->run_f = eddy_rpc_pack (e->cr->h, "rexec.run", 0, 0, "{s:[s s s] s:f s:s}", "cmd", "/bin/sh",
                              "-c", e->command, "timeout", e->timeout, "origin", "cron");
    if (!e->run_f || eddy_future_then (e->run_f, -1, run_cb, e) < 0) {
        eddy_future_destroy (e->run_f);
        e->run_f = NULL;
        e->failures++;
    }
}

/* Arm the entry's timer for its next run (interval, tab). */
static void arm (struct entry *e)
{
    double now = eddy_reactor_now (e->cr->r);
    e->next = -1;
    if (e->stopped || e->type == T_EVENT)
        return;
    if (e->type == T_INTERVAL) {
        if (e->count > 0 && e->runs >= e->count)
            return;
        e->next = e->runs == 0 && e->last_run == 0 ? e->created + e->after : now + e->interval;
    } else
        e->next = eddy_crontab_next (&e->ct, now);
    if (e->next < 0)
        return;
    eddy_timer_set (e->timer, e->next > now ? e->next - now : 0, 0);
    eddy_watcher_start (e->timer);
}

static void timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct entry *e = arg;
    if (e->stopped)
        return;
    run (e);
    arm (e);
}

static void event_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct cron *cr = arg;
    const char *topic = eddy_msg_topic (msg);
    double now = eddy_reactor_now (cr->r);
    for (struct entry *e = cr->entries; e; e = e->nextp) {
        if (e->type != T_EVENT || e->stopped || strncmp (topic, e->topic, strlen (e->topic)))
            continue;
        e->events_seen++;
        if (e->events_seen <= e->skip || (e->events_seen - e->skip) % e->nth)
            continue;
        if (e->min_interval > 0 && e->last_run > 0 && now - e->last_run < e->min_interval)
            continue;
        run (e);
    }
}

static json_t *entry_json (const struct entry *e)
{
    json_t *o = json_pack ("{s:i s:s s:s s:s s:b s:f s:{s:I s:I s:I s:i s:f s:f}}", "id", e->id,
                           "name", e->name, "type", type_names[e->type], "command", e->command,
                           "stopped", e->stopped, "timeout", e->timeout, "stats", "runs",
                           e->runs, "failures", e->failures, "skipped", e->skipped,
                           "last_status", e->last_status, "last_run", e->last_run, "next",
                           e->next);
    if (!o)
        return NULL;
    if (e->type == T_INTERVAL)
        json_object_update_new (o, json_pack ("{s:f s:f s:I}", "interval", e->interval, "after",
                                              e->after, "count", e->count));
    else if (e->type == T_EVENT)
        json_object_update_new (o, json_pack ("{s:s s:I s:I s:f s:I}", "topic", e->topic, "nth",
                                              e->nth, "after", e->skip, "min_interval",
                                              e->min_interval, "events_seen", e->events_seen));
    else
        json_object_update_new (o, json_pack ("{s:s s:i}", "spec", e->spec, "utc_offset",
                                              e->ct.utc_offset));
    return o;
}

static struct entry *lookup (struct cron *cr, const eddy_msg_t *msg)
{
    int id;
    if (json_unpack (eddy_msg_payload (msg), "{s:i}", "id", &id) < 0) {
        eddy_respond_error (cr->h, msg, EPROTO, "expected {id}");
        return NULL;
    }
    for (struct entry *e = cr->entries; e; e = e->nextp)
        if (e->id == id)
            return e;
    char text[64];
    snprintf (text, sizeof (text), "no cron entry %d", id);
    eddy_respond_error (cr->h, msg, ENOENT, text);
    return NULL;
}

static void create_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct cron *cr = arg;
    json_t *p = eddy_msg_payload (msg);
    const char *type, *command, *name = NULL;
    double timeout = 0;
    char why[256];
    eddy_error_t err;

    if (json_unpack (p, "{s:s s:s s?s s?F}", "type", &type, "command", &command, "name", &name,
                     "timeout", &timeout)
            < 0
        || !*command || !(timeout >= 0)) {
        eddy_respond_error (h, msg, EPROTO, "cron.create: expected {type, command, name?, timeout?}");
        return;
    }
    struct entry *e = calloc (1, sizeof (*e));
    if (!e || !(e->command = strdup (command))) {
        entry_free (e);
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    e->cr = cr;
    e->timeout = timeout;
    e->created = eddy_reactor_now (cr->r);
    e->next = -1;
    if (!strcmp (type, "interval")) {
        e->type = T_INTERVAL;
        e->after = -1;
        if (json_unpack (p, "{s:F s?F s?I}", "interval", &e->interval, "after", &e->after, "count",
                         &e->count)
                < 0
            || !(e->interval > 0) || e->count < 0) {
            snprintf (why, sizeof (why), "cron.create interval: needs interval > 0 (after >= 0, count >= 0)");
            goto bad;
        }
        if (e->after < 0)
            e->after = e->interval;
    } else if (!strcmp (type, "event")) {
        const char *topic;
        e->type = T_EVENT;
        e->nth = 1;
        if (json_unpack (p, "{s:s s?I s?I s?F}", "topic", &topic, "nth", &e->nth, "after", &e->skip,
                         "min_interval", &e->min_interval)
                < 0
            || !*topic || e->nth < 1 || e->skip < 0 || !(e->min_interval >= 0)
            || !(e->topic = strdup (topic))) {
            snprintf (why, sizeof (why), "cron.create event: needs a topic (nth >= 1, after >= 0, min_interval >= 0)");
            goto bad;
        }
    } else if (!strcmp (type, "tab")) {
        const char *spec;
        int offset = 0;
        e->type = T_TAB;
        if (json_unpack (p, "{s:s s?i}", "spec", &spec, "utc_offset", &offset) < 0) {
            snprintf (why, sizeof (why), "cron.create tab: needs spec");
            goto bad;
        }
        if (eddy_crontab_parse (&e->ct, spec, offset, &err) < 0) {
            snprintf (why, sizeof (why), "cron.create tab: %s", err.text);
            goto bad;
        }
        if (!(e->spec = strdup (spec)))
            goto nomem;
    } else {
        snprintf (why, sizeof (why), "cron.create: type must be interval, event or tab");
        goto bad;
    }
    e->id = cr->next_id++;
    if (!(e->name = name && *name ? strdup (name) : strdup (command)))
        goto nomem;
    if (e->type != T_EVENT && !(e->timer = eddy_timer_create (cr->r, 0, 0, timer_cb, e)))
        goto nomem;
    if (e->type == T_EVENT && !cr->subscribed) {
        if (eddy_event_subscribe (h, "") < 0)
            goto nomem;
        cr->subscribed = true;
    }
    e->nextp = cr->entries;
    if (cr->entries)
        cr->entries->prev = e;
    cr->entries = e;
    arm (e);
    eddy_respond_pack (h, msg, "{s:i}", "id", e->id);
    return;
bad:
    entry_free (e);
    eddy_respond_error (h, msg, EINVAL, why);
    return;
nomem:
    entry_free (e);
    eddy_respond_error (h, msg, ENOMEM, NULL);
}

static void list_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct cron *cr = arg;
    json_t *a = json_array ();
    struct entry *last = cr->entries;
    while (last && last->nextp)
        last = last->nextp;
    for (struct entry *e = last; a && e; e = e->prev) /* oldest first */
        json_array_append_new (a, entry_json (e));
    eddy_respond_pack (h, msg, "{s:o}", "entries", a ? a : json_array ());
}

static void stop_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct entry *e = lookup (arg, msg);
    if (!e)
        return;
    e->stopped = true;
    eddy_watcher_stop (e->timer);
    e->next = -1;
    eddy_respond_pack (h, msg, "{}");
}

static void start_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct entry *e = lookup (arg, msg);
    if (!e)
        return;
    if (e->stopped) {
        e->stopped = false;
        if (e->type == T_INTERVAL)
            e->last_run = eddy_reactor_now (e->cr->r); /* an interval from now */
        arm (e);
    }
    eddy_respond_pack (h, msg, "{}");
}

static void delete_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct cron *cr = arg;
    struct entry *e = lookup (cr, msg);
    if (!e)
        return;
    if (e->prev)
        e->prev->nextp = e->nextp;
    else
        cr->entries = e->nextp;
    if (e->nextp)
        e->nextp->prev = e->prev;
    entry_free (e); /* a run in flight is left to finish; its answer goes nowhere */
    eddy_respond_pack (h, msg, "{}");
}

static void dump_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct entry *e = lookup (arg, msg);
    if (!e)
        return;
    json_t *o = entry_json (e);
    eddy_respond (h, msg, o);
    json_decref (o);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "cron.create", create_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "cron.list", list_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "cron.stop", stop_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "cron.start", start_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "cron.delete", delete_cb, 0 },
    { EDDY_MSGTYPE_REQUEST, "cron.dump", dump_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

static void cron_unload (void *ctx)
{
    struct cron *cr = ctx;
    if (!cr)
        return;
    while (cr->entries) {
        struct entry *e = cr->entries;
        cr->entries = e->nextp;
        entry_free (e);
    }
    eddy_msg_handler_destroy (cr->event_mh);
    eddy_msg_handler_delvec (cr->handlers);
    free (cr);
}

static int cron_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct cron *cr = calloc (1, sizeof (*cr));
    if (!cr)
        return -1;
    cr->h = h;
    cr->r = eddy_handle_reactor (h);
    cr->next_id = 1;
    if (eddy_msg_handler_addvec (h, handlers, cr, &cr->handlers) < 0
        || !(cr->event_mh = eddy_msg_handler_create (h, EDDY_MSGTYPE_EVENT, "*", event_cb, cr))
        || eddy_service_register (h, "cron") < 0) {
        cron_unload (cr);
        return -1;
    }
    *ctx = cr;
    return 0;
}

const struct eddy_module eddy_module_cron = {
    .name = "cron",
    .load = cron_load,
    .unload = cron_unload,
};
