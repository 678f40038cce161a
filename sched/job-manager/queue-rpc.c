/* queue-rpc.c - the job manager's queue requests (docs/protocols.md,
 * "job-manager"): change a queue's state (persisted in the KVS before it
 * is answered or acted on), report the queues, and admit submissions for
 * job-ingest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "sched/job-manager/jobmgr.h"

struct jmq *job_queue (struct jobmgr *jm, const struct job *job)
{
    const char *name = job->queue;

    if (!name)
        return jm->queues.def >= 0 ? &jm->queues.q[jm->queues.def] : NULL;
    for (int i = 0; i < jm->queues.n; i++)
        if (!strcmp (jm->queues.q[i].name, name))
            return &jm->queues.q[i];
    return NULL;
}

/* A state changed: pending jobs of a started queue ask the scheduler,
 * those of a stopped one withdraw their requests (job_action ()).
 */
static void queues_kick (struct jobmgr *jm)
{
    struct job *job = jm->head;
    while (job) {
        struct job *next = job->next; /* job_action may unlink it */
        if (job->state == JOB_SCHED)
            job_action (jm, job);
        job = next;
    }
}

struct qchange {
    struct jobmgr *jm;
    eddy_msg_t *req;
    json_t *states; /* what is being committed */
};

static void qchange_done (struct jobmgr *jm, struct qchange *qc)
{
    eddy_msg_decref (qc->req);
    json_decref (qc->states);
    free (qc);
    jm->queue_commit = false;
    eddy_held_release (&jm->queue_held, jm->h);
}

static void commit_cb (eddy_future_t *f, void *arg)
{
    struct qchange *qc = arg;
    struct jobmgr *jm = qc->jm;

    if (eddy_rpc_get (f, NULL) < 0) {
        char text[256];
        snprintf (text, sizeof (text), "the queue state cannot be stored: %s",
                  eddy_future_error_string (f));
        eddy_respond_error (jm->h, qc->req, errno ? errno : EIO, text);
    }
    else if (jmq_states_apply (&jm->queues, qc->states) < 0)
        eddy_respond_error (jm->h, qc->req, errno, "cannot apply the queue state");
    else {
        eddy_respond (jm->h, qc->req, NULL);
        queues_kick (jm);
    }
    eddy_future_destroy (f);
    qchange_done (jm, qc);
}

/* The queues a request names: {queue} (absent: the default), or {all}. */
static int targets (struct jobmgr *jm, const char *name, bool all, bool *mark, char *text,
                    size_t len)
{
    if (all) {
        for (int i = 0; i < jm->queues.n; i++)
            mark[i] = true;
        return 0;
    }
    if (!name && jm->queues.def < 0) {
        snprintf (text, len, "there is no default queue: name one (-q NAME) or use --all");
        return -1;
    }
    struct jmq *q = jmq_lookup (&jm->queues, name, text, len);
    if (!q)
        return -1;
    mark[q - jm->queues.q] = true;
    return 0;
}

/* job-manager.queue-set {action, queue?, all?, reason?} */
void jobmgr_queue_set_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                          void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    const char *action, *name = NULL, *reason = NULL;
    int all = 0;
    char text[256];
    json_t *old = NULL, *states = NULL;
    bool *mark = NULL;
    struct qchange *qc = NULL;
    eddy_kvs_txn_t *txn = NULL;
    eddy_future_t *f = NULL;

    if (jm->queue_commit) { /* one change at a time, in order */
        if (eddy_held_add (&jm->queue_held, msg) < 0)
            eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:s s?s s?b s?s}", "action", &action, "queue",
                        &name, "all", &all, "reason", &reason) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.queue-set: expected {action, queue?, "
                            "all?, reason?}");
        return;
    }
    if (strcmp (action, "enable") && strcmp (action, "disable") && strcmp (action, "start")
        && strcmp (action, "stop")) {
        snprintf (text, sizeof (text), "unknown queue action '%s' (enable, disable, start, stop)",
                  action);
        eddy_respond_error (h, msg, EINVAL, text);
        return;
    }
    if (!(mark = calloc (jm->queues.n, sizeof (*mark))))
        goto nomem;
    if (targets (jm, name, all, mark, text, sizeof (text)) < 0) {
        eddy_respond_error (h, msg, ENOENT, text);
        free (mark);
        return;
    }
    /* the new states, computed on the set and undone until committed */
    if (!(old = jmq_states_json (&jm->queues)))
        goto nomem;
    for (int i = 0; i < jm->queues.n; i++)
        if (mark[i] && jmq_set_state (&jm->queues.q[i], action, reason) < 0)
            goto nomem;
    states = jmq_states_json (&jm->queues);
    if (jmq_states_apply (&jm->queues, old) < 0 || !states)
        goto nomem;
    if (!(qc = calloc (1, sizeof (*qc))) || !(txn = eddy_kvs_txn_create ())
        || eddy_kvs_txn_put_json (txn, QUEUES_KEY, states) < 0
        || !(f = eddy_kvs_commit (h, NULL, 0, txn)) || eddy_future_then (f, -1, commit_cb, qc) < 0)
        goto nomem;
    qc->jm = jm;
    qc->req = eddy_msg_incref (msg);
    qc->states = states;
    jm->queue_commit = true;
    eddy_kvs_txn_destroy (txn);
    json_decref (old);
    free (mark);
    return;
nomem:
    eddy_respond_error (h, msg, errno ? errno : ENOMEM, "cannot change the queue state");
    eddy_future_destroy (f);
    eddy_kvs_txn_destroy (txn);
    free (qc);
    json_decref (states);
    json_decref (old);
    free (mark);
}

struct qcount {
    int queued, pending, freeing, running;
};

static json_t *queue_json (const struct jmq *q, const struct qcount *c)
{
    json_t *o = json_pack ("{s:s s:b s:b s:b s:{s:f s:i s:i} s:{s:i s:i s:i s:i}}", "name",
                           jmq_display_name (q), "default", q->is_default, "enabled", q->enabled,
                           "started", q->started, "limits", "duration", q->max_duration,
                           "nnodes", q->max_nnodes, "ncores", q->max_ncores, "jobs", "queued",
                           c->queued, "pending", c->pending, "free", c->freeing, "running",
                           c->running);
    if (o && q->disable_reason)
        json_object_set_new (o, "disable_reason", json_string (q->disable_reason));
    if (o && q->stop_reason)
        json_object_set_new (o, "stop_reason", json_string (q->stop_reason));
    if (o && q->resources)
        json_object_set_new (o, "resources", json_string (q->resources));
    if (o && q->requires)
        json_object_set (o, "requires", q->requires);
    return o;
}

/* job-manager.queue-status {queue?} -> {queues: [...]}: every queue, or
 * the one named, with its state, limits and counts of its jobs (queued:
 * waiting here, pending: requested from the scheduler, free: releasing,
 * running: holding resources).
 */
void jobmgr_queue_status_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                             void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    const char *name = NULL;
    char text[256];
    struct qcount *c;
    json_t *a;
    struct jmq *only = NULL;

    if (eddy_msg_payload (msg) && json_unpack (eddy_msg_payload (msg), "{s?s}", "queue", &name) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.queue-status: expected {queue?}");
        return;
    }
    if (name && !(only = jmq_lookup (&jm->queues, name, text, sizeof (text)))) {
        eddy_respond_error (h, msg, ENOENT, text);
        return;
    }
    if (!(c = calloc (jm->queues.n, sizeof (*c)))) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    for (struct job *job = jm->head; job; job = job->next) {
        struct jmq *q = job_queue (jm, job);
        if (!q)
            continue;
        struct qcount *k = &c[q - jm->queues.q];
        if (job->state == JOB_SCHED && job->alloc_pending)
            k->pending++;
        else if (job->state == JOB_SCHED)
            k->queued++;
        if (job->free_pending)
            k->freeing++;
        if (job->state == JOB_RUN || (job->state == JOB_CLEANUP && job->has_resources))
            k->running++;
    }
    if (!(a = json_array ()))
        goto nomem;
    for (int i = 0; i < jm->queues.n; i++) {
        if (only && only != &jm->queues.q[i])
            continue;
        if (json_array_append_new (a, queue_json (&jm->queues.q[i], &c[i])) < 0)
            goto nomem;
    }
    free (c);
    eddy_respond_pack (h, msg, "{s:o s:b}", "queues", a, "named", jm->queues.q[0].name[0] != 0);
    return;
nomem:
    free (c);
    json_decref (a);
    eddy_respond_error (h, msg, ENOMEM, NULL);
}

/* job-manager.validate {jobs: [{queue?, nnodes, ncores, duration}]} ->
 * {errors: [null | text]}: job-ingest asks before it stores a batch.
 */
void jobmgr_validate_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg,
                         void *arg)
{
    struct jobmgr *jm = arg;
    if (jobmgr_defer (jm, msg))
        return;
    json_t *jobs, *o, *errors, *batch = NULL;
    size_t i;
    char text[256];

    if (!eddy_msg_payload (msg)
        || json_unpack (eddy_msg_payload (msg), "{s:o}", "jobs", &jobs) < 0
        || !json_is_array (jobs)) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.validate: expected {jobs}");
        return;
    }
    if (!(errors = json_array ()) || !(batch = json_object ()))
        goto nomem;
    json_array_foreach (jobs, i, o) {
        const char *name = NULL, *bank = NULL;
        int nnodes = 0, ncores = 0, ngpus = 0, userid = -1, owner = 0;
        double duration = 0;
        struct jmq *q;
        json_t *e = json_null (), *deps = NULL;
        if (json_unpack (o, "{s?s s?i s?i s?i s?F s?o s?i s?b s?s}", "queue", &name, "nnodes",
                         &nnodes, "ncores", &ncores, "ngpus", &ngpus, "duration", &duration,
                         "dependencies", &deps, "userid", &userid, "owner", &owner, "bank", &bank)
            < 0)
            e = json_string ("job-manager.validate: malformed job");
        else if (!(q = jmq_lookup (&jm->queues, name, text, sizeof (text)))
                 || jmq_admit (q, nnodes, ncores, ngpus, duration, text, sizeof (text)) < 0
                 || (deps && jobmgr_depend_validate (jm, deps, userid, owner, text,
                                                     sizeof (text)) < 0)
                 || jobmgr_priority_validate (jm, userid, bank, batch, text, sizeof (text)) < 0)
            e = json_string (text);
        if (json_array_append_new (errors, e) < 0)
            goto nomem;
    }
    json_decref (batch);
    eddy_respond_pack (h, msg, "{s:o}", "errors", errors);
    return;
nomem:
    json_decref (batch);
    json_decref (errors);
    eddy_respond_error (h, msg, ENOMEM, NULL);
}

static bool same_string (const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp (a, b));
}

/* Does q place its jobs elsewhere than the queue of its name in old? */
static bool placement_changed (const struct jmq *q, const struct jmq_set *old)
{
    for (int i = 0; i < old->n; i++) {
        const struct jmq *o = &old->q[i];
        if (!strcmp (o->name, q->name))
            return !same_string (o->resources, q->resources)
                   || !((!o->requires && !q->requires)
                        || (o->requires && q->requires && json_equal (o->requires, q->requires)));
    }
    return false; /* a new queue: its jobs asked without resources (none had it) */
}

/* [queues] and [policy] from the module's configuration: a new set, with
 * the states of the queues that stay.  -1 + text if the tables are wrong.
 */
int jobmgr_queues_configure (struct jobmgr *jm, const json_t *conf, char *text, size_t len)
{
    struct jmq_set set;
    eddy_error_t err;

    if (jmq_set_parse (&set, conf ? json_object_get (conf, "queues") : NULL,
                       conf ? json_object_get (conf, "policy") : NULL, &err) < 0) {
        snprintf (text, len, "%s", errno == EINVAL ? err.text : strerror (errno));
        return -1;
    }
    jmq_set_keep_states (&set, &jm->queues);
    bool *moved = calloc (set.n, sizeof (*moved));
    if (!moved) {
        jmq_set_clear (&set);
        snprintf (text, len, "%s", strerror (ENOMEM));
        return -1;
    }
    for (int i = 0; i < set.n; i++)
        moved[i] = placement_changed (&set.q[i], &jm->queues);
    jmq_set_clear (&jm->queues);
    jm->queues = set;
    /* requests made with a queue's old resources are withdrawn (they come
     * back canceled, and job_action () asks again with the new ones); a
     * queue that is gone no longer holds its jobs */
    for (struct job *job = jm->head; job; job = job->next) {
        struct jmq *q = job_queue (jm, job);
        if (job->state == JOB_SCHED && job->alloc_pending && q && moved[q - jm->queues.q])
            eddy_future_destroy (eddy_rpc_pack (jm->h, "sched.cancel", EDDY_NODEID_ANY,
                                                EDDY_RPC_NORESPONSE, "{s:I}", "id",
                                                (json_int_t)job->id));
    }
    free (moved);
    queues_kick (jm);
    return 0;
}
