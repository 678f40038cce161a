/* system.h - where the system instance (eddy-broker --system, started by
 * systemd) keeps its socket and its state, for the broker and for the
 * clients that find it when EDDY_URI is not set.
 */
#ifndef EDDY_CMD_SYSTEM_H
#define EDDY_CMD_SYSTEM_H

/* The defaults (the unit's RuntimeDirectory= and StateDirectory=). */
#define EDDY_SYSTEM_RUNDIR "/run/eddy"
#define EDDY_SYSTEM_STATEDIR "/var/lib/eddy"

/* The system instance's runtime directory: $EDDY_SYSTEM_RUNDIR when set
 * and not empty (tests, or a site that moved it), else EDDY_SYSTEM_RUNDIR.
 * Its local socket is DIR/local.  Borrowed: do not free.
 */
const char *eddy_system_rundir (void);

/* "local://DIR/local" for that directory; the caller frees it.  NULL with
 * errno on failure.
 */
char *eddy_system_uri (void);

#endif /* !EDDY_CMD_SYSTEM_H */
