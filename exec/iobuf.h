/* iobuf.h - a task's output stream as the job shell reads it: bytes wait
 * until their line is complete, then leave as output entries, the context
 * of the `data` entries of a job's output eventlog.
 */
#ifndef EDDY_EXEC_IOBUF_H
#define EDDY_EXEC_IOBUF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct eddy_iobuf eddy_iobuf_t;

/* Longest partial line kept: past it, the bytes leave without waiting for
 * the newline (cut at a UTF-8 character boundary).
 */
#define EDDY_IOBUF_LINE_MAX 65536

/* Create and destroy
 *
 * stream is "stdout" or "stderr" (copied); rank is the task rank.  NULL +
 * EINVAL/ENOMEM.  destroy (NULL) is a no-op and drops unflushed bytes.
 */
eddy_iobuf_t *eddy_iobuf_create (const char *stream, int rank);
void eddy_iobuf_destroy (eddy_iobuf_t *b);

/* Feeding
 *
 * write () adds len bytes; every complete line (and an over-long partial
 * one) goes, as one entry, at the end of the JSON array out.  close ()
 * marks the end of the stream and emits what is left (a last line without
 * newline).  Both return 0, or -1 + ENOMEM (bytes may be lost) or EINVAL
 * (write after close).  eof () is true once closed.
 */
int eddy_iobuf_write (eddy_iobuf_t *b, const char *data, size_t len, json_t *out);
int eddy_iobuf_close (eddy_iobuf_t *b, json_t *out);
bool eddy_iobuf_eof (const eddy_iobuf_t *b);

/* An output entry: {"stream": S, "rank": "R", "data": TEXT} when data is
 * valid UTF-8, else {..., "data": BASE64, "encoding": "base64"} (as the
 * Flux shell writes them).  A new reference, or NULL + ENOMEM.
 */
json_t *eddy_output_entry (const char *stream, int rank, const char *data, size_t len);

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool eddy_utf8_valid (const char *s, size_t len);

#endif /* !EDDY_EXEC_IOBUF_H */
