/* toml.h - TOML 1.0 text to jansson values.
 *
 * The parser works on a buffer (the library does no file I/O; cmd/config.c
 * reads files) and builds one JSON object for the whole document.
 */
#ifndef EDDY_UTIL_TOML_H
#define EDDY_UTIL_TOML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

/* Deepest nesting of tables and arrays the parser builds (the root table
 * counts as 1).  Deeper input is an error, so hostile input cannot exhaust
 * the stack here or in jansson's recursive free.
 */
#define EDDY_TOML_MAX_DEPTH 128

/* Parsing
 *
 * Parse `len` bytes of TOML 1.0 (a UTF-8 BOM at the start is skipped; the
 * text need not be NUL-terminated and may contain NUL bytes, which are then
 * reported as errors).  The mapping to JSON:
 *
 *   table, inline table      object (keys may contain NUL: use the *n calls)
 *   array, array of tables   array
 *   string                   string
 *   integer                  integer (int64; out of range is an error)
 *   float                    real; a literal beyond the double range is an
 *                            error.  jansson reals cannot be inf or nan, so
 *                            those become {"toml-float": TEXT, "type":
 *                            "float"}, TEXT one of inf -inf nan -nan; see
 *                            eddy_toml_float () below
 *   boolean                  true / false
 *   date and time values     an object of exactly two string members,
 *                            {"toml-datetime": TEXT, "type": KIND}; see
 *                            eddy_toml_datetime () below
 *
 * Multi-line strings keep their line breaks as "\n" (CRLF is normalized).
 *
 * Returns a new object (the caller owns one reference), or NULL with errno
 * EINVAL and err->text = "name:line:col: message" for invalid input (line
 * and column count from 1, the column in characters), or errno ENOMEM.
 * `name` names the input in messages (NULL reads as "<input>").
 */
json_t *
eddy_toml_parse (const char *buf, size_t len, const char *name, eddy_error_t *err);

/* Date and time values
 *
 * If `v` has the shape the parser gives a date/time, return its KIND and
 * set *text (if not NULL) to its normalized RFC 3339 text; else return NULL
 * (errno untouched).  KIND is one of
 *
 *   "datetime"         offset date-time  1979-05-27T07:32:00.999-07:00
 *   "datetime-local"   local date-time   1979-05-27T07:32:00
 *   "date-local"       local date        1979-05-27
 *   "time-local"       local time        07:32:00.5
 *
 * Normalized text uses 'T' between date and time and 'Z' for UTC, and keeps
 * the fraction digits as written.  A TOML table that happens to hold exactly
 * these two keys with such values cannot be told apart from a date/time.
 * The returned strings belong to `v`.
 */
const char *eddy_toml_datetime (const json_t *v, const char **text);

/* Floats
 *
 * If `v` is a TOML float (a JSON real, or the object the parser gives inf
 * and nan), set *d (if not NULL) and return true; else return false.
 */
bool eddy_toml_float (const json_t *v, double *d);

#endif /* !EDDY_UTIL_TOML_H */
