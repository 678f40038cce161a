/* priority.c - the job manager's priority plugins ([job-manager.priority]).
 *
 * The job manager asks the plugin in force for a job's priority when the
 * job reaches PRIORITY and whenever the plugin says its inputs changed.
 * Urgency 0 (hold) is priority 0 and urgency 31 (expedite) the largest
 * priority whatever the plugin: the plugin sees only urgencies 1-30 and
 * answers 1 .. UINT32_MAX - 1, or 0 with a reason to hold the job (it
 * stays in SCHED, not asked for, with the reason in its priority entry).
 *
 * Two plugins: "urgency" (the default: priority = urgency) and
 * "multifactor": a weighted sum of fair share (from the job-archive's
 * job-manager.priority-update), age, size, queue and urgency, recomputed
 * every `period` and on each update, with the associations' limits
 * (max_running_jobs holds, max_active_jobs refuses at submit).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/util/fsd.h"
#include "sched/job-manager/jobmgr.h"
#include "sched/jobspec.h"

enum { F_FAIRSHARE = 0, F_AGE, F_SIZE, F_QUEUE, F_URGENCY, NFACTORS };
static const char *const factor_names[NFACTORS] = {"fairshare", "age", "size", "queue",
                                                   "urgency"};
static const double default_weights[NFACTORS] = {100000, 1000, 0, 0, 1000};

struct prio_plugin;

struct jmprio {
    const struct prio_plugin *plugin;
    double weight[NFACTORS];
    double max_age;  /* age factor 1 at this age (s) */
    double size_max; /* size factor 1 at this many cores */
    double period;   /* recompute every (s) */
    json_t *queues;  /* queue name -> factor */
    eddy_watcher_t *timer, *soon;
    /* from the last priority-update: "uid:bank" -> association;
     * "uid" -> default bank */
    json_t *assoc, *defaults;
    bool have_update;
    double update_time;
    double now; /* the age factor's clock: the last tick or update (stable in between) */
    uint64_t updates, recomputes;
};

struct prio_plugin {
    const char *name;
    /* priority of a job (urgency 1-30); 0 with *reason: held */
    uint32_t (*priority) (struct jobmgr *jm,
                          struct job *job,
                          double f[NFACTORS],
                          const char **reason);
};

static uint32_t urgency_priority (struct jobmgr *jm,
                                  struct job *job,
                                  double f[NFACTORS],
                                  const char **reason)
{
    f[F_URGENCY] = job->urgency;
    return (uint32_t)job->urgency;
}

/* ---- the multi-factor plugin ---- */

/* attributes.system.bank, read once: a waiting job keeps its jobspec as
 * text only (jobstate.c), so it is decoded for this at most once */
static const char *bank_attr (struct job *job)
{
    if (!job->prio_bank) {
        json_t *js = job->jobspec ? json_incref (job->jobspec) : job_jobspec (job);
        const char *b = json_string_value (json_object_get (
            json_object_get (json_object_get (js, "attributes"), "system"), "bank"));
        job->prio_bank = strdup (b ? b : "");
        json_decref (js);
        if (!job->prio_bank)
            return NULL;
    }
    return *job->prio_bank ? job->prio_bank : NULL;
}

static int job_ncores (struct job *job)
{
    if (job->prio_ncores == 0) {
        eddy_error_t err;
        /* a waiting job's jobspec may be text only: decoded once for this */
        json_t *o = job->jobspec ? json_incref (job->jobspec) : job_jobspec (job);
        eddy_jobspec_t *js = o ? eddy_jobspec_parse (o, EDDY_JOBSPEC_CANONICAL, &err) : NULL;
        job->prio_ncores =
            js ? eddy_jobspec_nslots (js) * eddy_jobspec_cores_per_slot (js) : -1;
        if (job->prio_ncores == 0)
            job->prio_ncores = -1;
        eddy_jobspec_destroy (js);
        json_decref (o);
    }
    return job->prio_ncores > 0 ? job->prio_ncores : 0;
}

/* The bank a job runs under: attributes.system.bank, else the user's
 * default (NULL: none known). */
static const char *job_bank (struct jmprio *p, uint32_t userid, const char *bank_attr)
{
    if (bank_attr)
        return bank_attr;
    char key[32];
    snprintf (key, sizeof (key), "%" PRIu32, userid);
    return json_string_value (json_object_get (p->defaults, key));
}

static json_t *
assoc_of (struct jmprio *p, uint32_t userid, const char *bank, char *key, size_t len)
{
    if (!bank)
        return NULL;
    snprintf (key, len, "%" PRIu32 ":%s", userid, bank);
    return json_object_get (p->assoc, key);
}

/* The jobs of an association that count against max_running_jobs
 * (running, and pending ones released), kept beside its fields. */
static json_int_t count_get (json_t *a)
{
    return json_integer_value (json_object_get (a, "_running"));
}

static void count_set (json_t *a, json_int_t n)
{
    json_integer_set (json_object_get (a, "_running"), n);
}

static uint32_t multifactor_priority (struct jobmgr *jm,
                                      struct job *job,
                                      double f[NFACTORS],
                                      const char **reason)
{
    struct jmprio *p = jm->prio;
    char key[160];
    json_t *a =
        assoc_of (p, job->userid, job_bank (p, job->userid, bank_attr (job)),
                  key, sizeof (key));
    double now = p->now;

    if (!p->have_update) {
        *reason = "no-accounting-data";
        return 0;
    }
    if (!a) {
        *reason = "no-association";
        return 0;
    }
    f[F_FAIRSHARE] = json_real_value (json_object_get (a, "fairshare"));
    f[F_AGE] =
        p->max_age > 0 ? fmin (1.0, fmax (0.0, now - job->t_submit) / p->max_age) : 0;
    f[F_SIZE] = p->size_max > 0 ? fmin (1.0, job_ncores (job) / p->size_max) : 0;
    const char *q = job->queue; /* kept apart from the jobspec's text (jobstate.c) */
    f[F_QUEUE] = q ? json_number_value (json_object_get (p->queues, q)) : 0;
    f[F_URGENCY] = job->urgency / 31.0;
    double sum = 0;
    for (int i = 0; i < NFACTORS; i++)
        sum += p->weight[i] * f[i];
    /* the running-jobs limit: released jobs count as running */
    json_t *lim = json_object_get (a, "max_running_jobs");
    if (json_integer_value (lim) > 0 && count_get (a) >= json_integer_value (lim)) {
        *reason = "max-running-jobs";
        return 0;
    }
    count_set (a, count_get (a) + 1);
    if (!(sum >= 0))
        sum = 0;
    if (sum > (double)(UINT32_MAX - 2))
        sum = (double)(UINT32_MAX - 2);
    return 1 + (uint32_t)floor (sum);
}

static const struct prio_plugin plugins[] = {
    {"urgency", urgency_priority},
    {"multifactor", multifactor_priority},
};

/* ---- what the job manager calls ---- */

static uint32_t
compute (struct jobmgr *jm, struct job *job, double f[NFACTORS], const char **reason)
{
    for (int i = 0; i < NFACTORS; i++)
        f[i] = 0;
    *reason = NULL;
    if (job->urgency <= 0) {
        *reason = "held";
        return 0;
    }
    if (job->urgency >= 31)
        return UINT32_MAX;
    if (!jm->prio)
        return plugins[0].priority (jm, job, f, reason);
    return jm->prio->plugin->priority (jm, job, f, reason);
}

static json_t *priority_context (uint32_t pr, const char *reason)
{
    json_t *o = json_pack ("{s:I}", "priority", (json_int_t)pr);
    if (o && pr == 0 && reason && strcmp (reason, "held") != 0)
        json_object_set_new (o, "reason", json_string (reason));
    return o;
}

json_t *jobmgr_priority_context (struct jobmgr *jm, struct job *job)
{
    double f[NFACTORS];
    const char *reason;
    uint32_t pr = compute (jm, job, f, &reason);
    job->prio_reason = reason;
    return priority_context (pr, reason);
}

/* A job in SCHED: post its priority again if it changed, tell the
 * scheduler, and let the state machine ask for or withdraw it. */
void jobmgr_priority_reapply (struct jobmgr *jm, struct job *job)
{
    double f[NFACTORS];
    const char *reason;
    if (job->state != JOB_SCHED)
        return;
    uint32_t pr = compute (jm, job, f, &reason);
    const char *old = job->prio_reason;
    if (pr == job->priority &&
        (pr != 0 || old == reason || (old && reason && !strcmp (old, reason))))
        return;
    bool was_held = job->priority == 0;
    job->prio_reason = reason;
    job_post (jm, job, "priority", priority_context (pr, reason));
    if (job->alloc_pending && pr > 0) {
        eddy_future_destroy (eddy_rpc_pack (jm->h, "sched.prioritize", EDDY_NODEID_ANY,
                                            EDDY_RPC_NORESPONSE, "{s:[[I,I]]}", "jobs",
                                            (json_int_t)job->id, (json_int_t)pr));
    }
    if (was_held != (pr == 0))
        job_action (jm, job);
}

static bool counts_running (const struct job *job)
{
    return job->in_nrunning || job->state == JOB_RUN ||
           (job->state == JOB_SCHED && job->priority > 0);
}

static void recompute (struct jobmgr *jm)
{
    struct jmprio *p = jm->prio;
    const char *k;
    json_t *a;
    char key[160];

    p->recomputes++;
    json_object_foreach (p->assoc, k, a) count_set (a, 0);
    /* running jobs hold their places first; pending ones are then
     * released in submission order up to the limit */
    for (struct job *job = jm->head; job; job = job->next) {
        if (job->state != JOB_SCHED && counts_running (job) &&
            (a = assoc_of (p, job->userid,
                           job_bank (p, job->userid, bank_attr (job)), key,
                           sizeof (key))))
            count_set (a, count_get (a) + 1);
    }
    for (struct job *job = jm->head; job;) {
        struct job *next =
            job->next; /* job_action may not free it in SCHED, but be safe */
        if (job->state == JOB_SCHED)
            jobmgr_priority_reapply (jm, job);
        job = next;
    }
}

static void timer_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jobmgr *jm = arg;
    jm->prio->now = eddy_reactor_wallclock (r);
    recompute (jm);
}

static void soon_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    eddy_watcher_stop (w);
    recompute (arg);
}

void jobmgr_priority_changed (struct jobmgr *jm)
{
    if (jm->prio && jm->prio->soon)
        eddy_watcher_start (jm->prio->soon);
}

/* job-manager.priority-update {time, users: [...]} from job-archive */
void jobmgr_priority_update_cb (eddy_handle_t *h,
                                eddy_msg_handler_t *mh,
                                const eddy_msg_t *msg,
                                void *arg)
{
    struct jobmgr *jm = arg;
    struct jmprio *p = jm->prio;
    json_t *users, *u, *assoc = NULL, *defaults = NULL;
    double t = 0;
    size_t i;

    if (!p) {
        eddy_respond_error (
            h, msg, ENOSYS,
            "the priority plugin in force is urgency: it takes no update");
        return;
    }
    if (!eddy_msg_payload (msg) ||
        json_unpack (eddy_msg_payload (msg), "{s:o s?F}", "users", &users, "time", &t) <
            0 ||
        !json_is_array (users)) {
        eddy_respond_error (h, msg, EPROTO,
                            "job-manager.priority-update: expected {time, users}");
        return;
    }
    if (!(assoc = json_object ()) || !(defaults = json_object ()))
        goto nomem;
    json_array_foreach (users, i, u)
    {
        json_int_t uid;
        const char *bank;
        int def = 0;
        char key[160];
        if (json_unpack (u, "{s:I s:s s?b}", "userid", &uid, "bank", &bank, "default",
                         &def) < 0 ||
            uid < 0 || uid > UINT32_MAX) {
            eddy_respond_error (h, msg, EPROTO,
                                "job-manager.priority-update: malformed user");
            goto done;
        }
        snprintf (key, sizeof (key), "%" PRIu32 ":%s", (uint32_t)uid, bank);
        json_t *a = json_deep_copy (u);
        if (!a || json_object_set_new (a, "_running", json_integer (0)) < 0 ||
            json_object_set_new (assoc, key, a) < 0)
            goto nomem;
        snprintf (key, sizeof (key), "%" PRIu32, (uint32_t)uid);
        if ((def || !json_object_get (defaults, key)) &&
            json_object_set_new (defaults, key, json_string (bank)) < 0)
            goto nomem;
    }
    json_decref (p->assoc);
    json_decref (p->defaults);
    p->assoc = assoc;
    p->defaults = defaults;
    assoc = defaults = NULL;
    p->have_update = true;
    p->update_time = t;
    p->updates++;
    p->now = eddy_reactor_wallclock (eddy_handle_reactor (jm->h));
    recompute (jm);
    eddy_respond (h, msg, NULL);
    goto done;
nomem:
    eddy_respond_error (h, msg, ENOMEM, NULL);
done:
    json_decref (assoc);
    json_decref (defaults);
}

/* job-manager.priority-info {id}: the job's priority and its factors */
void jobmgr_priority_info_cb (eddy_handle_t *h,
                              eddy_msg_handler_t *mh,
                              const eddy_msg_t *msg,
                              void *arg)
{
    struct jobmgr *jm = arg;
    json_int_t id;
    struct job *job;
    double f[NFACTORS];
    const char *reason;
    char key[160];

    if (!eddy_msg_payload (msg) ||
        json_unpack (eddy_msg_payload (msg), "{s:I}", "id", &id) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-manager.priority-info: expected {id}");
        return;
    }
    if (!(job = eddy_u64map_get (jm->active, (uint64_t)id))) {
        snprintf (key, sizeof (key), "job %ju is not active", (uintmax_t)id);
        eddy_respond_error (h, msg, ENOENT, key);
        return;
    }
    if (!(eddy_msg_rolemask (msg) & EDDY_ROLE_OWNER) &&
        eddy_msg_userid (msg) != job->userid) {
        eddy_respond_error (h, msg, EPERM,
                            "only the job's owner or the instance owner may do that");
        return;
    }
    /* the factors as they are now (the limit is not counted again) */
    json_t *a = NULL;
    json_int_t saved = 0;
    if (jm->prio &&
        (a = assoc_of (jm->prio, job->userid,
                       job_bank (jm->prio, job->userid, bank_attr (job)), key,
                       sizeof (key)))) {
        saved = count_get (a);
        count_set (a, 0);
    }
    compute (jm, job, f, &reason);
    if (a)
        count_set (a, saved);
    json_t *factors = json_object (), *weights = json_object ();
    for (int i = 0; i < NFACTORS; i++) {
        json_object_set_new (factors, factor_names[i], json_real (f[i]));
        json_object_set_new (
            weights, factor_names[i],
            json_real (jm->prio ? jm->prio->weight[i] : i == F_URGENCY));
    }
    const char *bank =
        jm->prio ? job_bank (jm->prio, job->userid, bank_attr (job)) : NULL;
    json_t *o = json_pack ("{s:I s:I s:s s:i s:o s:o s:s}", "id", id, "priority",
                           (json_int_t)job->priority, "plugin",
                           jm->prio ? jm->prio->plugin->name : "urgency", "urgency",
                           job->urgency, "factors", factors, "weights", weights,
                           "state", job_state_name (job->state));
    if (o && bank)
        json_object_set_new (o, "bank", json_string (bank));
    if (o && job->priority == 0 && job->prio_reason)
        json_object_set_new (o, "reason", json_string (job->prio_reason));
    if (!o)
        eddy_respond_error (h, msg, ENOMEM, NULL);
    else
        eddy_respond (h, msg, o);
    json_decref (o);
}

/* At submit (job-manager.validate): with multifactor and accounting data,
 * a user needs an association (in bank, or a default one) and room under
 * max_active_jobs.  nbatch counts this batch's earlier jobs of the same
 * association (an object the caller keeps across one batch).
 */
int jobmgr_priority_validate (struct jobmgr *jm,
                              int userid,
                              const char *bank,
                              json_t *batch,
                              char *text,
                              size_t len)
{
    struct jmprio *p = jm->prio;
    char key[160];

    if (!p || !p->have_update || userid < 0)
        return 0;
    const char *b = job_bank (p, (uint32_t)userid, bank);
    json_t *a = assoc_of (p, (uint32_t)userid, b, key, sizeof (key));
    if (!a) {
        if (bank)
            snprintf (text, len,
                      "user %d has no association with bank '%s' in the accounting "
                      "database",
                      userid, bank);
        else
            snprintf (text, len,
                      "user %d has no association in the accounting database", userid);
        return -1;
    }
    json_int_t max = json_integer_value (json_object_get (a, "max_active_jobs"));
    if (max <= 0)
        return 0;
    json_int_t n = json_integer_value (json_object_get (batch, key));
    if (n == 0) {
        /* this batch's first job of the association: count the active ones */
        for (struct job *job = jm->head; job; job = job->next) {
            char k2[160];
            if (job->state != JOB_INACTIVE && job->userid == (uint32_t)userid &&
                assoc_of (p, job->userid,
                          job_bank (p, job->userid, bank_attr (job)), k2,
                          sizeof (k2)) == a)
                n++;
        }
    }
    if (n >= max) {
        snprintf (text, len,
                  "user %d in bank '%s' has %jd active jobs: max-active-jobs is %jd",
                  userid, b, (intmax_t)n, (intmax_t)max);
        return -1;
    }
    json_object_set_new (batch, key, json_integer (n + 1));
    return 0;
}

static int
conf_number (const json_t *t, const char *name, double *v, char *text, size_t len)
{
    json_t *o = json_object_get (t, name);
    if (!o)
        return 0;
    if (!json_is_number (o) || json_number_value (o) < 0) {
        snprintf (text, len, "[job-manager.priority] %s must be a number >= 0", name);
        return -1;
    }
    *v = json_number_value (o);
    return 0;
}

static int
conf_duration (const json_t *t, const char *name, double *v, char *text, size_t len)
{
    json_t *o = json_object_get (t, name);
    eddy_error_t err;
    if (!o)
        return 0;
    if (json_is_number (o) && json_number_value (o) >= 0)
        *v = json_number_value (o);
    else if (!json_is_string (o) ||
             eddy_fsd_parse (json_string_value (o), v, &err) < 0) {
        snprintf (text, len, "[job-manager.priority] %s must be a duration", name);
        return -1;
    }
    return 0;
}

/* [job-manager.priority] at load (a reload keeps the plugin: restart). */
int jobmgr_priority_configure (struct jobmgr *jm,
                               const json_t *conf,
                               char *text,
                               size_t len)
{
    const json_t *t = json_object_get (conf, "priority");
    const char *name = json_string_value (json_object_get (t, "plugin"));
    struct jmprio *p;

    if (!t || !name || !strcmp (name, "urgency"))
        return 0;
    if (strcmp (name, "multifactor") != 0) {
        snprintf (text, len,
                  "[job-manager.priority] plugin: '%s' is not urgency or multifactor",
                  name);
        return -1;
    }
    if (!(p = calloc (1, sizeof (*p)))) {
        snprintf (text, len, "out of memory");
        return -1;
    }
    p->plugin = &plugins[1];
    memcpy (p->weight, default_weights, sizeof (p->weight));
    p->max_age = 7 * 86400;
    p->size_max = 1024;
    p->period = 60;
    json_t *w = json_object_get (t, "weights");
    for (int i = 0; i < NFACTORS; i++)
        if (conf_number (w, factor_names[i], &p->weight[i], text, len) < 0)
            goto error;
    if (conf_duration (t, "max-age", &p->max_age, text, len) < 0 ||
        conf_number (t, "size-max", &p->size_max, text, len) < 0 ||
        conf_duration (t, "period", &p->period, text, len) < 0)
        goto error;
    if (!(p->period > 0)) {
        snprintf (text, len, "[job-manager.priority] period must be > 0");
        goto error;
    }
    json_t *q = json_object_get (t, "queues");
    const char *k;
    json_t *v;
    json_object_foreach (q, k, v)
    {
        if (!json_is_number (v) || json_number_value (v) < 0) {
            snprintf (text, len,
                      "[job-manager.priority] queues.%s must be a number >= 0", k);
            goto error;
        }
    }
    p->queues = q ? json_incref (q) : json_object ();
    p->assoc = json_object ();
    p->defaults = json_object ();
    eddy_reactor_t *r = eddy_handle_reactor (jm->h);
    if (!(p->timer = eddy_timer_create (r, p->period, p->period, timer_cb, jm)) ||
        !(p->soon = eddy_check_create (r, soon_cb, jm))) {
        snprintf (text, len, "cannot create the priority timer");
        eddy_watcher_destroy (p->timer);
        goto error;
    }
    eddy_watcher_start (p->timer);
    jm->prio = p;
    return 0;
error:
    json_decref (p->queues);
    json_decref (p->assoc);
    json_decref (p->defaults);
    free (p);
    return -1;
}

void jobmgr_priority_destroy (struct jobmgr *jm)
{
    struct jmprio *p = jm->prio;
    if (p) {
        eddy_watcher_destroy (p->timer);
        eddy_watcher_destroy (p->soon);
        json_decref (p->queues);
        json_decref (p->assoc);
        json_decref (p->defaults);
        free (p);
        jm->prio = NULL;
    }
}
