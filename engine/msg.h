/* msg.h - eddy messages: requests, responses, events and control messages.
 *
 * In the spirit of Flux RFC 3: a type, a topic, a JSON payload, a matchtag,
 * a destination nodeid, a route stack, credentials, and an error.  In the
 * simulator a message is passed by reference and never encoded; on a real
 * link it is encoded into one versioned frame whose decoder is total.
 */
#ifndef EDDY_MSG_H
#define EDDY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/error.h"

typedef struct eddy_msg eddy_msg_t;

typedef enum {
    EDDY_MSGTYPE_REQUEST = 1,
    EDDY_MSGTYPE_RESPONSE = 2,
    EDDY_MSGTYPE_EVENT = 4,
    EDDY_MSGTYPE_CONTROL = 8,
    EDDY_MSGTYPE_ANY = 15,
} eddy_msgtype_t;

typedef enum {
    EDDY_MSGFLAG_NORESPONSE = 1, /* the sender wants no response */
    EDDY_MSGFLAG_STREAMING = 2,  /* many responses, ended by an error (ENODATA) */
    EDDY_MSGFLAG_UPSTREAM = 4,   /* nodeid names the sender; route past it */
} eddy_msgflag_t;

#define EDDY_NODEID_ANY 0xFFFFFFFFu
#define EDDY_NODEID_UPSTREAM 0xFFFFFFFEu
#define EDDY_USERID_UNKNOWN 0xFFFFFFFFu
#define EDDY_MATCHTAG_NONE 0u

typedef enum {
    EDDY_ROLE_NONE = 0,
    EDDY_ROLE_OWNER = 1,
    EDDY_ROLE_USER = 2,
    EDDY_ROLE_ALL = 0xFFFFFFFF,
} eddy_role_t;

/* Route entries name the hop a message came from, as seen by the broker
 * that pushed it: an overlay peer (a rank), a local client connection, or a
 * module in the broker.
 */
typedef enum {
    EDDY_ROUTE_PEER = 1,
    EDDY_ROUTE_CLIENT = 2,
    EDDY_ROUTE_MODULE = 3,
} eddy_route_kind_t;

#define EDDY_ROUTE(kind, id) (((uint64_t)(kind) << 32) | (uint32_t)(id))
#define EDDY_ROUTE_KIND(e) ((eddy_route_kind_t)((e) >> 32))
#define EDDY_ROUTE_ID(e) ((uint32_t)(e))

/* Limits enforced by the decoder (and the encoder). */
#define EDDY_MSG_TOPIC_MAX 255
#define EDDY_MSG_ROUTE_MAX 64
#define EDDY_MSG_ERRSTR_MAX 1024
#define EDDY_MSG_PAYLOAD_MAX (256u * 1024 * 1024)

/* Create, reference count, copy
 *
 * eddy_msg_create () returns a message with one reference, nodeid ANY,
 * userid UNKNOWN, rolemask NONE, no payload.  topic may be NULL for
 * control messages.  -1/NULL + EINVAL for a bad type or topic.
 * eddy_msg_decref () frees the message when the last reference goes.
 * eddy_msg_copy () makes an independent copy (payload included if asked:
 * the JSON is shared by reference, which is safe because payloads are
 * never modified after they are set).
 */
eddy_msg_t *eddy_msg_create (eddy_msgtype_t type, const char *topic);
eddy_msg_t *eddy_msg_incref (const eddy_msg_t *msg);
void eddy_msg_decref (const eddy_msg_t *msg);
eddy_msg_t *eddy_msg_copy (const eddy_msg_t *msg, bool payload);
int eddy_msg_refcount (const eddy_msg_t *msg);

/* A response to `req`: same topic, matchtag, route and nodeid, type
 * RESPONSE.  payload may be NULL (borrowed; a reference is taken).
 * errnum != 0 makes an error response, with errstr (may be NULL).
 */
eddy_msg_t *eddy_msg_response (const eddy_msg_t *req,
                               json_t *payload,
                               int errnum,
                               const char *errstr);

/* Fields */
eddy_msgtype_t eddy_msg_type (const eddy_msg_t *msg);
int eddy_msg_set_type (eddy_msg_t *msg, eddy_msgtype_t type);
const char *eddy_msg_topic (const eddy_msg_t *msg); /* "" for none */
int eddy_msg_set_topic (eddy_msg_t *msg, const char *topic);
uint32_t eddy_msg_matchtag (const eddy_msg_t *msg);
void eddy_msg_set_matchtag (eddy_msg_t *msg, uint32_t matchtag);
uint32_t eddy_msg_nodeid (const eddy_msg_t *msg);
void eddy_msg_set_nodeid (eddy_msg_t *msg, uint32_t nodeid);
uint32_t eddy_msg_flags (const eddy_msg_t *msg);
void eddy_msg_set_flags (eddy_msg_t *msg, uint32_t flags);
uint32_t eddy_msg_userid (const eddy_msg_t *msg);
uint32_t eddy_msg_rolemask (const eddy_msg_t *msg);
void eddy_msg_set_cred (eddy_msg_t *msg, uint32_t userid, uint32_t rolemask);
uint32_t eddy_msg_seq (const eddy_msg_t *msg); /* event sequence number */
void eddy_msg_set_seq (eddy_msg_t *msg, uint32_t seq);
int eddy_msg_errnum (const eddy_msg_t *msg);
const char *eddy_msg_errstr (const eddy_msg_t *msg); /* NULL if none */
int eddy_msg_set_error (eddy_msg_t *msg, int errnum, const char *errstr);

/* Payload: borrowed on get (NULL if none); set takes its own reference.
 * Inside one process a payload travels by reference: never modify a JSON
 * value after it has been put in a message that was sent.
 */
json_t *eddy_msg_payload (const eddy_msg_t *msg);
void eddy_msg_set_payload (eddy_msg_t *msg, json_t *payload);
/* Steals the caller's reference to payload (for json_pack results). */
void eddy_msg_take_payload (eddy_msg_t *msg, json_t *payload);

/* Route stack: push on receipt, pop to send a response back. */
int eddy_msg_route_push (eddy_msg_t *msg, uint64_t entry);
int eddy_msg_route_pop (eddy_msg_t *msg, uint64_t *entry); /* -1 ENOENT if empty */
int eddy_msg_route_count (const eddy_msg_t *msg);
uint64_t eddy_msg_route_first (const eddy_msg_t *msg); /* bottom (origin); 0 if empty */
void eddy_msg_route_clear (eddy_msg_t *msg);
/* A hash of the route stack and matchtag, which together name a request
 * and its responses at one broker; route_equal compares them exactly.
 */
uint64_t eddy_msg_route_hash (const eddy_msg_t *msg);
bool eddy_msg_route_equal (const eddy_msg_t *a, const eddy_msg_t *b);

/* "request", "response", "event", "control" */
const char *eddy_msg_typestr (eddy_msgtype_t type);

/* Wire encoding
 *
 * Frame: "EDY" magic, wire version, type, flags, then fixed-width fields
 * and length-prefixed topic, route, error string and payload (compact
 * JSON), all big-endian.  eddy_msg_encode () returns a malloc'd buffer.
 * eddy_msg_decode () never crashes on any input: a malformed frame gives
 * NULL with EPROTO and a message in err; a frame of another wire version
 * gives NULL with EPROTONOSUPPORT and *version set to the peer's version
 * (when version is not NULL), so the caller can log both versions.
 */
int eddy_msg_encode (const eddy_msg_t *msg, int wire_version, void **buf, size_t *len);
eddy_msg_t *eddy_msg_decode (const void *buf,
                             size_t len,
                             int wire_version,
                             int *version,
                             eddy_error_t *err);

#endif /* !EDDY_MSG_H */
