/* crontab.c - crontab(5) fields and the next matching minute. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched/crontab.h"

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const wday_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* A number or (for month and weekday) a name; -1 if neither. */
static long value (const char *s, size_t len, const char *const *names, int nnames, int base)
{
    if (len == 0)
        return -1;
    if (isdigit ((unsigned char)s[0])) {
        long v = 0;
        for (size_t i = 0; i < len; i++) {
            if (!isdigit ((unsigned char)s[i]) || v > 1000)
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    }
    for (int i = 0; names && i < nnames; i++)
        if (len == 3 && !strncasecmp (s, names[i], 3))
            return i + base;
    return -1;
}

/* One field into a bit set of [lo, hi]; *any set for "*". */
static int field (const char *s, size_t len, int lo, int hi, const char *const *names, int nnames,
                  int base, uint64_t *bits, bool *any)
{
    *bits = 0;
    *any = len == 1 && s[0] == '*';
    const char *end = s + len;
    while (s < end) {
        const char *comma = memchr (s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        const char *slash = memchr (s, '/', (size_t)(item_end - s));
        const char *range_end = slash ? slash : item_end;
        long a, b, step = 1;
        if (range_end - s == 1 && *s == '*') {
            a = lo;
            b = hi;
        } else {
            const char *dash = memchr (s, '-', (size_t)(range_end - s));
            a = value (s, (size_t)((dash ? dash : range_end) - s), names, nnames, base);
            b = dash ? value (dash + 1, (size_t)(range_end - dash - 1), names, nnames, base) : a;
            if (slash && !dash)
                b = hi; /* "N/S": from N to the end */
        }
        if (slash && (step = value (slash + 1, (size_t)(item_end - slash - 1), NULL, 0, 0)) < 1)
            return -1;
        if (a < lo || b > hi || a > b)
            return -1;
        for (long v = a; v <= b; v += step)
            *bits |= UINT64_C (1) << v;
        s = comma ? comma + 1 : end;
        if (comma && s == end)
            return -1; /* a trailing comma */
    }
    return *bits ? 0 : -1;
}

int eddy_crontab_parse (struct eddy_crontab *ct, const char *spec, int utc_offset,
                        eddy_error_t *err)
{
    static const char *const what[] = { "minute (0-59)", "hour (0-23)", "day of month (1-31)",
                                        "month (1-12 or jan-dec)", "day of week (0-7 or sun-sat)" };
    const char *p = spec;
    uint64_t bits[5];
    bool any[5];
    int n = 0;

    if (!ct || !spec) {
        errno = EINVAL;
        return eddy_error_set (err, "no crontab fields");
    }
    memset (ct, 0, sizeof (*ct));
    while (*p && n < 5) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        int rc;
        switch (n) {
        case 0: rc = field (s, (size_t)(p - s), 0, 59, NULL, 0, 0, &bits[0], &any[0]); break;
        case 1: rc = field (s, (size_t)(p - s), 0, 23, NULL, 0, 0, &bits[1], &any[1]); break;
        case 2: rc = field (s, (size_t)(p - s), 1, 31, NULL, 0, 0, &bits[2], &any[2]); break;
        case 3: rc = field (s, (size_t)(p - s), 1, 12, month_names, 12, 1, &bits[3], &any[3]); break;
        default: rc = field (s, (size_t)(p - s), 0, 7, wday_names, 7, 0, &bits[4], &any[4]); break;
        }
        if (rc < 0) {
            errno = EINVAL;
            return eddy_error_set (err, "'%.*s' is not a %s", (int)(p - s), s, what[n]);
        }
        n++;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (n < 5 || *p) {
        errno = EINVAL;
        return eddy_error_set (err, "expected 5 fields (minute hour day-of-month month "
                                    "day-of-week), got %s",
                               n < 5 ? "fewer" : "more");
    }
    ct->minute = bits[0];
    ct->hour = (uint32_t)bits[1];
    ct->mday = (uint32_t)bits[2];
    ct->month = (uint16_t)bits[3];
    ct->wday = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
    ct->mday_any = any[2];
    ct->wday_any = any[4];
    ct->utc_offset = utc_offset;
    return 0;
}

/* Days since 1970-01-01 to year, month (1-12), day (1-31). */
static void civil (long z, long *y, int *m, int *d)
{
    z += 719468; /* days from 0000-03-01 */
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;                                 /* [0, 146096] */
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          /* [0, 365] */
    long mp = (5 * doy + 2) / 153;                               /* [0, 11], March = 0 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool day_matches (const struct eddy_crontab *ct, int mday, int wday)
{
    bool md = ct->mday & (UINT32_C (1) << mday), wd = ct->wday & (1u << wday);
    if (ct->mday_any && ct->wday_any)
        return true;
    if (ct->mday_any)
        return wd;
    if (ct->wday_any)
        return md;
    return md || wd; /* both restricted: either one (crontab(5)) */
}

double eddy_crontab_next (const struct eddy_crontab *ct, double after)
{
    /* whole local minutes since the epoch */
    long t = (long)floor ((after + ct->utc_offset) / 60.0) + 1;
    long limit = t + 5L * 366 * 1440;
    while (t < limit) {
        long days = t >= 0 ? t / 1440 : -((-t + 1439) / 1440);
        long y;
        int m, d;
        civil (days, &y, &m, &d);
        int wday = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
        long in_day = t - days * 1440;
        if (!(ct->month & (1u << m))) {
            /* the first day of the next month */
            long dd = days;
            int mm = m;
            while (mm == m) {
                dd++;
                long yy;
                int d2;
                civil (dd, &yy, &mm, &d2);
            }
            t = dd * 1440;
            continue;
        }
        if (!day_matches (ct, d, wday)) {
            t = (days + 1) * 1440;
            continue;
        }
        int hh = (int)(in_day / 60), mi = (int)(in_day % 60);
        if (!(ct->hour & (UINT32_C (1) << hh))) {
            t = days * 1440 + (hh + 1) * 60;
            continue;
        }
        if (!(ct->minute & (UINT64_C (1) << mi))) {
            t++;
            continue;
        }
        (void)y;
        return (double)t * 60.0 - ct->utc_offset;
    }
    return -1;
}
