/* jobstate.c - the job state machine: every change is an eventlog entry,
 * posted here; job_action () then does whatever the new state asks for
 * (ask the scheduler, start, kill, free, clean up).  Entries go to the KVS
 * in batches, one in flight at a time (a group commit); nothing outside
 * the job manager sees a change before it is stored: journal readers get
 * a batch once it is, and exec.start, sched.free and answers wait for the
 * batch they depend on.  Facts (from the scheduler, exec) are retried
 * until stored; requests are acted on only once stored, or refused.
 */
#include <assert.h>
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
    if (!job)
        return NULL;
    job->id = id;
    job->state = JOB_DEPEND;
    return job;
}

void job_destroy (struct job *job)
{
    if (job) {
        eddy_future_destroy (job->alloc_f);
        eddy_future_destroy (job->exec_f);
        jobmgr_perilog_free (job);
        job_depend_free (job);
        json_decref (job->jobspec);
        free (job->jobspec_text);
        free (job->queue);
        free (job->prio_bank);
        json_decref (job->R);
        job_events_free (job);
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

int job_jobspec_set (struct job *job, json_t *jobspec)
{
    return job_jobspec_set_text (job, jobspec, NULL);
}

int job_jobspec_set_text (struct job *job, json_t *jobspec, const char *given)
{
    const char *queue = json_string_value (json_object_get (
        json_object_get (json_object_get (jobspec, "attributes"), "system"), "queue"));
    char *text = given ? strdup (given) : json_dumps (jobspec, JSON_COMPACT | JSON_ENCODE_ANY);
    char *q = queue ? strdup (queue) : NULL;

    if (!text || (queue && !q)) {
        free (text);
        free (q);
        errno = ENOMEM;
        return -1;
    }
    json_decref (job->jobspec);
    free (job->jobspec_text);
    free (job->queue);
    job->jobspec = json_incref (jobspec);
    job->jobspec_text = text;
    job->queue = q;
    return 0;
}

json_t *job_jobspec (struct job *job)
{
    if (job->jobspec)
        return json_incref (job->jobspec);
    if (!job->jobspec_text)
        return NULL;
    return json_loads (job->jobspec_text, JSON_DECODE_ANY, NULL);
}

void job_jobspec_compact (struct job *job)
{
    if (job->jobspec_text) {
        json_decref (job->jobspec);
        job->jobspec = NULL;
    }
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
    if (s == JOB_RUN || s == JOB_INACTIVE || (s == JOB_CLEANUP && job->state == JOB_SCHED))
        jobmgr_priority_changed (jm); /* the running-jobs limits moved */
    job->state = s;
}

void jobmgr_count_running (struct jobmgr *jm, struct job *job)
{
    if (!job->in_nrunning) {
        jm->nrunning++;
        job->in_nrunning = true;
        if (jm->backlog_waiters)
            jobmgr_backlog_check (jm);
    }
}

uint32_t jobmgr_pending (const struct jobmgr *jm)
{
    return jm->nactive > jm->nrunning ? jm->nactive - jm->nrunning : 0;
}

void jobmgr_backlog_check (struct jobmgr *jm)
{
    uint32_t pending = jobmgr_pending (jm);
    struct waiter **pp = &jm->backlog_waiters;

    while (*pp) {
        struct waiter *w = *pp;
        json_int_t below = 0;
        (void)json_unpack (eddy_msg_payload (w->req), "{s:I}", "below", &below);
        if ((json_int_t)pending < below) {
            *pp = w->next;
            eddy_respond_pack (jm->h, w->req, "{s:I}", "pending", (json_int_t)pending);
            eddy_msg_decref (w->req);
            free (w);
        }
        else
            pp = &w->next;
    }
}

/* The in-memory side of an entry: the job's copy, the journal batch and
 * the state transitions of RFC 21.  line is the entry's encoding if the
 * caller has it, else NULL.
 */
static int apply_entry (struct jobmgr *jm, struct job *job, json_t *entry, const char *line,
                        json_t *journal)
{
    const char *name = json_string_value (json_object_get (entry, "name"));
    json_t *ctx = json_object_get (entry, "context");
    json_t *jent;

    if (!name || !(jent = json_pack ("{s:I s:O}", "id", (json_int_t)job->id, "entry", entry))
        || json_array_append_new (journal, jent) < 0
        || (line ? job_events_append_text (job, line) : job_events_append (job, entry)) < 0)
        return -1;
    jm->events_posted++;
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
        if (!jm->txn || eddy_jobindex_remove (jm->txn, job->id) < 0)
            eddy_log (jm->h, LOG_ERR, "job %ju: cannot remove it from the job index",
                      (uintmax_t)job->id);
        set_state (jm, job, JOB_INACTIVE);
    }
    return 0;
}

/* Append an entry's line to the job's eventlog in txn (created if NULL). */
static int stage_line (eddy_kvs_txn_t **txn, uint64_t id, const char *line)
{
    char key[128];

    if (!line || (!*txn && !(*txn = eddy_kvs_txn_create ()))
        || eddy_kvs_job_key (key, sizeof (key), id, "eventlog") < 0)
        return -1;
    return eddy_kvs_txn_append (*txn, key, line);
}

static int stage_entry (eddy_kvs_txn_t **txn, uint64_t id, json_t *entry)
{
    char *line = eddy_eventlog_entry_encode (entry);
    int rc = stage_line (txn, id, line);
    free (line);
    return rc;
}

/* Record a fact: acted on in memory at once, stored with this batch; what
 * the job does outside the job manager next waits for that batch.
 */
int job_post (struct jobmgr *jm, struct job *job, const char *name, json_t *context)
{
    eddy_reactor_t *r = eddy_handle_reactor (jm->h);
    json_t *entry = eddy_eventlog_entry_create (eddy_reactor_wallclock (r), name, context);

    /* encoded once, for the commit and for the job's copy */
    char *line = entry ? eddy_eventlog_entry_encode (entry) : NULL;

    json_decref (context);
    if (!line || stage_line (&jm->txn, job->id, line) < 0
        || apply_entry (jm, job, entry, line, jm->journal_batch) < 0) {
        free (line);
        json_decref (entry);
        eddy_log (jm->h, LOG_ERR, "job %ju: cannot record event %s", (uintmax_t)job->id, name);
        return -1;
    }
    free (line);
    job->need_seq = jm->seq_next;
    eddy_watcher_start (jm->flush_w);
    json_decref (entry);
    return 0;
}

/* The job's next effect outside the job manager depends on its entries:
 * true (and the job is listed to act again) while they are not stored.
 */
static bool waits (struct jobmgr *jm, struct job *job)
{
    if (job->need_seq <= jm->seq_done)
        return false;
    if (job->gated)
        return true;
    if (jm->ngated == jm->gated_cap) {
        size_t cap = jm->gated_cap ? jm->gated_cap * 2 : 64;
        uint64_t *p = realloc (jm->gated, cap * sizeof (*p));
        if (!p) {
            eddy_log (jm->h, LOG_ERR, "job %ju: out of memory: it waits for its commit",
                      (uintmax_t)job->id);
            return true;
        }
        jm->gated = p;
        jm->gated_cap = cap;
    }
    jm->gated[jm->ngated++] = job->id;
    job->gated = true;
    return true;
}

bool job_waits (struct jobmgr *jm, struct job *job)
{
    return waits (jm, job);
}

/* ---- the scheduler ---- */

static void alloc_cb (eddy_future_t *f, void *arg);

/* The request carries the resources of the job's queue, when it has
 * some: the scheduler places it only there.
 */
static void alloc_request (struct jobmgr *jm, struct job *job)
{
    struct jmq *q = job_queue (jm, job);
    json_t *js = job_jobspec (job);
    json_t *o = js ? json_pack ("{s:I s:I s:i s:f s:o}", "id", (json_int_t)job->id, "priority",
                                (json_int_t)job->priority, "userid", (int)job->userid, "t_submit",
                                job->t_submit, "jobspec", js)
                   : NULL;
    /* the scheduler takes what it needs from it; exec.start decodes the
     * text again, once */
    job_jobspec_compact (job);
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

/* job_jobspec (), decoded once for a run of compacted jobs with the same
 * text (the copies share the object: nothing changes a jobspec).
 */
static json_t *start_jobspec (struct jobmgr *jm, struct job *job)
{
    json_t *js;
    char *text;

    if (job->jobspec || !job->jobspec_text)
        return job_jobspec (job);
    if (jm->start_js_text && !strcmp (jm->start_js_text, job->jobspec_text))
        return json_incref (jm->start_js);
    if ((js = job_jobspec (job)) && (text = strdup (job->jobspec_text))) {
        json_decref (jm->start_js);
        free (jm->start_js_text);
        jm->start_js = json_incref (js);
        jm->start_js_text = text;
    }
    return js;
}

static void exec_start (struct jobmgr *jm, struct job *job)
{
    json_t *js = start_jobspec (jm, job);
    if (!js) {
        job_raise (jm, job, "exec", 0, 0, "the job's jobspec cannot be decoded (no memory)");
        return;
    }
    eddy_future_t *f = eddy_rpc_pack (jm->h, "exec.start", EDDY_NODEID_ANY, EDDY_RPC_STREAMING,
                                      "{s:I s:i s:O s:o}", "id", (json_int_t)job->id, "userid",
                                      (int)job->userid, "R", job->R, "jobspec", js);
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

void jobmgr_remember (struct jobmgr *jm, uint64_t id, uint32_t userid, bool success,
                      bool has_status, int status, const char *exc_type, const char *exc_note)
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
    g->userid = userid;
    g->success = success;
    g->status = status;
    g->has_status = has_status;
    g->exc_type = exc_type ? strdup (exc_type) : NULL;
    g->exc_note = exc_note ? strdup (exc_note) : NULL;
    eddy_u64map_put (jm->inactive, g->id, g);
}

static void remember (struct jobmgr *jm, struct job *job)
{
    jobmgr_remember (jm, job->id, job->userid, !job->fatal && job->finished && job->status == 0, job->finished,
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

const struct gone *gone_find (struct jobmgr *jm, uint64_t id)
{
    return eddy_u64map_get (jm->inactive, id);
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
            if (!jobmgr_depend_ready (jm, job)) {
                job_jobspec_compact (job); /* it may wait for long */
                return; /* depend.c acts again when that changes */
            }
            if (job->state == JOB_DEPEND)
                job_post (jm, job, "depend", NULL);
            continue;
        case JOB_PRIORITY:
            job_post (jm, job, "priority", jobmgr_priority_context (jm, job));
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
            job_jobspec_compact (job); /* waiting: as text only */
            return;
        }
        case JOB_RUN:
            /* the prolog first (perilog.c), then never start what a
             * restart would not know was allocated */
            if (!job->exec_running && !job->started && !job->finished
                && jobmgr_perilog_ready (jm, job, PL_PROLOG) && !waits (jm, job))
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
            /* a prolog under way ends first; then the epilog (perilog.c),
             * and what it drains is out of the scheduler's hands */
            if (job->prolog == PL_POSTED || job->prolog == PL_RUNNING) {
                jobmgr_perilog_ready (jm, job, PL_PROLOG);
                return;
            }
            if (job->has_resources && (!jobmgr_perilog_ready (jm, job, PL_EPILOG)
                                       || job->drains_pending > 0))
                return;
            if (job->has_resources) {
                if (!job->free_pending && !waits (jm, job)) {
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
            /* a request's entry still to be stored comes before clean */
            if (job->free_pending || job->nreq > 0)
                return;
            job_post (jm, job, "clean", NULL);
            continue;
        case JOB_INACTIVE:
            if (!waits (jm, job))
                job_inactive (jm, job);
            return;
        }
        return;
    }
}

static json_t *exception_context (const char *type, int severity, uint32_t userid,
                                  const char *note)
{
    return json_pack ("{s:s s:i s:s s:i}", "type", type, "severity", severity, "note",
                      note ? note : "", "userid", (int)userid);
}

static void note_fatal (struct job *job, const char *type, int severity, const char *note)
{
    if (severity == 0 && !job->fatal) {
        job->fatal = true;
        job->exc_type = strdup (type);
        job->exc_note = strdup (note ? note : "");
    }
}

int job_raise (struct jobmgr *jm, struct job *job, const char *type, int severity, uint32_t userid,
               const char *note)
{
    if (job->state == JOB_INACTIVE) {
        errno = EINVAL;
        return -1;
    }
    job_post (jm, job, "exception", exception_context (type, severity, userid, note));
    note_fatal (job, type, severity, note);
    return 0;
}

/* A stored urgency is in force: the priority follows (in SCHED; DEPEND
 * and PRIORITY compute it later; RUN and after: too late).  The plugin
 * computes it (priority.c).
 */
void job_urgency_apply (struct jobmgr *jm, struct job *job, int urgency)
{
    job->urgency = urgency;
    jobmgr_priority_reapply (jm, job);
}

/* ---- requests: acted on once stored ---- */

struct jmreq {
    eddy_msg_t *msg;
    eddy_kvs_txn_t *txn; /* its entries, in order */
    json_t *entries;     /* [[id, entry], ...] */
    json_t *response;
    bool facts;          /* answered once the facts of its batch are stored */
    struct jmreq *next;
};

static void req_free (struct jmreq *rq)
{
    if (rq) {
        eddy_msg_decref (rq->msg);
        eddy_kvs_txn_destroy (rq->txn);
        json_decref (rq->entries);
        json_decref (rq->response);
        free (rq);
    }
}

struct jmreq *jobmgr_req_begin (struct jobmgr *jm, const eddy_msg_t *msg, const char **text)
{
    struct jmreq *rq;

    if (jm->store_errnum) {
        /* facts are waiting for the store: nothing behind them is stored */
        *text = jm->store_error;
        errno = jm->store_errnum;
        return NULL;
    }
    if (!(rq = calloc (1, sizeof (*rq))) || !(rq->entries = json_array ())) {
        free (rq);
        *text = NULL;
        errno = ENOMEM;
        return NULL;
    }
    rq->msg = eddy_msg_incref (msg);
    return rq;
}

static int req_stage (struct jobmgr *jm, struct jmreq *rq, struct job *job, const char *name,
                      json_t *context)
{
    eddy_reactor_t *r = eddy_handle_reactor (jm->h);
    json_t *entry = eddy_eventlog_entry_create (eddy_reactor_wallclock (r), name, context);
    json_t *item = NULL;

    json_decref (context);
    if (job->state == JOB_INACTIVE) {
        json_decref (entry);
        errno = ENOENT;
        return -1;
    }
    if (!entry || stage_entry (&rq->txn, job->id, entry) < 0
        || !(item = json_pack ("[I,O]", (json_int_t)job->id, entry))
        || json_array_append_new (rq->entries, item) < 0) {
        json_decref (entry);
        errno = ENOMEM;
        return -1;
    }
    job->nreq++;
    json_decref (entry);
    return 0;
}

int jobmgr_req_raise (struct jobmgr *jm, struct jmreq *rq, struct job *job, const char *type,
                      int severity, uint32_t userid, const char *note)
{
    return req_stage (jm, rq, job, "exception", exception_context (type, severity, userid, note));
}

int jobmgr_req_urgency (struct jobmgr *jm, struct jmreq *rq, struct job *job, int urgency,
                        uint32_t userid)
{
    return req_stage (jm, rq, job, "urgency",
                      json_pack ("{s:i s:i}", "urgency", urgency, "userid", (int)userid));
}

/* The request is over for each of its jobs: stored and acted on (journal
 * not NULL), or refused.
 */
static void req_settle (struct jobmgr *jm, struct jmreq *rq, json_t *journal)
{
    size_t i;
    json_t *item;

    json_array_foreach (rq->entries, i, item) {
        json_int_t id = json_integer_value (json_array_get (item, 0));
        json_t *entry = json_array_get (item, 1);
        struct job *job = eddy_u64map_get (jm->active, (uint64_t)id);
        if (!job)
            continue;
        job->nreq--;
        if (journal && job->state != JOB_INACTIVE) {
            const char *name = json_string_value (json_object_get (entry, "name"));
            json_t *ctx = json_object_get (entry, "context");
            if (apply_entry (jm, job, entry, NULL, journal) < 0)
                eddy_log (jm->h, LOG_ERR, "job %ju: out of memory acting on a stored %s",
                          (uintmax_t)job->id, name);
            else if (!strcmp (name, "urgency")) {
                int urgency = job->urgency;
                json_unpack (ctx, "{s:i}", "urgency", &urgency);
                job_urgency_apply (jm, job, urgency);
            }
            else if (!strcmp (name, "exception")) {
                int severity = 1;
                const char *type = "", *note = "";
                json_unpack (ctx, "{s:s s:i s?s}", "type", &type, "severity", &severity, "note",
                             &note);
                note_fatal (job, type, severity, note);
            }
        }
        job_action (jm, job);
    }
}

void jobmgr_req_end (struct jobmgr *jm, struct jmreq *rq, json_t *response)
{
    rq->response = response;
    if (json_array_size (rq->entries) == 0 && !rq->facts) {
        eddy_respond (jm->h, rq->msg, rq->response);
        req_free (rq);
        return;
    }
    *jm->reqs_tail = rq;
    jm->reqs_tail = &rq->next;
    eddy_watcher_start (jm->flush_w);
}

void jobmgr_req_abort (struct jmreq *rq)
{
    req_free (rq);
}

void jobmgr_respond_stored (struct jobmgr *jm, const eddy_msg_t *msg, json_t *response)
{
    struct jmreq *rq;

    if (!jm->txn) {
        eddy_respond (jm->h, msg, response);
        json_decref (response);
        return;
    }
    if (!(rq = calloc (1, sizeof (*rq))) || !(rq->entries = json_array ())) {
        free (rq);
        json_decref (response);
        eddy_respond_error (jm->h, msg, ENOMEM, NULL);
        return;
    }
    rq->msg = eddy_msg_incref (msg);
    rq->facts = true;
    jobmgr_req_end (jm, rq, response);
}

/* Refuse the requests of list; those that wait only for facts stay in
 * it (the facts are tried again), which is returned.
 */
static struct jmreq *reqs_refuse (struct jobmgr *jm, struct jmreq *list, int errnum,
                                  const char *text)
{
    struct jmreq *kept = NULL, **tail = &kept;
    while (list) {
        struct jmreq *rq = list;
        list = rq->next;
        rq->next = NULL;
        if (rq->facts) {
            *tail = rq;
            tail = &rq->next;
            continue;
        }
        eddy_respond_error (jm->h, rq->msg, errnum, text);
        req_settle (jm, rq, NULL);
        req_free (rq);
    }
    return kept;
}

/* ---- the group commit ---- */

struct batch {
    uint64_t seq;
    eddy_kvs_txn_t *txn; /* facts: kept until stored */
    struct jmreq *reqs;  /* refused if the first try fails */
    json_t *journal;     /* for journal readers, once stored */
    eddy_future_t *f;    /* the commit in flight (NULL: waiting to retry) */
};

static void batch_destroy (struct batch *b)
{
    if (b) {
        eddy_future_destroy (b->f);
        eddy_kvs_txn_destroy (b->txn);
        json_decref (b->journal);
        while (b->reqs) {
            struct jmreq *rq = b->reqs;
            b->reqs = rq->next;
            req_free (rq);
        }
        free (b);
    }
}

/* Send entries to the journal readers: those of batch seq (0: entries
 * stored already, which every reader gets), to the readers that did not
 * have them in their first answer.
 */
static void journal_send (struct jobmgr *jm, uint64_t seq, json_t *events)
{
    json_t *o;

    if (json_array_size (events) == 0 || jm->njournal == 0)
        return;
    /* the array travels by reference inside this process: never change it
     * after sending */
    if (!(o = json_pack ("{s:O}", "events", events)))
        return;
    for (int i = 0; i < jm->njournal; i++)
        if (!seq || seq >= jm->jfrom[i])
            eddy_respond (jm->h, jm->journal[i], o);
    json_decref (o);
}

/* The first answer to a journal reader, with nothing in flight: every
 * active job's entries but those of the batch being gathered (the tail of
 * each job's list: the reader gets them with that batch).
 */
static void journal_answer (struct jobmgr *jm, const eddy_msg_t *msg)
{
    json_t *unstored = json_object (), *events = json_array (), *item;
    char key[32];
    size_t i;

    assert (!jm->inflight);
    json_array_foreach (jm->journal_batch, i, item) {
        snprintf (key, sizeof (key), "%jd",
                  (intmax_t)json_integer_value (json_object_get (item, "id")));
        json_object_set_new (unstored, key,
                             json_integer (json_integer_value (json_object_get (unstored, key))
                                           + 1));
    }
    for (struct job *job = jm->head; unstored && events && job; job = job->next) {
        snprintf (key, sizeof (key), "%jd", (intmax_t)job->id);
        size_t skip = (size_t)json_integer_value (json_object_get (unstored, key));
        json_t *logged = job_events (job);
        size_t n = json_array_size (logged);
        for (i = 0; i + skip < n; i++) {
            json_t *e = json_array_get (logged, i);
            const char *name = json_string_value (json_object_get (e, "name"));
            item = json_pack ("{s:I s:O}", "id", (json_int_t)job->id, "entry", e);
            if (item && i == 0) /* the submit entry carries the jobspec */
                json_object_set_new (item, "jobspec", job_jobspec (job));
            else if (item && job->R && name && !strcmp (name, "alloc"))
                json_object_set (item, "R", job->R); /* as the live alloc item does */
            json_array_append_new (events, item);
        }
        json_decref (logged);
    }
    json_decref (unstored);
    eddy_msg_t **p = realloc (jm->journal, (jm->njournal + 1) * sizeof (*p));
    if (p)
        jm->journal = p;
    uint64_t *fp = p ? realloc (jm->jfrom, (jm->njournal + 1) * sizeof (*fp)) : NULL;
    if (fp)
        jm->jfrom = fp;
    if (!events || !p || !fp) {
        json_decref (events);
        eddy_respond_error (jm->h, msg, ENOMEM, NULL);
        return;
    }
    jm->jfrom[jm->njournal] = jm->seq_next;
    jm->journal[jm->njournal++] = eddy_msg_incref (msg);
    eddy_respond_pack (jm->h, msg, "{s:o}", "events", events);
}

void jobmgr_journal_join (struct jobmgr *jm, const eddy_msg_t *msg)
{
    if (!jm->inflight)
        journal_answer (jm, msg);
    else if (eddy_held_add (&jm->journal_wait, msg) < 0)
        eddy_respond_error (jm->h, msg, ENOMEM, NULL);
}

static void journal_answer_waiting (struct jobmgr *jm)
{
    struct eddy_held *q = &jm->journal_wait;
    for (size_t i = 0; i < q->n; i++) {
        journal_answer (jm, q->msgs[i]);
        eddy_msg_decref (q->msgs[i]);
    }
    q->n = 0;
}

void jobmgr_journal_drop (struct jobmgr *jm, uint64_t origin, bool tell)
{
    struct eddy_held *q = &jm->journal_wait;
    size_t k = 0;
    int n = 0;

    for (size_t i = 0; i < q->n; i++) {
        if (eddy_msg_route_first (q->msgs[i]) == origin) {
            if (tell)
                eddy_respond_error (jm->h, q->msgs[i], ENODATA, NULL);
            eddy_msg_decref (q->msgs[i]);
        }
        else
            q->msgs[k++] = q->msgs[i];
    }
    q->n = k;
    for (int i = 0; i < jm->njournal; i++) {
        if (eddy_msg_route_first (jm->journal[i]) == origin) {
            if (tell)
                eddy_respond_error (jm->h, jm->journal[i], ENODATA, NULL);
            eddy_msg_decref (jm->journal[i]);
        }
        else {
            jm->jfrom[n] = jm->jfrom[i];
            jm->journal[n++] = jm->journal[i];
        }
    }
    jm->njournal = n;
}

/* Jobs whose effects waited act again (those still waiting list again). */
static void release_gated (struct jobmgr *jm)
{
    uint64_t *ids = jm->gated;
    size_t n = jm->ngated;

    jm->gated = NULL;
    jm->ngated = jm->gated_cap = 0;
    for (size_t i = 0; i < n; i++) {
        struct job *job = eddy_u64map_get (jm->active, ids[i]);
        if (job && job->gated) {
            job->gated = false;
            job_action (jm, job);
        }
    }
    free (ids);
}

static void batch_commit (struct jobmgr *jm, struct batch *b);

/* The batch is stored (or had only requests, now refused): journal
 * readers get it, requests are acted on and answered, waiting effects go
 * out, the next batch follows.
 */
static void batch_stored (struct jobmgr *jm, struct batch *b)
{
    json_t *journal = json_array ();

    jm->inflight = NULL;
    jm->seq_done = b->seq;
    journal_send (jm, b->seq, b->journal);
    /* before the requests act: each job's unstored entries are then the
     * tail of its list */
    journal_answer_waiting (jm);
    for (struct jmreq *rq = b->reqs; rq; rq = rq->next)
        req_settle (jm, rq, journal ? journal : jm->journal_batch);
    journal_send (jm, 0, journal);
    json_decref (journal);
    while (b->reqs) {
        struct jmreq *rq = b->reqs;
        b->reqs = rq->next;
        eddy_respond (jm->h, rq->msg, rq->response);
        req_free (rq);
    }
    batch_destroy (b);
    release_gated (jm);
    if (jm->txn || jm->reqs || json_array_size (jm->journal_batch) > 0)
        eddy_watcher_start (jm->flush_w);
}

/* Facts cannot be refused: keep them and try again later, with nothing
 * behind them acted on meanwhile; requests are refused with the store's
 * error (theirs and those waiting for the next batch).
 */
static void batch_failed (struct jobmgr *jm, struct batch *b, int errnum, const char *text)
{
    char buf[256];

    if (!text || !*text)
        text = strerror (errnum);
    b->reqs = reqs_refuse (jm, b->reqs, errnum, text);
    if (!b->txn) {
        batch_stored (jm, b);
        return;
    }
    jm->commit_failures++;
    if (!jm->store_errnum) {
        eddy_log (jm->h, LOG_ERR, "eventlog commit failed: %s; retrying until it is stored "
                  "(requests are refused meanwhile)", text);
        snprintf (buf, sizeof (buf), "the job manager cannot store its eventlogs: %s", text);
        free (jm->store_error);
        jm->store_error = strdup (buf);
        jm->store_errnum = errnum;
    }
    struct jmreq *waiting = jm->reqs;
    jm->reqs = NULL;
    jm->reqs_tail = &jm->reqs;
    waiting = reqs_refuse (jm, waiting, errnum, jm->store_error ? jm->store_error : text);
    while (waiting) { /* back in the next batch, in order */
        struct jmreq *rq = waiting;
        waiting = rq->next;
        rq->next = NULL;
        *jm->reqs_tail = rq;
        jm->reqs_tail = &rq->next;
    }
    jm->retry_delay = jm->retry_delay > 0 ? jm->retry_delay * 2 : 0.1;
    if (jm->retry_delay > 5)
        jm->retry_delay = 5;
    eddy_timer_set (jm->retry_w, jm->retry_delay, 0);
    eddy_watcher_start (jm->retry_w);
}

static void commit_cb (eddy_future_t *f, void *arg)
{
    struct jobmgr *jm = arg;
    struct batch *b = jm->inflight;

    assert (b && b->f == f);
    b->f = NULL;
    if (eddy_rpc_get (f, NULL) < 0) {
        int errnum = errno;
        char *text = strdup (eddy_future_error_string (f) ? eddy_future_error_string (f) : "");
        eddy_future_destroy (f);
        batch_failed (jm, b, errnum, text);
        free (text);
        return;
    }
    eddy_future_destroy (f);
    if (jm->store_errnum) {
        eddy_log (jm->h, LOG_NOTICE, "eventlog commit stored after %ju failed tries",
                  (uintmax_t)jm->commit_failures);
        jm->store_errnum = 0;
        free (jm->store_error);
        jm->store_error = NULL;
    }
    jm->retry_delay = 0;
    batch_stored (jm, b);
}

static void batch_commit (struct jobmgr *jm, struct batch *b)
{
    eddy_kvs_txn_t *all = NULL, *t = b->txn;
    eddy_future_t *f = NULL;

    if (b->reqs) {
        /* the requests' entries after the facts: that is the order in
         * which they are acted on */
        if (!(all = eddy_kvs_txn_create ()) || (b->txn && eddy_kvs_txn_concat (all, b->txn) < 0))
            goto error;
        for (struct jmreq *rq = b->reqs; rq; rq = rq->next)
            if (rq->txn && eddy_kvs_txn_concat (all, rq->txn) < 0)
                goto error;
        t = all;
    }
    if (!t) {
        batch_stored (jm, b);
        return;
    }
    if (!(f = eddy_kvs_commit (jm->h, NULL, 0, t)) || eddy_future_then (f, -1, commit_cb, jm) < 0)
        goto error;
    eddy_kvs_txn_destroy (all);
    b->f = f;
    return;
error:
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (all);
    batch_failed (jm, b, errno ? errno : ENOMEM, "cannot send the eventlog commit");
}

void jobmgr_retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobmgr *jm = arg;

    eddy_watcher_stop (w);
    if (jm->inflight && !jm->inflight->f)
        batch_commit (jm, jm->inflight);
}

/* Once per iteration: what was posted since the last batch becomes the
 * next one, if none is in flight (else that one's end sends it).
 */
void jobmgr_flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobmgr *jm = arg;
    struct batch *b;
    json_t *fresh;

    eddy_watcher_stop (w);
    if (jm->inflight || (!jm->txn && !jm->reqs && json_array_size (jm->journal_batch) == 0))
        return;
    if (!(b = calloc (1, sizeof (*b))) || !(fresh = json_array ())) {
        free (b);
        eddy_log (jm->h, LOG_ERR, "out of memory: eventlog entries wait for the next iteration");
        eddy_watcher_start (w);
        return;
    }
    b->seq = jm->seq_next++;
    b->txn = jm->txn;
    b->reqs = jm->reqs;
    b->journal = jm->journal_batch;
    jm->txn = NULL;
    jm->reqs = NULL;
    jm->reqs_tail = &jm->reqs;
    jm->journal_batch = fresh;
    jm->inflight = b;
    batch_commit (jm, b);
}

/* At unload: what is not stored is lost with the instance, as a crash
 * would lose it; requests waiting for it are told.
 */
void jobmgr_commit_destroy (struct jobmgr *jm)
{
    struct jmreq *list = jm->reqs;
    if (jm->inflight) {
        for (struct jmreq *rq = jm->inflight->reqs; rq; rq = rq->next)
            eddy_respond_error (jm->h, rq->msg, ENOSYS, "job-manager unloaded");
        batch_destroy (jm->inflight);
        jm->inflight = NULL;
    }
    while (list) {
        struct jmreq *rq = list;
        list = rq->next;
        eddy_respond_error (jm->h, rq->msg, ENOSYS, "job-manager unloaded");
        req_free (rq);
    }
    jm->reqs = NULL;
    jm->reqs_tail = &jm->reqs;
    free (jm->gated);
    jm->gated = NULL;
    free (jm->store_error);
    jm->store_error = NULL;
}

void jobmgr_check_waiters (struct jobmgr *jm)
{
    if (jm->backlog_waiters)
        jobmgr_backlog_check (jm);
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
