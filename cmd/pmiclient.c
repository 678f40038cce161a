/* pmiclient.c - a broker's blocking PMI-1 client (pmiclient.h), over the
 * line parser the server and libpmi.so share (exec/pmi_wire.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/pmiclient.h"
#include "cmd/pmisign.h"
#include "exec/pmi_wire.h"

struct eddy_pmi_client {
    int fd;
    int rank, size;
    double timeout;
    int debug;
    char kvsname[PMI_WIRE_KVSNAME_MAX];
    int keylen_max, vallen_max;
    char in[PMI_WIRE_MAXLINE]; /* bytes read past the last reply */
    size_t inlen;
    struct pmi_wire_cmd reply;
    bool sign_try;      /* put signs when munged answers */
    bool sign_required; /* put must sign, get must verify */
    bool signed_any;    /* a value put or got was signed */
    char *munge_socket; /* NULL: libmunge's default */
};

static double now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void trace (const eddy_pmi_client_t *pc, const char *dir, const char *line, size_t len)
{
    if (pc->debug)
        fprintf (stderr, "eddy-pmi[%d]: %s %.*s\n", pc->rank, dir, (int)len, line);
}

static int env_int (const char *name, int *v, eddy_error_t *err)
{
    const char *s = getenv (name);
    char *end;
    long n;

    if (!s || !*s) {
        errno = ENOENT;
        return eddy_error_set (err, "%s is not set", name);
    }
    errno = 0;
    n = strtol (s, &end, 10);
    if (errno || *end || n < 0 || n > 0x7fffffff) {
        errno = EINVAL;
        return eddy_error_set (err, "%s='%s' is not a number", name, s);
    }
    *v = (int)n;
    return 0;
}

int eddy_pmi_client_present (void)
{
    return getenv ("PMI_FD") && getenv ("PMI_RANK") && getenv ("PMI_SIZE");
}

static int send_line (eddy_pmi_client_t *pc, const char *line, eddy_error_t *err)
{
    size_t len = strlen (line);
    trace (pc, "->", line, len - 1);
    while (len > 0) {
        ssize_t n = write (pc->fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EPIPE;
            eddy_error_set (err, "writing to PMI_FD %d: %s", pc->fd, strerror (e));
            errno = e;
            return -1;
        }
        line += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One reply into pc->reply, within the timeout. */
static int read_reply (eddy_pmi_client_t *pc, eddy_error_t *err)
{
    double deadline = now () + pc->timeout;
    for (;;) {
        char *nl = memchr (pc->in, '\n', pc->inlen);
        if (nl) {
            size_t len = (size_t)(nl - pc->in);
            trace (pc, "<-", pc->in, len);
            int rc = pmi_wire_parse (pc->in, len, &pc->reply);
            memmove (pc->in, nl + 1, pc->inlen - len - 1);
            pc->inlen -= len + 1;
            if (rc < 0) {
                errno = EPROTO;
                return eddy_error_set (err, "the PMI server sent a malformed line");
            }
            return 0;
        }
        if (pc->inlen == sizeof (pc->in)) {
            errno = EPROTO;
            return eddy_error_set (err, "the PMI server sent a line too long");
        }
        double left = deadline - now ();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return eddy_error_set (err, "no reply from the PMI server in %.0f s", pc->timeout);
        }
        struct pollfd p = { .fd = pc->fd, .events = POLLIN };
        int n = poll (&p, 1, (int)(left * 1000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return eddy_error_set (err, "poll PMI_FD: %s", strerror (errno));
        if (n == 0)
            continue;
        ssize_t got = read (pc->fd, pc->in + pc->inlen, sizeof (pc->in) - pc->inlen);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            int e = got < 0 ? errno : EPIPE;
            eddy_error_set (err, "reading PMI_FD %d: %s", pc->fd,
                            got < 0 ? strerror (e) : "the PMI server closed the connection");
            errno = e;
            return -1;
        }
        pc->inlen += (size_t)got;
    }
}

/* Send line; the reply must be cmd=expect, with rc=0 if it has an rc. */
static int call (eddy_pmi_client_t *pc, const char *line, const char *expect, eddy_error_t *err)
{
    int rc = 0;
    if (send_line (pc, line, err) < 0 || read_reply (pc, err) < 0)
        return -1;
    if (strcmp (pc->reply.cmd, expect) != 0) {
        errno = EPROTO;
        return eddy_error_set (err, "the PMI server answered cmd=%.40s, not cmd=%s", pc->reply.cmd,
                               expect);
    }
    if (pmi_wire_get (&pc->reply, "rc")
        && (pmi_wire_get_int (&pc->reply, "rc", &rc) < 0 || rc != 0)) {
        const char *msg = pmi_wire_get (&pc->reply, "msg");
        errno = EPROTO;
        return eddy_error_set (err, "%s: rc=%d%s%.80s", expect, rc, msg ? " " : "", msg ? msg : "");
    }
    return 0;
}

eddy_pmi_client_t *eddy_pmi_client_create (double timeout, eddy_error_t *err)
{
    eddy_pmi_client_t *pc = calloc (1, sizeof (*pc));
    const char *dbg = getenv ("EDDY_PMI_DEBUG");
    eddy_error_t e;

    if (!pc) {
        eddy_error_set (err, "out of memory");
        return NULL;
    }
    pc->fd = -1;
    pc->timeout = timeout > 0 ? timeout : 60.0;
    pc->debug = dbg && *dbg && strcmp (dbg, "0");
    if (env_int ("PMI_FD", &pc->fd, err) < 0 || env_int ("PMI_RANK", &pc->rank, err) < 0
        || env_int ("PMI_SIZE", &pc->size, err) < 0)
        goto error;
    if (pc->size < 1 || pc->rank >= pc->size) {
        eddy_error_set (err, "PMI_RANK %d is not a rank of PMI_SIZE %d", pc->rank, pc->size);
        errno = EINVAL;
        goto error;
    }
    if (fcntl (pc->fd, F_GETFD) < 0) {
        eddy_error_set (err, "PMI_FD %d is not an open descriptor", pc->fd);
        errno = EBADF;
        goto error;
    }
    /* tasks the broker starts must not inherit the job's PMI connection */
    fcntl (pc->fd, F_SETFD, FD_CLOEXEC);
    if (call (pc, "cmd=init pmi_version=1 pmi_subversion=1\n", "response_to_init", &e) < 0
        || call (pc, "cmd=get_maxes\n", "maxes", &e) < 0)
        goto proto;
    if (pmi_wire_get_int (&pc->reply, "keylen_max", &pc->keylen_max) < 0
        || pmi_wire_get_int (&pc->reply, "vallen_max", &pc->vallen_max) < 0) {
        eddy_error_set (&e, "maxes without keylen_max and vallen_max");
        errno = EPROTO;
        goto proto;
    }
    if (call (pc, "cmd=get_my_kvsname\n", "my_kvsname", &e) < 0)
        goto proto;
    const char *name = pmi_wire_get (&pc->reply, "kvsname");
    if (!name || !*name || strlen (name) >= sizeof (pc->kvsname)) {
        eddy_error_set (&e, "my_kvsname without a usable kvsname");
        errno = EPROTO;
        goto proto;
    }
    strcpy (pc->kvsname, name);
    return pc;
proto:
    eddy_error_set (err, "PMI init (PMI_FD %d, rank %d of %d): %s", pc->fd, pc->rank, pc->size,
                    e.text);
error:
    pc->fd = -1; /* not ours to close: it may be anything */
    eddy_pmi_client_destroy (pc);
    return NULL;
}

void eddy_pmi_client_destroy (eddy_pmi_client_t *pc)
{
    if (!pc)
        return;
    int saved = errno;
    if (pc->fd >= 0)
        close (pc->fd);
    free (pc->munge_socket);
    free (pc);
    errno = saved;
}

int eddy_pmi_client_rank (const eddy_pmi_client_t *pc)
{
    return pc->rank;
}

int eddy_pmi_client_size (const eddy_pmi_client_t *pc)
{
    return pc->size;
}

static int check_kv (const eddy_pmi_client_t *pc, const char *key, const char *value,
                     eddy_error_t *err)
{
    if (!key || !pmi_wire_valid_key (key, strlen (key)) || strlen (key) >= (size_t)pc->keylen_max
        || (value && (!pmi_wire_valid_value (value, strlen (value))
                      || strlen (value) >= (size_t)pc->vallen_max))) {
        errno = EINVAL;
        return eddy_error_set (err, "PMI: key '%.40s' or its value is not valid on the wire",
                               key ? key : "");
    }
    return 0;
}

int eddy_pmi_sign_parse (const char *s)
{
    if (!s)
        return -1;
    if (!strcmp (s, "auto"))
        return EDDY_PMI_SIGN_AUTO;
    if (!strcmp (s, "munge"))
        return EDDY_PMI_SIGN_MUNGE;
    if (!strcmp (s, "none"))
        return EDDY_PMI_SIGN_NONE;
    return -1;
}

/* Who made the socket, as the kernel recorded it (pmiclient.h). */
bool eddy_pmi_server_is_own (int fd)
{
    struct ucred cr;
    socklen_t len = sizeof (cr);
    if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof (cr))
        return false;
    return cr.uid == getuid () || cr.uid == 0;
}

int eddy_pmi_client_set_sign (eddy_pmi_client_t *pc, enum eddy_pmi_sign mode, const char *socket,
                              eddy_error_t *err)
{
    char *copy = NULL;
    if (mode != EDDY_PMI_SIGN_AUTO && mode != EDDY_PMI_SIGN_MUNGE && mode != EDDY_PMI_SIGN_NONE) {
        errno = EINVAL;
        return eddy_error_set (err, "PMI signing: unknown mode %d", (int)mode);
    }
    if (socket && *socket && !(copy = strdup (socket))) {
        errno = ENOMEM;
        return eddy_error_set (err, "out of memory");
    }
    free (pc->munge_socket);
    pc->munge_socket = copy;
    pc->sign_required = mode == EDDY_PMI_SIGN_MUNGE
                        || (mode == EDDY_PMI_SIGN_AUTO && !eddy_pmi_server_is_own (pc->fd));
    pc->sign_try = mode != EDDY_PMI_SIGN_NONE;
    if (pc->debug)
        fprintf (stderr, "eddy-pmi[%d]: signing %s\n", pc->rank,
                 pc->sign_required ? "required (munge)"
                 : pc->sign_try    ? "when munged answers (the server is this user's)"
                                   : "off");
    return 0;
}

bool eddy_pmi_client_sign_required (const eddy_pmi_client_t *pc)
{
    return pc->sign_required;
}

bool eddy_pmi_client_signed_any (const eddy_pmi_client_t *pc)
{
    return pc->signed_any;
}

int eddy_pmi_client_put (eddy_pmi_client_t *pc, const char *key, const char *value,
                         eddy_error_t *err)
{
    char line[PMI_WIRE_MAXLINE];
    char *cred = NULL;
    eddy_error_t e;
    int rc = -1;

    if (check_kv (pc, key, value, err) < 0)
        return -1;
    if (pc->sign_try) {
        /* good for as long as the barriers may take (each reply within
         * the timeout), and at least munged's usual 300 s */
        int ttl = pc->timeout * 3 > 300 ? (int)(pc->timeout * 3) : 300;
        cred = eddy_pmisign_wrap (pc->munge_socket, ttl, pc->kvsname, pc->rank, key, value, &e);
        if (!cred && (pc->sign_required || errno != ECONNREFUSED)) {
            eddy_error_set (err, "%s", e.text);
            return -1;
        }
        if (!cred && pc->debug)
            fprintf (stderr, "eddy-pmi[%d]: %s: %s unsigned\n", pc->rank, e.text, key);
        if (cred && strlen (cred) >= (size_t)pc->vallen_max) {
            eddy_error_set (err,
                            "PMI put %s: signed, the value is %zu bytes; the server takes "
                            "fewer than %d (vallen_max): --pmi-sign=none if this server is trusted",
                            key, strlen (cred), pc->vallen_max);
            errno = EMSGSIZE;
            goto done;
        }
        if (cred) {
            value = cred;
            pc->signed_any = true;
        }
    }
    snprintf (line, sizeof (line), "cmd=put kvsname=%s key=%s value=%s\n", pc->kvsname, key, value);
    if (call (pc, line, "put_result", &e) < 0) {
        eddy_error_set (err, "PMI put %s: %s", key, e.text);
        goto done;
    }
    rc = 0;
done:
    free (cred);
    return rc;
}

int eddy_pmi_client_barrier (eddy_pmi_client_t *pc, eddy_error_t *err)
{
    eddy_error_t e;
    if (call (pc, "cmd=barrier_in\n", "barrier_out", &e) < 0)
        return eddy_error_set (err, "PMI barrier: %s", e.text);
    return 0;
}

char *eddy_pmi_client_get (eddy_pmi_client_t *pc, const char *key, int from, eddy_error_t *err)
{
    char line[PMI_WIRE_MAXLINE];
    eddy_error_t e;
    const char *v;
    char *out;

    if (check_kv (pc, key, NULL, err) < 0)
        return NULL;
    snprintf (line, sizeof (line), "cmd=get kvsname=%s key=%s\n", pc->kvsname, key);
    if (call (pc, line, "get_result", &e) < 0) {
        const char *msg = pmi_wire_get (&pc->reply, "msg");
        if (msg && !strcmp (msg, "key_not_found"))
            errno = ENOENT;
        eddy_error_set (err, "PMI get %s: %s", key, e.text);
        return NULL;
    }
    if (!(v = pmi_wire_get (&pc->reply, "value"))) {
        errno = EPROTO;
        eddy_error_set (err, "PMI get %s: get_result without a value", key);
        return NULL;
    }
    if (pc->sign_try && eddy_pmisign_is_signed (v)) {
        if ((out = eddy_pmisign_unwrap (pc->munge_socket, v, pc->kvsname, from, key, err)))
            pc->signed_any = true;
        return out;
    }
    if (pc->sign_required) {
        errno = EPERM;
        eddy_error_set (err, "PMI %s: the value is not signed (it is the PMI server's, not a "
                             "broker's of this job): refused",
                        key);
        return NULL;
    }
    if (!(out = strdup (v)))
        eddy_error_set (err, "out of memory");
    return out;
}

int eddy_pmi_client_finalize (eddy_pmi_client_t *pc, eddy_error_t *err)
{
    eddy_error_t e;
    if (call (pc, "cmd=finalize\n", "finalize_ack", &e) < 0)
        return eddy_error_set (err, "PMI finalize: %s", e.text);
    return 0;
}

void eddy_pmi_client_abort (eddy_pmi_client_t *pc, int code, const char *msg)
{
    char line[PMI_WIRE_MAXLINE];
    char clean[256];
    size_t i;

    /* the message goes to the end of the line whole: only keep it printable */
    for (i = 0; msg && msg[i] && i < sizeof (clean) - 1; i++)
        clean[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
    clean[i] = '\0';
    snprintf (line, sizeof (line), "cmd=abort exitcode=%d %s\n", code, clean);
    send_line (pc, line, NULL);
}
