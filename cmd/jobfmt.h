/* jobfmt.h - how `eddy jobs` writes and reads times: elapsed durations,
 * ISO local timestamps, and --since's TIME.
 */
#ifndef EDDY_CMD_JOBFMT_H
#define EDDY_CMD_JOBFMT_H

#include <stddef.h>

#include "engine/error.h"

/* An elapsed time in two units at most, as flux jobs writes RUNTIME:
 * "0.0s" ... "59.9s" (tenths, truncated), "2m3s", "1h2m", "1d3h".
 * Negative or NaN is written as "0.0s".  Returns buf.
 */
char *jobfmt_elapsed (double seconds, char *buf, size_t len);

/* t (seconds since the epoch) as local time, "2026-12-02T14:32:27"; ""
 * for t <= 0 (a time that has not come, e.g. t_run of a pending job).
 * Returns buf.
 */
char *jobfmt_iso (double t, char *buf, size_t len);

/* --since's TIME, relative to now: a duration ago (an FSD, "1d", "90m",
 * "30s", with or without a leading '-'), or a local ISO time
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS" (a space may
 * stand for the T).  Stores seconds since the epoch; returns 0, or -1 +
 * EINVAL with err saying why.
 */
int jobfmt_parse_since (const char *s, double now, double *t, eddy_error_t *err);

#endif /* !EDDY_CMD_JOBFMT_H */
