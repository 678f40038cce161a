/* events.c - an active job's eventlog entries, kept as their RFC 18 text
 * (one line each) rather than as JSON objects: about 80 bytes an entry
 * instead of 400, for every job waiting in the queue.  They are decoded
 * only when a journal reader joins or a restarted job's dependencies are
 * read, both rare.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/eventlog.h"
#include "sched/job-manager/jobmgr.h"

/* Append len bytes of text (whole lines) to the job's log. */
static int append_text (struct job *job, const char *text, size_t len, uint32_t nlines)
{
    if (len > UINT32_MAX - job->evlog_len - 1) {
        errno = EOVERFLOW;
        return -1;
    }
    if (job->evlog_len + len + 1 > job->evlog_cap) {
        size_t cap = job->evlog_cap ? job->evlog_cap : 128;
        while (cap < job->evlog_len + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        char *p = realloc (job->evlog, cap);
        if (!p)
            return -1;
        job->evlog = p;
        job->evlog_cap = (uint32_t)cap;
    }
    memcpy (job->evlog + job->evlog_len, text, len);
    job->evlog_len += (uint32_t)len;
    job->evlog[job->evlog_len] = '\0';
    job->nevents += nlines;
    return 0;
}

int job_events_append_text (struct job *job, const char *line)
{
    return append_text (job, line, strlen (line), 1);
}

int job_events_append (struct job *job, json_t *entry)
{
    char *text = eddy_eventlog_entry_encode (entry);
    int rc = text ? append_text (job, text, strlen (text), 1) : -1;
    free (text);
    if (!text)
        errno = errno ? errno : EINVAL;
    return rc;
}

int job_events_set (struct job *job, json_t *events)
{
    char *text = eddy_eventlog_encode (events);
    if (!text)
        return -1;
    job_events_free (job);
    int rc = append_text (job, text, strlen (text), (uint32_t)json_array_size (events));
    free (text);
    return rc;
}

json_t *job_events (const struct job *job)
{
    eddy_error_t err;
    return eddy_eventlog_decode (job->evlog ? job->evlog : "", &err);
}

bool job_events_mention (const struct job *job, const char *s)
{
    return job->evlog && strstr (job->evlog, s) != NULL;
}

size_t job_events_count (const struct job *job)
{
    return job->nevents;
}

void job_events_free (struct job *job)
{
    int saved = errno;
    free (job->evlog);
    job->evlog = NULL;
    job->evlog_len = job->evlog_cap = job->nevents = 0;
    errno = saved;
}
