/* sdnotify.h - telling systemd how a service is doing (sd_notify(3)'s
 * protocol, without libsystemd): one datagram of "NAME=VALUE" lines to the
 * AF_UNIX socket that $NOTIFY_SOCKET names.  Used by eddy-broker --system,
 * whose unit is Type=notify.
 */
#ifndef EDDY_CMD_SDNOTIFY_H
#define EDDY_CMD_SDNOTIFY_H

/* Sending
 *
 * eddy_sd_notify () sends state (e.g. "READY=1\nSTATUS=run") as one
 * datagram to path: a filesystem socket ("/run/systemd/notify") or, when
 * path begins with '@', the abstract socket named by the rest.  path NULL
 * or "" (not started by systemd) sends nothing and returns 0.  Returns 1
 * when the datagram was sent, or -1 with errno: EINVAL for a path that is
 * neither absolute nor abstract or too long for a socket address, else the
 * error of socket () or sendto () (ENOENT, ECONNREFUSED, ...).  No side
 * effects on failure; the socket is not kept open.
 */
int eddy_sd_notify (const char *path, const char *state);

#endif /* !EDDY_CMD_SDNOTIFY_H */
