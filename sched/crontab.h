/* crontab.h - crontab(5) time specifications: parse the five fields and
 * find the next matching minute.  Pure functions: times are seconds since
 * the epoch (as eddy_reactor_now () gives them), broken down in UTC plus
 * a fixed offset (the caller's local offset, so no time zone file is read
 * here).
 */
#ifndef EDDY_SCHED_CRONTAB_H
#define EDDY_SCHED_CRONTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"

struct eddy_crontab {
    uint64_t minute;  /* bit m: minute m (0-59) matches */
    uint32_t hour;    /* 0-23 */
    uint32_t mday;    /* 1-31 */
    uint16_t month;   /* 1-12 */
    uint8_t wday;     /* 0-6, Sunday = 0 (7 is read as 0) */
    bool mday_any, wday_any; /* "*": when only one of the two is restricted, it alone counts */
    int utc_offset;   /* seconds east of UTC */
};

/* Parse "MIN HOUR MDAY MONTH WDAY" (each "*", "N", "A-B", "*\/S", "A-B/S",
 * or a comma list of those; month and weekday also by three-letter
 * names).  -1 EINVAL + err naming the field.
 */
int eddy_crontab_parse (struct eddy_crontab *ct, const char *spec, int utc_offset,
                        eddy_error_t *err);

/* The first whole minute strictly after `after` that matches, or -1 if
 * none in the next 5 years (e.g. "0 0 31 2 *").
 */
double eddy_crontab_next (const struct eddy_crontab *ct, double after);

#endif /* !EDDY_SCHED_CRONTAB_H */
