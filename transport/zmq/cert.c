/* cert.c - generate, format, parse and load the instance's CURVE
 * certificate file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "transport/zmq/cert.h"

int eddy_zmq_cert_generate (struct eddy_zmq_cert *cert, eddy_error_t *err)
{
    struct eddy_zmq_cert c;

    if (!cert) {
        errno = EINVAL;
        return eddy_error_set (err, "cert: NULL");
    }
    if (!zmq_has ("curve")) {
        errno = ENOTSUP;
        return eddy_error_set (err, "libzmq was built without CURVE support");
    }
    if (zmq_curve_keypair (c.public_key, c.secret_key) < 0)
        return eddy_error_set (err, "zmq_curve_keypair: %s", zmq_strerror (errno));
    *cert = c;
    return 0;
}

char *eddy_zmq_cert_encode (const struct eddy_zmq_cert *cert)
{
    char *s;
    if (asprintf (
            &s,
            "# eddy CURVE certificate: the one keypair shared by every broker\n"
            "# of an instance.  Keep it secret: mode 0600, owned by the instance\n"
            "# owner.  Made by 'eddy keygen'.\n"
            "public-key = \"%s\"\n"
            "secret-key = \"%s\"\n",
            cert->public_key, cert->secret_key) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

static bool is_z85 (const char *s, size_t len)
{
    const char *alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (len != EDDY_CERT_KEY_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr (alphabet, s[i]))
            return false;
    return true;
}

static bool is_blank (char c)
{
    return c == ' ' || c == '\t';
}

/* One "name = "value"" line, already cut at its newline. */
static int parse_line (const char *p,
                       size_t len,
                       int lineno,
                       struct eddy_zmq_cert *c,
                       bool *have_pub,
                       bool *have_sec,
                       eddy_error_t *err)
{
    const char *end = p + len;
    const char *name = p;
    while (p < end && !is_blank (*p) && *p != '=')
        p++;
    size_t nlen = p - name;
    while (p < end && is_blank (*p))
        p++;
    if (p == end || *p != '=') {
        errno = EINVAL;
        return eddy_error_set (err, "line %d: expected name = \"value\"", lineno);
    }
    p++;
    while (p < end && is_blank (*p))
        p++;
    while (end > p && is_blank (end[-1]))
        end--;
    if (end - p < 2 || *p != '"' || end[-1] != '"') {
        errno = EINVAL;
        return eddy_error_set (err, "line %d: value must be in double quotes", lineno);
    }
    const char *val = p + 1;
    size_t vlen = end - p - 2;

    char *dst;
    bool *seen;
    if (nlen == 10 && !memcmp (name, "public-key", 10)) {
        dst = c->public_key;
        seen = have_pub;
    } else if (nlen == 10 && !memcmp (name, "secret-key", 10)) {
        dst = c->secret_key;
        seen = have_sec;
    } else {
        errno = EINVAL;
        return eddy_error_set (
            err, "line %d: unknown name (expected public-key or secret-key)", lineno);
    }
    if (*seen) {
        errno = EINVAL;
        return eddy_error_set (err, "line %d: %.10s given twice", lineno, name);
    }
    if (!is_z85 (val, vlen)) {
        errno = EINVAL;
        return eddy_error_set (err, "line %d: not a 40-character Z85 key", lineno);
    }
    memcpy (dst, val, vlen);
    dst[vlen] = '\0';
    *seen = true;
    return 0;
}

int eddy_zmq_cert_decode (const char *text,
                          size_t len,
                          struct eddy_zmq_cert *cert,
                          eddy_error_t *err)
{
    struct eddy_zmq_cert c;
    bool have_pub = false, have_sec = false;
    int lineno = 0;

    if ((!text && len > 0) || !cert) {
        errno = EINVAL;
        return eddy_error_set (err, "cert: NULL");
    }
    if (len > EDDY_CERT_FILE_MAX) {
        errno = EINVAL;
        return eddy_error_set (err, "larger than %d bytes", EDDY_CERT_FILE_MAX);
    }
    memset (&c, 0, sizeof (c));
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', end - p);
        const char *eol = nl ? nl : end;
        lineno++;
        if (memchr (p, '\0', eol - p)) {
            errno = EINVAL;
            return eddy_error_set (err, "line %d: contains a NUL byte", lineno);
        }
        const char *q = p;
        while (q < eol && (is_blank (*q) || *q == '\r'))
            q++;
        if (q < eol && *q != '#') {
            const char *e = eol;
            if (e > q && e[-1] == '\r')
                e--;
            if (parse_line (q, e - q, lineno, &c, &have_pub, &have_sec, err) < 0)
                return -1;
        }
        p = nl ? nl + 1 : end;
    }
    if (!have_pub || !have_sec) {
        errno = EINVAL;
        return eddy_error_set (err, "missing %s",
                               have_pub ? "secret-key" : "public-key");
    }
    char derived[EDDY_CERT_KEY_LEN + 1];
    if (zmq_curve_public (derived, c.secret_key) < 0) {
        errno = EINVAL;
        return eddy_error_set (err, "secret-key is not usable: %s",
                               zmq_strerror (errno));
    }
    if (strcmp (derived, c.public_key) != 0) {
        errno = EINVAL;
        return eddy_error_set (err, "public-key does not belong to secret-key");
    }
    *cert = c;
    return 0;
}

int eddy_zmq_cert_load (const char *path, struct eddy_zmq_cert *cert, eddy_error_t *err)
{
    struct stat st;
    char *buf = NULL;
    int fd;

    if (!path || !cert) {
        errno = EINVAL;
        return eddy_error_set (err, "cert: NULL");
    }
    if ((fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return eddy_error_set (err, "%s: %s", path, strerror (errno));
    if (fstat (fd, &st) < 0) {
        eddy_error_set (err, "%s: %s", path, strerror (errno));
        goto error;
    }
    if (!S_ISREG (st.st_mode)) {
        errno = EINVAL;
        eddy_error_set (err, "%s: not a regular file", path);
        goto error;
    }
    if (st.st_mode & 077) {
        errno = EPERM;
        eddy_error_set (err, "%s: readable by others (mode %04o): chmod 600 it", path,
                        (unsigned)(st.st_mode & 07777));
        goto error;
    }
    if (st.st_size > EDDY_CERT_FILE_MAX) {
        errno = EFBIG;
        eddy_error_set (err, "%s: larger than %d bytes", path, EDDY_CERT_FILE_MAX);
        goto error;
    }
    /* read to end of file, one byte past the limit to notice growth */
    size_t cap = EDDY_CERT_FILE_MAX + 1, len = 0;
    if (!(buf = malloc (cap))) {
        eddy_error_set (err, "%s: out of memory", path);
        goto error;
    }
    for (;;) {
        ssize_t n = read (fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            eddy_error_set (err, "%s: %s", path, strerror (errno));
            goto error;
        }
        if (n == 0)
            break;
        len += n;
        if (len == cap) {
            errno = EFBIG;
            eddy_error_set (err, "%s: larger than %d bytes", path, EDDY_CERT_FILE_MAX);
            goto error;
        }
    }
    if (eddy_zmq_cert_decode (buf, len, cert, err) < 0) {
        eddy_error_prefix (err, "%s", path);
        goto error;
    }
    free (buf);
    close (fd);
    return 0;
error : {
    int saved_errno = errno;
    free (buf);
    close (fd);
    errno = saved_errno;
    return -1;
}
}
