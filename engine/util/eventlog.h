/* eventlog.h - RFC 18 eventlogs: JSON Lines of {"timestamp":T,"name":N,
 * "context":{...}} entries, each line ending in "\n".
 *
 * A decoded log is a jansson array of entry objects; an entry is a jansson
 * object.  Decoding is strict (flux-core's rules): no blank lines, every
 * entry ends with exactly one newline, timestamp is a number, name a
 * string, context (optional) an object.
 */
#ifndef EDDY_UTIL_EVENTLOG_H
#define EDDY_UTIL_EVENTLOG_H

#include <jansson.h>

#include "engine/error.h"

/* Entries.
 * entry_create () builds {"timestamp","name"[,"context"]}; context may be
 * NULL and is borrowed (the entry takes its own reference).  NULL + EINVAL
 * for timestamp < 0 or not finite, NULL/empty name or a context that is not
 * an object; ENOMEM.
 * entry_check () returns 0 if entry is a valid entry, else -1 + EINVAL with
 * err saying why.
 * entry_parse () checks entry and returns its parts (each out-parameter
 * may be NULL; *context is NULL if absent; pointers borrow from entry).
 * entry_decode () parses one line "{...}\n" (the newline is required) and
 * returns a new reference, or NULL + EINVAL (err filled).
 * entry_encode () returns compact JSON plus "\n" as a malloc'd string the
 * caller frees, or NULL + EINVAL/ENOMEM.
 */
json_t *
eddy_eventlog_entry_create (double timestamp, const char *name, json_t *context);
int eddy_eventlog_entry_check (json_t *entry, eddy_error_t *err);
int eddy_eventlog_entry_parse (json_t *entry,
                               double *timestamp,
                               const char **name,
                               json_t **context);
json_t *eddy_eventlog_entry_decode (const char *s, eddy_error_t *err);
char *eddy_eventlog_entry_encode (json_t *entry);

/* Whole logs.
 * decode () parses a whole log into a new array (the empty string gives an
 * empty array, as in flux-core).  NULL + EINVAL with err naming the line
 * that is wrong, or ENOMEM.
 * encode () concatenates the encoded entries of an array (the empty array
 * gives ""); NULL + EINVAL if an element is not a valid entry.
 * append () checks entry and appends a reference to it to the log array:
 * 0, or -1 + EINVAL/ENOMEM with log unchanged.
 */
json_t *eddy_eventlog_decode (const char *s, eddy_error_t *err);
char *eddy_eventlog_encode (json_t *log);
int eddy_eventlog_append (json_t *log, json_t *entry, eddy_error_t *err);

#endif /* !EDDY_UTIL_EVENTLOG_H */
