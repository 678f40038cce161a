/* jobscan.c - an asynchronous walk of the KVS job directory: the four
 * levels of "job.XXXX.XXXX.XXXX.XXXX" (or of an index shaped alike, such
 * as sched/jobindex.h's) are directories, listed depth first
 * with at most MAX_INFLIGHT lookups outstanding, so a long history neither
 * floods the KVS nor holds the module's reactor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kvs/kvs.h"
#include "sched/jobscan.h"

#define MAX_INFLIGHT 64
#define ID_GROUPS 4 /* 16-bit groups of an id, one directory level each */

enum step_kind { STEP_DIR, STEP_EVENTLOG, STEP_JOBSPEC, STEP_R };

/* A place still to look at: a directory (depth groups of the id known), or
 * a job (depth ID_GROUPS).
 */
struct todo {
    int depth;
    uint64_t id;
};

/* One lookup in flight, and what it has gathered for its job so far. */
struct step {
    eddy_jobscan_t *scan;
    enum step_kind kind;
    int depth;
    uint64_t id;
    int want; /* EDDY_JOBSCAN_* flags the eventlog callback asked for */
    char *eventlog;
    json_t *jobspec;
    eddy_future_t *f;
    struct step *prev, *next;
};

struct eddy_jobscan {
    eddy_handle_t *h;
    const struct eddy_jobscan_ops *ops;
    void *arg;
    struct todo *stack;
    size_t nstack, stack_cap;
    struct step *inflight;
    uint32_t ninflight;
    uint64_t max_id;
    uint32_t count;
    int errnum;
    const char *root; /* the directory walked: "job", or an index of it */
};

static int dir_key (eddy_jobscan_t *scan, char *buf, size_t len, int depth, uint64_t id)
{
    int n = snprintf (buf, len, "%s", scan->root);
    for (int i = 0; i < depth && n > 0 && (size_t)n < len; i++)
        n += snprintf (buf + n, len - (size_t)n, ".%04x",
                       (unsigned)(id >> (16 * (ID_GROUPS - 1 - i))) & 0xffff);
    return n > 0 && (size_t)n < len ? n : -1;
}

/* A directory level of a job key is exactly four lower-case hex digits
 * (eddy_kvs_job_key); anything else is not ours.
 */
static int parse_group (const char *name, unsigned *v)
{
    unsigned x = 0;
    if (strlen (name) != 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = name[i];
        if (c >= '0' && c <= '9')
            x = x * 16 + (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x = x * 16 + (unsigned)(c - 'a' + 10);
        else
            return -1;
    }
    *v = x;
    return 0;
}

static void note_error (eddy_jobscan_t *scan, int errnum)
{
    if (!scan->errnum)
        scan->errnum = errnum ? errnum : EIO;
}

static void note_id (eddy_jobscan_t *scan, uint64_t id)
{
    scan->count++;
    if (id > scan->max_id)
        scan->max_id = id;
}

static int push (eddy_jobscan_t *scan, int depth, uint64_t id)
{
    if (scan->nstack == scan->stack_cap) {
        size_t cap = scan->stack_cap ? scan->stack_cap * 2 : 64;
        struct todo *p = realloc (scan->stack, cap * sizeof (*p));
        if (!p)
            return -1;
        scan->stack = p;
        scan->stack_cap = cap;
    }
    scan->stack[scan->nstack++] = (struct todo){ .depth = depth, .id = id };
    if (depth == ID_GROUPS)
        note_id (scan, id);
    return 0;
}

static void step_unlink (struct step *s)
{
    eddy_jobscan_t *scan = s->scan;
    if (s->prev)
        s->prev->next = s->next;
    else
        scan->inflight = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    scan->ninflight--;
}

static void step_destroy (struct step *s)
{
    if (s) {
        eddy_future_destroy (s->f);
        free (s->eventlog);
        json_decref (s->jobspec);
        free (s);
    }
}

static void step_cb (eddy_future_t *f, void *arg);

/* Send the lookup for s's current kind and put s in flight. */
static int step_send (struct step *s)
{
    eddy_jobscan_t *scan = s->scan;
    char key[128];
    const char *suffix = s->kind == STEP_EVENTLOG ? "eventlog"
                         : s->kind == STEP_JOBSPEC ? "jobspec"
                                                   : "R";
    int rc = s->kind == STEP_DIR ? dir_key (scan, key, sizeof (key), s->depth, s->id)
                                 : eddy_kvs_job_key (key, sizeof (key), s->id, suffix);
    eddy_future_destroy (s->f);
    s->f = NULL;
    if (rc < 0 || !(s->f = eddy_kvs_lookup (scan->h, NULL, 0, key))
        || eddy_future_then (s->f, -1, step_cb, s) < 0) {
        eddy_log (scan->h, LOG_ERR, "job scan: cannot look up %s: %s", rc < 0 ? "a job key" : key,
                  strerror (errno));
        return -1;
    }
    s->next = scan->inflight;
    if (scan->inflight)
        scan->inflight->prev = s;
    scan->inflight = s;
    scan->ninflight++;
    return 0;
}

static void pump (eddy_jobscan_t *scan)
{
    while (scan->ninflight < MAX_INFLIGHT && scan->nstack > 0) {
        struct todo t = scan->stack[--scan->nstack];
        struct step *s = calloc (1, sizeof (*s));
        if (!s) {
            note_error (scan, ENOMEM);
            continue;
        }
        s->scan = scan;
        s->depth = t.depth;
        s->id = t.id;
        s->kind = t.depth == ID_GROUPS ? STEP_EVENTLOG : STEP_DIR;
        if (step_send (s) < 0) {
            note_error (scan, errno);
            step_destroy (s);
        }
    }
}

static void dir_listed (eddy_jobscan_t *scan, struct step *s)
{
    json_t *names, *name;
    size_t i;
    char key[128];

    if (eddy_kvs_lookup_get_dir (s->f, &names) < 0) {
        if (s->depth == 0 && errno == ENOENT)
            return; /* no job was ever stored: nothing to do */
        dir_key (scan, key, sizeof (key), s->depth, s->id);
        eddy_log (scan->h, LOG_ERR, "job scan: %s: %s", key, eddy_future_error_string (s->f));
        note_error (scan, errno);
        return;
    }
    json_array_foreach (names, i, name) {
        unsigned v;
        const char *text = json_string_value (name);
        if (!text || parse_group (text, &v) < 0) {
            dir_key (scan, key, sizeof (key), s->depth, s->id);
            eddy_log (scan->h, LOG_WARNING, "job scan: %s.%s is not a job directory, skipped",
                      key, text ? text : "?");
            continue;
        }
        uint64_t id = s->id | ((uint64_t)v << (16 * (ID_GROUPS - 1 - s->depth)));
        if (s->depth + 1 == ID_GROUPS && scan->ops->known && scan->ops->known (id, scan->arg)) {
            note_id (scan, id); /* counted, not read */
            continue;
        }
        if (push (scan, s->depth + 1, id) < 0)
            note_error (scan, ENOMEM);
    }
}

/* A job's jobspec or R as JSON, NULL if missing or unreadable. */
static json_t *value_of (eddy_jobscan_t *scan, struct step *s, const char *what)
{
    const char *text;
    json_t *o = NULL;
    if (eddy_kvs_lookup_get (s->f, &text) < 0) {
        if (errno != ENOENT)
            eddy_log (scan->h, LOG_ERR, "job %ju: cannot read its %s: %s", (uintmax_t)s->id, what,
                      eddy_future_error_string (s->f));
    }
    else if (!(o = json_loads (text, JSON_DECODE_ANY, NULL)))
        eddy_log (scan->h, LOG_ERR, "job %ju: its %s is not JSON, ignored", (uintmax_t)s->id, what);
    return o;
}

/* Move s on to the next key its job needs; false when there is none. */
static bool next_extra (struct step *s)
{
    if (s->kind == STEP_EVENTLOG && (s->want & EDDY_JOBSCAN_JOBSPEC))
        s->kind = STEP_JOBSPEC;
    else if (s->kind != STEP_R && (s->want & EDDY_JOBSCAN_R))
        s->kind = STEP_R;
    else
        return false;
    if (step_send (s) < 0) {
        note_error (s->scan, errno);
        return false;
    }
    return true;
}

/* Returns true if s went on to another lookup (it is in flight again). */
static bool job_step (eddy_jobscan_t *scan, struct step *s)
{
    const char *text;
    json_t *R = NULL;

    switch (s->kind) {
    case STEP_EVENTLOG:
        if (eddy_kvs_lookup_get (s->f, &text) < 0) {
            /* a job directory without an eventlog: leave it alone */
            eddy_log (scan->h, LOG_ERR, "job %ju: cannot read its eventlog (%s), skipped",
                      (uintmax_t)s->id, eddy_future_error_string (s->f));
            return false;
        }
        s->want = scan->ops->eventlog (s->id, text, scan->arg);
        s->want &= EDDY_JOBSCAN_JOBSPEC | EDDY_JOBSCAN_R;
        if (!s->want)
            return false;
        if (!(s->eventlog = strdup (text))) {
            note_error (scan, ENOMEM);
            return false;
        }
        break;
    case STEP_JOBSPEC:
        s->jobspec = value_of (scan, s, "jobspec");
        break;
    case STEP_R:
        R = value_of (scan, s, "R");
        break;
    case STEP_DIR:
        return false;
    }
    if (s->kind != STEP_R && next_extra (s))
        return true;
    scan->ops->extra (s->id, s->eventlog, s->jobspec, R, scan->arg);
    json_decref (R);
    return false;
}

static void step_cb (eddy_future_t *f, void *arg)
{
    struct step *s = arg;
    eddy_jobscan_t *scan = s->scan;

    step_unlink (s);
    if (s->kind == STEP_DIR)
        dir_listed (scan, s);
    else if (job_step (scan, s))
        return;
    step_destroy (s);
    pump (scan);
    if (scan->ninflight == 0 && scan->nstack == 0)
        scan->ops->done (scan, scan->errnum, scan->arg); /* may destroy scan */
}

static eddy_jobscan_t *start (eddy_handle_t *h, const struct eddy_jobscan_ops *ops, void *arg,
                              const char *root)
{
    eddy_jobscan_t *scan;

    if (!h || !ops || !ops->eventlog || !ops->extra || !ops->done) {
        errno = EINVAL;
        return NULL;
    }
    if (!(scan = calloc (1, sizeof (*scan))))
        return NULL;
    scan->h = h;
    scan->ops = ops;
    scan->arg = arg;
    scan->root = root;
    if (push (scan, 0, 0) < 0)
        goto error;
    pump (scan);
    if (scan->ninflight == 0) {
        errno = scan->errnum ? scan->errnum : EIO;
        goto error;
    }
    return scan;
error:
    eddy_jobscan_destroy (scan);
    return NULL;
}

eddy_jobscan_t *eddy_jobscan_start (eddy_handle_t *h, const struct eddy_jobscan_ops *ops, void *arg)
{
    return start (h, ops, arg, "job");
}

eddy_jobscan_t *eddy_jobscan_start_dir (eddy_handle_t *h, const struct eddy_jobscan_ops *ops, void *arg,
                                        const char *dir)
{
    if (!dir || !*dir) {
        errno = EINVAL;
        return NULL;
    }
    return start (h, ops, arg, dir);
}

void eddy_jobscan_destroy (eddy_jobscan_t *scan)
{
    if (scan) {
        int saved_errno = errno;
        while (scan->inflight) {
            struct step *s = scan->inflight;
            step_unlink (s);
            step_destroy (s);
        }
        free (scan->stack);
        free (scan);
        errno = saved_errno;
    }
}

uint64_t eddy_jobscan_max_id (eddy_jobscan_t *scan)
{
    return scan ? scan->max_id : 0;
}

uint32_t eddy_jobscan_count (eddy_jobscan_t *scan)
{
    return scan ? scan->count : 0;
}
