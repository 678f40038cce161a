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
        size_t n = strlen (pre);
        if (n + 2 < sizeof (err->text)) {
            memcpy (err->text, pre, n);
            memcpy (err->text + n, ": ", 2);
            size_t room = sizeof (err->text) - n - 3;
            size_t m = strnlen (old, room);
            memcpy (err->text + n + 2, old, m);
            err->text[n + 2 + m] = '\0';
        }
        else
            memcpy (err->text, pre, sizeof (err->text));
        errno = saved_errno;
    }
    return -1;
}
