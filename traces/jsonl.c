/* jsonl.c - JSONL jobspec workloads: one job object per line, its jobspec
 * validated at V1 as job-ingest will, its shape summarised.  No I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched/jobspec.h"
#include "traces/jsonl.h"

struct eddy_jsonl {
    size_t lineno;
    struct eddy_jsonl_job *jobs;
    size_t njobs, jobs_size;
};

eddy_jsonl_t *eddy_jsonl_create (void)
{
    return calloc (1, sizeof (struct eddy_jsonl));
}

void eddy_jsonl_destroy (eddy_jsonl_t *w)
{
    if (w) {
        int saved_errno = errno;
        for (size_t i = 0; i < w->njobs; i++)
            json_decref (w->jobs[i].jobspec);
        free (w->jobs);
        free (w);
        errno = saved_errno;
    }
}

static bool is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int bad (eddy_jsonl_t *w, eddy_error_t *err, const char *what)
{
    errno = EINVAL;
    return eddy_error_set (err, "line %zu: %s", w->lineno, what);
}

/* A number of seconds >= 0 (integer or real), finite. */
static bool get_secs (json_t *v, double *out)
{
    if (!json_is_number (v))
        return false;
    double d = json_number_value (v);
    if (!isfinite (d) || d < 0 || d > 1e15)
        return false;
    *out = d;
    return true;
}

static bool get_int (json_t *v, int64_t min, int64_t *out)
{
    if (!json_is_integer (v) || json_integer_value (v) < min)
        return false;
    *out = json_integer_value (v);
    return true;
}

static int grow (eddy_jsonl_t *w)
{
    if (w->njobs == w->jobs_size) {
        size_t size = w->jobs_size ? w->jobs_size * 2 : 256;
        struct eddy_jsonl_job *jobs = realloc (w->jobs, size * sizeof (*jobs));
        if (!jobs)
            return -1;
        w->jobs = jobs;
        w->jobs_size = size;
    }
    return 0;
}

static const char *const keys[] = {
    "id", "submit", "run", "jobspec", "user", "group", "queue", NULL,
};

static int parse_job (eddy_jsonl_t *w, json_t *o, eddy_error_t *err)
{
    struct eddy_jsonl_job j = {
        .id = (int64_t)w->njobs + 1, .user = -1, .group = -1, .queue = -1, .line = w->lineno,
    };
    const char *key;
    json_t *v;
    eddy_jobspec_t *js;
    eddy_error_t jerr;
    char text[200];

    if (!json_is_object (o))
        return bad (w, err, "not a JSON object");
    json_object_foreach (o, key, v) {
        int k;
        for (k = 0; keys[k] && strcmp (keys[k], key); k++)
            ;
        if (!keys[k]) {
            snprintf (text, sizeof (text), "unknown key '%.40s'", key);
            return bad (w, err, text);
        }
    }
    if ((v = json_object_get (o, "id")) && !get_int (v, 0, &j.id))
        return bad (w, err, "id: must be an integer >= 0");
    if (!(v = json_object_get (o, "submit")))
        return bad (w, err, "submit: required");
    if (!get_secs (v, &j.submit))
        return bad (w, err, "submit: must be a number of seconds >= 0");
    if ((v = json_object_get (o, "user")) && !get_int (v, -1, &j.user))
        return bad (w, err, "user: must be an integer >= -1");
    if ((v = json_object_get (o, "group")) && !get_int (v, -1, &j.group))
        return bad (w, err, "group: must be an integer >= -1");
    if ((v = json_object_get (o, "queue")) && !get_int (v, -1, &j.queue))
        return bad (w, err, "queue: must be an integer >= -1");
    if (!(v = json_object_get (o, "jobspec")))
        return bad (w, err, "jobspec: required");
    if (!json_is_object (v))
        return bad (w, err, "jobspec: must be an object");
    if (!(js = eddy_jobspec_parse (v, EDDY_JOBSPEC_V1, &jerr))) {
        if (errno == ENOMEM)
            return -1;
        snprintf (text, sizeof (text), "jobspec: %.160s", jerr.text);
        return bad (w, err, text);
    }
    double duration = eddy_jobspec_duration (js);
    int64_t nslots = eddy_jobspec_nslots (js);
    j.procs = nslots * eddy_jobspec_cores_per_slot (js);
    j.gpus = nslots * eddy_jobspec_gpus_per_slot (js);
    j.nnodes = eddy_jobspec_nnodes (js);
    j.exclusive = eddy_jobspec_exclusive (js);
    eddy_jobspec_destroy (js);
    j.req = duration > 0 ? duration : INFINITY;
    if (j.procs < 1 || j.procs > INT32_MAX)
        return bad (w, err, "jobspec: total cores must be in 1-2^31");
    if ((v = json_object_get (o, "run"))) {
        if (!get_secs (v, &j.run))
            return bad (w, err, "run: must be a number of seconds >= 0");
    } else if (duration > 0)
        j.run = duration;
    else
        return bad (w, err, "run: required when the jobspec has no duration");
    if (grow (w) < 0)
        return -1;
    j.jobspec = json_incref (json_object_get (o, "jobspec"));
    w->jobs[w->njobs++] = j;
    return 0;
}

int eddy_jsonl_feed (eddy_jsonl_t *w, const char *line, size_t len, eddy_error_t *err)
{
    const char *p = line, *end = line + len;
    json_error_t jerr;
    json_t *o;
    int rc;

    if (!w || (!line && len)) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    w->lineno++;
    if (len && memchr (line, '\0', len))
        return bad (w, err, "contains a NUL byte");
    while (p < end && is_blank (*p))
        p++;
    if (p == end)
        return 0;
    if (!(o = json_loadb (p, end - p, JSON_REJECT_DUPLICATES, &jerr))) {
        char text[200];
        snprintf (text, sizeof (text), "not JSON: %.160s", jerr.text);
        return bad (w, err, text);
    }
    rc = parse_job (w, o, err);
    json_decref (o);
    return rc;
}

int eddy_jsonl_feed_text (eddy_jsonl_t *w, const char *text, size_t len, eddy_error_t *err)
{
    const char *p = text, *end = text + len;

    if (!w || (!text && len)) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid argument");
    }
    while (p < end) {
        const char *nl = memchr (p, '\n', end - p);
        const char *eol = nl ? nl : end;
        if (eddy_jsonl_feed (w, p, eol - p, err) < 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

const struct eddy_jsonl_job *eddy_jsonl_jobs (const eddy_jsonl_t *w, size_t *count)
{
    if (count)
        *count = w ? w->njobs : 0;
    return w ? w->jobs : NULL;
}

size_t eddy_jsonl_lines (const eddy_jsonl_t *w)
{
    return w ? w->lineno : 0;
}
