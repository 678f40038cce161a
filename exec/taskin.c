/* taskin.c - a job's stdin on one rank (see taskin.h): a queue of chunks,
 * each shared by the writers (one per task taking stdin) that have not
 * yet written it.  A writer moves through the queue in order, so a chunk
 * later in it never has more writers left than one before it: chunks
 * leave from the head only, and each request is answered in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "exec/taskin.h"
#include "kvs/blobref.h"

struct chunk {
    const eddy_msg_t *req;
    char *data;
    size_t len;
    bool eof;       /* the writers close (a pipe) after it */
    bool delivered; /* some writer wrote it whole */
    int refs;       /* writers that have still to write it */
    struct chunk *next;
};

struct writer {
    struct taskin *in;
    int fd; /* -1 once closed */
    eddy_watcher_t *w;
    struct chunk *cur; /* the chunk being written, or NULL: idle */
    size_t off;
};

struct taskin {
    eddy_handle_t *h;
    bool tty;
    bool eof; /* EOF is queued: nothing more comes */
    int n;
    struct writer *wr;
    struct chunk *head, *tail;
    size_t queued; /* bytes of the chunks in the queue */
};

static void chunk_answer (struct taskin *in, struct chunk *c)
{
    if (c->delivered)
        eddy_respond (in->h, c->req, NULL);
    else
        eddy_respond_error (in->h, c->req, EPIPE, "stdin: the tasks' stdin is closed");
    eddy_msg_decref (c->req);
    free (c->data);
    free (c);
}

/* Answer (and free) the chunks every writer is done with. */
static void reap (struct taskin *in)
{
    while (in->head && in->head->refs == 0) {
        struct chunk *c = in->head;
        in->head = c->next;
        if (!in->head)
            in->tail = NULL;
        in->queued -= c->len;
        chunk_answer (in, c);
    }
}

/* The task will read no more (or EOF was written): its share of what
 * waits is dropped.
 */
static void writer_close (struct writer *wr)
{
    for (struct chunk *c = wr->cur; c; c = c->next)
        c->refs--;
    wr->cur = NULL;
    eddy_watcher_destroy (wr->w);
    wr->w = NULL;
    if (wr->fd >= 0)
        close (wr->fd);
    wr->fd = -1;
}

/* Write what the descriptor takes; wait for POLLOUT for the rest. */
static void writer_pump (struct writer *wr)
{
    while (wr->cur) {
        struct chunk *c = wr->cur;
        if (wr->off < c->len) {
            ssize_t n = write (wr->fd, c->data + wr->off, c->len - wr->off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN) {
                eddy_watcher_start (wr->w);
                return;
            }
            if (n < 0) { /* EPIPE: the task closed its stdin or is gone */
                writer_close (wr);
                return;
            }
            wr->off += (size_t)n;
            continue;
        }
        c->delivered = true;
        c->refs--;
        wr->cur = c->next;
        wr->off = 0;
        if (c->eof && !wr->in->tty) {
            writer_close (wr); /* drops nothing: EOF is the last chunk */
            return;
        }
    }
    eddy_watcher_stop (wr->w);
}

static void writable_cb (eddy_reactor_t *r, eddy_watcher_t *w, int revents, void *arg)
{
    struct writer *wr = arg;
    struct taskin *in = wr->in;
    writer_pump (wr);
    reap (in);
}

bool taskin_open (const struct taskin *in)
{
    for (int i = 0; i < in->n; i++)
        if (in->wr[i].fd >= 0)
            return true;
    return false;
}

void taskin_request (struct taskin *in, const eddy_msg_t *msg)
{
    const char *data = NULL;
    int eof = 0, rows = -1, cols = -1;
    json_t *ws = NULL;
    size_t len = 0;

    if (!eddy_msg_payload (msg) ||
        json_unpack (eddy_msg_payload (msg), "{s?s s?b s?o}", "data", &data, "eof",
                     &eof, "winsize", &ws) < 0 ||
        (ws && (json_unpack (ws, "{s:i s:i}", "rows", &rows, "cols", &cols) < 0 ||
                rows < 0 || cols < 0 || rows > 65535 || cols > 65535))) {
        eddy_respond_error (in->h, msg, EPROTO, "exec.input: malformed payload");
        return;
    }
    /* a terminal's size applies at once: its program hears SIGWINCH */
    if (ws && in->tty && in->wr[0].fd >= 0) {
        struct winsize wsz = {.ws_row = (unsigned short)rows,
                              .ws_col = (unsigned short)cols};
        (void)ioctl (in->wr[0].fd, TIOCSWINSZ, &wsz);
    }
    if (!data && !eof) {
        eddy_respond (in->h, msg, NULL);
        return;
    }
    if (in->eof || !taskin_open (in)) {
        eddy_respond_error (in->h, msg, EPIPE, "stdin: the tasks' stdin is closed");
        return;
    }
    char *buf = data ? eddy_base64_decode (data, strlen (data), &len) : calloc (1, 2);
    if (!buf) {
        eddy_respond_error (in->h, msg, errno == ENOMEM ? ENOMEM : EPROTO,
                            errno == ENOMEM ? NULL : "exec.input: data is not base64");
        return;
    }
    if (in->head && in->queued + len > EDDY_TASKIN_MAX) {
        free (buf);
        eddy_respond_error (in->h, msg, EAGAIN,
                            "stdin: the job's buffer is full, send later");
        return;
    }
    struct chunk *c = calloc (1, sizeof (*c));
    if (!c) {
        free (buf);
        eddy_respond_error (in->h, msg, ENOMEM, NULL);
        return;
    }
    /* a terminal's EOF is its EOF character (^D at a line's start), not
     * a close: the task still writes its output there */
    if (eof && in->tty) {
        struct termios t;
        buf[len++] =
            tcgetattr (in->wr[0].fd, &t) == 0 && t.c_cc[VEOF] ? (char)t.c_cc[VEOF] : 4;
    }
    c->req = eddy_msg_incref (msg);
    c->data = buf;
    c->len = len;
    c->eof = eof;
    in->eof = eof;
    for (int i = 0; i < in->n; i++)
        if (in->wr[i].fd >= 0)
            c->refs++;
    if (in->tail)
        in->tail->next = c;
    else
        in->head = c;
    in->tail = c;
    in->queued += len;
    for (int i = 0; i < in->n; i++) {
        struct writer *wr = &in->wr[i];
        if (wr->fd >= 0 && !wr->cur) {
            wr->cur = c;
            wr->off = 0;
            writer_pump (wr);
        }
    }
    reap (in);
}

struct taskin *
taskin_create (eddy_handle_t *h, eddy_reactor_t *r, int n, const int *fds, bool tty)
{
    struct taskin *in;

    if (n < 1 || (tty && n != 1)) {
        errno = EINVAL;
        return NULL;
    }
    if (!(in = calloc (1, sizeof (*in))) ||
        !(in->wr = calloc ((size_t)n, sizeof (in->wr[0]))))
        goto error;
    in->h = h;
    in->tty = tty;
    for (int i = 0; i < n; i++) {
        struct writer *wr = &in->wr[i];
        int fl = fcntl (fds[i], F_GETFL);
        wr->in = in;
        wr->fd = -1;
        if (fl < 0 || fcntl (fds[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            !(wr->w = eddy_fd_create (r, fds[i], EDDY_POLLOUT, writable_cb, wr)))
            goto error;
        in->n++;
    }
    for (int i = 0; i < n; i++) /* the descriptors are ours only now */
        in->wr[i].fd = fds[i];
    return in;
error : {
    int e = errno;
    for (int i = 0; in && in->wr && i < in->n; i++)
        eddy_watcher_destroy (in->wr[i].w);
    if (in)
        free (in->wr);
    free (in);
    errno = e;
    return NULL;
}
}

void taskin_destroy (struct taskin *in)
{
    if (in) {
        int e = errno;
        for (int i = 0; i < in->n; i++)
            writer_close (&in->wr[i]);
        reap (in);
        free (in->wr);
        free (in);
        errno = e;
    }
}
