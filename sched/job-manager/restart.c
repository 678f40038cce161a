/* restart.c - the job manager comes back with the jobs of the previous
 * instance (a KVS kept in a state directory): it reads the index of
 * active jobs (sched/jobindex.h) and replays each of their eventlogs
 * (sched/jobscan.h, replay.c), so the cost follows the active jobs, not
 * the history.  Inactive jobs stay in the KVS untouched: job-manager.wait
 * reads one back when asked (job-manager.c), job-list lists them itself.
 * A state directory without the index (written before it existed) is
 * walked in full once, and the index of its active jobs is written then.
 * With purge_count set the directory is walked too, to put the kept
 * inactive jobs back in the purge queue (purge_count bounds that walk).
 *
 * Modules share the broker's reactor, so the walk is asynchronous; until
 * it is over every request waits in a queue and is delivered again, in
 * arrival order, afterwards.  Then:
 *  - inactive jobs are remembered for job-manager.wait and re-enter the
 *    purge queue in the order they became inactive;
 *  - pending jobs are active again where their events left them and ask
 *    the scheduler anew;
 *  - jobs in RUN lost their processes with the old instance: they get a
 *    fatal "restart" exception and go to INACTIVE (those already in
 *    CLEANUP just finish their cleanup).  The scheduler of this instance
 *    never allocated their resources, so they are not freed (the resource
 *    and sched modules start with everything free).
 * A job whose eventlog cannot be replayed is logged and left as it is; its
 * id still counts for max_jobid, so no new job lands in its directory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "sched/job-manager/jobmgr.h"
#include "sched/jobindex.h"
#include "sched/jobscan.h"

#define RESTART_NOTE "job was running when the instance stopped"

/* An inactive job, as much as wait and the purge queue need. */
struct inactive {
    uint64_t id;
    uint32_t userid;
    double t_inactive;
    bool success, has_status;
    int status;
    char *exc_type, *exc_note;
};

struct restore {
    eddy_future_t *queues_f; /* the queues' states, read first */
    eddy_jobindex_read_t *index;
    bool walked;      /* the whole job directory is read */
    bool write_index; /* ...because there was no index: write it after */
    uint64_t index_max; /* the largest job id, from the index's descent */
    eddy_jobscan_t *scan;
    struct job **active; /* revived, owned here until the scan ends */
    size_t nactive, active_cap;
    struct inactive *inactive;
    size_t ninactive, inactive_cap;
    uint32_t skipped;
    struct eddy_held deferred; /* requests that arrived meanwhile */
};

static void *grow (void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *q = realloc (p, ncap * size);
    if (q)
        *cap = ncap;
    return q;
}

bool jobmgr_defer (struct jobmgr *jm, const eddy_msg_t *msg)
{
    struct restore *rs = jm->restore;

    if (!rs)
        return false;
    if (eddy_held_add (&rs->deferred, msg) < 0)
        eddy_respond_error (jm->h, msg, ENOMEM, NULL);
    return true;
}

static int add_inactive (struct restore *rs, uint64_t id, const struct jobreplay *jr)
{
    struct inactive *p = grow (rs->inactive, &rs->inactive_cap, rs->ninactive, sizeof (*p));
    if (!p)
        return -1;
    rs->inactive = p;
    struct inactive *in = &p[rs->ninactive];
    *in = (struct inactive){
        .id = id,
        .userid = jr->userid,
        .t_inactive = jr->t_inactive,
        .success = !jr->fatal && jr->finished && jr->status == 0,
        .has_status = jr->finished,
        .status = jr->status,
    };
    if (jr->exc_type && (!(in->exc_type = strdup (jr->exc_type))
                         || !(in->exc_note = strdup (jr->exc_note ? jr->exc_note : "")))) {
        free (in->exc_type);
        return -1;
    }
    rs->ninactive++;
    return 0;
}

/* A job that is active again: its state and facts as its events left them. */
static struct job *revive (struct jobmgr *jm, uint64_t id, const struct jobreplay *jr, json_t *events)
{
    struct job *job = job_create (jm, id);
    if (!job)
        return NULL;
    if (job_events_set (job, events) < 0) {
        job_destroy (job);
        return NULL;
    }
    job->state = jr->state;
    job->userid = jr->userid;
    job->urgency = jr->urgency;
    job->priority = jr->priority;
    job->flags = jr->flags;
    job->t_submit = jr->t_submit;
    job->started = jr->started;
    job->finished = jr->finished;
    job->status = jr->status;
    if (jr->fatal) {
        job->fatal = true;
        if (!(job->exc_type = strdup (jr->exc_type)) || !(job->exc_note = strdup (jr->exc_note))) {
            job_destroy (job);
            return NULL;
        }
    }
    return job;
}

/* Add a change to the index to this iteration's commit. */
static void index_change (struct jobmgr *jm, uint64_t id, bool add)
{
    if ((!jm->txn && !(jm->txn = eddy_kvs_txn_create ()))
        || (add ? eddy_jobindex_add (jm->txn, id) : eddy_jobindex_remove (jm->txn, id)) < 0) {
        eddy_log (jm->h, LOG_ERR, "job %ju: cannot update the job index", (uintmax_t)id);
        return;
    }
    eddy_watcher_start (jm->flush_w);
}

static void index_drop (struct jobmgr *jm, uint64_t id)
{
    index_change (jm, id, false);
}

static int eventlog_cb (uint64_t id, const char *text, void *arg)
{
    struct jobmgr *jm = arg;
    struct restore *rs = jm->restore;
    struct jobreplay jr;
    eddy_error_t err;
    json_t *events = jobmgr_replay (text, &jr, &err);
    struct job *job = NULL, **p;
    int want = 0;

    if (!events) {
        eddy_log (jm->h, LOG_ERR, "job %ju: its eventlog cannot be replayed (%s); left as it is",
                  (uintmax_t)id, err.text);
        rs->skipped++;
        return 0;
    }
    if (jr.state == JOB_INACTIVE) {
        if (add_inactive (rs, id, &jr) < 0)
            goto nomem;
        if (!rs->walked)
            index_drop (jm, id); /* inactive, yet indexed: the entry is stale */
    }
    else {
        if (!(p = grow (rs->active, &rs->active_cap, rs->nactive, sizeof (*p))))
            goto nomem;
        rs->active = p;
        if (!(job = revive (jm, id, &jr, events)))
            goto nomem;
        rs->active[rs->nactive++] = job;
        want = EDDY_JOBSCAN_JOBSPEC | (jr.alloc ? EDDY_JOBSCAN_R : 0);
    }
    json_decref (events);
    return want;
nomem:
    eddy_log (jm->h, LOG_ERR, "job %ju: out of memory while restoring it", (uintmax_t)id);
    job_destroy (job);
    json_decref (events);
    rs->skipped++;
    return 0;
}

/* The revived job with this id: the scan has at most MAX_INFLIGHT jobs
 * between eventlog and extra, the newest ones, so look from the end.
 */
static struct job *revived (struct restore *rs, uint64_t id)
{
    for (size_t i = rs->nactive; i-- > 0;)
        if (rs->active[i]->id == id)
            return rs->active[i];
    return NULL;
}

static void extra_cb (uint64_t id, const char *text, json_t *jobspec, json_t *R, void *arg)
{
    struct jobmgr *jm = arg;
    struct job *job = revived (jm->restore, id);

    if (job) {
        if (jobspec)
            (void)job_jobspec_set (job, jobspec); /* no memory: as unread */
        job->R = json_incref (R);
    }
}

static int by_id (const void *a, const void *b)
{
    uint64_t x = (*(struct job *const *)a)->id, y = (*(struct job *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* The order jobs became inactive: (clean time, id). */
static int by_inactive (const void *a, const void *b)
{
    const struct inactive *x = a, *y = b;
    if (x->t_inactive != y->t_inactive)
        return x->t_inactive < y->t_inactive ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void restore_inactive (struct jobmgr *jm, struct restore *rs)
{
    if (rs->ninactive > 1)
        qsort (rs->inactive, rs->ninactive, sizeof (rs->inactive[0]), by_inactive);
    for (size_t i = 0; i < rs->ninactive; i++) {
        struct inactive *in = &rs->inactive[i];
        jobmgr_remember (jm, in->id, in->userid, in->success, in->has_status, in->status, in->exc_type,
                         in->exc_note);
        jobmgr_purge_at (jm, in->id, in->t_inactive);
        jm->jobs_inactive++;
    }
}

/* Active again, in submission (id) order; those that held resources count
 * as running until their clean entry.
 */
static void restore_active (struct jobmgr *jm, struct restore *rs)
{
    if (rs->nactive > 1)
        qsort (rs->active, rs->nactive, sizeof (rs->active[0]), by_id);
    for (size_t i = 0; i < rs->nactive; i++) {
        struct job *job = rs->active[i];
        if (eddy_u64map_put (jm->active, job->id, job) < 0) {
            eddy_log (jm->h, LOG_ERR, "job %ju: out of memory while restoring it",
                      (uintmax_t)job->id);
            job_destroy (job);
            rs->active[i] = NULL;
            continue;
        }
        jobmgr_link (jm, job);
        if (job->state == JOB_RUN || (job->state == JOB_CLEANUP && (job->R || job->started)))
            jobmgr_count_running (jm, job);
    }
}

/* What each revived job needs now: a fatal exception if it lost its
 * processes (or cannot run: no jobspec), then whatever its state asks for.
 * A job already in CLEANUP (finished, or a fatal exception) only lacked
 * its clean entry: it keeps its result.
 */
static void restart_actions (struct jobmgr *jm, uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct job *job = eddy_u64map_get (jm->active, ids[i]);
        if (!job)
            continue; /* a deferred request already took it to INACTIVE */
        if (job->state == JOB_RUN)
            job_raise (jm, job, "restart", 0, 0, RESTART_NOTE);
        else if (!job->fatal && !job->jobspec_text)
            job_raise (jm, job, "restart", 0, 0, "the job's jobspec could not be read");
        else if (job->state == JOB_SCHED)
            job_urgency_apply (jm, job, job->urgency); /* its priority may not be stored */
        job_action (jm, job);
    }
}

/* A job-manager.wait on a stored eventlog (below). */
struct stored_wait {
    struct jobmgr *jm;
    uint64_t id;
    eddy_msg_t *req;
    eddy_future_t *f;
    struct stored_wait *prev, *next;
};

static void stored_wait_free (struct stored_wait *sw);

static void restore_free (struct restore *rs, eddy_handle_t *h)
{
    if (!rs)
        return;
    eddy_future_destroy (rs->queues_f);
    eddy_jobindex_read_destroy (rs->index);
    eddy_jobscan_destroy (rs->scan);
    for (size_t i = 0; i < rs->nactive; i++)
        job_destroy (rs->active[i]);
    for (size_t i = 0; i < rs->ninactive; i++) {
        free (rs->inactive[i].exc_type);
        free (rs->inactive[i].exc_note);
    }
    free (rs->inactive);
    free (rs->active);
    eddy_held_fail (&rs->deferred, h, ENOSYS, "job-manager unloaded");
    free (rs);
}

/* After a walk: the index of the active jobs found and its mark, in one
 * commit (with whatever else this iteration posts), so the next restart
 * reads only them.  Jobs whose eventlog could not be replayed are not
 * indexed, as before they are left alone.
 */
static void write_index (struct jobmgr *jm, struct restore *rs)
{
    if (!jm->txn && !(jm->txn = eddy_kvs_txn_create ()))
        goto error;
    for (size_t i = 0; i < rs->nactive; i++)
        if (rs->active[i] && eddy_jobindex_add (jm->txn, rs->active[i]->id) < 0)
            goto error;
    if (eddy_jobindex_mark (jm->txn) < 0)
        goto error;
    eddy_watcher_start (jm->flush_w);
    return;
error:
    eddy_log (jm->h, LOG_ERR, "restart: cannot write the job index (%s); the next restart "
                              "walks the job directory again", strerror (errno));
}

static void done_cb (eddy_jobscan_t *scan, int errnum, void *arg)
{
    struct jobmgr *jm = arg;
    struct restore *rs = jm->restore;
    uint64_t *ids = NULL;
    size_t nids = rs->nactive;

    if (errnum)
        eddy_log (jm->h, LOG_ERR, "restart: the job directory was not read in full (%s); "
                                  "some jobs of the previous instance are not restored",
                  strerror (errnum));
    if (eddy_jobscan_max_id (scan) > jm->max_jobid)
        jm->max_jobid = eddy_jobscan_max_id (scan);
    if (rs->index_max > jm->max_jobid)
        jm->max_jobid = rs->index_max;
    restore_inactive (jm, rs);
    restore_active (jm, rs);
    if (rs->write_index)
        write_index (jm, rs);
    if (rs->nactive > 0 && !(ids = calloc (rs->nactive, sizeof (*ids))))
        eddy_log (jm->h, LOG_ERR, "restart: out of memory; revived jobs wait for a request");
    for (size_t i = 0; ids && i < rs->nactive; i++)
        ids[i] = rs->active[i] ? rs->active[i]->id : 0;
    if (eddy_jobscan_count (scan) > 0)
        eddy_log (jm->h, LOG_INFO, "restart: %zu active and %zu inactive jobs restored, %u skipped%s",
                  rs->nactive, rs->ninactive, rs->skipped,
                  rs->write_index ? " (the job directory was walked: job index written)"
                  : rs->walked    ? " (the job directory was walked for the purge queue)"
                                  : "");

    /* the restore is over: requests go straight to their handlers again */
    jm->restore = NULL;
    rs->nactive = 0; /* the jobs are jm's now */
    eddy_held_release (&rs->deferred, jm->h);
    /* journal readers among them have seen the revived jobs as they were;
     * now they see what happens to them */
    restart_actions (jm, ids, ids ? nids : 0);
    free (ids);
    restore_free (rs, jm->h);
}

static const struct eddy_jobscan_ops scan_ops = {
    .eventlog = eventlog_cb,
    .extra = extra_cb,
    .done = done_cb,
};

/* The index is read: scan its jobs, or the whole directory without one. */
static void index_cb (eddy_jobindex_read_t *rd, int errnum, void *arg)
{
    struct jobmgr *jm = arg;
    struct restore *rs = jm->restore;

    if (errnum && errnum != ENOENT)
        eddy_log (jm->h, LOG_ERR, "restart: the job index cannot be read (%s); walking the job "
                                  "directory instead", strerror (errnum));
    /* with a purge limit set, the purge queue needs every kept inactive job
     * (the walk then costs what the limit lets the history grow to) */
    rs->write_index = errnum != 0;
    rs->walked = rs->write_index || jm->purge_count >= 0 || jm->purge_age >= 0;
    rs->index_max = eddy_jobindex_max_id (rd);
    rs->scan = rs->walked ? eddy_jobscan_start (jm->h, &scan_ops, jm)
                          : eddy_jobscan_start_dir (jm->h, &scan_ops, jm, EDDY_JOBINDEX_DIR);
    rs->index = NULL;
    eddy_jobindex_read_destroy (rd);
    if (!rs->scan) {
        /* nothing can be read back: start empty rather than hold every
         * request forever; ids still stay above the old ones */
        eddy_log (jm->h, LOG_ERR, "restart: cannot read the jobs back (%s); none restored",
                  strerror (errno));
        if (rs->index_max > jm->max_jobid)
            jm->max_jobid = rs->index_max;
        jm->restore = NULL;
        eddy_held_release (&rs->deferred, jm->h);
        restore_free (rs, jm->h);
    }
}

/* The queues' states come back before any job does, so a job of a
 * stopped queue never asks the scheduler.  Then the index is read.
 */
static void queues_cb (eddy_future_t *f, void *arg)
{
    struct jobmgr *jm = arg;
    struct restore *rs = jm->restore;
    const char *text;
    json_t *o;

    if (eddy_kvs_lookup_get (f, &text) < 0) {
        if (errno != ENOENT)
            eddy_log (jm->h, LOG_ERR, "restart: the queues' states cannot be read (%s); every "
                      "queue is enabled and started", eddy_future_error_string (f));
    }
    else if (!(o = json_loads (text, 0, NULL)) || jmq_states_apply (&jm->queues, o) < 0) {
        eddy_log (jm->h, LOG_ERR, "restart: %s is malformed; every queue is enabled and started",
                  QUEUES_KEY);
        json_decref (o);
    }
    else
        json_decref (o);
    eddy_future_destroy (f);
    rs->queues_f = NULL;
    if (!(rs->index = eddy_jobindex_read (jm->h, index_cb, jm))) {
        eddy_log (jm->h, LOG_ERR, "restart: cannot read the job index (%s); no job restored",
                  strerror (errno));
        jm->restore = NULL;
        eddy_held_release (&rs->deferred, jm->h);
        restore_free (rs, jm->h);
    }
}

int jobmgr_restore_start (struct jobmgr *jm)
{
    struct restore *rs = calloc (1, sizeof (*rs));
    if (!rs)
        return -1;
    jm->restore = rs;
    if (!(rs->queues_f = eddy_kvs_lookup (jm->h, NULL, 0, QUEUES_KEY))
        || eddy_future_then (rs->queues_f, -1, queues_cb, jm) < 0) {
        jm->restore = NULL;
        restore_free (rs, NULL);
        return -1;
    }
    return 0;
}

void jobmgr_restore_destroy (struct jobmgr *jm)
{
    struct restore *rs = jm->restore;
    jm->restore = NULL;
    restore_free (rs, jm->h);
    while (jm->stored_waits) {
        struct stored_wait *sw = jm->stored_waits;
        jm->stored_waits = sw->next;
        eddy_respond_error (jm->h, sw->req, ENOSYS, "job-manager unloaded");
        stored_wait_free (sw);
    }
}

/* ---- job-manager.wait on a job of an earlier instance ---- */

/* The restart reads only active jobs: an older inactive one is read back
 * from its eventlog when someone waits on it, and remembered after that.
 */

static void stored_wait_free (struct stored_wait *sw)
{
    eddy_future_destroy (sw->f);
    eddy_msg_decref (sw->req);
    free (sw);
}

static void stored_unknown (struct jobmgr *jm, const eddy_msg_t *req, uint64_t id)
{
    char text[96];
    snprintf (text, sizeof (text), "job %ju is unknown or was purged", (uintmax_t)id);
    eddy_respond_error (jm->h, req, ENOENT, text);
}

static void stored_eventlog_cb (eddy_future_t *f, void *arg)
{
    struct stored_wait *sw = arg;
    struct jobmgr *jm = sw->jm;
    struct jobreplay jr;
    eddy_error_t err;
    const char *text;
    json_t *events = NULL, *res;

    if (sw->prev)
        sw->prev->next = sw->next;
    else
        jm->stored_waits = sw->next;
    if (sw->next)
        sw->next->prev = sw->prev;
    /* meanwhile it may have been remembered, or be a new active job */
    if (jobmgr_wait_known (jm, sw->req, sw->id))
        goto done;
    if (eddy_kvs_lookup_get (f, &text) < 0 || !(events = jobmgr_replay (text, &jr, &err))
        || jr.state != JOB_INACTIVE) {
        stored_unknown (jm, sw->req, sw->id);
        goto done;
    }
    jobmgr_remember (jm, sw->id, jr.userid, !jr.fatal && jr.finished && jr.status == 0, jr.finished,
                     jr.status, jr.exc_type, jr.exc_note);
    if (!jobmgr_may_wait (jm, sw->req, sw->id, jr.userid))
        goto done;
    if (!gone_lookup (jm, sw->id, &res)) /* remembering nothing (inactive_remember 0) */
        stored_unknown (jm, sw->req, sw->id);
    else {
        eddy_respond (jm->h, sw->req, res);
        json_decref (res);
    }
done:
    json_decref (events);
    stored_wait_free (sw);
}

void jobmgr_wait_stored (struct jobmgr *jm, const eddy_msg_t *msg, uint64_t id)
{
    struct stored_wait *sw = NULL;
    char key[128];

    if (id == 0 || id > jm->max_jobid || eddy_kvs_job_key (key, sizeof (key), id, "eventlog") < 0) {
        stored_unknown (jm, msg, id);
        return;
    }
    if (!(sw = calloc (1, sizeof (*sw))))
        goto nomem;
    sw->jm = jm;
    sw->id = id;
    sw->req = eddy_msg_incref ((eddy_msg_t *)msg);
    if (!(sw->f = eddy_kvs_lookup (jm->h, NULL, 0, key))
        || eddy_future_then (sw->f, -1, stored_eventlog_cb, sw) < 0)
        goto nomem;
    sw->next = jm->stored_waits;
    if (sw->next)
        sw->next->prev = sw;
    jm->stored_waits = sw;
    return;
nomem:
    if (sw)
        stored_wait_free (sw);
    eddy_respond_error (jm->h, msg, errno ? errno : ENOMEM, NULL);
}
