/* forge-cred.c - a client that lies about who it is, for the access tests:
 * it writes one request frame by hand on a local socket, with the
 * credentials it is told to claim (default uid 0 with the owner's role),
 * and prints the response.  The broker must stamp the peer's real uid.
 *
 * usage: forge-cred [-u UID] SOCKET TOPIC [JSON]
 * prints "ok PAYLOAD" or "error ERRNUM: TEXT"; exits 0 on a response of
 * either kind, 2 on a usage or connection error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <jansson.h>

#include "config.h"
#include "engine/msg.h"

#define MATCHTAG 7

static int write_all (int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write (fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all (int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read (fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void die (const char *fmt, const char *arg)
{
    fprintf (stderr, "forge-cred: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, "\n");
    exit (2);
}

int main (int argc, char **argv)
{
    uint32_t uid = 0;
    int i = 1;

    if (argc > 2 && !strcmp (argv[1], "-u")) {
        uid = (uint32_t)strtoul (argv[2], NULL, 10);
        i = 3;
    }
    if (argc - i < 2 || argc - i > 3)
        die ("%s", "usage: forge-cred [-u UID] SOCKET TOPIC [JSON]");
    const char *path = argv[i], *topic = argv[i + 1];
    json_t *payload = NULL;
    if (argc - i == 3 && !(payload = json_loads (argv[i + 2], 0, NULL)))
        die ("not JSON: %s", argv[i + 2]);

    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen (path) >= sizeof (sun.sun_path))
        die ("socket path too long: %s", path);
    strcpy (sun.sun_path, path);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect (fd, (struct sockaddr *)&sun, sizeof (sun)) < 0)
        die ("connect: %s", strerror (errno));

    eddy_msg_t *msg = eddy_msg_create (EDDY_MSGTYPE_REQUEST, topic);
    if (!msg)
        die ("bad topic: %s", topic);
    eddy_msg_set_cred (msg, uid, EDDY_ROLE_OWNER);
    eddy_msg_set_matchtag (msg, MATCHTAG);
    if (payload)
        eddy_msg_take_payload (msg, payload);
    void *frame;
    size_t len;
    if (eddy_msg_encode (msg, EDDY_WIRE_VERSION, &frame, &len) < 0)
        die ("encode: %s", strerror (errno));
    uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };
    if (write_all (fd, hdr, 4) < 0 || write_all (fd, frame, len) < 0)
        die ("write: %s", strerror (errno));
    free (frame);
    eddy_msg_decref (msg);

    for (;;) {
        if (read_all (fd, hdr, 4) < 0)
            die ("%s", "the broker closed the connection without an answer");
        len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
        if (len > 64 * 1024 * 1024 || !(frame = malloc (len ? len : 1)))
            die ("%s", "frame too long");
        if (read_all (fd, frame, len) < 0)
            die ("%s", "truncated frame");
        eddy_msg_t *rsp = eddy_msg_decode (frame, len, EDDY_WIRE_VERSION, NULL, NULL);
        free (frame);
        if (!rsp)
            die ("%s", "undecodable frame");
        if (eddy_msg_type (rsp) == EDDY_MSGTYPE_CONTROL && eddy_msg_errnum (rsp)) {
            printf ("error %d: %s\n", eddy_msg_errnum (rsp),
                    eddy_msg_errstr (rsp) ? eddy_msg_errstr (rsp) : "");
            return 0;
        }
        if (eddy_msg_type (rsp) == EDDY_MSGTYPE_RESPONSE && eddy_msg_matchtag (rsp) == MATCHTAG) {
            if (eddy_msg_errnum (rsp))
                printf ("error %d: %s\n", eddy_msg_errnum (rsp),
                        eddy_msg_errstr (rsp) ? eddy_msg_errstr (rsp) : "");
            else {
                char *s = eddy_msg_payload (rsp) ? json_dumps (eddy_msg_payload (rsp), JSON_COMPACT)
                                                 : NULL;
                printf ("ok %s\n", s ? s : "{}");
                free (s);
            }
            eddy_msg_decref (rsp);
            close (fd);
            return 0;
        }
        eddy_msg_decref (rsp);
    }
}
