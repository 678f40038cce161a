/* job-manager.c - the job-manager module: requests from job-ingest, users
 * and the scheduler (docs/protocols.md); the state machine is in
 * jobstate.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/util/fsd.h"
#include "sched/job-manager/jobmgr.h"
#include "sched/job-manager/statemask.h"
#include "sched/modules.h"

static bool unpack (eddy_handle_t *h, const eddy_msg_t *msg, const char *fmt, ...)
{
    json_t *o = eddy_msg_payload (msg);
    va_list ap;
    int rc = -1;
    if (o) {
        va_start (ap, fmt);
        rc = json_vunpack_ex (o, NULL, 0, fmt, ap);
        va_end (ap);
    }
    if (rc < 0) {
        char text[128];
        snprintf (text, sizeof (text), "%s: malformed request", eddy_msg_topic (msg));
        eddy_respond_error (h, msg, EPROTO, text);
        return false;
    }
    return true;
}

static struct job *lookup (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id)
{
    struct job *job = eddy_u64map_get (jm->active, id);
    if (!job) {
        char text[96];
        snprintf (text, sizeof (text), "job %ju is not active", (uintmax_t)id);
        eddy_respond_error (jm->h, msg, ENOENT, text);
    }
    return job;
}

/* The owner may act on any job; a user only on their own. */
static bool allowed (struct jobmgr *jm, const eddy_msg_t *msg, struct job *job)
{
    if ((eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) || eddy_msg_userid (msg) == job->userid)
        return true;
    eddy_respond_error (jm->h, msg, EPERM, "only the job's owner or the instance owner may do that");
    return false;
}

/* A request's entry could not be staged: the job went inactive, or memory. */
static void respond_stage_error (struct jobmgr *jm, const eddy_msg_t *msg, struct job *job)
{
    char text[96];
    if (errno == ENOENT) {
        snprintf (text, sizeof (text), "job %ju is not active", (uintmax_t)job->id);
        eddy_respond_error (jm->h, msg, ENOENT, text);
    }
    else
        eddy_respond_error (jm->h, msg, errno, NULL);
}

static void submit_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_t *jobs, *o;
    size_t i;

    if (!unpack (h, msg, "{s:o}", "jobs", &jobs) || !json_is_array (jobs))
        return;
    json_array_foreach (jobs, i, o) {
        json_int_t id;
        int userid, urgency, flags = 0;
        double t_submit;
        json_t *jobspec;
        const char *text = NULL;
        if (json_unpack (o, "{s:I s:i s:i s:f s?i s:o s?s}", "id", &id, "userid", &userid,
                         "urgency", &urgency, "t_submit", &t_submit, "flags", &flags, "jobspec",
                         &jobspec, "jobspec_text", &text) < 0)
            continue;
        if (eddy_u64map_get (jm->active, (uint64_t)id))
            continue; /* already known */
        struct job *job = job_create (jm, (uint64_t)id);
        if (!job || job_jobspec_set_text (job, jobspec, text) < 0
            || eddy_u64map_put (jm->active, job->id, job) < 0) {
            job_destroy (job);
            eddy_respond_error (h, msg, ENOMEM, NULL);
            return;
        }
        job->userid = (uint32_t)userid;
        job->urgency = urgency;
        job->flags = flags;
        job->t_submit = t_submit;
        jobmgr_link (jm, job);
        if (job->id > jm->max_jobid)
            jm->max_jobid = job->id;
        /* ingest wrote `submit` to the KVS; the journal still needs it */
        json_t *entry = json_pack ("{s:f s:s s:{s:i s:i s:i s:i}}", "timestamp", t_submit, "name",
                                   "submit", "context", "userid", userid, "urgency", urgency,
                                   "flags", flags, "version", 1);
        if (entry) {
            job_events_append (job, entry);
            json_array_append_new (jm->journal_batch,
                                   json_pack ("{s:I s:o s:O}", "id", id, "entry", entry,
                                              "jobspec", jobspec));
            eddy_watcher_start (jm->flush_w);
        }
        job_post (jm, job, "validate", NULL);
        job_action (jm, job);
    }
    eddy_respond_pack (h, msg, "{s:I}", "pending", (json_int_t)jobmgr_pending (jm));
}

static int add_waiter (struct waiter **list, const eddy_msg_t *msg);

/* Answered once fewer than `below` jobs are pending (job-ingest's pacing). */
static void backlog_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_int_t below;

    if (!unpack (h, msg, "{s:I}", "below", &below))
        return;
    if (add_waiter (&jm->backlog_waiters, msg) < 0)
        eddy_respond_error (h, msg, ENOMEM, NULL);
    else
        jobmgr_backlog_check (jm);
}

static void urgency_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_int_t id;
    int urgency;
    struct job *job;

    if (!unpack (h, msg, "{s:I s:i}", "id", &id, "urgency", &urgency)
        || !(job = lookup (jm, msg, (uint64_t)id)) || !allowed (jm, msg, job))
        return;
    if (urgency < 0 || urgency > 31) {
        eddy_respond_error (h, msg, EINVAL, "urgency must be in 0-31");
        return;
    }
    if (urgency > 16 && !(eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER)) {
        eddy_respond_error (h, msg, EPERM, "only the instance owner may set urgency > 16");
        return;
    }
    if (job->state >= JOB_RUN) {
        eddy_respond_error (h, msg, EINVAL, "the job has already been scheduled");
        return;
    }
    int old = job->urgency;
    const char *text;
    struct jmreq *rq = jobmgr_req_begin (jm, msg, &text);
    if (!rq || jobmgr_req_urgency (jm, rq, job, urgency, eddy_msg_userid (msg)) < 0) {
        if (!rq)
            eddy_respond_error (h, msg, errno, text);
        else
            respond_stage_error (jm, msg, job);
        jobmgr_req_abort (rq);
        return;
    }
    jobmgr_req_end (jm, rq, json_pack ("{s:i}", "old_urgency", old));
}

static void raise_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_int_t id;
    int severity = 0;
    const char *type = "cancel", *note = "";
    struct job *job;
    bool cancel = !strcmp (eddy_msg_topic (msg), "job-manager.cancel");

    if (cancel) {
        if (!unpack (h, msg, "{s:I s?s}", "id", &id, "note", &note))
            return;
    }
    else if (!unpack (h, msg, "{s:I s:s s:i s?s}", "id", &id, "type", &type, "severity", &severity,
                      "note", &note))
        return;
    if (!(job = lookup (jm, msg, (uint64_t)id)) || !allowed (jm, msg, job))
        return;
    if (severity < 0 || severity > 7 || !*type || strchr (type, ' ')) {
        eddy_respond_error (h, msg, EINVAL, "exception type must be a word, severity 0-7");
        return;
    }
    const char *text;
    struct jmreq *rq = jobmgr_req_begin (jm, msg, &text);
    if (!rq || jobmgr_req_raise (jm, rq, job, type, severity, eddy_msg_userid (msg), note) < 0) {
        if (!rq)
            eddy_respond_error (h, msg, errno, text);
        else
            respond_stage_error (jm, msg, job);
        jobmgr_req_abort (rq);
        return;
    }
    jobmgr_req_end (jm, rq, NULL);
}

/* job-manager.cancelall {states?, userid?, queue?, dry_run?, note?} ->
 * {count}: cancel every active job in states (names, default "active")
 * of userid (default the requester's; -1 every user, as may only the
 * owner) in queue (default any).  The cancels of one request share one
 * eventlog commit; they are acted on, and the request answered, once it is
 * stored.  With dry_run only the count.
 */
static void cancelall_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                          void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    const char *states = "active", *queue = NULL, *note = "";
    int userid = (int)eddy_msg_userid (msg), dry = 0, mask, count = 0;
    struct jmq *q = NULL;
    eddy_error_t err;
    char text[256];

    if (!unpack (h, msg, "{s?s s?i s?s s?b s?s}", "states", &states, "userid", &userid, "queue",
                 &queue, "dry_run", &dry, "note", &note))
        return;
    if ((mask = jobmgr_statemask_parse (states, &err)) < 0) {
        eddy_respond_error (h, msg, EINVAL, err.text);
        return;
    }
    if ((userid < 0 || (uint32_t)userid != eddy_msg_userid (msg))
        && !(eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER)) {
        eddy_respond_error (h, msg, EPERM, "only the instance owner may cancel other users' jobs");
        return;
    }
    if (queue && !(q = jmq_lookup (&jm->queues, queue, text, sizeof (text)))) {
        eddy_respond_error (h, msg, ENOENT, text);
        return;
    }
    const char *etext = NULL;
    struct jmreq *rq = dry ? NULL : jobmgr_req_begin (jm, msg, &etext);
    if (!dry && !rq) {
        eddy_respond_error (h, msg, errno, etext);
        return;
    }
    for (struct job *job = jm->head; job; job = job->next) {
        if (job->state != JOB_INACTIVE && (mask & (1 << job->state))
            && (userid < 0 || job->userid == (uint32_t)userid)
            && (!q || job_queue (jm, job) == q)) {
            count++;
            if (!dry && !job->fatal
                && jobmgr_req_raise (jm, rq, job, "cancel", 0, eddy_msg_userid (msg), note) < 0) {
                eddy_respond_error (h, msg, errno, NULL);
                jobmgr_req_abort (rq);
                return;
            }
        }
    }
    if (dry)
        eddy_respond_pack (h, msg, "{s:i}", "count", count);
    else
        jobmgr_req_end (jm, rq, json_pack ("{s:i}", "count", count));
}

static int add_waiter (struct waiter **list, const eddy_msg_t *msg)
{
    struct waiter *w = calloc (1, sizeof (*w));
    if (!w)
        return -1;
    w->req = eddy_msg_incref (msg);
    w->next = *list;
    *list = w;
    return 0;
}

static void wait_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_int_t id;

    if (!unpack (h, msg, "{s:I}", "id", &id))
        return;
    if (!jobmgr_wait_known (jm, msg, (uint64_t)id))
        jobmgr_wait_stored (jm, msg, (uint64_t)id);
}

/* A guest waits only on their own jobs, and is told so at once instead of
 * learning another user's exit status later.
 */
bool jobmgr_may_wait (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id, uint32_t userid)
{
    char text[128];
    if ((eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) || eddy_msg_userid (msg) == userid)
        return true;
    snprintf (text, sizeof (text), "job %ju belongs to another user: only its owner or the "
              "instance owner may wait on it", (uintmax_t)id);
    eddy_respond_error (jm->h, msg, EPERM, text);
    return false;
}

bool jobmgr_wait_known (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id)
{
    json_t *res;
    struct job *job = eddy_u64map_get (jm->active, id);
    const struct gone *g;
    if (job) {
        if (!jobmgr_may_wait (jm, msg, id, job->userid))
            return true;
        if (add_waiter (&job->waiters, msg) < 0)
            eddy_respond_error (jm->h, msg, ENOMEM, NULL);
        return true;
    }
    if ((g = gone_find (jm, id)) && !jobmgr_may_wait (jm, msg, id, g->userid))
        return true;
    if (gone_lookup (jm, id, &res)) {
        eddy_respond (jm->h, msg, res);
        json_decref (res);
        return true;
    }
    return false;
}

static void drain_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    bool idle = !strcmp (eddy_msg_topic (msg), "job-manager.idle");
    if (add_waiter (idle ? &jm->idle_waiters : &jm->drain_waiters, msg) < 0)
        eddy_respond_error (h, msg, ENOMEM, NULL);
    else
        jobmgr_check_waiters (jm);
}

static void journal_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;

    if (!(eddy_msg_flags (msg) & EDDY_MSGFLAG_STREAMING)) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.journal needs a streaming request");
        return;
    }
    jobmgr_journal_join (jm, msg);
}

/* A journal reader's connection went away: the broker drops its requests
 * with it; we notice when a response fails to route, so also accept an
 * explicit cancel.
 */
static void journal_cancel_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    jobmgr_journal_drop (jm, eddy_msg_route_first (msg), true);
    eddy_respond (h, msg, NULL);
}

static void drop_origin (struct jobmgr *jm, uint64_t origin, struct waiter **list)
{
    struct waiter **pp = list;
    while (*pp) {
        struct waiter *w = *pp;
        if (eddy_msg_route_first (w->req) == origin) {
            *pp = w->next;
            eddy_msg_decref (w->req);
            free (w);
        }
        else
            pp = &w->next;
    }
}

/* A local client went away: forget its streaming and waiting requests. */
static void disconnect_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    uint64_t origin = eddy_msg_route_first (msg);
    jobmgr_journal_drop (jm, origin, false);
    drop_origin (jm, origin, &jm->drain_waiters);
    drop_origin (jm, origin, &jm->idle_waiters);
    drop_origin (jm, origin, &jm->backlog_waiters);
    for (struct job *job = jm->head; job; job = job->next)
        drop_origin (jm, origin, &job->waiters);
}

static void sched_hello_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_t *running = json_array ();

    for (struct job *job = jm->head; running && job; job = job->next)
        if (job->has_resources && job->R)
            json_array_append_new (running,
                                   json_pack ("{s:I s:O}", "id", (json_int_t)job->id, "R", job->R));
    if (!running) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond_pack (h, msg, "{s:o}", "running", running);
    jm->sched_ready = true;
    for (struct job *job = jm->head; job; job = job->next)
        if (job->state == JOB_SCHED && !job->alloc_pending)
            job_action (jm, job);
}

static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    eddy_respond_pack (h, msg, "{s:i s:i s:I s:I s:I s:I s:b}", "active", (int)jm->nactive,
                       "running", (int)jm->nrunning, "inactive", (json_int_t)jm->jobs_inactive,
                       "events", (json_int_t)jm->events_posted, "purged", (json_int_t)jm->purged,
                       "commit_failures", (json_int_t)jm->commit_failures, "store_failing",
                       jm->store_errnum != 0);
}

/* The largest job id this job manager knows (restored or submitted), so
 * that job-ingest never issues one again (0 if none).
 */
static void getinfo_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    eddy_respond_pack (h, msg, "{s:I s:I}", "max_jobid", (json_int_t)jm->max_jobid, "pending",
                       (json_int_t)jobmgr_pending (jm));
}

/* "keep all" for -1, else the number */
static const char *limit_text (int n, char *buf, size_t len)
{
    if (n < 0)
        return "keep all";
    snprintf (buf, len, "%d", n);
    return buf;
}

/* [job-manager] inactive-age-limit: seconds or a duration ("7d"); -1 if
 * absent (no limit); -1 + EINVAL if malformed.
 */
static int conf_age_limit (const json_t *table, double *age)
{
    const json_t *v = json_object_get (table, "inactive-age-limit");
    double d;

    *age = -1;
    if (!v)
        return 0;
    if (json_is_number (v))
        d = json_number_value (v);
    else if (!json_is_string (v) || eddy_fsd_parse (json_string_value (v), &d, NULL) < 0)
        d = -1;
    if (!(d >= 0) || !isfinite (d)) {
        errno = EINVAL;
        return -1;
    }
    *age = d;
    return 0;
}

/* config.reload (from the broker): [job-manager] inactive-num-limit
 * applies at once (a smaller limit purges the excess now; from "keep all",
 * it counts the jobs that become inactive from now on).  The module args,
 * when they set purge_count, win over the configuration.
 * inactive-age-limit applies at once too.
 */
static void config_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    int limit = -1;
    char a[32], b[32];

    char text[256];

    if (json_unpack (eddy_msg_payload (msg), "{s:{s?i}}", "config", "inactive-num-limit",
                     &limit) < 0
        || limit < -1) {
        eddy_respond_error (h, msg, EPROTO, "job-manager: inactive-num-limit must be an integer >= 0");
        return;
    }
    double age;
    if (conf_age_limit (json_object_get (eddy_msg_payload (msg), "config"), &age) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-manager: inactive-age-limit must be a duration");
        return;
    }
    if (jobmgr_queues_configure (jm, json_object_get (eddy_msg_payload (msg), "config"), text,
                                 sizeof (text)) < 0
        || jobmgr_perilog_configure (jm, json_object_get (eddy_msg_payload (msg), "config"), text,
                                     sizeof (text)) < 0) {
        eddy_respond_error (h, msg, EINVAL, text);
        return;
    }
    if (age != jm->purge_age) {
        eddy_log (h, LOG_NOTICE, "inactive-age-limit: %gs -> %gs (-1: none)", jm->purge_age, age);
        jm->purge_age = age;
        jobmgr_purge_trim (jm);
    }
    if (jm->purge_pinned) {
        if (limit != jm->purge_count)
            eddy_log (h, LOG_NOTICE, "inactive-num-limit: the module argument purge_count=%d "
                      "stays in force", jm->purge_count);
    }
    else if (limit != jm->purge_count) {
        eddy_log (h, LOG_NOTICE, "inactive-num-limit: %s -> %s",
                  limit_text (jm->purge_count, a, sizeof (a)), limit_text (limit, b, sizeof (b)));
        jm->purge_count = limit;
        jobmgr_purge_trim (jm);
    }
    eddy_respond (h, msg, NULL);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "job-manager.submit", submit_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.urgency", urgency_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.cancel", raise_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.raise", raise_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.cancelall", cancelall_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.wait", wait_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.drain", drain_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.idle", drain_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.backlog", backlog_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.journal", journal_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.journal-cancel", journal_cancel_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.sched-hello", sched_hello_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.stats", stats_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.getinfo", getinfo_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.purge", jobmgr_purge_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.queue-set", jobmgr_queue_set_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.queue-status", jobmgr_queue_status_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-manager.validate", jobmgr_validate_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.priority-update", jobmgr_priority_update_cb, EDDY_ROLE_OWNER },
    { EDDY_MSGTYPE_REQUEST, "job-manager.priority-info", jobmgr_priority_info_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "disconnect", disconnect_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, EDDY_ROLE_OWNER },
    EDDY_MSGHANDLER_TABLE_END,
};

static void free_waiters (eddy_handle_t *h, struct waiter *w)
{
    while (w) {
        struct waiter *next = w->next;
        eddy_respond_error (h, w->req, ENOSYS, "job-manager unloaded");
        eddy_msg_decref (w->req);
        free (w);
        w = next;
    }
}

static void jm_unload (void *ctx)
{
    struct jobmgr *jm = ctx;
    if (!jm)
        return;
    jobmgr_restore_destroy (jm);
    jobmgr_depend_destroy (jm);
    while (jm->head) {
        struct job *job = jm->head;
        jm->head = job->next;
        eddy_u64map_remove (jm->active, job->id);
        job_destroy (job);
    }
    for (uint32_t i = 0; i < jm->ring_count; i++) {
        free (jm->ring[i].exc_type);
        free (jm->ring[i].exc_note);
    }
    free (jm->ring);
    jobmgr_purge_destroy (jm);
    jobmgr_perilog_destroy (jm);
    jobmgr_priority_destroy (jm);
    jobmgr_commit_destroy (jm);
    eddy_held_fail (&jm->journal_wait, jm->h, ENOSYS, "job-manager unloaded");
    free (jm->jfrom);
    for (int i = 0; i < jm->njournal; i++) {
        eddy_respond_error (jm->h, jm->journal[i], ENODATA, NULL);
        eddy_msg_decref (jm->journal[i]);
    }
    free (jm->journal);
    eddy_held_fail (&jm->queue_held, jm->h, ENOSYS, "job-manager unloaded");
    jmq_set_clear (&jm->queues);
    free_waiters (jm->h, jm->drain_waiters);
    free_waiters (jm->h, jm->idle_waiters);
    free_waiters (jm->h, jm->backlog_waiters);
    json_decref (jm->start_js);
    free (jm->start_js_text);
    eddy_kvs_txn_destroy (jm->txn);
    json_decref (jm->journal_batch);
    eddy_watcher_destroy (jm->flush_w);
    eddy_watcher_destroy (jm->retry_w);
    eddy_msg_handler_delvec (jm->handlers);
    eddy_u64map_destroy (jm->active);
    eddy_u64map_destroy (jm->inactive);
    free (jm);
}

static int jm_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct jobmgr *jm = calloc (1, sizeof (*jm));
    const json_t *conf = eddy_handle_config (h);
    int remember = 10000, purge_count = -1;
    char text[256];

    if (!jm)
        return -1;
    /* [job-manager] first, then the module args, which win */
    if ((conf && json_unpack ((json_t *)conf, "{s?i s?i}", "inactive-remember", &remember,
                              "inactive-num-limit", &purge_count) < 0)
        || (args && json_unpack (args, "{s?i s?i}", "inactive_remember", &remember, "purge_count",
                                 &purge_count) < 0)) {
        free (jm);
        errno = EINVAL;
        return -1;
    }
    jm->h = h;
    if (conf_age_limit (conf, &jm->purge_age) < 0) {
        eddy_log (h, LOG_ERR, "job-manager: inactive-age-limit must be a duration");
        free (jm);
        errno = EINVAL;
        return -1;
    }
    if (jobmgr_queues_configure (jm, conf, text, sizeof (text)) < 0
        || jobmgr_perilog_configure (jm, conf, text, sizeof (text)) < 0
        /* the module args' priority table (a replay's) wins over [job-manager.priority] */
        || jobmgr_priority_configure (jm, args && json_object_get (args, "priority") ? args : conf,
                                      text, sizeof (text)) < 0) {
        eddy_log (h, LOG_ERR, "%s", text);
        jmq_set_clear (&jm->queues);
        free (jm);
        errno = EINVAL;
        return -1;
    }
    jm->sched_ready = true; /* until an alloc says otherwise */
    jm->reqs_tail = &jm->reqs;
    jm->seq_next = 1;
    jm->purge_count = purge_count;
    jm->purge_pinned = args && json_object_get (args, "purge_count");
    jm->ring_size = remember > 0 ? (uint32_t)remember : 0;
    if (!(jm->active = eddy_u64map_create ()) || !(jm->inactive = eddy_u64map_create ())
        || (jm->ring_size && !(jm->ring = calloc (jm->ring_size, sizeof (jm->ring[0]))))
        || !(jm->journal_batch = json_array ())
        || !(jm->flush_w = eddy_check_create (eddy_handle_reactor (h), jobmgr_flush_cb, jm))
        || !(jm->retry_w = eddy_timer_create (eddy_handle_reactor (h), 0.1, 0, jobmgr_retry_cb, jm))
        || eddy_handle_aux_set (h, "jobmgr", jm, NULL) < 0 || jobmgr_depend_init (jm) < 0
        || eddy_msg_handler_addvec (h, handlers, jm, &jm->handlers) < 0
        || eddy_service_register (h, "job-manager") < 0 || jobmgr_restore_start (jm) < 0) {
        jm_unload (jm);
        return -1;
    }
    *ctx = jm;
    return 0;
}

static const char *const extra_tables[] = { "queues", "policy", NULL };

const struct eddy_module eddy_module_job_manager = {
    .name = "job-manager",
    .load = jm_load,
    .unload = jm_unload,
    .config_extra = extra_tables,
};
