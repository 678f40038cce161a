/* jobutil.c - job ids, exit codes, and attaching to a job's output and
 * stdin. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/client.h"
#include "cmd/cmd.h"
#include "cmd/jobutil.h"
#include "engine/util/fluid.h"
#include "engine/util/sign.h"
#include "kvs/blobref.h"
#include "kvs/kvs.h"

uint64_t jobutil_parse_id (const char *cmd, const char *s)
{
    eddy_fluid_t id;
    eddy_error_t err;
    if (eddy_fluid_parse (s, &id, &err) < 0)
        eddy_cmd_die (cmd, "invalid job id '%s': %s", s, err.text);
    return id;
}

void jobutil_f58 (uint64_t id, char *buf, size_t len)
{
    if (eddy_fluid_encode (buf, len, id, eddy_fluid_type_lookup ("f58")) < 0)
        snprintf (buf, len, "%ju", (uintmax_t)id);
}

int jobutil_exit_code (json_t *result)
{
    int status = 0, success = 0;
    json_t *exc = NULL;
    if (json_unpack (result, "{s:b s?i s?o}", "success", &success, "status", &status, "exception",
                     &exc) < 0)
        return 1;
    if (success)
        return 0;
    if (json_object_get (result, "status")) {
        if (status & 0x7f)
            return 128 + (status & 0x7f);
        if ((status >> 8) & 0xff)
            return (status >> 8) & 0xff;
    }
    return 1;
}

struct attach;

/* A chunk of stdin on its way: an exec.stdin request, asked again while
 * the job is not running yet. */
struct chunk {
    struct attach *a;
    json_t *payload; /* NULL: the slot is free */
    eddy_future_t *f;
    eddy_watcher_t *retry;
    double delay;
};

struct attach {
    const char *cmd;
    eddy_handle_t *h;
    uint64_t id;
    eddy_future_t *wait_f;
    eddy_future_t *out_f;
    eddy_watcher_t *grace_w;
    json_t *result;
    int eofs;
    int streams; /* eof entries expected */
    bool done;
    /* stdin */
    int in_fd;
    eddy_watcher_t *in_w;
    bool in_end;  /* EOF read (and queued), or the job takes no more */
    bool taken;   /* the job took a chunk: the window opens */
    int inflight;
    struct chunk chunks[JOBUTIL_STDIN_WINDOW];
    bool tty;     /* in_fd is a terminal in raw mode (pty) */
    int winch[2]; /* SIGWINCH's self-pipe */
    eddy_watcher_t *winch_w;
};

/* The terminal's modes before raw mode, restored at exit or on a signal
 * that ends eddy (one terminal per process: a file-scope state is fine
 * in cmd/). */
static struct termios saved_tio;
static int saved_tio_fd = -1;
static int winch_fd = -1;

static void tty_restore (void)
{
    if (saved_tio_fd >= 0)
        tcsetattr (saved_tio_fd, TCSADRAIN, &saved_tio);
    saved_tio_fd = -1;
}

static void tty_fatal (int sig)
{
    tty_restore ();
    signal (sig, SIG_DFL);
    raise (sig);
}

static void tty_winch (int sig)
{
    int e = errno;
    (void)sig;
    if (winch_fd >= 0)
        (void)!write (winch_fd, "w", 1);
    errno = e;
}

static int tty_raw (int fd)
{
    static const int fatal[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE };
    struct termios raw;

    if (tcgetattr (fd, &saved_tio) < 0)
        return -1;
    raw = saved_tio;
    cfmakeraw (&raw);
    saved_tio_fd = fd;
    atexit (tty_restore);
    for (size_t i = 0; i < sizeof (fatal) / sizeof (fatal[0]); i++) {
        struct sigaction sa = { .sa_handler = tty_fatal };
        sigemptyset (&sa.sa_mask);
        sigaction (fatal[i], &sa, NULL);
    }
    return tcsetattr (fd, TCSADRAIN, &raw);
}

static void finish (struct attach *a)
{
    a->done = true;
    eddy_reactor_stop (eddy_handle_reactor (a->h));
}

static void print_entry (struct attach *a, json_t *entry)
{
    const char *name, *stream = "stdout", *data = NULL;
    json_t *ctx = NULL;
    if (json_unpack (entry, "{s:s s?o}", "name", &name, "context", &ctx) < 0)
        return;
    if (ctx)
        json_unpack (ctx, "{s?s s?s}", "stream", &stream, "data", &data);
    if (!strcmp (name, "data") && data) {
        FILE *f = !strcmp (stream, "stderr") ? stderr : stdout;
        const char *enc = json_string_value (json_object_get (ctx, "encoding"));
        if (enc && !strcmp (enc, "base64")) { /* not UTF-8: the bytes as they were */
            size_t len;
            char *bytes = eddy_base64_decode (data, strlen (data), &len);
            if (bytes)
                fwrite (bytes, 1, len, f);
            free (bytes);
        }
        else
            fputs (data, f);
        fflush (f);
    }
    else if (!strcmp (name, "eof"))
        a->eofs++;
    else if (!strcmp (name, "header")) {
        int n = 0;
        json_unpack (ctx, "{s?i}", "streams", &n);
        if (n > 0)
            a->streams = n;
    }
}

static void output_cb (eddy_future_t *f, void *arg)
{
    struct attach *a = arg;
    const char *text;
    if (eddy_kvs_lookup_get (f, &text) < 0) {
        /* a guest's attach to another's job: say so, do not wait blind */
        if (errno == EPERM)
            eddy_cmd_die (a->cmd, "output: %s", eddy_future_error_string (f));
        eddy_future_destroy (f);
        a->out_f = NULL;
        return;
    }
    /* the appended text: one or more eventlog lines */
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr (p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen (p);
        char *line = strndup (p, n);
        json_t *e = line ? json_loads (line, 0, NULL) : NULL;
        if (e)
            print_entry (a, e);
        json_decref (e);
        free (line);
        p += n;
    }
    eddy_future_reset (f);
    if (a->result && a->eofs >= a->streams)
        finish (a);
}

static void grace_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    finish (arg);
}

static void wait_cb (eddy_future_t *f, void *arg)
{
    struct attach *a = arg;
    json_t *o;
    if (eddy_rpc_get (f, &o) < 0)
        eddy_cmd_die (a->cmd, "job-manager.wait: %s", eddy_future_error_string (f));
    a->result = json_incref (o);
    /* a job that never ran has no output to wait for; otherwise let the
     * last output arrive (its commit may trail the job's end a little) */
    if (!json_object_get (o, "status") || a->eofs >= a->streams)
        finish (a);
    else if ((a->grace_w = eddy_timer_create (eddy_handle_reactor (a->h), 5.0, 0, grace_cb, a)))
        eddy_watcher_start (a->grace_w);
}

/* ---- stdin ---- */

static void in_update (struct attach *a);
static void chunk_send (struct chunk *c);

static void chunk_free (struct chunk *c)
{
    eddy_future_destroy (c->f);
    c->f = NULL;
    eddy_watcher_destroy (c->retry);
    c->retry = NULL;
    json_decref (c->payload);
    c->payload = NULL;
    c->a->inflight--;
}

static void retry_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct chunk *c = arg;
    eddy_watcher_destroy (c->retry);
    c->retry = NULL;
    chunk_send (c);
}

static void chunk_cb (eddy_future_t *f, void *arg)
{
    struct chunk *c = arg;
    struct attach *a = c->a;

    if (eddy_rpc_get (f, NULL) == 0) {
        a->taken = true;
        chunk_free (c);
        in_update (a);
        return;
    }
    int e = errno;
    /* not running yet (ENOENT, EAGAIN): asked again, 10 ms doubling to
     * 0.5 s; once the job ended wait_cb finishes the attach */
    if ((e == ENOENT || e == EAGAIN) && !a->result) {
        eddy_future_destroy (c->f);
        c->f = NULL;
        c->delay = c->delay > 0 ? c->delay * 2 : 0.01;
        if (c->delay > 0.5)
            c->delay = 0.5;
        if ((c->retry = eddy_timer_create (eddy_handle_reactor (a->h), c->delay, 0, retry_cb, c))) {
            eddy_watcher_start (c->retry);
            return;
        }
    }
    /* the tasks closed their stdin or take none (EPIPE, EINVAL): what
     * comes is not read, as with a pipe nobody reads */
    else if (e != EPIPE && e != EINVAL && e != ENOENT)
        fprintf (stderr, "eddy-%s: stdin: %s\n", a->cmd,
                 eddy_future_error_string (f) ? eddy_future_error_string (f) : strerror (e));
    chunk_free (c);
    a->in_end = true;
    in_update (a);
}

static void chunk_send (struct chunk *c)
{
    struct attach *a = c->a;
    /* to this broker's exec module: rank 0's coordinator, or on another
     * rank its relay, which tells rank 0 should this client go away */
    if (!(c->f = eddy_rpc (a->h, "exec.stdin", c->payload, EDDY_NODEID_ANY, 0))
        || eddy_future_then (c->f, -1, chunk_cb, c) < 0)
        eddy_cmd_die (a->cmd, "exec.stdin: %s", strerror (errno));
}

/* Queue payload (taken) in a free slot and send it. */
static void chunk_queue (struct attach *a, json_t *payload)
{
    for (int i = 0; i < JOBUTIL_STDIN_WINDOW; i++) {
        struct chunk *c = &a->chunks[i];
        if (c->payload)
            continue;
        c->a = a;
        c->payload = payload;
        c->delay = 0;
        a->inflight++;
        chunk_send (c);
        return;
    }
    json_decref (payload); /* cannot happen: in_update keeps a slot free */
}

/* Read stdin only while a slot is free (one until the job took a chunk,
 * so nothing overtakes a chunk that is asked again). */
static void in_update (struct attach *a)
{
    if (!a->in_w)
        return;
    if (!a->in_end && a->inflight < (a->taken ? JOBUTIL_STDIN_WINDOW : 1))
        eddy_watcher_start (a->in_w);
    else
        eddy_watcher_stop (a->in_w);
}

static void in_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct attach *a = arg;
    char buf[JOBUTIL_STDIN_CHUNK];
    json_t *p;

    /* one read per wakeup: the descriptor stays blocking (a terminal is
     * shared with the shell that started eddy) and is readable now */
    ssize_t n = read (a->in_fd, buf, sizeof (buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n > 0) {
        char *b64 = eddy_base64_encode (buf, (size_t)n);
        if (!b64)
            eddy_cmd_die (a->cmd, "out of memory");
        p = json_pack ("{s:I s:s}", "id", (json_int_t)a->id, "data", b64);
        free (b64);
    }
    else { /* EOF, or an error that will not go away */
        p = json_pack ("{s:I s:b}", "id", (json_int_t)a->id, "eof", 1);
        a->in_end = true;
    }
    if (!p)
        eddy_cmd_die (a->cmd, "out of memory");
    chunk_queue (a, p);
    in_update (a);
}

static json_t *winsize_payload (struct attach *a)
{
    struct winsize ws;
    if (ioctl (a->in_fd, TIOCGWINSZ, &ws) < 0)
        return NULL;
    return json_pack ("{s:I s:{s:i s:i}}", "id", (json_int_t)a->id, "winsize", "rows",
                      (int)ws.ws_row, "cols", (int)ws.ws_col);
}

/* The terminal changed size: the job's terminal follows (no answer is
 * awaited; a size lost before the job runs is sent with the first chunk). */
static void winch_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct attach *a = arg;
    char buf[64];
    while (read (a->winch[0], buf, sizeof (buf)) > 0)
        ;
    json_t *p = winsize_payload (a);
    if (p) {
        eddy_future_t *f = eddy_rpc (a->h, "exec.stdin", p, EDDY_NODEID_ANY, EDDY_RPC_NORESPONSE);
        eddy_future_destroy (f);
        json_decref (p);
    }
}

static void stdin_start (struct attach *a, const struct jobutil_io *io)
{
    eddy_reactor_t *r = eddy_handle_reactor (a->h);

    a->in_fd = io->fd;
    a->winch[0] = a->winch[1] = -1;
    if (io->fd < 0)
        return;
    if (!(a->in_w = eddy_fd_create (r, io->fd, EDDY_POLLIN, in_cb, a)))
        eddy_cmd_die (a->cmd, "cannot watch stdin: %s", strerror (errno));
    if (io->pty && isatty (io->fd)) {
        if (tty_raw (io->fd) < 0)
            eddy_cmd_die (a->cmd, "cannot put the terminal in raw mode: %s", strerror (errno));
        a->tty = true;
        if (pipe2 (a->winch, O_CLOEXEC | O_NONBLOCK) == 0
            && (a->winch_w = eddy_fd_create (r, a->winch[0], EDDY_POLLIN, winch_cb, a))) {
            struct sigaction sa = { .sa_handler = tty_winch, .sa_flags = SA_RESTART };
            sigemptyset (&sa.sa_mask);
            winch_fd = a->winch[1];
            sigaction (SIGWINCH, &sa, NULL);
            eddy_watcher_start (a->winch_w);
        }
    }
    /* first an empty chunk (with a terminal, its size, so the job's
     * terminal has it before any key): once the job takes it, rank 0
     * knows this client feeds its stdin and ends that stdin should the
     * client go away before EOF */
    json_t *p = a->tty ? winsize_payload (a) : NULL;
    if (!p && !(p = json_pack ("{s:I}", "id", (json_int_t)a->id)))
        eddy_cmd_die (a->cmd, "out of memory");
    chunk_queue (a, p);
    in_update (a);
}

static void stdin_stop (struct attach *a)
{
    for (int i = 0; i < JOBUTIL_STDIN_WINDOW; i++)
        if (a->chunks[i].payload)
            chunk_free (&a->chunks[i]);
    eddy_watcher_destroy (a->in_w);
    a->in_w = NULL;
    if (a->winch_w) {
        signal (SIGWINCH, SIG_DFL);
        winch_fd = -1;
        eddy_watcher_destroy (a->winch_w);
    }
    for (int k = 0; k < 2; k++)
        if (a->winch[k] >= 0)
            close (a->winch[k]);
    if (a->tty)
        tty_restore ();
}

void jobutil_stdin_guard (void)
{
    if (fcntl (STDIN_FILENO, F_GETFD) < 0 && errno == EBADF) {
        int fd = open ("/dev/null", O_RDONLY);
        if (fd > STDIN_FILENO)
            close (fd); /* 0 was taken meanwhile: nothing to guard */
    }
}

int jobutil_attach (const char *cmd, eddy_handle_t *h, uint64_t id)
{
    struct jobutil_io io = { .fd = -1 };
    return jobutil_attach_io (cmd, h, id, &io);
}

int jobutil_attach_io (const char *cmd, eddy_handle_t *h, uint64_t id, const struct jobutil_io *io)
{
    struct attach a = { .cmd = cmd, .h = h, .id = id, .streams = 2 };
    char key[128];

    eddy_kvs_job_key (key, sizeof (key), id, "output");
    a.out_f = eddy_kvs_watch (h, NULL, EDDY_KVS_WAITCREATE | EDDY_KVS_WATCH_APPEND, key);
    if (!a.out_f || eddy_future_then (a.out_f, -1, output_cb, &a) < 0)
        eddy_cmd_die (cmd, "cannot watch the output of the job: %s", strerror (errno));
    a.wait_f = eddy_rpc_pack (h, "job-manager.wait", EDDY_NODEID_ANY, 0, "{s:I}", "id", (json_int_t)id);
    if (!a.wait_f || eddy_future_then (a.wait_f, -1, wait_cb, &a) < 0)
        eddy_cmd_die (cmd, "cannot wait for the job: %s", strerror (errno));
    stdin_start (&a, io);
    while (!a.done)
        if (eddy_reactor_run (eddy_handle_reactor (h), EDDY_RUN_DEFAULT) < 0)
            eddy_cmd_die (cmd, "lost the connection to the broker");
    stdin_stop (&a);
    eddy_watcher_destroy (a.grace_w);
    if (a.out_f)
        eddy_kvs_watch_cancel (a.out_f);
    eddy_future_destroy (a.out_f);
    eddy_future_destroy (a.wait_f);
    json_t *exc = json_object_get (a.result, "exception");
    if (exc) {
        char f58[64];
        jobutil_f58 (id, f58, sizeof (f58));
        jobutil_print_exception (cmd, f58, exc);
    }
    int code = jobutil_exit_code (a.result);
    json_decref (a.result);
    return code;
}

void jobutil_print_exception (const char *cmd, const char *job, const json_t *exc)
{
    const char *type = json_string_value (json_object_get (exc, "type"));
    const char *note = json_string_value (json_object_get (exc, "note"));
    fprintf (stderr, "eddy-%s: %s: exception %s%s%s\n", cmd, job, type ? type : "?",
             note && *note ? ": " : "", note && *note ? note : "");
}

#define MAX_FILE_SIZE (64u << 20)

char *jobutil_read_file (const char *path, size_t *lenp)
{
    FILE *f = strcmp (path, "-") ? fopen (path, "rb") : stdin;
    size_t len = 0, size = 4096;
    char *buf;

    if (!f)
        return NULL;
    buf = xmalloc (size);
    for (;;) {
        /* one byte kept for the NUL that ends the text */
        size_t n = fread (buf + len, 1, size - 1 - len, f);
        len += n;
        if (len < size - 1) {
            if (ferror (f)) {
                free (buf);
                buf = NULL;
                errno = EIO;
            }
            break;
        }
        if (size >= MAX_FILE_SIZE) {
            free (buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        size *= 2;
        char *nbuf = realloc (buf, size);
        if (!nbuf) {
            free (buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nbuf;
    }
    if (f != stdin)
        fclose (f);
    if (buf)
        buf[len] = '\0';
    *lenp = len;
    return buf;
}

struct eddy_sign_conf *jobutil_sign_open (const char *cmd, eddy_handle_t *h)
{
    struct eddy_sign_conf *conf = xcalloc (1, sizeof (*conf));
    const char *type = NULL, *sock = NULL, *env = getenv ("EDDY_SIGN_TYPE");
    eddy_future_t *f = eddy_rpc (h, "job-ingest.sign-info", NULL, EDDY_NODEID_ANY, 0);

    eddy_sign_conf_init (conf, false);
    if (!f)
        eddy_cmd_die (cmd, "job-ingest.sign-info: %s", strerror (errno));
    if (eddy_rpc_get_unpack (f, "{s:s s:s}", "default-type", &type, "munge-socket", &sock) < 0) {
        if (errno != ENOSYS) /* an instance that does not sign: unsigned */
            eddy_cmd_die (cmd, "job-ingest.sign-info: %s",
                          eddy_future_error_string (f) ? eddy_future_error_string (f)
                                                       : strerror (errno));
    }
    else {
        snprintf (conf->default_type, sizeof (conf->default_type), "%s", type);
        snprintf (conf->munge_socket, sizeof (conf->munge_socket), "%s", sock);
    }
    if (env && *env) {
        if (!eddy_sign_mech_parse (env))
            eddy_cmd_die (cmd, "EDDY_SIGN_TYPE=%s: not a signature type (munge, none)", env);
        snprintf (conf->default_type, sizeof (conf->default_type), "%s", env);
    }
    eddy_future_destroy (f);
    return conf;
}

char *jobutil_sign (const char *cmd, const struct eddy_sign_conf *conf, json_t *jobspec)
{
    eddy_error_t err;
    char *text, *J;

    if (!strcmp (conf->default_type, "none"))
        return NULL;
    if (!(text = json_dumps (jobspec, JSON_COMPACT | JSON_SORT_KEYS)))
        eddy_cmd_die (cmd, "out of memory");
    if (!(J = eddy_sign_wrap (conf, NULL, text, strlen (text), &err)))
        eddy_cmd_die (cmd, "%s", err.text);
    free (text);
    return J;
}

int jobutil_parse_user (const char *cmd, const char *what, const char *s)
{
    struct passwd *pw;
    char *end;

    if (!strcasecmp (s, "all"))
        return -1;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (!errno && end != s && !*end && v >= 0 && v < INT32_MAX)
        return (int)v;
    if (!(pw = getpwnam (s)))
        eddy_cmd_die (cmd, "%s: unknown user '%s'", what, s);
    return (int)pw->pw_uid;
}
