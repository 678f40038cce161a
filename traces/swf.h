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

/* Bounds.  A trace is untrusted input, and a number-shaped value can still
 * be one no replay can represent or finish (a submit time of 2^63 - 1, a
 * machine of 10^14 processors).  Such a value refuses the trace: feed ()
 * fails naming the line, the field, the value and the limit.  Every trace
 * of the Parallel Workloads Archive lies well inside.
 *
 * EDDY_SWF_SUBMIT_MAX: submit times are 0 .. 2^29 - 1 s (17 years; SWF
 *   counts from 0 and the longest archive log spans under 4 years).  A
 *   replay maps the first submit just after boot, and every job's id
 *   (FLUID, RFC 19) carries its virtual submit time in milliseconds in
 *   its top bits; ids travel as JSON integers, signed 64-bit, so that
 *   time must stay below 2^39 ms (17.4 years): 2^29 - 1 s leaves the boot
 *   some 149 days.
 * EDDY_SWF_TIME_MAX: run and requested times are at most 2^31 - 1 s (68
 *   years), the largest value of a signed 32-bit field; batch systems
 *   write it for "no limit" (CEA Curie's requests hold 2147483647), and
 *   nothing longer comes from a real log.  Exact in a double, as every sum
 *   of such times a replay makes.
 * EDDY_SWF_PROCS_MAX: MaxProcs, MaxNodes and the machine size P are at
 *   most 2^24 (16,777,216) processors: 1.5 times the largest machine of
 *   2024 (El Capitan, 11 M cores), 16 cores on each of the 2^20 nodes a
 *   replay can boot.  A job that asks for more than P (any count that
 *   fits 64 bits) is skipped as procs > P, DESIGN.md's rule, so a kept
 *   job's procs always fits an int.
 * Numbers that do not fit in 64 bits are errors as well.
 */
#define EDDY_SWF_SUBMIT_MAX 536870911 /* 2^29 - 1 s */
#define EDDY_SWF_TIME_MAX 2147483647  /* 2^31 - 1 s */
#define EDDY_SWF_PROCS_MAX 16777216   /* 2^24 processors */

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
 * fraction is truncated toward zero), each within int64.  Returns 0, or
 * -1 with errno EINVAL and err "line N: ..." for a malformed line or a
 * value past the bounds above (a submit time outside 0 .. SUBMIT_MAX, a
 * run or request above TIME_MAX, a MaxProcs or MaxNodes above PROCS_MAX;
 * the line is not recorded; the caller may stop or go on), ENOMEM.
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
 * order.  Returns 0, or -1 with EINVAL (P < 0, P > EDDY_SWF_PROCS_MAX, or
 * P == 0 without a usable MaxProcs) and err.  May be called again with
 * another P.
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
