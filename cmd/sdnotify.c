/* sdnotify.c - the sd_notify datagram, written by hand (sdnotify.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/sdnotify.h"

/* Fill addr from path; the length to pass to sendto (), or 0 if path is
 * not a socket name. */
static socklen_t notify_addr (const char *path, struct sockaddr_un *addr)
{
    size_t len = strlen (path);

    if ((path[0] != '/' && path[0] != '@') || len < 2 || len > sizeof (addr->sun_path) - 1)
        return 0;
    memset (addr, 0, sizeof (*addr));
    addr->sun_family = AF_UNIX;
    memcpy (addr->sun_path, path, len);
    if (path[0] == '@') {
        /* abstract: a leading NUL, and the name is exactly len - 1 bytes
         * (no terminator counts, or it would be part of the name) */
        addr->sun_path[0] = '\0';
        return (socklen_t)(offsetof (struct sockaddr_un, sun_path) + len);
    }
    return (socklen_t)(offsetof (struct sockaddr_un, sun_path) + len + 1);
}

int eddy_sd_notify (const char *path, const char *state)
{
    struct sockaddr_un addr;
    socklen_t addrlen;
    int fd, saved;
    ssize_t n;

    if (!path || !*path)
        return 0;
    if (!state || !(addrlen = notify_addr (path, &addr))) {
        errno = EINVAL;
        return -1;
    }
    if ((fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    /* the kernel attaches our credentials: systemd's socket has SO_PASSCRED,
     * which is how it knows the datagram comes from the main process */
    n = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen);
    saved = errno;
    close (fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    if ((size_t)n != strlen (state)) {
        errno = EMSGSIZE;
        return -1;
    }
    return 1;
}
