/* error.c - eddy_error_t formatting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/error.h"

int eddy_error_set (eddy_error_t *err, const char *fmt, ...)
{
    if (err) {
        int saved_errno = errno;
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof (err->text), fmt, ap);
        va_end (ap);
        errno = saved_errno;
    }
    return -1;
}

int eddy_error_prefix (eddy_error_t *err, const char *fmt, ...)
{
    if (err) {
        int saved_errno = errno;
        char old[sizeof (err->text)];
        char pre[sizeof (err->text)];
        va_list ap;
        memcpy (old, err->text, sizeof (old));
        va_start (ap, fmt);
        vsnprintf (pre, sizeof (pre), fmt, ap);
        va_end (ap);
        snprintf (err->text, sizeof (err->text), "%s: %s", pre, old);
        errno = saved_errno;
    }
    return -1;
}
