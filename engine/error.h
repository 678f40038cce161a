/* error.h - human-readable error text that travels beside errno.
 *
 * Functions that can explain a failure take an eddy_error_t * (which may be
 * NULL) and fill it; the return value and errno still say that it failed.
 */
#ifndef EDDY_ERROR_H
#define EDDY_ERROR_H

typedef struct {
    char text[200];
} eddy_error_t;

/* Format into err (if not NULL) and return -1, so a caller can write
 * `return eddy_error_set (err, "bad %s", what);`.  errno is preserved.
 */
int eddy_error_set (eddy_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Like eddy_error_set (), but prefixes the existing text with the new one
 * ("new: old").
 */
int eddy_error_prefix (eddy_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif /* !EDDY_ERROR_H */
