/* jobstate.c - the job state machine: every change is an eventlog entry,
 * posted here; job_action () then does whatever the new state asks for
 * (ask the scheduler, start, kill, free, clean up).  Entries of one
 * iteration go to the KVS in one commit and to journal readers in one
 * batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/util/eventlog.h"
#include "sched/job-manager/jobmgr.h"
#include "sched/jobindex.h"

static const char *const state_names[] = {
    "DEPEND", "PRIORITY", "SCHED", "RUN", "CLEANUP", "INACTIVE",
};

const char *job_state_name (job_state_t s)
{
    return s <= JOB_INACTIVE ? state_names[s] : "?";
}

struct job *job_create (struct jobmgr *jm, uint64_t id)
{
    struct job *job = calloc (1, sizeof (*job));
    if (!job || !(job->events = json_array ())) {
        free (job);
        return NULL;
    }
    job->id = id;
    job->state = JOB_DEPEND;
    return job;
}

void job_destroy (struct job *job)
{
    if (job) {
        eddy_future_destroy (job->alloc_f);
        eddy_future_destroy (job->exec_f);
        job_depend_free (job);
        json_decref (job->jobspec);
        json_decref (job->R);
        json_decref (job->events);
        while (job->waiters) {
            struct waiter *w = job->waiters;
            job->waiters = w->next;
            eddy_msg_decref (w->req);
            free (w);
        }
        free (job->exc_type);
        free (job->exc_note);
        free (job);
    }
}

static uint32_t priority_of (int urgency)
{
    if (urgency <= 0)
        return 0; /* held */
    if (urgency >= 31)
        return UINT32_MAX; /* expedited */
    return (uint32_t)urgency;
}

/* nrunning counts jobs that hold (or held, until clean) resources: RUN,
 * and CLEANUP reached from RUN; a job canceled before it ran passes
 * through CLEANUP without counting.
 */
static void set_state (struct jobmgr *jm, struct job *job, job_state_t s)
{
    if (s == JOB_INACTIVE) {
        if (job->in_nrunning)
            jm->nrunning--;
        job->in_nrunning = false;
    }
    else if (s == JOB_RUN || (s == JOB_CLEANUP && job->state == JOB_RUN))
        jobmgr_count_running (jm, job);
    job->state = s;
}

void jobmgr_count_running (struct jobmgr *jm, struct job *job)
{
    if (!job->in_nrunning) {
        jm->nrunning++;
        job->in_nrunning = true;
    }
}

/* Record an entry: in the job, in this iteration's commit and journal. */
int job_post (struct jobmgr *jm, struct job *job, const char *name, json_t *context)
{
    eddy_reactor_t *r = eddy_handle_reactor (jm->h);
    json_t *entry = eddy_eventlog_entry_create (eddy_reactor_wallclock (r), name, context);
    char key[128];
    char *text = NULL;
    json_t *jent = NULL;

    json_decref (context);
    if (!entry)
        return -1;
    if (!(text = eddy_eventlog_entry_encode (entry)))
        goto error;
    if (!jm->txn && !(jm->txn = eddy_kvs_txn_create ()))
        goto error;
    if (eddy_kvs_job_key (key, sizeof (key), job->id, "eventlog") < 0
        || eddy_kvs_txn_append (jm->txn, key, text) < 0)
        goto error;
    if (!(jent = json_pack ("{s:I s:O}", "id", (json_int_t)job->id, "entry", entry))
        || json_array_append_new (jm->journal_batch, jent) < 0)
        goto error;
    if (json_array_append (job->events, entry) < 0)
        goto error;
    free (text);
    jm->events_posted++;
    eddy_watcher_start (jm->flush_w);

    /* the state transitions of RFC 21 */
    json_t *ctx = json_object_get (entry, "context");
    if (!strcmp (name, "depend") && job->state == JOB_DEPEND)
        set_state (jm, job, JOB_PRIORITY);
    else if (!strcmp (name, "priority")) {
        json_int_t p = 0;
        json_unpack (ctx, "{s:I}", "priority", &p);
        job->priority = (uint32_t)p;
        if (job->state == JOB_PRIORITY)
            set_state (jm, job, JOB_SCHED);
    }
    else if (!strcmp (name, "alloc") && job->state == JOB_SCHED)
        set_state (jm, job, JOB_RUN);
    else if (!strcmp (name, "finish") && job->state == JOB_RUN)
        set_state (jm, job, JOB_CLEANUP);
    else if (!strcmp (name, "exception")) {
        int severity = 1;
        json_unpack (ctx, "{s:i}", "severity", &severity);
        if (severity == 0 && job->state < JOB_CLEANUP)
            set_state (jm, job, JOB_CLEANUP);
    }
    else if (!strcmp (name, "clean")) {
        /* out of the index in the commit that stores clean */
        if (eddy_jobindex_remove (jm->txn, job->id) < 0)
            eddy_log (jm->h, LOG_ERR, "job %ju: cannot remove it from the job index",
                      (uintmax_t)job->id);
        set_state (jm, job, JOB_INACTIVE);
    }
    json_decref (entry);
    return 0;
error:
    free (text);
    json_decref (entry);
    eddy_log (jm->h, LOG_ERR, "job %ju: cannot record event %s", (uintmax_t)job->id, name);
    return -1;
}

/* ---- the scheduler ---- */

static void alloc_cb (eddy_future_t *f, void *arg);

/* The request carries the resources of the job's queue, when it has
 * some: the scheduler places it only there.
 */
static void alloc_request (struct jobmgr *jm, struct job *job)
{
    struct jmq *q = job_queue (jm, job);
    json_t *o = json_pack ("{s:I s:I s:i s:f s:O}", "id", (json_int_t)job->id, "priority",
                           (json_int_t)job->priority, "userid", (int)job->userid, "t_submit",
                           job->t_submit, "jobspec", job->jobspec);
    if (o && q && q->resources)
        json_object_set_new (o, "queue_resources", json_string (q->resources));
    if (o && q && q->requires)
        json_object_set (o, "queue_requires", q->requires);
    eddy_future_t *f = o ? eddy_rpc (jm->h, "sched.alloc", o, EDDY_NODEID_ANY, 0) : NULL;
    json_decref (o);
    if (!f || eddy_future_then (f, -1, alloc_cb, job) < 0) {
        eddy_future_destroy (f);
        jm->sched_ready = false;
        return;
    }
    job->alloc_f = f;
    job->alloc_pending = true;
}

static struct jobmgr *jm_of (eddy_future_t *f)
{
    return eddy_handle_aux_get (eddy_future_handle (f), "jobmgr");
}

static void alloc_cb (eddy_future_t *f, void *arg)
{
    struct job *job = arg;
    struct jobmgr *jm = jm_of (f);
    json_t *o, *R = NULL;
    const char *note = NULL;
    int type = -1;

    job->alloc_pending = false;
    job->alloc_f = NULL;
    if (eddy_rpc_get (f, &o) < 0) {
        if (errno == ENOSYS) {
            /* no scheduler yet: wait for its hello */
            jm->sched_ready = false;
        }
        else
            job_raise (jm, job, "alloc", 0, 0, eddy_future_error_string (f));
        goto done;
    }
    if (!o || json_unpack (o, "{s:i s?o s?s}", "type", &type, "R", &R, "note", &note) < 0) {
        job_raise (jm, job, "alloc", 0, 0, "malformed sched.alloc response");
        goto done;
    }
    switch (type) {
    case 0:
        job->R = json_incref (R);
        job->has_resources = true;
        if (job->state == JOB_SCHED && !job->fatal) {
            char key[128];
            job_post (jm, job, "alloc", json_object ());
            if (eddy_kvs_job_key (key, sizeof (key), job->id, "R") >= 0 && jm->txn)
                eddy_kvs_txn_put_json (jm->txn, key, R);
            /* journal readers (job-list) learn the allocation with the
             * event; the batch is not sent yet, so it may still change */
            json_t *item = json_array_get (jm->journal_batch,
                                           json_array_size (jm->journal_batch) - 1);
            if (item)
                json_object_set (item, "R", R);
        }
        break;
    case 2:
        job_raise (jm, job, "alloc", 0, 0, note ? note : "the scheduler denied the request");
        break;
    case 3:
        break; /* canceled: held, or on its way to cleanup */
    default:
        job_raise (jm, job, "alloc", 0, 0, "unknown sched.alloc response type");
        break;
    }
done:
    eddy_future_destroy (f);
    job_action (jm, job);
}

static void free_cb (eddy_future_t *f, void *arg)
{
    struct job *job = arg;
    struct jobmgr *jm = jm_of (f);

    if (eddy_rpc_get (f, NULL) < 0)
        eddy_log (jm->h, LOG_ERR, "job %ju: sched.free: %s", (uintmax_t)job->id,
                  eddy_future_error_string (f));
    job->free_pending = false;
    job->has_resources = false;
    job_post (jm, job, "free", NULL);
    eddy_future_destroy (f);
    job_action (jm, job);
}

/* ---- execution ---- */

static void exec_cb (eddy_future_t *f, void *arg)
{
    struct job *job = arg;
    struct jobmgr *jm = jm_of (f);
    json_t *o;
    const char *type;

    if (eddy_rpc_get (f, &o) < 0) {
        if (errno != ENODATA && !job->finished)
            job_raise (jm, job, "exec", 0, 0, eddy_future_error_string (f));
        job->exec_running = false;
        job->exec_f = NULL;
        if (!job->release_final)
            job->release_final = true; /* nothing more will come */
        eddy_future_destroy (f);
        job_action (jm, job);
        return;
    }
    if (!o || json_unpack (o, "{s:s}", "type", &type) < 0) {
        eddy_future_reset (f);
        return;
    }
    if (!strcmp (type, "start")) {
        job->started = true;
        job_post (jm, job, "start", NULL);
        jobmgr_depend_started (jm, job);
    }
    else if (!strcmp (type, "finish")) {
        int status = 0;
        json_unpack (o, "{s:i}", "status", &status);
        job->finished = true;
        job->status = status;
        job_post (jm, job, "finish", json_pack ("{s:i}", "status", status));
    }
    else if (!strcmp (type, "release")) {
        int final = 1;
        json_unpack (o, "{s?b}", "final", &final);
        job_post (jm, job, "release", json_pack ("{s:s s:b}", "ranks", "all", "final", final));
        if (final)
            job->release_final = true;
    }
    else if (!strcmp (type, "exception")) {
        int severity = 0;
        const char *etype = "exec", *note = "";
        json_unpack (o, "{s?i s?s s?s}", "severity", &severity, "exception_type", &etype, "note",
                     &note);
        job_raise (jm, job, etype, severity, 0, note);
    }
    eddy_future_reset (f);
    job_action (jm, job);
}

static void exec_start (struct jobmgr *jm, struct job *job)
{
    eddy_future_t *f = eddy_rpc_pack (jm->h, "exec.start", EDDY_NODEID_ANY, EDDY_RPC_STREAMING,
                                      "{s:I s:i s:O s:O}", "id", (json_int_t)job->id, "userid",
                                      (int)job->userid, "R", job->R, "jobspec", job->jobspec);
    if (!f || eddy_future_then (f, -1, exec_cb, job) < 0) {
        eddy_future_destroy (f);
        job_raise (jm, job, "exec", 0, 0, "cannot reach the exec service");
        return;
    }
    job->exec_f = f;
    job->exec_running = true;
}

static void exec_kill (struct jobmgr *jm, struct job *job, int signum)
{
    eddy_future_t *f = eddy_rpc_pack (jm->h, "exec.kill", EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE,
                                      "{s:I s:i}", "id", (json_int_t)job->id, "signal", signum);
    eddy_future_destroy (f);
    job->kill_sent = true;
}

/* ---- inactive ---- */

void jobmgr_remember (struct jobmgr *jm, uint64_t id, bool success, bool has_status, int status,
                      const char *exc_type, const char *exc_note)
{
    struct gone *g;
    if (jm->ring_size == 0)
        return;
    g = &jm->ring[jm->ring_next];
    if (jm->ring_count == jm->ring_size) {
        eddy_u64map_remove (jm->inactive, g->id);
        free (g->exc_type);
        free (g->exc_note);
    }
    else
        jm->ring_count++;
    jm->ring_next = (jm->ring_next + 1) % jm->ring_size;
    memset (g, 0, sizeof (*g));
    g->id = id;
    g->success = success;
    g->status = status;
    g->has_status = has_status;
    g->exc_type = exc_type ? strdup (exc_type) : NULL;
    g->exc_note = exc_note ? strdup (exc_note) : NULL;
    eddy_u64map_put (jm->inactive, g->id, g);
}

static void remember (struct jobmgr *jm, struct job *job)
{
    jobmgr_remember (jm, job->id, !job->fatal && job->finished && job->status == 0, job->finished,
                     job->status, job->exc_type, job->exc_note);
}

static json_t *result_json (uint64_t id, bool success, bool has_status, int status,
                            const char *exc_type, const char *exc_note)
{
    json_t *o = json_pack ("{s:I s:b}", "id", (json_int_t)id, "success", success);
    if (o && has_status)
        json_object_set_new (o, "status", json_integer (status));
    if (o && exc_type)
        json_object_set_new (o, "exception", json_pack ("{s:s s:s}", "type", exc_type, "note",
                                                        exc_note ? exc_note : ""));
    return o;
}

json_t *job_wait_result (struct job *job)
{
    return result_json (job->id, !job->fatal && job->finished && job->status == 0, job->finished,
                        job->status, job->exc_type, job->exc_note);
}

bool gone_lookup (struct jobmgr *jm, uint64_t id, json_t **result)
{
    struct gone *g = eddy_u64map_get (jm->inactive, id);
    if (!g)
        return false;
    *result = result_json (g->id, g->success, g->has_status, g->status, g->exc_type, g->exc_note);
    return true;
}

/* Active jobs are listed in submission order (the journal replays them so). */
void jobmgr_link (struct jobmgr *jm, struct job *job)
{
    job->prev = jm->tail;
    job->next = NULL;
    if (jm->tail)
        jm->tail->next = job;
    else
        jm->head = job;
    jm->tail = job;
    jm->nactive++;
}

static void job_inactive (struct jobmgr *jm, struct job *job)
{
    json_t *res = job_wait_result (job);
    while (job->waiters) {
        struct waiter *w = job->waiters;
        job->waiters = w->next;
        eddy_respond (jm->h, w->req, res);
        eddy_msg_decref (w->req);
        free (w);
    }
    json_decref (res);
    jobmgr_depend_inactive (jm, job);
    remember (jm, job);
    jobmgr_purge (jm, job->id);
    eddy_u64map_remove (jm->active, job->id);
    if (job->prev)
        job->prev->next = job->next;
    else
        jm->head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else
        jm->tail = job->prev;
    jm->nactive--;
    jm->jobs_inactive++;
    job_destroy (job);
    jobmgr_check_waiters (jm);
}

/* ---- what each state asks for ---- */

void job_action (struct jobmgr *jm, struct job *job)
{
    for (;;) {
        switch (job->state) {
        case JOB_DEPEND:
            if (!jobmgr_depend_ready (jm, job))
                return; /* depend.c acts again when that changes */
            if (job->state == JOB_DEPEND)
                job_post (jm, job, "depend", NULL);
            continue;
        case JOB_PRIORITY:
            job_post (jm, job, "priority",
                      json_pack ("{s:I}", "priority", (json_int_t)priority_of (job->urgency)));
            continue;
        case JOB_SCHED: {
            struct jmq *q = job_queue (jm, job);
            if (job->priority == 0 || (q && !q->started && !job->fatal)) {
                /* held, or its queue is stopped: no (more) request */
                if (job->alloc_pending && job->alloc_f) {
                    eddy_future_destroy (eddy_rpc_pack (jm->h, "sched.cancel", EDDY_NODEID_ANY,
                                                        EDDY_RPC_NORESPONSE, "{s:I}", "id",
                                                        (json_int_t)job->id));
                }
            }
            else if (!job->alloc_pending && jm->sched_ready)
                alloc_request (jm, job);
            return;
        }
        case JOB_RUN:
            if (!job->exec_running && !job->started && !job->finished)
                exec_start (jm, job);
            return;
        case JOB_CLEANUP:
            if (job->alloc_pending) {
                eddy_future_destroy (eddy_rpc_pack (jm->h, "sched.cancel", EDDY_NODEID_ANY,
                                                    EDDY_RPC_NORESPONSE, "{s:I}", "id",
                                                    (json_int_t)job->id));
                return; /* the alloc answer comes back as canceled */
            }
            if (job->exec_running) {
                if (!job->finished && !job->kill_sent)
                    exec_kill (jm, job, SIGTERM);
                return;
            }
            if (job->has_resources) {
                if (!job->free_pending) {
                    eddy_future_t *f = eddy_rpc_pack (jm->h, "sched.free", EDDY_NODEID_ANY, 0,
                                                      "{s:I s:O}", "id", (json_int_t)job->id,
                                                      "R", job->R);
                    if (f && eddy_future_then (f, -1, free_cb, job) == 0)
                        job->free_pending = true;
                    else
                        eddy_future_destroy (f);
                }
                return;
            }
            if (job->free_pending)
                return;
            job_post (jm, job, "clean", NULL);
            continue;
        case JOB_INACTIVE:
            job_inactive (jm, job);
            return;
        }
        return;
    }
}

int job_raise (struct jobmgr *jm, struct job *job, const char *type, int severity, uint32_t userid,
               const char *note)
{
    if (job->state == JOB_INACTIVE) {
        errno = EINVAL;
        return -1;
    }
    job_post (jm, job, "exception",
              json_pack ("{s:s s:i s:s s:i}", "type", type, "severity", severity, "note",
                         note ? note : "", "userid", (int)userid));
    if (severity == 0 && !job->fatal) {
        job->fatal = true;
        job->exc_type = strdup (type);
        job->exc_note = strdup (note ? note : "");
    }
    return 0;
}

int job_set_urgency (struct jobmgr *jm, struct job *job, int urgency, uint32_t userid)
{
    job_post (jm, job, "urgency", json_pack ("{s:i s:i}", "urgency", urgency, "userid", (int)userid));
    job->urgency = urgency;
    if (job->state != JOB_SCHED)
        return 0; /* DEPEND/PRIORITY compute it later; RUN and after: too late */
    uint32_t p = priority_of (urgency);
    if (p == job->priority)
        return 0;
    job_post (jm, job, "priority", json_pack ("{s:I}", "priority", (json_int_t)p));
    if (job->alloc_pending && p > 0) {
        eddy_future_destroy (eddy_rpc_pack (jm->h, "sched.prioritize", EDDY_NODEID_ANY,
                                            EDDY_RPC_NORESPONSE, "{s:[[I,I]]}", "jobs",
                                            (json_int_t)job->id, (json_int_t)p));
    }
    return 0;
}

/* ---- the per-iteration flush ---- */

static void commit_cb (eddy_future_t *f, void *arg)
{
    struct jobmgr *jm = arg;
    if (eddy_rpc_get (f, NULL) < 0)
        eddy_log (jm->h, LOG_ERR, "eventlog commit: %s", eddy_future_error_string (f));
    for (uint32_t i = 0; i < jm->commits_inflight; i++) {
        if (jm->commits[i] == f) {
            jm->commits[i] = jm->commits[--jm->commits_inflight];
            break;
        }
    }
    eddy_future_destroy (f);
}

static int track_commit (struct jobmgr *jm, eddy_future_t *f)
{
    if (jm->commits_inflight == jm->commits_cap) {
        uint32_t cap = jm->commits_cap ? jm->commits_cap * 2 : 8;
        eddy_future_t **p = realloc (jm->commits, cap * sizeof (*p));
        if (!p)
            return -1;
        jm->commits = p;
        jm->commits_cap = cap;
    }
    jm->commits[jm->commits_inflight++] = f;
    return 0;
}

void jobmgr_flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobmgr *jm = arg;

    eddy_watcher_stop (w);
    if (jm->txn) {
        eddy_future_t *f = eddy_kvs_commit (jm->h, NULL, 0, jm->txn);
        if (!f || eddy_future_then (f, -1, commit_cb, jm) < 0 || track_commit (jm, f) < 0) {
            eddy_log (jm->h, LOG_ERR, "cannot commit eventlog entries: %s", strerror (errno));
            eddy_future_destroy (f);
        }
        eddy_kvs_txn_destroy (jm->txn);
        jm->txn = NULL;
    }
    if (json_array_size (jm->journal_batch) > 0) {
        /* the batch travels by reference inside this process: hand it over
         * and start a new one, never change it after sending */
        json_t *fresh = json_array ();
        json_t *o = fresh ? json_pack ("{s:o}", "events", jm->journal_batch) : NULL;
        if (!o) {
            json_decref (fresh);
            return;
        }
        jm->journal_batch = fresh;
        for (int i = 0; i < jm->njournal; i++)
            eddy_respond (jm->h, jm->journal[i], o);
        json_decref (o);
    }
}

void jobmgr_check_waiters (struct jobmgr *jm)
{
    if (jm->nactive == 0) {
        while (jm->drain_waiters) {
            struct waiter *w = jm->drain_waiters;
            jm->drain_waiters = w->next;
            eddy_respond (jm->h, w->req, NULL);
            eddy_msg_decref (w->req);
            free (w);
        }
    }
    if (jm->nrunning == 0) {
        while (jm->idle_waiters) {
            struct waiter *w = jm->idle_waiters;
            jm->idle_waiters = w->next;
            eddy_respond (jm->h, w->req, NULL);
            eddy_msg_decref (w->req);
            free (w);
        }
    }
}
