/* fsd.c - RFC 23 duration strings. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/util/fsd.h"

static const struct unit {
    char suffix[4]; /* an array, not a pointer: keeps the table read-only */
    double scale;
} units[] = {
    {"", 1.}, {"ms", 1e-3}, {"s", 1.}, {"m", 60.}, {"h", 3600.}, {"d", 86400.},
};

static int invalid (eddy_error_t *err, const char *s, const char *why)
{
    eddy_error_set (err, "invalid duration '%.40s': %s", s, why);
    errno = EINVAL;
    return -1;
}

int eddy_fsd_parse (const char *s, double *seconds, eddy_error_t *err)
{
    if (!s || !seconds) {
        errno = EINVAL;
        return eddy_error_set (err, "invalid duration: NULL argument");
    }
    if (!strcasecmp (s, "inf") || !strcasecmp (s, "infinity")) {
        *seconds = INFINITY;
        return 0;
    }
    /* strtod would take signs, white space, hex, "nan" and "inf": allow
     * only a plain decimal to reach it.
     */
    const char *p = s;
    int digits = 0;
    while (isdigit ((unsigned char)*p) || *p == '.') {
        digits += *p != '.';
        p++;
    }
    if (digits == 0)
        return invalid (err, s, "expected a non-negative number");
    if ((*p == 'e' || *p == 'E') &&
        (isdigit ((unsigned char)p[1]) ||
         ((p[1] == '+' || p[1] == '-') && isdigit ((unsigned char)p[2])))) {
        p += 2;
        while (isdigit ((unsigned char)*p))
            p++;
    }
    char *end;
    errno = 0;
    double v = strtod (s, &end);
    if (end != p)
        return invalid (err, s, "malformed number");
    for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++) {
        if (!strcmp (p, units[i].suffix)) {
            double d = v * units[i].scale;
            if (!isfinite (d)) {
                eddy_error_set (err, "invalid duration '%.40s': too large", s);
                errno = ERANGE;
                return -1;
            }
            *seconds = d;
            return 0;
        }
    }
    return invalid (err, s, "unknown unit (use ms, s, m, h or d)");
}

int eddy_fsd_format_ex (char *buf, size_t len, double seconds, int precision)
{
    if (!buf || isnan (seconds) || seconds < 0 || precision < 1 || precision > 17) {
        errno = EINVAL;
        return -1;
    }
    if (isinf (seconds))
        return snprintf (buf, len, "infinity");
    const char *unit = "s";
    double v = seconds;
    if (seconds > 0 && seconds < 1.) {
        unit = "ms";
        v = seconds * 1000.;
    } else if (seconds >= 86400.) {
        unit = "d";
        v = seconds / 86400.;
    } else if (seconds >= 3600.) {
        unit = "h";
        v = seconds / 3600.;
    } else if (seconds >= 60.) {
        unit = "m";
        v = seconds / 60.;
    }
    return snprintf (buf, len, "%.*g%s", precision, v, unit);
}

int eddy_fsd_format (char *buf, size_t len, double seconds)
{
    return eddy_fsd_format_ex (buf, len, seconds, 6);
}
