/* sched.c - the sched module (rank 0): a queue of sched.alloc requests, a
 * free pool of R, and a policy (sched/policy.h) run once per quiescent
 * instant from an idle watcher, so a pass sees every arrival and
 * completion of the instant (docs/protocols.md, "sched").
 *
 * R comes from the resource module (resource.acquire) or from module args
 * {"R": R}.  Then job-manager.sched-hello tells which jobs already hold
 * resources; if no job manager is loaded (ENOSYS), none do, and a job
 * manager loaded later must start with no running jobs.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/future.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "engine/util/u64map.h"
#include "sched/jobspec.h"
#include "sched/policy.h"
#include "sched/rlist.h"
#include "sched/sched.h"

/* How often and how many times to ask for R while no resource module is
 * loaded yet.
 */
#define ACQUIRE_RETRY 1.0
#define ACQUIRE_TRIES 60

struct job {
    uint64_t id;
    int64_t priority;
    uint32_t userid;
    double t_submit;
    const eddy_msg_t *msg; /* the sched.alloc request (no payload), until answered */
    struct eddy_rlist_request rreq;
    int procs;  /* cores the policy counts */
    double req; /* time limit; INFINITY when none */
    /* its queue's resources (job-manager's queue_resources, an idset or a
     * hostlist, and queue_requires, properties): the job goes only there */
    char *qres;
    json_t *qreq;
    eddy_rlist_t *within; /* those resources in R, once R is known */
    bool shaped; /* not a plain core count (count_only () false), set once */
    /* once running */
    eddy_rlist_t *R;
    int ncores; /* cores in R */
    double start;
    uint64_t seq;
};

#define FITS_SLOTS 4096 /* a power of two */
#define FITS_PROBE 8

struct sched {
    eddy_handle_t *h;
    /* every job queued or running, by id: a lookup per request, not a
     * walk of a queue that a stream of submissions makes long */
    eddy_u64map_t *byid;
    eddy_msg_handler_t **handlers;
    eddy_policy_t *policy;
    char *config_policy; /* [sched] policy as last applied by config.reload */
    eddy_watcher_t *idle;
    eddy_watcher_t *retry;
    eddy_future_t *acquire_f;
    eddy_future_t *hello_f;
    int tries;
    bool registered;
    bool ready; /* R known and hello answered: passes may run */

    const eddy_msg_t **status_waiting; /* resource-status before R is known */
    size_t nstatus_waiting;

    char *online;            /* the ranks online (overlay.online), NULL = unknown */
    eddy_idset_t *torpid;    /* online ranks with late keepalives: not placed on */
    eddy_future_t *online_f; /* overlay.online at load */

    eddy_rlist_t *all;   /* the instance's R (NULL until known) */
    eddy_rlist_t *trial; /* an idle copy of all: can a request ever fit? */
    /* request shapes (no queue constraint) known to fit trial: the trial
     * allocation of a large instance was a tenth of a replay's CPU, and a
     * trace asks for a few hundred distinct shapes.  Open addressing over
     * FITS_PROBE slots; when those are full, the home slot is replaced.
     * NULL (no memory): every request takes the trial.
     */
    struct fits_slot {
        struct eddy_rlist_request req;
        bool valid;
    } *fits;
    eddy_rlist_t *pool;  /* what is free now */
    char *exclude;          /* ranks never scheduled ([resource] exclude), or NULL */
    char *drained;          /* ranks drained (resource.drain), or NULL */
    eddy_rlist_t *withheld; /* the free part of both, kept out of the pool */
    eddy_idset_t *seen;     /* ranks that have been online: down now = lost */

    struct job **queue; /* by (priority desc, t_submit, id) */
    size_t nqueue, queue_size;
    /* running[0..nsorted) is in eddy_policy_running_cmp () order, the
     * order a policy walks them in, mirrored by pr; running_settle () puts the
     * jobs started since (appended after them: a pass must not see its
     * running jobs move) in place.  A pass then neither copies nor sorts
     * the running jobs (with thousands running, both were most of what a
     * pass cost). */
    struct job **running;
    size_t nrunning, nsorted, running_size;
    uint64_t seq;

    /* one pass's view.  pq mirrors queue, kept in step by queue_insert (),
     * queue_remove_at () and the pass itself, so a pass does not walk every
     * queued job to build it (a tenth of the broker's CPU with a long
     * queue); anything else that reorders or filters the queue clears
     * pq_valid and the next pass rebuilds it.  nshaped: queued jobs with
     * job.shaped, valid with pq.  pr mirrors running[0..nsorted). */
    struct eddy_policy_job *pq;
    struct eddy_policy_running *pr;
    size_t pq_size, pr_size;
    bool pq_valid;
    size_t nshaped;
    size_t *started; /* queue indices this pass started (room for all) */
    size_t nstarted, started_size;
    double now;
};

static void sched_log (struct sched *s, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void sched_log (struct sched *s, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start (ap, fmt);
    vsnprintf (text, sizeof (text), fmt, ap);
    va_end (ap);
    eddy_future_destroy (eddy_rpc_pack (s->h, "log.append", eddy_handle_rank (s->h),
                                        EDDY_RPC_NORESPONSE, "{s:i s:s s:s}", "level",
                                        level, "name", "sched", "message", text));
}

static void job_destroy (struct job *job)
{
    if (job) {
        int saved_errno = errno;
        if (job->msg)
            eddy_msg_decref (job->msg);
        eddy_rlist_destroy (job->R);
        eddy_rlist_destroy (job->within);
        free (job->qres);
        json_decref (job->qreq);
        free (job);
        errno = saved_errno;
    }
}

static int grow (void *pvec, size_t *size, size_t need, size_t elem)
{
    void **vec = pvec;
    if (*size < need) {
        size_t n = *size ? *size * 2 : 64;
        while (n < need)
            n *= 2;
        void *p = realloc (*vec, n * elem);
        if (!p)
            return -1;
        *vec = p;
        *size = n;
    }
    return 0;
}

/* Queue order: priority (high first), then t_submit, then id. */
static int job_cmp (const struct job *a, const struct job *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->t_submit != b->t_submit)
        return a->t_submit < b->t_submit ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int job_qsort_cmp (const void *a, const void *b)
{
    return job_cmp (*(struct job *const *)a, *(struct job *const *)b);
}

static int queue_insert (struct sched *s, struct job *job)
{
    size_t lo = 0, hi = s->nqueue;

    if (grow (&s->queue, &s->queue_size, s->nqueue + 1, sizeof (*s->queue)) < 0)
        return -1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (job_cmp (s->queue[mid], job) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->pq_valid && grow (&s->pq, &s->pq_size, s->nqueue + 1, sizeof (*s->pq)) < 0)
        s->pq_valid = false; /* the next pass tries again */
    memmove (&s->queue[lo + 1], &s->queue[lo], (s->nqueue - lo) * sizeof (*s->queue));
    s->queue[lo] = job;
    if (s->pq_valid) {
        memmove (&s->pq[lo + 1], &s->pq[lo], (s->nqueue - lo) * sizeof (*s->pq));
        s->pq[lo].procs = job->procs;
        s->pq[lo].req = job->req;
        s->nshaped += job->shaped;
    }
    s->nqueue++;
    return 0;
}

static void queue_remove_at (struct sched *s, size_t i)
{
    if (s->pq_valid) {
        s->nshaped -= s->queue[i]->shaped;
        memmove (&s->pq[i], &s->pq[i + 1], (s->nqueue - i - 1) * sizeof (*s->pq));
    }
    memmove (&s->queue[i], &s->queue[i + 1], (s->nqueue - i - 1) * sizeof (*s->queue));
    s->nqueue--;
}

/* A job the scheduler now holds (queued or running), by its id. */
static int known_add (struct sched *s, struct job *job)
{
    return eddy_u64map_put (s->byid, job->id, job);
}

/* A job leaves the scheduler. */
static void job_forget (struct sched *s, struct job *job)
{
    if (job && eddy_u64map_get (s->byid, job->id) == job)
        eddy_u64map_remove (s->byid, job->id);
    job_destroy (job);
}

static ssize_t queue_find (struct sched *s, uint64_t id)
{
    if (!eddy_u64map_get (s->byid, id))
        return -1;
    for (size_t i = 0; i < s->nqueue; i++)
        if (s->queue[i]->id == id)
            return i;
    return -1;
}

/* A running job as the policy sees it. */
static struct eddy_policy_running running_view (const struct job *job)
{
    return (struct eddy_policy_running){
        .procs = job->ncores, .start = job->start, .req = job->req, .seq = job->seq};
}

/* The first index of pr[0..nsorted) not before v. */
static size_t running_bound (struct sched *s, const struct eddy_policy_running *v)
{
    size_t lo = 0, hi = s->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (eddy_policy_running_cmp (&s->pr[mid], v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static ssize_t running_find (struct sched *s, uint64_t id)
{
    struct job *job = eddy_u64map_get (s->byid, id);
    if (!job)
        return -1;
    struct eddy_policy_running v = running_view (job);
    size_t i = running_bound (s, &v);
    if (i < s->nsorted && s->running[i] == job)
        return (ssize_t)i;
    for (i = s->nsorted; i < s->nrunning; i++)
        if (s->running[i] == job)
            return (ssize_t)i;
    return -1;
}

/* A job started: after the sorted part, until running_settle (). */
static int running_add (struct sched *s, struct job *job)
{
    if (grow (&s->running, &s->running_size, s->nrunning + 1, sizeof (*s->running)) < 0)
        return -1;
    s->running[s->nrunning++] = job;
    return 0;
}

/* Move the jobs started since the last call into the sorted part, and
 * into pr beside them (pr is then never NULL).  Not during a pass.  -1
 * (ENOMEM: nothing moved).
 */
static int running_settle (struct sched *s)
{
    if (grow (&s->pr, &s->pr_size, s->nrunning + 1, sizeof (*s->pr)) < 0)
        return -1;
    while (s->nsorted < s->nrunning) {
        struct job *job = s->running[s->nsorted];
        struct eddy_policy_running v = running_view (job);
        size_t at = running_bound (s, &v);
        size_t n = s->nsorted - at;
        memmove (&s->running[at + 1], &s->running[at], n * sizeof (*s->running));
        memmove (&s->pr[at + 1], &s->pr[at], n * sizeof (*s->pr));
        s->running[at] = job;
        s->pr[at] = v;
        s->nsorted++;
    }
    return 0;
}

static void running_remove_at (struct sched *s, size_t i)
{
    if (i < s->nsorted) {
        memmove (&s->pr[i], &s->pr[i + 1], (s->nsorted - i - 1) * sizeof (*s->pr));
        s->nsorted--;
    }
    memmove (&s->running[i], &s->running[i + 1],
             (s->nrunning - i - 1) * sizeof (*s->running));
    s->nrunning--;
}

/* Ask for a pass at the end of this instant. */
static void schedule_pass (struct sched *s)
{
    if (s->ready && s->nqueue > 0)
        eddy_watcher_start (s->idle);
}

/* ---- a queue's resources ---- */

/* The ranks of all a queue's resources name: an idset of ranks, or a
 * hostlist of R's hostnames.  Malloc'd idset text.
 */
static char *queue_ranks (const eddy_rlist_t *all, const char *spec)
{
    eddy_idset_t *ids = eddy_idset_decode (spec, NULL), *ranks = NULL, *out = NULL;
    eddy_hostlist_t *hl = NULL;
    char *text = NULL, *r = NULL;

    if (ids) {
        eddy_idset_destroy (ids);
        return strdup (spec);
    }
    if (!(hl = eddy_hostlist_decode (spec, NULL)) || !(r = eddy_rlist_ranks (all))
        || !(ranks = eddy_idset_decode (r, NULL)) || !(out = eddy_idset_create ()))
        goto done;
    for (unsigned i = eddy_idset_first (ranks); i != EDDY_IDSET_INVALID_ID;
         i = eddy_idset_next (ranks, i)) {
        const char *host = eddy_rlist_hostname (all, i);
        if (host && eddy_hostlist_find (hl, host) >= 0 && eddy_idset_set (out, i) < 0)
            goto done;
    }
    text = eddy_idset_encode (out, 0);
done:
    eddy_hostlist_destroy (hl);
    eddy_idset_destroy (ranks);
    eddy_idset_destroy (out);
    free (r);
    return text;
}

/* The part of R where job may go (NULL: anywhere); computed once R is
 * known.  A queue whose resources match nothing gets an empty set, so its
 * jobs never fit.
 */
static const eddy_rlist_t *within_of (struct sched *s, struct job *job)
{
    size_t i;
    json_t *p;

    if ((!job->qres && !job->qreq) || !s->all)
        return NULL;
    if (job->within)
        return job->within;
    char *ranks = job->qres ? queue_ranks (s->all, job->qres) : eddy_rlist_ranks (s->all);
    eddy_idset_t *ids = ranks ? eddy_idset_decode (ranks, NULL) : NULL;
    json_array_foreach (job->qreq, i, p) {
        char *pr = ids ? eddy_rlist_property_ranks (s->all, json_string_value (p)) : NULL;
        eddy_idset_t *pids = pr && pr[0] ? eddy_idset_decode (pr, NULL) : NULL;
        eddy_idset_t *both = pids ? eddy_idset_intersect (ids, pids) : eddy_idset_create ();
        eddy_idset_destroy (ids);
        eddy_idset_destroy (pids);
        free (pr);
        ids = both;
    }
    free (ranks);
    ranks = ids ? eddy_idset_encode (ids, 0) : NULL;
    eddy_idset_destroy (ids);
    job->within = ranks ? (ranks[0] ? eddy_rlist_subset (s->all, ranks, NULL)
                                    : eddy_rlist_create ())
                        : NULL;
    free (ranks);
    if (!job->within) {
        sched_log (s, LOG_ERR, "alloc %ju: the queue's resources cannot be resolved",
                   (uintmax_t)job->id);
        job->within = eddy_rlist_create ();
    }
    return job->within;
}

/* Allocate job from pool, within its queue's resources. */
static eddy_rlist_t *alloc_in (struct sched *s, eddy_rlist_t *pool, struct job *job,
                               eddy_error_t *err)
{
    const eddy_rlist_t *within = within_of (s, job);
    eddy_rlist_t *X, *r;

    if (!within)
        return eddy_rlist_alloc (pool, &job->rreq, err);
    if (!(X = eddy_rlist_intersect (pool, within)))
        return NULL;
    if ((r = eddy_rlist_alloc (X, &job->rreq, err)) && eddy_rlist_remove (pool, r, err) < 0) {
        eddy_rlist_destroy (r);
        r = NULL;
    }
    eddy_rlist_destroy (X);
    if (!r && errno == EINVAL && eddy_rlist_count (within, EDDY_RLIST_NODES) == 0)
        errno = ENOSPC; /* an empty set: the request does not fit */
    return r;
}

/* Answer a job's alloc request with type 2 (denied) or 3 (canceled). */
static void respond_final (struct sched *s, struct job *job, int type, const char *note)
{
    if (!job->msg)
        return;
    if (note)
        eddy_respond_pack (s->h, job->msg, "{s:I s:i s:s}", "id", (json_int_t)job->id,
                           "type", type, "note", note);
    else
        eddy_respond_pack (s->h, job->msg, "{s:I s:i}", "id", (json_int_t)job->id,
                           "type", type);
    eddy_msg_decref (job->msg);
    job->msg = NULL;
}

/* A request that no state of the instance could ever satisfy is denied
 * at once, with a note naming the sizes.  Down resources count: they may
 * come back.
 */
static bool same_request (const struct eddy_rlist_request *a, const struct eddy_rlist_request *b)
{
    return a->nnodes == b->nnodes && a->nslots == b->nslots && a->cores_per_slot == b->cores_per_slot
           && a->gpus_per_slot == b->gpus_per_slot && a->exclusive == b->exclusive;
}

/* The slot holding q, else an empty one for it, else its home slot. */
static struct fits_slot *fits_slot (struct sched *s, const struct eddy_rlist_request *q)
{
    uint64_t h = (uint64_t)(uint32_t)q->nnodes * 0x9e3779b97f4a7c15ULL;
    h = (h ^ (uint32_t)q->nslots) * 0xff51afd7ed558ccdULL;
    h = (h ^ (uint32_t)q->cores_per_slot) * 0xc4ceb9fe1a85ec53ULL;
    h = (h ^ (uint32_t)q->gpus_per_slot ^ ((uint64_t)q->exclusive << 32)) * 0x9e3779b97f4a7c15ULL;
    size_t home = (size_t)(h >> 32) & (FITS_SLOTS - 1);

    if (!s->fits)
        return NULL;
    for (size_t k = 0; k < FITS_PROBE; k++) {
        struct fits_slot *f = &s->fits[(home + k) & (FITS_SLOTS - 1)];
        if (!f->valid || same_request (&f->req, q))
            return f;
    }
    return &s->fits[home];
}

static bool never_fits (struct sched *s, struct job *job, char *note, size_t len)
{
    eddy_error_t err = {.text = ""};
    /* trial never changes (each trial allocation is freed again), so a
     * shape that fitted once always does; a queue constraint is per job
     */
    bool plain = !job->qres && !job->qreq;
    struct fits_slot *slot = plain ? fits_slot (s, &job->rreq) : NULL;

    if (slot && slot->valid && same_request (&slot->req, &job->rreq))
        return false;
    eddy_rlist_t *r = alloc_in (s, s->trial, job, &err);
    if (r) {
        if (eddy_rlist_free (s->trial, r, NULL) < 0)
            sched_log (s, LOG_ERR, "trial pool: cannot free a trial allocation");
        eddy_rlist_destroy (r);
        if (slot) {
            slot->req = job->rreq;
            slot->valid = true;
        }
        return false;
    }
    if (errno != ENOSPC) {
        snprintf (note, len, "cannot place the request: %s",
                  err.text[0] ? err.text : strerror (errno));
        return true;
    }
    snprintf (note, len,
              "unsatisfiable request: %d slot%s of %d core%s and %d gpu%s%s%s%s, "
              "the instance has %zu cores and %zu gpus on %zu nodes",
              job->rreq.nslots, job->rreq.nslots == 1 ? "" : "s",
              job->rreq.cores_per_slot, job->rreq.cores_per_slot == 1 ? "" : "s",
              job->rreq.gpus_per_slot, job->rreq.gpus_per_slot == 1 ? "" : "s",
              job->rreq.nnodes > 0 ? " on " : "",
              job->rreq.nnodes > 0 ? (job->rreq.nnodes == 1 ? "1 node" : "nodes") : "",
              job->rreq.exclusive ? " (exclusive)" : "",
              eddy_rlist_count (s->all, EDDY_RLIST_CORES),
              eddy_rlist_count (s->all, EDDY_RLIST_GPUS),
              eddy_rlist_count (s->all, EDDY_RLIST_NODES));
    if (within_of (s, job)) {
        const char *tail = " (its queue has only part of them)";
        if (strlen (note) + strlen (tail) < len)
            strcat (note, tail);
    }
    if (job->rreq.nnodes > 1) {
        /* name the node count when there is room for it */
        char tail[64];
        snprintf (tail, sizeof (tail), " [%d nodes]", job->rreq.nnodes);
        if (strlen (note) + strlen (tail) < len)
            strcat (note, tail);
    }
    return true;
}

/* ---- the pass ---- */

/* Give queue[index] the resources job->R (already out of the pool) and
 * answer its request.
 */
static int start_job (struct sched *s, size_t index)
{
    struct job *job = s->queue[index];
    json_t *R;

    if (!(R = eddy_rlist_to_json (job->R)) || running_add (s, job) < 0) {
        json_decref (R);
        eddy_rlist_free (s->pool, job->R, NULL);
        eddy_rlist_destroy (job->R);
        job->R = NULL;
        return -1;
    }
    job->ncores = (int)eddy_rlist_count (job->R, EDDY_RLIST_CORES);
    job->start = s->now;
    job->seq = s->seq++;
    if (eddy_respond_pack (s->h, job->msg, "{s:I s:i s:o}", "id", (json_int_t)job->id,
                           "type", 0, "R", R) < 0)
        sched_log (s, LOG_ERR, "alloc %ju: cannot respond", (uintmax_t)job->id);
    eddy_msg_decref (job->msg);
    job->msg = NULL;
    /* the pass drops it from the queue when the policy is done (each way
     * a policy starts a job comes here: start_cb, pool_start_within; the
     * pass made room for every queued job) */
    s->started[s->nstarted++] = index;
    return 0;
}

static int start_cb (size_t index, void *arg)
{
    struct sched *s = arg;
    eddy_error_t err;

    if (!(s->queue[index]->R = alloc_in (s, s->pool, s->queue[index], &err)))
        return -1; /* fragmented, or gpus busy: the policy skips it */
    return start_job (s, index);
}

static int index_cmp (const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Drop the jobs this pass started from the queue and its mirror, keeping
 * the order: the stretches between them move down, so the queued jobs are
 * not each read (with tens of thousands queued, reading each job to ask
 * whether it started was most of a pass).
 */
static void queue_drop_started (struct sched *s)
{
    size_t w, k, n = s->nstarted;

    if (n == 0)
        return;
    /* each index once: the policy's guard refuses a second start */
    qsort (s->started, n, sizeof (*s->started), index_cmp);
    w = s->started[0];
    for (k = 0; k < n; k++) {
        size_t at = s->started[k];
        size_t from = at + 1, to = k + 1 < n ? s->started[k + 1] : s->nqueue;
        s->nshaped -= s->queue[at]->shaped;
        memmove (&s->queue[w], &s->queue[from], (to - from) * sizeof (*s->queue));
        memmove (&s->pq[w], &s->pq[from], (to - from) * sizeof (*s->pq));
        w += to - from;
    }
    s->nqueue = w;
    s->nstarted = 0;
}

/* ---- the policy's pools: copies of R ---- */

/* A job that counts as cores alone: any free cores serve, as in an SWF
 * replay (DESIGN.md), so counts plan it exactly.
 */
static bool count_only (const struct job *job)
{
    return job->rreq.nnodes == 0 && job->rreq.cores_per_slot == 1 &&
           job->rreq.gpus_per_slot == 0 && !job->rreq.exclusive && !job->qres && !job->qreq;
}

struct pool {
    struct sched *s;
    eddy_rlist_t *rl;
};

static void pool_destroy (void *arg)
{
    struct pool *pl = arg;
    if (pl) {
        int saved_errno = errno;
        eddy_rlist_destroy (pl->rl);
        free (pl);
        errno = saved_errno;
    }
}

static void *pool_of (struct sched *s, const eddy_rlist_t *rl)
{
    struct pool *pl = calloc (1, sizeof (*pl));

    if (!pl || !(pl->rl = eddy_rlist_copy (rl))) {
        free (pl);
        errno = ENOMEM;
        return NULL;
    }
    pl->s = s;
    return pl;
}

static void *pool_copy_free (void *ctx)
{
    return pool_of (ctx, ((struct sched *)ctx)->pool);
}

static void *pool_copy (const void *arg)
{
    const struct pool *pl = arg;
    return pool_of (pl->s, pl->rl);
}

static bool pool_fits (const void *arg, size_t index)
{
    const struct pool *pl = arg;
    eddy_rlist_t *r = alloc_in (pl->s, pl->rl, pl->s->queue[index], NULL);

    if (!r)
        return false;
    (void)eddy_rlist_free (pl->rl, r, NULL); /* puts back what it took */
    eddy_rlist_destroy (r);
    return true;
}

static int pool_take (void *arg, size_t index)
{
    struct pool *pl = arg;
    eddy_rlist_t *r = alloc_in (pl->s, pl->rl, pl->s->queue[index], NULL);

    if (!r)
        return -1;
    eddy_rlist_destroy (r);
    return 0;
}

/* Remove from pl what of R is in it, in place: pl keeps every rank, even
 * one left empty, so the running jobs can still be released into it
 * (difference would drop an emptied rank, and free then fails ENOENT).
 */
static int pool_remove_part (struct pool *pl, const eddy_rlist_t *R)
{
    eddy_rlist_t *part = eddy_rlist_intersect (pl->rl, R);
    int rc;

    if (!part)
        return -1;
    rc = eddy_rlist_remove (pl->rl, part, NULL);
    eddy_rlist_destroy (part);
    return rc;
}

static int pool_take_started (void *arg, size_t index)
{
    struct pool *pl = arg;
    return pool_remove_part (pl, pl->s->queue[index]->R);
}

static int pool_release_running (void *arg, size_t index)
{
    struct pool *pl = arg;
    return eddy_rlist_free (pl->rl, pl->s->running[index]->R, NULL);
}

static int pool_release_started (void *arg, size_t index)
{
    struct pool *pl = arg;
    return eddy_rlist_free (pl->rl, pl->s->queue[index]->R, NULL);
}

/* Allocate from what is free and in within (their intersection keeps
 * the nodes' sizes, so a node is idle in it only if it is idle in both).
 */
static int pool_start_within (void *ctx, size_t index, const void *arg)
{
    struct sched *s = ctx;
    const struct pool *within = arg;
    struct job *job = s->queue[index];
    eddy_rlist_t *X;
    int rc = -1;

    if (!(X = eddy_rlist_intersect (s->pool, within->rl)) ||
        !(job->R = alloc_in (s, X, job, NULL)))
        goto done;
    if (eddy_rlist_remove (s->pool, job->R, NULL) < 0) {
        eddy_rlist_destroy (job->R);
        job->R = NULL;
        goto done;
    }
    rc = start_job (s, index);
done:
    eddy_rlist_destroy (X);
    return rc;
}

/* In place, so pl keeps its ranks and their sizes: remove what other
 * lacks.
 */
static int pool_intersect (void *arg, const void *other)
{
    struct pool *pl = arg;
    eddy_rlist_t *outside =
        eddy_rlist_difference (pl->rl, ((const struct pool *)other)->rl);
    int rc;

    if (!outside)
        return -1;
    rc = pool_remove_part (pl, outside);
    eddy_rlist_destroy (outside);
    return rc;
}

static int pool_subtract (void *arg, const void *other)
{
    return pool_remove_part (arg, ((const struct pool *)other)->rl);
}

static const struct eddy_policy_pool_ops pool_ops = {
    .copy_free = pool_copy_free,
    .copy = pool_copy,
    .fits = pool_fits,
    .take = pool_take,
    .take_started = pool_take_started,
    .release_running = pool_release_running,
    .release_started = pool_release_started,
    .start_within = pool_start_within,
    .destroy = pool_destroy,
    .intersect = pool_intersect,
    .subtract = pool_subtract,
};

static void pass_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct sched *s = arg;
    struct eddy_policy_input in;
    bool shaped = false;

    eddy_watcher_stop (w);
    if (!s->ready || s->nqueue == 0)
        return;
    /* Every queued job needs a processor (procs >= 1) and a policy starts
     * only what fits what is idle (policy.c checks it), so with none idle
     * the pass would start nothing: skip it, and the copy of the queue it
     * makes.  A free or a change of resources asks for the next one. */
    int idle = (int)(eddy_rlist_count (s->pool, EDDY_RLIST_CORES) -
                     eddy_rlist_count_down (s->pool, EDDY_RLIST_CORES));
    if (idle <= 0)
        return;
    if ((!s->pq_valid && grow (&s->pq, &s->pq_size, s->nqueue, sizeof (*s->pq)) < 0) ||
        grow (&s->started, &s->started_size, s->nqueue, sizeof (*s->started)) < 0 ||
        running_settle (s) < 0) {
        sched_log (s, LOG_ERR, "pass: out of memory");
        return;
    }
    if (!s->pq_valid) {
        s->nshaped = 0;
        for (size_t i = 0; i < s->nqueue; i++) {
            s->pq[i].procs = s->queue[i]->procs;
            s->pq[i].req = s->queue[i]->req;
            s->nshaped += s->queue[i]->shaped;
        }
        s->pq_valid = true;
    }
    shaped = s->nshaped > 0;
    s->now = eddy_reactor_now (r);
    in = (struct eddy_policy_input){
        .queue = s->pq,
        .nqueue = s->nqueue,
        .running = s->pr,
        .nrunning = s->nsorted, /* all of them: settled above */
        .free = idle,
        .now = s->now,
        /* only shaped jobs need pools: a queue of core counts plans on
         * counts, exactly as the ideal oracle does */
        .pool_ops = shaped ? &pool_ops : NULL,
        .pool_ctx = s,
    };
    if (eddy_policy_run (s->policy, &in, start_cb, s) < 0)
        sched_log (s, LOG_ERR, "pass: policy %s: %s", eddy_policy_name (s->policy),
                   strerror (errno));
    queue_drop_started (s);
}

/* ---- resource-status ---- */

static eddy_idset_t *offline_ranks (struct sched *s);

/* The rank-level states the pool cannot tell (an excluded or drained rank
 * is out of the pool, down or not): offline and lost, as idsets.
 */
static int status_ranks (struct sched *s, json_t *o)
{
    eddy_idset_t *off = offline_ranks (s);
    eddy_idset_t *lost = off && s->seen ? eddy_idset_intersect (off, s->seen) : NULL;
    char *offs = off ? eddy_idset_encode (off, EDDY_IDSET_RANGE) : NULL;
    char *losts = lost ? eddy_idset_encode (lost, EDDY_IDSET_RANGE) : NULL;
    char *torpids = s->torpid ? eddy_idset_encode (s->torpid, EDDY_IDSET_RANGE) : NULL;
    int rc = -1;

    if (!off || json_object_set_new (o, "offline", json_string (offs ? offs : "")) < 0 ||
        json_object_set_new (o, "lost", json_string (losts ? losts : "")) < 0 ||
        json_object_set_new (o, "torpid", json_string (torpids ? torpids : "")) < 0)
        goto done;
    rc = 0;
done:
    free (torpids);
    eddy_idset_destroy (off);
    eddy_idset_destroy (lost);
    free (offs);
    free (losts);
    return rc;
}

static void respond_status (struct sched *s, const eddy_msg_t *msg)
{
    eddy_rlist_t *allocated = NULL, *down = NULL, *idle = NULL, *excluded = NULL;
    json_t *o = NULL;

    if (!s->all) {
        eddy_respond_error (s->h, msg, EAGAIN, "sched: resources are not known");
        return;
    }
    /* what is withheld from excluded ranks is not allocated */
    if (!(idle = s->withheld ? eddy_rlist_union (s->pool, s->withheld) : eddy_rlist_copy (s->pool))
        || !(allocated = eddy_rlist_difference (s->all, idle)) ||
        !(excluded = s->exclude ? eddy_rlist_subset (s->all, s->exclude, NULL) : eddy_rlist_create ()) ||
        !(down = eddy_rlist_copy_down (s->pool)) ||
        !(o = json_pack ("{s:o s:o s:o s:o s:s}", "all", eddy_rlist_to_json (s->all),
                         "allocated", eddy_rlist_to_json (allocated), "down",
                         eddy_rlist_to_json (down), "excluded", eddy_rlist_to_json (excluded),
                         "drained", s->drained ? s->drained : "")) ||
        status_ranks (s, o) < 0)
        eddy_respond_error (s->h, msg, ENOMEM, NULL);
    else
        eddy_respond (s->h, msg, o);
    json_decref (o);
    eddy_rlist_destroy (allocated);
    eddy_rlist_destroy (down);
    eddy_rlist_destroy (idle);
    eddy_rlist_destroy (excluded);
}

/* Answer the status requests that waited for R (or for giving up on it). */
static void respond_status_waiting (struct sched *s)
{
    for (size_t i = 0; i < s->nstatus_waiting; i++) {
        respond_status (s, s->status_waiting[i]);
        eddy_msg_decref (s->status_waiting[i]);
    }
    free (s->status_waiting);
    s->status_waiting = NULL;
    s->nstatus_waiting = 0;
}

static void
status_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;

    if (!s->all && (s->acquire_f || eddy_watcher_is_active (s->retry))) {
        /* R is on its way: answer when it arrives */
        const eddy_msg_t **w =
            realloc (s->status_waiting, (s->nstatus_waiting + 1) * sizeof (*w));
        if (!w) {
            eddy_respond_error (h, msg, ENOMEM, NULL);
            return;
        }
        s->status_waiting = w;
        s->status_waiting[s->nstatus_waiting++] = eddy_msg_incref (msg);
        return;
    }
    respond_status (s, msg);
}

/* ---- ranks online and down ---- */

/* The ranks of R that have a broker and are not online (empty while
 * online is unknown); NULL + ENOMEM.
 */
static eddy_idset_t *offline_ranks (struct sched *s)
{
    eddy_idset_t *online = NULL, *ids = NULL;
    char *ranks = NULL;
    uint32_t size = eddy_handle_size (s->h);

    if (!s->all || !s->online)
        return eddy_idset_create ();
    if ((online = eddy_idset_decode (s->online, NULL)) && (ranks = eddy_rlist_ranks (s->all)) &&
        (ids = eddy_idset_decode (ranks, NULL))) {
        if (size != EDDY_NODEID_ANY && size > 0 && size < EDDY_IDSET_INVALID_ID - 1)
            eddy_idset_range_clear (ids, size, EDDY_IDSET_INVALID_ID - 1);
        eddy_idset_subtract (ids, online);
    }
    eddy_idset_destroy (online);
    free (ranks);
    return ids;
}

/* The ranks of R that have a broker (below the instance's size) and are
 * not online are down: never free, never placed on (docs/protocols.md,
 * overlay.online).  Ranks of R beyond the size (a simulated machine run
 * by fewer brokers) have no broker to be lost and stay up.
 */
static void apply_online (struct sched *s)
{
    eddy_idset_t *online = NULL, *ids = NULL;
    char *ranks = NULL, *up = NULL, *down = NULL;
    uint32_t size = eddy_handle_size (s->h);

    if (!s->pool || !s->online)
        return;
    if (!(online = eddy_idset_decode (s->online, NULL)) || !(ranks = eddy_rlist_ranks (s->all)) ||
        !(ids = eddy_idset_decode (ranks, NULL)))
        goto done;
    if (size != EDDY_NODEID_ANY && size > 0 && size < EDDY_IDSET_INVALID_ID - 1)
        eddy_idset_range_clear (ids, size, EDDY_IDSET_INVALID_ID - 1);
    /* remember who was ever online: offline later means lost */
    if (!s->seen)
        s->seen = eddy_idset_create ();
    if (s->seen)
        eddy_idset_add (s->seen, online);
    eddy_idset_t *upset = eddy_idset_intersect (ids, online);
    /* online but torpid: held down until it speaks again */
    if (upset && s->torpid && eddy_idset_subtract (upset, s->torpid) < 0) {
        eddy_idset_destroy (upset);
        upset = NULL;
    }
    if (upset && eddy_idset_subtract (ids, upset) == 0 &&
        (up = eddy_idset_encode (upset, EDDY_IDSET_RANGE)) &&
        (down = eddy_idset_encode (ids, EDDY_IDSET_RANGE))) {
        /* where ranks are made schedulable: up ones first, then down */
        eddy_rlist_mark_up (s->pool, up, NULL);
        eddy_rlist_mark_down (s->pool, down, NULL);
        if (down[0])
            sched_log (s, LOG_INFO, "ranks %s are down (not online, or torpid)", down);
        schedule_pass (s);
    }
    eddy_idset_destroy (upset);
done:
    if (!online || !ids)
        sched_log (s, LOG_ERR, "overlay.online: cannot apply '%s'", s->online);
    eddy_idset_destroy (online);
    eddy_idset_destroy (ids);
    free (ranks);
    free (up);
    free (down);
}

/* online: an idset; torpid: an idset, NULL or "" for none */
static void set_online (struct sched *s, const char *online, const char *torpid)
{
    char *cpy = strdup (online);
    eddy_idset_t *t = torpid && *torpid ? eddy_idset_decode (torpid, NULL) : NULL;

    if (!cpy || (torpid && *torpid && !t)) {
        sched_log (s, LOG_ERR, "overlay.online: %s", cpy ? "malformed torpid set" : "out of memory");
        free (cpy);
        return;
    }
    free (s->online);
    s->online = cpy;
    eddy_idset_destroy (s->torpid);
    s->torpid = t;
    apply_online (s);
}

static void
online_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    const char *online, *torpid = NULL;

    if (json_unpack (eddy_msg_payload (msg), "{s:s s?s}", "online", &online, "torpid",
                     &torpid) < 0) {
        sched_log (s, LOG_ERR, "overlay.online: malformed event");
        return;
    }
    set_online (s, online, torpid);
}

static void online_continuation (eddy_future_t *f, void *arg)
{
    struct sched *s = arg;
    const char *online, *torpid = NULL;

    /* an event may have come first: it is newer */
    if (!s->online && eddy_rpc_get_unpack (f, "{s:s s?s}", "online", &online, "torpid",
                                           &torpid) == 0)
        set_online (s, online, torpid);
    eddy_future_destroy (f);
    s->online_f = NULL;
}

/* ---- R and hello ---- */

static void deny_impossible (struct sched *s)
{
    size_t j = 0;
    for (size_t i = 0; i < s->nqueue; i++) {
        struct job *job = s->queue[i];
        char note[256];
        if (never_fits (s, job, note, sizeof (note))) {
            respond_final (s, job, 2, note);
            job_forget (s, job);
        } else
            s->queue[j++] = job;
    }
    s->nqueue = j;
    s->pq_valid = false;
}

/* ---- exclusion ---- */

/* exclude ∪ drained as an idset string ("" for none), NULL + ENOMEM. */
static char *withheld_ranks (struct sched *s)
{
    const char *a = s->exclude ? s->exclude : "", *b = s->drained ? s->drained : "";
    if (!*a || !*b)
        return strdup (*a ? a : b);
    eddy_idset_t *x = eddy_idset_decode (a, NULL), *y = eddy_idset_decode (b, NULL);
    char *out = NULL;
    if (x && y && eddy_idset_add (x, y) == 0)
        out = eddy_idset_encode (x, EDDY_IDSET_RANGE);
    eddy_idset_destroy (x);
    eddy_idset_destroy (y);
    return out;
}

/* Keep the excluded and drained ranks' free resources out of the pool:
 * give back what was withheld, withhold again under the current exclude
 * and drain.  Jobs already
 * running there finish; what they free is withheld at the next call.
 * Only once ready: the running jobs' R must first leave the pool.
 */
static void apply_exclude (struct sched *s)
{
    eddy_error_t err;

    if (!s->pool || !s->ready)
        return;
    if (s->withheld) {
        if (eddy_rlist_free (s->pool, s->withheld, &err) < 0)
            sched_log (s, LOG_ERR, "exclude/drain: giving back: %s", err.text);
        eddy_rlist_destroy (s->withheld);
        s->withheld = NULL;
    }
    char *ranks = withheld_ranks (s);
    if (!ranks || !*ranks) {
        if (!ranks)
            sched_log (s, LOG_ERR, "exclude/drain: out of memory");
        free (ranks);
        return;
    }
    eddy_rlist_t *ex = eddy_rlist_subset (s->pool, ranks, &err);
    if (!ex || eddy_rlist_remove (s->pool, ex, &err) < 0) {
        sched_log (s, LOG_ERR, "exclude/drain %s: %s", ranks, ex ? err.text : strerror (errno));
        eddy_rlist_destroy (ex);
        free (ranks);
        return;
    }
    free (ranks);
    s->withheld = ex;
}

static int set_exclude (struct sched *s, const char *ranks)
{
    char *cp = NULL;
    if (ranks && *ranks && !(cp = strdup (ranks)))
        return -1;
    free (s->exclude);
    s->exclude = cp;
    apply_exclude (s);
    return 0;
}

/* sched.exclude {exclude: IDSET} (from the resource module, on a reload) */
static void
exclude_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    const char *ranks;
    eddy_idset_t *ids;

    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "exclude", &ranks) < 0) {
        eddy_respond_error (h, msg, EPROTO, "sched.exclude: needs {exclude: IDSET}");
        return;
    }
    if (*ranks && !(ids = eddy_idset_decode (ranks, NULL))) {
        eddy_respond_error (h, msg, EINVAL, "sched.exclude: not an idset");
        return;
    }
    if (*ranks)
        eddy_idset_destroy (ids);
    sched_log (s, LOG_NOTICE, "exclude: ranks '%s' -> '%s'", s->exclude ? s->exclude : "",
               ranks);
    if (set_exclude (s, ranks) < 0) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond (h, msg, NULL);
    schedule_pass (s);
}

static int set_drained (struct sched *s, const char *ranks)
{
    char *cp = NULL;
    if (ranks && *ranks && !(cp = strdup (ranks)))
        return -1;
    free (s->drained);
    s->drained = cp;
    apply_exclude (s);
    return 0;
}

/* sched.drain {drained: IDSET} (from the resource module, once the drain
 * is persisted): these ranks, and no others, get no new work.
 */
static void
drain_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    const char *ranks;
    eddy_idset_t *ids;

    if (json_unpack (eddy_msg_payload (msg), "{s:s}", "drained", &ranks) < 0) {
        eddy_respond_error (h, msg, EPROTO, "sched.drain: needs {drained: IDSET}");
        return;
    }
    if (*ranks && !(ids = eddy_idset_decode (ranks, NULL))) {
        eddy_respond_error (h, msg, EINVAL, "sched.drain: not an idset");
        return;
    }
    if (*ranks)
        eddy_idset_destroy (ids);
    if (set_drained (s, ranks) < 0) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    eddy_respond (h, msg, NULL);
    schedule_pass (s);
}

static void hello_continuation (eddy_future_t *f, void *arg)
{
    struct sched *s = arg;
    json_t *running;
    size_t i;
    json_t *entry;

    if (eddy_rpc_get_unpack (f, "{s:o}", "running", &running) < 0) {
        if (errno != ENOSYS)
            sched_log (s, LOG_ERR, "job-manager.sched-hello: %s",
                       eddy_future_error_string (f));
    } else if (json_is_array (running)) {
        json_array_foreach (running, i, entry)
        {
            json_int_t id;
            json_t *Rj;
            eddy_error_t err;
            eddy_rlist_t *R;
            struct job *job;

            if (json_unpack (entry, "{s:I s:o}", "id", &id, "R", &Rj) < 0 ||
                !(R = eddy_rlist_from_json (Rj, 0, &err))) {
                sched_log (s, LOG_ERR, "sched-hello: running[%zu] is malformed", i);
                continue;
            }
            if (eddy_rlist_remove (s->pool, R, &err) < 0) {
                sched_log (s, LOG_ERR, "sched-hello: job %ju: its R is not free: %s",
                           (uintmax_t)id, err.text);
                eddy_rlist_destroy (R);
                continue;
            }
            if (!(job = calloc (1, sizeof (*job))) || running_add (s, job) < 0) {
                sched_log (s, LOG_ERR, "sched-hello: job %ju: out of memory",
                           (uintmax_t)id);
                eddy_rlist_free (s->pool, R, NULL);
                eddy_rlist_destroy (R);
                free (job);
                continue;
            }
            job->id = id;
            job->R = R;
            job->ncores = (int)eddy_rlist_count (R, EDDY_RLIST_CORES);
            job->req = INFINITY; /* its limit is not known here */
            job->start = eddy_reactor_now (eddy_handle_reactor (s->h));
            job->seq = s->seq++;
            if (known_add (s, job) < 0)
                sched_log (s, LOG_ERR, "sched-hello: job %ju: out of memory", (uintmax_t)id);
        }
    }
    eddy_future_destroy (f);
    s->hello_f = NULL;
    s->ready = true;
    apply_exclude (s);
    schedule_pass (s);
}

static int set_R (struct sched *s, json_t *Rj, eddy_error_t *err)
{
    eddy_rlist_t *all, *pool = NULL, *trial = NULL;

    if (!(all = eddy_rlist_from_json (Rj, 0, err)) || !(pool = eddy_rlist_copy (all)) ||
        !(trial = eddy_rlist_copy (all))) {
        eddy_rlist_destroy (all);
        eddy_rlist_destroy (pool);
        return -1;
    }
    s->all = all;
    s->pool = pool;
    s->trial = trial;
    free (s->fits);
    s->fits = calloc (FITS_SLOTS, sizeof (s->fits[0])); /* NULL: no memo */
    apply_online (s);
    deny_impossible (s);
    respond_status_waiting (s);
    s->hello_f = eddy_rpc (s->h, "job-manager.sched-hello", NULL, EDDY_NODEID_ANY, 0);
    if (!s->hello_f || eddy_future_then (s->hello_f, -1, hello_continuation, s) < 0) {
        eddy_future_destroy (s->hello_f);
        s->hello_f = NULL;
        s->ready = true;
        apply_exclude (s);
        schedule_pass (s);
    }
    return 0;
}

static void acquire (struct sched *s);

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    acquire (arg);
}

static void acquire_continuation (eddy_future_t *f, void *arg)
{
    struct sched *s = arg;
    json_t *Rj;
    const char *exclude = NULL, *drained = NULL;
    eddy_error_t err;

    if (eddy_rpc_get_unpack (f, "{s:o s?s s?s}", "R", &Rj, "exclude", &exclude, "drained",
                             &drained) < 0) {
        if (errno == ENOSYS && s->tries < ACQUIRE_TRIES) {
            /* the resource module is not loaded yet */
            eddy_timer_set (s->retry, ACQUIRE_RETRY, 0);
            eddy_watcher_start (s->retry);
        } else
            sched_log (s, LOG_ERR, "resource.acquire: %s",
                       eddy_future_error_string (f));
    } else {
        if (exclude && *exclude) {
            sched_log (s, LOG_INFO, "exclude: ranks %s are not scheduled", exclude);
            if (set_exclude (s, exclude) < 0)
                sched_log (s, LOG_ERR, "exclude: %s", strerror (errno));
        }
        if (drained && *drained) {
            sched_log (s, LOG_INFO, "drain: ranks %s are drained", drained);
            if (set_drained (s, drained) < 0)
                sched_log (s, LOG_ERR, "drain: %s", strerror (errno));
        }
        if (set_R (s, Rj, &err) < 0)
            sched_log (s, LOG_ERR, "resource.acquire: bad R: %s", err.text);
    }
    eddy_future_destroy (f);
    if (s->acquire_f == f)
        s->acquire_f = NULL;
    if (!s->all && !eddy_watcher_is_active (s->retry))
        respond_status_waiting (s); /* gave up: they get the error */
}

static void acquire (struct sched *s)
{
    s->tries++;
    s->acquire_f = eddy_rpc (s->h, "resource.acquire", NULL, EDDY_NODEID_ANY, 0);
    if (!s->acquire_f ||
        eddy_future_then (s->acquire_f, -1, acquire_continuation, s) < 0) {
        sched_log (s, LOG_ERR, "resource.acquire: %s", strerror (errno));
        eddy_future_destroy (s->acquire_f);
        s->acquire_f = NULL;
        respond_status_waiting (s);
    }
}

/* ---- requests ---- */

static void
alloc_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    json_int_t id, priority;
    json_int_t userid = 0;
    double t_submit = 0;
    json_t *jobspec, *qreq = NULL;
    const char *qres = NULL;
    eddy_jobspec_t *js = NULL;
    eddy_error_t err;
    struct job *job = NULL;
    char note[256];

    if (json_unpack (eddy_msg_payload (msg), "{s:I s:I s?I s?F s:o s?s s?o}", "id", &id,
                     "priority", &priority, "userid", &userid, "t_submit", &t_submit,
                     "jobspec", &jobspec, "queue_resources", &qres, "queue_requires",
                     &qreq) < 0 ||
        id < 0 || !isfinite (t_submit) || (qreq && !json_is_array (qreq))) {
        eddy_respond_error (
            h, msg, EPROTO,
            "sched.alloc: needs {id, priority, userid, t_submit, jobspec}");
        return;
    }
    if (eddy_u64map_get (s->byid, (uint64_t)id)) {
        eddy_respond_error (h, msg, EEXIST,
                            "sched.alloc: job already has an allocation request");
        return;
    }
    if (!(job = calloc (1, sizeof (*job))))
        goto nomem;
    job->id = id;
    job->priority = priority;
    job->userid = (uint32_t)userid;
    job->t_submit = t_submit;
    /* the request without its payload: a queued job's jobspec would stay
     * alive here as long as it waits (in the simulator the job manager's
     * own; about 6 KB of jansson objects), for the few numbers taken below
     */
    if (!(job->msg = eddy_msg_copy (msg, false)))
        goto nomem;
    if ((qres && !(job->qres = strdup (qres))))
        goto nomem;
    job->qreq = json_incref (qreq);

    if (!(js = eddy_jobspec_parse (jobspec, EDDY_JOBSPEC_CANONICAL, &err)) ||
        eddy_jobspec_summary_check (js, &err) < 0) {
        if (errno == ENOMEM)
            goto nomem;
        snprintf (note, sizeof (note), "jobspec: %s", err.text);
        respond_final (s, job, 2, note);
        goto done;
    }
    job->rreq.nnodes = eddy_jobspec_nnodes (js);
    job->rreq.nslots = eddy_jobspec_nslots (js);
    job->rreq.cores_per_slot = eddy_jobspec_cores_per_slot (js);
    job->rreq.gpus_per_slot = eddy_jobspec_gpus_per_slot (js);
    job->rreq.exclusive = eddy_jobspec_exclusive (js);
    long long procs = (long long)job->rreq.nslots * job->rreq.cores_per_slot;
    job->procs = procs < 1 ? 1 : procs > INT32_MAX ? INT32_MAX : (int)procs;
    double duration = eddy_jobspec_duration (js);
    job->req = duration > 0 ? duration : INFINITY;
    job->shaped = !count_only (job);
    eddy_jobspec_destroy (js);
    js = NULL;

    if (s->all && never_fits (s, job, note, sizeof (note))) {
        respond_final (s, job, 2, note);
        goto done;
    }
    if (known_add (s, job) < 0 || queue_insert (s, job) < 0)
        goto nomem;
    schedule_pass (s);
    return;
nomem:
    eddy_respond_error (h, msg, ENOMEM, NULL);
done:
    eddy_jobspec_destroy (js);
    job_forget (s, job);
}

static void
free_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    json_int_t id;
    ssize_t i;
    eddy_error_t err;

    if (json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (h, msg, EPROTO, "sched.free: needs {id, R}");
        return;
    }
    if ((i = running_find (s, id)) < 0) {
        eddy_respond_error (h, msg, ENOENT, "sched.free: job has no allocation");
        return;
    }
    struct job *job = s->running[i];
    if (eddy_rlist_free (s->pool, job->R, &err) < 0)
        sched_log (s, LOG_ERR, "free %ju: %s", (uintmax_t)job->id, err.text);
    if (s->exclude || s->drained)
        apply_exclude (s);
    running_remove_at (s, i);
    job_forget (s, job);
    eddy_respond (h, msg, NULL);
    schedule_pass (s);
}

static void
cancel_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    json_int_t id;
    ssize_t i;

    if (json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (h, msg, EPROTO, "sched.cancel: needs {id}");
        return;
    }
    if ((i = queue_find (s, id)) >= 0) {
        struct job *job = s->queue[i];
        queue_remove_at (s, i);
        respond_final (s, job, 3, NULL);
        job_forget (s, job);
    }
}

static void prioritize_cb (eddy_handle_t *h,
                           eddy_msg_handler_t *mh,
                           const eddy_msg_t *msg,
                           void *arg)
{
    struct sched *s = arg;
    json_t *jobs, *entry;
    size_t k;

    if (json_unpack (eddy_msg_payload (msg), "{s:o}", "jobs", &jobs) < 0 ||
        !json_is_array (jobs)) {
        eddy_respond_error (h, msg, EPROTO,
                            "sched.prioritize: needs {jobs: [[id, priority]]}");
        return;
    }
    json_array_foreach (jobs, k, entry)
    {
        json_int_t id, priority;
        ssize_t i;
        if (json_unpack (entry, "[II]", &id, &priority) < 0)
            continue;
        if ((i = queue_find (s, id)) >= 0)
            s->queue[i]->priority = priority;
    }
    if (s->nqueue > 1)
        qsort (s->queue, s->nqueue, sizeof (*s->queue), job_qsort_cmp);
    s->pq_valid = false;
    schedule_pass (s);
}

/* config.reload (from the broker): [sched] policy may change between
 * passes; the queue and the running jobs stay as they are.
 */
static void config_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct sched *s = arg;
    const char *name = NULL;
    eddy_policy_t *p;
    eddy_error_t err;

    if (json_unpack (eddy_msg_payload (msg), "{s:{s?s}}", "config", "policy", &name) < 0) {
        eddy_respond_error (h, msg, EPROTO, "sched: [sched] policy must be a string");
        return;
    }
    /* a built-in is known by its name, a plugin by the path last applied */
    if (name && strcmp (name, s->config_policy ? s->config_policy : eddy_policy_name (s->policy))) {
        char *spec = strdup (name);
        if (!spec || !(p = eddy_policy_create (name, &err))) {
            eddy_respond_error (h, msg, spec ? errno : ENOMEM, spec ? err.text : NULL);
            free (spec);
            return;
        }
        sched_log (s, LOG_NOTICE, "policy %s -> %s", eddy_policy_name (s->policy), name);
        eddy_policy_destroy (s->policy);
        s->policy = p;
        free (s->config_policy);
        s->config_policy = spec;
        schedule_pass (s);
    }
    eddy_respond (h, msg, NULL);
}

static const struct eddy_msg_handler_spec handlers[] = {
    {EDDY_MSGTYPE_REQUEST, "sched.alloc", alloc_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.free", free_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.cancel", cancel_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.prioritize", prioritize_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.resource-status", status_cb, EDDY_ROLE_ALL},
    {EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.exclude", exclude_cb, 0},
    {EDDY_MSGTYPE_REQUEST, "sched.drain", drain_cb, 0},
    {EDDY_MSGTYPE_EVENT, "overlay.online", online_cb, 0},
    EDDY_MSGHANDLER_TABLE_END,
};

/* ---- load and unload ---- */

static void sched_unload (void *ctx)
{
    struct sched *s = ctx;

    if (!s)
        return;
    for (size_t i = 0; i < s->nqueue; i++) {
        if (s->queue[i]->msg)
            eddy_respond_error (s->h, s->queue[i]->msg, ENOSYS,
                                "the scheduler was unloaded");
        job_destroy (s->queue[i]);
    }
    for (size_t i = 0; i < s->nrunning; i++)
        job_destroy (s->running[i]);
    for (size_t i = 0; i < s->nstatus_waiting; i++) {
        eddy_respond_error (s->h, s->status_waiting[i], ENOSYS,
                            "the scheduler was unloaded");
        eddy_msg_decref (s->status_waiting[i]);
    }
    free (s->status_waiting);
    free (s->queue);
    free (s->running);
    eddy_u64map_destroy (s->byid);
    free (s->pq);
    free (s->pr);
    free (s->started);
    eddy_msg_handler_delvec (s->handlers);
    if (s->registered)
        eddy_service_unregister (s->h, "sched");
    eddy_future_destroy (s->acquire_f);
    eddy_future_destroy (s->hello_f);
    eddy_future_destroy (s->online_f);
    free (s->online);
    eddy_watcher_destroy (s->idle);
    eddy_watcher_destroy (s->retry);
    eddy_policy_destroy (s->policy);
    free (s->config_policy);
    eddy_rlist_destroy (s->all);
    eddy_rlist_destroy (s->pool);
    eddy_rlist_destroy (s->trial);
    free (s->fits);
    eddy_rlist_destroy (s->withheld);
    free (s->exclude);
    free (s->drained);
    eddy_idset_destroy (s->seen);
    eddy_idset_destroy (s->torpid);
    free (s);
}

static int sched_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct sched *s;
    const char *policy = "fcfs";
    json_t *R = NULL;
    eddy_error_t err;
    eddy_reactor_t *r = eddy_handle_reactor (h);

    if (args && json_unpack (args, "{s?s s?o}", "policy", &policy, "R", &R) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (!(s = calloc (1, sizeof (*s))))
        return -1;
    if (!(s->byid = eddy_u64map_create ())) {
        free (s);
        return -1;
    }
    s->h = h;
    if (eddy_handle_rank (h) != 0) {
        /* rank 0 only: elsewhere (eddy start -m loads everywhere) stay
         * inert, and load no plugin
         */
        *ctx = s;
        return 0;
    }
    /* policy is a built-in name or a plugin's path (sched/policy.h) */
    if (!(s->policy = eddy_policy_create (policy, &err))) {
        int saved_errno = errno;
        sched_log (s, LOG_ERR, "%s", err.text);
        errno = saved_errno;
        goto error;
    }
    if (!(s->idle = eddy_idle_create (r, pass_cb, s)) ||
        !(s->retry = eddy_timer_create (r, ACQUIRE_RETRY, 0, retry_cb, s)) ||
        eddy_msg_handler_addvec (h, handlers, s, &s->handlers) < 0 ||
        eddy_service_register (h, "sched") < 0 ||
        eddy_event_subscribe (h, "overlay.online") < 0)
        goto error;
    s->registered = true;
    /* the ranks online now; then each change, as an event */
    if (!(s->online_f = eddy_rpc (h, "overlay.online", NULL, 0, 0)) ||
        eddy_future_then (s->online_f, -1, online_continuation, s) < 0)
        goto error;
    if (R) {
        if (set_R (s, R, &err) < 0) {
            errno = EINVAL;
            goto error;
        }
    } else
        acquire (s);
    *ctx = s;
    return 0;
error : {
    int saved_errno = errno;
    sched_unload (s);
    errno = saved_errno;
}
    return -1;
}

const struct eddy_module eddy_module_sched = {
    .name = "sched",
    .load = sched_load,
    .unload = sched_unload,
};
