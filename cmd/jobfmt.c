/* jobfmt.c - elapsed and ISO times for `eddy jobs` (jobfmt.h). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/jobfmt.h"
#include "engine/util/fsd.h"

char *jobfmt_elapsed (double seconds, char *buf, size_t len)
{
    if (!(seconds > 0)) /* NaN too */
        seconds = 0;
    /* tenths are truncated so 59.99 s stays below a minute */
    double tenths = floor (seconds * 10);
    if (tenths < 600) {
        snprintf (buf, len, "%.1fs", tenths / 10);
        return buf;
    }
    unsigned long long s = (unsigned long long)seconds;
    if (s < 3600)
        snprintf (buf, len, "%llum%llus", s / 60, s % 60);
    else if (s < 86400)
        snprintf (buf, len, "%lluh%llum", s / 3600, s % 3600 / 60);
    else
        snprintf (buf, len, "%llud%lluh", s / 86400, s % 86400 / 3600);
    return buf;
}

char *jobfmt_iso (double t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (len > 0)
        buf[0] = '\0';
    if (t > 0 && localtime_r (&tt, &tm))
        strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

static int parse_iso (const char *s, double *t)
{
    static const char *const forms[] = {
        "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    };
    for (size_t i = 0; i < sizeof (forms) / sizeof (forms[0]); i++) {
        struct tm tm;
        memset (&tm, 0, sizeof (tm));
        const char *end = strptime (s, forms[i], &tm);
        if (!end || *end)
            continue;
        tm.tm_isdst = -1;
        time_t tt = mktime (&tm);
        if (tt == (time_t)-1)
            continue;
        *t = (double)tt;
        return 0;
    }
    return -1;
}

int jobfmt_parse_since (const char *s, double now, double *t, eddy_error_t *err)
{
    double ago;
    eddy_error_t ferr;

    if (!s || !*s) {
        eddy_error_set (err, "no time given");
        errno = EINVAL;
        return -1;
    }
    /* a date has a '-' after its first digits; a duration ago at most before them */
    if (strchr (s + 1, '-') || strchr (s, ':')) {
        if (parse_iso (s, t) == 0)
            return 0;
    }
    else if (eddy_fsd_parse (s[0] == '-' ? s + 1 : s, &ago, &ferr) == 0 && isfinite (ago)) {
        *t = now - ago;
        return 0;
    }
    eddy_error_set (err, "'%s' is neither a duration ago (-1h, 30m, 2d) nor a local time "
                         "(2026-01-31, 2026-01-31T08:00[:00])", s);
    errno = EINVAL;
    return -1;
}
