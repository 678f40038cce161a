/* depend.c - job dependencies (RFC 26) for jobs in DEPEND: after (the
 * target started), afterany (it ended), afterok (it ended successfully),
 * afternotok (it ended unsuccessfully) and begin-time (a wall-clock time).
 *
 * Each dependency is a `dependency-add` entry (RFC 21, description
 * "SCHEME=VALUE") and, once it is met, a `dependency-remove` with the same
 * description; when none is left the job gets `depend`.  One that can no
 * longer be met is a fatal `dependency` exception.  After a restart the
 * entries of the eventlog are the dependencies: those added and not
 * removed are waited for again, nothing is added twice.
 *
 * A target that is active is watched: its start and its end queue an
 * event here, handled by a check watcher at the end of the iteration
 * (contract 6), so a chain of dependents is walked in a loop, never by
 * recursion inside the target's own job_action ().  An inactive target is
 * resolved by its result: remembered, or else read from its stored
 * eventlog; an unknown one is fatal.  begin-time uses a reactor timer, so
 * it runs in virtual time in the simulator.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/util/fluid.h"
#include "sched/job-manager/jobmgr.h"

enum scheme { DEP_AFTER, DEP_AFTERANY, DEP_AFTEROK, DEP_AFTERNOTOK, DEP_BEGIN };

static const char *const scheme_names[] = { "after", "afterany", "afterok", "afternotok",
                                            "begin-time" };

/* The eventlog's descriptions name them as Flux does: after-start=ID... */
static const char *const desc_names[] = { "after-start", "after-finish", "after-success",
                                          "after-failure", "begin-time" };

#define NSCHEMES (sizeof (scheme_names) / sizeof (scheme_names[0]))

static int scheme_index (const char *const names[], const char *s, size_t n)
{
    for (size_t i = 0; i < NSCHEMES; i++)
        if (strlen (names[i]) == n && !strncmp (names[i], s, n))
            return (int)i;
    return -1;
}

struct dep {
    char *desc; /* "SCHEME=VALUE", as in the eventlog */
    enum scheme scheme;
    uint64_t target;
    double begin;
    bool pending;
};

struct jdeps {
    struct jobmgr *jm;
    uint64_t id;
    struct dep *v;
    size_t n;
    eddy_watcher_t *timer; /* the earliest pending begin-time */
};

/* The dependents of one active target (their ids, in the order they came). */
struct twait {
    uint64_t target;
    uint64_t *ids;
    size_t n, cap;
    struct twait *prev, *next;
};

/* What happened to a target, for the check watcher. */
struct tevent {
    uint64_t target;
    bool inactive; /* else: it started */
    bool started, success;
};

/* A stored eventlog being read for a target that is neither active nor
 * remembered.
 */
struct tlookup {
    struct depend_ctx *d;
    uint64_t dependent, target;
    eddy_future_t *f;
    struct tlookup *prev, *next;
};

struct depend_ctx {
    struct jobmgr *jm;
    eddy_u64map_t *waits; /* target id -> struct twait */
    struct twait *whead;
    struct tevent *q;
    size_t qhead, qn, qcap;
    eddy_watcher_t *check;
    struct tlookup *lookups;
};

/* ---- the dependencies of one job ---- */

static void jdeps_free (struct jdeps *jd)
{
    if (jd) {
        for (size_t i = 0; i < jd->n; i++)
            free (jd->v[i].desc);
        free (jd->v);
        eddy_watcher_destroy (jd->timer);
        free (jd);
    }
}

void job_depend_free (struct job *job)
{
    jdeps_free (job->deps);
    job->deps = NULL;
}

/* Parse a description "NAME=VALUE" into d; -1 (err says why) if it is not
 * one we know.
 */
static int dep_parse (const char *desc, struct dep *d, eddy_error_t *err)
{
    const char *eq = strchr (desc, '=');
    int i = eq ? scheme_index (desc_names, desc, (size_t)(eq - desc)) : -1;
    char *end;

    memset (d, 0, sizeof (*d));
    if (i < 0)
        return eddy_error_set (err, "dependency '%s' is not supported", desc);
    d->scheme = (enum scheme)i;
    if (d->scheme == DEP_BEGIN) {
        d->begin = strtod (eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite (d->begin))
            return eddy_error_set (err, "begin-time '%s' is not a time", eq + 1);
    }
    else if (eddy_fluid_parse (eq + 1, &d->target, NULL) < 0)
        return eddy_error_set (err, "%s: '%s' is not a job id", scheme_names[i], eq + 1);
    if (!(d->desc = strdup (desc)))
        return eddy_error_set (err, "out of memory");
    d->pending = true;
    return 0;
}

static int jdeps_add (struct jdeps *jd, const char *desc, eddy_error_t *err)
{
    struct dep d, *v;
    if (dep_parse (desc, &d, err) < 0)
        return -1;
    if (!(v = realloc (jd->v, (jd->n + 1) * sizeof (*v)))) {
        free (d.desc);
        return eddy_error_set (err, "out of memory");
    }
    jd->v = v;
    jd->v[jd->n++] = d;
    return 0;
}

/* A dependency-remove read back: the first pending one it names is met. */
static void jdeps_remove (struct jdeps *jd, const char *desc)
{
    for (size_t i = 0; i < jd->n; i++)
        if (jd->v[i].pending && !strcmp (jd->v[i].desc, desc)) {
            jd->v[i].pending = false;
            return;
        }
}

static size_t jdeps_pending (const struct jdeps *jd)
{
    size_t n = 0;
    for (size_t i = 0; jd && i < jd->n; i++)
        n += jd->v[i].pending;
    return n;
}

/* The dependencies of the eventlog (after a restart), else those of the
 * jobspec, each posted as dependency-add now.  0 (jd->n may be 0), or -1
 * with err.
 */
static int jdeps_load (struct jobmgr *jm, struct job *job, struct jdeps *jd, eddy_error_t *err)
{
    json_t *e, *deps, *events;
    size_t i;
    bool logged = false;

    /* most jobs never had a dependency entry: decoding their log to find
     * none was a percent of a replay
     */
    if (!job_events_mention (job, "\"dependency-"))
        goto from_jobspec;
    if (!(events = job_events (job)))
        return eddy_error_set (err, "its eventlog cannot be read back");
    json_array_foreach (events, i, e) {
        const char *name = json_string_value (json_object_get (e, "name"));
        const char *desc = NULL;
        json_unpack (json_object_get (e, "context"), "{s:s}", "description", &desc);
        if (!name || !desc)
            continue;
        if (!strcmp (name, "dependency-add")) {
            logged = true;
            if (jdeps_add (jd, desc, err) < 0) {
                json_decref (events);
                return -1;
            }
        }
        else if (!strcmp (name, "dependency-remove"))
            jdeps_remove (jd, desc);
    }
    json_decref (events);
    if (logged)
        return 0;
from_jobspec:
    if (!job->jobspec_text || !strstr (job->jobspec_text, "\"dependencies\""))
        return 0;
    json_t *js = job_jobspec (job);
    int rc = 0;
    if (!js)
        return eddy_error_set (err, "its jobspec cannot be decoded (no memory)");
    deps = json_object_get (json_object_get (json_object_get (js, "attributes"), "system"),
                            "dependencies");
    json_array_foreach (deps, i, e) {
        const char *scheme = NULL, *value = NULL;
        char *desc;
        int k;
        if (json_unpack (e, "{s:s s:s}", "scheme", &scheme, "value", &value) < 0) {
            rc = eddy_error_set (err, "dependency %zu is malformed", i + 1);
            break;
        }
        if ((k = scheme_index (scheme_names, scheme, strlen (scheme))) < 0) {
            rc = eddy_error_set (err, "dependency scheme '%s' is not supported", scheme);
            break;
        }
        if (asprintf (&desc, "%s=%s", desc_names[k], value) < 0) {
            rc = eddy_error_set (err, "out of memory");
            break;
        }
        rc = jdeps_add (jd, desc, err);
        if (rc == 0)
            job_post (jm, job, "dependency-add", json_pack ("{s:s}", "description", desc));
        free (desc);
        if (rc < 0)
            break;
    }
    json_decref (js);
    return rc;
}

/* ---- resolution ---- */

static void fail (struct jobmgr *jm, struct job *job, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void fail (struct jobmgr *jm, struct job *job, const char *fmt, ...)
{
    char note[256];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (note, sizeof (note), fmt, ap);
    va_end (ap);
    if (!job->fatal)
        job_raise (jm, job, "dependency", 0, 0, note);
}

static void met (struct jobmgr *jm, struct job *job, struct dep *d)
{
    d->pending = false;
    job_post (jm, job, "dependency-remove", json_pack ("{s:s}", "description", d->desc));
}

/* The target's end decides d: met, or never (a fatal exception). */
static void resolve_ended (struct jobmgr *jm, struct job *job, struct dep *d, bool started,
                           bool success)
{
    char f58[EDDY_FLUID_STRMAX];
    bool ok = false;
    const char *why = "";

    switch (d->scheme) {
    case DEP_AFTER:
        ok = started;
        why = "ended without starting";
        break;
    case DEP_AFTERANY:
        ok = true;
        break;
    case DEP_AFTEROK:
        ok = success;
        why = "did not complete successfully";
        break;
    case DEP_AFTERNOTOK:
        ok = !success;
        why = "completed successfully";
        break;
    case DEP_BEGIN:
        return;
    }
    if (ok)
        met (jm, job, d);
    else {
        eddy_fluid_encode (f58, sizeof (f58), d->target, EDDY_FLUID_F58);
        d->pending = false;
        fail (jm, job, "%s: job %s %s", scheme_names[d->scheme], f58, why);
    }
}

/* After a resolution outside job_action (): go on if nothing is left to
 * wait for, or to CLEANUP after a failed one.
 */
static void act (struct jobmgr *jm, struct job *job)
{
    if (job->fatal || jdeps_pending (job->deps) == 0)
        job_action (jm, job);
}

/* ---- targets ---- */

static int watch (struct depend_ctx *d, uint64_t target, uint64_t dependent)
{
    struct twait *w = eddy_u64map_get (d->waits, target);
    if (!w) {
        if (!(w = calloc (1, sizeof (*w))) || eddy_u64map_put (d->waits, target, w) < 0) {
            free (w);
            return -1;
        }
        w->target = target;
        w->next = d->whead;
        if (d->whead)
            d->whead->prev = w;
        d->whead = w;
    }
    if (w->n > 0 && w->ids[w->n - 1] == dependent)
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4;
        uint64_t *p = realloc (w->ids, cap * sizeof (*p));
        if (!p)
            return -1;
        w->ids = p;
        w->cap = cap;
    }
    w->ids[w->n++] = dependent;
    return 0;
}

static void twait_free (struct depend_ctx *d, struct twait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        d->whead = w->next;
    if (w->next)
        w->next->prev = w->prev;
    free (w->ids);
    free (w);
}

static void lookup_free (struct depend_ctx *d, struct tlookup *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        d->lookups = l->next;
    if (l->next)
        l->next->prev = l->prev;
    eddy_future_destroy (l->f);
    free (l);
}

static void stored_cb (eddy_future_t *f, void *arg)
{
    struct tlookup *l = arg;
    struct depend_ctx *d = l->d;
    struct jobmgr *jm = d->jm;
    struct job *job = eddy_u64map_get (jm->active, l->dependent);
    struct job *target = eddy_u64map_get (jm->active, l->target);
    const char *text;
    struct jobreplay jr;
    json_t *events = NULL, *res = NULL;
    char f58[EDDY_FLUID_STRMAX];
    bool found = false, started = false, success = false;

    if (!job || !job->deps || job->fatal)
        goto done;
    if (target) {
        /* it came back meanwhile (a restart's revived job): watch it */
        if (watch (d, l->target, l->dependent) < 0)
            fail (jm, job, "out of memory");
        goto done;
    }
    if (gone_lookup (jm, l->target, &res)) {
        int ok = 0;
        json_unpack (res, "{s:b}", "success", &ok);
        found = true;
        success = ok;
        started = json_object_get (res, "status") != NULL;
    }
    else if (eddy_kvs_lookup_get (f, &text) == 0
             && (events = jobmgr_replay (text, &jr, NULL)) && jr.state == JOB_INACTIVE) {
        found = true;
        started = jr.started;
        success = !jr.fatal && jr.finished && jr.status == 0;
    }
    for (size_t i = 0; i < job->deps->n && !job->fatal; i++) {
        struct dep *dp = &job->deps->v[i];
        if (!dp->pending || dp->scheme == DEP_BEGIN || dp->target != l->target)
            continue;
        if (found)
            resolve_ended (jm, job, dp, started, success);
        else {
            eddy_fluid_encode (f58, sizeof (f58), l->target, EDDY_FLUID_F58);
            dp->pending = false;
            fail (jm, job, "%s: job %s not found", scheme_names[dp->scheme], f58);
        }
    }
    act (jm, job);
done:
    json_decref (res);
    json_decref (events);
    lookup_free (d, l);
}

/* A target that is not active: remembered (resolved now), or to be read
 * from the KVS (resolved later, in stored_cb).
 */
static void resolve_inactive (struct jobmgr *jm, struct job *job, struct dep *dp)
{
    struct depend_ctx *d = jm->depend;
    json_t *res;
    char key[128], f58[EDDY_FLUID_STRMAX];
    struct tlookup *l;

    if (gone_lookup (jm, dp->target, &res)) {
        int ok = 0;
        json_unpack (res, "{s:b}", "success", &ok);
        /* a remembered job started if it has an exit status */
        resolve_ended (jm, job, dp, json_object_get (res, "status") != NULL, ok);
        json_decref (res);
        return;
    }
    for (l = d->lookups; l; l = l->next)
        if (l->dependent == job->id && l->target == dp->target)
            return; /* already being read: its answer covers this one */
    if (dp->target == 0 || dp->target > jm->max_jobid
        || eddy_kvs_job_key (key, sizeof (key), dp->target, "eventlog") < 0) {
        eddy_fluid_encode (f58, sizeof (f58), dp->target, EDDY_FLUID_F58);
        dp->pending = false;
        fail (jm, job, "%s: job %s not found", scheme_names[dp->scheme], f58);
        return;
    }
    if (!(l = calloc (1, sizeof (*l))))
        goto nomem;
    l->d = d;
    l->dependent = job->id;
    l->target = dp->target;
    if (!(l->f = eddy_kvs_lookup (jm->h, NULL, 0, key))
        || eddy_future_then (l->f, -1, stored_cb, l) < 0) {
        eddy_future_destroy (l->f);
        free (l);
        goto nomem;
    }
    l->next = d->lookups;
    if (l->next)
        l->next->prev = l;
    d->lookups = l;
    return;
nomem:
    dp->pending = false;
    fail (jm, job, "cannot look up job %ju: %s", (uintmax_t)dp->target, strerror (errno));
}

/* ---- begin-time ---- */

static void arm_timer (struct jobmgr *jm, struct jdeps *jd);

static void begin_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct jdeps *jd = arg;
    struct jobmgr *jm = jd->jm;
    struct job *job = eddy_u64map_get (jm->active, jd->id);
    double now = eddy_reactor_wallclock (r);

    eddy_watcher_stop (w);
    if (!job || job->deps != jd || job->fatal)
        return;
    for (size_t i = 0; i < jd->n; i++)
        if (jd->v[i].pending && jd->v[i].scheme == DEP_BEGIN && jd->v[i].begin <= now)
            met (jm, job, &jd->v[i]);
    arm_timer (jm, jd);
    act (jm, job);
}

/* The timer for the earliest begin-time still pending (none: stopped). */
static void arm_timer (struct jobmgr *jm, struct jdeps *jd)
{
    eddy_reactor_t *r = eddy_handle_reactor (jm->h);
    double first = INFINITY;

    for (size_t i = 0; i < jd->n; i++)
        if (jd->v[i].pending && jd->v[i].scheme == DEP_BEGIN && jd->v[i].begin < first)
            first = jd->v[i].begin;
    if (!isfinite (first)) {
        eddy_watcher_stop (jd->timer);
        return;
    }
    double after = first - eddy_reactor_wallclock (r);
    if (after < 0)
        after = 0;
    if (!jd->timer && !(jd->timer = eddy_timer_create (r, after, 0, begin_cb, jd))) {
        eddy_log (jm->h, LOG_ERR, "job %ju: no begin-time timer: %s", (uintmax_t)jd->id,
                  strerror (errno));
        return;
    }
    eddy_watcher_stop (jd->timer);
    eddy_timer_set (jd->timer, after, 0);
    eddy_watcher_start (jd->timer);
}

/* ---- the hooks (jobmgr.h) ---- */

int jobmgr_depend_validate (struct jobmgr *jm, json_t *deps, int userid, bool owner, char *text,
                            size_t len)
{
    char f58[EDDY_FLUID_STRMAX];
    json_t *e;
    size_t i;

    json_array_foreach (deps, i, e) {
        const char *scheme = json_string_value (json_object_get (e, "scheme"));
        const char *value = json_string_value (json_object_get (e, "value"));
        eddy_fluid_t id;
        struct job *target;
        int k = scheme ? scheme_index (scheme_names, scheme, strlen (scheme)) : -1;

        if (scheme && k < 0) { /* a valid jobspec, but not a scheme of ours */
            snprintf (text, len, "dependency scheme '%s' is not supported", scheme);
            return -1;
        }
        if (k < 0 || k == DEP_BEGIN || !value)
            continue; /* job-ingest checked the rest */
        if (eddy_fluid_parse (value, &id, NULL) < 0) {
            snprintf (text, len, "dependency: %s: '%s' is not a job id", scheme, value);
            return -1;
        }
        eddy_fluid_encode (f58, sizeof (f58), id, EDDY_FLUID_F58);
        if ((target = eddy_u64map_get (jm->active, id))) {
            if (!owner && userid >= 0 && target->userid != (uint32_t)userid) {
                snprintf (text, len, "dependency: %s: job %s belongs to another user "
                          "(Permission denied)", scheme, f58);
                return -1;
            }
            continue;
        }
        /* inactive ones are known up to max_jobid: a stored eventlog is
         * read when the job reaches DEPEND */
        json_t *res;
        if (gone_lookup (jm, id, &res)) {
            json_decref (res);
            continue;
        }
        if (id == 0 || id > jm->max_jobid) {
            snprintf (text, len, "dependency: %s: job %s not found", scheme, f58);
            return -1;
        }
    }
    return 0;
}

bool jobmgr_depend_ready (struct jobmgr *jm, struct job *job)
{
    struct depend_ctx *d = jm->depend;
    eddy_error_t err;
    double now = eddy_reactor_wallclock (eddy_handle_reactor (jm->h));

    if (job->fatal)
        return true;
    if (!job->deps) {
        struct jdeps *jd = calloc (1, sizeof (*jd));
        if (!jd) {
            fail (jm, job, "out of memory");
            return true;
        }
        jd->jm = jm;
        jd->id = job->id;
        job->deps = jd;
        if (jdeps_load (jm, job, jd, &err) < 0) {
            fail (jm, job, "%s", err.text);
            return true;
        }
        if (jd->n == 0) { /* most jobs: nothing to keep */
            job_depend_free (job);
            return true;
        }
        for (size_t i = 0; i < jd->n && !job->fatal; i++) {
            struct dep *dp = &jd->v[i];
            struct job *target;
            if (!dp->pending)
                continue;
            if (dp->scheme == DEP_BEGIN) {
                if (dp->begin <= now)
                    met (jm, job, dp);
                continue;
            }
            if (dp->target == job->id) {
                dp->pending = false;
                fail (jm, job, "%s: a job cannot depend on itself", scheme_names[dp->scheme]);
            }
            else if ((target = eddy_u64map_get (jm->active, dp->target))) {
                if (dp->scheme == DEP_AFTER && target->started)
                    met (jm, job, dp);
                else if (watch (d, dp->target, job->id) < 0) {
                    dp->pending = false;
                    fail (jm, job, "out of memory");
                }
            }
            else
                resolve_inactive (jm, job, dp);
        }
        if (!job->fatal)
            arm_timer (jm, jd);
    }
    return job->fatal || jdeps_pending (job->deps) == 0;
}

static void push (struct jobmgr *jm, struct job *job, bool inactive)
{
    struct depend_ctx *d = jm->depend;
    if (!d || !eddy_u64map_get (d->waits, job->id))
        return; /* nobody waits on it */
    if (d->qn == d->qcap) {
        size_t cap = d->qcap ? d->qcap * 2 : 16;
        struct tevent *p = malloc (cap * sizeof (*p));
        if (!p) {
            eddy_log (jm->h, LOG_ERR, "job %ju: out of memory: its dependents are not told",
                      (uintmax_t)job->id);
            return;
        }
        for (size_t i = 0; i < d->qn; i++)
            p[i] = d->q[(d->qhead + i) % d->qcap];
        free (d->q);
        d->q = p;
        d->qcap = cap;
        d->qhead = 0;
    }
    d->q[(d->qhead + d->qn++) % d->qcap] = (struct tevent){
        .target = job->id,
        .inactive = inactive,
        .started = job->started,
        .success = !job->fatal && job->finished && job->status == 0,
    };
    eddy_watcher_start (d->check);
}

void jobmgr_depend_started (struct jobmgr *jm, struct job *job)
{
    push (jm, job, false);
}

void jobmgr_depend_inactive (struct jobmgr *jm, struct job *job)
{
    push (jm, job, true);
}

/* The targets' news of this iteration, to their dependents; the ends of
 * those (a failed afterok) queue more, handled in the same loop.
 */
static void check_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct depend_ctx *d = arg;
    struct jobmgr *jm = d->jm;

    eddy_watcher_stop (w);
    while (d->qn > 0) {
        struct tevent ev = d->q[d->qhead];
        d->qhead = (d->qhead + 1) % d->qcap;
        d->qn--;
        struct twait *tw = eddy_u64map_get (d->waits, ev.target);
        if (!tw)
            continue;
        if (ev.inactive)
            eddy_u64map_remove (d->waits, ev.target); /* nobody watches it now */
        for (size_t k = 0; k < tw->n; k++) {
            struct job *job = eddy_u64map_get (jm->active, tw->ids[k]);
            if (!job || !job->deps || job->state != JOB_DEPEND)
                continue;
            for (size_t i = 0; i < job->deps->n && !job->fatal; i++) {
                struct dep *dp = &job->deps->v[i];
                if (!dp->pending || dp->scheme == DEP_BEGIN || dp->target != ev.target)
                    continue;
                if (ev.inactive)
                    resolve_ended (jm, job, dp, ev.started, ev.success);
                else if (dp->scheme == DEP_AFTER)
                    met (jm, job, dp);
            }
            act (jm, job);
        }
        if (ev.inactive)
            twait_free (d, tw);
    }
}

int jobmgr_depend_init (struct jobmgr *jm)
{
    struct depend_ctx *d = calloc (1, sizeof (*d));
    if (!d)
        return -1;
    d->jm = jm;
    if (!(d->waits = eddy_u64map_create ())
        || !(d->check = eddy_check_create (eddy_handle_reactor (jm->h), check_cb, d))) {
        eddy_u64map_destroy (d->waits);
        free (d);
        return -1;
    }
    jm->depend = d;
    return 0;
}

void jobmgr_depend_destroy (struct jobmgr *jm)
{
    struct depend_ctx *d = jm->depend;
    if (!d)
        return;
    while (d->lookups)
        lookup_free (d, d->lookups);
    while (d->whead)
        twait_free (d, d->whead);
    eddy_u64map_destroy (d->waits);
    eddy_watcher_destroy (d->check);
    free (d->q);
    free (d);
    jm->depend = NULL;
}
