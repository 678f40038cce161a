/* statelock.h - one owner per state directory: a POSIX record lock on
 * DIR/lock, held by rank 0's broker for its whole life, so that a second
 * instance cannot open (and later overwrite) the KVS of a running one.
 */
#ifndef EDDY_STATELOCK_H
#define EDDY_STATELOCK_H

#include <sys/types.h>

typedef struct eddy_statelock eddy_statelock_t;

/* Take the lock on dir/lock, creating the file (mode 0600), and write this
 * process's pid into it for people who look.  Returns the lock (the caller
 * owns it) or NULL with errno: EBUSY when another process holds it, its
 * pid then in *holder (0 if the kernel does not say), or the error of
 * open/fcntl.  The lock is not inherited across fork: children never own
 * the directory.
 */
eddy_statelock_t *eddy_statelock_acquire (const char *dir, pid_t *holder);

/* Drop the lock and close the file.  NULL is a no-op; errno is kept. */
void eddy_statelock_release (eddy_statelock_t *l);

/* The pid of the process holding dir's lock, 0 when none does (or the
 * directory has no lock file yet), -1 with errno on error.  Only a probe:
 * the directory may be taken the moment after it answers 0.  Never call
 * it in the process that holds the lock: closing any descriptor of the
 * file drops a record lock, and a process never conflicts with itself.
 */
pid_t eddy_statelock_holder (const char *dir);

#endif /* !EDDY_STATELOCK_H */
