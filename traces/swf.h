/* swf.h - Standard Workload Format (Parallel Workloads Archive) traces as
 * the simulator replays them: header fields and jobs, with the field
 * choices and skip rules of DESIGN.md ("Trace replay semantics (SWF)").
 *
 * Pure parsing: the caller reads the file (plain or gzipped) and feeds it
 * one line at a time, so the library does no I/O.
 */
#ifndef EDDY_TRACES_SWF_H
#define EDDY_TRACES_SWF_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef struct eddy_swf eddy_swf_t;

/* One job as the replay uses it.  Times are whole seconds (fractions are
 * truncated).  procs = requested processors (field 8) if > 0, else the
 * allocated ones (field 5); req = requested time (field 9) if > 0, else
 * run.  user, group and queue are fields 12, 13 and 15 as written (-1
 * when unknown).  line is the 1-based line number the job came from.
 */
struct eddy_swf_job {
    int64_t id;
    double submit;
    double run;
    int64_t procs;
    double req;
    int64_t user;
    int64_t group;
    int64_t queue;
    size_t line;
};

/* Why a job line was skipped, checked in this order. */
typedef enum {
    EDDY_SWF_SKIP_NO_PROCS = 0, /* procs <= 0 */
    EDDY_SWF_SKIP_TOO_BIG = 1,  /* procs > P */
    EDDY_SWF_SKIP_NO_RUN = 2,   /* run < 0 */
    EDDY_SWF_SKIP_NREASONS = 3,
} eddy_swf_skip_t;

/* Create and destroy.  destroy (NULL) is a no-op and keeps errno. */
eddy_swf_t *eddy_swf_create (void);
void eddy_swf_destroy (eddy_swf_t *s);

/* Feed the next line (len bytes, not necessarily NUL-terminated; a
 * trailing "\n" or "\r\n" is ignored).  A line whose first non-blank
 * character is ';' is a header or comment line: "; Key: value" is recorded
 * as a header field.  Blank lines are ignored.  Anything else is a job
 * line: exactly 18 whitespace-separated numbers ("-1", "12", "3.75": a
 * fraction is truncated toward zero).  Returns 0, or -1 with errno EINVAL
 * and err "line N: ..." for a malformed line (the line is not recorded;
 * the caller may stop or go on), ENOMEM.
 */
int eddy_swf_feed (eddy_swf_t *s, const char *line, size_t len, eddy_error_t *err);

/* Feed a whole text buffer, line by line (stops at the first error). */
int eddy_swf_feed_text (eddy_swf_t *s, const char *text, size_t len, eddy_error_t *err);

/* Header fields.  header () borrows the value of "; Key: value" (the last
 * one if repeated; NULL + ENOENT when absent).  max_procs () and
 * max_nodes () are MaxProcs and MaxNodes as integers (-1 when absent or
 * not a number > 0).
 */
const char *eddy_swf_header (const eddy_swf_t *s, const char *key);
int64_t eddy_swf_max_procs (const eddy_swf_t *s);
int64_t eddy_swf_max_nodes (const eddy_swf_t *s);

/* Apply the skip rules for a machine of P processors (P > 0; P == 0 means
 * the header's MaxProcs) once every line has been fed.  Jobs keep file
 * order.  Returns 0, or -1 with EINVAL (P < 0, or P == 0 without a
 * usable MaxProcs) and err.  May be called again with another P.
 */
int eddy_swf_finish (eddy_swf_t *s, int64_t procs, eddy_error_t *err);

/* After finish (): the machine size, the kept jobs (borrowed; valid until
 * the next feed, finish or destroy) and skip counts.  lines () counts job
 * lines parsed (kept + skipped).
 */
int64_t eddy_swf_procs (const eddy_swf_t *s);
const struct eddy_swf_job *eddy_swf_jobs (const eddy_swf_t *s, size_t *count);
size_t eddy_swf_skipped (const eddy_swf_t *s, eddy_swf_skip_t reason);
size_t eddy_swf_lines (const eddy_swf_t *s);
const char *eddy_swf_skip_name (eddy_swf_skip_t reason);

#endif /* !EDDY_TRACES_SWF_H */
