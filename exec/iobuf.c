/* iobuf.c - line buffering of task output and the encoding of output
 * entries (text when it is UTF-8, base64 otherwise).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/iobuf.h"

struct eddy_iobuf {
    char stream[8];
    int rank;
    char *buf;
    size_t len;
    size_t cap;
    bool eof;
};

eddy_iobuf_t *eddy_iobuf_create (const char *stream, int rank)
{
    eddy_iobuf_t *b;

    if (!stream || strlen (stream) >= sizeof (b->stream) || rank < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!(b = calloc (1, sizeof (*b))))
        return NULL;
    strcpy (b->stream, stream);
    b->rank = rank;
    return b;
}

void eddy_iobuf_destroy (eddy_iobuf_t *b)
{
    if (b) {
        int saved_errno = errno;
        free (b->buf);
        free (b);
        errno = saved_errno;
    }
}

bool eddy_iobuf_eof (const eddy_iobuf_t *b)
{
    return b && b->eof;
}

bool eddy_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64 (const unsigned char *in, size_t len, size_t *outlen)
{
    char *out = malloc ((len + 2) / 3 * 4 + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

json_t *eddy_output_entry (const char *stream, int rank, const char *data, size_t len)
{
    char rankstr[16];
    json_t *o;

    snprintf (rankstr, sizeof (rankstr), "%d", rank);
    if (eddy_utf8_valid (data, len)) {
        o = json_pack ("{s:s s:s s:s%}", "stream", stream, "rank", rankstr, "data", data, len);
    } else {
        size_t n;
        char *enc = base64 ((const unsigned char *)data, len, &n);
        if (!enc) {
            errno = ENOMEM;
            return NULL;
        }
        o = json_pack ("{s:s s:s s:s% s:s}", "stream", stream, "rank", rankstr, "data", enc, n,
                       "encoding", "base64");
        free (enc);
    }
    if (!o)
        errno = ENOMEM;
    return o;
}

/* Emit b->buf[0..n) as one entry and keep the rest. */
static int emit (eddy_iobuf_t *b, size_t n, json_t *out)
{
    json_t *e;

    if (n == 0)
        return 0;
    if (!(e = eddy_output_entry (b->stream, b->rank, b->buf, n)) || json_array_append_new (out, e) < 0) {
        errno = ENOMEM;
        return -1;
    }
    memmove (b->buf, b->buf + n, b->len - n);
    b->len -= n;
    return 0;
}

/* Where to cut a partial line of len bytes so no UTF-8 character is
 * split: before a lead byte whose sequence is incomplete.
 */
static size_t utf8_cut (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t back = 1; back <= 4 && back <= len; back++) {
        unsigned c = p[len - back];
        if ((c & 0xc0) == 0x80)
            continue; /* continuation byte: look further back */
        size_t need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
        return need > back ? len - back : len;
    }
    return len;
}

int eddy_iobuf_write (eddy_iobuf_t *b, const char *data, size_t len, json_t *out)
{
    if (!b || !out || (len > 0 && !data)) {
        errno = EINVAL;
        return -1;
    }
    if (b->eof) {
        errno = EINVAL;
        return -1;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        char *nb = realloc (b->buf, cap);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy (b->buf + b->len, data, len);
    b->len += len;

    /* everything up to the last newline leaves as one entry */
    size_t n = b->len;
    while (n > 0 && b->buf[n - 1] != '\n')
        n--;
    if (emit (b, n, out) < 0)
        return -1;
    while (b->len >= EDDY_IOBUF_LINE_MAX) {
        size_t cut = utf8_cut (b->buf, EDDY_IOBUF_LINE_MAX);
        if (cut == 0)
            cut = EDDY_IOBUF_LINE_MAX;
        if (emit (b, cut, out) < 0)
            return -1;
    }
    return 0;
}

int eddy_iobuf_close (eddy_iobuf_t *b, json_t *out)
{
    if (!b || !out) {
        errno = EINVAL;
        return -1;
    }
    if (b->eof)
        return 0;
    b->eof = true;
    return emit (b, b->len, out);
}
