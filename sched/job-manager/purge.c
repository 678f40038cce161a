/* purge.c - inactive jobs leave the KVS: the oldest beyond a count
 * (inactive-num-limit, module arg purge_count) and those inactive for
 * longer than an age (inactive-age-limit), at once as they pile up, and on
 * request (job-manager.purge, `eddy job purge`, as flux job purge).
 *
 * The purge queue holds every job that became inactive in this instance
 * (and, when a limit is set, those a restart found), oldest first; a purge
 * unlinks the job's KVS directory in this iteration's commit, forgets it
 * for job-manager.wait and tells journal readers (job-list drops it) with
 * a "purge" item that is not an eventlog entry.  The age limit is kept by
 * a reactor timer at the oldest job's deadline, so it runs in virtual time
 * in the simulator.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/util/eventlog.h"
#include "sched/job-manager/jobmgr.h"

static double wallclock (struct jobmgr *jm)
{
    return eddy_reactor_wallclock (eddy_handle_reactor (jm->h));
}

/* job.A.B.C.D is gone: prune job.A.B.C, job.A.B and job.A if that left
 * them empty, so directories do not pile up with history (the KVS keeps
 * them if anything else is still in them).
 */
static void prune_parents (eddy_kvs_txn_t *txn, char *key)
{
    char *dot;
    while ((dot = strrchr (key, '.')) && strchr (key, '.') != dot) {
        *dot = '\0';
        if (eddy_kvs_txn_prune (txn, key) < 0)
            return;
    }
}

/* Unlink the oldest queued job; false if that could not be staged. */
static bool purge_oldest (struct jobmgr *jm)
{
    struct purge_entry old = jm->purgeq[jm->pq_head];
    char key[128];
    json_t *item;

    if (!jm->txn && !(jm->txn = eddy_kvs_txn_create ()))
        return false;
    if (eddy_kvs_job_key (key, sizeof (key), old.id, NULL) < 0
        || eddy_kvs_txn_unlink (jm->txn, key) < 0)
        return false;
    prune_parents (jm->txn, key);
    jm->pq_head = (jm->pq_head + 1) % jm->pq_cap;
    jm->pq_count--;
    jm->purged++;
    eddy_u64map_remove (jm->inactive, old.id); /* wait says it is unknown now */
    item = json_pack ("{s:I s:{s:f s:s s:{}}}", "id", (json_int_t)old.id, "entry", "timestamp",
                      wallclock (jm), "name", "purge", "context");
    if (item && json_array_append_new (jm->journal_batch, item) < 0)
        eddy_log (jm->h, LOG_ERR, "job %ju: purged, but journal readers are not told",
                  (uintmax_t)old.id);
    eddy_watcher_start (jm->flush_w);
    return true;
}

/* How many of the queue's jobs the limits take (age < 0, num < 0: none). */
static uint32_t count_over (struct jobmgr *jm, double age, int num)
{
    uint32_t n = 0;
    if (num >= 0 && jm->pq_count > (uint32_t)num)
        n = jm->pq_count - (uint32_t)num;
    if (age >= 0) {
        double cutoff = wallclock (jm) - age;
        while (n < jm->pq_count && jm->purgeq[(jm->pq_head + n) % jm->pq_cap].t <= cutoff)
            n++;
    }
    return n;
}

static uint32_t purge_n (struct jobmgr *jm, uint32_t n)
{
    uint32_t done = 0;
    while (done < n && jm->pq_count > 0 && purge_oldest (jm))
        done++;
    if (done < n)
        eddy_log (jm->h, LOG_ERR, "purge: %u inactive jobs left in the KVS: %s", n - done,
                  strerror (errno));
    return done;
}

static void age_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_watcher_stop (w);
    jobmgr_purge_trim (arg);
}

/* The age timer, at the oldest kept job's deadline (stopped if none). */
static void arm (struct jobmgr *jm)
{
    if (jm->purge_age < 0 || jm->pq_count == 0) {
        eddy_watcher_stop (jm->purge_w);
        return;
    }
    double after = jm->purgeq[jm->pq_head].t + jm->purge_age - wallclock (jm);
    if (!(after > 0))
        after = 0;
    if (!jm->purge_w
        && !(jm->purge_w = eddy_timer_create (eddy_handle_reactor (jm->h), after, 0, age_cb, jm))) {
        eddy_log (jm->h, LOG_ERR, "inactive-age-limit: no timer: %s", strerror (errno));
        return;
    }
    eddy_watcher_stop (jm->purge_w);
    eddy_timer_set (jm->purge_w, after, 0);
    eddy_watcher_start (jm->purge_w);
}

void jobmgr_purge_at (struct jobmgr *jm, uint64_t id, double t_inactive)
{
    if (jm->pq_count == jm->pq_cap) {
        uint32_t cap = jm->pq_cap ? jm->pq_cap * 2 : 64;
        struct purge_entry *p = malloc (cap * sizeof (*p));
        if (!p) {
            eddy_log (jm->h, LOG_ERR, "job %ju: out of memory: it is never purged",
                      (uintmax_t)id);
            return;
        }
        for (uint32_t i = 0; i < jm->pq_count; i++)
            p[i] = jm->purgeq[(jm->pq_head + i) % jm->pq_cap];
        free (jm->purgeq);
        jm->purgeq = p;
        jm->pq_cap = cap;
        jm->pq_head = 0;
    }
    jm->purgeq[(jm->pq_head + jm->pq_count++) % jm->pq_cap] = (struct purge_entry){ id, t_inactive };
    jobmgr_purge_trim (jm);
}

void jobmgr_purge (struct jobmgr *jm, uint64_t id)
{
    jobmgr_purge_at (jm, id, wallclock (jm));
}

void jobmgr_purge_trim (struct jobmgr *jm)
{
    purge_n (jm, count_over (jm, jm->purge_age, jm->purge_count));
    arm (jm);
}

void jobmgr_purge_destroy (struct jobmgr *jm)
{
    eddy_watcher_destroy (jm->purge_w);
    jm->purge_w = NULL;
    free (jm->purgeq);
    jm->purgeq = NULL;
}

/* job-manager.purge {age_limit?, num_limit?, force?} -> {count}: the
 * inactive jobs over the limits given (seconds, a count; without either,
 * the configured ones), purged with force, only counted without.
 */
void jobmgr_purge_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    double age = -1;
    int num = -1, force = 0;

    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s?F s?i s?b}", "age_limit", &age, "num_limit",
                        &num, "force", &force)
               < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.purge: malformed request");
        return;
    }
    if ((json_object_get (eddy_msg_payload (msg), "age_limit") && !(age >= 0 && isfinite (age)))
        || (json_object_get (eddy_msg_payload (msg), "num_limit") && num < 0)) {
        eddy_respond_error (h, msg, EINVAL, "age_limit must be a duration, num_limit >= 0");
        return;
    }
    if (!json_object_get (eddy_msg_payload (msg), "age_limit")
        && !json_object_get (eddy_msg_payload (msg), "num_limit")) {
        age = jm->purge_age;
        num = jm->purge_count;
    }
    uint32_t n = count_over (jm, age, num);
    if (force) {
        n = purge_n (jm, n);
        arm (jm);
    }
    /* the unlinks are stored before the answer */
    jobmgr_respond_stored (jm, msg, json_pack ("{s:i}", "count", (int)n));
}
