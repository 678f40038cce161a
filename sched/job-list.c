/* job-list.c - the job-list module: an index of jobs built from the job
 * manager's journal, behind `eddy jobs`.  Active jobs are all kept;
 * inactive ones up to a bound ([job-list] inactive-max, or the module
 * args {"inactive_max": N}; default 1000, the newest), so the broker's memory does not grow with history: the older
 * ones leave memory and stay in the KVS job directory.
 *
 * Inactive jobs that are not in memory (those dropped past the bound, and
 * after a restart those of earlier instances: the journal brings back the
 * active jobs only) are read back from the KVS job directory
 * (sched/jobscan.h) on demand: not at load, which would make a restart
 * cost time in proportion to history, but when a query needs them
 * (inactive jobs, a job by id, the counts).  The records read make a
 * snapshot that the queries waiting for the read share and that is freed
 * once they are answered; the next such query reads again.  Those queries
 * and the ones after them wait for the read; queries of active jobs only
 * never do.
 *
 * A listing is filtered here (states and results, user, queue, since), so
 * a client gets only what it shows.  Pending jobs carry why they wait
 * (held, dependency, queue stopped, resources, priority); the queues'
 * states come from the job manager, asked once per listing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine/broker/broker.h"
#include "engine/future.h"
#include "engine/util/eventlog.h"
#include "engine/util/fluid.h"
#include "engine/util/u64map.h"
#include "sched/jobfilter.h"
#include "sched/jobscan.h"
#include "sched/jobspec.h"
#include "sched/modules.h"
#include "sched/rlist.h"

enum { ST_DEPEND, ST_PRIORITY, ST_SCHED, ST_RUN, ST_CLEANUP, ST_INACTIVE };
static const char *const state_names[] = { "DEPEND", "PRIORITY", "SCHED", "RUN", "CLEANUP", "INACTIVE" };

/* One per job kept, active or inactive: the text fields are malloc'd and
 * NULL when empty (most jobs have no queue, dependency or exception), so
 * that a record of the history costs about 200 bytes, not 600.
 */
struct jrec {
    uint64_t id;
    uint32_t userid;
    int urgency;
    int64_t priority;
    int state;
    int ntasks, nnodes;
    int waitstatus;
    bool finished;
    bool fatal;
    double duration;
    double t_submit, t_run, t_cleanup, t_inactive;
    char *name;
    char *exc_type;     /* the first fatal exception's (at most 31 bytes) */
    char *exc_note;     /* ...and its note (at most 127) */
    char *queue;        /* attributes.system.queue; NULL = the default queue */
    char *depend;       /* what its dependencies wait for, NULL if none */
    char *hold;         /* why the priority plugin holds it (priority 0), or NULL */
    char *nodelist;     /* of its allocation; NULL until known */
    struct jrec *prev, *next; /* in the active or the inactive list */
};

/* Set a text field to at most max bytes of s (NULL for ""); on ENOMEM it
 * is left empty, as a field the journal did not give. */
static void set_text (char **field, const char *s, size_t max)
{
    free (*field);
    *field = s && *s ? strndup (s, max) : NULL;
}

static const char *text_of (const char *s)
{
    return s ? s : "";
}

/* Inactive jobs read back from the KVS for the queries that waited for
 * them, newest first; freed with its last user.
 */
struct snapshot {
    struct jrec **recs;
    size_t n;
    int refs;
};

/* A listing waiting for the job manager's queue states. */
struct lquery {
    struct joblist *jl;
    const eddy_msg_t *msg; /* a reference */
    eddy_future_t *f;
    struct snapshot *snap; /* a reference, or NULL */
    struct lquery *prev, *next;
};

struct joblist {
    eddy_handle_t *h;
    eddy_msg_handler_t **handlers;
    eddy_u64map_t *jobs;
    struct jrec *active_head, *active_tail;
    struct jrec *inactive_head, *inactive_tail; /* newest first */
    uint32_t nactive, ninactive, inactive_max;
    eddy_future_t *journal;
    eddy_watcher_t *retry_w;

    /* Queries wait for the journal's first answer (the active jobs) and,
     * those that need history, for the KVS scan of earlier instances'
     * inactive jobs (found so far: restored), started by the first such
     * query. */
    enum { HISTORY_UNREAD, HISTORY_READING, HISTORY_READ } history;
    eddy_jobscan_t *scan;
    bool journal_answered;
    bool held_history; /* a held request waits for the history */
    struct jrec **restored;
    size_t nrestored, restored_cap;
    uint64_t dropped;       /* inactive jobs that left memory, ever */
    uint64_t dropped_at_scan; /* ...when the read in progress began */
    struct snapshot *snap;  /* while the queries that waited are delivered */
    struct eddy_held deferred;
    struct lquery *queries;
};

static void rec_free (struct jrec *r)
{
    if (r) {
        free (r->name);
        free (r->exc_type);
        free (r->exc_note);
        free (r->queue);
        free (r->depend);
        free (r->hold);
        free (r->nodelist);
        free (r);
    }
}

static void snapshot_unref (struct snapshot *sn)
{
    if (sn && --sn->refs == 0) {
        for (size_t i = 0; i < sn->n; i++)
            rec_free (sn->recs[i]);
        free (sn->recs);
        free (sn);
    }
}

static struct snapshot *snapshot_ref (struct snapshot *sn)
{
    if (sn)
        sn->refs++;
    return sn;
}

static void unlink_rec (struct jrec **head, struct jrec **tail, struct jrec *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        *head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        *tail = r->prev;
    r->prev = r->next = NULL;
}

/* What a pending job's dependencies (attributes.system.dependencies, RFC
 * 26: [{scheme, value}]) wait for: "depends on ID[,ID]" for the after*
 * schemes (other schemes as SCHEME:VALUE), "begin-time" for a start time.
 */
static void set_depend (struct jrec *r, json_t *attrs)
{
    json_t *deps = json_object_get (json_object_get (attrs, "system"), "dependencies"), *d;
    char ids[128] = "";
    size_t i, n = 0;
    bool begin = false;

    set_text (&r->depend, NULL, 0);
    if (!json_is_array (deps))
        return;
    json_array_foreach (deps, i, d) {
        const char *scheme = json_string_value (json_object_get (d, "scheme"));
        json_t *v = json_object_get (d, "value");
        char val[64] = "?";
        if (!scheme)
            continue;
        if (!strcmp (scheme, "begin-time")) {
            begin = true;
            continue;
        }
        if (json_is_string (v))
            snprintf (val, sizeof (val), "%s", json_string_value (v));
        else if (json_is_integer (v)
                 && eddy_fluid_encode (val, sizeof (val), (eddy_fluid_t)json_integer_value (v),
                                       EDDY_FLUID_F58) < 0)
            snprintf (val, sizeof (val), "%lld", (long long)json_integer_value (v));
        int k = strncmp (scheme, "after", 5) == 0
                    ? snprintf (ids + n, sizeof (ids) - n, "%s%s", n ? "," : "", val)
                    : snprintf (ids + n, sizeof (ids) - n, "%s%s:%s", n ? "," : "", scheme, val);
        n = k < 0 || n + k >= sizeof (ids) ? sizeof (ids) - 1 : n + k;
    }
    char text[128];
    snprintf (text, sizeof (text), "%s%s%s%s", n ? "depends on " : "", ids,
              n && begin ? ", " : "", begin ? "begin-time" : "");
    set_text (&r->depend, text, sizeof (text) - 1);
}

static void set_name (struct jrec *r, json_t *jobspec)
{
    eddy_jobspec_t *js = eddy_jobspec_parse (jobspec, EDDY_JOBSPEC_V1, NULL);
    json_t *cmd;
    const char *arg0, *queue;
    if (js) {
        if ((queue = eddy_jobspec_queue (js)))
            set_text (&r->queue, queue, 63);
        set_depend (r, eddy_jobspec_attributes (js));
        r->ntasks = eddy_jobspec_ntasks (js);
        r->nnodes = eddy_jobspec_nnodes (js);
        r->duration = eddy_jobspec_duration (js);
        /* attributes.system.job.name (eddy submit --job-name), else the
         * command's base name */
        const char *given = json_string_value (json_object_get (
            json_object_get (json_object_get (eddy_jobspec_attributes (js), "system"), "job"), "name"));
        if (given && *given)
            set_text (&r->name, given, 63);
        else if ((cmd = eddy_jobspec_command (js)) && (arg0 = json_string_value (json_array_get (cmd, 0)))) {
            const char *slash = strrchr (arg0, '/');
            set_text (&r->name, slash ? slash + 1 : arg0, 63);
        }
        eddy_jobspec_destroy (js);
    }
    if (!r->name)
        set_text (&r->name, "?", 1);
}

static void make_inactive (struct joblist *jl, struct jrec *r)
{
    unlink_rec (&jl->active_head, &jl->active_tail, r);
    jl->nactive--;
    r->next = jl->inactive_head;
    if (jl->inactive_head)
        jl->inactive_head->prev = r;
    else
        jl->inactive_tail = r;
    jl->inactive_head = r;
    jl->ninactive++;
    while (jl->ninactive > jl->inactive_max && jl->inactive_tail) {
        struct jrec *old = jl->inactive_tail;
        unlink_rec (&jl->inactive_head, &jl->inactive_tail, old);
        eddy_u64map_remove (jl->jobs, old->id);
        rec_free (old);
        jl->ninactive--;
        /* it is in the KVS only now: the history must be read again */
        jl->dropped++;
        if (jl->history == HISTORY_READ)
            jl->history = HISTORY_UNREAD;
    }
}

/* A record from a job's submit entry (and its jobspec, if known). */
static struct jrec *rec_create (uint64_t id, double ts, json_t *ctx, json_t *jobspec)
{
    struct jrec *r = calloc (1, sizeof (*r));
    int userid = 0, urgency = 16;
    if (!r)
        return NULL;
    r->id = id;
    r->t_submit = ts;
    r->state = ST_DEPEND;
    json_unpack (ctx, "{s?i s?i}", "userid", &userid, "urgency", &urgency);
    r->userid = (uint32_t)userid;
    r->urgency = urgency;
    if (jobspec)
        set_name (r, jobspec);
    return r;
}

static void set_nnodes (struct jrec *r, json_t *R)
{
    eddy_rlist_t *rl = R ? eddy_rlist_from_json (R, 0, NULL) : NULL;
    if (rl) {
        r->nnodes = (int)eddy_rlist_count (rl, EDDY_RLIST_NODES);
        free (r->nodelist);
        /* hostnames if every rank has one, else the ranks */
        if (!(r->nodelist = eddy_rlist_nodelist (rl))) {
            char *ranks = eddy_rlist_ranks (rl);
            size_t len = ranks ? strlen (ranks) + 6 : 0;
            if (ranks && (r->nodelist = malloc (len)))
                snprintf (r->nodelist, len, "rank%s%s", strpbrk (ranks, ",-") ? "s " : " ",
                          ranks);
            free (ranks);
        }
        eddy_rlist_destroy (rl);
    }
}

/* Apply one entry after submit to an active record (R: the allocation
 * that comes with alloc, if known).  True if the job became inactive.
 */
static bool rec_apply (struct jrec *r, const char *name, double ts, json_t *ctx, json_t *R)
{
    if (!strcmp (name, "depend"))
        r->state = ST_PRIORITY;
    else if (!strcmp (name, "priority")) {
        json_int_t p = 0;
        const char *why = NULL;
        json_unpack (ctx, "{s:I s?s}", "priority", &p, "reason", &why);
        r->priority = p;
        set_text (&r->hold, p == 0 ? why : NULL, 31);
        if (r->state < ST_SCHED)
            r->state = ST_SCHED;
    }
    else if (!strcmp (name, "urgency"))
        json_unpack (ctx, "{s:i}", "urgency", &r->urgency);
    else if (!strcmp (name, "alloc")) {
        r->state = ST_RUN;
        r->t_run = ts;
        set_nnodes (r, R);
    }
    else if (!strcmp (name, "finish")) {
        json_unpack (ctx, "{s:i}", "status", &r->waitstatus);
        r->finished = true;
        r->state = ST_CLEANUP;
        r->t_cleanup = ts;
    }
    else if (!strcmp (name, "exception")) {
        int severity = 1;
        const char *type = "", *note = "";
        json_unpack (ctx, "{s?i s?s s?s}", "severity", &severity, "type", &type, "note", &note);
        if (severity == 0 && !r->fatal) {
            r->fatal = true;
            set_text (&r->exc_type, type, 31);
            set_text (&r->exc_note, note, 127);
            if (r->state < ST_CLEANUP) {
                r->state = ST_CLEANUP;
                r->t_cleanup = ts;
            }
        }
    }
    else if (!strcmp (name, "clean")) {
        r->state = ST_INACTIVE;
        r->t_inactive = ts;
        set_text (&r->depend, NULL, 0); /* only a pending job shows it */
        return true;
    }
    return false;
}

static void apply (struct joblist *jl, json_t *item)
{
    json_int_t id;
    json_t *entry, *ctx, *jobspec = NULL;
    const char *name;
    double ts;

    if (json_unpack (item, "{s:I s:o s?o}", "id", &id, "entry", &entry, "jobspec", &jobspec) < 0
        || json_unpack (entry, "{s:F s:s}", "timestamp", &ts, "name", &name) < 0)
        return;
    ctx = json_object_get (entry, "context");
    struct jrec *r = eddy_u64map_get (jl->jobs, (uint64_t)id);
    if (!strcmp (name, "submit")) {
        if (r || !(r = rec_create ((uint64_t)id, ts, ctx, jobspec)))
            return;
        if (eddy_u64map_put (jl->jobs, r->id, r) < 0) {
            rec_free (r);
            return;
        }
        r->prev = jl->active_tail;
        if (jl->active_tail)
            jl->active_tail->next = r;
        else
            jl->active_head = r;
        jl->active_tail = r;
        jl->nactive++;
        return;
    }
    if (r && r->state == ST_INACTIVE && !strcmp (name, "purge")) {
        /* the job manager removed it from the KVS (not an eventlog entry) */
        unlink_rec (&jl->inactive_head, &jl->inactive_tail, r);
        eddy_u64map_remove (jl->jobs, r->id);
        rec_free (r);
        jl->ninactive--;
        return;
    }
    if (!r || r->state == ST_INACTIVE)
        return;
    if (rec_apply (r, name, ts, ctx, json_object_get (item, "R")))
        make_inactive (jl, r);
}

/* ---- inactive jobs of earlier instances, from the KVS ---- */

/* The record of a stored eventlog if it ends the job (clean), else NULL
 * (active jobs come from the journal); err says why a log is unusable.
 */
static struct jrec *rec_from_eventlog (uint64_t id, const char *text, eddy_error_t *err)
{
    json_t *events = eddy_eventlog_decode (text, err), *entry, *ctx;
    struct jrec *r = NULL;
    const char *name;
    double ts;
    size_t i;

    json_array_foreach (events, i, entry) {
        if (eddy_eventlog_entry_parse (entry, &ts, &name, &ctx) < 0) {
            eddy_error_set (err, "entry %zu is not an eventlog entry", i + 1);
            break;
        }
        if (i == 0) {
            if (strcmp (name, "submit") != 0) {
                eddy_error_set (err, "the first entry is %s, not submit", name);
                break;
            }
            if (!(r = rec_create (id, ts, ctx, NULL))) {
                eddy_error_set (err, "out of memory");
                break;
            }
        }
        else if (rec_apply (r, name, ts, ctx, NULL)) {
            json_decref (events);
            return r;
        }
    }
    if (events && json_array_size (events) == 0)
        eddy_error_set (err, "the eventlog is empty");
    else if (r && i == json_array_size (events))
        err->text[0] = '\0'; /* a valid log of an active job */
    rec_free (r);
    json_decref (events);
    return NULL;
}

static int scan_eventlog_cb (uint64_t id, const char *text, void *arg)
{
    struct joblist *jl = arg;
    eddy_error_t err = { .text = "" };
    struct jrec *r, **p;

    if (eddy_u64map_get (jl->jobs, id))
        return 0; /* the journal was first */
    if (!(r = rec_from_eventlog (id, text, &err))) {
        if (err.text[0])
            eddy_log (jl->h, LOG_ERR, "job %ju: its eventlog cannot be read back (%s); not listed",
                      (uintmax_t)id, err.text);
        return 0;
    }
    if (jl->nrestored == jl->restored_cap) {
        size_t cap = jl->restored_cap ? jl->restored_cap * 2 : 64;
        if (!(p = realloc (jl->restored, cap * sizeof (*p)))) {
            rec_free (r);
            return 0;
        }
        jl->restored = p;
        jl->restored_cap = cap;
    }
    jl->restored[jl->nrestored++] = r;
    return EDDY_JOBSCAN_JOBSPEC | EDDY_JOBSCAN_R;
}

/* Name, sizes and nodes as the journal would have given them. */
static void scan_extra_cb (uint64_t id, const char *text, json_t *jobspec, json_t *R, void *arg)
{
    struct joblist *jl = arg;
    /* a record waits here only while its lookups are in flight: look from the end */
    for (size_t i = jl->nrestored; i-- > 0;) {
        struct jrec *r = jl->restored[i];
        if (r->id == id) {
            if (jobspec)
                set_name (r, jobspec);
            else
                set_text (&r->name, "?", 1);
            if (r->t_run > 0)
                set_nnodes (r, R);
            return;
        }
    }
}

/* Newest first: (t_inactive, id) descending. */
static int newest_first (const void *a, const void *b)
{
    const struct jrec *x = *(struct jrec *const *)a, *y = *(struct jrec *const *)b;
    if (x->t_inactive != y->t_inactive)
        return x->t_inactive > y->t_inactive ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

/* Held requests go again, in order, once nothing they wait for remains:
 * a query of active jobs held behind one that reads the history waits
 * with it, so answers keep their order.
 */
static void deliver_deferred (struct joblist *jl)
{
    if (!jl->journal_answered || jl->history == HISTORY_READING)
        return;
    jl->held_history = false;
    eddy_held_release (&jl->deferred, jl->h);
}

/* The restored jobs are older than any that ended in this instance: they
 * go behind them, newest first, up to inactive_max.
 */
static void scan_done_cb (eddy_jobscan_t *scan, int errnum, void *arg)
{
    struct joblist *jl = arg;
    size_t kept = 0, cold = 0;
    struct snapshot *sn = calloc (1, sizeof (*sn));

    if (errnum)
        eddy_log (jl->h, LOG_ERR, "the job directory was not read in full (%s): the list of "
                                  "inactive jobs may be incomplete", strerror (errnum));
    if (jl->nrestored > 1)
        qsort (jl->restored, jl->nrestored, sizeof (jl->restored[0]), newest_first);
    for (size_t i = 0; i < jl->nrestored; i++) {
        struct jrec *r = jl->restored[i];
        if (eddy_u64map_get (jl->jobs, r->id)) {
            rec_free (r);
            continue;
        }
        if (jl->ninactive >= jl->inactive_max || eddy_u64map_put (jl->jobs, r->id, r) < 0) {
            /* beyond the bound: only the waiting queries see it */
            if (sn)
                jl->restored[cold++] = r;
            else
                rec_free (r);
            continue;
        }
        r->prev = jl->inactive_tail;
        r->next = NULL;
        if (jl->inactive_tail)
            jl->inactive_tail->next = r;
        else
            jl->inactive_head = r;
        jl->inactive_tail = r;
        jl->ninactive++;
        kept++;
    }
    if (kept > 0)
        eddy_log (jl->h, LOG_INFO, "%zu inactive jobs of earlier instances listed", kept);
    if (sn) {
        /* the restored array (newest first, the cold ones at its front) becomes the snapshot */
        sn->recs = jl->restored;
        sn->n = cold;
        sn->refs = 1;
    }
    else
        free (jl->restored);
    jl->restored = NULL;
    jl->nrestored = jl->restored_cap = 0;
    eddy_jobscan_destroy (jl->scan);
    jl->scan = NULL;
    /* with jobs outside memory, the next query of the history reads again */
    jl->history = cold > 0 || !sn || jl->dropped != jl->dropped_at_scan ? HISTORY_UNREAD
                                                                         : HISTORY_READ;
    jl->snap = sn;
    jl->held_history = false;
    if (jl->journal_answered)
        eddy_held_release (&jl->deferred, jl->h);
    jl->snap = NULL;
    snapshot_unref (sn);
}

/* A job this instance has in memory: not read again,
 * so the first query of the history in a new instance costs no reads of
 * its own jobs. */
static bool scan_known_cb (uint64_t id, void *arg)
{
    struct joblist *jl = arg;
    return eddy_u64map_get (jl->jobs, id) != NULL;
}

static const struct eddy_jobscan_ops scan_ops = {
    .eventlog = scan_eventlog_cb,
    .extra = scan_extra_cb,
    .done = scan_done_cb,
    .known = scan_known_cb,
};

/* Hold msg until the journal has answered and, if it needs the history,
 * until that is read (starting the read if nobody has yet).
 */
static bool defer (struct joblist *jl, const eddy_msg_t *msg, bool history)
{
    if (history && jl->history == HISTORY_UNREAD && !jl->snap) {
        if (!(jl->scan = eddy_jobscan_start (jl->h, &scan_ops, jl))) {
            eddy_log (jl->h, LOG_ERR, "cannot read the jobs of earlier instances: %s",
                      strerror (errno));
            jl->history = HISTORY_READ; /* list what this instance knows */
        }
        else {
            jl->history = HISTORY_READING;
            jl->dropped_at_scan = jl->dropped;
        }
    }
    if (jl->journal_answered && (!history || jl->history == HISTORY_READ || jl->snap)
        && !jl->held_history)
        return false;
    if (eddy_held_add (&jl->deferred, msg) < 0)
        eddy_respond_error (jl->h, msg, ENOMEM, NULL);
    else if (history)
        jl->held_history = true;
    return true;
}

static void journal_cb (eddy_future_t *f, void *arg);
static void deliver_deferred (struct joblist *jl);

static void subscribe (struct joblist *jl)
{
    eddy_future_t *f = eddy_rpc (jl->h, "job-manager.journal", NULL, EDDY_NODEID_ANY,
                                 EDDY_RPC_STREAMING);
    if (!f || eddy_future_then (f, -1, journal_cb, jl) < 0) {
        eddy_future_destroy (f);
        eddy_watcher_start (jl->retry_w);
        return;
    }
    jl->journal = f;
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct joblist *jl = arg;
    if (!jl->journal)
        subscribe (jl);
}

static void journal_cb (eddy_future_t *f, void *arg)
{
    struct joblist *jl = arg;
    json_t *o, *events, *item;
    size_t i;

    if (eddy_rpc_get (f, &o) < 0) {
        /* no job manager yet, or it went away: try again later; queries
         * need not wait for it */
        eddy_future_destroy (f);
        jl->journal = NULL;
        eddy_watcher_start (jl->retry_w);
        jl->journal_answered = true;
        deliver_deferred (jl);
        return;
    }
    if (o && json_unpack (o, "{s:o}", "events", &events) == 0) {
        json_array_foreach (events, i, item)
            apply (jl, item);
    }
    eddy_future_reset (f);
    if (!jl->journal_answered) {
        jl->journal_answered = true;
        deliver_deferred (jl);
    }
}

/* ---- queries ---- */

static const char *result_of (const struct jrec *r)
{
    if (r->state != ST_INACTIVE)
        return "";
    if (r->fatal) {
        if (!strcmp (text_of (r->exc_type), "cancel"))
            return "CANCELED";
        if (!strcmp (text_of (r->exc_type), "timeout"))
            return "TIMEOUT";
        return "FAILED";
    }
    return r->finished && r->waitstatus == 0 ? "COMPLETED" : "FAILED";
}

/* Why a pending job waits, or NULL; sched_why: for a job in SCHED that
 * is not held, what its queue says (NULL: "waiting for resources"). */
static const char *waiting_for (const struct jrec *r, const char *sched_why)
{
    switch (r->state) {
    case ST_DEPEND:
        return r->depend ? r->depend : "dependency";
    case ST_PRIORITY:
        return "priority";
    case ST_SCHED:
        if (r->urgency == 0)
            return "held";
        if (r->priority == 0 && r->hold)
            return r->hold;
        return sched_why ? sched_why : "waiting for resources";
    default:
        return NULL;
    }
}

/* The keys of a job's listing; a request may name those it wants
 * ("attrs"), so a table that shows a few columns moves a few keys. */
static const char *const attr_names[] = {
    "id", "userid", "urgency", "priority", "state", "name", "ntasks", "nnodes", "duration",
    "t_submit", "t_run", "t_cleanup", "t_inactive", "result", "success", "waitstatus",
    "returncode", "exception", "queue", "nodelist", "waiting",
};
enum {
    A_ID, A_USERID, A_URGENCY, A_PRIORITY, A_STATE, A_NAME, A_NTASKS, A_NNODES, A_DURATION,
    A_T_SUBMIT, A_T_RUN, A_T_CLEANUP, A_T_INACTIVE, A_RESULT, A_SUCCESS, A_WAITSTATUS,
    A_RETURNCODE, A_EXCEPTION, A_QUEUE, A_NODELIST, A_WAITING, A_COUNT
};
#define A_ALL ((1u << A_COUNT) - 1)

static void set_attr (json_t *o, unsigned attrs, int a, json_t *v)
{
    if (attrs & (1u << a))
        json_object_set_new (o, attr_names[a], v);
    else
        json_decref (v);
}

/* sched_why: as waiting_for (); queue: the name of its queue to show
 * (NULL: none); attrs: the A_* bits of the keys to include. */
static json_t *rec_json (const struct jrec *r, const char *sched_why, const char *queue,
                         unsigned attrs)
{
    const char *waiting = waiting_for (r, sched_why);
    json_t *o = json_object ();
#define WANT(a) (attrs & (1u << (a)))

    if (!o)
        return NULL;
    set_attr (o, attrs, A_ID, json_integer ((json_int_t)r->id));
    if (WANT (A_USERID))
        set_attr (o, attrs, A_USERID, json_integer (r->userid));
    if (WANT (A_URGENCY))
        set_attr (o, attrs, A_URGENCY, json_integer (r->urgency));
    if (WANT (A_PRIORITY))
        set_attr (o, attrs, A_PRIORITY, json_integer ((json_int_t)r->priority));
    if (WANT (A_STATE))
        set_attr (o, attrs, A_STATE, json_string (state_names[r->state]));
    if (WANT (A_NAME))
        set_attr (o, attrs, A_NAME, json_string (text_of (r->name)));
    if (WANT (A_NTASKS))
        set_attr (o, attrs, A_NTASKS, json_integer (r->ntasks));
    if (WANT (A_NNODES))
        set_attr (o, attrs, A_NNODES, json_integer (r->nnodes));
    if (WANT (A_DURATION))
        set_attr (o, attrs, A_DURATION, json_real (r->duration));
    if (WANT (A_T_SUBMIT))
        set_attr (o, attrs, A_T_SUBMIT, json_real (r->t_submit));
    if (WANT (A_T_RUN))
        set_attr (o, attrs, A_T_RUN, json_real (r->t_run));
    if (WANT (A_T_CLEANUP))
        set_attr (o, attrs, A_T_CLEANUP, json_real (r->t_cleanup));
    if (WANT (A_T_INACTIVE))
        set_attr (o, attrs, A_T_INACTIVE, json_real (r->t_inactive));
    if (WANT (A_RESULT))
        set_attr (o, attrs, A_RESULT, json_string (result_of (r)));
    if (WANT (A_SUCCESS))
        set_attr (o, attrs, A_SUCCESS,
                  json_boolean (r->state == ST_INACTIVE && !r->fatal && r->finished
                                && r->waitstatus == 0));
    if (r->finished) {
        int rc = (r->waitstatus & 0x7f) ? 128 + (r->waitstatus & 0x7f) : (r->waitstatus >> 8) & 0xff;
        if (WANT (A_WAITSTATUS))
            set_attr (o, attrs, A_WAITSTATUS, json_integer (r->waitstatus));
        if (WANT (A_RETURNCODE))
            set_attr (o, attrs, A_RETURNCODE, json_integer (rc));
    }
    if (r->fatal && WANT (A_EXCEPTION))
        set_attr (o, attrs, A_EXCEPTION,
                  json_pack ("{s:s s:s}", "type", text_of (r->exc_type), "note",
                             text_of (r->exc_note)));
    if ((queue || r->queue) && WANT (A_QUEUE))
        set_attr (o, attrs, A_QUEUE, json_string (queue ? queue : r->queue));
    if (r->nodelist && WANT (A_NODELIST))
        set_attr (o, attrs, A_NODELIST, json_string (r->nodelist));
    if (waiting && WANT (A_WAITING))
        set_attr (o, attrs, A_WAITING, json_string (waiting));
#undef WANT
    return o;
}

/* What a listing asks for (job-list.list's payload, checked). */
struct lparams {
    int max, userid, mask;
    unsigned attrs;
    const char *queue;
    double since;
};

static int lparams_parse (const eddy_msg_t *msg, struct lparams *lp, char *text, size_t len)
{
    json_t *p = eddy_msg_payload (msg);
    const char *states = "active";
    json_t *attrs = NULL, *a;
    eddy_error_t err;
    size_t i;

    lp->max = 0;
    lp->userid = -1;
    lp->queue = NULL;
    lp->since = 0;
    lp->attrs = A_ALL;
    if (p && (json_unpack (p, "{s?i s?s s?i s?s s?F s?o}", "max_entries", &lp->max, "states",
                           &states, "userid", &lp->userid, "queue", &lp->queue, "since",
                           &lp->since, "attrs", &attrs) < 0
              || (attrs && !json_is_array (attrs)))) {
        snprintf (text, len, "job-list.list: expected {max_entries?, states?, userid?, queue?, "
                             "since?, attrs?: [NAME...]}");
        errno = EPROTO;
        return -1;
    }
    if (attrs) {
        lp->attrs = 1u << A_ID;
        json_array_foreach (attrs, i, a) {
            const char *name = json_string_value (a);
            int k;
            for (k = 0; k < A_COUNT && (!name || strcmp (name, attr_names[k]) != 0); k++)
                ;
            if (k == A_COUNT) {
                snprintf (text, len, "job-list.list: '%s' is not a job attribute",
                          name ? name : "(not a string)");
                errno = EINVAL;
                return -1;
            }
            lp->attrs |= 1u << k;
        }
    }
    if ((lp->mask = eddy_jobfilter_parse (states, &err)) < 0) {
        snprintf (text, len, "%s", err.text);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* The queue a job is in: its own, or the default queue's name. */
static const char *queue_of (const struct jrec *r, const char *defname)
{
    return r->queue ? r->queue : defname ? defname : "";
}

/* Is the queue named so stopped, by the job manager's queue list? */
static bool queue_stopped (json_t *queues, const char *name)
{
    size_t i;
    json_t *q;
    json_array_foreach (queues, i, q) {
        const char *n = json_string_value (json_object_get (q, "name"));
        if (n && !strcmp (n, name))
            return json_is_false (json_object_get (q, "started"));
    }
    return false;
}

/* The first job of each queue in the order the scheduler is asked to
 * place them (priority, then submission): it waits for resources; the
 * others of its queue wait behind it, as Slurm's reasons Resources and
 * Priority have it.  Jobs held or in a stopped queue are no candidates. */
#define MAX_TOPS 64
struct qtops {
    int n;
    struct {
        const char *queue;
        const struct jrec *top;
    } q[MAX_TOPS];
};

static void find_tops (const struct joblist *jl, json_t *queues, const char *defname,
                       struct qtops *t)
{
    t->n = 0;
    /* the active list is in submission order: a later job leads only with a higher priority */
    for (const struct jrec *r = jl->active_head; r; r = r->next) {
        if (r->state != ST_SCHED || r->urgency == 0 || r->priority == 0)
            continue;
        const char *qn = queue_of (r, defname);
        int k;
        for (k = 0; k < t->n && strcmp (t->q[k].queue, qn) != 0; k++)
            ;
        if (k < t->n) {
            if (r->priority > t->q[k].top->priority)
                t->q[k].top = r;
        }
        else if (t->n < MAX_TOPS && !queue_stopped (queues, qn)) {
            t->q[t->n].queue = qn;
            t->q[t->n++].top = r;
        }
    }
}

/* What a job in SCHED waits for, by its queue (NULL: not known). */
static const char *sched_why (const struct jrec *r, json_t *queues, const char *defname,
                              const struct qtops *t)
{
    const char *qn = queue_of (r, defname);
    if (queue_stopped (queues, qn))
        return "queue stopped";
    for (int k = 0; k < t->n; k++)
        if (!strcmp (t->q[k].queue, qn))
            return t->q[k].top == r ? "resources" : "priority";
    return NULL;
}

static bool rec_matches (const struct jrec *r, const struct lparams *lp, const char *defname)
{
    if (lp->userid >= 0 && r->userid != (uint32_t)lp->userid)
        return false;
    if (!(eddy_jobfilter_bit (state_names[r->state], result_of (r)) & lp->mask))
        return false;
    if (lp->since > 0 && r->state == ST_INACTIVE && r->t_inactive < lp->since)
        return false;
    return !lp->queue || !strcmp (queue_of (r, defname), lp->queue);
}

/* Answer a listing; qs is the job manager's queue-status answer (NULL if
 * it could not be had: then no job is said to wait for a stopped queue).
 */
static void list_answer (struct joblist *jl, const eddy_msg_t *msg, json_t *qs,
                         const struct snapshot *sn)
{
    struct lparams lp;
    char text[256];
    const char *defname = NULL;
    json_t *jobs, *q, *queues = json_object_get (qs, "queues");
    /* with named queues, a job submitted without one shows the default's name */
    bool named = json_is_true (json_object_get (qs, "named"));
    size_t i;
    int n = 0;

    if (lparams_parse (msg, &lp, text, sizeof (text)) < 0) {
        eddy_respond_error (jl->h, msg, errno, text);
        return;
    }
    json_array_foreach (queues, i, q)
        if (json_is_true (json_object_get (q, "default")))
            defname = json_string_value (json_object_get (q, "name"));
    if (lp.queue && queues) {
        bool known = false;
        size_t k = 0;
        json_array_foreach (queues, i, q) {
            const char *name = json_string_value (json_object_get (q, "name"));
            known = known || (name && !strcmp (name, lp.queue));
            if (name && k < sizeof (text))
                k += snprintf (text + k, sizeof (text) - k, "%s%s", k ? ", " : "", name);
        }
        if (!known) {
            char msgtext[320];
            snprintf (msgtext, sizeof (msgtext), "no such queue '%s' (queues: %s)", lp.queue,
                      k ? text : "none");
            eddy_respond_error (jl->h, msg, ENOENT, msgtext);
            return;
        }
    }
    if (!(jobs = json_array ())) {
        eddy_respond_error (jl->h, msg, ENOMEM, NULL);
        return;
    }
    struct qtops tops = { .n = 0 };
    if (lp.mask & EDDY_JOBF_SCHED)
        find_tops (jl, queues, defname, &tops);
    /* newest first: active by submission (newest last in the list), then inactive */
    if (lp.mask & EDDY_JOBF_ACTIVE) {
        for (struct jrec *r = jl->active_tail; r && (lp.max <= 0 || n < lp.max); r = r->prev) {
            if (!rec_matches (r, &lp, defname))
                continue;
            const char *why = r->state == ST_SCHED ? sched_why (r, queues, defname, &tops) : NULL;
            json_array_append_new (jobs, rec_json (r, why, named ? queue_of (r, defname) : NULL,
                                                   lp.attrs));
            n++;
        }
    }
    if (lp.mask & EDDY_JOBF_INACTIVE) {
        for (struct jrec *r = jl->inactive_head; r && (lp.max <= 0 || n < lp.max); r = r->next) {
            if (!rec_matches (r, &lp, defname))
                continue;
            json_array_append_new (jobs, rec_json (r, NULL, named ? queue_of (r, defname) : NULL,
                                                   lp.attrs));
            n++;
        }
        /* then those read back from the KVS, all older */
        for (size_t k = 0; sn && k < sn->n && (lp.max <= 0 || n < lp.max); k++) {
            const struct jrec *r = sn->recs[k];
            if (!rec_matches (r, &lp, defname))
                continue;
            json_array_append_new (jobs, rec_json (r, NULL, named ? queue_of (r, defname) : NULL,
                                                   lp.attrs));
            n++;
        }
    }
    eddy_respond_pack (jl->h, msg, "{s:o}", "jobs", jobs);
}

static void lquery_destroy (struct lquery *lq)
{
    struct joblist *jl = lq->jl;
    if (lq->prev)
        lq->prev->next = lq->next;
    else
        jl->queries = lq->next;
    if (lq->next)
        lq->next->prev = lq->prev;
    eddy_future_destroy (lq->f);
    eddy_msg_decref (lq->msg);
    snapshot_unref (lq->snap);
    free (lq);
}

static void queues_cb (eddy_future_t *f, void *arg)
{
    struct lquery *lq = arg;
    struct lparams lp;
    char text[256];
    json_t *o, *qs = NULL;

    if (eddy_rpc_get (f, &o) == 0)
        qs = o;
    else if (lparams_parse (lq->msg, &lp, text, sizeof (text)) == 0 && lp.queue) {
        /* a queue named by the client cannot be checked */
        snprintf (text, sizeof (text), "cannot learn the queues from the job manager: %s",
                  eddy_future_error_string (f));
        eddy_respond_error (lq->jl->h, lq->msg, errno ? errno : EIO, text);
        lquery_destroy (lq);
        return;
    }
    list_answer (lq->jl, lq->msg, qs, lq->snap);
    lquery_destroy (lq);
}

static void list_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct joblist *jl = arg;
    struct lparams lp;
    struct lquery *lq;
    char text[256];

    if (lparams_parse (msg, &lp, text, sizeof (text)) < 0) {
        eddy_respond_error (h, msg, errno, text);
        return;
    }
    if (defer (jl, msg, (lp.mask & EDDY_JOBF_INACTIVE) != 0))
        return;
    /* queue names, the default queue and which are stopped: from the job manager */
    if (!(lq = calloc (1, sizeof (*lq)))) {
        eddy_respond_error (h, msg, ENOMEM, NULL);
        return;
    }
    lq->jl = jl;
    lq->msg = eddy_msg_incref (msg);
    if (lp.mask & EDDY_JOBF_INACTIVE)
        lq->snap = snapshot_ref (jl->snap);
    lq->next = jl->queries;
    if (jl->queries)
        jl->queries->prev = lq;
    jl->queries = lq;
    if (!(lq->f = eddy_rpc (h, "job-manager.queue-status", NULL, EDDY_NODEID_ANY, 0))
        || eddy_future_then (lq->f, -1, queues_cb, lq) < 0) {
        int errnum = errno;
        if (lp.queue)
            eddy_respond_error (h, msg, errnum, "cannot ask the job manager for its queues");
        else
            list_answer (jl, msg, NULL, lq->snap);
        lquery_destroy (lq);
    }
}

static void list_id_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct joblist *jl = arg;
    json_int_t id;
    json_t *p = eddy_msg_payload (msg);
    struct jrec *r;

    if (!p || json_unpack (p, "{s:I}", "id", &id) < 0) {
        eddy_respond_error (h, msg, EPROTO, "job-list.list-id: expected {id}");
        return;
    }
    /* a job this instance knows needs no history */
    if (defer (jl, msg, !eddy_u64map_get (jl->jobs, (uint64_t)id)))
        return;
    r = eddy_u64map_get (jl->jobs, (uint64_t)id);
    for (size_t k = 0; !r && jl->snap && k < jl->snap->n; k++)
        if (jl->snap->recs[k]->id == (uint64_t)id)
            r = jl->snap->recs[k];
    if (!r) {
        eddy_respond_error (h, msg, ENOENT, "no such job in the job list");
        return;
    }
    eddy_respond_pack (h, msg, "{s:o}", "job", rec_json (r, NULL, NULL, A_ALL));
}

static void stats_cb (eddy_handle_t *h, eddy_msg_handler_t *mh, const eddy_msg_t *msg, void *arg)
{
    struct joblist *jl = arg;
    if (defer (jl, msg, true))
        return;
    eddy_respond_pack (h, msg, "{s:i s:i s:i s:I}", "active", (int)jl->nactive, "inactive",
                       (int)(jl->ninactive + (jl->snap ? jl->snap->n : 0)), "in_memory",
                       (int)jl->ninactive, "dropped", (json_int_t)jl->dropped);
}

static const struct eddy_msg_handler_spec handlers[] = {
    { EDDY_MSGTYPE_REQUEST, "job-list.list", list_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-list.list-id", list_id_cb, EDDY_ROLE_ALL },
    { EDDY_MSGTYPE_REQUEST, "job-list.stats", stats_cb, EDDY_ROLE_ALL },
    EDDY_MSGHANDLER_TABLE_END,
};

static void free_list (struct jrec *r)
{
    while (r) {
        struct jrec *next = r->next;
        rec_free (r);
        r = next;
    }
}

static void jl_unload (void *ctx)
{
    struct joblist *jl = ctx;
    if (!jl)
        return;
    eddy_future_destroy (jl->journal);
    eddy_watcher_destroy (jl->retry_w);
    eddy_jobscan_destroy (jl->scan);
    for (size_t i = 0; i < jl->nrestored; i++)
        rec_free (jl->restored[i]);
    free (jl->restored);
    eddy_held_fail (&jl->deferred, jl->h, ENOSYS, "job-list unloaded");
    while (jl->queries) {
        eddy_respond_error (jl->h, jl->queries->msg, ENOSYS, "job-list unloaded");
        lquery_destroy (jl->queries);
    }
    eddy_msg_handler_delvec (jl->handlers);
    free_list (jl->active_head);
    free_list (jl->inactive_head);
    eddy_u64map_destroy (jl->jobs);
    free (jl);
}

static int jl_load (eddy_handle_t *h, json_t *args, void **ctx)
{
    struct joblist *jl = calloc (1, sizeof (*jl));
    int max = 1000;

    if (!jl)
        return -1;
    /* [job-list] inactive-max, then the module args, which win */
    const json_t *conf = eddy_handle_config (h);
    if ((conf && json_unpack ((json_t *)conf, "{s?i}", "inactive-max", &max) < 0)
        || (args && json_unpack (args, "{s?i}", "inactive_max", &max) < 0)) {
        free (jl);
        errno = EINVAL;
        return -1;
    }
    jl->h = h;
    jl->inactive_max = max > 0 ? (uint32_t)max : 0;
    if (!(jl->jobs = eddy_u64map_create ())
        || !(jl->retry_w = eddy_timer_create (eddy_handle_reactor (h), 0.1, 0, retry_cb, jl))
        || eddy_msg_handler_addvec (h, handlers, jl, &jl->handlers) < 0
        || eddy_service_register (h, "job-list") < 0) {
        jl_unload (jl);
        return -1;
    }
    subscribe (jl);
    *ctx = jl;
    return 0;
}

const struct eddy_module eddy_module_job_list = {
    .name = "job-list",
    .load = jl_load,
    .unload = jl_unload,
};
