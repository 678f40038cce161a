/* stream.c - length-prefixed frames on a non-blocking stream socket:
 * input reassembly with bounded growth, and an output queue drained with
 * sendmsg () as the socket accepts bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "transport/local/stream.h"

/* One read () asks for at least this much room... */
#define READ_MIN 65536
/* ...and at most this much, so one busy peer cannot hold the loop long. */
#define READ_MAX (4u * 1024 * 1024)

static uint32_t get32 (const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Room for `want` more bytes after len, moving unconsumed bytes to the
 * front first.  The buffer only grows when it is full of received data,
 * so its size stays within twice what the peer really sent (plus READ_MIN).
 */
static int reserve (struct eddy_local_inbuf *in, size_t want)
{
    if (in->pos > 0) {
        memmove (in->data, in->data + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
    if (in->cap - in->len >= want)
        return 0;
    size_t cap = in->cap ? in->cap : READ_MIN;
    while (cap - in->len < want)
        cap *= 2;
    void *p = realloc (in->data, cap);
    if (!p)
        return -1;
    in->data = p;
    in->cap = cap;
    return 0;
}

ssize_t eddy_local_inbuf_read (struct eddy_local_inbuf *in, int fd)
{
    size_t want = READ_MIN;
    size_t avail = in->len - in->pos;

    /* a large frame in progress: read up to its end in bigger steps */
    if (avail >= 4) {
        size_t need = 4 + (size_t)get32 (in->data + in->pos);
        if (need > avail && need - avail > want)
            want = need - avail < READ_MAX ? need - avail : READ_MAX;
    }
    if (in->cap - in->len < want && reserve (in, want) < 0)
        return -1;
    ssize_t n = read (fd, in->data + in->len, in->cap - in->len);
    if (n > 0)
        in->len += n;
    return n;
}

int eddy_local_inbuf_frame (struct eddy_local_inbuf *in,
                            const uint8_t **frame,
                            size_t *len)
{
    size_t avail = in->len - in->pos;
    if (avail < 4)
        return 0;
    size_t flen = get32 (in->data + in->pos);
    if (flen > EDDY_LOCAL_FRAME_MAX) {
        *len = flen;
        errno = EPROTO;
        return -1;
    }
    if (avail - 4 < flen)
        return 0;
    *frame = in->data + in->pos + 4;
    *len = flen;
    return 1;
}

void eddy_local_inbuf_consume (struct eddy_local_inbuf *in, size_t len)
{
    in->pos += 4 + len;
    if (in->pos == in->len)
        in->pos = in->len = 0;
}

void eddy_local_inbuf_release (struct eddy_local_inbuf *in)
{
    free (in->data);
    memset (in, 0, sizeof (*in));
}

/* A queued frame: the 4-byte length and the frame bytes, written as one
 * logical run of 4 + len bytes of which `off` are gone already.
 */
struct eddy_local_chunk {
    struct eddy_local_chunk *next;
    uint8_t hdr[4];
    void *frame;
    size_t len;
    size_t off;
};

int eddy_local_outq_push (struct eddy_local_outq *q, void *frame, size_t len)
{
    struct eddy_local_chunk *c;

    if (len > UINT32_MAX || !(c = calloc (1, sizeof (*c)))) {
        free (frame);
        errno = len > UINT32_MAX ? EMSGSIZE : ENOMEM;
        return -1;
    }
    c->hdr[0] = len >> 24;
    c->hdr[1] = (len >> 16) & 0xff;
    c->hdr[2] = (len >> 8) & 0xff;
    c->hdr[3] = len & 0xff;
    c->frame = frame;
    c->len = len;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    q->bytes += 4 + len;
    return 0;
}

static void pop (struct eddy_local_outq *q)
{
    struct eddy_local_chunk *c = q->head;
    q->head = c->next;
    if (!q->head)
        q->tail = NULL;
    free (c->frame);
    free (c);
}

#define IOV_BATCH 64

int eddy_local_outq_flush (struct eddy_local_outq *q, int fd)
{
    while (q->head) {
        struct iovec iov[IOV_BATCH];
        int n = 0;
        for (struct eddy_local_chunk *c = q->head; c && n + 2 <= IOV_BATCH;
             c = c->next) {
            if (c->off < 4) {
                iov[n].iov_base = c->hdr + c->off;
                iov[n++].iov_len = 4 - c->off;
            }
            size_t done = c->off > 4 ? c->off - 4 : 0;
            if (c->len > done) {
                iov[n].iov_base = (uint8_t *)c->frame + done;
                iov[n++].iov_len = c->len - done;
            }
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n};
        ssize_t sent = sendmsg (fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            if (errno == EINTR)
                continue;
            return -1;
        }
        q->bytes -= sent;
        size_t left = sent;
        while (left > 0) {
            struct eddy_local_chunk *c = q->head;
            size_t rest = 4 + c->len - c->off;
            if (left < rest) {
                c->off += left;
                break;
            }
            left -= rest;
            pop (q);
        }
    }
    return 0;
}

void eddy_local_outq_release (struct eddy_local_outq *q)
{
    while (q->head)
        pop (q);
    q->bytes = 0;
}
