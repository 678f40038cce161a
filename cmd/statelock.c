/* statelock.c - the state directory's lock: fcntl (F_SETLK) on DIR/lock.
 * A record lock (not flock) so that F_GETLK names the holder's pid; the
 * kernel drops it when the holder dies, however it dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/statelock.h"

struct eddy_statelock {
    int fd;
};

static int lock_path (const char *dir, char *buf, size_t size)
{
    if (!dir || !*dir) {
        errno = EINVAL;
        return -1;
    }
    if ((size_t)snprintf (buf, size, "%s/lock", dir) >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* The pid holding a write lock on fd's whole file, 0 for none. */
static pid_t holder_of (int fd)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl (fd, F_GETLK, &fl) < 0)
        return -1;
    return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

eddy_statelock_t *eddy_statelock_acquire (const char *dir, pid_t *holder)
{
    char path[4096];
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    eddy_statelock_t *l;
    int fd;

    if (holder)
        *holder = 0;
    if (lock_path (dir, path, sizeof (path)) < 0)
        return NULL;
    if ((fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        return NULL;
    if (fcntl (fd, F_SETLK, &fl) < 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            pid_t pid = holder_of (fd);
            if (holder && pid > 0)
                *holder = pid;
            e = EBUSY;
        }
        close (fd);
        errno = e;
        return NULL;
    }
    if (!(l = malloc (sizeof (*l)))) {
        close (fd); /* closing drops the lock */
        errno = ENOMEM;
        return NULL;
    }
    l->fd = fd;
    /* the pid is for people; the lock itself is the truth */
    char text[32];
    int n = snprintf (text, sizeof (text), "%d\n", (int)getpid ());
    if (ftruncate (fd, 0) == 0)
        (void)!pwrite (fd, text, (size_t)n, 0);
    return l;
}

void eddy_statelock_release (eddy_statelock_t *l)
{
    if (l) {
        int saved_errno = errno;
        close (l->fd);
        free (l);
        errno = saved_errno;
    }
}

pid_t eddy_statelock_holder (const char *dir)
{
    char path[4096];
    int fd;

    if (lock_path (dir, path, sizeof (path)) < 0)
        return -1;
    /* read-only would do for F_GETLK, but a lock file made 0600 by root
     * still answers here for root; a missing one means nobody holds it */
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : -1;
    pid_t pid = holder_of (fd);
    int e = errno;
    close (fd);
    errno = e;
    return pid;
}
