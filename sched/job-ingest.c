/* job-ingest.c - the job-ingest module: validates jobspec, assigns FLUIDs,
 * commits each job's jobspec and `submit` event, and hands the jobs to the
 * job manager.  Submissions that arrive in one reactor iteration share one
 * KVS commit and one job-manager.submit request (DESIGN.md contract 6).
 * Ids stay above every id the job manager knows (a restarted instance's
 * history), so a new job never lands in an old job's directory.
 * Submissions are the front of the pipeline and must not starve the jobs
 * behind them (a client may send thousands at once): at most BATCH_MAX
 * of them go in one batch and one batch at a time travels validate ->
 * commit -> job-manager.submit; the others wait in the current batch,
 * which job-ingest.stats shows (waiting), so the KVS and the job manager
 * serve the running jobs between two batches.
 * With backlog-max N > 0, job-ingest also paces itself on the job
 * manager: it sends no batch that would take the count of jobs pending
 * there above N (a batch waits until it can go whole), so a stream of
 * submissions waits here (counted in the stats) and the broker's time goes
 * to the jobs already queued.  The count comes with each job-manager.submit
 * answer; while it is at the bound, a job-manager.backlog request waits
 * for it to fall.
 * A submission may carry the jobspec signed by its user (J, engine/util/
 * sign.h): it is verified here and kept beside the jobspec as job.ID.J.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "engine/util/eventlog.h"
#include "engine/util/fluid.h"
#include "engine/util/sign.h"
#include "kvs/kvs.h"
#include "sched/jobindex.h"
#include "sched/jobspec.h"
#include "sched/modules.h"

/* FLUID timestamps count milliseconds from 2025-01-01 on the real clock, so
 * ids keep growing across restarts; in the simulator, from virtual zero.
 */
#define FLUID_EPOCH 1735689600.0

/* Submissions per batch (module args {"batch-max": N}): one batch is one
 * KVS commit, and what the jobs already in the pipeline wait behind. */
#define BATCH_MAX 32

struct sub {
    eddy_msg_t *req;
    uint64_t id;
    json_t *jobspec;
    char *text; /* jobspec's compact encoding, once stored (commit_batch) */
    char *J; /* the signed form, or NULL (unsigned, where "none" is allowed) */
    int urgency;
    int flags;
    uint32_t userid;
    double t_submit;
    /* what the job manager admits to a queue by */
    char *queue;
    int nnodes, ncores, ngpus;
    double duration;
};

struct batch {
    struct ingest *ig;
    struct sub *subs;
    int n;
};

struct ingest {
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    struct eddy_fluid_gen gen;
    struct batch *cur;  /* submissions not yet sent on, in order */
    eddy_watcher_t *flush_w;
    uint64_t submitted;
    int batch_max;      /* submissions per batch */
    bool busy;          /* a batch is on its way to the job manager */
    uint64_t batches;
    struct eddy_sign_conf sign;

    /* pacing on the job manager's pending jobs (0: none) */
    int backlog_max;
    bool backlog_pinned;       /* from the module args: a reload keeps it */
    uint32_t pending;          /* its pending count, as last told */
    eddy_future_t *backlog_f;  /* a job-manager.backlog in flight */
    uint64_t paced;            /* times a batch waited for it */

    /* The last distinct jobspec and what its validation found: a stream
     * of copies (eddy submit --cc) is parsed and encoded once, and its
     * jobs share one object (nothing changes a jobspec once submitted). */
    struct {
        json_t *jobspec;
        char *text;  /* its compact encoding, once made */
        char *queue;
        int nnodes, ncores, ngpus;
        double duration;
    } last;
    uint64_t same;             /* submissions that matched it */

    /* until the job manager says which ids are taken, submissions wait */
    eddy_future_t *info_f;
    struct eddy_held deferred;
};

static void batch_destroy (struct batch *b)
{
    if (b) {
        for (int i = 0; i < b->n; i++) {
            eddy_msg_decref (b->subs[i].req);
            json_decref (b->subs[i].jobspec);
            free (b->subs[i].text);
            free (b->subs[i].J);
            free (b->subs[i].queue);
        }
        free (b->subs);
        free (b);
    }
}

/* The batch in flight is done (answered, or failed): the next may go. */
static void batch_end (struct batch *b)
{
    struct ingest *ig = b->ig;
    batch_destroy (b);
    ig->busy = false;
    if (ig->cur)
        eddy_watcher_start (ig->flush_w);
}

static void batch_fail (struct batch *b, int errnum, const char *text)
{
    for (int i = 0; i < b->n; i++)
        eddy_respond_error (b->ig->h, b->subs[i].req, errnum, text);
}

static void manager_cb (eddy_future_t *f, void *arg)
{
    struct batch *b = arg;
    json_t *o = NULL;
    json_int_t pending;
    if (eddy_rpc_get (f, &o) < 0)
        batch_fail (b, errno, eddy_future_error_string (f));
    else {
        if (json_unpack (o, "{s:I}", "pending", &pending) == 0 && pending >= 0)
            b->ig->pending = pending > UINT32_MAX ? UINT32_MAX : (uint32_t)pending;
        for (int i = 0; i < b->n; i++)
            eddy_respond_pack (b->ig->h, b->subs[i].req, "{s:I}", "id", (json_int_t)b->subs[i].id);
    }
    eddy_future_destroy (f);
    batch_end (b);
}

static void commit_cb (eddy_future_t *f, void *arg)
{
    struct batch *b = arg;
    json_t *jobs = NULL;
    eddy_future_t *mf = NULL;

    if (eddy_rpc_get (f, NULL) < 0) {
        batch_fail (b, errno, eddy_future_error_string (f));
        goto done;
    }
    if (!(jobs = json_array ()))
        goto nomem;
    for (int i = 0; i < b->n; i++) {
        struct sub *s = &b->subs[i];
        json_t *o = json_pack ("{s:I s:i s:i s:f s:i s:O s:s}", "id", (json_int_t)s->id,
                               "userid", (int)s->userid, "urgency", s->urgency, "t_submit",
                               s->t_submit, "flags", s->flags, "jobspec", s->jobspec,
                               "jobspec_text", s->text);
        if (!o || json_array_append_new (jobs, o) < 0)
            goto nomem;
    }
    mf = eddy_rpc_pack (b->ig->h, "job-manager.submit", EDDY_NODEID_ANY, 0, "{s:o}", "jobs", jobs);
    jobs = NULL;
    if (!mf || eddy_future_then (mf, -1, manager_cb, b) < 0) {
        batch_fail (b, errno ? errno : EIO, "cannot reach the job manager");
        eddy_future_destroy (mf);
        goto done;
    }
    eddy_future_destroy (f);
    return;
nomem:
    json_decref (jobs);
    batch_fail (b, ENOMEM, NULL);
done:
    eddy_future_destroy (f);
    batch_end (b);
}

/* One commit for every admitted submission of this iteration. */
static void commit_batch (struct ingest *ig, struct batch *b)
{
    eddy_kvs_txn_t *txn = NULL;
    eddy_future_t *f = NULL;
    char key[128];

    if (!(txn = eddy_kvs_txn_create ()))
        goto error;
    for (int i = 0; i < b->n; i++) {
        struct sub *s = &b->subs[i];
        json_t *ctx = json_pack ("{s:i s:i s:i s:i}", "userid", (int)s->userid, "urgency",
                                 s->urgency, "flags", s->flags, "version", 1);
        json_t *entry = ctx ? eddy_eventlog_entry_create (s->t_submit, "submit", ctx) : NULL;
        char *text = entry ? eddy_eventlog_entry_encode (entry) : NULL;
        json_decref (ctx);
        json_decref (entry);
        int rc = -1;
        /* encoded once: the KVS value, and the job manager's copy */
        if (!s->text && s->jobspec == ig->last.jobspec && ig->last.text)
            s->text = strdup (ig->last.text);
        if (!s->text && (s->text = json_dumps (s->jobspec, JSON_COMPACT | JSON_ENCODE_ANY))
            && s->jobspec == ig->last.jobspec)
            ig->last.text = strdup (s->text);
        if (text && s->text && eddy_kvs_job_key (key, sizeof (key), s->id, "jobspec") >= 0
            && eddy_kvs_txn_put (txn, key, s->text) == 0
            && eddy_kvs_job_key (key, sizeof (key), s->id, "eventlog") >= 0
            && eddy_kvs_txn_append (txn, key, text) == 0
            && (!s->J
                || (eddy_kvs_job_key (key, sizeof (key), s->id, "J") >= 0
                    && eddy_kvs_txn_put_pack (txn, key, "s", s->J) == 0)))
            rc = eddy_jobindex_add (txn, s->id); /* active from this commit on */
        free (text);
        if (rc < 0)
            goto error;
    }
    if (!(f = eddy_kvs_commit (ig->h, NULL, 0, txn)) || eddy_future_then (f, -1, commit_cb, b) < 0)
        goto error;
    eddy_kvs_txn_destroy (txn);
    return;
error:
    batch_fail (b, errno ? errno : ENOMEM, "cannot commit the job to the KVS");
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (txn);
    batch_end (b);
}

/* The job manager's verdict on each submission (its queue exists, is
 * enabled, and the job is within its limits): the refused are answered
 * with the reason, the others are stored.
 */
static void validate_cb (eddy_future_t *f, void *arg)
{
    struct batch *b = arg;
    struct ingest *ig = b->ig;
    json_t *errors = NULL;
    int k = 0;

    if (eddy_rpc_get_unpack (f, "{s:o}", "errors", &errors) < 0 || !json_is_array (errors)
        || json_array_size (errors) != (size_t)b->n) {
        batch_fail (b, errno ? errno : EPROTO, eddy_future_error_string (f));
        eddy_future_destroy (f);
        batch_end (b);
        return;
    }
    for (int i = 0; i < b->n; i++) {
        const char *text = json_string_value (json_array_get (errors, i));
        if (text) {
            eddy_respond_error (ig->h, b->subs[i].req, EINVAL, text);
            eddy_msg_decref (b->subs[i].req);
            json_decref (b->subs[i].jobspec);
            free (b->subs[i].text);
            free (b->subs[i].J);
            free (b->subs[i].queue);
        }
        else
            b->subs[k++] = b->subs[i];
    }
    b->n = k;
    eddy_future_destroy (f);
    if (b->n == 0)
        batch_end (b);
    else
        commit_batch (ig, b);
}

/* Keep the first n submissions of b and return a batch of the others, in
 * order (NULL if out of memory: b then goes whole).
 */
static struct batch *batch_split (struct batch *b, int n)
{
    struct batch *rest = calloc (1, sizeof (*rest));
    int left = b->n - n, cap = 1;
    while (cap < left)
        cap *= 2; /* batch_add () grows at powers of two */
    if (!rest || !(rest->subs = malloc (cap * sizeof (*rest->subs)))) {
        free (rest);
        return NULL;
    }
    rest->ig = b->ig;
    rest->n = left;
    memcpy (rest->subs, b->subs + n, left * sizeof (*rest->subs));
    b->n = n;
    return rest;
}

static void flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg);

/* The job manager has fewer than backlog-max jobs pending: batches may go. */
static void backlog_cb (eddy_future_t *f, void *arg)
{
    struct ingest *ig = arg;
    json_int_t pending = 0;

    if (eddy_rpc_get_unpack (f, "{s:I}", "pending", &pending) < 0) {
        /* no pacing rather than no submissions */
        eddy_log (ig->h, LOG_WARNING, "job-manager.backlog: %s; not pacing until it answers",
                  eddy_future_error_string (f));
        pending = 0;
    }
    ig->pending = pending < 0 ? 0 : pending > UINT32_MAX ? UINT32_MAX : (uint32_t)pending;
    eddy_future_destroy (f);
    ig->backlog_f = NULL;
    if (ig->cur)
        eddy_watcher_start (ig->flush_w);
}

/* How many of the waiting submissions the next batch may take (0: wait
 * for the job manager, with a job-manager.backlog request in flight).  A
 * batch goes once it can be whole (batch-max, or what waits if fewer), so
 * pacing does not break the stream into batches of one.
 */
static int batch_room (struct ingest *ig, int waiting)
{
    if (ig->backlog_max <= 0)
        return ig->batch_max;
    uint32_t need = (uint32_t)ig->batch_max;
    if (need > (uint32_t)ig->backlog_max)
        need = (uint32_t)ig->backlog_max;
    if (need > (uint32_t)waiting)
        need = (uint32_t)waiting;
    if (ig->pending + need <= (uint32_t)ig->backlog_max) {
        uint32_t room = (uint32_t)ig->backlog_max - ig->pending;
        return room < (uint32_t)ig->batch_max ? (int)room : ig->batch_max;
    }
    ig->backlog_f = eddy_rpc_pack (ig->h, "job-manager.backlog", EDDY_NODEID_ANY, 0, "{s:i}",
                                   "below", ig->backlog_max - (int)need + 1);
    if (!ig->backlog_f || eddy_future_then (ig->backlog_f, -1, backlog_cb, ig) < 0) {
        eddy_future_destroy (ig->backlog_f);
        ig->backlog_f = NULL;
        return ig->batch_max; /* cannot ask: go on unpaced */
    }
    ig->paced++;
    return 0;
}

static void flush_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct ingest *ig = arg;
    struct batch *b = ig->cur;
    json_t *jobs = NULL;
    eddy_future_t *f = NULL;
    int room;

    eddy_watcher_stop (w);
    if (!b || ig->busy || ig->backlog_f)
        return; /* batch_end () or backlog_cb () starts it again */
    if ((room = batch_room (ig, b->n)) == 0)
        return;
    ig->cur = b->n > room ? batch_split (b, room) : NULL;
    /* counted now, so the next batch's room leaves these out too */
    ig->pending += (uint32_t)b->n;
    ig->busy = true;
    ig->batches++;
    if (!(jobs = json_array ()))
        goto error;
    for (int i = 0; i < b->n; i++) {
        struct sub *s = &b->subs[i];
        json_t *sys = json_object_get (json_object_get (s->jobspec, "attributes"), "system");
        json_t *deps = json_object_get (sys, "dependencies");
        json_t *bank = json_object_get (sys, "bank");
        json_t *o = json_pack ("{s:i s:i s:i s:f s:i s:b}", "nnodes", s->nnodes, "ncores",
                               s->ncores, "ngpus", s->ngpus, "duration", s->duration, "userid",
                               (int)s->userid, "owner",
                               (eddy_msg_rolemask (s->req) & EDDY_ROLE_OWNER) != 0);
        if (!o || (s->queue && json_object_set_new (o, "queue", json_string (s->queue)) < 0)
            || (deps && json_object_set (o, "dependencies", deps) < 0)
            || (json_is_string (bank) && json_object_set (o, "bank", bank) < 0)
            || json_array_append_new (jobs, o) < 0) {
            json_decref (o);
            goto error;
        }
    }
    f = eddy_rpc_pack (ig->h, "job-manager.validate", EDDY_NODEID_ANY, 0, "{s:o}", "jobs", jobs);
    jobs = NULL;
    if (!f || eddy_future_then (f, -1, validate_cb, b) < 0)
        goto error;
    return;
error:
    batch_fail (b, errno ? errno : ENOMEM, "cannot reach the job manager");
    json_decref (jobs);
    eddy_future_destroy (f);
    batch_end (b);
}

static int batch_add (struct ingest *ig, struct sub *s)
{
    struct batch *b = ig->cur;
    if (!b) {
        if (!(b = calloc (1, sizeof (*b))))
            return -1;
        b->ig = ig;
        ig->cur = b;
    }
    if ((b->n & (b->n - 1)) == 0) { /* grow at powers of two */
        struct sub *p = realloc (b->subs, (b->n ? b->n * 2 : 1) * sizeof (*p));
        if (!p)
            return -1;
        b->subs = p;
    }
    b->subs[b->n++] = *s;
    eddy_watcher_start (ig->flush_w);
    return 0;
}

static uint64_t now_ms (eddy_reactor_t *r)
{
    double t = eddy_reactor_wallclock (r);
    if (t > FLUID_EPOCH)
        t -= FLUID_EPOCH;
    return (uint64_t)(t * 1000.0);
}

static bool defer (struct ingest *ig, const eddy_msg_t *msg)
{
    if (!ig->info_f)
        return false;
    if (eddy_held_add (&ig->deferred, msg) < 0)
        eddy_respond_error (ig->h, msg, ENOMEM, NULL);
    return true;
}

/* The job manager's largest id (it answers once its restart is over). */
static void info_cb (eddy_future_t *f, void *arg)
{
    struct ingest *ig = arg;
    json_int_t max = 0, pending = 0;

    if (eddy_rpc_get_unpack (f, "{s:I s?I}", "max_jobid", &max, "pending", &pending) < 0)
        eddy_log (ig->h, LOG_WARNING, "job-manager.getinfo: %s; job ids follow the clock alone",
                  eddy_future_error_string (f));
    else if (max > 0 && eddy_fluid_set_floor (&ig->gen, (eddy_fluid_t)max) == 0)
        eddy_log (ig->h, LOG_DEBUG, "job ids start above %ju", (uintmax_t)max);
    /* restored jobs count against backlog-max from the first batch on */
    ig->pending = pending < 0 ? 0 : pending > UINT32_MAX ? UINT32_MAX : (uint32_t)pending;
    eddy_future_destroy (f);
    ig->info_f = NULL;
    eddy_held_release (&ig->deferred, ig->h);
}

/* The signature's checks: J verifies, is by the connection's user and over
 * the jobspec's canonical bytes (what `eddy submit` signs: compact, keys
 * sorted).  Without J, only where "none" is allowed (a single-user
 * instance): the connection's credentials are then the whole story.
 * Returns 0, or -1 with errno and the reason in err.
 */
static int check_signature (struct ingest *ig, const eddy_msg_t *msg, json_t *jobspec,
                            const char *J, eddy_error_t *err)
{
    void *payload = NULL;
    size_t len = 0;
    uint32_t signer = 0;
    char *text;
    int rc;

    if (!J) {
        if (ig->sign.allowed & EDDY_SIGN_NONE)
            return 0;
        errno = EPERM;
        return eddy_error_set (err, "the jobspec must be signed (allowed-types: munge)");
    }
    if (eddy_sign_unwrap (&ig->sign, J, &payload, &len, &signer, NULL, 0, err) < 0)
        return -1;
    if (!(text = json_dumps (jobspec, JSON_COMPACT | JSON_SORT_KEYS))) {
        free (payload);
        errno = ENOMEM;
        return eddy_error_set (err, "out of memory");
    }
    rc = eddy_sign_check_user (signer, eddy_msg_userid (msg), err);
    if (rc == 0)
        rc = eddy_sign_check_payload (payload, len, text, strlen (text), err);
    free (text);
    free (payload);
    return rc;
}

static void last_clear (struct ingest *ig)
{
    json_decref (ig->last.jobspec);
    free (ig->last.text);
    free (ig->last.queue);
    memset (&ig->last, 0, sizeof (ig->last));
}

/* Validate jobspec and make it the last one.  Returns 0, or -1 with errno
 * and the client's message in text.
 */
static int remember_jobspec (struct ingest *ig, json_t *jobspec, char *text, size_t len)
{
    eddy_error_t err;
    eddy_jobspec_t *js = eddy_jobspec_parse (jobspec, EDDY_JOBSPEC_V1, &err);
    if (!js) {
        snprintf (text, len, "invalid jobspec: %s", err.text);
        errno = EINVAL;
        return -1;
    }
    const char *queue = eddy_jobspec_queue (js);
    char *q = queue ? strdup (queue) : NULL;
    if (queue && !q) {
        eddy_jobspec_destroy (js);
        snprintf (text, len, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    long long ncores = (long long)eddy_jobspec_nslots (js) * eddy_jobspec_cores_per_slot (js);
    long long ngpus = (long long)eddy_jobspec_nslots (js) * eddy_jobspec_gpus_per_slot (js);
    last_clear (ig);
    ig->last.jobspec = json_incref (jobspec);
    ig->last.queue = q;
    ig->last.nnodes = eddy_jobspec_nnodes (js);
    ig->last.ncores = ncores > INT32_MAX ? INT32_MAX : (int)ncores;
    ig->last.ngpus = ngpus > INT32_MAX ? INT32_MAX : (int)ngpus;
    ig->last.duration = eddy_jobspec_duration (js);
    eddy_jobspec_destroy (js);
    return 0;
}

static void submit_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct ingest *ig = arg;
    json_t *jobspec;
    const char *J = NULL;
    int urgency = 16, flags = 0;
    json_error_t jerr;
    eddy_error_t err;
    char text[256];

    if (defer (ig, msg))
        return;
    if (!eddy_msg_payload (msg)
        || json_unpack_ex (eddy_msg_payload (msg), &jerr, 0, "{s:o s?i s?i s?s}", "jobspec", &jobspec,
                           "urgency", &urgency, "flags", &flags, "J", &J) < 0) {
        eddy_respond_error (h, msg, EPROTO,
                            "job-ingest.submit: expected {jobspec, urgency?, flags?, J?}");
        return;
    }
    if (check_signature (ig, msg, jobspec, J, &err) < 0) {
        eddy_respond_error (h, msg, errno, err.text);
        return;
    }
    if (urgency < 0 || urgency > 31) {
        snprintf (text, sizeof (text), "urgency %d is not in 0-31", urgency);
        eddy_respond_error (h, msg, EINVAL, text);
        return;
    }
    if (urgency > 16 && !(eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER)) {
        eddy_respond_error (h, msg, EPERM, "only the instance owner may submit with urgency > 16");
        return;
    }
    if (ig->last.jobspec && (jobspec == ig->last.jobspec || json_equal (jobspec, ig->last.jobspec)))
        ig->same++;
    else if (remember_jobspec (ig, jobspec, text, sizeof (text)) < 0) {
        eddy_respond_error (h, msg, errno, text);
        return;
    }
    eddy_reactor_t *r = eddy_handle_reactor (h);
    const char *queue = ig->last.queue;
    struct sub s = {
        .req = eddy_msg_incref (msg),
        .jobspec = json_incref (ig->last.jobspec),
        .J = J ? strdup (J) : NULL,
        .urgency = urgency,
        .flags = flags,
        .userid = eddy_msg_userid (msg),
        .t_submit = eddy_reactor_wallclock (r),
        .queue = queue ? strdup (queue) : NULL,
        .nnodes = ig->last.nnodes,
        .ncores = ig->last.ncores,
        .ngpus = ig->last.ngpus,
        .duration = ig->last.duration,
    };
    if ((queue && !s.queue) || (J && !s.J) || eddy_fluid_generate (&ig->gen, now_ms (r), &s.id) < 0
        || batch_add (ig, &s) < 0) {
        eddy_respond_error (h, msg, errno ? errno : ENOMEM, "cannot assign a job id");
        eddy_msg_decref (s.req);
        json_decref (s.jobspec);
        free (s.J);
        free (s.queue);
        return;
    }
    ig->submitted++;
}

static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct ingest *ig = arg;
    eddy_respond_pack (h, msg, "{s:I s:I s:i s:b s:i s:i s:I s:I s:b s:I}", "submitted",
                       (json_int_t)ig->submitted, "batches", (json_int_t)ig->batches, "waiting",
                       ig->cur ? ig->cur->n : 0, "busy", ig->busy, "batch-max", ig->batch_max,
                       "backlog-max", ig->backlog_max, "pending", (json_int_t)ig->pending,
                       "paced", (json_int_t)ig->paced, "pacing", ig->backlog_f != NULL, "same",
                       (json_int_t)ig->same);
}

/* What a client needs to sign: the type to use, munged's socket. */
static void signinfo_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                         void *arg)
{
    struct ingest *ig = arg;
    json_t *o = eddy_sign_conf_tojson (&ig->sign);

    if (!o || eddy_respond (h, msg, o) < 0)
        eddy_respond_error (h, msg, ENOMEM, NULL);
    json_decref (o);
}

/* [sign] and [access] from the module's table: "none" only when guests are
 * not allowed (a single-user instance).
 */
static int sign_config (const json_t *table, struct eddy_sign_conf *conf, eddy_error_t *err)
{
    const json_t *guest = json_object_get (json_object_get (table, "access"), "allow-guest-user");
    return eddy_sign_conf_parse (conf, json_object_get (table, "sign"), json_is_true (guest), err);
}

/* [ingest] backlog-max: unchanged when absent. */
static int backlog_config (const json_t *table, int *backlog_max, eddy_error_t *err)
{
    const json_t *v = json_object_get (table, "backlog-max");
    if (!v)
        return 0;
    if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > INT32_MAX) {
        errno = EINVAL;
        return eddy_error_set (err, "backlog-max: expected an integer >= 0 (0: no pacing)");
    }
    *backlog_max = (int)json_integer_value (v);
    return 0;
}

/* config.reload: a new [sign] applies to the next submission, a new
 * [ingest] backlog-max to the next batch. */
static void config_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct ingest *ig = arg;
    struct eddy_sign_conf conf;
    json_t *table = NULL;
    eddy_error_t err;

    if (json_unpack (eddy_msg_payload (msg), "{s:o}", "config", &table) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-ingest: config.reload without a config");
        return;
    }
    int backlog_max = ig->backlog_max;
    if (sign_config (table, &conf, &err) < 0
        || (!ig->backlog_pinned && backlog_config (table, &backlog_max, &err) < 0)) {
        eddy_respond_error (h, msg, EINVAL, err.text);
        return;
    }
    ig->sign = conf;
    ig->backlog_max = backlog_max;
    if (ig->cur)
        eddy_watcher_start (ig->flush_w);
    eddy_respond (h, msg, NULL);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "job-ingest.submit", submit_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-ingest.stats", stats_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-ingest.sign-info", signinfo_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "config.reload", config_cb, 0 },
    EDDY_MSGHANDLER_TABLE_END,
};

static void ingest_unload (void *ctx)
{
    struct ingest *ig = ctx;
    if (ig) {
        if (ig->cur) {
            batch_fail (ig->cur, ENOSYS, "job-ingest unloaded");
            batch_destroy (ig->cur);
        }
        eddy_future_destroy (ig->info_f);
        eddy_future_destroy (ig->backlog_f);
        last_clear (ig);
        eddy_held_fail (&ig->deferred, ig->h, ENOSYS, "job-ingest unloaded");
        eddy_watcher_destroy (ig->flush_w);
        eddy_msg_handler_delvec (ig->handlers);
        free (ig);
    }
}

static int ingest_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct ingest *ig = calloc (1, sizeof (*ig));
    if (!ig)
        return -1;
    ig->h = h;
    ig->batch_max = BATCH_MAX;
    if (args && (json_unpack (args, "{s?i}", "batch-max", &ig->batch_max) < 0 || ig->batch_max < 1)) {
        eddy_log (h, LOG_ERR, "batch-max: expected an integer >= 1");
        free (ig);
        errno = EINVAL;
        return -1;
    }
    eddy_error_t err;
    if (sign_config (eddy_handle_config (h), &ig->sign, &err) < 0
        || backlog_config (eddy_handle_config (h), &ig->backlog_max, &err) < 0
        || (json_object_get (args, "backlog-max")
            && (ig->backlog_pinned = true, backlog_config (args, &ig->backlog_max, &err) < 0))) {
        eddy_log (h, LOG_ERR, "%s", err.text);
        free (ig);
        errno = EINVAL;
        return -1;
    }
    uint32_t rank = eddy_handle_rank (h);
    if (eddy_fluid_init (&ig->gen, rank <= EDDY_FLUID_MAX_GENID ? rank : 0) < 0
        || !(ig->flush_w = eddy_check_create (eddy_handle_reactor (h), flush_cb, ig))
        || eddy_msg_handler_addvec (h, handlers, ig, &ig->handlers) < 0
        || eddy_service_register (h, "job-ingest") < 0
        || !(ig->info_f = eddy_rpc (h, "job-manager.getinfo", NULL, EDDY_NODEID_ANY, 0))
        || eddy_future_then (ig->info_f, -1, info_cb, ig) < 0) {
        ingest_unload (ig);
        return -1;
    }
    *ctx = ig;
    return 0;
}

static const char *const ingest_extra[] = {"sign", "access", NULL};

const struct eddy_module eddy_module_job_ingest = {
    .name = "job-ingest",
    .load = ingest_load,
    .unload = ingest_unload,
    .config_table = "ingest", /* Flux's name */
    .config_extra = ingest_extra,
};
