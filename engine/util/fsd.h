/* fsd.h - RFC 23 Flux Standard Duration: "30s", "1.5m", "2h", "1d", "inf",
 * "500ms" or a plain number of seconds, and back to text like flux-core.
 */
#ifndef EDDY_UTIL_FSD_H
#define EDDY_UTIL_FSD_H

#include <stddef.h>

#include "engine/error.h"

/* parse () stores the duration in seconds (INFINITY for "inf"/"infinity",
 * any case).  The number is a non-negative decimal (strtod syntax without
 * sign, hex, nan or inf) followed by nothing or one of ms, s, m, h, d.
 * Returns 0, or -1 + EINVAL (err filled) for anything else, ERANGE if the
 * result is not finite.  *seconds is untouched on failure.
 */
int eddy_fsd_parse (const char *s, double *seconds, eddy_error_t *err);

/* format () writes seconds in the largest unit it reaches (ms below 1 s, s
 * below 1 min, m below 1 h, h below 1 d, else d), with %g's 6 significant
 * digits: 62 -> "1.03333m", 0.001 -> "1ms", INFINITY -> "infinity".
 * format_ex () uses `precision` significant digits instead.  Both return
 * the length written (snprintf style: >= len means truncated), or -1 +
 * EINVAL for a negative or NaN duration, a NULL buf or bad precision.
 */
int eddy_fsd_format (char *buf, size_t len, double seconds);
int eddy_fsd_format_ex (char *buf, size_t len, double seconds, int precision);

#endif /* !EDDY_UTIL_FSD_H */
