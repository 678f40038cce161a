/* replay.c - what a stored eventlog says about a job: its state and the
 * facts the job manager keeps (urgency, priority, resources, exit status,
 * the first fatal exception), recovered after a restart by walking the
 * entries with the same transitions as job_post () (RFC 21).  Pure: no
 * handle, no messages, so it is tested on its own.
 */
#include <errno.h>
#include <string.h>

#include "engine/util/eventlog.h"
#include "sched/job-manager/jobmgr.h"

static int replay_submit (json_t *ctx, struct jobreplay *jr, eddy_error_t *err)
{
    int userid = -1, urgency = -1, flags = 0;
    if (json_unpack (ctx, "{s:i s:i s?i}", "userid", &userid, "urgency", &urgency, "flags", &flags)
            < 0
        || userid < 0 || urgency < 0 || urgency > 31) {
        errno = EINVAL;
        return eddy_error_set (err, "the submit entry lacks a valid userid or urgency");
    }
    jr->userid = (uint32_t)userid;
    jr->urgency = urgency;
    jr->flags = flags;
    return 0;
}

static void replay_entry (const char *name, double ts, json_t *ctx, struct jobreplay *jr)
{
    if (!strcmp (name, "depend")) {
        if (jr->state == JOB_DEPEND)
            jr->state = JOB_PRIORITY;
    }
    else if (!strcmp (name, "priority")) {
        json_int_t p = 0;
        json_unpack (ctx, "{s:I}", "priority", &p);
        jr->priority = p > 0 && p <= UINT32_MAX ? (uint32_t)p : 0;
        if (jr->state == JOB_PRIORITY)
            jr->state = JOB_SCHED;
    }
    else if (!strcmp (name, "urgency"))
        json_unpack (ctx, "{s:i}", "urgency", &jr->urgency);
    else if (!strcmp (name, "alloc")) {
        jr->alloc = true;
        if (jr->state == JOB_SCHED)
            jr->state = JOB_RUN;
    }
    else if (!strcmp (name, "free"))
        jr->alloc = false;
    else if (!strcmp (name, "start"))
        jr->started = true;
    else if (!strcmp (name, "finish")) {
        json_unpack (ctx, "{s:i}", "status", &jr->status);
        jr->finished = true;
        if (jr->state == JOB_RUN)
            jr->state = JOB_CLEANUP;
    }
    else if (!strcmp (name, "exception")) {
        int severity = 1;
        const char *type = "", *note = "";
        json_unpack (ctx, "{s?i s?s s?s}", "severity", &severity, "type", &type, "note", &note);
        if (severity == 0) {
            if (!jr->fatal) {
                jr->fatal = true;
                jr->exc_type = type;
                jr->exc_note = note;
            }
            if (jr->state < JOB_CLEANUP)
                jr->state = JOB_CLEANUP;
        }
    }
    else if (!strcmp (name, "clean")) {
        jr->state = JOB_INACTIVE;
        jr->t_inactive = ts;
    }
}

json_t *jobmgr_replay (const char *eventlog, struct jobreplay *jr, eddy_error_t *err)
{
    json_t *events, *entry, *ctx;
    const char *name;
    double ts;
    size_t i;

    memset (jr, 0, sizeof (*jr));
    jr->state = JOB_DEPEND;
    if (!eventlog) {
        errno = EINVAL;
        eddy_error_set (err, "no eventlog");
        return NULL;
    }
    if (!(events = eddy_eventlog_decode (eventlog, err)))
        return NULL;
    if (json_array_size (events) == 0) {
        eddy_error_set (err, "the eventlog is empty");
        goto invalid;
    }
    json_array_foreach (events, i, entry) {
        if (eddy_eventlog_entry_parse (entry, &ts, &name, &ctx) < 0) {
            eddy_error_set (err, "entry %zu is not an eventlog entry", i + 1);
            goto invalid;
        }
        if (i == 0) {
            if (strcmp (name, "submit") != 0) {
                eddy_error_set (err, "the first entry is %s, not submit", name);
                goto invalid;
            }
            jr->t_submit = ts;
            if (replay_submit (ctx, jr, err) < 0)
                goto invalid;
            continue;
        }
        replay_entry (name, ts, ctx, jr);
        if (jr->state == JOB_INACTIVE)
            break; /* nothing counts after clean */
    }
    return events;
invalid:
    json_decref (events);
    memset (jr, 0, sizeof (*jr));
    errno = EINVAL;
    return NULL;
}
