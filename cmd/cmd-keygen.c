/* cmd-keygen.c - `eddy keygen [--force] PATH`: write the instance's CURVE
 * certificate (one keypair shared by every broker), mode 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "transport/zmq/cert.h"

static int keygen_run (int argc, char **argv);

const struct eddy_cmd cmd_keygen = {
    .name = "keygen",
    .usage = "eddy keygen [--force] PATH",
    .summary = "Write a new CURVE certificate for an instance's overlay.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Writes a fresh keypair to PATH (mode 0600).  Every broker of the\n"
                       "instance reads the same certificate.\n"
                       "\n"),
        EDDY_OPT_FLAG ("force", 'f', "replace PATH if it exists"),
        EDDY_OPT_FLAG ("help", 'h', "show this help"),
        EDDY_OPT_END,
    },
    .run = keygen_run,
};

static int write_all (int fd, const char *s)
{
    size_t len = strlen (s);
    while (len > 0) {
        ssize_t n = write (fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        s += n;
        len -= n;
    }
    return 0;
}

/* Replace path atomically: a private temporary file beside it, renamed. */
static void write_replacing (const char *path, const char *text)
{
    char *tmp = xasprintf ("%s.XXXXXX", path);
    int fd = mkstemp (tmp);
    if (fd < 0)
        eddy_cmd_die ("keygen", "%s: %s", tmp, strerror (errno));
    if (fchmod (fd, 0600) < 0 || write_all (fd, text) < 0 || fsync (fd) < 0) {
        int e = errno;
        unlink (tmp);
        eddy_cmd_die ("keygen", "%s: %s", tmp, strerror (e));
    }
    if (close (fd) < 0 || rename (tmp, path) < 0) {
        int e = errno;
        unlink (tmp);
        eddy_cmd_die ("keygen", "%s: %s", path, strerror (e));
    }
    free (tmp);
}

static void write_new (const char *path, const char *text)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            eddy_cmd_die ("keygen", "%s: file exists (use --force)", path);
        eddy_cmd_die ("keygen", "%s: %s", path, strerror (errno));
    }
    if (fchmod (fd, 0600) < 0 || write_all (fd, text) < 0 || fsync (fd) < 0 ||
        close (fd) < 0) {
        int e = errno;
        unlink (path);
        eddy_cmd_die ("keygen", "%s: %s", path, strerror (e));
    }
}

static int keygen_run (int argc, char **argv)
{
    bool force = false;
    struct eddy_zmq_cert cert;
    eddy_error_t err = {{0}};
    int c;

    optind = 1;
    while ((c = eddy_opt_next (&cmd_keygen, NULL, EDDY_OPT_INORDER, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        default:
            eddy_cmd_unhandled (&cmd_keygen, c);
        }
    }
    eddy_cmd_operands (&cmd_keygen, NULL, argc, argv, optind, 1, 1,
                       "needs the PATH of the certificate to write");
    const char *path = argv[optind];
    if (!*path)
        eddy_cmd_die ("keygen", "PATH is empty");

    if (eddy_zmq_cert_generate (&cert, &err) < 0)
        eddy_cmd_die ("keygen", "%s", err.text);
    char *text = eddy_zmq_cert_encode (&cert);
    if (!text)
        eddy_cmd_die ("keygen", "out of memory");
    if (force)
        write_replacing (path, text);
    else
        write_new (path, text);
    /* the secret key must not linger in freed memory longer than needed */
    explicit_bzero (text, strlen (text));
    explicit_bzero (&cert, sizeof (cert));
    free (text);
    return 0;
}
