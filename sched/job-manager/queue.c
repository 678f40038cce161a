/* queue.c - the job manager's queues as data: what [queues.NAME] and
 * [policy] say, the enabled/started states, and the admission check of a
 * submission (queue.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/fsd.h"
#include "engine/util/hostlist.h"
#include "engine/util/idset.h"
#include "sched/job-manager/queue.h"

static void jmq_clear (struct jmq *q)
{
    free (q->name);
    free (q->disable_reason);
    free (q->stop_reason);
    free (q->resources);
    json_decref (q->requires);
    memset (q, 0, sizeof (*q));
}

void jmq_set_clear (struct jmq_set *set)
{
    if (!set)
        return;
    int saved_errno = errno;
    for (int i = 0; i < set->n; i++)
        jmq_clear (&set->q[i]);
    free (set->q);
    set->q = NULL;
    set->n = 0;
    set->def = -1;
    errno = saved_errno;
}

static int fail (eddy_error_t *err, const char *fmt, const char *a, const char *b)
{
    eddy_error_set (err, fmt, a, b);
    errno = EINVAL;
    return -1;
}

static int duration_of (const json_t *v, double *d)
{
    if (json_is_number (v))
        *d = json_number_value (v);
    else if (!json_is_string (v) || eddy_fsd_parse (json_string_value (v), d, NULL) < 0)
        return -1;
    return *d >= 0 && isfinite (*d) ? 0 : -1;
}

/* A size limit: an integer >= 1, or -1 for none (as Flux writes it). */
static int size_of (const json_t *v, int *n)
{
    if (json_is_integer (v) && json_integer_value (v) == -1) {
        *n = 0;
        return 0;
    }
    if (!json_is_integer (v) || json_integer_value (v) < 1 || json_integer_value (v) > 1000000000)
        return -1;
    *n = (int)json_integer_value (v);
    return 0;
}

/* [queues.NAME.policy.limits] duration, job-size.max.{nnodes,ncores} */
static int parse_limits (struct jmq *q, const json_t *limits, eddy_error_t *err)
{
    const char *key;
    json_t *v;

    if (!limits)
        return 0;
    if (!json_is_object (limits))
        return fail (err, "queues.%s.policy.limits: expected a table%s", q->name, "");
    json_object_foreach ((json_t *)limits, key, v) {
        if (!strcmp (key, "duration")) {
            if (duration_of (v, &q->max_duration) < 0)
                return fail (err, "queues.%s.policy.limits.duration: expected a duration "
                             "(\"30m\", seconds)%s", q->name, "");
        }
        else if (!strcmp (key, "job-size")) {
            json_t *max = json_object_get (v, "max");
            const char *k2;
            json_t *v2;
            if (!json_is_object (v) || !json_is_object (max) || json_object_size (v) != 1)
                return fail (err, "queues.%s.policy.limits.job-size: expected a table "
                             "max = {nnodes, ncores}%s", q->name, "");
            json_object_foreach (max, k2, v2) {
                int *p = !strcmp (k2, "nnodes") ? &q->max_nnodes
                         : !strcmp (k2, "ncores") ? &q->max_ncores
                         : !strcmp (k2, "ngpus") ? &q->max_ngpus : NULL;
                if (!p)
                    return fail (err, "queues.%s.policy.limits.job-size.max.%s: unknown key "
                                 "(nnodes, ncores, ngpus)", q->name, k2);
                if (size_of (v2, p) < 0)
                    return fail (err, "queues.%s.policy.limits.job-size.max.%s: expected an "
                                 "integer >= 1, or -1 for none", q->name, k2);
            }
        }
        /* another key is warned of by the config schema, and ignored */
    }
    return 0;
}

static int parse_queue (struct jmq *q, const char *name, const json_t *t, eddy_error_t *err)
{
    const char *key;
    json_t *v;

    q->enabled = q->started = true;
    if (!(q->name = strdup (name)))
        return -1;
    if (!name[0] || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
                        != strlen (name))
        return fail (err, "queues.%s: a queue's name is letters, digits, '_', '-' and '.'%s",
                     name, "");
    if (!json_is_object (t))
        return fail (err, "queues.%s: expected a table%s", name, "");
    json_object_foreach ((json_t *)t, key, v) {
        if (!strcmp (key, "default")) {
            if (!json_is_boolean (v))
                return fail (err, "queues.%s.default: expected a boolean%s", name, "");
            q->is_default = json_is_true (v);
        }
        else if (!strcmp (key, "resources")) {
            const char *s = json_string_value (v);
            eddy_idset_t *ids;
            eddy_hostlist_t *hl;
            if (!s)
                return fail (err, "queues.%s.resources: expected a string (ranks or hosts)%s",
                             name, "");
            if ((ids = eddy_idset_decode (s, NULL)))
                eddy_idset_destroy (ids);
            else if ((hl = eddy_hostlist_decode (s, NULL)))
                eddy_hostlist_destroy (hl);
            else
                return fail (err, "queues.%s.resources: '%s' is neither an idset nor a hostlist",
                             name, s);
            if (!(q->resources = strdup (s)))
                return -1;
        }
        else if (!strcmp (key, "requires")) {
            size_t i;
            json_t *p;
            if (!json_is_array (v))
                return fail (err, "queues.%s.requires: expected an array of properties%s", name,
                             "");
            json_array_foreach (v, i, p) {
                if (!json_is_string (p) || !json_string_value (p)[0])
                    return fail (err, "queues.%s.requires: expected an array of properties%s",
                                 name, "");
            }
            q->requires = json_incref (v);
        }
        else if (!strcmp (key, "policy")) {
            if (!json_is_object (v))
                return fail (err, "queues.%s.policy: expected a table%s", name, "");
            if (parse_limits (q, json_object_get (v, "limits"), err) < 0)
                return -1;
        }
        /* another key: the config schema warns that it is ignored */
    }
    return 0;
}

static int name_cmp (const void *a, const void *b)
{
    return strcmp (((const struct jmq *)a)->name, ((const struct jmq *)b)->name);
}

int jmq_set_parse (struct jmq_set *set, const json_t *queues, const json_t *policy,
                   eddy_error_t *err)
{
    const char *def = NULL;
    const char *name;
    json_t *t;

    memset (set, 0, sizeof (*set));
    set->def = -1;
    if (queues && !json_is_object (queues))
        return fail (err, "queues: expected a table of queues%s%s", "", "");
    if (policy) {
        json_t *q = json_object_get (
            json_object_get (json_object_get (json_object_get ((json_t *)policy, "jobspec"),
                                              "defaults"),
                             "system"),
            "queue");
        if (q && !(def = json_string_value (q)))
            return fail (err, "policy.jobspec.defaults.system.queue: expected a queue's name%s%s",
                         "", "");
    }
    size_t n = queues ? json_object_size (queues) : 0;
    if (!(set->q = calloc (n ? n : 1, sizeof (*set->q))))
        return -1;
    if (n == 0) {
        if (def) {
            fail (err, "policy.jobspec.defaults.system.queue: '%s' is not a queue (there is no "
                  "[queues] table)%s", def, "");
            goto error;
        }
        set->n = 1;
        set->def = 0;
        set->q[0].enabled = set->q[0].started = true;
        set->q[0].is_default = true;
        if (!(set->q[0].name = strdup ("")))
            goto error;
        return 0;
    }
    json_object_foreach ((json_t *)queues, name, t) {
        if (parse_queue (&set->q[set->n++], name, t, err) < 0)
            goto error;
    }
    qsort (set->q, set->n, sizeof (set->q[0]), name_cmp);
    for (int i = 0; i < set->n; i++) {
        if (def && !strcmp (def, set->q[i].name))
            set->q[i].is_default = true;
        if (set->q[i].is_default) {
            if (set->def >= 0) {
                fail (err, "queues: both %s and %s are the default queue", set->q[set->def].name,
                      set->q[i].name);
                goto error;
            }
            set->def = i;
        }
    }
    if (def && set->def < 0) {
        fail (err, "policy.jobspec.defaults.system.queue: '%s' is not a queue%s", def, "");
        goto error;
    }
    return 0;
error:
    jmq_set_clear (set);
    errno = EINVAL;
    return -1;
}

static struct jmq *find (struct jmq_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp (set->q[i].name, name))
            return &set->q[i];
    return NULL;
}

static int replace (char **p, const char *s)
{
    char *c = s ? strdup (s) : NULL;
    if (s && !c)
        return -1;
    free (*p);
    *p = c;
    return 0;
}

void jmq_set_keep_states (struct jmq_set *set, const struct jmq_set *old)
{
    for (int i = 0; i < old->n; i++) {
        struct jmq *q = find (set, old->q[i].name);
        if (q) {
            q->enabled = old->q[i].enabled;
            q->started = old->q[i].started;
            (void)replace (&q->disable_reason, old->q[i].disable_reason);
            (void)replace (&q->stop_reason, old->q[i].stop_reason);
        }
    }
}

struct jmq *jmq_lookup (struct jmq_set *set, const char *name, char *text, size_t len)
{
    struct jmq *q;

    if (!name) {
        if (set->def < 0) {
            snprintf (text, len, "no queue given and there is no default queue (give one with "
                      "-q: eddy queue list)");
            return NULL;
        }
        return &set->q[set->def];
    }
    if (!(q = find (set, name)) || !name[0]) {
        if (set->n == 1 && !set->q[0].name[0])
            snprintf (text, len, "queue '%s' does not exist (this instance has no named queues)",
                      name);
        else
            snprintf (text, len, "queue '%s' does not exist (eddy queue list)", name);
        return NULL;
    }
    return q;
}

int jmq_admit (const struct jmq *q, int nnodes, int ncores, int ngpus, double duration,
               char *text, size_t len)
{
    const char *n = jmq_display_name (q);

    if (!q->enabled) {
        snprintf (text, len, "queue %s is disabled%s%s", n, q->disable_reason ? ": " : "",
                  q->disable_reason ? q->disable_reason : "");
        return -1;
    }
    if (q->max_nnodes > 0 && nnodes > q->max_nnodes) {
        snprintf (text, len, "queue %s: %d nodes exceed its limit of %d", n, nnodes,
                  q->max_nnodes);
        return -1;
    }
    if (q->max_ncores > 0 && ncores > q->max_ncores) {
        snprintf (text, len, "queue %s: %d cores exceed its limit of %d", n, ncores,
                  q->max_ncores);
        return -1;
    }
    if (q->max_ngpus > 0 && ngpus > q->max_ngpus) {
        snprintf (text, len, "queue %s: %d GPUs exceed its limit of %d", n, ngpus, q->max_ngpus);
        return -1;
    }
    if (q->max_duration > 0 && !(duration > 0)) {
        snprintf (text, len, "queue %s: a job needs a time limit (at most %gs)", n,
                  q->max_duration);
        return -1;
    }
    if (q->max_duration > 0 && duration > q->max_duration) {
        snprintf (text, len, "queue %s: a time limit of %gs exceeds its limit of %gs", n, duration,
                  q->max_duration);
        return -1;
    }
    return 0;
}

json_t *jmq_states_json (const struct jmq_set *set)
{
    json_t *o = json_object ();

    for (int i = 0; o && i < set->n; i++) {
        const struct jmq *q = &set->q[i];
        json_t *s = json_pack ("{s:b s:b}", "enabled", q->enabled, "started", q->started);
        if (!s || (q->disable_reason && json_object_set_new (s, "disable_reason",
                                                             json_string (q->disable_reason)) < 0)
            || (q->stop_reason && json_object_set_new (s, "stop_reason",
                                                       json_string (q->stop_reason)) < 0)
            || json_object_set_new (o, q->name, s) < 0) {
            json_decref (s);
            json_decref (o);
            return NULL;
        }
    }
    return o;
}

int jmq_states_apply (struct jmq_set *set, const json_t *states)
{
    const char *name;
    json_t *s;

    if (!json_is_object (states)) {
        errno = EINVAL;
        return -1;
    }
    json_object_foreach ((json_t *)states, name, s) {
        int enabled, started;
        const char *dr = NULL, *sr = NULL;
        if (json_unpack (s, "{s:b s:b s?s s?s}", "enabled", &enabled, "started", &started,
                         "disable_reason", &dr, "stop_reason", &sr) < 0) {
            errno = EINVAL;
            return -1;
        }
        struct jmq *q = find (set, name);
        if (!q)
            continue; /* a queue the configuration no longer has */
        q->enabled = enabled;
        q->started = started;
        if (replace (&q->disable_reason, enabled ? NULL : dr) < 0
            || replace (&q->stop_reason, started ? NULL : sr) < 0)
            return -1;
    }
    return 0;
}

int jmq_set_state (struct jmq *q, const char *what, const char *reason)
{
    if (reason && !reason[0])
        reason = NULL;
    if (!strcmp (what, "enable")) {
        q->enabled = true;
        return replace (&q->disable_reason, NULL);
    }
    if (!strcmp (what, "disable")) {
        q->enabled = false;
        return replace (&q->disable_reason, reason);
    }
    if (!strcmp (what, "start")) {
        q->started = true;
        return replace (&q->stop_reason, NULL);
    }
    if (!strcmp (what, "stop")) {
        q->started = false;
        return replace (&q->stop_reason, reason);
    }
    errno = EINVAL;
    return -1;
}

const char *jmq_display_name (const struct jmq *q)
{
    return q->name[0] ? q->name : "default";
}
