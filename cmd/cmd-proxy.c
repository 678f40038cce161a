/* cmd-proxy.c - reaching an instance through ssh.
 *
 *   ssh://[USER@]HOST[:PORT]/PATH   a URI every eddy client takes: the
 *       client runs `ssh [-p PORT] [USER@]HOST eddy relay PATH` and speaks
 *       the local protocol over its stdin and stdout (cmd/client.c);
 *   eddy relay PATH                the remote half: copies between its
 *       stdin/stdout and the broker's local socket PATH, so the broker sees
 *       the ssh user's credentials, as for any local client;
 *   eddy proxy URI [COMMAND...]    run COMMAND (default $SHELL) with
 *       EDDY_URI set to a private local socket that relays every
 *       connection to URI (one ssh per connection), or to URI itself when
 *       it is local://.
 * EDDY_SSH is the ssh command (default "ssh", split at spaces: options may
 * follow), EDDY_SSH_RCMD the remote eddy (default "eddy").
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"

static int relay_run (int argc, char **argv);
static int proxy_run (int argc, char **argv);

const struct eddy_cmd cmd_relay = {
    .name = "relay",
    .usage = "eddy relay PATH",
    .summary = "Copy stdin/stdout to a broker's local socket (the remote half of ssh://).",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("Run by an ssh:// client on the broker's host: PATH is the broker's\n"
                       "local socket (the path part of its local:// URI).\n"),
        EDDY_OPT_END,
    },
    .run = relay_run,
};

const struct eddy_cmd cmd_proxy = {
    .name = "proxy",
    .usage = "eddy proxy URI [COMMAND [ARGS...]]",
    .summary = "Run a command (default $SHELL) against the instance at URI.",
    .opts = (const struct eddy_opt[]){
        EDDY_OPT_TEXT ("URI is local:///PATH or ssh://[USER@]HOST[:PORT]/PATH.  For ssh, a private\n"
                       "local socket relays each connection through ssh (EDDY_SSH: the ssh\n"
                       "command, default ssh; EDDY_SSH_RCMD: the remote eddy, default eddy).\n"
                       "The exit status is COMMAND's.\n"),
        EDDY_OPT_END,
    },
    .run = proxy_run,
};

/* ---- the ssh:// URI, for cmd/client.c ---- */

struct ssh_uri {
    char *user, *host, *port, *path;
};

static void ssh_uri_free (struct ssh_uri *u)
{
    free (u->user);
    free (u->host);
    free (u->port);
    free (u->path);
}

/* ssh://[USER@]HOST[:PORT]/PATH; 0, or -1 with why */
static int ssh_uri_parse (const char *uri, struct ssh_uri *u, const char **why)
{
    memset (u, 0, sizeof (*u));
    if (strncmp (uri, "ssh://", 6)) {
        *why = "not an ssh:// URI";
        return -1;
    }
    const char *p = uri + 6, *slash = strchr (p, '/');
    if (!slash || slash == p || !slash[1]) {
        *why = "expected ssh://[USER@]HOST[:PORT]/PATH (PATH: the broker's local socket)";
        return -1;
    }
    char *auth = strndup (p, (size_t)(slash - p));
    char *at = strchr (auth, '@'), *host = auth;
    if (at) {
        *at = '\0';
        u->user = xstrdup (auth);
        host = at + 1;
    }
    char *colon = strrchr (host, ':');
    if (colon) {
        *colon = '\0';
        u->port = xstrdup (colon + 1);
        if (!*u->port || strspn (u->port, "0123456789") != strlen (u->port)) {
            free (auth);
            *why = "the port is not a number";
            return -1;
        }
    }
    if (!*host || (u->user && !*u->user)) {
        free (auth);
        *why = "no host (or an empty user)";
        return -1;
    }
    u->host = xstrdup (host);
    u->path = xstrdup (slash);
    free (auth);
    return 0;
}

/* Start `ssh ... HOST eddy relay PATH` with stdin and stdout on fd. */
static pid_t ssh_spawn (const struct ssh_uri *u, int fd)
{
    const char *ssh = getenv ("EDDY_SSH");
    const char *rcmd = getenv ("EDDY_SSH_RCMD");
    char *copy = xstrdup (ssh && *ssh ? ssh : "ssh");
    char *argv[64];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r (copy, " ", &save); t && n < 48; t = strtok_r (NULL, " ", &save))
        argv[n++] = t;
    char *dest = u->user ? xasprintf ("%s@%s", u->user, u->host) : xstrdup (u->host);
    if (u->port) {
        argv[n++] = "-p";
        argv[n++] = u->port;
    }
    argv[n++] = "-o";
    argv[n++] = "BatchMode=yes";
    argv[n++] = dest;
    argv[n++] = (char *)(rcmd && *rcmd ? rcmd : "eddy");
    argv[n++] = "relay";
    argv[n++] = u->path;
    argv[n] = NULL;
    pid_t pid = fork ();
    if (pid == 0) {
        dup2 (fd, 0);
        dup2 (fd, 1);
        if (fd > 1)
            close (fd);
        execvp (argv[0], argv);
        fprintf (stderr, "eddy-proxy: %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    free (dest);
    free (copy);
    return pid;
}

/* For cmd/client.c: a stream to the broker an ssh:// URI names (the
 * caller's end of a socketpair), or -1 with why. */
int client_ssh_connect (const char *uri, const char **why)
{
    struct ssh_uri u;
    int sv[2];
    if (ssh_uri_parse (uri, &u, why) < 0)
        return -1;
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        *why = strerror (errno);
        ssh_uri_free (&u);
        return -1;
    }
    pid_t pid = ssh_spawn (&u, sv[1]);
    close (sv[1]);
    ssh_uri_free (&u);
    if (pid < 0) {
        close (sv[0]);
        *why = strerror (errno);
        return -1;
    }
    return sv[0];
}

/* ---- eddy relay ---- */

static int relay_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_relay, NULL, argc, argv);
    argc -= i - 1;
    argv += i - 1;
    if (argc != 2 || argv[1][0] != '/')
        eddy_cmd_die ("relay", "expected the broker's socket as an absolute PATH");
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen (argv[1]) >= sizeof (sun.sun_path))
        eddy_cmd_die ("relay", "%s: path too long", argv[1]);
    strcpy (sun.sun_path, argv[1]);
    int s = socket (AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || connect (s, (struct sockaddr *)&sun, sizeof (sun)) < 0)
        eddy_cmd_die ("relay", "%s: %s", argv[1], strerror (errno));
    signal (SIGPIPE, SIG_IGN);
    struct pollfd pf[2] = { { .fd = 0, .events = POLLIN }, { .fd = s, .events = POLLIN } };
    char buf[65536];
    bool in_open = true;
    for (;;) {
        pf[0].fd = in_open ? 0 : -1;
        if (poll (pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            eddy_cmd_die ("relay", "poll: %s", strerror (errno));
        }
        if (in_open && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read (0, buf, sizeof (buf));
            if (n <= 0) {
                in_open = false;
                shutdown (s, SHUT_WR); /* the client is gone: so is its side */
            } else if (write (s, buf, (size_t)n) != n)
                return 1;
        }
        if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read (s, buf, sizeof (buf));
            if (n <= 0)
                return 0; /* the broker closed */
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write (1, buf + off, (size_t)(n - off));
                if (w <= 0)
                    return 1;
                off += w;
            }
        }
    }
}

/* ---- eddy proxy ---- */

static volatile sig_atomic_t child_done;

static void on_chld (int sig)
{
    (void)sig;
    child_done = 1;
}

static int proxy_run (int argc, char **argv)
{
    int i = eddy_opt_operands (&cmd_proxy, NULL, argc, argv);
    argc -= i - 1;
    argv += i - 1;
    if (argc < 2)
        eddy_cmd_die ("proxy", "expected URI [COMMAND...]");
    const char *uri = argv[1];
    char *shell_argv[] = { getenv ("SHELL") ? getenv ("SHELL") : "/bin/sh", NULL };
    char **cmd = argc > 2 ? argv + 2 : shell_argv;
    if (!strncmp (uri, "local://", 8)) {
        if (setenv ("EDDY_URI", uri, 1) < 0)
            eddy_cmd_die ("proxy", "setenv: %s", strerror (errno));
        execvp (cmd[0], cmd);
        eddy_cmd_die ("proxy", "%s: %s", cmd[0], strerror (errno));
    }
    struct ssh_uri u;
    const char *why;
    if (ssh_uri_parse (uri, &u, &why) < 0)
        eddy_cmd_die ("proxy", "%s: %s (or local:///PATH)", uri, why);
    /* a private socket that relays each connection through ssh */
    const char *tmp = getenv ("TMPDIR");
    char *dir = xasprintf ("%s/eddy-proxy.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (dir))
        eddy_cmd_die ("proxy", "%s: %s", dir, strerror (errno));
    char *sock = xasprintf ("%s/local", dir);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen (sock) >= sizeof (sun.sun_path))
        eddy_cmd_die ("proxy", "%s: path too long", sock);
    strcpy (sun.sun_path, sock);
    int ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || bind (ls, (struct sockaddr *)&sun, sizeof (sun)) < 0 || listen (ls, 64) < 0)
        eddy_cmd_die ("proxy", "%s: %s", sock, strerror (errno));
    struct sigaction sa = { .sa_handler = on_chld };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGCHLD, &sa, NULL);
    char *local = xasprintf ("local://%s", sock);
    pid_t child = fork ();
    if (child < 0)
        eddy_cmd_die ("proxy", "fork: %s", strerror (errno));
    if (child == 0) {
        close (ls);
        setenv ("EDDY_URI", local, 1);
        execvp (cmd[0], cmd);
        fprintf (stderr, "eddy-proxy: %s: %s\n", cmd[0], strerror (errno));
        _exit (127);
    }
    pid_t relays[1024];
    int nrelays = 0, status = 0;
    for (;;) {
        int st;
        pid_t p;
        while ((p = waitpid (-1, &st, WNOHANG)) > 0) {
            if (p == child) {
                status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
                goto out;
            }
            for (int i = 0; i < nrelays; i++)
                if (relays[i] == p)
                    relays[i] = relays[--nrelays];
        }
        struct pollfd pf = { .fd = ls, .events = POLLIN };
        int rc = poll (&pf, 1, 200);
        if (rc <= 0)
            continue;
        int c = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        if (nrelays == (int)(sizeof (relays) / sizeof (relays[0]))) {
            close (c);
            continue;
        }
        /* ssh's stdin and stdout are the connection itself */
        int fd = dup (c); /* without CLOEXEC, for the child */
        pid_t r = fd >= 0 ? ssh_spawn (&u, fd) : -1;
        if (fd >= 0)
            close (fd);
        close (c);
        if (r > 0)
            relays[nrelays++] = r;
    }
out:
    for (int i = 0; i < nrelays; i++)
        kill (relays[i], SIGTERM);
    while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    close (ls);
    unlink (sock);
    rmdir (dir);
    free (sock);
    free (dir);
    free (local);
    ssh_uri_free (&u);
    return status;
}
