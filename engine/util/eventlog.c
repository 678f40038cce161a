/* eventlog.c - RFC 18 eventlog entries and logs on top of jansson. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/util/eventlog.h"

static int invalid (eddy_error_t *err, const char *why)
{
    eddy_error_set (err, "%s", why);
    errno = EINVAL;
    return -1;
}

int eddy_eventlog_entry_check (json_t *entry, eddy_error_t *err)
{
    if (!json_is_object (entry))
        return invalid (err, "entry is not a JSON object");
    json_t *ts = json_object_get (entry, "timestamp");
    json_t *name = json_object_get (entry, "name");
    json_t *context = json_object_get (entry, "context");
    if (!ts)
        return invalid (err, "entry has no timestamp");
    if (!json_is_number (ts))
        return invalid (err, "entry timestamp is not a number");
    if (!name)
        return invalid (err, "entry has no name");
    if (!json_is_string (name))
        return invalid (err, "entry name is not a string");
    if (context && !json_is_object (context))
        return invalid (err, "entry context is not an object");
    return 0;
}

int eddy_eventlog_entry_parse (json_t *entry,
                               double *timestamp,
                               const char **name,
                               json_t **context)
{
    if (eddy_eventlog_entry_check (entry, NULL) < 0)
        return -1;
    if (timestamp)
        *timestamp = json_number_value (json_object_get (entry, "timestamp"));
    if (name)
        *name = json_string_value (json_object_get (entry, "name"));
    if (context)
        *context = json_object_get (entry, "context");
    return 0;
}

json_t *eddy_eventlog_entry_create (double timestamp, const char *name, json_t *context)
{
    if (!isfinite (timestamp) || timestamp < 0 || !name || !*name ||
        (context && !json_is_object (context))) {
        errno = EINVAL;
        return NULL;
    }
    json_t *entry = json_object ();
    if (!entry)
        goto nomem;
    if (json_object_set_new (entry, "timestamp", json_real (timestamp)) < 0 ||
        json_object_set_new (entry, "name", json_string (name)) < 0 ||
        (context && json_object_set (entry, "context", context) < 0))
        goto nomem;
    return entry;
nomem:
    json_decref (entry);
    errno = ENOMEM;
    return NULL;
}

/* Decode the line s[0..len) (without its newline) into a checked entry. */
static json_t *decode_line (const char *s, size_t len, eddy_error_t *err)
{
    json_error_t jerr;
    if (len == 0) {
        invalid (err, "empty line");
        return NULL;
    }
    json_t *entry = json_loadb (s, len, 0, &jerr);
    if (!entry) {
        eddy_error_set (err, "entry is not JSON: %s", jerr.text);
        errno = EINVAL;
        return NULL;
    }
    if (eddy_eventlog_entry_check (entry, err) < 0) {
        json_decref (entry);
        return NULL;
    }
    return entry;
}

json_t *eddy_eventlog_entry_decode (const char *s, eddy_error_t *err)
{
    if (!s) {
        invalid (err, "entry is NULL");
        return NULL;
    }
    size_t len = strlen (s);
    const char *nl = memchr (s, '\n', len);
    if (!nl || nl != s + len - 1) {
        invalid (err, nl ? "entry has more than one line"
                         : "entry does not end in a newline");
        return NULL;
    }
    return decode_line (s, len - 1, err);
}

char *eddy_eventlog_entry_encode (json_t *entry)
{
    if (eddy_eventlog_entry_check (entry, NULL) < 0)
        return NULL;
    char *s = json_dumps (entry, JSON_COMPACT);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = strlen (s);
    char *line = realloc (s, len + 2);
    if (!line) {
        free (s);
        errno = ENOMEM;
        return NULL;
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    return line;
}

json_t *eddy_eventlog_decode (const char *s, eddy_error_t *err)
{
    if (!s) {
        invalid (err, "eventlog is NULL");
        return NULL;
    }
    json_t *log = json_array ();
    if (!log) {
        errno = ENOMEM;
        return NULL;
    }
    const char *p = s;
    int lineno = 1;
    while (*p) {
        const char *nl = strchr (p, '\n');
        if (!nl) {
            eddy_error_set (err, "line %d: no newline at the end of the log", lineno);
            errno = EINVAL;
            goto error;
        }
        json_t *entry = decode_line (p, (size_t)(nl - p), err);
        if (!entry) {
            eddy_error_prefix (err, "line %d", lineno);
            goto error;
        }
        if (json_array_append_new (log, entry) < 0) {
            errno = ENOMEM;
            goto error;
        }
        p = nl + 1;
        lineno++;
    }
    return log;
error:
    json_decref (log);
    return NULL;
}

char *eddy_eventlog_encode (json_t *log)
{
    if (!json_is_array (log)) {
        errno = EINVAL;
        return NULL;
    }
    size_t len = 0, alloc = 1;
    char *out = malloc (alloc);
    if (!out)
        goto nomem;
    out[0] = '\0';
    size_t i;
    json_t *entry;
    json_array_foreach (log, i, entry)
    {
        char *line = eddy_eventlog_entry_encode (entry);
        if (!line)
            goto error;
        size_t n = strlen (line);
        if (len + n + 1 > alloc) {
            while (len + n + 1 > alloc)
                alloc *= 2;
            char *tmp = realloc (out, alloc);
            if (!tmp) {
                free (line);
                goto nomem;
            }
            out = tmp;
        }
        memcpy (out + len, line, n + 1);
        len += n;
        free (line);
    }
    return out;
nomem:
    errno = ENOMEM;
error:
    free (out);
    return NULL;
}

int eddy_eventlog_append (json_t *log, json_t *entry, eddy_error_t *err)
{
    if (!json_is_array (log))
        return invalid (err, "eventlog is not an array");
    if (eddy_eventlog_entry_check (entry, err) < 0)
        return -1;
    if (json_array_append (log, entry) < 0) {
        errno = ENOMEM;
        return eddy_error_set (err, "out of memory");
    }
    return 0;
}
