/* msg.c - message objects and their versioned wire encoding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/msg.h"

struct eddy_msg {
    int refcount;
    uint8_t type;
    uint32_t flags;
    uint32_t matchtag;
    uint32_t nodeid;
    uint32_t userid;
    uint32_t rolemask;
    uint32_t seq;
    int errnum;
    char *topic;
    char *errstr;
    json_t *payload;
    uint64_t *route;
    uint16_t nroute;
    uint16_t route_cap;
    char tbuf[]; /* the topic given at creation, in the message's own block */
};

/* A topic other than the one kept in tbuf is the message's own allocation. */
static void topic_free (eddy_msg_t *msg)
{
    if (msg->topic != msg->tbuf)
        free (msg->topic);
    msg->topic = NULL;
}

static bool valid_type (int type)
{
    return type == EDDY_MSGTYPE_REQUEST || type == EDDY_MSGTYPE_RESPONSE
           || type == EDDY_MSGTYPE_EVENT || type == EDDY_MSGTYPE_CONTROL;
}

static bool valid_topic (const char *topic, size_t len)
{
    if (len > EDDY_MSG_TOPIC_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = topic[i];
        if (c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

eddy_msg_t *eddy_msg_create (eddy_msgtype_t type, const char *topic)
{
    eddy_msg_t *msg;

    size_t tlen = topic ? strlen (topic) : 0;

    if (!valid_type (type) || (topic && !valid_topic (topic, tlen))) {
        errno = EINVAL;
        return NULL;
    }
    /* one allocation for the message and its topic */
    if (!(msg = calloc (1, sizeof (*msg) + (tlen ? tlen + 1 : 0))))
        return NULL;
    msg->refcount = 1;
    msg->type = type;
    msg->nodeid = EDDY_NODEID_ANY;
    msg->userid = EDDY_USERID_UNKNOWN;
    if (tlen) {
        memcpy (msg->tbuf, topic, tlen + 1);
        msg->topic = msg->tbuf;
    }
    return msg;
}

eddy_msg_t *eddy_msg_incref (const eddy_msg_t *cmsg)
{
    eddy_msg_t *msg = (eddy_msg_t *)cmsg;
    if (msg)
        msg->refcount++;
    return msg;
}

void eddy_msg_decref (const eddy_msg_t *cmsg)
{
    eddy_msg_t *msg = (eddy_msg_t *)cmsg;
    if (msg && --msg->refcount == 0) {
        int saved_errno = errno;
        topic_free (msg);
        free (msg->errstr);
        json_decref (msg->payload);
        free (msg->route);
        free (msg);
        errno = saved_errno;
    }
}

int eddy_msg_refcount (const eddy_msg_t *msg)
{
    return msg->refcount;
}

static int route_reserve (eddy_msg_t *msg, size_t n)
{
    if (n > EDDY_MSG_ROUTE_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    if (n > msg->route_cap) {
        size_t cap = msg->route_cap ? msg->route_cap * 2 : 4;
        while (cap < n)
            cap *= 2;
        void *p = realloc (msg->route, cap * sizeof (msg->route[0]));
        if (!p)
            return -1;
        msg->route = p;
        msg->route_cap = cap;
    }
    return 0;
}

eddy_msg_t *eddy_msg_copy (const eddy_msg_t *src, bool payload)
{
    eddy_msg_t *msg;

    if (!(msg = eddy_msg_create (src->type, src->topic)))
        return NULL;
    msg->flags = src->flags;
    msg->matchtag = src->matchtag;
    msg->nodeid = src->nodeid;
    msg->userid = src->userid;
    msg->rolemask = src->rolemask;
    msg->seq = src->seq;
    if (eddy_msg_set_error (msg, src->errnum, src->errstr) < 0)
        goto error;
    if (src->nroute > 0) {
        if (route_reserve (msg, src->nroute) < 0)
            goto error;
        memcpy (msg->route, src->route, src->nroute * sizeof (msg->route[0]));
        msg->nroute = src->nroute;
    }
    if (payload)
        msg->payload = json_incref (src->payload);
    return msg;
error:
    eddy_msg_decref (msg);
    return NULL;
}

eddy_msg_t *eddy_msg_response (const eddy_msg_t *req,
                               json_t *payload,
                               int errnum,
                               const char *errstr)
{
    eddy_msg_t *msg;

    if (!(msg = eddy_msg_copy (req, false)))
        return NULL;
    msg->type = EDDY_MSGTYPE_RESPONSE;
    msg->flags &= ~EDDY_MSGFLAG_UPSTREAM;
    if (eddy_msg_set_error (msg, errnum, errnum ? errstr : NULL) < 0) {
        eddy_msg_decref (msg);
        return NULL;
    }
    if (!errnum)
        msg->payload = json_incref (payload);
    return msg;
}

eddy_msgtype_t eddy_msg_type (const eddy_msg_t *msg)
{
    return msg->type;
}

int eddy_msg_set_type (eddy_msg_t *msg, eddy_msgtype_t type)
{
    if (!valid_type (type)) {
        errno = EINVAL;
        return -1;
    }
    msg->type = type;
    return 0;
}

const char *eddy_msg_topic (const eddy_msg_t *msg)
{
    return msg->topic ? msg->topic : "";
}

int eddy_msg_set_topic (eddy_msg_t *msg, const char *topic)
{
    char *cpy = NULL;
    if (topic && !valid_topic (topic, strlen (topic))) {
        errno = EINVAL;
        return -1;
    }
    if (topic && *topic && !(cpy = strdup (topic)))
        return -1;
    topic_free (msg);
    msg->topic = cpy;
    return 0;
}

uint32_t eddy_msg_matchtag (const eddy_msg_t *msg)
{
    return msg->matchtag;
}

void eddy_msg_set_matchtag (eddy_msg_t *msg, uint32_t matchtag)
{
    msg->matchtag = matchtag;
}

uint32_t eddy_msg_nodeid (const eddy_msg_t *msg)
{
    return msg->nodeid;
}

void eddy_msg_set_nodeid (eddy_msg_t *msg, uint32_t nodeid)
{
    msg->nodeid = nodeid;
}

uint32_t eddy_msg_flags (const eddy_msg_t *msg)
{
    return msg->flags;
}

void eddy_msg_set_flags (eddy_msg_t *msg, uint32_t flags)
{
    msg->flags = flags;
}

uint32_t eddy_msg_userid (const eddy_msg_t *msg)
{
    return msg->userid;
}

uint32_t eddy_msg_rolemask (const eddy_msg_t *msg)
{
    return msg->rolemask;
}

void eddy_msg_set_cred (eddy_msg_t *msg, uint32_t userid, uint32_t rolemask)
{
    msg->userid = userid;
    msg->rolemask = rolemask;
}

uint32_t eddy_msg_seq (const eddy_msg_t *msg)
{
    return msg->seq;
}

void eddy_msg_set_seq (eddy_msg_t *msg, uint32_t seq)
{
    msg->seq = seq;
}

int eddy_msg_errnum (const eddy_msg_t *msg)
{
    return msg->errnum;
}

const char *eddy_msg_errstr (const eddy_msg_t *msg)
{
    return msg->errstr;
}

int eddy_msg_set_error (eddy_msg_t *msg, int errnum, const char *errstr)
{
    char *cpy = NULL;
    if (errnum < 0 || (errstr && strlen (errstr) > EDDY_MSG_ERRSTR_MAX)) {
        errno = EINVAL;
        return -1;
    }
    if (errstr && !(cpy = strdup (errstr)))
        return -1;
    free (msg->errstr);
    msg->errstr = cpy;
    msg->errnum = errnum;
    return 0;
}

json_t *eddy_msg_payload (const eddy_msg_t *msg)
{
    return msg->payload;
}

void eddy_msg_set_payload (eddy_msg_t *msg, json_t *payload)
{
    json_t *old = msg->payload;
    msg->payload = json_incref (payload);
    json_decref (old);
}

void eddy_msg_take_payload (eddy_msg_t *msg, json_t *payload)
{
    json_t *old = msg->payload;
    msg->payload = payload;
    json_decref (old);
}

int eddy_msg_route_push (eddy_msg_t *msg, uint64_t entry)
{
    if (route_reserve (msg, msg->nroute + 1) < 0)
        return -1;
    msg->route[msg->nroute++] = entry;
    return 0;
}

int eddy_msg_route_pop (eddy_msg_t *msg, uint64_t *entry)
{
    if (msg->nroute == 0) {
        errno = ENOENT;
        return -1;
    }
    msg->nroute--;
    if (entry)
        *entry = msg->route[msg->nroute];
    return 0;
}

int eddy_msg_route_count (const eddy_msg_t *msg)
{
    return msg->nroute;
}

uint64_t eddy_msg_route_first (const eddy_msg_t *msg)
{
    return msg->nroute ? msg->route[0] : 0;
}

void eddy_msg_route_clear (eddy_msg_t *msg)
{
    msg->nroute = 0;
}

uint64_t eddy_msg_route_hash (const eddy_msg_t *msg)
{
    /* FNV-1a over 64-bit words, then a final mix */
    uint64_t h = 0xcbf29ce484222325ull ^ msg->matchtag;
    h *= 0x100000001b3ull;
    for (uint16_t i = 0; i < msg->nroute; i++) {
        h ^= msg->route[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

bool eddy_msg_route_equal (const eddy_msg_t *a, const eddy_msg_t *b)
{
    return a->matchtag == b->matchtag && a->nroute == b->nroute &&
           (a->nroute == 0 || !memcmp (a->route, b->route, a->nroute * sizeof (a->route[0])));
}

const char *eddy_msg_typestr (eddy_msgtype_t type)
{
    switch (type) {
    case EDDY_MSGTYPE_REQUEST:
        return "request";
    case EDDY_MSGTYPE_RESPONSE:
        return "response";
    case EDDY_MSGTYPE_EVENT:
        return "event";
    case EDDY_MSGTYPE_CONTROL:
        return "control";
    default:
        return "unknown";
    }
}

/* ---- wire encoding ----
 *
 * offset size field
 *  0     3    magic "EDY"
 *  3     1    wire version
 *  4     1    type
 *  5     1    reserved (0)
 *  6     2    route count (n)
 *  8     4    flags
 * 12     4    matchtag
 * 16     4    nodeid
 * 20     4    userid
 * 24     4    rolemask
 * 28     4    seq
 * 32     4    errnum
 * 36     2    topic length (t)
 * 38     2    error string length (e)
 * 40     4    payload length (p); 0 = no payload
 * 44     t    topic
 *        8n   route entries
 *        e    error string
 *        p    payload (compact JSON)
 */
#define HDR_LEN 44

static void put16 (uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put32 (uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void put64 (uint8_t *p, uint64_t v)
{
    put32 (p, v >> 32);
    put32 (p + 4, (uint32_t)v);
}

static uint16_t get16 (const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32 (const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64 (const uint8_t *p)
{
    return (uint64_t)get32 (p) << 32 | get32 (p + 4);
}

int eddy_msg_encode (const eddy_msg_t *msg, int wire_version, void **bufp, size_t *lenp)
{
    char *json = NULL;
    size_t tlen = msg->topic ? strlen (msg->topic) : 0;
    size_t elen = msg->errstr ? strlen (msg->errstr) : 0;
    size_t plen = 0;
    uint8_t *buf, *p;

    if (wire_version < 0 || wire_version > 255) {
        errno = EINVAL;
        return -1;
    }
    if (msg->payload) {
        if (!(json = json_dumps (msg->payload, JSON_COMPACT | JSON_ENCODE_ANY))) {
            errno = EINVAL;
            return -1;
        }
        plen = strlen (json);
        if (plen > EDDY_MSG_PAYLOAD_MAX) {
            free (json);
            errno = EMSGSIZE;
            return -1;
        }
    }
    size_t len = HDR_LEN + tlen + 8 * (size_t)msg->nroute + elen + plen;
    if (!(buf = malloc (len))) {
        free (json);
        return -1;
    }
    memcpy (buf, "EDY", 3);
    buf[3] = wire_version;
    buf[4] = msg->type;
    buf[5] = 0;
    put16 (buf + 6, msg->nroute);
    put32 (buf + 8, msg->flags);
    put32 (buf + 12, msg->matchtag);
    put32 (buf + 16, msg->nodeid);
    put32 (buf + 20, msg->userid);
    put32 (buf + 24, msg->rolemask);
    put32 (buf + 28, msg->seq);
    put32 (buf + 32, (uint32_t)msg->errnum);
    put16 (buf + 36, tlen);
    put16 (buf + 38, elen);
    put32 (buf + 40, plen);
    p = buf + HDR_LEN;
    if (tlen) {
        memcpy (p, msg->topic, tlen);
        p += tlen;
    }
    for (int i = 0; i < msg->nroute; i++, p += 8)
        put64 (p, msg->route[i]);
    if (elen) {
        memcpy (p, msg->errstr, elen);
        p += elen;
    }
    if (plen)
        memcpy (p, json, plen);
    free (json);
    *bufp = buf;
    *lenp = len;
    return 0;
}

static eddy_msg_t *bad (eddy_error_t *err, const char *what)
{
    eddy_error_set (err, "malformed frame: %s", what);
    errno = EPROTO;
    return NULL;
}

eddy_msg_t *eddy_msg_decode (const void *vbuf,
                             size_t len,
                             int wire_version,
                             int *version,
                             eddy_error_t *err)
{
    const uint8_t *buf = vbuf;
    eddy_msg_t *msg;

    if (!buf || len < 4)
        return bad (err, "shorter than the frame header");
    if (memcmp (buf, "EDY", 3) != 0)
        return bad (err, "bad magic");
    if (version)
        *version = buf[3];
    if (buf[3] != wire_version) {
        eddy_error_set (err, "wire version %d, expected %d", buf[3], wire_version);
        errno = EPROTONOSUPPORT;
        return NULL;
    }
    if (len < HDR_LEN)
        return bad (err, "shorter than the frame header");
    if (!valid_type (buf[4]))
        return bad (err, "unknown message type");
    if (buf[5] != 0)
        return bad (err, "reserved byte is not zero");
    size_t nroute = get16 (buf + 6);
    size_t tlen = get16 (buf + 36);
    size_t elen = get16 (buf + 38);
    size_t plen = get32 (buf + 40);
    int errnum = (int)get32 (buf + 32);
    if (nroute > EDDY_MSG_ROUTE_MAX)
        return bad (err, "route stack too deep");
    if (tlen > EDDY_MSG_TOPIC_MAX)
        return bad (err, "topic too long");
    if (elen > EDDY_MSG_ERRSTR_MAX)
        return bad (err, "error string too long");
    if (plen > EDDY_MSG_PAYLOAD_MAX)
        return bad (err, "payload too large");
    if (errnum < 0)
        return bad (err, "negative errnum");
    if (len != HDR_LEN + tlen + 8 * nroute + elen + plen)
        return bad (err, "length does not match the header");
    const uint8_t *p = buf + HDR_LEN;
    if (!valid_topic ((const char *)p, tlen))
        return bad (err, "topic has a control character or space");
    if (memchr (p + tlen + 8 * nroute, '\0', elen))
        return bad (err, "error string has a NUL");

    if (!(msg = calloc (1, sizeof (*msg) + (tlen ? tlen + 1 : 0))))
        return NULL;
    msg->refcount = 1;
    msg->type = buf[4];
    msg->flags = get32 (buf + 8);
    msg->matchtag = get32 (buf + 12);
    msg->nodeid = get32 (buf + 16);
    msg->userid = get32 (buf + 20);
    msg->rolemask = get32 (buf + 24);
    msg->seq = get32 (buf + 28);
    msg->errnum = errnum;
    if (tlen) {
        memcpy (msg->tbuf, p, tlen); /* NUL-terminated by calloc */
        msg->topic = msg->tbuf;
        p += tlen;
    }
    if (nroute) {
        if (route_reserve (msg, nroute) < 0)
            goto nomem;
        for (size_t i = 0; i < nroute; i++, p += 8)
            msg->route[i] = get64 (p);
        msg->nroute = nroute;
    }
    if (elen) {
        if (!(msg->errstr = strndup ((const char *)p, elen)))
            goto nomem;
        p += elen;
    }
    if (plen) {
        json_error_t jerr;
        msg->payload = json_loadb ((const char *)p, plen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!msg->payload) {
            eddy_msg_decref (msg);
            return bad (err, "payload is not JSON");
        }
    }
    return msg;
nomem:
    eddy_msg_decref (msg);
    errno = ENOMEM;
    return NULL;
}
