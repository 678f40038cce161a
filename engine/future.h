/* future.h - futures and RPCs: a result that arrives later, consumed by a
 * continuation (modules) or by waiting (command-line clients only).
 */
#ifndef EDDY_FUTURE_H
#define EDDY_FUTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "engine/handle.h"
#include "engine/msg.h"

typedef struct eddy_future eddy_future_t;
typedef void (*eddy_continuation_f) (eddy_future_t *f, void *arg);

typedef enum {
    EDDY_RPC_NORESPONSE = 1, /* no future is kept; eddy_rpc () returns NULL on success */
    EDDY_RPC_STREAMING = 2,  /* many responses; an error response (ENODATA) ends it */
} eddy_rpc_flags_t;

/* RPC
 *
 * eddy_rpc () sends a request (payload borrowed, may be NULL) to the service
 * named by topic's first word on nodeid (a rank, EDDY_NODEID_ANY or
 * EDDY_NODEID_UPSTREAM) and returns a future for the response, owned by the
 * caller.  NULL + errno on failure (and, with NORESPONSE, NULL + errno 0 on
 * success).
 */
eddy_future_t *eddy_rpc (eddy_handle_t *h,
                         const char *topic,
                         json_t *payload,
                         uint32_t nodeid,
                         int flags);
eddy_future_t *eddy_rpc_pack (eddy_handle_t *h,
                              const char *topic,
                              uint32_t nodeid,
                              int flags,
                              const char *fmt,
                              ...);

/* The response's payload (borrowed; valid until reset or destroy), or -1
 * with errno = the response's errnum (ETIMEDOUT after a timeout, ENODATA at
 * the end of a stream).  If the future is not ready, waits for it: only
 * command-line clients may do that (DESIGN.md contract 5).
 */
int eddy_rpc_get (eddy_future_t *f, json_t **payload);
int eddy_rpc_get_unpack (eddy_future_t *f, const char *fmt, ...);
/* The raw response message (borrowed), or -1 as above. */
int eddy_future_get_msg (eddy_future_t *f, const eddy_msg_t **msg);

/* The error text of a failed future: the responder's string if it sent
 * one, else strerror (errnum).  NULL if the future has not failed.
 */
const char *eddy_future_error_string (eddy_future_t *f);

/* Continuations
 *
 * eddy_future_then () calls cb once the future is ready (on a later
 * reactor iteration if it is ready already).  timeout > 0 fulfils the
 * future with ETIMEDOUT if nothing arrives in time; timeout <= 0 waits
 * forever.  For a stream, call eddy_future_reset () in the continuation
 * to wait for the next response with the same continuation and timeout.
 */
int eddy_future_then (eddy_future_t *f, double timeout, eddy_continuation_f cb, void *arg);
void eddy_future_reset (eddy_future_t *f);
bool eddy_future_is_ready (eddy_future_t *f);

/* Wait up to timeout seconds (<= 0: forever) for the future, running the
 * reactor.  0 when ready, -1 ETIMEDOUT otherwise.  Clients only.
 */
int eddy_future_wait_for (eddy_future_t *f, double timeout);

/* The matchtag of an RPC's request while a response may still come, so a
 * streaming request can be cancelled by its matchtag; 0 once the final
 * response has arrived, and for plain futures.
 */
uint32_t eddy_future_matchtag (eddy_future_t *f);

/* Destroy (NULL is a no-op).  A pending RPC's late response is dropped. */
void eddy_future_destroy (eddy_future_t *f);

/* Plain futures, fulfilled by their owner (composite operations such as a
 * KVS lookup that takes several RPCs).  fulfill takes a reference to msg
 * (may be NULL); fulfill_error fails it with errnum and text.
 */
eddy_future_t *eddy_future_create (eddy_handle_t *h);
void eddy_future_fulfill (eddy_future_t *f, const eddy_msg_t *msg);
void eddy_future_fulfill_error (eddy_future_t *f, int errnum, const char *errstr);
eddy_handle_t *eddy_future_handle (eddy_future_t *f);

/* Auxiliary data, destroyed with the future. */
int eddy_future_aux_set (eddy_future_t *f, const char *key, void *val, void (*free_fn) (void *));
void *eddy_future_aux_get (eddy_future_t *f, const char *key);

/* Internal to the handle: route a response to its future. */
void eddy_future_handle_response (eddy_handle_t *h, const eddy_msg_t *msg);

#endif /* !EDDY_FUTURE_H */
